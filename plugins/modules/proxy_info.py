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
  stats:
    description:
      - Also read HAProxy's statistics from the proxy's statistics listener (O(maestro.docker.proxy#module:stats)) and
        return those of the servers of its frontends in RV(stats).
      - They are read over HTTP from the controller (or wherever the module runs), at O(stats_address), else the
        address the listener binds, else the ship's address in O(docker_host) (V(127.0.0.1) for a local socket).
      - HAProxy's counters start at zero in each worker, so after a reload (any change of the configuration,
        weights included) they count from that reload.
    type: bool
    default: false
    version_added: 0.2.0
  stats_address:
    description:
      - Address to read the statistics at; see O(stats).
    type: str
    version_added: 0.2.0
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

- name: Read the counters of the proxy's servers, per colour
  maestro.docker.proxy_info:
    docker_host: tcp://10.0.0.11:2375
    stats: true
  register: counters

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
stats_listener:
  description: The proxy's statistics listener, C({port, address}); null without one.
  returned: always
  type: dict
  version_added: 0.2.0
stats_url:
  description: Where the statistics were read.
  returned: when O(stats=true)
  type: str
  sample: http://10.0.0.11:8404/stats;csv
  version_added: 0.2.0
stats:
  description:
    - HAProxy's statistics of each server of the proxy's frontends, with its C(frontend), C(server) and C(colour)
      (the server's colour, else its frontend's), and HAProxy's counters by their names in its CSV (management guide,
      section 9.1), for example C(req_tot) (requests), C(hrsp_5xx) (5xx responses), C(econ) (connection errors),
      C(eresp) (response errors), C(wredis) (requests sent to another server), C(rtime) (average response time in ms
      over the last 1024 requests), C(weight) and C(status). A counter HAProxy leaves empty is null.
  returned: when O(stats=true)
  type: list
  elements: dict
  version_added: 0.2.0
  sample:
    - {frontend: web, server: web-1-green, colour: green, status: UP, weight: 10, req_tot: 52, hrsp_2xx: 41, hrsp_5xx: 11, econ: 0, eresp: 0, rtime: 3}
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("proxy_info")


if __name__ == "__main__":
    main()
