"""Runs each integration target (tests/integration/targets/<name>/tasks/main.yml) with ansible-playbook on the fleet.

One pytest test per target. The inventory has one host per ship (ship1..N, connection local, the venv's
Python) with ``maestro_docker`` (connection options for ``module_defaults``), ``ship_ip``, ``ship_socket``
and ``spec_base`` (the defaults of a hand-written instance spec for that ship). A target's ``aliases`` file
may say ``hosts/<pattern>`` (default ship1) and ``needs/tls`` (a TLS-only ship, started for it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import TARGETS_DIR, run_playbook

pytestmark = pytest.mark.fleet

TARGETS = sorted(p.name for p in TARGETS_DIR.iterdir() if (p / "tasks" / "main.yml").is_file() and not p.name.startswith("setup_"))


def aliases(target: str) -> list[str]:
    path = TARGETS_DIR / target / "aliases"
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")] if path.exists() else []


def target_playbook(target: str, hosts: str, directory: Path) -> Path:
    play = [
        {
            "name": f"Integration target {target}",
            "hosts": hosts,
            "gather_facts": False,
            "module_defaults": {"group/maestro.docker.docker": "{{ maestro_docker }}"},
            "vars": {"target_dir": str(TARGETS_DIR / target)},
            "tasks": [{"name": f"Run {target}", "ansible.builtin.include_tasks": str(TARGETS_DIR / target / "tasks" / "main.yml")}],
        }
    ]
    path = directory / f"{target}.yml"
    path.write_text(json.dumps(play, indent=2))
    return path


@pytest.mark.parametrize("target", TARGETS)
def test_target(target: str, inventory: Path, request, tmp_path):
    flags = aliases(target)
    hosts = next((a.split("/", 1)[1] for a in flags if a.startswith("hosts/")), "ship1")
    extra = {}
    if "needs/tls" in flags:
        tls = request.getfixturevalue("tls_ship")
        ship = tls.ships[0]
        extra["tls_ship"] = {
            "name": ship.name,
            "ip": ship.ip,
            "docker_host": ship.docker_host,
            "certs": str(tls.tls_dir),
            "image": tls.image("v1"),
        }
    if "needs/ssh" in flags:
        extra["ssh_ship"] = request.getfixturevalue("ssh_ship")
    if "needs/auth_registry" in flags:
        extra["auth_registry"] = request.getfixturevalue("auth_registry")
    proc = run_playbook(inventory, target_playbook(target, hosts, tmp_path), extra=extra)
    assert proc.returncode == 0, f"target {target} failed (rc={proc.returncode}):\n{proc.stdout[-20000:]}\n{proc.stderr[-5000:]}"
