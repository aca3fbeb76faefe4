"""The deploy lock on a quorum of ships (plugin_utils/_quorum.py): what the per-ship results add up to."""

from __future__ import annotations

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _quorum as q

HELD = {"changed": True, "lock": {"name": "L", "token": "t"}}


def refused(ship, who="alice@elsewhere"):
    return {"failed": True, "msg": f"Deploy lock L on ship {ship} is held by {who} since 2026-12-03T10:00:00Z; wait for it", "holder": {"who": who}}


def lost(ship):
    return {"failed": True, "unreachable": True, "msg": f"Error inspecting container L on ship {ship}: No route to host"}


@pytest.mark.parametrize(("count", "quorum", "wanted"), [(1, None, 1), (2, None, 2), (3, None, 2), (4, None, 3), (5, None, 3), (3, 3, 3), (5, 4, 4)])
def test_the_quorum_is_a_majority_unless_named(count, quorum, wanted):
    assert q.needed(quorum, count) == wanted


@pytest.mark.parametrize(
    ("count", "quorum", "said"),
    [
        (0, None, "at least one ship"),
        (3, 4, "from 1 to the number of its ships (3), not 4"),
        (3, 0, "not 0"),
        (4, 2, "a quorum of 2 of 4 ships lets two runs hold the lock at once: it must be more than half (3 or more)"),
        (3, 1, "lets two runs hold the lock at once"),
    ],
)
def test_a_quorum_that_would_let_two_runs_in_is_refused(count, quorum, said):
    with pytest.raises(q.QuorumError, match=said.replace("(", r"\(").replace(")", r"\)")):
        q.needed(quorum, count)


def test_held_everywhere_is_held_without_a_warning():
    outcome = q.taken("L", dict.fromkeys(["ship1", "ship2", "ship3"], HELD), 2)
    assert outcome == {"ok": True, "held": ["ship1", "ship2", "ship3"], "unreachable": [], "refused": {}, "warnings": []}


def test_a_lost_ship_leaves_the_lock_held_on_the_majority_with_a_warning_naming_it():
    outcome = q.taken("L", {"ship1": HELD, "ship2": HELD, "ship3": lost("ship3")}, 2)
    assert outcome["ok"] and outcome["held"] == ["ship1", "ship2"] and outcome["unreachable"] == ["ship3"]
    assert outcome["warnings"] == [
        "Deploy lock L is held on 2 of 3 ships (ship1, ship2), a quorum of 2, without ship ship3 cannot be reached: "
        "Error inspecting container L on ship ship3: No route to host"
    ]


def test_a_minority_fails_names_the_holder_and_the_lost_ship_and_is_given_back():
    outcome = q.taken("L", {"ship1": refused("ship1"), "ship2": HELD, "ship3": lost("ship3")}, 2)
    assert not outcome["ok"] and outcome["held"] == ["ship2"] and outcome["unreachable"] == ["ship3"]
    assert outcome["refused"] == {"ship1": refused("ship1")["msg"]}
    assert outcome["msg"] == (
        "Deploy lock L taken on 1 of 3 ships (ship2), fewer than the quorum of 2; given back on ship2: "
        f"{refused('ship1')['msg']}; ship ship3 cannot be reached: Error inspecting container L on ship ship3: No route to host"
    )


def test_held_by_another_run_everywhere_says_so_once_per_ship():
    outcome = q.taken("L", {s: refused(s) for s in ("ship1", "ship2")}, 2)
    assert outcome["msg"].startswith("Deploy lock L taken on 0 of 2 ships (none), fewer than the quorum of 2: Deploy lock L on ship ship1 is held")
    assert "given back" not in outcome["msg"]


def test_one_ship_words_it_as_the_single_lock():
    assert q.taken("L", {"ship1": refused("ship1")}, 1)["msg"] == refused("ship1")["msg"]
    assert q.taken("L", {"ship1": lost("ship1")}, 1)["msg"] == "ship ship1 cannot be reached: Error inspecting container L on ship ship1: No route to host"


def test_release_releases_where_it_can_and_warns_of_a_lost_ship():
    outcome = q.released("L", {"ship1": HELD, "ship2": {"changed": False, "lock": None}, "ship3": lost("ship3")})
    assert outcome["ok"] and outcome["released"] == ["ship1", "ship2"] and outcome["unreachable"] == ["ship3"]
    assert outcome["warnings"][0].startswith("Deploy lock L stays on ship ship3, which cannot be reached: Error inspecting container L")


def test_release_refused_on_a_reachable_ship_fails():
    outcome = q.released("L", {"ship1": HELD, "ship2": refused("ship2", "bob@ops")})
    assert not outcome["ok"] and outcome["msg"] == refused("ship2", "bob@ops")["msg"]
