"""The fleet harness against real daemons: ships, registry, demo images, teardown.

The extra fleets of these tests (five ships, a bad one, a stale one) are Fleet.extra(1..3) of the fleet of FLEET_PREFIX and
FLEET_SUBNET: their prefixes and subnets derive from it (tests/fleet/fleet.py), so engineers' runs never meet.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.fleet.fleet import Fleet, FleetError

pytestmark = pytest.mark.fleet


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()


def wait_get(url: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_ships_have_distinct_addresses_and_pull_from_the_registry(fleet: Fleet):
    ips = [ship.ip for ship in fleet.ships]
    assert len(set(ips)) == fleet.size == 3
    for ship in fleet.ships:
        client = ship.client()
        image = client.images.pull(fleet.image("v1"))
        assert fleet.image("v1") in image.tags
        assert client.info()["Name"], ship.name
    assert fleet.ships_file.read_text().count("ip: ") == fleet.size


def test_docker_stop_of_demo_web_takes_under_two_seconds(fleet: Fleet):
    client = fleet.ships[0].client()
    container = client.containers.run(fleet.image("v1"), detach=True, name=f"t-stop-{uuid.uuid4().hex[:8]}")
    try:
        time.sleep(0.3)
        started = time.monotonic()
        container.stop(timeout=10)
        elapsed = time.monotonic() - started
        container.reload()
        assert container.status == "exited"
        assert elapsed < 2, f"docker stop took {elapsed:.2f}s"
    finally:
        container.remove(force=True)


def test_broken_image_serves_but_fails_its_health_endpoint(fleet: Fleet):
    ship = fleet.ships[1]
    client = ship.client()
    container = client.containers.run(fleet.image("broken"), detach=True, name=f"t-broken-{uuid.uuid4().hex[:8]}", ports={"8080/tcp": 18181})
    try:
        assert wait_get(f"http://{ship.ip}:18181/") == "broken\n"
        with pytest.raises(urllib.error.HTTPError) as err:
            get(f"http://{ship.ip}:18181/health")
        assert err.value.code == 404
    finally:
        container.remove(force=True)


@pytest.mark.slow
def test_five_ships_serve_v2_and_fleet_down_leaves_nothing(tmp_path):
    fleet5 = Fleet.from_env().extra(1, state_dir=tmp_path / "fleet5", size=5)
    try:
        fleet5.up()
        assert fleet5.leftovers(), "a running fleet should be visible to leftovers()"
        for ship in fleet5.ships:
            ship.client().containers.run(fleet5.image("v2"), detach=True, name="web", ports={"8080/tcp": 8080})
        answers = {ship.ip: wait_get(f"http://{ship.ip}:8080/") for ship in fleet5.ships}
        assert len(answers) == 5
        assert set(answers.values()) == {"v2\n"}
    finally:
        fleet5.down()
    assert fleet5.leftovers() == []


@pytest.mark.slow
def test_a_ship_that_fails_to_come_up_is_named_and_nothing_is_left(tmp_path):
    bad = Fleet.from_env().extra(2, state_dir=tmp_path / "bad", size=2, extra_dockerd_args={"ship2": ["--no-such-flag"]})
    with pytest.raises(FleetError) as err:
        bad.up()
    message = str(err.value)
    assert f"ship ship2 ({bad.ships[1].ip}) failed to come up" in message
    assert "no-such-flag" in message
    assert "ship1" not in message
    assert bad.leftovers() == []


def test_up_on_a_running_fleet_reuses_it(fleet: Fleet):
    pids = [ship.pidfile.read_text() for ship in fleet.ships]
    again = Fleet.from_env().up()
    assert [ship.pidfile.read_text() for ship in again.ships] == pids


def test_up_cleans_leftovers_of_a_killed_run(tmp_path):
    stale = Fleet.from_env().extra(3, state_dir=tmp_path / "stale", size=1)
    try:
        stale.up()
        for ship in stale.ships:
            os.kill(int(ship.pidfile.read_text()), signal.SIGKILL)
        os.kill(int(stale.registry_pidfile.read_text()), signal.SIGKILL)
        time.sleep(0.5)
        assert not stale.is_running()
        stale.up()  # must not trip over the stale netns, bridge, pidfiles and mounts
        assert stale.is_running()
    finally:
        stale.down()
    assert stale.leftovers() == []


def test_proxy_image_runs_haproxy_from_the_registry(fleet: Fleet):
    ship = fleet.ships[2]
    client = ship.client()
    image = fleet.read_state()["proxy_image"]
    container = client.containers.run(image, detach=True, name=f"t-proxy-{uuid.uuid4().hex[:8]}", ports={"8404/tcp": 18404})
    try:
        assert wait_get(f"http://{ship.ip}:18404/") == "haproxy up"
    finally:
        container.remove(force=True)
