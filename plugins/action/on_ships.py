# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# maestro.docker.on_ships: one of the collection's Docker modules on several ships at once, from one controller-side task.

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail

from ansible_collections.maestro.docker.plugins.modules.on_ships import ARGUMENT_SPEC
from ansible_collections.maestro.docker.plugins.plugin_utils import _bluegreen
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import natural
from ansible_collections.maestro.docker.plugins.plugin_utils._engine import (
    done_verb,
    on_every_ship,
    on_every_ship_in_turn,
    ship_line,
    step_line,
    summarize_failures,
)
from ansible_collections.maestro.docker.plugins.plugin_utils._ships import ShipsAction, ShipVars, display, play_ships, ship_diffs

# the lists of ships of a step's outcome that the task's result gathers over all its steps
SHIP_LISTS = ("failed_ships", "unreachable_ships", "skipped_ships")


class ActionModule(ShipsAction):
    """Run a module on every ship of ``ships`` at once, each with its own arguments (plugin_utils/_engine.py)."""

    NAME = "on_ships"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, task_vars: dict, result: dict, ships: ShipVars, args: dict) -> dict:
        if bool(args["module"]) == bool(args["steps"]):
            raise AnsibleActionFail("maestro.docker.on_ships: give module (one step) or steps (several, in turn), not both and not neither")
        if not args["steps"]:
            outcome = self.step(task_vars, ships, args, args)
            result.update(ships.hide(outcome))
            return result
        # several steps from one task: each ship's variables, specs and Docker connection are read once for all of them
        labels = [step["label"] or step["module"] for step in args["steps"]]
        if len(set(labels)) != len(labels):
            raise AnsibleActionFail(f"maestro.docker.on_ships: each of steps needs a label of its own (got {', '.join(labels)})")
        done: dict = {}
        # a step with barrier false joins the one before it: each ship goes on to it without waiting for the others
        groups: list = []
        for label, step in zip(labels, args["steps"], strict=True):
            if groups and not step["barrier"]:
                groups[-1].append((label, step))
            else:
                groups.append([(label, step)])
        for group in groups:
            if len(group) == 1:
                [(label, step)] = group
                done[label] = self.step(task_vars, ships, args, {**step, "label": label})
            else:
                done.update(self.steps_in_turn(task_vars, ships, args, group))
                label = group[-1][0]
            if any(done[label].get("failed") for label, _step in group):
                break
        last = done[label]
        # in a group of steps taken in turn, ships may fail at different steps: each is named, with its step's message
        failed = {lab: step for lab, step in done.items() if step.get("failed")}
        outcome = {
            "changed": any(step.get("changed") for step in done.values()),
            "steps": done,
            "done_ships": last["done_ships"] if len(done) == len(labels) and not failed else [],
            **{key: sorted({ship for step in done.values() for ship in step[key]}, key=natural) for key in SHIP_LISTS},
            "failures": {ship: msg for step in done.values() for ship, msg in step["failures"].items()},
        }
        warnings = [warning for step in done.values() for warning in step.pop("warnings", None) or []]
        if warnings:
            outcome["warnings"] = warnings
        if failed:
            outcome.update(failed=True, msg="; ".join(f"{lab.capitalize()}: {step['msg']}" for lab, step in failed.items()))
        if self._task.diff:
            outcome["diff"] = [diff for step in done.values() for diff in step.get("diff") or []]
        result.update(ships.hide(outcome))
        return result

    def step(self, task_vars: dict, ships: ShipVars, args: dict, step: dict) -> dict:
        """One step (``step``: module, label, take, options) on every ship of ``args["ships"]`` at once: its outcome."""
        label, wanted, execute, done = self._prepare(task_vars, ships, args, step)
        started = time.monotonic()
        results = on_every_ship(label, wanted, execute, done)
        return self._outcome(args, label, results, time.monotonic() - started)

    def steps_in_turn(self, task_vars: dict, ships: ShipVars, args: dict, group: list) -> dict:
        """Steps without a barrier between them (``group``: (label, step) pairs): each ship takes them in turn, going on
        without waiting for the other ships; their outcomes by label, those of steps no ship reached included."""
        prepared = [self._prepare(task_vars, ships, args, {**step, "label": label}) for label, step in group]
        results, seconds = on_every_ship_in_turn(prepared)
        return {label: self._outcome(args, label, found, took) for (label, *_rest), found, took in zip(prepared, results, seconds, strict=True)}

    def _prepare(self, task_vars: dict, ships: ShipVars, args: dict, step: dict) -> tuple:
        """A step's label, each ship's arguments (the ships it acts on), its execute(action, ship, own) and the progress
        line each ship prints as its part finishes."""
        module, options, label = step["module"], step["options"] or {}, step["label"] or step["module"]
        # every ship of the play, also one that failed: the undo of a failed step must reach the ships it acted on
        in_play = set(play_ships(task_vars, failed_too=True)) | (set(map(str, args["ships"])) if args["outside_play"] else set())
        if args["only_ships"] is not None:
            in_play &= set(args["only_ships"])
        take = step["take"]
        entries = {str(ship): ({arg: (entry or {}).get(key) for arg, key in take.items()} if take else entry) for ship, entry in args["ships"].items()}
        in_order = sorted(entries.items(), key=lambda item: natural(item[0]))
        wanted = {ship: own for ship, own in in_order if ship in in_play and isinstance(own, dict) and any(own.values())}
        check_mode, diff = bool(self._task.check_mode), bool(self._task.diff)

        for ship, own in wanted.items():
            if isinstance(own.get("instances"), list):
                # names are the ship's specs; specs as the inventory published them get their link variables
                items = [_resolve(item, ships, ship, args["colours"]) for item in own["instances"]]
                names = [item for item in items if isinstance(item, str)]
                by_name = dict(zip(names, ships.specs(ship, names), strict=True))
                completed = iter(ships.complete([item for item in items if not isinstance(item, str)]))
                wanted[ship] = {**own, "instances": [by_name[item] if isinstance(item, str) else next(completed) for item in items]}
            ships.connection(ship)

        def execute(_action, ship, own):
            return ships.execute(module, ship, {**options, **own}, check_mode=check_mode, diff=diff)

        verb = done_verb(module, options)

        def done(_action, ship, outcome, seconds):
            line = ship_line(label, verb, ship, outcome, seconds, check_mode=check_mode)
            if line:
                display.display(line)  # as each ship finishes: a long step shows its progress

        return label, wanted, execute, done

    def _outcome(self, args: dict, label: str, results: dict, seconds: float) -> dict:
        """A step's outcome from each ship's result: where it was done, failed or skipped, and why."""
        check_mode, diff = bool(self._task.check_mode), bool(self._task.diff)
        unreachable = [ship for ship, outcome in results.items() if outcome.get("failed") and outcome.get("unreachable")]
        skipped = unreachable if args["unreachable"] == "skip" else []
        failed = [ship for ship, outcome in results.items() if outcome.get("failed") and ship not in skipped]
        if results:
            display.display(step_line(label, results, seconds, skipped, check_mode))
        outcome = {
            "changed": any(r.get("changed") for r in results.values()),
            "ships": results,
            "done_ships": [ship for ship in results if ship not in failed and ship not in skipped],
            "failed_ships": failed,
            "unreachable_ships": unreachable,
            "skipped_ships": skipped,
            "failures": {ship: _failure(label, ship, results[ship], ship in unreachable) for ship in failed},
        }
        for ship in skipped:
            outcome.setdefault("warnings", []).append(f"{label}: ship {ship} cannot be reached, skipped (unreachable=skip): {results[ship].get('msg')}")
        if failed:
            said = {ship: {"failed": True, "msg": outcome["failures"][ship]} if ship in unreachable else results[ship] for ship in failed}
            outcome.update(failed=True, msg=summarize_failures(said))
            if display.verbosity < 2:
                # a failed step's result is printed whole: each ship's state, its message in failures (every instance's at -vv)
                outcome["ships"] = {ship: {"changed": bool(r.get("changed")), "failed": bool(r.get("failed"))} for ship, r in results.items()}
        if diff:
            outcome["diff"] = ship_diffs([(label, results)])
        return outcome


def _failure(label: str, ship: str, result: dict, unreachable: bool) -> str:
    """A ship's failure: each cause once, naming the instances that failed the same way (or that the ship was not reached)."""
    if not result.get("msg"):
        return f"{label} failed"
    return f"{label}: ship {ship} cannot be reached: {result['msg']}" if unreachable else summarize_failures({ship: result})


def _resolve(item, ships: ShipVars, ship: str, colours: dict):
    """An instance given as a colour of an instance (``_bluegreen.ref``) becomes that colour's spec; others stay."""
    if not (isinstance(item, dict) and "colour" in item and "instance" in item):
        return item
    spec = ships.deploy_spec(ship, str(item["instance"]))
    try:
        return _bluegreen.resolve(
            item,
            spec,
            colours.get("frontends") or {},
            port_offset=int(colours.get("port_offset", 10000)),
            tag=colours.get("tag") or None,
            check_wait=int(colours.get("check_wait", 30)),
        )
    except _bluegreen.BlueGreenError as exc:
        raise AnsibleActionFail(str(exc)) from None
