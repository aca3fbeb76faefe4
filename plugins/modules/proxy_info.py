#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: proxy_info
short_description: The frontends and configuration of a maestro proxy container on one ship
version_added: 0.1.0
description:
  - Reads whether the proxy container exists and runs, and the frontends that M(maestro.docker.proxy) stored in its
    configuration.
  - Never changes anything.
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.info_module
options:
  name:
    description:
      - Name of the proxy container.
    type: str
    default: maestro-proxy
seealso:
  - module: maestro.docker.proxy
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Which colour does the web frontend send traffic to?
  maestro.docker.proxy_info:
    docker_host: tcp://10.0.0.11:2375
  register: proxy

- name: Show it
  ansible.builtin.debug:
    msg: "{{ (proxy.frontends | selectattr('name', '==', 'web') | first).colour }}"
"""

RETURN = r"""
exists:
  description: Whether a container of that name exists.
  returned: always
  type: bool
managed:
  description: Whether that container is a maestro proxy (labels C(maestro.managed=true), C(maestro.role=proxy)); null without a container.
  returned: always
  type: bool
running:
  description: Whether the container runs.
  returned: always
  type: bool
container:
  description: The container's C(name), C(id) (null without one) and C(ship).
  returned: always
  type: dict
image:
  description: The container's image; null without a container.
  returned: always
  type: str
environment:
  description: The container's C(maestro.environment) label, if any.
  returned: always
  type: str
frontends:
  description: The stored frontends, as M(maestro.docker.proxy) returns them; empty without a maestro proxy.
  returned: always
  type: list
  elements: dict
config:
  description: The configuration file's text; empty without a maestro proxy.
  returned: always
  type: str
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("proxy_info")


if __name__ == "__main__":
    main()
