# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The deploy and rollback playbooks on the real fleet: blue/green behind the managed proxy, under load.

web has 2 instances on each of the 3 ships; the proxy runs on ship1. A load thread sends 25 requests/s
through the proxy during every deploy (tests/fleet/load.py); a request fails on any error or non-200.
The tests run in file order, each from the state the previous one left: v1, v2, broken (refused), a missing
tag (refused at the pull), rollback to v1, the lock (held: refused; broken: v2), a run SIGKILLed holding the lock
(its lease taken over: v1), v2 again, a deploy of the file's own image (v1) and the exact rollback to v2; then
the other environments: the stop-start strategy, a service started by maestro start, secrets, and the lost ship.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fleet.load import Load
from tests.integration.estates import EXTENDS_FLEET, WEB, ships_written_out

pytestmark = pytest.mark.fleet

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
TIMEOUT = 300
RATE = 25

SHIPS_FILE = EXTENDS_FLEET + WEB


def playbook_env(**extra: str) -> dict:
    """The environment of ansible-playbook in these tests: the checkout's ansible.cfg, no colour, the venv first on PATH."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **extra)
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    return env


class Env:
    """One environment: its ships file, the proxy settings, ansible-playbook, and the fleet's daemons."""

    def __init__(self, fleet, directory: Path, inventory: Path, suffix: str, image: str, *, offset: int):
        run_vars = json.loads(inventory.read_text())["all"]["vars"]
        self.name = f"{run_vars['name_prefix']}{suffix}"
        base = run_vars["port_base"]
        self.ships = fleet.ships[:3]
        self.clients = {ship.name: ship.client(timeout=60) for ship in self.ships}
        self.ports = (base + offset, base + offset + 1)
        self.instances = {f"{self.name}-{ship.name}-{letter}": (ship, port) for ship in self.ships for letter, port in zip("ab", self.ports, strict=True)}
        self.fleet_ships = fleet.ships_file
        self.directory = directory
        self.file = self.write(image)
        self.proxy_port = base + offset + 6
        self.proxy_url = f"http://{self.ships[0].ip}:{self.proxy_port}/"
        self.audit_log = directory / "audit.log"
        self.vars = {
            "maestro_proxy": {
                "host": self.ships[0].name,
                "image": fleet.image("2.6", "proxy/haproxy"),
                "frontends": {"web": {"port": self.proxy_port, "backend_port": "http", "health_path": "/health"}},
                "drain_timeout": 20,
            },
            "maestro_deploy_port_offset": 3,
            "maestro_deploy_audit_log": str(self.audit_log),
        }
        self.vars_file = directory / "vars.json"
        self.vars_file.write_text(json.dumps(self.vars))

    def write(self, image: str) -> Path:
        lines = [f'      {name}: {{ship: {ship.name}, ports: {{http: "8080:{port}"}}}}' for name, (ship, port) in self.instances.items()]
        path = self.directory / f"{self.name}.maestro.yaml"
        path.write_text(SHIPS_FILE.format(fleet_ships=self.fleet_ships, env=self.name, image=image, instances="\n".join(lines)))
        return path

    def command(self, playbook: str, *args: str) -> tuple[list[str], dict]:
        return [str(BIN / "ansible-playbook"), playbook, "-i", str(self.file), "-e", f"@{self.vars_file}", *args], playbook_env()

    def play(self, playbook: str, *args: str) -> subprocess.CompletedProcess:
        cmd, env = self.command(playbook, *args)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT, cwd=REPO, check=False)
        proc.output = proc.stdout + proc.stderr
        return proc

    def start(self, playbook: str, *args: str) -> subprocess.Popen:
        """ansible-playbook in the background, in a process group of its own (its workers with it)."""
        cmd, env = self.command(playbook, *args)
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO, start_new_session=True)

    def lock(self):
        """The environment's lock container on ship1 (the proxy's ship holds it), or None."""
        try:
            return self.clients[self.ships[0].name].api.inspect_container(f"maestro-lock-{self.name}")
        except Exception as exc:  # docker.errors.NotFound
            if getattr(getattr(exc, "response", None), "status_code", None) == 404:
                return None
            raise

    def ok(self, playbook: str, *args: str) -> str:
        proc = self.play(playbook, *args)
        assert proc.returncode == 0, f"{playbook} {args} failed (rc={proc.returncode}):\n{proc.output[-12000:]}"
        return proc.output

    def container(self, name: str):
        ship = self.instances[re.sub(r"(-green)?(\.[\w.-]+)?$", "", name)][0]  # the colour, parked or archived, of an instance
        try:
            return self.clients[ship.name].api.inspect_container(name)
        except Exception as exc:  # docker.errors.NotFound
            if getattr(getattr(exc, "response", None), "status_code", None) == 404:
                return None
            raise

    def states(self, suffix: str = "") -> dict:
        """name -> running / stopped / absent, and the image tag of each colour's containers."""
        out = {}
        for name in self.instances:
            found = self.container(name + suffix)
            out[name + suffix] = (
                "absent" if found is None else ("running" if found["State"]["Running"] else "stopped") + " " + found["Config"]["Image"].rsplit(":", 1)[1]
            )
        return out

    def remove_all(self) -> None:
        for client in self.clients.values():
            for found in client.containers.list(all=True, filters={"label": f"maestro.environment={self.name}"}):
                if found.labels.get("maestro.managed") == "true":
                    found.remove(force=True, v=True)
            for found in client.containers.list(all=True, filters={"name": self.name}):
                if found.labels.get("maestro.managed") == "true":
                    found.remove(force=True, v=True)


def each(states: dict, value: str) -> bool:
    return set(states.values()) == {value}


def environment(fleet, inventory, directory: Path, suffix: str, *, offset: int):
    """A module fixture's environment on v1, with no container of an earlier run, cleaned after its tests."""
    made = Env(fleet, directory, inventory, suffix, fleet.image("v1"), offset=offset)
    made.remove_all()
    yield made
    made.remove_all()


@pytest.fixture(scope="module")
def web(fleet, inventory, tmp_path_factory):
    yield from environment(fleet, inventory, tmp_path_factory.mktemp("deploy"), "bg", offset=1)


def deploy_under_load(web: Env, playbook: str, *args: str):
    """Run a playbook while the load runs; returns (process, counts during the run, counts in the 2 s after it)."""
    load = Load(web.proxy_url, rate=RATE, threads=3).start()
    try:
        time.sleep(1)
        before = load.snapshot()
        proc = web.play(playbook, *args)
        end = load.snapshot()
        time.sleep(2)
        after = load.snapshot().since(end)
    finally:
        load.stop()
    return proc, end.since(before), after


