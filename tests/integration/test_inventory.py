# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The real ansible-inventory CLI on the maestro-ng reference §8 example (no Docker needed)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils._published import complete

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# maestro-ng reference §8: 2 ships, 2 services with a dependency, ports, env, lifecycle.
REFERENCE_8 = """\
__maestro:
  schema: 2

name: demo

ship_defaults: {docker_port: 2375, timeout: 30, api_version: "1.41"}
ships:
  host1: {ip: 10.0.0.11}
  host2: {ip: 10.0.0.12}

services:
  db:
    image: redis:7
    lifecycle:
      running: [{type: tcp, port: redis, max_wait: 30}]
    instances:
      db-1:
        ship: host2
        ports: {redis: 6379}
        volumes: {/srv/redis: /data}

  web:
    image: registry.example.com/acme/web:1.4.2
    requires: [db]                       # start db first; inject DB_DB_1_HOST / DB_DB_1_REDIS_PORT
    env:
      LOG_LEVEL: info
    ports: {http: "8080:80"}             # exposed:external -> container 8080 published on host port 80
    lifecycle:
      running: [{type: http, port: http, path: /healthz, max_wait: 60}]
    instances:
      web-1: {ship: host1}
      web-2: {ship: host2, env: {LOG_LEVEL: debug}}
"""


def _plain(value):
    """ansible-inventory shows untrusted strings as {"__ansible_unsafe": "..."}: unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _inventory(source, *args, **extra_env):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_NOCOLOR="1", **extra_env)
    result = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(source), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return result


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    base = tmp_path_factory.mktemp("inv")
    (base / "maestro.yaml").write_text(REFERENCE_8)
    (base / "demo.ships.yml").write_text("plugin: maestro.docker.ships\npath: maestro.yaml\nkeyed_groups:\n  - {prefix: ip, key: maestro_ship_ip}\n")
    return base


@pytest.fixture(scope="module", params=["maestro.yaml", "demo.ships.yml"])
def listing(request, sources):
    result = _inventory(sources / request.param, "--list")
    assert result.returncode == 0, result.stderr
    return request.param, _plain(json.loads(result.stdout))


def test_groups(listing):
    source, data = listing
    assert sorted(data["maestro_ships"]["hosts"]) == ["host1", "host2"]
    assert sorted(data["maestro_service_web"]["hosts"]) == ["host1", "host2"]
    assert data["maestro_service_db"]["hosts"] == ["host2"]
    if source.endswith(".ships.yml"):
        assert data["ip_10_0_0_11"]["hosts"] == ["host1"]


def test_host_vars(listing, sources):
    data = listing[1]
    host2 = data["_meta"]["hostvars"]["host2"]
    assert host2["ansible_connection"] == "local"
    assert host2["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    assert host2["maestro_ship"] == "host2"
    assert host2["maestro_ship_ip"] == "10.0.0.12"
    assert host2["maestro_docker"]["docker_host"] == "tcp://10.0.0.12:2375"
    assert host2["maestro_docker"]["api_version"] == "1.41"
    assert host2["maestro_docker"]["timeout"] == 30
    db1, web2 = host2["maestro_instances"]
    assert (db1["name"], web2["name"]) == ("db-1", "web-2")  # start order
    assert db1["volumes"] == [{"type": "bind", "source": "/srv/redis", "target": "/data", "mode": "rw"}]
    assert web2["ports"] == [{"name": "http", "exposed": 8080, "external": 80}]  # compact: tcp on 0.0.0.0 are put back where it is used
    assert web2["env"]["LOG_LEVEL"] == "debug"
    # the link variables are added where the spec is used (once per service), not copied into the inventory
    assert web2["add_links"] is True
    assert not [key for key in web2["env"] if key.startswith(("DB_DB_1_", "WEB_"))]
    assert web2["lifecycle"]["running"][0]["path"] == "/healthz"


def test_all_group_vars(listing, sources):
    data = listing[1]
    host1 = data["_meta"]["hostvars"]["host1"]
    assert host1["maestro_environment"] == "demo"
    assert host1["maestro_services"] == {"web": {"instances": ["web-1"], "requires": ["db"]}}
    assert "maestro_service_levels" not in host1
    assert host1["maestro_config_file"] == str(sources / "maestro.yaml")


def test_graph(sources):
    result = _inventory(sources / "maestro.yaml", "--graph")
    assert result.returncode == 0, result.stderr
    assert "@maestro_service_db:\n  |  |--host2" in result.stdout


@pytest.fixture(scope="module")
def bad_sources(sources):
    bad = sources / "bad"
    bad.mkdir(exist_ok=True)
    (bad / "maestro.yaml").write_text(REFERENCE_8.replace("    image: redis:7\n", "    image: redis:7\n    volumes: {/a: /b}\n"))
    (bad / "demo.ships.yml").write_text("plugin: maestro.docker.ships\npath: maestro.yaml\n")
    return bad


# What Ansible prints when it goes on to other inventory plugins after ours failed (manager.parse_source tries
# every enabled plugin that accepts the file, and prints each failure).
NOISE = ("'ini' plugin", "'yaml' plugin", "'auto' plugin", "inventory.ini'", "inventory.yaml'", "inventory.auto'", "Unable to parse")


@pytest.mark.parametrize("source", ["maestro.yaml", "demo.ships.yml"])
def test_bad_file_reports_file_and_line_and_nothing_else(bad_sources, source):
    """With the collection's ansible.cfg, an invalid ships file fails the run with its own errors only."""
    result = _inventory(bad_sources / source, "--list")
    assert result.returncode != 0
    bad = bad_sources / "maestro.yaml"
    assert "%s:14: services.db.volumes: volumes is an instance key, not a service key" % bad in result.stderr
    assert "Completely failed to parse inventory source %s" % (bad_sources / source) in result.stderr
    assert [noise for noise in NOISE if noise in result.stderr] == [], result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_alias_bomb_refused_at_once(sources):
    """A 9-level "billion laughs" (9 ** 9 strings) is refused from the node graph, without expanding it."""
    bomb = sources / "bomb" / "maestro.yaml"
    bomb.parent.mkdir(exist_ok=True)
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += ["%s: &%s [%s]" % (name, name, ",".join(["*" + before] * 9)) for before, name in zip("abcdefgh", "bcdefghi", strict=True)]
    bomb.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    result = _inventory(bomb, "--list")
    took = time.perf_counter() - start
    assert result.returncode != 0
    assert "%s:7: too many YAML alias references: up to this one, the aliases stand for more than 1,000,000 nodes" % bomb in result.stderr
    assert took < 60  # the CLI's own start; the loader's part is milliseconds (unit tests), where it was 73 s and 2.1 GB


