"""The fleet harness against real daemons: ships, registry, demo images, teardown.

The extra fleets of these tests (five ships, a bad one, a stale one, a crashed one) are Fleet.extra(1..4) of the fleet of
FLEET_PREFIX and FLEET_SUBNET: their prefixes and subnets derive from it (tests/fleet/fleet.py), so engineers' runs never meet.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
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


@pytest.mark.parametrize("tag", ["v1", "flaky", "slow"])
def test_docker_stop_of_demo_web_takes_under_two_seconds(fleet: Fleet, tag: str):
    client = fleet.ships[0].client()
    container = client.containers.run(fleet.image(tag), detach=True, name=f"t-stop-{uuid.uuid4().hex[:8]}")
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


def status_and_seconds(url: str) -> tuple[int, float]:
    """The HTTP status of a GET (an error status included) and how long the answer took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.monotonic() - started


@contextlib.contextmanager
def demo_web(fleet: Fleet, ship_index: int, tag: str, port: int, environment: dict | None = None):
    """A demo/web:<tag> container on a ship, published on port, removed afterwards; yields its base URL once /health answers."""
    ship = fleet.ships[ship_index]
    container = ship.client().containers.run(
        fleet.image(tag), detach=True, name=f"t-{tag}-{uuid.uuid4().hex[:8]}", ports={"8080/tcp": port}, environment=environment or {}
    )
    try:
        base = f"http://{ship.ip}:{port}"
        assert wait_get(f"{base}/health") == f"ok {tag}\n"
        yield base
    finally:
        container.remove(force=True)


def test_flaky_image_passes_its_health_endpoint_and_fails_a_share_of_requests(fleet: Fleet):
    with demo_web(fleet, 1, "flaky", 18182) as base:
        health = [status_and_seconds(f"{base}/health")[0] for _request in range(20)]
        statuses = [status_and_seconds(f"{base}/")[0] for _request in range(200)]
    assert set(health) == {200}
    assert set(statuses) <= {200, 500}
    # 20% by default, spread evenly: 40 of 200 requests, give or take one
    assert statuses.count(500) in (39, 40, 41), f"flaky answered 500 to {statuses.count(500)} of 200 requests, expected 40"
    # one request after another: exactly one 500 in every five in a row
    assert all(statuses[i : i + 5].count(500) == 1 for i in range(len(statuses) - 4)), statuses


def test_flaky_share_is_set_by_flaky_percent(fleet: Fleet):
    with demo_web(fleet, 1, "flaky", 18183, {"FLAKY_PERCENT": "100"}) as always, demo_web(fleet, 2, "flaky", 18183, {"FLAKY_PERCENT": "0"}) as never:
        assert {status_and_seconds(f"{always}/")[0] for _request in range(20)} == {500}
        assert {status_and_seconds(f"{never}/")[0] for _request in range(20)} == {200}
        assert get(f"{never}/") == "flaky\n"


def test_slow_image_answers_after_its_delay_and_its_health_endpoint_at_once(fleet: Fleet):
    with demo_web(fleet, 2, "slow", 18184) as slow, demo_web(fleet, 1, "slow", 18185, {"SLOW_MS": "50"}) as faster:
        assert get(f"{slow}/") == "slow\n"
        default = sorted(status_and_seconds(f"{slow}/")[1] for _request in range(10))
        short = sorted(status_and_seconds(f"{faster}/")[1] for _request in range(10))
        health = sorted(status_and_seconds(f"{slow}/health")[1] for _request in range(10))
    median = 5  # of 10 sorted samples
    assert default[0] >= 0.3 and default[median] < 0.6, f"demo/web:slow answered in {default} s, expected 0.3 s and a little more"
    assert short[0] >= 0.05 and short[median] < 0.25, f"demo/web:slow with SLOW_MS=50 answered in {short} s"
    assert health[median] < 0.1, f"demo/web:slow's /health answered in {health} s"


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


def test_up_restarts_a_killed_fleet_over_its_leftovers(tmp_path, capsys):
    stale = Fleet.from_env().extra(3, state_dir=tmp_path / "stale", size=1)
    try:
        stale.up()
        for ship in stale.ships:
            os.kill(int(ship.pidfile.read_text()), signal.SIGKILL)
        os.kill(int(stale.registry_pidfile.read_text()), signal.SIGKILL)
        time.sleep(0.5)
        assert not stale.is_running()
        capsys.readouterr()
        stale.up()  # must not trip over the stale pidfiles, sockets and mounts, and must not wipe the fleet
        assert stale.is_running()
        err = capsys.readouterr().err
        assert f"fleet: the registry of fleet {stale.prefix} was not running; restarted it with its images\n" in err
        assert "fleet: ship1's dockerd was not running; restarted it with its state" in err
    finally:
        stale.down()
    assert stale.leftovers() == []


