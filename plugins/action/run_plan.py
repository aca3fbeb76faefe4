# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# maestro.docker.run_plan: the steps of a plan on every ship of the play at once, from one controller-side task.

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.modules.run_plan import ARGUMENT_SPEC
from ansible_collections.maestro.docker.plugins.plugin_utils._engine import STEP_MODULES, run_steps, step_options
from ansible_collections.maestro.docker.plugins.plugin_utils._ships import ShipsAction, ShipVars, play_ships, ship_diffs, step_report


class ActionModule(ShipsAction):
    """Carry out a plan of the ``maestro.docker.plan`` filter: each step on every ship at once (plugin_utils/_engine.py)."""

    NAME = "run_plan"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, task_vars: dict, result: dict, ships: ShipVars, args: dict) -> dict:
        plan = args["plan"]
        steps = plan.get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, dict) and s.get("action") in STEP_MODULES and isinstance(s.get("ships"), dict) for s in steps):
            return {**result, "failed": True, "changed": False, "msg": f"maestro.docker.run_plan: plan.steps must be steps of {', '.join(STEP_MODULES)}"}
        options = {**args, "restart": plan.get("command") == "restart"}
        check_mode, diff = bool(self._task.check_mode), bool(self._task.diff)
        in_play = set(play_ships(task_vars))
        wanted = {}
        for step in steps:
            for ship, names in step["ships"].items():
                if ship in in_play:
                    wanted.setdefault(ship, []).extend(names)
        ships.prepare(wanted)

        def execute(action, ship, names):
            module = STEP_MODULES[action]
            return ships.execute(module, ship, step_options(action, ships.specs(ship, names), options), check_mode=check_mode, diff=diff)

        report, ship_done = step_report(len(steps))
        outcome = run_steps(steps, play_ships(task_vars), execute, options=options, check_mode=check_mode, report=report, ship_done=ship_done)
        if diff:
            outcome["diff"] = ship_diffs([(step["action"], step["ships"]) for step in outcome["steps"]])
        result.update(ships.hide(outcome))
        return result
