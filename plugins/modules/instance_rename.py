#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_rename
short_description: Park stopped maestro instances under another name, or put them back
version_added: 0.1.0
description:
  - For each instance, renames its container C(name + from_suffix) to C(name + to_suffix), keeping everything else
    (image, configuration, labels, volumes).
  - Used by a blue/green deploy to park the stopped older colour (C(web-1-green) to C(web-1-green.parked)) while
    a new container takes its name and host ports, and to put it back when the new one fails.
  - Only stopped containers are renamed; a running one is a failure (parking a live container would take it out of
    its slot while it serves).
  - A source container without the C(maestro.managed=true) label is a failure, and that container is never touched.
  - A target name that is already taken is a failure; remove that container first, for example with
    M(maestro.docker.instance) and O(maestro.docker.instance#module:state=absent).
  - When the source container does not exist there is nothing to do; a second run therefore reports no change.
  - Only the C(name) of each instance spec is used; the specs are validated as in the other instance modules (C(image) is required).
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.instances
options:
  from_suffix:
    description:
      - Suffix of the container to rename, appended to each instance's C(name). The empty string means the instance's own name.
      - Must differ from O(to_suffix).
    type: str
    default: ""
  to_suffix:
    description:
      - Suffix of the new name, appended to each instance's C(name). The empty string means the instance's own name.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details:
      - A second run finds no source container and changes nothing.
seealso:
  - module: maestro.docker.instance
  - module: maestro.docker.instance_clean
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Park the stopped older colour so that the new one can take its name and ports
  maestro.docker.instance_rename:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ new_colour_specs }}"
    to_suffix: .parked

- name: The new colour failed; after removing it, put the parked one back in its slot
  maestro.docker.instance_rename:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ new_colour_specs }}"
    from_suffix: .parked

- name: The new colour took the traffic; remove the parked one
  maestro.docker.instance:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ parked_specs }}"  # the same specs, each name with the .parked suffix
    state: absent
"""

RETURN = r"""
instances:
  description: One result per instance, also when the task fails.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Instance name (from the spec).
      type: str
      returned: always
    from:
      description: Name of the container to rename.
      type: str
      returned: always
      sample: web-1-green
    to:
      description: Its new name.
      type: str
      returned: always
      sample: web-1-green.parked
    changed:
      description: Whether the container was renamed (would be, in check mode).
      type: bool
      returned: always
    actions:
      description: "V(renamed), or nothing when the source container is absent."
      type: list
      elements: str
      returned: always
    status_before:
      description: "State of the source container: V(stopped), V(running) (refused) or V(absent) (nothing to rename)."
      type: str
      returned: when the source container could be inspected
    msg:
      description: Why this instance failed (running, unmanaged, target name taken).
      type: str
      returned: when it failed
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("instance_rename")


if __name__ == "__main__":
    main()
