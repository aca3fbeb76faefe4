# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import shutil
import subprocess

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker import keepalived as k

HOSTS = ["ship1", "ship2", "ship3"]


def options(**kw):
    return {"name": "maestro-keepalived-prod", "address": "10.0.0.100", "hosts": HOSTS, "ship": "ship1", "health_port": 8405, **kw}


def test_priorities_follow_the_order_of_the_proxy_ships():
    assert [k.priority(HOSTS, ship) for ship in HOSTS] == [200, 190, 180]
    assert k.priority([f"s{i}" for i in range(30)], "s29") == 1
    with pytest.raises(k.FloatingConfigError, match="^ship ship4 is not one of the proxy ships \\(ship1, ship2, ship3\\) that share the floating address$"):
        k.priority(HOSTS, "ship4")


def test_normalize_fills_defaults_and_takes_the_priority_from_the_ship():
    assert k.normalize(options(ship="ship2")) == {
        "address": "10.0.0.100/32",
        "interface": "eth0",
        "virtual_router_id": 51,
        "advert_int": 0.5,
        "priority": 190,
        "health_port": 8405,
        "instance": "maestro_keepalived_prod",
    }
    given = k.normalize(options(address="10.0.0.100/24", interface="ens3", virtual_router_id=7, advert_int=1, priority=50, hosts=[]))
    assert (given["address"], given["interface"], given["virtual_router_id"], given["advert_int"], given["priority"]) == ("10.0.0.100/24", "ens3", 7, 1.0, 50)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"address": "fd00::1"}, "address fd00::1 must be an IPv4 address"),
        ({"address": "10.0.0.300"}, "address '10.0.0.300' must be an IPv4 address, optionally with a prefix length (10.0.0.100/24)"),
        ({"address": None}, "address None must be an IPv4 address, optionally with a prefix length (10.0.0.100/24)"),
        ({"interface": "eth0 foo"}, "interface 'eth0 foo' must be a network interface name (letters, digits, '-', '_', '.')"),
        ({"virtual_router_id": 256}, "virtual_router_id must be a number from 1 to 255, not 256"),
        ({"advert_int": 50}, "advert_int must be from 0.01 to 40.95 seconds, not 50.0"),
        ({"health_port": 0.5}, "health_port must be a number from 1 to 65535, not 0.5"),
        ({"priority": 255}, "priority must be a number from 1 to 254, not 255"),
        ({"ship": "elsewhere"}, "ship elsewhere is not one of the proxy ships (ship1, ship2, ship3) that share the floating address"),
    ],
)
def test_options_that_cannot_make_a_configuration_are_refused_naming_the_option(given, message):
    with pytest.raises(k.FloatingConfigError) as err:
        k.normalize(options(**given))
    assert str(err.value) == message


def test_render_one_vrrp_instance_that_tracks_the_proxys_health():
    text = k.render(k.normalize(options()))
    assert text == (
        "# Written by maestro.docker.floating_address: changes made by hand are replaced at its next run.\n"
        "global_defs {\n"
        "    router_id maestro_keepalived_prod\n"
        "    vrrp_version 3\n"
        "    enable_script_security\n"
        "    script_user root\n"
        "    vrrp_garp_master_delay 1\n"
        "    vrrp_garp_master_repeat 3\n"
        "    vrrp_garp_master_refresh 1\n"
        "    vrrp_garp_lower_prio_repeat 3\n"
        "}\n"
        "\n"
        "vrrp_script maestro_proxy_fit {\n"
        '    script "/bin/wget -q -O /dev/null http://127.0.0.1:8405/maestro/health"\n'
        "    interval 1\n"
        "    timeout 2\n"
        "    fall 2\n"
        "    rise 1\n"
        "}\n"
        "\n"
        "vrrp_instance maestro_keepalived_prod {\n"
        "    state BACKUP\n"
        "    nopreempt\n"
        "    interface eth0\n"
        "    virtual_router_id 51\n"
        "    priority 200\n"
        "    advert_int 0.5\n"
        "    virtual_ipaddress {\n"
        "        10.0.0.100/32 dev eth0\n"
        "    }\n"
        "    track_script {\n"
        "        maestro_proxy_fit\n"
        "    }\n"
        "}\n"
    )
    # the same options, the same text: a second run changes nothing
    assert k.render(k.normalize(options())) == text


def test_render_without_a_health_port_tracks_nothing():
    text = k.render(k.normalize(options(health_port=None)))
    assert "vrrp_script" not in text and "track_script" not in text
    assert "    priority 200\n" in text


def test_container_config_is_labelled_like_the_proxy_with_host_network_and_the_capabilities_vrrp_needs():
    config = k.container_config({"image": "proxy/keepalived:2.2", "environment": "prod"})
    assert config == {
        "Image": "proxy/keepalived:2.2",
        "Labels": {"maestro.managed": "true", "maestro.role": "floating-address", "maestro.environment": "prod"},
        "HostConfig": {"NetworkMode": "host", "CapAdd": ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"], "RestartPolicy": {"Name": "unless-stopped"}},
    }


@pytest.mark.skipif(not shutil.which("keepalived"), reason="needs the keepalived binary")
def test_keepalived_accepts_the_configuration(tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(k.render(k.normalize(options())))
    proc = subprocess.run(["keepalived", "--config-test", "-f", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