SERVICES_ON_FLEET = """\
__maestro:
  schema: 2
  extends: {ships}
name: fleetdemo
services:
  web:
    image: {image}
    ports: {{http: "8080:18080"}}
    lifecycle:
      running: [{{type: http, port: http, path: /health, max_wait: 30}}]
    instances:
{instances}
"""


@pytest.mark.fleet
def test_fleet_ships_file_with_a_services_file(fleet, tmp_path):
    """The fleet's .fleet/ships.yaml, extended by a services file that holds only the application."""
    instances = "\n".join(f"      web-{ship.index}: {{ship: {ship.name}}}" for ship in fleet.ships)
    services = tmp_path / "app.maestro.yaml"
    services.write_text(SERVICES_ON_FLEET.format(ships=fleet.ships_file, image=fleet.image("v1"), instances=instances))
    result = _inventory(services, "--list")
    assert result.returncode == 0, result.stderr
    data = _plain(json.loads(result.stdout))
    assert sorted(data["maestro_ships"]["hosts"]) == [ship.name for ship in fleet.ships]
    assert sorted(data["maestro_service_web"]["hosts"]) == [ship.name for ship in fleet.ships]
    for ship in fleet.ships:
        hostvars = data["_meta"]["hostvars"][ship.name]
        assert hostvars["maestro_environment"] == "fleetdemo"
        assert hostvars["maestro_docker"]["docker_host"] == ship.docker_host
        assert hostvars["maestro_docker"]["timeout"] == 30
        [spec] = hostvars["maestro_instances"]
        assert (spec["name"], spec["ship_ip"], spec["image"]) == (f"web-{ship.index}", ship.ip, fleet.image("v1"))
        full = complete(spec)  # what the engine uses: the compact spec completed
        assert (full["tag"], full["env"]["CONTAINER_HOST_ADDRESS"]) == ("v1", ship.ip)
        assert spec["add_links"] is True and "WEB_INSTANCES" not in spec["env"]
