"""Fixtures shared by every test: the local fleet, brought up once per test session."""

from __future__ import annotations

import pytest

from tests.fleet.fleet import Fleet


@pytest.fixture(scope="session")
def fleet() -> Fleet:
    """The local fleet of ships (FLEET_* environment), started if it is not running, reused if it is.

    It is left running after the session, as `make fleet` leaves it; `make fleet-down` removes it.
    """
    return Fleet.from_env().up()
