#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: quorum_lock
short_description: A deploy lock held on a quorum of ships, so that it survives the loss of some of them
version_added: 0.2.0
description:
  - Takes (or releases) the deploy lock of M(maestro.docker.lock) on every ship of O(ships) at once, a thread per ship,
    all with one token, and holds it when a quorum of them (O(quorum), by default a majority) hold it. Of two runs, at
    most one can hold a majority, so the lock still excludes a second deploy when a minority of the ships is lost.
  - Each ship's lock is the single lock of M(maestro.docker.lock), with its holder (who, ansible-playbook pid and
    playbook), purpose, lease (O(ttl)), break (O(force)) and take-over of a stale lease. Its warnings (a broken or
    taken-over lock) are this task's.
  - A take that reaches fewer ships than the quorum gives back what it took and fails; the message names the ships, the
    holder that refused it and the ships that could not be reached. A take that holds a quorum without some ship warns,
    naming it.
  - Releasing releases the lock on every ship of O(ships) that can be reached; one that cannot keeps its lock container,
    with a warning that names it (the next run holds the lock on the others, or breaks it, or its lease ends).
  - With one ship it is the lock of M(maestro.docker.lock) on that ship, with its messages.
  - This is an action that runs on the controller only, with each ship's connection (its C(maestro_docker)); the
    C(maestro.docker.deploy) role takes its lock with it.
options:
  ships:
    description: The ships (inventory hosts with C(maestro_docker)) that hold the lock.
    type: list
    elements: str
    required: true
  quorum:
    description:
      - How many of O(ships) must hold the lock. Default, a majority (more than half). Less than a majority is refused,
        since two runs could then hold the lock at once.
    type: int
  name:
    description: Name of the lock container on each ship.
    type: str
    default: maestro-lock
  state:
    description: V(present) takes the lock, V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  who:
    description: The holder, shown to whoever finds the lock held. Default is C(<user>@<host>) of the controller.
    type: str
  what:
    description: What the holder is doing.
    type: str
  token:
    description:
      - With O(state=present), the token to take the lock with (a new random one when not given); with O(state=absent),
        the token the take returned (the C(token) of RV(lock)).
    type: str
  force:
    description: With O(state=present), break a lock held by someone else on each ship; with O(state=absent), remove it whoever holds it.
    type: bool
    default: false
  wait:
    description: With O(state=present), seconds to wait on each ship for a held lock to be released. V(0) fails at once.
    type: int
    default: 0
  ttl:
    description: With O(state=present), the lease of the lock taken, in seconds, as in M(maestro.docker.lock). Not given, it never expires.
    type: int
extends_documentation_fragment:
  - maestro.docker.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: partial
    details: As M(maestro.docker.lock), on every ship.
seealso:
  - module: maestro.docker.lock
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Take the deploy lock on the three proxy ships (held when two of them have it)
  maestro.docker.quorum_lock:
    ships: [ship1, ship2, ship3]
    name: maestro-lock-prod
    what: deploy web
    ttl: 3600
  run_once: true
  register: deploy_lock

- name: Release it
  maestro.docker.quorum_lock:
    ships: "{{ deploy_lock.held_on }}"
    name: maestro-lock-prod
    state: absent
    token: "{{ deploy_lock.lock.token }}"
  run_once: true
"""

RETURN = r"""
lock:
  description:
    - With O(state=present), the lock this task holds, as M(maestro.docker.lock) returns it, C(ship) being the ships that
      hold it, comma-separated; null when it failed.
  returned: always
  type: dict
held_on:
  description: The ships that hold the lock (taken), or released it (released).
  returned: always
  type: list
  elements: str
unreachable_ships:
  description: The ships that could not be reached.
  returned: always
  type: list
  elements: str
quorum:
  description: How many ships must hold the lock.
  returned: always
  type: int
broken:
  description: The holder whose lock O(force=true) removed, on the first ship where it did; null otherwise.
  returned: always
  type: dict
taken_over:
  description: The holder whose expired lease this task took over, on the first ship where it did; null otherwise.
  returned: always
  type: dict
previous_holder:
  description: The holder of RV(broken) or RV(taken_over) in words; null when there is none.
  returned: always
  type: str
ships:
  description: Each ship's result, that of M(maestro.docker.lock) (without tokens of other holders).
  returned: always
  type: dict
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import controller_only_main

# The one declaration of the options: the action plugin (plugins/action/quorum_lock.py), which does the work, validates with it.
ARGUMENT_SPEC = {
    "ships": {"type": "list", "elements": "str", "required": True},
    "quorum": {"type": "int"},
    "name": {"type": "str", "default": "maestro-lock"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "who": {"type": "str"},
    "what": {"type": "str"},
    "token": {"type": "str", "no_log": False},
    "force": {"type": "bool", "default": False},
    "wait": {"type": "int", "default": 0},
    "ttl": {"type": "int"},
}


def main():
    controller_only_main("quorum_lock", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
