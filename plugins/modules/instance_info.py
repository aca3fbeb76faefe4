#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_info
short_description: Status of maestro instances on one ship, machine-readable (maestro status -F)
version_added: 0.1.0
description:
  - Returns, for each given instance, whether its container is running, stopped or absent, its image and digest,
    its uptime (or how long it has been down), its drift from the spec (image or options), and whether each
    published TCP port answers on the ship's address.
  - Never changes anything.
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.info_module
  - maestro.docker.attributes.instances
options:
  probe_ports:
    description:
      - Try a TCP connection (1 second) to each published TCP port of running instances on the ship's C(ship_ip).
    type: bool
    default: true
  archived:
    description:
      - Also list each instance's older releases kept under C(<name>.<release id>) (and a parked one), in RV(instances[].archived).
        One more Docker call per instance.
    type: bool
    default: false
seealso:
  - module: maestro.docker.instance
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Status of this ship's instances
  maestro.docker.instance_info:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ maestro_instances }}"
  register: status

- name: Fail when an instance is not running its wanted image
  ansible.builtin.assert:
    that: status.instances | selectattr('drift') | list | length == 0
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
      sample: web-1
    status:
      description: "V(running), V(stopped) or V(absent)."
      type: str
      returned: success
      sample: running
    exists:
      description: Whether the container exists.
      type: bool
      returned: success
    managed:
      description: Whether the container has the C(maestro.managed=true) label.
      type: bool
      returned: when it exists
    id:
      description: Container ID.
      type: str
      returned: when it exists
    image:
      description: Image reference the container was created from.
      type: str
      returned: when it exists
    image_id:
      description: Image ID of the container.
      type: str
      returned: when it exists
    digest:
      description: Registry digest of the container's image, if known.
      type: str
      returned: when it exists
    release:
      description:
        - "The release the container runs, as a blue/green deploy recorded it in its labels (V(null) for a
          container that no deploy started): C(id), C(time) (UTC), C(tag) (the deploy tag, if any), C(image)
          (the reference) and C(digest) (the registry digest, or the image ID when the image has none)."
      type: dict
      returned: when it exists
      sample: {id: 20261203T081500Z-3f2a, time: "2026-12-03T08:15:00Z", tag: v2, image: "registry:5000/demo/web:v2", digest: "sha256:..."}
    archived:
      description: With O(archived), the older releases kept (C(name), C(status), C(release)), newest first.
      type: list
      elements: dict
      returned: with archived
    uptime:
      description: Seconds since the container started.
      type: int
      returned: when it exists
    down_for:
      description: Seconds since the container stopped.
      type: int
      returned: when it exists
    exit_code:
      description: Exit code of a stopped container.
      type: int
      returned: when it exists
    drift:
      description: Options that differ from the spec; V(image) when the ship's image for the spec's reference is another one.
      type: list
      elements: str
      returned: success
    drift_detail:
      description: Wanted and actual values per drifted option (secrets masked).
      type: list
      elements: dict
      returned: when it exists
    ports:
      description: Named ports with their published host port and C(answering) (V(true), V(false), or V(null) when not probed).
      type: list
      elements: dict
      returned: when it exists
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("instance_info")


if __name__ == "__main__":
    main()
