# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# maestro.docker.deploy_plan: read both colours on every ship at once, then decide what a blue/green run does.

from __future__ import annotations

import datetime
import secrets

from ansible_collections.maestro.docker.plugins.modules.deploy_plan import ARGUMENT_SPEC
from ansible_collections.maestro.docker.plugins.plugin_utils import _bluegreen
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import natural
from ansible_collections.maestro.docker.plugins.plugin_utils._engine import on_every_ship
from ansible_collections.maestro.docker.plugins.plugin_utils._ships import ShipsAction, ShipVars, display, play_ships


class ActionModule(ShipsAction):
    """The blue/green decisions (plugin_utils/_bluegreen.py: candidates, decide) over what every ship runs."""

    NAME = "deploy_plan"
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, task_vars: dict, result: dict, ships: ShipVars, args: dict) -> dict:
        options = {"port_offset": args["port_offset"], "tag": args["tag"] or None, "check_wait": args["check_wait"]}
        services = set(args["services"])
        specs_by_ship = {}
        for ship in play_ships(task_vars):
            mine = [spec for spec in ships.deploy_specs(ship).values() if isinstance(spec, dict) and spec.get("service") in services]
            if mine:
                specs_by_ship[ship] = ships.complete(mine)
                ships.connection(ship)
        try:
            # several proxies: the live colour is the one they all route to (a proxy added since has no frontend yet)
            proxy_frontends = _bluegreen.agreed_frontends(_bluegreen.proxies_read(args["proxies"])) if args["proxies"] else args["proxy_frontends"]
            read = _bluegreen.candidates(specs_by_ship, sorted(services), args["frontends"], park_suffix=args["park_suffix"], **options)
        except _bluegreen.BlueGreenError as exc:
            return {**result, "failed": True, "changed": False, "msg": str(exc)}

        def execute(_label, ship, specs):
            archived = args["action"] == "releases" or bool(args["action"] == "rollback" and args["release"])
            options = {"instances": specs, "probe_ports": False, "archived": archived}
            return ships.execute("instance_info", ship, options, check_mode=True, diff=False)

        found = on_every_ship("read", read, execute)
        failed = {ship: outcome.get("msg") for ship, outcome in found.items() if outcome.get("failed")}
        if failed:
            msg = "; ".join(dict.fromkeys(map(str, failed.values())))
            return ships.hide({**result, "failed": True, "changed": False, "failed_ships": sorted(failed, key=natural), "msg": msg})
        infos_by_ship = {ship: outcome.get("instances") or [] for ship, outcome in found.items()}
        held = _bluegreen.releases(read, infos_by_ship, proxy_frontends, services, args["park_suffix"])
        result.update(releases=held, release_lines=_bluegreen.release_lines(held))
        if args["action"] == "releases":
            return ships.hide({**result, "changed": False, "plan": {}, "up_to_date": [], "missing": {}, "ships": {}, "frontends": [], "release": None})
        try:
            decision = _bluegreen.decide(
                args["action"],
                sorted(services),
                specs_by_ship=specs_by_ship,
                proxy_frontends=proxy_frontends,
                infos_by_ship=infos_by_ship,
                frontends_cfg=args["frontends"],
                park_suffix=args["park_suffix"],
                target=args["release"] or None,
                release=_bluegreen.new_release(datetime.datetime.now(datetime.UTC), args["tag"], secrets.token_hex(2)),
                **options,
            )
        except _bluegreen.BlueGreenError as exc:
            return {**result, "failed": True, "changed": False, "msg": str(exc)}
        # what the proxies route to now, for the planned services: what an aborted switch puts back
        result.update(changed=False, live_frontends=[f for f in proxy_frontends if f.get("name") in decision["plan"]], **decision)
        if decision["up_to_date"]:
            # said here, as the steps' own lines are, not by a task of its own (a task per run, most often skipped)
            display.display(f"  Already deployed as wanted, left alone: {', '.join(decision['up_to_date'])}")
        if args["canary"] and args["action"] == "deploy" and (why := _bluegreen.canary_refusal(decision["plan"])):
            # before anything starts; with the decision, whose live colours the rescue's message names
            return ships.hide({**result, "failed": True, "msg": why})
        return ships.hide(result)
