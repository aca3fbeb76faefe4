#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_clean
short_description: Remove stopped maestro instances with their anonymous volumes (maestro clean)
version_added: 0.1.0
description:
  - Removes the containers of the given instances that exist and are not running, with their anonymous volumes.
  - Running containers are skipped, missing ones are reported absent. Named volumes, images and host
    directories are never removed.
  - A container name held by a container without the C(maestro.managed=true) label is a failure, and that container
    is never touched.
  - To stop and remove running instances too, use M(maestro.docker.instance) with O(maestro.docker.instance#module:state=absent).
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.instances
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: maestro.docker.instance
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Clean up the stopped instances of this ship
  maestro.docker.instance_clean:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ maestro_instances }}"
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
    changed:
      description: Whether the container was removed.
      type: bool
      returned: always
    actions:
      description: "V(removed) or nothing."
      type: list
      elements: str
      returned: always
    status_before:
      description: "V(running), V(stopped) or V(absent) before."
      type: str
      returned: success
    status:
      description: "V(running) (skipped) or V(absent) after."
      type: str
      returned: success
    skipped:
      description: True when the container was running and left alone.
      type: bool
      returned: when running
    msg:
      description: Why this instance failed.
      type: str
      returned: when it failed
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("instance_clean")


if __name__ == "__main__":
    main()
