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
  - With O(keep_releases), it cleans older releases instead, as a blue/green deploy does after a switch. For each
    instance (a colour's name, such as C(web-1-green)), the stopped container parked under C(<name><park_suffix>),
    the release two deploys old, is kept as C(<name>.<release id>) (its C(maestro.release) label; C(<name>.c<id>)
    for a container no deploy started), or removed when O(keep_releases=1). Then the archived releases of that name
    beyond the newest O(keep_releases) minus one are removed, oldest first. The instance's own container, stopped
    in its slot, is the newest release kept.
options:
  keep_releases:
    description:
      - How many releases of each instance to keep, besides the one that runs. Unset, the module is C(maestro clean).
    type: int
  park_suffix:
    description: The name suffix of a parked colour (with O(keep_releases)).
    type: str
    default: .parked
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

- name: After a switch, keep two releases of each instance besides the live one
  maestro.docker.instance_clean:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ green_specs }}"
    keep_releases: 2
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
      description: "V(removed) or nothing; with O(keep_releases), also V(archived)."
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
    kept:
      description: With O(keep_releases), the names of the instance's archived releases kept, oldest first by name.
      type: list
      elements: str
      returned: with keep_releases
    removed:
      description: With O(keep_releases), the archived releases removed.
      type: list
      elements: str
      returned: with keep_releases, when some were removed
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
