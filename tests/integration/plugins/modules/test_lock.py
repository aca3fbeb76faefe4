"""maestro.docker.lock under a real race: many threads acquire the same lock at the same instant."""

from __future__ import annotations

import threading
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
