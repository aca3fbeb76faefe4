#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_inputs
short_description: Check the options of the deploy role and work out what its steps need
version_added: 0.2.0
description:
  - The first task of the C(maestro.docker.deploy) role. It validates the role's options (its variables) against the
    role's argument spec, as M(ansible.builtin.validate_argument_spec) does, once for every ship.
  - It then works out, once, what the steps need (the services, the proxies and their ships, the lock, the colours)
    and checks the options against each other and the inventory (proxy and lock hosts with C(maestro_docker), a
    frontend for every service, the canary's steps). It fails naming every input error at once, each with what to do.
  - It changes nothing and asks no Docker daemon. It runs on the controller only.
options:
  role_path:
    description: The deploy role's path, whose C(meta/argument_specs.yml) holds the options. Default the task's C(role_path).
    type: path
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Check the options and work out the services, the proxy and the lock
  maestro.docker.deploy_inputs:
  run_once: true
  register: _deploy_inputs
"""

RETURN = r"""
services:
  description: The services deployed (C(maestro_deploy_services), else those with a frontend in C(maestro_proxy)).
  returned: success
  type: list
  elements: str
proxy_hosts:
  description: The hosts of the proxies.
  returned: success
  type: list
  elements: str
proxy_ships:
  description: The proxies as M(maestro.docker.on_ships) takes them, host -> C(name).
  returned: success
  type: dict
lock_hosts:
  description: The hosts the deploy lock is taken on (a majority of them holds it).
  returned: success
  type: list
  elements: str
steps:
  description: The steps file of the role, C(blue_green), C(rollback), C(releases) or C(stop_start).
  returned: success
  type: str
colours:
  description: How the steps make each colour's specs (C(frontends), C(port_offset), C(tag), C(check_wait)).
  returned: success
  type: dict
canary_steps:
  description: The canary's steps, checked; empty without a canary.
  returned: success
  type: list
  elements: dict
input_errors:
  description: Every input error, when the task fails on them.
  returned: failure
  type: list
  elements: str
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import controller_only_main

ARGUMENT_SPEC = {"role_path": {"type": "path"}}


def main():
    controller_only_main("deploy_inputs", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
