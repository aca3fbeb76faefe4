"""Pure logic of the fleet harness: names, addresses and validation (no daemon)."""

from __future__ import annotations

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
