"""maestro.docker.lock under a real race: many threads acquire the same lock at the same instant."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.plugins.modules.conftest import run_module

pytestmark = pytest.mark.fleet

RACERS = 8


@pytest.mark.parametrize("force", [False, True], ids=["acquire", "force"])
def test_exactly_one_of_many_racing_acquirers_wins(fleet, name_prefix, force):
    ship = fleet.ships[0]
    lock = f"{name_prefix}-race"
    start = threading.Barrier(RACERS)

    def acquire(index: int) -> dict:
        start.wait()
        return run_module("lock", ship, {"name": lock, "who": f"racer-{index}@test", "force": force})

    try:
        for _round in range(3):
            with ThreadPoolExecutor(RACERS) as pool:
                results = list(pool.map(acquire, range(RACERS)))
            holder = run_module("lock", ship, {"name": lock, "who": "reader@test"})
            assert holder["failed"], holder
            if not force:
                # without force exactly one creates the lock; every other one fails naming it
                winners = [r for r in results if not r.get("failed")]
                assert len(winners) == 1, results
                assert winners[0]["changed"] and holder["holder"]["who"] == winners[0]["lock"]["who"]
                losers = [r for r in results if r.get("failed")]
                assert all(r["msg"].startswith(f"Deploy lock {lock} on ship ship1 is held by {winners[0]['lock']['who']} since ") for r in losers)
            else:
                # with force several may break a lock in turn, but the lock that stays is one of theirs, held once
                held = [r for r in results if not r.get("failed")]
                assert held and holder["holder"]["who"] in {r["lock"]["who"] for r in held}, results
            release = run_module("lock", ship, {"name": lock, "state": "absent", "force": True})
            assert release["changed"], release
    finally:
        run_module("lock", ship, {"name": lock, "state": "absent", "force": True})


def test_exactly_one_of_many_racing_acquirers_takes_over_an_expired_lease(fleet, name_prefix):
    """Issue 14: a stale lock (its lease expired) is removed by id and created again; of many runs that find it stale
    at the same instant, exactly one gets it, and every other one fails naming that one."""
    ship = fleet.ships[0]
    lock = f"{name_prefix}-lease-race"
    start = threading.Barrier(RACERS)

    def acquire(index: int) -> dict:
        start.wait()
        return run_module("lock", ship, {"name": lock, "who": f"racer-{index}@test"})

    try:
        for _round in range(3):
            stale = run_module("lock", ship, {"name": lock, "who": "stale@test", "pid": 4242, "playbook": "/srv/deploy.yml", "ttl": 1})
            assert stale["changed"] and stale["lock"]["ttl"] == 1, stale
            time.sleep(1.2)
            with ThreadPoolExecutor(RACERS) as pool:
                results = list(pool.map(acquire, range(RACERS)))
            winners = [r for r in results if not r.get("failed")]
            assert len(winners) == 1, results
            losers = [r for r in results if r.get("failed")]
            assert all(r["msg"].startswith(f"Deploy lock {lock} on ship ship1 is held by {winners[0]['lock']['who']} since ") for r in losers), losers
            # The one run whose call removed the stale lock reports the takeover: mostly the winner; when another run
            # created the lock between that removal and its own create, the loser that removed it, in its refusal.
            takers = [r for r in results if r["taken_over"]]
            assert len(takers) == 1 and takers[0]["taken_over"]["who"] == "stale@test" and takers[0]["broken"] is None, results
            previous = takers[0]["previous_holder"]
            assert previous.startswith("stale@test (pid 4242, playbook /srv/deploy.yml, held since ") and previous.endswith(", lease 1 s expired)")
            if takers[0] is winners[0]:
                assert winners[0]["warnings"] == [f"Deploy lock {lock} on ship ship1: took over the stale lock of {previous}"]
            else:
                assert f"; this run took over the stale lock of {previous}, but {winners[0]['lock']['who']} took the lock first; " in takers[0]["msg"]
            holder = run_module("lock", ship, {"name": lock, "who": "reader@test"})
            assert holder["failed"] and holder["holder"]["who"] == winners[0]["lock"]["who"], holder
            release = run_module("lock", ship, {"name": lock, "state": "absent", "token": winners[0]["lock"]["token"]})
            assert release["changed"], release
    finally:
        run_module("lock", ship, {"name": lock, "state": "absent", "force": True})