def test_first_deploy_starts_blue_behind_the_proxy(web):
    out = web.ok("playbooks/deploy.yml")
    assert each(web.states(), "running v1"), web.states()
    assert each(web.states("-green"), "absent")
    load = Load(web.proxy_url, rate=RATE, threads=2).start()
    time.sleep(1.5)
    snap = load.stop()
    assert snap.failures == 0 and set(snap.answers) == {"v1"}, snap
    assert "Deploy of web succeeded" in web.audit_log.read_text()
    assert "changed=" in out


def test_deploying_the_same_version_again_changes_nothing(web):
    ids = {name: web.container(name)["Id"] for name in web.instances}
    out = web.ok("playbooks/deploy.yml")
    assert "Already deployed as wanted, left alone: web" in out
    assert {name: web.container(name)["Id"] for name in web.instances} == ids
    assert each(web.states("-green"), "absent")


def test_blue_green_v1_to_v2_under_load_fails_no_request(web):
    proc, during, after = deploy_under_load(web, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.requests >= 20 * during.elapsed * 0.8, during
    assert during.failures == 0, during
    assert set(during.answers) <= {"v1", "v2"}
    assert after.requests > 0 and after.failures == 0 and set(after.answers) == {"v2"}, after
    assert each(web.states("-green"), "running v2"), web.states("-green")
    assert each(web.states(), "stopped v1"), web.states()  # kept for a rollback
    summary = " ".join(re.split(r"Deploy done in \d+ s\. ", proc.output, maxsplit=1)[1].split("'", 1)[0].split())
    assert re.fullmatch(
        r"web on green: 6 instances on 3 ships, release \d{8}T\d{6}Z-\w{4} \(tag v2\), image \S+/demo/web:v2 sha256:[0-9a-f]{12}; "
        r"blue stopped and kept, for a rollback\. "
        r"The traffic goes through the proxies on ship1\.",
        summary,
    ), summary


def test_check_mode_chains_the_steps_says_each_ship_and_changes_nothing(web):
    """Issue 16, point 6: --check --diff of the next deploy (green live, blue stopped in its slot) shows each step as the
    ones before it would leave the ship: the park empties the blue slot, so the start shows each blue container created
    (absent -> running), not the stopped one started; keep releases shows the parked one removed. Nothing changes."""
    ids = {name: web.container(name)["Id"] for name in web.instances}
    out = web.ok("playbooks/deploy.yml", "--check", "--diff", "-e", "maestro_deploy_tag=v1")
    assert {name: web.container(name)["Id"] for name in web.instances} == ids
    assert each(web.states(), "stopped v1") and each(web.states("-green"), "running v2") and each(web.states(".parked"), "absent")
    ship1 = [name for name, (ship, *_rest) in web.instances.items() if ship.name == "ship1"]
    start = out.split("--- before: ship1 before start the new colour", 1)[1].split("---", 1)[0]
    for name in ship1:
        assert re.search(rf"^\s+{re.escape(name)}:\n-\s+status: absent\n\+\s+image: \S+:v1\n", start, flags=re.M), start
    keep = out.split("--- before: ship1 before keep releases", 1)[1].split("---", 1)[0]
    assert f"-        parked: {ship1[0]}.parked" in keep and "+        parked: removed" in keep, keep
    # one line per ship as its part finishes, with counts, and the summary in check mode
    for ship in ("ship1", "ship2", "ship3"):
        assert re.search(rf"^  start the new colour: {ship} would be started 2/2 in \d+\.\d s$", out, flags=re.M), out[-6000:]
    assert re.search(r"^  park \(\d+\.\d s\): would change on ship1, ship2, ship3$", out, flags=re.M)
    assert "Check mode, nothing was changed: the deploy would leave web on blue: 6 instances on 3 ships" in " ".join(out.split())


def test_broken_deploy_is_refused_on_every_ship_and_traffic_stays_on_v2(web):
    proc, during, after = deploy_under_load(web, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=broken")
    assert proc.returncode != 0
    assert during.failures == 0 and set(during.answers) == {"v2"}, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    # The message names ship, instance and check; there is no traceback.
    assert "Deploy of web (blue-green) failed." in proc.output
    assert f"Error passing the running lifecycle checks of instance {web.name}-ship1-a on ship ship1: http check" in proc.output
    assert "HTTP 404" in proc.output and "Traceback" not in proc.output
    # with the last lines that one of the failing containers printed (issue 16, point 6): once, for the whole group
    error = next(line for line in proc.output.splitlines() if "Action failed: Start the new colour: " in line)
    assert error.count("[the last lines of ") == 1 and re.search(r"\[the last lines of \S+'s log on ship\d: demo/web:broken has no /health page\]", error), (
        error
    )
    assert "The traffic never left the live colour (green); the new colour was removed on every ship." in proc.output, proc.output[-2500:]
    # The broken containers are gone and the older colour (v1) is back in its slot, for rollback.
    assert each(web.states(), "stopped v1"), web.states()
    assert each(web.states(".parked"), "absent")
    assert each(web.states("-green"), "running v2")
    assert "Failed to deploy web!" in web.audit_log.read_text()


@pytest.mark.parametrize("cause", ["a tag missing from the registry", "the registry down"])
def test_a_deploy_failing_at_the_pull_keeps_the_rollback_target(web, fleet, cause):
    """Issue 14: a tag that is not in the registry, or a registry that is down, fails the deploy at the pull, before
    anything was started or parked. The undo used to remove the new colour's slot on every ship, which held the
    rollback target (v1): now it leaves it alone."""
    kept = {name: web.container(name)["Id"] for name in web.instances}
    if cause == "the registry down":
        fleet.crash_registry()
        try:
            proc, during, after = deploy_under_load(web, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
        finally:
            fleet.up()  # restarts the registry with its images
        assert "Error pulling image" in proc.output and "connection refused" in proc.output.lower(), proc.output[-4000:]
    else:
        proc, during, after = deploy_under_load(web, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=nope")
    assert proc.returncode != 0
    assert during.failures == 0 and set(during.answers) == {"v2"}, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    assert "Deploy of web (blue-green) failed." in proc.output and "Traceback" not in proc.output, proc.output[-6000:]
    assert "nothing had been started, and the older colour is still in its slot on every ship, for rollback." in proc.output
    # the very containers of v1, untouched, and nothing parked or left over
    assert {name: web.container(name)["Id"] for name in web.instances} == kept
    assert each(web.states(), "stopped v1"), web.states()
    assert each(web.states(".parked"), "absent")
    assert each(web.states("-green"), "running v2")


def test_rollback_returns_to_v1_under_load(web):
    proc, during, after = deploy_under_load(web, "playbooks/rollback.yml")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0 and set(during.answers) <= {"v1", "v2"}, during
    assert after.failures == 0 and set(after.answers) == {"v1"}, after
    assert each(web.states(), "running v1")
    assert each(web.states("-green"), "stopped v2")


def test_a_colour_running_beside_the_live_one_is_stopped_before_it_is_parked_and_replaced_under_load(web):
    """A run cut after its switch, while it stopped the old colour, leaves that colour running beside the live one, and
    so does one started by hand. The proxy routes none of it. The next deploy, whose new colour's slot it holds, stops
    it before it parks it, starts a new container there and switches, with no failed request (deploy_plan's read names
    it: its stray; most deploys have none and skip that step)."""
    for name, (ship, _port) in web.instances.items():
        web.clients[ship.name].api.start(f"{name}-green")
    assert each(web.states(), "running v1") and each(web.states("-green"), "running v2")
    left = {name: web.container(f"{name}-green")["Id"] for name in web.instances}
    proc, during, after = deploy_under_load(web, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    assert proc.returncode == 0, proc.output[-8000:]
    assert "stop the new slot" in proc.output and "Already deployed" not in proc.output
    assert during.failures == 0 and set(during.answers) <= {"v1", "v2"}, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    assert each(web.states("-green"), "running v2") and each(web.states(), "stopped v1")
    assert all(web.container(f"{name}-green")["Id"] != left[name] for name in web.instances)  # started anew, as a deploy does
    assert each(web.states("-green.parked"), "absent")  # the one that ran, parked and then removed (one release kept)
    # back to where the next tests start: blue live on v1, green stopped on v2
    proc, during, after = deploy_under_load(web, "playbooks/rollback.yml")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0 and after.failures == 0 and set(after.answers) == {"v1"}, (during, after)
    assert each(web.states(), "running v1") and each(web.states("-green"), "stopped v2")


def test_a_second_deploy_fails_fast_while_the_lock_is_held(web):
    ship1 = web.ships[0]
    hold = REPO / "tests/integration/playbooks/lock_hold.yml"
    held = web.play(str(hold), "-e", json.dumps({"lock_name": f"maestro-lock-{web.name}", "lock_host": ship1.name}))
    assert held.returncode == 0, held.output[-4000:]
    labels = web.lock()["Config"]["Labels"]
    pid, since = labels["maestro.lock.pid"], labels["maestro.lock.since"]
    assert int(pid) > 1 and labels["maestro.lock.playbook"] == str(hold)
    before = web.states()
    started = time.monotonic()
    proc = web.play("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    took = time.monotonic() - started
    assert proc.returncode != 0
    # the holder with the pid of its ansible-playbook process and its playbook
    held_by = f"Deploy lock maestro-lock-{web.name} on ship {ship1.name} is held by alice@elsewhere (pid {pid}, playbook {hold}) since {since}"
    assert held_by in proc.output, proc.output[-3000:]
    assert "for: deploy web by hand" in proc.output
    assert took < 20, took
    assert web.states() == before == dict.fromkeys(web.instances, "running v1")  # nothing moved
    # Breaking the stale lock lets the deploy through, says whose lock it broke, writes that to the audit trail,
    # and the lock is released after it.
    out = web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", "-e", "maestro_deploy_break_lock=true")
    previous = f"alice@elsewhere (pid {pid}, playbook {hold}, held since {since}) for: deploy web by hand"
    assert f"[WARNING]: Deploy lock maestro-lock-{web.name} on ship {ship1.name}: broke the lock of {previous}" in out, out[-4000:]
    audit = web.audit_log.read_text()
    assert f"is breaking the deploy lock maestro-lock-{web.name} on ship {ship1.name} of {previous}." in audit, audit[-2000:]
    assert labels["maestro.lock.token"] not in out + audit
    assert each(web.states("-green"), "running v2")
    assert web.lock() is None


def test_a_run_killed_holding_the_lock_is_named_until_its_lease_expires_then_taken_over(web):
    """Issue 14: ansible-playbook SIGKILLed mid-deploy leaves its lock. The next run is refused naming it with its pid
    and playbook; once the lease it took the lock with has expired, the next run takes the lock over, says so, writes
    it to the audit trail and converges (back to v1)."""
    ship1, ttl = web.ships[0], 20
    killed = web.start("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1", "-e", f"maestro_deploy_lock_ttl={ttl}")
    try:
        deadline = time.monotonic() + 60
        while web.lock() is None and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the playbook and its workers, as kill -9 of a controller's session
        killed.wait(timeout=30)
    lock = web.lock()
    assert lock is not None, "the deploy ended before it took the lock"
    labels = lock["Config"]["Labels"]
    assert labels["maestro.lock.pid"] == str(killed.pid) and labels["maestro.lock.ttl"] == str(ttl)
    expires = time.time() + ttl  # within a fraction of a second of the container's creation, on this machine's clock
    playbook, since = REPO / "playbooks/deploy.yml", labels["maestro.lock.since"]

    refused = web.play("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
    assert time.time() < expires, "the refused run reached the lock after the lease: make the ttl longer"
    assert refused.returncode != 0
    holder = f"{labels['maestro.lock.who']} (pid {killed.pid}, playbook {playbook}"
    held_by = f"Deploy lock maestro-lock-{web.name} on ship {ship1.name} is held by {holder}, lease {ttl} s) since {since}"
    assert held_by in refused.output, refused.output[-3000:]
    assert "wait for it to finish or for its lease to expire, or break it with force" in refused.output
    assert each(web.states("-green"), "running v2")  # nothing moved

    time.sleep(max(expires - time.time() + 1, 0))
    out = web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
    previous = f"{holder}, held since {since}, lease {ttl} s expired) for: deploy web tag v1"
    assert f"[WARNING]: Deploy lock maestro-lock-{web.name} on ship {ship1.name}: took over the stale lock of {previous}" in out, out[-4000:]
    audit = web.audit_log.read_text()
    assert f"is taking over the stale deploy lock maestro-lock-{web.name} on ship {ship1.name} of {previous}." in audit, audit[-2000:]
    assert labels["maestro.lock.token"] not in out + audit
    assert each(web.states(), "running v1"), web.states()
    assert each(web.states("-green"), "stopped v2"), web.states("-green")
    assert web.lock() is None


def test_rollback_after_a_deploy_of_the_files_image_restores_the_previous_release_exactly(web):
    """Issue 14: with v2 live, a deploy of the ships file's own image (v1), then a rollback. The rollback used to re-create
    the stopped v2 colour from the file (v1): the proxy went on answering v1 and the audit said it succeeded. It starts the
    very containers of v2 now, with the release they recorded (image digest, spec hash)."""
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")  # from v1 (the lease test's end): green v2 live
    recorded = {name: web.container(f"{name}-green") for name in web.instances}
    releases = {old["Config"]["Labels"].get("maestro.release") for old in recorded.values()}
    assert len(releases) == 1 and None not in releases, releases  # one release across every ship
    digests = {old["Config"]["Labels"].get("maestro.release.digest") for old in recorded.values()}
    assert len(digests) == 1 and next(iter(digests)).startswith("sha256:"), digests
    assert {old["Config"]["Labels"].get("maestro.release.tag") for old in recorded.values()} == {"v2"}

    web.ok("playbooks/deploy.yml")  # the file's image, v1, as a new release in blue
    assert each(web.states(), "running v1") and each(web.states("-green"), "stopped v2"), (web.states(), web.states("-green"))
    assert {web.container(name)["Config"]["Labels"]["maestro.release"] for name in web.instances} - releases

    proc, during, after = deploy_under_load(web, "playbooks/rollback.yml", "-v")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0 and set(during.answers) <= {"v1", "v2"}, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    assert '"recreated"' not in proc.output and '"created"' not in proc.output, proc.output[-4000:]
    for name, old in recorded.items():
        now = web.container(f"{name}-green")
        assert now["Id"] == old["Id"] and now["Image"] == old["Image"], name  # the very container and image
        assert now["State"]["Running"], name
        kept = {key: value for key, value in now["Config"]["Labels"].items() if key.startswith(("maestro.release", "maestro.spec-hash"))}
        assert kept == {key: value for key, value in old["Config"]["Labels"].items() if key.startswith(("maestro.release", "maestro.spec-hash"))}
    assert each(web.states(), "stopped v1")
    # the release listing says which release is live and which one is kept, on which ships
    [v2_release] = releases
    listing = web.ok("playbooks/releases.yml")
    ships = ", ".join(ship.name for ship in web.ships)
    assert re.search(
        rf"web: live green: release {v2_release} \(tag v2, \S+/demo/web:v2, sha256:\w+, [\dT:Z-]+\); 6 running, 0 stopped of 6; ships {ships}", listing
    ), listing
    assert re.search(r"web: kept blue: release \S+ \(\S+/demo/web:v1, sha256:\w+, [\dT:Z-]+\); 0 running, 6 stopped of 6", listing), listing
    assert "changed=0" in listing


def test_keeping_two_releases_archives_the_older_ones_and_lists_them(web):
    """Issue 14: maestro_deploy_keep_releases=2 keeps, besides the other colour, one more release per instance, archived
    under <name>.<release id> (stopped, no host port); the one before it is removed, oldest first; the listing shows them."""
    keep = ("-e", "maestro_deploy_keep_releases=2")
    file_release = web.container(next(iter(web.instances)))["Config"]["Labels"]["maestro.release"]  # blue v1, stopped
    v2_release = web.container(f"{next(iter(web.instances))}-green")["Config"]["Labels"]["maestro.release"]  # green v2, live
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1", *keep)  # blue: new v1; the file's v1 archived
    assert each(web.states(f".{file_release}"), "stopped v1"), web.states(f".{file_release}")
    proc, during, after = deploy_under_load(web, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", *keep)  # green: v2 archived
    assert proc.returncode == 0 and during.failures == 0 and after.failures == 0 and set(after.answers) == {"v2"}, (proc.output[-4000:], during, after)
    assert each(web.states(f"-green.{v2_release}"), "stopped v2"), web.states(f"-green.{v2_release}")
    listing = web.ok("playbooks/releases.yml")
    assert re.search(
        rf"web: archived green: release {v2_release} \(tag v2, \S+/demo/web:v2, sha256:\w+, [\dT:Z-]+\); 6 stopped; ships ship1, ship2, ship3", listing
    ), listing
    assert re.search(rf"web: archived blue: release {file_release} \(\S+/demo/web:v1, sha256:\w+, [\dT:Z-]+\); 6 stopped", listing), listing
    # one more deploy to blue: its archive holds one release only, the newer
    blue_release = web.container(next(iter(web.instances)))["Config"]["Labels"]["maestro.release"]
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1", *keep)
    assert each(web.states(f".{blue_release}"), "stopped v1") and each(web.states(f".{file_release}"), "absent")
    # back to one release kept: the archives go after the next switch
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    assert each(web.states(f"-green.{v2_release}"), "absent") and each(web.states(f".{blue_release}"), "stopped v1")
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
    assert each(web.states(f".{blue_release}"), "absent")


def test_rollback_to_an_archived_release_by_its_id(web):
    """Issue 14: maestro_deploy_release names the release to go back to. Archived by the other colour, it trades places
    with that colour's slot and starts as it ran (the very containers); in the live colour it is refused, nothing moved."""
    keep = ("-e", "maestro_deploy_keep_releases=2")

    def release_of(suffix=""):
        found = {web.container(name + suffix)["Config"]["Labels"]["maestro.release"] for name in web.instances}
        assert len(found) == 1, found
        return found.pop()

    def ids(suffix=""):
        return {name: web.container(name + suffix)["Id"] for name in web.instances}

    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", *keep)  # green v2 (a) live
    first_v1, first_v1_ids = release_of(), ids()  # blue: b, stopped
    first_v2, first_v2_ids = release_of("-green"), ids("-green")
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1", *keep)  # blue c live, b archived
    web.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", *keep)  # green d live, a archived
    assert each(web.states(f".{first_v1}"), "stopped v1") and each(web.states(f"-green.{first_v2}"), "stopped v2")
    before = {"blue": ids(), "green": ids("-green")}

    refused = web.play("playbooks/rollback.yml", "-e", f"maestro_deploy_release={first_v2}")
    assert refused.returncode != 0
    assert f"Release {first_v2} is in the live colour (green), on ship ship1: " in refused.output, refused.output[-3000:]
    assert f"roll back first to the release of the other colour, then to {first_v2}" in " ".join(refused.output.split())
    assert {"blue": ids(), "green": ids("-green")} == before  # nothing moved
    gone = web.play("playbooks/rollback.yml", "-e", "maestro_deploy_release=20000101T000000Z-0000")
    assert gone.returncode != 0 and "Release 20000101T000000Z-0000 is not kept on ship ship1: " in gone.output, gone.output[-3000:]

    proc, during, after = deploy_under_load(web, "playbooks/rollback.yml", "-e", f"maestro_deploy_release={first_v1}")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0 and after.failures == 0 and set(after.answers) == {"v1"}, (during, after)
    assert ids() == first_v1_ids and release_of() == first_v1  # the very containers of that release, in the blue slot
    assert {name: web.container(name)["State"]["Running"] for name in web.instances} == dict.fromkeys(web.instances, True)

    # green is now the other colour: its archived release comes back the same way
    proc, during, after = deploy_under_load(web, "playbooks/rollback.yml", "-e", f"maestro_deploy_release={first_v2}")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0 and after.failures == 0 and set(after.answers) == {"v2"}, (during, after)
    assert ids("-green") == first_v2_ids and release_of("-green") == first_v2
    listing = " ".join(web.ok("playbooks/releases.yml").split())
    assert f"web: live green: release {first_v2} " in listing and f"web: kept blue: release {first_v1} " in listing, listing


@pytest.fixture(scope="module")
def seed(fleet, inventory, tmp_path_factory):
    yield from environment(fleet, inventory, tmp_path_factory.mktemp("stopstart"), "ss", offset=8)


def test_stop_start_strategy_runs_the_seeds_four_steps(seed):
    seed.ok("playbooks/start.yml")
    assert each(seed.states(), "running v1")
    seed.write(seed.file.read_text().split("image: ")[1].split("\n")[0].rsplit(":", 1)[0] + ":v2")
    out = seed.ok("playbooks/deploy.yml", "-e", "maestro_deploy_strategy=stop-start")
    # one plan for the four commands: their steps in turn
    steps = re.findall(r"^  step (\d)/4 (\w+) \([\d.]+ s\): ", out, flags=re.M)
    assert steps == [("1", "pull"), ("2", "stop"), ("3", "clean"), ("4", "start")], steps
    assert len(re.findall(r"^TASK \[maestro\.docker\.orchestrate : Carry out", out, flags=re.M)) == 1  # one task, run once
    assert "maestro pull, stop, clean, start: 6 instance(s) in 4 step(s)" in out
    assert each(seed.states(), "running v2"), seed.states()
    assert each(seed.states("-green"), "absent")
    # deploying what runs changes nothing: no instance is stopped or replaced (maestro-ng's --only-if-changed)
    ids = {name: seed.container(name)["Id"] for name in seed.instances}
    again = seed.ok("playbooks/deploy.yml", "-e", "maestro_deploy_strategy=stop-start")
    assert "maestro pull, stop, clean, start: 0 instance(s) in 0 step(s), nothing to do" in again, again[-4000:]
    # localhost (check_ships.yml) and the ship the run-once tasks ran on: a run that failed nowhere has no task per ship
    assert re.findall(r"changed=(\d+)", again) == ["0", "0"], again[-3000:]
    assert {name: seed.container(name)["Id"] for name in seed.instances} == ids
    # unless forced
    forced = seed.ok("playbooks/deploy.yml", "-e", "maestro_deploy_strategy=stop-start", "-e", "maestro_deploy_force=true")
    assert "maestro pull, stop, clean, start: 6 instance(s) in 4 step(s)" in forced
    assert not {name for name in seed.instances if seed.container(name)["Id"] == ids[name]}


def test_a_failed_stop_start_deploy_fails_each_ship_in_play_recap(seed):
    """The steps run once for every ship; each ship is reported after them, failed with its own message, nothing touched."""
    image = seed.file.read_text().split("image: ")[1].split("\n")[0]
    seed.ok("playbooks/start.yml")
    ids = {name: seed.container(name)["Id"] for name in seed.instances}
    seed.write(image.rsplit(":", 1)[0] + ":no-such-tag")
    try:
        proc = seed.play("playbooks/deploy.yml", "-e", "maestro_deploy_strategy=stop-start")
    finally:
        seed.write(image)
    assert proc.returncode != 0, proc.output[-4000:]
    names = [ship.name for ship in seed.ships]
    # each ship failed in the report and was rescued by the undo (rescued=1); the deploy then fails (on the first ship)
    recap = {
        host: (failed, rescued)
        for host, failed, rescued in re.findall(
            r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)\s+skipped=\d+\s+rescued=(\d+)", proc.output, flags=re.M
        )
    }
    assert {name: recap.get(name) for name in names} == {name: ("1" if name == names[0] else "0", "1") for name in names}, proc.output[-4000:]
    fatal = {chunk.split("]", 1)[0]: chunk.split("\nTASK ", 1)[0] for chunk in proc.output.split("\nfatal: [")[1:]}
    for name in names:  # each ship's own message: its pull of the missing tag
        assert "no-such-tag" in fatal.get(name, "") and name in fatal[name], proc.output[-4000:]
    # the pull failed everywhere: no instance was stopped or replaced, and the message says so
    assert "No instance was stopped or replaced: fix the cause and deploy again." in " ".join(proc.output.split()), proc.output[-3000:]
    assert {name: seed.container(name)["Id"] for name in seed.instances} == ids
    assert each(seed.states(), f"running {image.rsplit(':', 1)[1]}"), seed.states()


def test_a_ship_lost_before_a_stop_start_deploy_asks_what_changed_moves_nothing_anywhere(seed):
    """ship3's link is cut before the deploy: the question that comes first, which instances a start would change, fails
    on ship3. The run fails naming ship3, no step runs on any ship, every container is the one that ran before, and the
    lock is given back."""
    image = seed.file.read_text().split("image: ")[1].split("\n")[0]
    seed.ok("playbooks/start.yml")
    ids = {name: seed.container(name)["Id"] for name in seed.instances}
    ship3 = seed.ships[2]
    other = image.rsplit(":", 1)[0] + (":v1" if image.endswith(":v2") else ":v2")
    seed.write(other)  # a change on every ship: without the lost ship, every instance would be replaced
    run_ip("link", "set", ship3.veth, "down")
    try:
        proc = seed.play("playbooks/deploy.yml", "-e", "maestro_deploy_strategy=stop-start")
    finally:
        run_ip("link", "set", ship3.veth, "up")
        seed.write(image)
    assert proc.returncode != 0, proc.output[-4000:]
    flat = " ".join(proc.output.split())
    assert "Traceback" not in flat
    assert re.search(r"find what changed \([\d.]+ s\): would change on ship1, ship2; FAILED on ship3", flat), flat[-4000:]
    fatal = {chunk.split("]", 1)[0]: chunk.split("\nTASK ", 1)[0] for chunk in proc.output.split("\nfatal: [")[1:]}
    assert "ship3" in fatal and str(ship3.ip) in fatal["ship3"], proc.output[-4000:]  # its own message names its daemon
    assert "  step 1/" not in proc.output  # no step ran, on any ship
    assert "No instance was stopped or replaced: fix the cause and deploy again." in flat, flat[-3000:]
    assert {name: seed.container(name)["Id"] for name in seed.instances} == ids
    assert each(seed.states(), f"running {image.rsplit(':', 1)[1]}"), seed.states()
    assert seed.lock() is None


@pytest.fixture(scope="module")
def adopted(fleet, inventory, tmp_path_factory):
    yield from environment(fleet, inventory, tmp_path_factory.mktemp("adopt"), "ad", offset=15)


def test_deploy_puts_a_service_started_by_maestro_start_behind_the_proxy(adopted):
    # Running what is wanted is not enough to be "already deployed": no proxy routes it yet.
    adopted.ok("playbooks/start.yml")
    assert each(adopted.states(), "running v1")
    out = adopted.ok("playbooks/deploy.yml")
    assert "Already deployed as wanted" not in out
    assert each(adopted.states("-green"), "running v1"), adopted.states("-green")
    assert each(adopted.states(), "stopped v1"), adopted.states()
    load = Load(adopted.proxy_url, rate=RATE, threads=2).start()
    time.sleep(1.5)
    snap = load.stop()
    assert snap.failures == 0 and set(snap.answers) == {"v1"}, snap
    assert "Already deployed as wanted, left alone: web" in adopted.ok("playbooks/deploy.yml")


MAESTRO_NG = REPO / "bench" / ".venv-maestro" / "bin" / "maestro"  # maestro-ng 0.8.3 (make integration installs it)


class MaestroNgEnv(Env):
    """An environment whose ships file maestro-ng reads too: its ships written out (maestro-ng knows no ``extends``)."""

    def write(self, image: str) -> Path:
        path = super().write(image)
        path.write_text(ships_written_out(self.ships) + path.read_text().removeprefix(EXTENDS_FLEET.format(fleet_ships=self.fleet_ships)))
        return path

    def maestro_ng(self, *args: str) -> str:
        proc = subprocess.run(
            [str(MAESTRO_NG), "-f", str(self.file), *args], capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"), timeout=TIMEOUT, check=False
        )
        assert proc.returncode == 0, f"maestro {args} failed (rc={proc.returncode}):\n{proc.stdout}{proc.stderr}"
        return proc.stdout

    def remove_all(self) -> None:
        super().remove_all()
        for client in self.clients.values():  # what maestro-ng created: no label, the environment's name in its env
            for found in client.containers.list(all=True, filters={"name": self.name}):
                if f"MAESTRO_ENVIRONMENT_NAME={self.name}" in (found.attrs["Config"].get("Env") or []):
                    found.remove(force=True, v=True)


@pytest.fixture(scope="module")
def maestro_ng_estate(fleet, inventory, tmp_path_factory):
    assert MAESTRO_NG.exists(), f"{MAESTRO_NG} is missing: make integration installs maestro-ng 0.8.3 (bench/requirements-maestro.txt)"
    made = MaestroNgEnv(fleet, tmp_path_factory.mktemp("maestro-ng"), inventory, "ng", fleet.image("v1"), offset=60)
    made.remove_all()
    yield made
    made.remove_all()


def maestro_ng_started(estate: MaestroNgEnv) -> dict:
    """maestro-ng 0.8.3 starts the environment from the same file: name -> the container it created (no label of ours)."""
    estate.remove_all()
    estate.maestro_ng("start")
    made = {name: estate.container(name) for name in estate.instances}
    for name, found in made.items():
        assert found and found["State"]["Running"], (name, found and found["State"])
        assert "maestro.managed" not in (found["Config"]["Labels"] or {}), found["Config"]["Labels"]
        assert f"CONTAINER_NAME={name}" in found["Config"]["Env"] and f"MAESTRO_ENVIRONMENT_NAME={estate.name}" in found["Config"]["Env"]
    return {name: found["Id"] for name, found in made.items()}


def test_an_estate_that_maestro_ng_runs_is_taken_over_by_every_verb_and_replaced_by_blue_green_deploys(maestro_ng_estate):
    """Issue 16: maestro-ng's containers are recognised by their MAESTRO_ENVIRONMENT_NAME and CONTAINER_NAME; status shows
    them, stop and start act on them; the first blue/green deploy puts them behind the proxy as blue, and the next one,
    under load, replaces them with labelled containers without a failed request."""
    estate = maestro_ng_estate
    ids = maestro_ng_started(estate)
    status = estate.ok("playbooks/status.yml")
    for name in estate.instances:
        assert re.search(rf"^\s*{re.escape(name)}\s.*running \(maestro-ng\)", status, flags=re.M), status[-4000:]
    ship1 = sorted(name for name, (ship, _port) in estate.instances.items() if ship is estate.ships[0])
    estate.ok("playbooks/stop.yml", "-l", estate.ships[0].name)
    assert {name: state for name, state in estate.states().items() if name in ship1} == dict.fromkeys(ship1, "stopped v1")
    assert {name: estate.container(name)["Id"] for name in ship1} == {name: ids[name] for name in ship1}  # stopped, not replaced
    assert each({name: state for name, state in estate.states().items() if name not in ship1}, "running v1")
    estate.ok("playbooks/start.yml", "-l", estate.ships[0].name)
    assert each(estate.states(), "running v1"), estate.states()

    estate.ok("playbooks/deploy.yml")  # maestro-ng's containers are the live (blue) colour: green comes up, the proxy routes it
    assert each(estate.states("-green"), "running v1"), estate.states("-green")
    assert each(estate.states(), "stopped v1"), estate.states()
    proc, during, after = deploy_under_load(estate, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    assert proc.returncode == 0, proc.output[-8000:]
    print(f"\nmaestro-ng's containers replaced under load: {during.failures} failed of {during.requests} requests in {during.elapsed:.1f} s")
    assert during.requests > 0 and during.failures == 0 and set(during.answers) <= {"v1", "v2"}, during
    assert after.requests > 0 and after.failures == 0 and set(after.answers) == {"v2"}, after
    assert each(estate.states(), "running v2"), estate.states()
    assert each(estate.states("-green"), "stopped v1"), estate.states("-green")
    # every container maestro-ng created is gone, replaced by labelled ones; nothing else of the environment is left
    for name, (ship, _port) in estate.instances.items():
        assert estate.container(name)["Config"]["Labels"].get("maestro.managed") == "true"
        left = {c.name for c in estate.clients[ship.name].containers.list(all=True, filters={"name": name})}
        assert left == {name, f"{name}-green"}, left
        assert ids[name] not in {c.id for c in estate.clients[ship.name].containers.list(all=True)}


def test_an_estate_that_maestro_ng_runs_is_replaced_by_a_stop_start_deploy(maestro_ng_estate):
    estate = maestro_ng_estate
    ids = maestro_ng_started(estate)
    # the same file: what runs differs from what a deploy makes only by the labels, and that is enough to replace it
    out = estate.ok("playbooks/deploy.yml", "-e", "maestro_deploy_strategy=stop-start")
    assert "maestro pull, stop, clean, start: 6 instance(s) in 4 step(s)" in out, out[-4000:]
    assert each(estate.states(), "running v1"), estate.states()
    for name in estate.instances:
        found = estate.container(name)
        assert found["Id"] != ids[name] and found["Config"]["Labels"].get("maestro.managed") == "true"


@pytest.fixture(scope="module")
def secret(fleet, inventory, tmp_path_factory):
    yield from environment(fleet, inventory, tmp_path_factory.mktemp("secret"), "sc", offset=40)


def test_no_secret_in_any_playbook_at_vvvv_diff_and_check(secret):
    """Issue 14: no value of secret_env (service and instance level), of an env key masked by its name, or of the ships
    file's registry password, in any playbook of the collection at -vvvv --diff, in check mode too, success or failure.
    guide_deploy.rst: the steps pass on names and colours, never specs, so no value of a spec's environment is ever a
    task result or a fact."""
    values = {name: f"{name.lower()}-{secrets.token_hex(8)}" for name in ("API_TOKEN", "DB_URL", "NODE_KEY", "REGISTRY")}
    registry = secret.file.read_text().split("image: ", 1)[1].split("/", 1)[0]
    text = secret.file.read_text().replace(
        "services:\n",
        f'registries:\n  fleet: {{registry: "http://{registry}", username: deploy, password: "{values["REGISTRY"]}"}}\nservices:\n',
        1,
    )
    # API_TOKEN is masked by its name; DB_URL by the service's secret_env; NODE_KEY by one instance's own secret_env
    text = text.replace(
        "    lifecycle:",
        f'    env: {{API_TOKEN: "{values["API_TOKEN"]}", DB_URL: "{values["DB_URL"]}"}}\n    secret_env: [DB_URL]\n    lifecycle:',
        1,
    )
    first = next(iter(secret.instances))
    text = text.replace(f"      {first}: {{", f'      {first}: {{env: {{NODE_KEY: "{values["NODE_KEY"]}"}}, secret_env: [NODE_KEY], ', 1)
    secret.file.write_text(text)
    loud = ("-vvvv", "--diff")
    runs = {
        "deploy --check": secret.play("playbooks/deploy.yml", *loud, "--check"),
        "deploy": secret.play("playbooks/deploy.yml", *loud),
        "deploy again": secret.play("playbooks/deploy.yml", *loud),
        "deploy v2 --check": secret.play("playbooks/deploy.yml", *loud, "--check", "-e", "maestro_deploy_tag=v2"),
        "deploy v2": secret.play("playbooks/deploy.yml", *loud, "-e", "maestro_deploy_tag=v2"),
        "deploy broken": secret.play("playbooks/deploy.yml", *loud, "-e", "maestro_deploy_tag=broken"),
        "releases": secret.play("playbooks/releases.yml", *loud),
        "rollback --check": secret.play("playbooks/rollback.yml", *loud, "--check"),
        "rollback": secret.play("playbooks/rollback.yml", *loud),
        "stop-start deploy": secret.play("playbooks/deploy.yml", *loud, "-e", "maestro_deploy_strategy=stop-start", "-e", "maestro_deploy_tag=v2"),
    }
    # the containers have the values: hidden, not lost
    env = secret.container(first)["Config"]["Env"]
    assert f"NODE_KEY={values['NODE_KEY']}" in env and f"DB_URL={values['DB_URL']}" in env
    for verb in ("check_ships", "status", "deptree", "logs", "pull", "restart", "stop", "start", "kill", "clean"):
        if verb in ("restart", "stop", "start", "kill", "clean"):
            runs[f"{verb} --check"] = secret.play(f"playbooks/{verb}.yml", *loud, "--check")
        runs[verb] = secret.play(f"playbooks/{verb}.yml", *loud, *(("-e", f"maestro_things={first}") if verb == "logs" else ()))
    assert set(runs) >= {f"{p.removesuffix('.yml')}" for p in PLAYBOOKS if p not in ("deploy.yml", "rollback.yml")}
    assert len(runs) == 25  # README's Reliability table says so
    failed = {name: proc.returncode for name, proc in runs.items() if proc.returncode != 0}
    assert failed == {"deploy broken": 2}, {name: runs[name].output[-3000:] for name in failed}
    for name, proc in runs.items():
        leaked = [key for key, value in values.items() if value in proc.output]
        assert not leaked, f"{name}: {leaked} in the output"
    # the runs did go through the masked paths
    assert "********" in runs["deploy"].output


PLAYBOOKS = sorted(p.name for p in (REPO / "playbooks").glob("*.yml"))


def bare_play(playbook: str, inventory: Path, **env_extra: str) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "ansible-playbook"), str(REPO / "playbooks" / playbook), "-i", str(inventory)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook_env(**env_extra), timeout=TIMEOUT, cwd=inventory.parent, check=False)
    proc.output = proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("playbook", ["deploy.yml", "rollback.yml", "start.yml"])
def test_a_run_that_matches_no_ship_fails_and_names_the_fix(playbook, tmp_path):
    """Issue 14: "no hosts matched" used to exit 0, so a CI job passed having deployed nothing. Every playbook imports
    check_ships.yml first: an empty ships file, or a ships file that Ansible's own yaml plugin read because
    maestro.docker.ships is not enabled, fails naming the fix."""
    empty = tmp_path / "empty.maestro.yaml"
    empty.write_text("name: empty\nships: {}\nservices: {}\n")
    proc = bare_play(playbook, empty)
    assert proc.returncode != 0, proc.output[-3000:]
    assert "No ship in the inventory matches maestro_ships: the ships file's ships do not match it" in proc.output
    assert "Traceback" not in proc.output
    ships = tmp_path / "prod.maestro.yaml"
    ships.write_text("name: prod\nships:\n  s1: {ip: 10.231.250.1}\nservices:\n  web:\n    image: x:1\n    instances:\n      web-1: {ship: s1}\n")
    proc = bare_play(playbook, ships, ANSIBLE_INVENTORY_ENABLED="ansible.builtin.yaml,ansible.builtin.ini", ANSIBLE_INVENTORY_UNPARSED_FAILED="false")
    assert proc.returncode != 0, proc.output[-3000:]
    flat = " ".join(proc.output.split())
    assert "the inventory was not read by the ships inventory plugin. Enable it in ansible.cfg" in flat, flat[-2000:]
    assert 'give -i a config file named *.ships.yml holding "plugin: maestro.docker.ships"' in flat


def test_every_playbook_checks_for_ships_first():
    """The check above is only as good as its reach: every playbook of the collection imports it first."""
    for name in PLAYBOOKS:
        if name == "check_ships.yml":
            continue
        text = (REPO / "playbooks" / name).read_text()
        first = text.index("\n- ")
        assert text[first:].startswith("\n- name: Check that the inventory holds ships\n  ansible.builtin.import_playbook: check_ships.yml\n"), name


# --- faults under load ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lost(fleet, inventory, tmp_path_factory):
    yield from environment(fleet, inventory, tmp_path_factory.mktemp("lost"), "ls", offset=50)


def play_until(env: Env, marker: str, fault, playbook: str, *args: str) -> subprocess.CompletedProcess:
    """Run a playbook, calling fault() as soon as a line of its output contains marker."""
    cmd, environ = env.command(playbook, *args)
    environ["PYTHONUNBUFFERED"] = "1"
    lines, when = [], None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ, cwd=REPO) as proc:
        for line in proc.stdout:
            lines.append(line)
            if when is None and marker in line:
                fault()
                when = time.monotonic()
        proc.wait(timeout=TIMEOUT)
    done = subprocess.CompletedProcess(cmd, proc.returncode, "".join(lines), "")
    done.output = done.stdout
    assert when is not None, f"{marker!r} never appeared:\n{done.output[-6000:]}"
    return done


FAULTS = {
    # the link cut: the ship's daemon and containers run on, unreachable
    "link cut": (lambda ship: run_ip("link", "set", ship.veth, "down"), lambda fleet, ship: run_ip("link", "set", ship.veth, "up")),
    # the daemon killed: its containers run on in their shims; make fleet (Fleet.up) restarts it with its state
    "dockerd killed": (lambda ship: ship.crash(), lambda fleet, ship: fleet.up()),
}


def run_ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_ship_lost_while_the_new_colour_starts_keeps_traffic_and_the_way_back(lost, fleet, fault):
    """Issue 14: ship3 is lost (its link cut, or its dockerd killed) right after the older colour was parked, as the new
    colour starts; under load. Requests fail only while in flight to ship3 (the proxy's checks take it out within
    seconds); the message says per ship what the undo did and left; once ship3 is back, the next deploy puts the parked
    colour back first and converges, and a rollback then returns to the very containers of v2."""
    inject, recover = FAULTS[fault]
    lost.ok("playbooks/deploy.yml")
    lost.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")  # green v2 live, blue v1 stopped
    v2_ids = {name: lost.container(f"{name}-green")["Id"] for name in lost.instances}
    ship3 = lost.ships[2]
    on3 = sorted(name for name, (ship, _port) in lost.instances.items() if ship is ship3)

    load = Load(lost.proxy_url, rate=RATE, threads=3).start()
    try:
        time.sleep(1)
        before = load.snapshot()
        marks = {}

        def cut():
            inject(ship3)
            marks["cut"] = load.snapshot()

        try:
            # ship3's own line: each ship starts its new colour as soon as it has parked the older one
            proc = play_until(lost, "  park: ship3 ", cut, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
            end = load.snapshot()
            time.sleep(2)
            after = load.snapshot().since(end)
        finally:
            recover(fleet, ship3)
    finally:
        load.stop()
    assert proc.returncode != 0
    assert marks["cut"].since(before).failures == 0, marks["cut"].since(before)
    during = end.since(marks["cut"])
    print(f"\n{fault}: {during.requests} requests during the failed deploy ({during.elapsed:.0f} s), {during.failures} failed {during.errors}")
    # in flight to ship3, or sent there before the proxy's checks (inter 1s, fall 2) marked it down: a few seconds' worth
    assert during.failures <= RATE * 6 / 3, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    flat = " ".join(proc.output.split())
    assert "Deploy of web (blue-green) failed." in flat and "Traceback" not in flat
    assert "The traffic never left the live colour (green); the new colour was removed and the older one put back on ship1, ship2; on ship3" in flat, flat[
        -3000:
    ]
    assert f"{', '.join(on3)} (the new colour) and {', '.join(n + '.parked' for n in on3)} (the older one, parked) are left as they were" in flat
    # the end state, ship by ship: ship1 and ship2 as before the deploy; ship3 keeps the parked v1
    states, parked, green = lost.states(), lost.states(".parked"), lost.states("-green")
    assert {name: state for name, state in green.items() if name.removesuffix("-green") not in on3} == {
        f"{name}-green": "running v2" for name in lost.instances if name not in on3
    }
    # a restarted dockerd stops what ran without a restart policy: the proxy's checks have taken ship3 out
    assert {state for name, state in green.items() if name.removesuffix("-green") in on3} <= {"running v2", "stopped v2"}, green
    assert {name: state for name, state in states.items() if name not in on3} == {name: "stopped v1" for name in lost.instances if name not in on3}
    assert {name: state for name, state in parked.items() if name.removesuffix(".parked") in on3} == {name + ".parked": "stopped v1" for name in on3}
    assert {name: state for name, state in parked.items() if name.removesuffix(".parked") not in on3} == {
        name + ".parked": "absent" for name in lost.instances if name not in on3
    }

    # ship3 back: the next deploy puts the parked v1 back first, then deploys, under load, with no failed request
    proc, during, after = deploy_under_load(lost, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
    assert proc.returncode == 0, proc.output[-8000:]
    assert "remove the interrupted colour" in proc.output and "unpark" in proc.output
    assert during.failures == 0 and after.failures == 0 and set(after.answers) == {"v1"}, (during, after)
    assert each(lost.states(), "running v1") and each(lost.states("-green"), "stopped v2") and each(lost.states(".parked"), "absent")
    # and a rollback returns to the very containers of v2
    proc, during, after = deploy_under_load(lost, "playbooks/rollback.yml")
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0 and set(after.answers) == {"v2"}, (during, after)
    assert {name: lost.container(f"{name}-green")["Id"] for name in lost.instances} == v2_ids
