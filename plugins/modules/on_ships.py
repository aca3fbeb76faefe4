#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: on_ships
short_description: Run one of the collection's Docker modules on several ships at once, from the controller
version_added: 0.2.0
description:
  - Runs the code of one of the collection's Docker modules for every ship named in O(ships), each with its own
    arguments and its own connection (the ship's C(maestro_docker)), a thread per ship, and returns when every ship
    has finished. It is one task, run once, where a per-host task would cost Ansible a worker per ship.
  - Ships outside the play (C(--limit)) and ships with nothing to do are left out; a ship that failed earlier in the
    play is not, so that the undo of a failed step reaches every ship it acted on. A line says what each ship did.
  - The task fails when the module failed on any ship; RV(failures) has each ship's message.
  - An element of C(instances) may be an instance name, the spec of that name in the ship's C(maestro_instances), or a
    colour of one (see O(colours)).
  - This is an action that runs on the controller only; the C(maestro.docker.deploy) role runs its steps with it.
options:
  module:
    description:
      - The module whose code runs on each ship (one step). Give O(module) or O(steps).
    type: str
    choices: [floating_address, image_pull, instance, instance_check, instance_clean, instance_info, instance_logs, instance_rename, proxy, proxy_info]
  steps:
    description:
      - Several steps, each a module with its own O(steps[].options) and O(steps[].take), run in turn from this one task,
        each on every ship at once, the next starting when every ship has finished the one before (the barrier). A step
        that fails on any ship ends the task after that step, or after its group of steps without a barrier (see
        O(steps[].barrier)). Give O(module) or O(steps).
      - One task for several steps reads each ship's variables and specs, and connects to its Docker daemon, once for all
        of them. The other options (O(ships), O(colours), O(only_ships), O(outside_play), O(unreachable)) are common to
        every step.
    type: list
    elements: dict
    default: []
    suboptions:
      module:
        description: The module of the step, as O(module).
        type: str
        required: true
        choices: [floating_address, image_pull, instance, instance_check, instance_clean, instance_info, instance_logs, instance_rename, proxy, proxy_info]
      label:
        description: What the step is called, as O(label); each step needs its own. Default, the module's name.
        type: str
      take:
        description: As O(take), for this step.
        type: dict
        default: {}
      options:
        description: As O(options), for this step.
        type: dict
        default: {}
      barrier:
        description:
          - V(false) lets each ship go on to this step as soon as its own part of the step before has finished, without
            waiting for the other ships; a ship whose part of the step before failed (or that was left out as
            unreachable) does not take it, while the other ships go on through the group. The task then fails naming
            every ship that failed, each with its step's message. For a step that acts only on what the same ship's
            step before left, such as keeping a ship's releases once its old colour has stopped. The step after the
            group waits for every ship again. Each step's summary line comes once every ship is through the group.
        type: bool
        default: true
  ships:
    description: Per ship (an inventory host with C(maestro_docker)), the module's arguments of that ship, such as C(instances).
    type: dict
    required: true
  options:
    description: The module's arguments common to every ship.
    type: dict
    default: {}
  label:
    description: What the step is called in the line it prints. Default, the module's name.
    type: str
  only_ships:
    description:
      - Act only on these ships of O(ships), for example the RV(done_ships) of an earlier step (the undo of a failed
        deploy acts only where the step it undoes was done). Default, every ship of O(ships).
    type: list
    elements: str
  outside_play:
    description:
      - Act also on the ships of O(ships) that are not hosts of the play (C(--limit) left them out), as long as they are
        hosts of the inventory with C(maestro_docker); for example the proxies and lock ships of the C(maestro.docker.deploy)
        role, which may run on hosts that the play does not deploy to.
    type: bool
    default: false
  unreachable:
    description:
      - What a ship that cannot be reached at all (its Docker daemon refuses the connection, does not answer, or the network
        to it is down) does to the task. V(fail) fails the task, as any other failure, naming the ship.
      - V(skip) leaves it out with a warning that names it; it is in RV(skipped_ships), not in RV(failed_ships). A ship
        whose daemon answered with an error fails the task in either case.
    type: str
    choices: [fail, skip]
    default: fail
  take:
    description:
      - "Take each ship's arguments from keys of its entry in O(ships), module argument to key, for example
        C({instances: new}) with the C(ships) that M(maestro.docker.deploy_plan) returns. Default, each entry is the
        ship's arguments."
    type: dict
    default: {}
  colours:
    description:
      - How a colour of an instance is made, for the elements of C(instances) given as one (C(instance), C(colour),
        C(wanted), C(suffix), as the C(maestro.docker.deploy_plan) action returns them). C(frontends) (the
        C(maestro_proxy) frontends), C(port_offset), C(tag), C(check_wait), as the deploy role's options.
      - The specs are made here, from the ship's own (its C(maestro_deploy_instances), else its C(maestro_instances)), so
        that no spec and no secret of one is ever a task result or a fact.
    type: dict
    default: {}
extends_documentation_fragment:
  - maestro.docker.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details: As idempotent as the module it runs.
seealso:
  - module: maestro.docker.run_plan
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Stop web-1 on ship1 and web-2 on ship2 at once
  maestro.docker.on_ships:
    module: instance
    ships:
      ship1: {instances: [web-1]}
      ship2: {instances: [web-2]}
    options: {state: stopped}
  run_once: true

- name: Pull the image on every ship, then start web-1 and web-2 once every ship has it
  maestro.docker.on_ships:
    ships:
      ship1: {images: [registry.example.com/web:v2], instances: [web-1]}
      ship2: {images: [registry.example.com/web:v2], instances: [web-2]}
    steps:
      - {label: pull, module: image_pull, take: {images: images}}
      - {label: start, module: instance, take: {instances: instances}, options: {state: started}}
  run_once: true
"""

RETURN = r"""
ships:
  description: Each ship's result, that of the module.
  returned: with O(module)
  type: dict
steps:
  description:
    - With O(steps), each step's result by its label, as the task's result with O(module) (RV(ships), RV(done_ships),
      RV(failed_ships)...), for the steps that ran (in a group without a barrier, each step of the group, also one
      that no ship reached).
  returned: with O(steps)
  type: dict
done_ships:
  description: The ships where the module ran and did not fail (with O(steps), where every step ran and did not fail).
  returned: always
  type: list
  elements: str
failed_ships:
  description: The ships where the module failed.
  returned: always
  type: list
  elements: str
unreachable_ships:
  description: The ships that could not be reached (failed, or skipped with O(unreachable=skip)).
  returned: always
  type: list
  elements: str
skipped_ships:
  description: The ships left out with O(unreachable=skip) since they could not be reached.
  returned: always
  type: list
  elements: str
failures:
  description: Each failed ship's message, by ship (with O(steps), of the step that failed).
  returned: always
  type: dict
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import controller_only_main

# The one declaration of the options: the action plugin (plugins/action/on_ships.py), which does the work, validates with it.
MODULES = [
    "floating_address",
    "image_pull",
    "instance",
    "instance_check",
    "instance_clean",
    "instance_info",
    "instance_logs",
    "instance_rename",
    "proxy",
    "proxy_info",
]
ARGUMENT_SPEC = {
    "module": {"type": "str", "choices": MODULES},
    "steps": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "module": {"type": "str", "required": True, "choices": MODULES},
            "label": {"type": "str"},
            "take": {"type": "dict", "default": {}},
            "options": {"type": "dict", "default": {}},
            "barrier": {"type": "bool", "default": True},
        },
    },
    "outside_play": {"type": "bool", "default": False},
    "unreachable": {"type": "str", "choices": ["fail", "skip"], "default": "fail"},
    "ships": {"type": "dict", "required": True},
    "options": {"type": "dict", "default": {}},
    "label": {"type": "str"},
    "colours": {"type": "dict", "default": {}},
    "take": {"type": "dict", "default": {}},
    "only_ships": {"type": "list", "elements": "str"},
}


def main():
    controller_only_main("on_ships", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
