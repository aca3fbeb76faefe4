#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_logs
short_description: Last lines of the logs of maestro instances (maestro logs -n)
version_added: 0.1.0
description:
  - Returns the last O(lines) lines of standard output and standard error of each given instance's container.
  - Values of the specs' C(secret_env) keys are masked in the returned lines.
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.info_module
  - maestro.docker.attributes.instances
options:
  lines:
    description:
      - How many lines to return per instance.
    type: int
    default: 100
seealso:
  - module: maestro.docker.instance_info
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Last 20 lines of each web instance
  maestro.docker.instance_logs:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ maestro_instances }}"
    lines: 20
"""

RETURN = r"""
instances:
  description: One result per instance.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Instance (container) name.
      type: str
      returned: always
    status:
      description: "V(running), V(stopped) or V(absent)."
      type: str
      returned: success
    logs:
      description: The last lines (empty for an absent container).
      type: list
      elements: str
      returned: success
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("instance_logs")


if __name__ == "__main__":
    main()