@pytest.mark.slow
def test_up_restarts_a_killed_dockerd_with_its_containers_and_leaves_other_ships_alone(tmp_path, capsys):
    crashed = Fleet.from_env().extra(4, state_dir=tmp_path / "crashed", size=2)
    recycled = subprocess.Popen(["sleep", "300"])  # a live process that is no daemon of the fleet: a pid reused since the crash
    try:
        crashed.up()
        ship1, ship2 = crashed.ships
        web1 = ship1.client().containers.run(crashed.image("v1"), detach=True, name="web", restart_policy={"Name": "always"})
        web2 = ship2.client().containers.run(crashed.image("v1"), detach=True, name="web", restart_policy={"Name": "always"})
        parked = ship2.client().containers.create(crashed.image("v1"), name="parked")
        started1 = ship1.client().containers.get(web1.id).attrs["State"]["StartedAt"]
        ship2.crash()
        # What the crash left must not stop the restart: the socket files stay, and the pidfiles name a live process.
        assert ship2.socket.exists()
        ship2.pidfile.write_text(f"{recycled.pid}\n")
        ship2.containerd_pidfile.write_text(f"{recycled.pid}")
        capsys.readouterr()

        crashed.up()

        err = capsys.readouterr().err
        assert "fleet: ship2's dockerd was not running; restarted it with its state (2 containers kept)\n" in err
        assert "ship1" not in err
        kept = {c.name: c for c in ship2.client().containers.list(all=True)}
        assert {name: c.id for name, c in kept.items()} == {"web": web2.id, "parked": parked.id}
        deadline = time.monotonic() + 30
        while kept["web"].status != "running":  # its restart policy starts it again
            assert time.monotonic() < deadline, f"ship2's web is {kept['web'].status} after its dockerd's restart"
            time.sleep(0.3)
            kept["web"].reload()
        assert kept["parked"].status == "created"
        again1 = ship1.client().containers.get(web1.id)
        assert (again1.status, again1.attrs["State"]["StartedAt"]) == ("running", started1)
        assert [c.id for c in ship1.client().containers.list(all=True)] == [web1.id]
        assert recycled.poll() is None, "the process named by the stale pidfiles was killed"
    finally:
        recycled.kill()
        recycled.wait()
        crashed.down()
    assert crashed.leftovers() == []


@pytest.mark.slow
def test_up_refuses_a_fleet_it_cannot_restart_and_leaves_it_as_it_is(tmp_path):
    gone = Fleet.from_env().extra(4, state_dir=tmp_path / "gone", size=2)
    try:
        gone.up()
        ship1, ship2 = gone.ships
        web1 = ship1.client().containers.run(gone.image("v1"), detach=True, name="web")
        ship2.crash()
        subprocess.run(["ip", "netns", "del", ship2.netns], check=True)

        with pytest.raises(FleetError) as err:
            gone.up()

        message = str(err.value)
        # The host end of ship2's link goes with its namespace, once the kernel has cleaned that up.
        assert message.startswith(f"fleet {gone.prefix} cannot be restarted with its state (ship2's dockerd not running): netns {ship2.netns}")
        assert message.endswith("missing; nothing was touched: run `make fleet-down` first (the fleet's containers are lost), then `make fleet`")
        assert ship1.client().containers.get(web1.id).status == "running"
        assert (ship2.data_dir / "root").is_dir()
        assert gone.read_state()
    finally:
        gone.down()
    assert gone.leftovers() == []


def test_proxy_image_runs_haproxy_from_the_registry(fleet: Fleet):
    ship = fleet.ships[2]
    client = ship.client()
    image = fleet.read_state()["proxy_image"]
    container = client.containers.run(image, detach=True, name=f"t-proxy-{uuid.uuid4().hex[:8]}", ports={"8404/tcp": 18404})
    try:
        assert wait_get(f"http://{ship.ip}:18404/") == "haproxy up"
    finally:
        container.remove(force=True)
