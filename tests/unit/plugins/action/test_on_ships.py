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


class StepShips(FakeShips):
    """Fails ``fail[ship]``'s part of the step of that label (the step's options say which step it is)."""

    def __init__(self, fail):
        super().__init__()
        self.fail = fail

    def execute(self, module, ship, options, *, check_mode, diff):
        self.ran.append((options["which"], ship))
        if self.fail.get(ship) == options["which"]:
            return {"failed": True, "msg": f"Error at {options['which']} on ship {ship}"}
        return {"changed": True}


def in_turn(fake):
    steps = [
        {"module": "instance", "label": label, "take": {}, "options": {"which": label}, "barrier": label != "start"} for label in ("pull", "park", "start")
    ]
    ships = {ship: {"x": 1} for ship in ("ship1", "ship2", "ship3")}
    action = object.__new__(_action.ActionModule)
    action._task = SimpleNamespace(check_mode=False, diff=False)
    params = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()} | {"steps": steps, "ships": ships}
    hosts = ["ship1", "ship2", "ship3"]
    return action.work({"ansible_play_hosts_all": hosts, "ansible_play_hosts": hosts}, {}, fake, params)


def test_steps_in_turn_name_every_ship_that_failed_at_whichever_step():
    """ship1 fails at park, ship2 at start (they went on without waiting for each other): the task names both, each with
    its own step's message; ship3 went through; nothing is done everywhere."""
    fake = StepShips({"ship1": "park", "ship2": "start"})
    result = in_turn(fake)
    assert ("start", "ship1") not in fake.ran and ("start", "ship3") in fake.ran
    assert result["failed"] and result["failed_ships"] == ["ship1", "ship2"]
    assert result["failures"] == {"ship1": "Error at park on ship ship1", "ship2": "Error at start on ship ship2"}
    assert result["msg"] == "Park: Error at park on ship ship1; Start: Error at start on ship ship2"
    assert result["done_ships"] == [] and result["steps"]["park"]["done_ships"] == ["ship2", "ship3"]
    assert list(result["steps"]["start"]["ships"]) == ["ship2", "ship3"]


def test_a_failed_barrier_step_ends_the_task_before_the_group():
    fake = StepShips({"ship2": "pull"})
    result = in_turn(fake)
    assert {step for step, _ship in fake.ran} == {"pull"} and list(result["steps"]) == ["pull"]
    assert result["failed_ships"] == ["ship2"] and result["msg"] == "Pull: Error at pull on ship ship2"
