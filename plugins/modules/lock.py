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
  - The holder (O(who), the ansible-playbook process O(pid) and O(playbook)), the purpose (O(what)), the time (UTC), the
    lease (O(ttl)) and a token are the container's labels (C(maestro.lock.who), C(maestro.lock.pid),
    C(maestro.lock.playbook), C(maestro.lock.what), C(maestro.lock.since), C(maestro.lock.ttl), C(maestro.lock.token)),
    beside C(maestro.managed=true) and C(maestro.role=lock).
  - Its image, C(maestro/lock:1), is an empty image that the module imports on the ship when missing; no registry
    is involved.
  - Acquiring a lock that someone else holds fails at once (or after O(wait) seconds) with a message that names the
    holder with its pid and playbook, the time and the purpose. Acquiring it again with the token it returned changes
    nothing.
  - A lock taken with a lease (O(ttl)) that has run out is stale, and the next acquirer takes it over, atomically (the
    stale container is removed by its id, then the new one created; when another run created it first, that run is
    the holder named in the refusal, which also says whose lock this run removed). The lease is the holder's, recorded when it took the lock, and its age is
    measured on the ship's clock (the container's creation to the daemon's time now). A takeover is a warning
    that names the previous holder, and RV(taken_over) returns it.
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
      - In check mode a lock that would be acquired gets a new token that is not kept, and a stale or forced lock is
        left in place (RV(broken) or RV(taken_over) say whose it is).
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
      - Default is C(<user>@<host>) of the controller.
    type: str
  pid:
    description:
      - With O(state=present), the process id shown with the holder.
      - Default is the pid of the C(ansible-playbook) process that runs the task (not the short-lived worker process
        that runs the action), filled in on the controller.
    type: int
  playbook:
    description:
      - With O(state=present), the playbook shown with the holder.
      - Default is the playbooks given to C(ansible-playbook), as absolute paths when they are files.
    type: str
  ttl:
    description:
      - With O(state=present), the lease of the lock taken, in seconds. Once the lock is older than that, another run
        takes it over (the holder crashed, or is too slow). Choose it longer than the longest run that holds the lock.
      - Not given (the default) means a lease that never expires; such a lock is only taken by breaking it (O(force)).
      - The lease that counts is the one the holder took the lock with, not the one of whoever finds it.
    type: int
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
      - With O(state=present), break a lock held by someone else and take it; RV(broken) and a warning say whose it was.
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

- name: Take the deploy lock with a lease of an hour, after which another run may take it over
  maestro.docker.lock:
    docker_host: tcp://10.0.0.11:2375
    name: maestro-lock-demo
    what: deploy web 10.0.0.1:5000/acme/web:1.4.3
    ttl: 3600

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
    pid:
      description: The pid of the holder's ansible-playbook process; null when not known.
      type: int
      returned: success
    playbook:
      description: The holder's playbook; empty when not known.
      type: str
      returned: success
    since:
      description: When it was acquired, UTC, ISO 8601 (V(2026-11-24T10:00:00Z)).
      type: str
      returned: success
    ttl:
      description: Its lease in seconds; null for none.
      type: int
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
  description:
    - The holder whose lock O(force=true) removed (C(name), C(who), C(pid), C(playbook), C(what), C(since), C(ttl),
      C(ship)); null otherwise.
  returned: success
  type: dict
taken_over:
  description:
    - The holder whose expired lease this task took over (the keys of RV(broken)); null otherwise.
  returned: success
  type: dict
previous_holder:
  description:
    - The holder of RV(broken) or RV(taken_over) in words, as the warning and the deploy role's audit trail say it;
      null when there is none.
  returned: success
  type: str
  sample: "alice@ops1 (pid 4242, playbook /srv/deploy.yml, held since 2026-11-24T10:00:00Z, lease 600 s expired) for: deploy web"
holder:
  description:
    - When the lock is held by someone else, that holder (C(name), C(who), C(pid), C(playbook), C(what), C(since),
      C(ttl), C(ship)).
  returned: failure
  type: dict
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("lock")


if __name__ == "__main__":
    main()
