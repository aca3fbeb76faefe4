# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# maestro.docker.quorum_lock: the deploy lock on several ships at once, held on a quorum of them (plugin_utils/_quorum.py).

from __future__ import annotations

import os

from ansible import context

from ansible_collections.maestro.docker.plugins.action.lock import controller_pid, playbooks_text
from ansible_collections.maestro.docker.plugins.module_utils._docker import lock as _lock
from ansible_collections.maestro.docker.plugins.modules.quorum_lock import ARGUMENT_SPEC
from ansible_collections.maestro.docker.plugins.plugin_utils import _quorum
from ansible_collections.maestro.docker.plugins.plugin_utils._engine import on_every_ship
from ansible_collections.maestro.docker.plugins.plugin_utils._ships import ShipsAction, ShipVars


class ActionModule(ShipsAction):
    """Take or release the lock of module ``lock`` on every ship at once; held on a quorum of them."""

    NAME = "quorum_lock"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, task_vars: dict, result: dict, ships: ShipVars, args: dict) -> dict:
        names = list(dict.fromkeys(map(str, args["ships"])))
        try:
            quorum = _quorum.needed(args["quorum"], len(names))
        except _quorum.QuorumError as exc:
            return {**result, "failed": True, "changed": False, "msg": f"Deploy lock {args['name']}: {exc}"}
        for ship in names:
            ships.connection(ship)  # read here, in this thread: the ships' threads only make Docker calls
        check_mode = bool(self._task.check_mode)
        params = {key: args[key] for key in ("name", "state", "who", "what", "force", "wait", "ttl")}
        params["token"] = args["token"] or (_lock.new_token() if args["state"] == "present" else None)
        if args["state"] == "present":
            # the holder as the controller knows it (the lock action's own defaults), the same on every ship
            params["who"] = params["who"] or _lock.default_who()
            params["pid"] = controller_pid()
            params["playbook"] = playbooks_text(context.CLIARGS.get("args"), os.getcwd())

        def execute(_label, ship, own):
            return ships.execute("lock", ship, own, check_mode=check_mode, diff=False)

        results = on_every_ship("lock", dict.fromkeys(names, {k: v for k, v in params.items() if v is not None}), execute)
        warnings = [w for ship in sorted(results) for w in results[ship].get("warnings") or []]
        outcome = {"quorum": quorum, "ships": results, "lock": None, "broken": None, "taken_over": None, "previous_holder": None}
        if args["state"] == "absent":
            done = _quorum.released(args["name"], results)
            outcome.update(changed=any(r.get("changed") for r in results.values()), held_on=done["released"], unreachable_ships=done["unreachable"])
            warnings += done["warnings"]
            if not done["ok"]:
                outcome.update(failed=True, msg=done["msg"])
            return self._finish(result, outcome, warnings, ships)
        done = _quorum.taken(args["name"], results, quorum)
        outcome.update(held_on=done["held"] if done["ok"] else [], unreachable_ships=done["unreachable"])
        replaced = next((results[ship] for ship in done["held"] if results[ship].get("previous_holder")), None)
        if replaced:
            outcome.update({key: replaced.get(key) for key in ("broken", "taken_over", "previous_holder")})
        if done["ok"]:
            first = results[done["held"][0]]["lock"]
            outcome.update(changed=True, lock={**first, "ship": ", ".join(done["held"])})
            return self._finish(result, outcome, warnings + done["warnings"], ships)
        if done["held"] and not check_mode:
            # fewer than the quorum: give back what this run took, so that it blocks no one
            back = {**params, "state": "absent", "force": False}
            given = on_every_ship("unlock", dict.fromkeys(done["held"], {k: v for k, v in back.items() if v is not None}), execute)
            kept = [ship for ship, r in sorted(given.items()) if r.get("failed")]
            if kept:
                done["msg"] += f"; giving it back failed on {', '.join(kept)}: " + "; ".join(str(given[s].get("msg")) for s in kept)
        holder = next((results[ship].get("holder") for ship in sorted(results) if results[ship].get("holder")), None)
        outcome.update(changed=False, failed=True, msg=done["msg"], holder=holder)
        return self._finish(result, outcome, warnings, ships)

    def _finish(self, result: dict, outcome: dict, warnings: list, ships: ShipVars) -> dict:
        if warnings:
            result["warnings"] = list(dict.fromkeys(warnings))
        for ship_result in outcome["ships"].values():
            ship_result.pop("warnings", None)
            ship_result.pop("exception", None)
        result.update(ships.hide(outcome))
        return result
