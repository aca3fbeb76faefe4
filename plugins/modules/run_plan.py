#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: run_plan
short_description: Carry out a maestro plan on every ship of the play at once, from the controller
version_added: 0.2.0
description:
  - Runs the steps of a plan made by the C(maestro.docker.plan) filter (pull, start, stop, kill, clean, status, logs) on every ship of
    the play at once, a thread per ship, and each step finished on every ship before the next one starts. A step that
    fails on any ship ends the run after that step, and the message names each ship and instance that failed.
  - One task, run once, for all ships. Each ship's part is the code of the per-host module
    (M(maestro.docker.image_pull), M(maestro.docker.instance), M(maestro.docker.instance_clean), M(maestro.docker.instance_info),
    M(maestro.docker.instance_logs)), with the ship's
    connection from its C(maestro_docker) and its specs from its C(maestro_instances), link variables added.
  - Ships outside the play (C(--limit), or failed earlier) are left out. A line per finished step says what each ship did.
  - This is an action that runs on the controller only; it is what the C(maestro.docker.orchestrate) role runs.
options:
  plan:
    description: The plan, as the C(maestro.docker.plan) filter returns it (its C(steps) and C(command) are used).
    type: dict
    required: true
  reuse:
    description: Start stopped containers again instead of replacing them (maestro-ng's C(--reuse)).
    type: bool
    default: false
  refresh_images:
    description: Pull the image before starting even when it is there (maestro-ng's C(--refresh-images)).
    type: bool
    default: false
  stop_timeout:
    description: Seconds a container may take to stop before it is killed; default each spec's C(stop_timeout).
    type: raw
  concurrency:
    description: Containers acted on at once per ship; default all of the step's.
    type: int
  step_delay:
    description: Seconds between the chunks of a rolling restart.
    type: int
    default: 0
  stop_start_delay:
    description: Seconds between stopping and starting in a restart.
    type: int
    default: 0
  recreate:
    description:
      - For V(start) steps, which containers to replace, as M(maestro.docker.instance)'s O(maestro.docker.instance#module:recreate).
      - Default V(never) with O(reuse), V(always) for a restart, else V(stopped).
    type: str
    choices: [never, stopped, changed, always]
  probe_ports:
    description: For V(status) steps, whether to probe each published port (maestro-ng's C(status -F)).
    type: bool
    default: false
  lines:
    description: For V(logs) steps, the number of lines.
    type: int
    default: 100
  registries:
    description: Registry credentials, C(maestro_registries) of the ships inventory; passwords never appear in the output.
    type: dict
    default: {}
  only_changed:
    description:
      - First ask every ship, in check mode, which of the plan's instances a start would change (spec drifted, not
        running, or, when the plan pulls or O(refresh_images), a newer image in the registry), then carry out the plan
        for those only, in the plan's order (maestro-ng's C(--only-if-changed)).
      - The run's result has the plan kept to them in RV(plan).
    type: bool
    default: false
  show_plan:
    description: Print the plan, each step with its ships and instances, before carrying it out (after O(only_changed)).
    type: bool
    default: false
extends_documentation_fragment:
  - maestro.docker.attributes
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
- name: Plan maestro start
  ansible.builtin.set_fact:
    start_plan: "{{ hostvars | maestro.docker.plan('start') }}"
  run_once: true

- name: Start every instance, dependencies first, on every ship at once
  maestro.docker.run_plan:
    plan: "{{ start_plan }}"
    registries: "{{ maestro_registries }}"
  run_once: true
"""

RETURN = r"""
steps:
  description: Per step carried out, its action and each ship's result (that of the per-host module).
  returned: always
  type: list
  elements: dict
failed_ships:
  description: The ships on which the last step failed.
  returned: always
  type: list
  elements: str
failures:
  description: Each failed ship's message, by ship.
  returned: always
  type: dict
plan:
  description: The plan carried out; with O(only_changed), kept to the instances that changed.
  returned: success
  type: dict
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import controller_only_main

# The one declaration of the options: the action plugin (plugins/action/run_plan.py), which does the work, validates with it.
ARGUMENT_SPEC = {
    "plan": {"type": "dict", "required": True},
    "reuse": {"type": "bool", "default": False},
    "refresh_images": {"type": "bool", "default": False},
    "stop_timeout": {"type": "raw"},
    "concurrency": {"type": "int"},
    "step_delay": {"type": "int", "default": 0},
    "stop_start_delay": {"type": "int", "default": 0},
    "recreate": {"type": "str", "choices": ["never", "stopped", "changed", "always"]},
    "probe_ports": {"type": "bool", "default": False},
    "lines": {"type": "int", "default": 100},
    "registries": {"type": "dict", "default": {}, "no_log": False},
    "only_changed": {"type": "bool", "default": False},
    "show_plan": {"type": "bool", "default": False},
}


def main():
    controller_only_main("run_plan", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
