#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lock
short_description: A deploy lock on one ship, so that two deploys of an environment never interleave
version_added: 0.1.0
description:
  - The lock is a container named O(name) that is created and never started. The Docker daemon refuses to create a
    container whose name exists, so of two tasks acquiring the same lock at the same moment exactly one wins.
  - The holder (O(who)), the purpose (O(what)), the time (UTC) and a token are the container's labels
    (C(maestro.lock.who), C(maestro.lock.what), C(maestro.lock.since), C(maestro.lock.token)), beside
    C(maestro.managed=true) and C(maestro.role=lock).
  - Its image, C(maestro/lock:1), is an empty image that the module imports on the ship when missing; no registry
    is involved.
  - Acquiring a lock that someone else holds fails at once (or after O(wait) seconds) with a message that names the
    holder, the time and the purpose. Acquiring it again with the token it returned changes nothing.
  - Releasing needs the token that acquiring returned, or O(force=true). Releasing a lock that does not exist
    changes nothing.
  - A container of that name without the lock labels is a failure and is never touched.
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
attributes:
  check_mode:
    support: full
    details:
      - In check mode a lock that would be acquired gets a new token that is not kept.
  diff_mode:
    support: full
    details:
      - The diff shows the holder before and after, without tokens.
  idempotent:
    support: partial
    details:
      - Acquiring is idempotent when O(token) is given; without it each run makes a new token, and the second run fails
        since the lock is held.
options:
  name:
    description:
      - Name of the lock container, for example C(maestro-lock-<environment>).
    type: str
    default: maestro-lock
  state:
    description:
      - V(present) acquires the lock, V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  who:
    description:
      - The holder, shown to whoever finds the lock held.
      - Default is C(<user>@<host>) of the process the module runs in (the controller, when the task runs there).
    type: str
  what:
    description:
      - What the holder is doing, for example V(deploy web 10.0.0.1:5000/acme/web:1.4.3).
    type: str
  token:
    description:
      - With O(state=present), the token to acquire the lock with; a new random one when not given. The lock held with
        this token already counts as acquired.
      - With O(state=absent), the token that acquiring returned (RV(lock.token)); a lock with another token is not
        released unless O(force=true).
      - Not a secret, since anyone who can read the ship's Docker API can read it.
    type: str
  force:
    description:
      - With O(state=present), break a lock held by someone else and take it; RV(broken) says whose it was.
      - With O(state=absent), remove the lock whoever holds it.
    type: bool
    default: false
  wait:
    description:
      - With O(state=present), how many seconds to wait, polling each second, for a held lock to be released before
        failing. V(0) fails at once.
    type: int
    default: 0
seealso:
  - module: maestro.docker.proxy
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Take the deploy lock of the demo environment
  maestro.docker.lock:
    docker_host: tcp://10.0.0.11:2375
    name: maestro-lock-demo
    what: deploy web 10.0.0.1:5000/acme/web:1.4.3
  register: deploy_lock

- name: Release it
  maestro.docker.lock:
    docker_host: tcp://10.0.0.11:2375
    name: maestro-lock-demo
    state: absent
    token: "{{ deploy_lock.lock.token }}"

- name: Break a stale lock and take it
  maestro.docker.lock:
    docker_host: tcp://10.0.0.11:2375
    name: maestro-lock-demo
    what: deploy web (after a crashed run)
    force: true
"""

RETURN = r"""
lock:
  description:
    - With O(state=present), the lock this task holds. With O(state=absent), the lock released; null when there was none.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the lock container.
      type: str
      returned: success
    who:
      description: The holder.
      type: str
      returned: success
    what:
      description: What the holder is doing.
      type: str
      returned: success
    since:
      description: When it was acquired, UTC, ISO 8601 (V(2026-11-24T10:00:00Z)).
      type: str
      returned: success
    token:
      description: The token that releases it.
      type: str
      returned: success
    ship:
      description: The ship that holds it.
      type: str
      returned: success
broken:
  description: The holder whose lock O(force=true) removed (C(name), C(who), C(what), C(since), C(ship)); null otherwise.
  returned: success
  type: dict
holder:
  description: When the lock is held by someone else, that holder (C(name), C(who), C(what), C(since), C(ship)).
  returned: failure
  type: dict
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("lock")


if __name__ == "__main__":
    main()
