"""Fixtures of the integration tests: an inventory of the fleet's ships, an optional TLS-only ship, ansible-playbook."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from tests.fleet.fleet import DEMO_TAGS, PROXY_REPOSITORY, PROXY_TAG, Fleet, make_tls_certs

HERE = Path(__file__).resolve().parent
TARGETS_DIR = HERE / "targets"
REPO = HERE.parents[1]
PLAYBOOK_TIMEOUT = 600
AUTH_REGISTRY_PORT = 5001


def spec_base(fleet: Fleet, ship) -> dict:
    return {"service": "web", "environment": "itest", "ship": ship.name, "ship_ip": ship.ip, "image": fleet.image("v1")}


@pytest.fixture(scope="session")
def inventory(fleet: Fleet, tmp_path_factory) -> Path:
    run_id = secrets.token_hex(3)
    hosts = {}
    for ship in fleet.ships:
        hosts[ship.name] = {
            "ship_ip": ship.ip,
            "ship_socket": f"unix://{ship.socket}",
            "maestro_docker": {"docker_host": ship.docker_host, "ship": ship.name, "timeout": 60},
            "spec_base": spec_base(fleet, ship),
        }
    inv = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "fleet_registry": fleet.registry,
                "fleet_images": {**{tag: fleet.image(tag) for tag in DEMO_TAGS}, "proxy": fleet.image(PROXY_TAG, PROXY_REPOSITORY)},
                "name_prefix": f"it{run_id}",
                # host ports for this run, away from other runs: every target adds its own offsets (< 100).
                # 20000..32099 stays below Linux's ephemeral range (32768-60999), where an outgoing
                # connection in the ship's namespace can hold the port (CI saw "address already in use").
                "port_base": 20000 + int(run_id, 16) % 120 * 100,
            },
            "children": {"ships": {"hosts": hosts}},
        }
    }
    path = tmp_path_factory.mktemp("inventory") / "fleet.json"
    path.write_text(json.dumps(inv, indent=2))
    return path


@pytest.fixture(scope="session")
def tls_ship(tmp_path_factory):
    """One extra ship whose API only speaks TLS with client certificates: the fleet's extra fleet 0 (prefix <fleet prefix>t,
    subnet A.B.(100 + 4*C) beside the fleet's A.B.C: Fleet.extra in tests/fleet/fleet.py), state in <FLEET_DIR>-tls."""
    base = Fleet.from_env()
    fleet = base.extra(0, state_dir=base.state_dir.parent / f"{base.state_dir.name}-tls", size=1)
    # The ship also trusts, as a plain-HTTP registry, the password-protected one of the auth_registry fixture.
    fleet.extra_dockerd_args = {"ship1": ["--insecure-registry", f"{fleet.gateway}:{AUTH_REGISTRY_PORT}"]}
    fleet.tls_dir = make_tls_certs(tmp_path_factory.mktemp("tls"), [s.ip for s in fleet.ships])
    fleet.up()
    yield fleet
    fleet.down(quiet=True)


