# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""maestro.docker.on_ships: ships outside the play, and a ship not reached (fail or skip), with each ship's module faked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.maestro.docker.plugins.action import on_ships as _action
from ansible_collections.maestro.docker.plugins.modules.on_ships import ARGUMENT_SPEC


class FakeShips:
    def __init__(self, lost=(), broken=()):
        self.lost, self.broken, self.ran = set(lost), set(broken), []

    def connection(self, ship):
        return {}

    def execute(self, module, ship, options, *, check_mode, diff):
        self.ran.append(ship)
        if ship in self.lost:
            return {"failed": True, "unreachable": True, "msg": f"Error inspecting container p on ship {ship}: No route to host"}
        if ship in self.broken:
            return {"failed": True, "msg": f"Error checking the new configuration of proxy container p on ship {ship}: haproxy -c failed"}
        return {"changed": False, "frontends": []}

    def hide(self, outcome):
        return outcome


def run(fake, **args):
    action = object.__new__(_action.ActionModule)
    action._task = SimpleNamespace(check_mode=False, diff=False)
    params = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()} | {"module": "proxy_info", "label": "read the proxies"} | args
    task_vars = {"ansible_play_hosts_all": ["ship1", "ship2"], "ansible_play_hosts": ["ship1", "ship2"]}
    return action.work(task_vars, {}, fake, params)


PROXIES = {ship: {"name": "p"} for ship in ("ship1", "ship2", "ship3")}


@pytest.mark.parametrize(("outside_play", "ran"), [(False, ["ship1", "ship2"]), (True, ["ship1", "ship2", "ship3"])])
def test_ships_outside_the_play_only_when_asked(outside_play, ran):
    fake = FakeShips()
    run(fake, ships=PROXIES, outside_play=outside_play)
    assert sorted(fake.ran) == ran


def test_a_ship_not_reached_fails_the_task_naming_it():
    result = run(FakeShips(lost={"ship3"}), ships=PROXIES, outside_play=True)
    assert result["failed"] and result["failed_ships"] == ["ship3"] and result["unreachable_ships"] == ["ship3"] and result["skipped_ships"] == []
    assert result["msg"] == "read the proxies: ship ship3 cannot be reached: Error inspecting container p on ship ship3: No route to host"
    assert result["done_ships"] == ["ship1", "ship2"]


def test_skip_leaves_a_ship_not_reached_out_with_a_warning_but_not_one_that_answered():
    result = run(FakeShips(lost={"ship3"}), ships=PROXIES, outside_play=True, unreachable="skip")
    assert not result.get("failed") and result["skipped_ships"] == ["ship3"] and result["done_ships"] == ["ship1", "ship2"]
    assert result["warnings"] == [
        "read the proxies: ship ship3 cannot be reached, skipped (unreachable=skip): Error inspecting container p on ship ship3: No route to host"
    ]
    result = run(FakeShips(broken={"ship2"}), ships=PROXIES, outside_play=True, unreachable="skip")
    assert result["failed"] and result["failed_ships"] == ["ship2"] and result["skipped_ships"] == []
