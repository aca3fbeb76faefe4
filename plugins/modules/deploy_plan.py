#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_plan
short_description: Decide what a blue/green deploy or rollback does on every ship
version_added: 0.2.0
description:
  - Reads both colours of the services' instances on every ship of the play at once (a thread per ship), then decides,
    once for all ships, which colour is live and which one comes up per service, which services already run what is
    wanted (a deploy leaves them alone), and what the steps act on. It changes nothing.
  - The live colour is the one the proxy routes to (O(proxy_frontends)); with no frontend yet, blue when blue
    instances run. A deploy brings up the other colour, a rollback goes back to it, and needs it to exist on every ship.
  - The specs come from each ship's C(maestro_deploy_instances), else its C(maestro_instances).
  - The result names instances and colours, never specs, so that no secret of a spec is ever a task result or a fact;
    M(maestro.docker.on_ships) makes the specs where they are used.
  - This is an action that runs on the controller only; the C(maestro.docker.deploy) role runs it.
options:
  action:
    description: V(deploy), V(rollback), or V(releases) (read and list what each colour holds; decide nothing).
    type: str
    choices: [deploy, rollback, releases]
    default: deploy
  services:
    description: The services deployed.
    type: list
    elements: str
    required: true
  frontends:
    description: The proxy's frontends per service, C(maestro_proxy.frontends) of the deploy role.
    type: dict
    required: true
  proxy_frontends:
    description: The frontends the proxy has now, as M(maestro.docker.proxy_info) returns them (their C(colour)).
    type: list
    elements: dict
    default: []
  proxies:
    description:
      - With several proxies, each one's frontends by ship (as M(maestro.docker.proxy_info) returns them), in place of
        O(proxy_frontends). They must all route each service to the same colour, which is then the live one; the task
        fails naming the service, the colours and their ships when they disagree. A proxy with no frontend yet (one just
        added) is left out.
    type: dict
    default: {}
    version_added: 0.2.0
  port_offset:
    description: Green slots publish their host ports shifted by this much.
    type: int
    default: 10000
  tag:
    description: The image tag to deploy instead of the one in the specs.
    type: str
  check_wait:
    description: Seconds the health check added from a frontend's C(health_path) may take to pass.
    type: int
    default: 30
  release:
    description:
      - Rollback, the release to go back to (its id, as M(maestro.docker.instance_info) returns it in C(release)). Default
        the one in the other colour. A release the other colour archived trades places with the one in its slot
        (RV(ships) C(swap)); one in the live colour, or one not kept on every ship, is refused (RV(refusal)).
    type: str
  park_suffix:
    description: The name suffix of the older colour while it is parked.
    type: str
    default: .parked
  canary:
    description:
      - Whether a canary checks this deploy (O(action=deploy)). A canary compares the new colour with the live one, so
        the task fails, before anything starts, when the proxy routes one of the services to no colour yet, and names them.
    type: bool
    default: false
    version_added: 0.2.0
extends_documentation_fragment:
  - maestro.docker.attributes
  - maestro.docker.attributes.info_module
seealso:
  - module: maestro.docker.on_ships
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Decide which colour comes up on every ship
  maestro.docker.deploy_plan:
    services: [web]
    frontends: "{{ maestro_proxy.frontends }}"
    proxy_frontends: "{{ proxy_state.frontends }}"
    tag: v2
  run_once: true
  register: decision
"""

RETURN = r"""
plan:
  description: Per service deployed, C(live) (the colour the proxy routes to, or none), C(new) and C(routed).
  returned: success
  type: dict
up_to_date:
  description:
    - The services a deploy leaves alone, already routed to a live colour that runs what is wanted. The task also says
      so in its output, C(Already deployed as wanted, left alone:) and their names.
  returned: success
  type: list
  elements: str
missing:
  description: Rollback, per ship, the instances of the colour to go back to that no longer exist.
  returned: success
  type: dict
ships:
  description: >-
    Per ship, C(new), C(live), C(parked), C(restore) (left parked by an interrupted run), C(stray) (a container running
    in the new colour's slot, not live, stopped before it is parked) and, for a rollback to a named release, C(swap),
    each a list of colours of instances (C(instance), C(colour), C(wanted), C(suffix), and for a
    deploy's new colour the C(release) it records).
  returned: success
  type: dict
releases:
  description: >-
    Per service, what each colour holds across the ships before the run, the live colour first (C(colour), C(live),
    C(instances), C(running), C(stopped), and C(releases), each with C(id), C(tag), C(time), C(image), C(digest) and
    C(ships)). C(id) is V(null) for containers that no blue/green deploy started.
  returned: success
  type: dict
release_lines:
  description: RV(releases) as lines a person reads.
  returned: success
  type: list
  elements: str
refusal:
  description: Why a rollback cannot go on, naming ships and instances; V(null) when it can.
  returned: success
  type: str
release:
  description: >-
    The release a deploy starts (C(id), C(time), C(tag)), recorded in the labels of every container of the new colour;
    V(null) for a rollback or a deploy with nothing to do.
  returned: success
  type: dict
frontends:
  description: The proxy frontends that route each planned service to its new colour.
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import controller_only_main

# The one declaration of the options: the action plugin (plugins/action/deploy_plan.py), which does the work, validates with it.
ARGUMENT_SPEC = {
    "action": {"type": "str", "choices": ["deploy", "rollback", "releases"], "default": "deploy"},
    "services": {"type": "list", "elements": "str", "required": True},
    "frontends": {"type": "dict", "required": True},
    "proxy_frontends": {"type": "list", "elements": "dict", "default": []},
    "proxies": {"type": "dict", "default": {}},
    "port_offset": {"type": "int", "default": 10000},
    "tag": {"type": "str"},
    "check_wait": {"type": "int", "default": 30},
    "park_suffix": {"type": "str", "default": ".parked"},
    "release": {"type": "str"},
    "canary": {"type": "bool", "default": False},
}


def main():
    controller_only_main("deploy_plan", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
