"""Pure logic of the fleet harness: names, addresses and validation (no daemon)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fleet import fleet as fleet_module
from tests.fleet.fleet import Fleet, FleetError


def test_names_and_addresses_follow_prefix_and_subnet(tmp_path):
    fleet = Fleet(size=2, prefix="abc", subnet="10.231.9", state_dir=tmp_path)
    ship = fleet.ships[1]
    assert (ship.name, ship.netns, ship.veth, ship.ip) == ("ship2", "abc-ship2", "abc-v2", "10.231.9.12")
    assert ship.docker_host == "tcp://10.231.9.12:2375"
    assert fleet.registry == "10.231.9.1:5000"
    assert fleet.image("v1") == "10.231.9.1:5000/demo/web:v1"
    assert "--insecure-registry" in ship.dockerd_args()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prefix": "Bad"}, "fleet prefix 'Bad' must be 1-6 lowercase letters or digits"),
        ({"prefix": "toolongx"}, "fleet prefix 'toolongx' must be 1-6 lowercase letters or digits"),
        ({"subnet": "192.168.1"}, "fleet subnet '192.168.1' must be three octets inside 10.0.0.0/8"),
        ({"size": 0}, "a fleet has 1 to 200 ships, not 0"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(tmp_path, kwargs, message):
    with pytest.raises(FleetError, match="^" + message):
        Fleet(state_dir=tmp_path, **kwargs)


def test_not_root_is_one_sentence(monkeypatch):
    monkeypatch.setattr(fleet_module.os, "geteuid", lambda: 1000)
    with pytest.raises(FleetError, match=r"^the fleet needs root: it creates network namespaces and runs dockerd \(run `make fleet` as root\)$"):
        fleet_module.check_prerequisites()


def test_missing_packages_are_named_with_the_command_that_installs_them(monkeypatch):
    monkeypatch.setattr(fleet_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(fleet_module.shutil, "which", lambda cmd: None if cmd in ("dockerd", "busybox") else f"/usr/bin/{cmd}")
    with pytest.raises(FleetError) as err:
        fleet_module.check_prerequisites()
    assert str(err.value) == "missing packages busybox-static, docker.io: run `make deps` (apt-get install -y busybox-static docker.io)"


def test_the_command_line_prints_one_line_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setattr(fleet_module.os, "geteuid", lambda: 1000)
    assert fleet_module.main(["up"]) == 1
    assert capsys.readouterr().err == "fleet: error: the fleet needs root: it creates network namespaces and runs dockerd (run `make fleet` as root)\n"


@pytest.mark.parametrize(
    ("prefix", "subnet", "slot", "expected"),
    [
        ("mdk", "10.231.0", 0, ("mdkt", "10.231.100")),
        ("mdk", "10.231.0", 3, ("mdks", "10.231.103")),
        ("mdg", "10.231.12", 1, ("mdgf", "10.231.149")),
        ("abcdef", "10.231.38", 3, ("abcdes", "10.231.255")),
        ("mdk", "10.231.0", 4, ("mdkr", "10.232.0")),
        ("abcdef", "10.231.38", 4, ("abcder", "10.232.38")),
    ],
)
def test_extra_fleets_derive_prefix_and_subnet_from_the_main_fleet(tmp_path, prefix, subnet, slot, expected):
    assert fleet_module.extra_names(prefix, subnet, slot) == expected
    extra = Fleet(prefix=prefix, subnet=subnet, state_dir=tmp_path / "main").extra(slot, state_dir=tmp_path / "extra", size=2)
    assert (extra.prefix, extra.subnet, extra.size, extra.state_dir) == (*expected, 2, tmp_path / "extra")


def test_extra_fleets_of_different_main_fleets_never_meet():
    mains = [f"10.231.{c}" for c in range(39)]
    extras = [fleet_module.extra_names("mdk", subnet, slot)[1] for subnet in mains for slot in range(5)]
    assert len(set(extras)) == len(extras)
    assert not set(extras) & set(mains)


@pytest.mark.parametrize(
    ("subnet", "slot", "message"),
    [
        ("10.231.39", 0, "fleet subnet 10.231.39 leaves no room for extra fleets: test fleets take third octets 0 to 38 (extras go to 100-255)"),
        ("10.231.61", 4, "fleet subnet 10.231.61 leaves no room for extra fleets: test fleets take third octets 0 to 38 (extras go to 100-255)"),
        ("10.255.0", 4, "fleet subnet 10.255.0 leaves no room for extra fleets: test fleets take third octets 0 to 38 (extras go to 100-255)"),
        ("10.231.0", 5, "extra fleet slots are 0 to 4, not 5"),
    ],
)
def test_extra_fleets_out_of_range_are_refused(subnet, slot, message):
    with pytest.raises(FleetError) as err:
        fleet_module.extra_names("mdk", subnet, slot)
    assert str(err.value) == message


def test_a_fleet_running_from_another_directory_is_never_taken_down(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet_module, "RUN_ROOT", tmp_path / "run")
    mine = Fleet(size=1, prefix="ut", state_dir=tmp_path / "mine")
    # A process that looks like the registry of fleet "ut" started from another checkout.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "docker-registry", "serve", "/elsewhere/.fleet/registry/config.yml"])
    try:
        mine.run_dir.mkdir(parents=True)
        mine.registry_pidfile.write_text(str(other.pid))
        deadline = time.monotonic() + 10  # until the child has exec'd: before, its command line is the parent's
        while b"docker-registry" not in Path(f"/proc/{other.pid}/cmdline").read_bytes() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert mine.running_elsewhere() == "/elsewhere/.fleet"
        with pytest.raises(FleetError) as err:
            mine.down(quiet=True)
        assert str(err.value) == (
            f"fleet ut is running from /elsewhere/.fleet, not from {tmp_path / 'mine'}; it is left untouched: "
            "set FLEET_DIR=/elsewhere/.fleet to use it, or FLEET_PREFIX and FLEET_SUBNET for a fleet of your own"
        )
        assert other.poll() is None
        assert Fleet(size=1, prefix="ut", state_dir="/elsewhere/.fleet").running_elsewhere() is None
    finally:
        other.kill()
        other.wait()
    assert mine.running_elsewhere() is None


def test_a_state_dir_of_another_fleet_is_never_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet_module, "RUN_ROOT", tmp_path / "run")
    theirs = Fleet(size=1, prefix="ua", subnet="10.231.12", state_dir=tmp_path / "shared")
    theirs.state_dir.mkdir()
    theirs.state_file.write_text(json.dumps(theirs.state()))
    mine = Fleet(size=1, prefix="ub", state_dir=tmp_path / "shared")
    with pytest.raises(FleetError) as err:
        mine.down(quiet=True)
    assert str(err.value) == (
        f"{tmp_path / 'shared'} holds fleet ua, not ub; it is left untouched: set FLEET_PREFIX=ua (and its FLEET_SUBNET) to use that fleet, "
        "or another FLEET_DIR for fleet ub"
    )
    assert theirs.state_file.is_file()
