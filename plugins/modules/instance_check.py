#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_check
short_description: Run the lifecycle checks of maestro instances for one state, now
version_added: 0.1.0
description:
  - Runs the C(lifecycle) checks that the given instances declare for O(state), all concurrently, and fails
    when one of them does not pass. Nothing is started or stopped.
  - 'Check types: C(tcp) (C(port), C(max_wait) attempts), C(http) (C(port), C(host), C(path), C(scheme), C(method),
    C(match_regex), C(max_wait) seconds, C(requests_options.timeout)), C(exec) (C(command) run on the controller
    with the container environment, C(envfrom) V(env) or V(stdin), C(attempts)), C(rexec) (C(command) run inside
    the container, C(attempts)) and C(sleep) (C(wait) seconds).'
  - While checks run, the container's condition for the state (running for V(running) and V(pre-stop), down for
    V(pre-start) and V(stopped)) is polled every second; when it breaks, the checks fail at once.
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.instances
attributes:
  check_mode:
    support: partial
    details:
      - C(exec) and C(rexec) checks run user commands and are skipped in check mode; the others run.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
options:
  state:
    description:
      - Which state's checks to run.
    type: str
    choices: [pre-start, running, pre-stop, stopped]
    default: running
seealso:
  - module: maestro.docker.instance
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Are the web instances of this ship healthy?
  maestro.docker.instance_check:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ maestro_instances }}"
    state: running
"""

RETURN = r"""
instances:
  description: One result per instance, also when the task fails.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Instance (container) name.
      type: str
      returned: always
    checks:
      description: One result per check (C(type), C(state), C(passed), C(message), C(duration)).
      type: list
      elements: dict
      returned: always
    msg:
      description: The first check failure of this instance.
      type: str
      returned: when it failed
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("instance_check")


if __name__ == "__main__":
    main()
