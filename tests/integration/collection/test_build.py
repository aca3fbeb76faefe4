"""The collection as users get it: `ansible-galaxy collection build`, install, and use by FQCN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.integration.estates import WEB, ships_written_out

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def galaxy(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / "ansible-galaxy"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"ansible-galaxy {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """The collection built into a tarball and installed with ansible-galaxy into a collections path of its own:
    (the directory, the environment that sees only the installed copy, under a default ansible.cfg)."""
    tmp_path = tmp_path_factory.mktemp("galaxy")
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    galaxy("collection", "build", "--output-path", str(tmp_path), str(REPO), cwd=tmp_path)
    tarball = tmp_path / f"maestro-docker-{version}.tar.gz"
    assert tarball.is_file()
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "MANIFEST.json" in names
    assert "meta/runtime.yml" in names
    # what build_ignore keeps out of the artifact: the fleet, caches, the venv, dev tooling
    assert not [n for n in names if n.split("/")[0] in {".fleet", ".venv", ".collections", ".ci", "Makefile", "bench", "demo"}]

    install_dir = tmp_path / "installed"
    # Not the checkout's config (make exports it): there the collection is already "installed" through
    # the .collections link, and install would do nothing. Only the installed copy must be visible.
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(install_dir), "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg")}
    galaxy("collection", "install", "--offline", "-p", str(install_dir), str(tarball), cwd=tmp_path, env=env)
    assert (install_dir / "ansible_collections" / "maestro" / "docker" / "MANIFEST.json").is_file()
    listed = galaxy("collection", "list", "maestro.docker", "--format", "yaml", cwd=tmp_path, env=env)
    found = yaml.safe_load(listed.stdout)
    assert {k: v for paths in found.values() for k, v in paths.items()} == {"maestro.docker": {"version": version}}
    return tmp_path, env


def test_built_tarball_installs_and_resolves_by_fqcn(installed):
    tmp_path, env = installed

    # every module and inventory plugin of the checkout is documented from the installed copy
    for kind, folder in (("module", "modules"), ("inventory", "inventory")):
        expected = sorted(f"maestro.docker.{p.stem}" for p in (REPO / "plugins" / folder).glob("[!_]*.py"))
        if expected:
            docs = subprocess.run(
                [str(BIN / "ansible-doc"), "-t", kind, "--json", *expected], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
            )
            assert docs.returncode == 0, docs.stderr
            assert sorted(json.loads(docs.stdout)) == expected

    # every role renders its documentation, and every playbook resolves by FQCN, from the installed copy
    roles = sorted(f"maestro.docker.{p.parent.parent.name}" for p in (REPO / "roles").glob("[!_]*/meta/argument_specs.yml"))
    if roles:
        docs = subprocess.run([str(BIN / "ansible-doc"), "-t", "role", "--json", *roles], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
        assert docs.returncode == 0, docs.stderr
        assert sorted(json.loads(docs.stdout)) == roles
    for playbook in sorted((REPO / "playbooks").glob("*.yml")):
        check = subprocess.run(
            [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", f"maestro.docker.{playbook.stem}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, f"maestro.docker.{playbook.stem}: {check.stdout}\n{check.stderr}"


@pytest.mark.fleet
def test_a_user_deploys_from_the_installed_tarball_in_a_directory_of_their_own(installed, fleet, inventory):
    """Issue 16: outside the checkout, with Ansible's default configuration (forks 5, its own callback and inventory
    plugins). A ships file given to -i directly is read by Ansible's yaml plugin: the run fails and says the fix. The
    *.ships.yml config form works, with maestro_proxy in group_vars/all.yml beside it, as README says."""
    tmp_path, env = installed
    run_vars = json.loads(inventory.read_text())["all"]["vars"]
    name, port = f"{run_vars['name_prefix']}gx", run_vars["port_base"] + 70
    ships = fleet.ships[:3]
    estate = tmp_path / "estate"
    (estate / "group_vars").mkdir(parents=True)
    instances = "\n".join(f'      {name}-{ship.name}: {{ship: {ship.name}, ports: {{http: "8080:{port}"}}}}' for ship in ships)
    (estate / "prod.maestro.yaml").write_text(ships_written_out(ships) + WEB.format(env=name, image=fleet.image("v1"), instances=instances))
    (estate / "group_vars" / "all.yml").write_text(
        yaml.safe_dump(
            {
                "maestro_proxy": {
                    "host": ships[0].name,
                    "image": fleet.image("2.6", "proxy/haproxy"),
                    "frontends": {"web": {"port": port + 6, "backend_port": "http", "health_path": "/health"}},
                },
                "maestro_deploy_port_offset": 3,
            }
        )
    )
    clients = {ship.name: ship.client(timeout=60) for ship in ships}

    def remove_all():
        for client in clients.values():
            for found in client.containers.list(all=True, filters={"label": f"maestro.environment={name}"}):
                if found.labels.get("maestro.managed") == "true":
                    found.remove(force=True, v=True)

    def play(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / "ansible-playbook"), *args], cwd=estate, env=env, capture_output=True, text=True, timeout=600, check=False)
        proc.output = proc.stdout + proc.stderr
        return proc

    remove_all()
    try:
        raw = play("maestro.docker.deploy", "-i", "prod.maestro.yaml")
        assert raw.returncode != 0, raw.output[-4000:]
        assert "the inventory was not read by the ships inventory plugin" in raw.output and "*.ships.yml" in raw.output, raw.output[-4000:]

        (estate / "prod.ships.yml").write_text("plugin: maestro.docker.ships\npath: prod.maestro.yaml\n")
        done = play("maestro.docker.deploy", "-i", "prod.ships.yml")
        assert done.returncode == 0, done.output[-8000:]
        for ship in ships:
            found = clients[ship.name].api.inspect_container(f"{name}-{ship.name}")
            assert found["State"]["Running"] and found["Config"]["Labels"]["maestro.managed"] == "true"
        with urllib.request.urlopen(f"http://{ships[0].ip}:{port + 6}/", timeout=10) as answer:  # noqa: S310 - the fleet's proxy
            assert answer.read().decode().strip() == "v1"
    finally:
        remove_all()
