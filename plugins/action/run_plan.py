# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# maestro.docker.run_plan: the steps of a plan on every ship of the play at once, from one controller-side task.

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.modules.run_plan import ARGUMENT_SPEC
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import only_changed, plan_lines
from ansible_collections.maestro.docker.plugins.plugin_utils._engine import STEP_MODULES, run_steps, step_line, step_options
from ansible_collections.maestro.docker.plugins.plugin_utils._ships import ShipsAction, ShipVars, display, play_ships, ship_diffs, step_report


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
                    wanted.setdefault(ship, {}).update(dict.fromkeys(names))  # an instance may be in several steps
        wanted = {ship: list(names) for ship, names in wanted.items()}
        ships.prepare(wanted)

        if args["only_changed"]:
            found = self._changed(ships, plan, options, wanted)
            if found.get("failed"):
                # nothing was carried out: no step, no ship changed (report.yml marks changed_ships), each failed ship fails
                return {**result, **ships.hide({**found, "changed": False, "changed_ships": [], "steps": [], "probe": found["steps"]})}
            plan = only_changed(plan, found["changed"])
            steps = plan["steps"]
        if args["show_plan"]:
            delays = {"step": args["step_delay"], "stop_start": args["stop_start_delay"]}
            display.display("\n".join(plan_lines(plan, delays, check_mode)))

        def execute(action, ship, names):
            module = STEP_MODULES[action]
            return ships.execute(module, ship, step_options(action, ships.specs(ship, names), options), check_mode=check_mode, diff=diff)

        report, ship_done = step_report(len(steps), check_mode)
        outcome = run_steps(steps, play_ships(task_vars), execute, options=options, check_mode=check_mode, report=report, ship_done=ship_done)
        if diff:
            outcome["diff"] = ship_diffs([(step["action"], step["ships"]) for step in outcome["steps"]])
        result.update(ships.hide(outcome))
        result["plan"] = plan
        return result

    @staticmethod
    def _changed(ships: ShipVars, plan: dict, options: dict, wanted: dict) -> dict:
        """Which of the plan's instances a start would change (recreate=changed, asked in check mode on every ship at
        once): spec drifted, not running, or, when the plan pulls or images are refreshed, a newer image in the
        registry. ``changed``: their names; on a failure, the run's result with ``failed``."""
        refresh = bool(options.get("refresh_images")) or any(step["action"] == "pull" for step in plan["steps"])
        probe = {**options, "recreate": "changed", "refresh_images": refresh}

        def execute(_action, ship, names):
            opts = step_options("start", ships.specs(ship, names), probe)
            return ships.execute("instance", ship, opts, check_mode=True, diff=False, chain=False)

        def report(_index, _step, results, seconds):
            display.display(step_line("find what changed", results, seconds, check_mode=True))

        step = {"action": "start", "label": "find what changed", "ships": wanted, "delay": None}
        found = run_steps([step], sorted(wanted), execute, options=probe, check_mode=True, report=report)
        if found.get("failed"):
            return found
        results = found["steps"][0]["ships"] if found["steps"] else {}
        changed = [item["name"] for outcome in results.values() for item in outcome.get("instances") or [] if item.get("changed")]
        return {"changed": changed}
