# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A deploy as AWX and ansible-navigator run one: ansible_runner.run, a ships file with !vault secrets, the fleet.

The ships file holds an env secret and a registry password encrypted with ansible-vault; the vault password
comes from a file given on the runner's command line, as AWX passes a vault credential. Checked: the run is
successful, the container runs with the decrypted value, ``ansible-inventory --list`` of that ships file holds
neither secret, and no event of the run shows one.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import ansible_runner
import pytest
from ansible.module_utils.common.text.converters import to_text
from ansible.parsing.vault import VaultLib, VaultSecret

pytestmark = pytest.mark.fleet

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SHIPS_FILE = """\
__maestro:
  schema: 2
  extends: {fleet_ships}
name: {prefix}
registries:
  fleet:
    registry: "http://{registry}"
    username: deploy
    password: {password}
services:
  web:
    image: {image}
    env:
      DB_LOGIN: {secret}
    instances:
      {prefix}-web-1: {{ship: ship1, ports: {{http: "8080:{port}"}}}}
"""


def _vaulted(vault: VaultLib, plaintext: str, indent: int) -> str:
    return "!vault |\n" + textwrap.indent(to_text(vault.encrypt(plaintext)), " " * indent)


@pytest.fixture
def vault_stack(fleet, inventory: Path, tmp_path: Path):
    run_vars = json.loads(inventory.read_text())["all"]["vars"]
    prefix = f"{run_vars['name_prefix']}rn"
    vault_password = f"vault-{secrets.token_hex(8)}"
    values = {"secret": f"db-{secrets.token_hex(8)}", "password": f"rp-{secrets.token_hex(8)}"}
    vault = VaultLib([("default", VaultSecret(vault_password.encode()))])
    (tmp_path / "vault-password").write_text(vault_password)
    ships_file = tmp_path / f"{prefix}.maestro.yaml"
    ships_file.write_text(
        SHIPS_FILE.format(
            fleet_ships=fleet.ships_file,
            prefix=prefix,
            registry=fleet.registry,
            image=fleet.image("v1"),
            port=run_vars["port_base"] + 88,
            password=_vaulted(vault, values["password"], 6),
            secret=_vaulted(vault, values["secret"], 8),
        )
    )
    client = fleet.ships[0].client(timeout=60)
    yield {"file": ships_file, "dir": tmp_path, "name": f"{prefix}-web-1", "values": values, "client": client}
    for container in client.containers.list(all=True, filters={"name": prefix}):
        container.remove(force=True)
    client.close()


def _env() -> dict:
    env = {"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"), "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = f"{BIN}:{os.environ.get('PATH', '')}"
    return env


def test_deploy_through_ansible_runner_with_vault_secrets(vault_stack):
    stack = vault_stack
    (stack["dir"] / "runner").mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(stack["dir"] / "runner"),
        playbook=str(REPO / "playbooks" / "start.yml"),
        inventory=str(stack["file"]),
        envvars=_env(),
        cmdline=f"--vault-password-file {stack['dir'] / 'vault-password'}",
        quiet=True,
        timeout=300,
    )
    output = runner.stdout.read()
    assert runner.rc == 0, output[-5000:]
    assert runner.status == "successful"
    container = stack["client"].containers.get(stack["name"])
    assert container.status == "running"
    assert f"DB_LOGIN={stack['values']['secret']}" in container.attrs["Config"]["Env"]
    events = json.dumps(list(runner.events))
    for name, value in stack["values"].items():
        assert value not in output, f"{name} in the run's output"
        assert value not in events, f"{name} in the run's events"


def test_inventory_list_holds_no_registry_password(vault_stack):
    stack = vault_stack
    cmd = [str(BIN / "ansible-inventory"), "-i", str(stack["file"]), "--list", "--vault-password-file", str(stack["dir"] / "vault-password")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **_env()}, cwd=REPO, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert stack["values"]["password"] not in proc.stdout
    assert stack["values"]["secret"] not in proc.stdout  # the env value given with !vault, published encrypted too
    password = listed["_meta"]["hostvars"]["ship1"]["maestro_registries"]["fleet"]["password"]
    assert password["__ansible_vault"].startswith("$ANSIBLE_VAULT;1.1;AES256")


AUTH_SHIPS_FILE = """\
name: {prefix}
ships:
  tls1: {{ip: {ip}, docker_port: 2376, tls: true, tls_verify: true, tls_ca_cert: {certs}/ca.pem, tls_cert: {certs}/cert.pem, tls_key: {certs}/key.pem}}
registries:
  auth:
    registry: "http://{registry}"
    username: {username}
    password: {password}
services:
  web:
    image: {image}
    instances:
      {prefix}-web-1: {{ship: tls1}}
"""


def test_a_registry_password_given_with_vault_pulls_from_a_registry_that_wants_it(auth_registry, tls_ship, inventory, tmp_path):
    """Issue 16: the registry password as ansible-vault encrypts it, published encrypted, decrypted by the engine for the
    pull from a registry that refuses anonymous pulls (htpasswd), over the ship's TLS API; the password in no output."""
    prefix = f"{json.loads(inventory.read_text())['all']['vars']['name_prefix']}va"
    vault_password = f"vault-{secrets.token_hex(8)}"
    vault = VaultLib([("default", VaultSecret(vault_password.encode()))])
    (tmp_path / "vault-password").write_text(vault_password)
    ship = tls_ship.ships[0]
    ships_file = tmp_path / f"{prefix}.maestro.yaml"
    ships_file.write_text(
        AUTH_SHIPS_FILE.format(
            prefix=prefix,
            ip=ship.ip,
            certs=tls_ship.tls_dir,
            registry=auth_registry["registry"],
            username=auth_registry["username"],
            password=_vaulted(vault, auth_registry["password"], 6),
            image=auth_registry["image"],
        )
    )
    client = ship.client(timeout=60)

    def remove_image():  # the registry_auth target expects the image absent from the ship, as the fixture leaves it
        try:
            client.images.remove(auth_registry["image"], force=True)
        except Exception:  # noqa: BLE001, S110 - docker.errors.ImageNotFound: not pulled
            pass

    remove_image()
    cmd = [str(BIN / "ansible-playbook"), str(REPO / "playbooks" / "pull.yml"), "-i", str(ships_file), "-vvv"]
    env = {**os.environ, **_env()}
    refused = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert refused.returncode != 0 and "no vault secrets" in refused.stdout + refused.stderr, (refused.stdout + refused.stderr)[-3000:]
    proc = subprocess.run(
        [*cmd, "--vault-password-file", str(tmp_path / "vault-password")], capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )
    output = proc.stdout + proc.stderr
    try:
        assert proc.returncode == 0, output[-5000:]
        assert client.images.get(auth_registry["image"]).id.startswith("sha256:")
        assert auth_registry["password"] not in output
    finally:
        remove_image()
        client.close()
