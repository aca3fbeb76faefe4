# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""maestro.docker.quorum_lock's orchestration, with each ship's lock module replaced by a fake (the seam: ShipVars)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from ansible_collections.maestro.docker.plugins.action import quorum_lock as _action
from ansible_collections.maestro.docker.plugins.modules.quorum_lock import ARGUMENT_SPEC


class FakeShips:
    """Each ship's lock: held by someone else (``held``), not reached (``lost``), or free; records every call."""

    def __init__(self, held=(), lost=()):
        self.held, self.lost, self.calls = set(held), set(lost), []
        self._lock = threading.Lock()

    def connection(self, ship):
        return {"docker_host": f"tcp://{ship}:2375"}

    def execute(self, module, ship, options, *, check_mode, diff):
        with self._lock:
            self.calls.append((ship, options["state"], options.get("token")))
        if ship in self.lost:
            return {"failed": True, "unreachable": True, "msg": f"Error inspecting container L on ship {ship}: No route to host"}
        if ship in self.held:
            return {"failed": True, "msg": f"Deploy lock L on ship {ship} is held by alice@elsewhere", "holder": {"who": "alice@elsewhere"}}
        if options["state"] == "absent":
            return {"changed": True, "lock": None}
        return {"changed": True, "lock": {"name": "L", "who": options["who"], "token": options["token"], "ship": ship}}

    def hide(self, outcome):
        return outcome


def work(fake, **args):
    action = object.__new__(_action.ActionModule)
    action._task = SimpleNamespace(check_mode=False)
    params = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()} | {"name": "L"} | args
    return action.work({}, {}, fake, params)


def test_a_majority_holds_the_lock_with_one_token_and_names_the_lost_ship():
    ships = FakeShips(lost={"ship3"})
    result = work(ships, ships=["ship1", "ship2", "ship3"], who="bob@ops")
    assert not result.get("failed") and result["held_on"] == ["ship1", "ship2"] and result["unreachable_ships"] == ["ship3"]
    assert result["lock"]["ship"] == "ship1, ship2" and result["lock"]["who"] == "bob@ops"
    assert len({token for _ship, _state, token in ships.calls}) == 1  # one token everywhere
    assert any("ship ship3 cannot be reached" in w for w in result["warnings"])


def test_a_minority_fails_and_gives_back_only_what_it_took():
    ships = FakeShips(held={"ship1"}, lost={"ship3"})
    result = work(ships, ships=["ship1", "ship2", "ship3"])
    assert result["failed"] and result["held_on"] == [] and result["holder"] == {"who": "alice@elsewhere"}
    assert result["msg"].startswith("Deploy lock L taken on 1 of 3 ships (ship2), fewer than the quorum of 2; given back on ship2: ")
    taken_token = next(token for ship, state, token in ships.calls if ship == "ship2" and state == "present")
    assert [(ship, state, token) for ship, state, token in ships.calls if state == "absent"] == [("ship2", "absent", taken_token)]


def test_one_ship_is_the_single_lock_with_its_own_message():
    result = work(FakeShips(held={"ship1"}), ships=["ship1"])
    assert result["failed"] and result["msg"] == "Deploy lock L on ship ship1 is held by alice@elsewhere"


def test_a_quorum_below_a_majority_is_refused_before_any_ship_is_asked():
    ships = FakeShips()
    result = work(ships, ships=["ship1", "ship2", "ship3", "ship4"], quorum=2)
    assert result["failed"] and "lets two runs hold the lock at once" in result["msg"] and ships.calls == []


def test_release_warns_of_a_lost_ship_and_releases_the_others():
    ships = FakeShips(lost={"ship2"})
    result = work(ships, ships=["ship1", "ship2"], state="absent", token="t")
    assert not result.get("failed") and result["held_on"] == ["ship1"] and result["unreachable_ships"] == ["ship2"]
    assert result["warnings"][0].startswith("Deploy lock L stays on ship ship2, which cannot be reached")