@pytest.fixture(scope="session")
def auth_registry(tls_ship: Fleet, tmp_path_factory):
    """A registry that wants a password (htpasswd, bcrypt), beside the TLS ship, holding demo/web:v1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # noqa: PLC0415 - bcrypt through libxcrypt; only this fixture needs it (removed in 3.13, fine on 3.11)

    address = f"{tls_ship.gateway}:{AUTH_REGISTRY_PORT}"
    root = tmp_path_factory.mktemp("authreg")
    username, password = "deploy", f"reg-{secrets.token_hex(8)}"
    (root / "htpasswd").write_text(f"{username}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    (root / "config.yml").write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
        f"http: {{addr: '{address}'}}\n"
        f"auth: {{htpasswd: {{realm: maestro-test, path: {root / 'htpasswd'}}}}}\n"
    )
    with open(root / "registry.log", "ab") as log:
        proc = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        client = tls_ship.ships[0].client(timeout=120)
        image = client.images.pull(tls_ship.image("v1"))
        image.tag(f"{address}/demo/web", "v1")
        auth = {"username": username, "password": password}
        deadline = time.monotonic() + 20
        while True:
            errors = [e["error"] for e in client.api.push(f"{address}/demo/web", tag="v1", auth_config=auth, stream=True, decode=True) if "error" in e]
            if not errors:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"pushing to {address} failed: {errors}")
            time.sleep(0.5)
        client.images.remove(f"{address}/demo/web:v1")
        client.close()
        yield {"registry": address, "username": username, "password": password, "image": f"{address}/demo/web:v1"}
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def ssh_ship(fleet: Fleet, tmp_path_factory):
    """An sshd inside ship1's network namespace (port 2222) whose only command is ``docker system dial-stdio``.

    Uses the sshd of openssh-server, or FLEET_SSHD (plus FLEET_SSHD_LIBS as its LD_LIBRARY_PATH) for one
    extracted from the .deb without installing the package. Also yields a directory with an ``ssh`` wrapper
    that keeps host keys in a private known_hosts file, to put first on PATH.
    """
    sshd = os.environ.get("FLEET_SSHD") or shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd",) if Path(p).exists()), None)
    real_ssh = shutil.which("ssh")
    if not sshd or not real_ssh:
        pytest.skip("no sshd/ssh: install openssh-server and openssh-client, or set FLEET_SSHD to an sshd binary")
    ship = fleet.ships[0]
    d = tmp_path_factory.mktemp("ssh")
    for key in ("host_key", "client_key", "other_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
    dial = f"{shutil.which('docker') or 'docker'} -H unix://{ship.socket} system dial-stdio"
    (d / "authorized_keys").write_text(f'command="{dial}",no-pty,no-port-forwarding {(d / "client_key.pub").read_text()}')
    (d / "sshd_config").write_text(
        f"Port 2222\nListenAddress {ship.ip}\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    env = dict(os.environ)
    if os.environ.get("FLEET_SSHD_LIBS"):
        env["LD_LIBRARY_PATH"] = os.environ["FLEET_SSHD_LIBS"]
    # sshd needs its privilege separation user; rather than adding one to this machine, the sshd process gets a
    # private mount namespace in which /etc/passwd is a copy that has it.
    passwd = Path("/etc/passwd").read_text()
    if not any(line.startswith("sshd:") for line in passwd.splitlines()):
        passwd += "sshd:x:64999:65534:sshd privsep (test only):/run/sshd:/usr/sbin/nologin\n"
    (d / "passwd").write_text(passwd)
    inner = f"mount --bind {d / 'passwd'} /etc/passwd && exec nsenter --net=/var/run/netns/{ship.netns} {sshd} -D -e -f {d / 'sshd_config'}"
    with open(d / "sshd.log", "ab") as log:
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((ship.ip, 2222), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sshd did not start: {(d / 'sshd.log').read_text()[-2000:]}") from None
                time.sleep(0.2)
        (d / "bin").mkdir()
        wrapper = d / "bin" / "ssh"
        wrapper.write_text(
            f'#!/bin/sh\nexec {real_ssh} -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={d / "known_hosts"} "$@"\n'
        )
        wrapper.chmod(0o755)
        yield {
            "docker_host": f"ssh://root@{ship.ip}:2222",
            "key": str(d / "client_key"),
            "other_key": str(d / "other_key"),
            "bin": str(d / "bin"),
            "ship": ship.name,
        }
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a server a fixture started: TERM, then KILL if it has not gone within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_playbook(inventory: Path, playbook: Path, *args: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_ENABLED="ansible.builtin.yaml")
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    cmd = ["ansible-playbook", "-i", str(inventory), str(playbook), *args]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=PLAYBOOK_TIMEOUT, cwd=REPO, check=False)
