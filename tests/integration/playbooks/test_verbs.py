# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The verb playbooks (ansible-playbook maestro.docker.<verb> -i <ships file>) on the real fleet.

Two services on different ships: db (db-1 on ship1, with an http check on /health) and web, which
requires db (web-1 and web-3 on ship2, web-2 on ship3). The order of starts and stops is read from
the daemons: ``docker inspect`` (State.StartedAt/FinishedAt) and, where containers are replaced, the
``die``/``start`` events. The tests run in file order, each from the state the previous one left,
and the module fixture removes every container they made.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.fleet

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
TIMEOUT = 300

SHIPS_FILE = """\
__maestro:
  schema: 2
  extends: {fleet_ships}
name: {prefix}
registries:
  fleet: {{registry: "http://{registry}", username: deploy, password: "{password}"}}
services:
  db:
    image: {v1}
    lifecycle:
      running: [{{type: http, port: http, path: /health, max_wait: 20}}]
    instances:
      {prefix}-db-1:
        ship: {ship1}
        ports: {{http: "8080:{p_db}"}}
        command: "sh -c 'echo {prefix} db ready; echo {prefix} second line; exec sh /start.sh'"
  web:
    image: {v1}
    requires: [db]
    instances:
      {prefix}-web-1: {{ship: {ship2}, ports: {{http: "8080:{p_web1}"}}}}
      {prefix}-web-2: {{ship: {ship3}, ports: {{http: "8080:{p_web2}"}}}}
      {prefix}-web-3: {{ship: {ship2}, ports: {{http: "8080:{p_web3}"}}}}
"""

# A layer on the file above that changes the spec of web-2 only.
CHANGED_FILE = """\
__maestro:
  schema: 2
  extends: {base}
services:
  web:
    instances:
      {prefix}-web-2: {{env: {{COLOUR: blue}}}}
"""

# A db that never passes its check (the broken image answers 404 on /health), and a web that needs it.
FAILING_FILE = """\
__maestro:
  schema: 2
  extends: {fleet_ships}
name: {prefix}f
services:
  db:
    image: {broken}
    lifecycle:
      running: [{{type: http, port: http, path: /health, max_wait: 3}}]
    instances:
      {prefix}-fdb-1: {{ship: {ship1}, ports: {{http: "8080:{p_fdb}"}}}}
  web:
    image: {v1}
    requires: [db]
    instances:
      {prefix}-fweb-1: {{ship: {ship2}, ports: {{http: "8080:{p_fweb}"}}}}
"""


class Stack:
    """The ships files of this module, their names, and the fleet's daemons."""

    def __init__(self, fleet, directory: Path, inventory: Path):
        run_vars = json.loads(inventory.read_text())["all"]["vars"]
        # Names and ports of this session (conftest's run id): offsets 92-97 are this module's.
        self.prefix = f"{run_vars['name_prefix']}vb"
        base = run_vars["port_base"]
        self.password = f"pw-{secrets.token_hex(8)}"
        self.ships = {ship.name: ship for ship in fleet.ships[:3]}
        self.ship1, self.ship2, self.ship3 = self.ships
        self.clients = {name: ship.client(timeout=60) for name, ship in self.ships.items()}
        values = {
            "fleet_ships": fleet.ships_file,
            "prefix": self.prefix,
            "registry": fleet.registry,
            "password": self.password,
            "v1": fleet.image("v1"),
            "broken": fleet.image("broken"),
            "ship1": self.ship1,
            "ship2": self.ship2,
            "ship3": self.ship3,
            **{name: base + offset for name, offset in (("p_db", 92), ("p_web1", 93), ("p_web2", 94), ("p_web3", 95), ("p_fdb", 96), ("p_fweb", 97))},
        }
        self.file = directory / f"{self.prefix}.maestro.yaml"
        self.file.write_text(SHIPS_FILE.format(**values))
        self.changed_file = directory / f"{self.prefix}-changed.maestro.yaml"
        self.changed_file.write_text(CHANGED_FILE.format(base=self.file, prefix=self.prefix))
        self.failing_file = directory / f"{self.prefix}-failing.maestro.yaml"
        self.failing_file.write_text(FAILING_FILE.format(**values))
        self.db = f"{self.prefix}-db-1"
        self.webs = [f"{self.prefix}-web-{i}" for i in (1, 2, 3)]
        self.ship_of = {self.db: self.ship1, self.webs[0]: self.ship2, self.webs[1]: self.ship3, self.webs[2]: self.ship2}

    def play(self, verb: str, *args: str, ships_file: Path | None = None, playbook: str | None = None) -> subprocess.CompletedProcess:
        """ansible-playbook maestro.docker.<verb> -i <ships file> ARGS; the output has stdout and stderr."""
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
        cmd = [str(BIN / "ansible-playbook"), playbook or f"maestro.docker.{verb}", "-i", str(ships_file or self.file), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT, cwd=REPO, check=False)
        proc.output = proc.stdout + proc.stderr
        return proc

    def ok(self, verb: str, *args: str, **kwargs) -> str:
        proc = self.play(verb, *args, **kwargs)
        assert proc.returncode == 0, f"{verb} {args} failed (rc={proc.returncode}):\n{proc.output[-12000:]}"
        return proc.output

    def inspect(self, name: str, ship: str | None = None) -> dict | None:
        client = self.clients[ship or self.ship_of[name]]
        try:
            return client.api.inspect_container(name)
        except Exception as exc:  # docker.errors.NotFound
            if getattr(getattr(exc, "response", None), "status_code", None) == 404:
                return None
            raise

    def state(self, name: str) -> str:
        container = self.inspect(name)
        if container is None:
            return "absent"
        return "running" if container["State"]["Running"] else "stopped"

    def started(self, name: str) -> datetime:
        return parse_time(self.inspect(name)["State"]["StartedAt"])

    def finished(self, name: str) -> datetime:
        return parse_time(self.inspect(name)["State"]["FinishedAt"])

    def ids(self) -> dict:
        return {name: (self.inspect(name) or {}).get("Id") for name in self.ship_of}

    def events(self, since: float) -> list[tuple[float, str, str]]:
        """(time, action, name) of die/start events of this module's containers on every ship since ``since``."""
        until = time.time() + 1
        found = []
        for client in self.clients.values():
            for event in client.api.events(since=int(since), until=int(until) + 1, filters={"type": "container", "event": ["die", "start"]}, decode=True):
                name = event.get("Actor", {}).get("Attributes", {}).get("name", "")
                if name.startswith(self.prefix) and event["timeNano"] / 1e9 >= since:
                    found.append((event["timeNano"] / 1e9, event["Action"], name))
        return sorted(found)

    def remove_all(self) -> None:
        """Remove this module's containers (ours only: maestro-managed, named with the prefix)."""
        for client in self.clients.values():
            for container in client.containers.list(all=True, filters={"name": self.prefix, "label": "maestro.managed=true"}):
                container.remove(force=True, v=True)


def parse_time(text: str) -> datetime:
    """Docker's RFC 3339 time with nanoseconds, to a datetime (microseconds)."""
    return datetime.fromisoformat(re.sub(r"\.(\d{6})\d*", r".\1", text.replace("Z", "+00:00")))


@pytest.fixture(scope="module")
def stack(fleet, inventory, tmp_path_factory):
    made = Stack(fleet, tmp_path_factory.mktemp("verbs"), inventory)
    made.remove_all()
    yield made
    made.remove_all()
    for client in made.clients.values():
        client.close()


def test_check_mode_start_creates_nothing(stack):
    out = stack.ok("start", "--check")
    assert "Check mode, nothing changes. maestro start: 4 instance(s) in 2 step(s)" in out
    assert f"1. start: {stack.ship1}: {stack.db}" in out
    assert f"2. start: {stack.ship2}: {stack.webs[0]}, {stack.webs[2]}; {stack.ship3}: {stack.webs[1]}" in out
    assert {name: stack.state(name) for name in stack.ship_of} == dict.fromkeys(stack.ship_of, "absent")


def test_start_starts_db_before_web(stack):
    stack.ok("start")
    assert {name: stack.state(name) for name in stack.ship_of} == dict.fromkeys(stack.ship_of, "running")
    db_started = stack.started(stack.db)
    for web in stack.webs:
        assert db_started < stack.started(web), f"{web} started before {stack.db}"
    # the link variables, which the inventory no longer copies into every spec, are in each container's environment
    mangle = stack.prefix.upper().replace("-", "_")
    for web in stack.webs:
        env = set(stack.inspect(web)["Config"]["Env"])
        assert f"DB_{mangle}_DB_1_HOST={stack.clients[stack.ship1].api.base_url.split('//')[1].split(':')[0]}" in env, sorted(env)
        assert f"WEB_INSTANCES={','.join(sorted(stack.webs))}" in env, sorted(env)
    # idempotent: a second start changes nothing on any ship
    again = stack.ok("start")
    # localhost (check_ships.yml) and ship1, where the run-once steps ran: changed there if any ship changed; the other
    # ships have no task of their own in a run that failed nowhere
    assert re.findall(r"changed=(\d+)", again) == ["0", "0"], again[-3000:]


def test_status_is_one_table(stack):
    out = stack.ok("status")
    assert re.search(r"INSTANCE +SHIP +STATE +IMAGE +UPTIME\n", out), out
    for name, ship in stack.ship_of.items():
        assert re.search(rf"\n +{name} +{ship} +running +\S+/demo/web:v1 +up \d+[dhms]( \d+[hms])?\n", out), out
    full = stack.ok("status", "-e", "maestro_full=true", "-e", f"maestro_things={stack.db}")
    assert re.search(r"INSTANCE +SHIP +STATE +IMAGE +UPTIME +PORTS\n", full), full
    assert re.search(rf"\n +{stack.db} +{stack.ship1} +running .* +http:\d+ up\n", full), full
    assert stack.webs[0] not in full


def test_logs_of_one_instance(stack):
    out = stack.ok("logs", "-e", "maestro_things=db", "-e", "maestro_lines=1")  # a service with one instance
    assert f"{stack.db} on {stack.ship1} (running), last 1 of at most 1 lines:" in out
    assert f"\n        {stack.prefix} second line\n" in out, out
    assert f"{stack.prefix} db ready" not in out
    refused = stack.play("logs", "-e", "maestro_things=web")
    assert refused.returncode != 0
    assert f"maestro logs: logs shows one instance: web selects 3 ({', '.join(stack.webs)}); name one instance" in refused.output


def test_deptree(stack):
    out = stack.ok("deptree", "-e", "maestro_things=web")
    assert re.search(r"\n +web\n +\\- db\n", out), out


def test_stop_stops_web_before_db(stack):
    stack.ok("stop")
    assert {name: stack.state(name) for name in stack.ship_of} == dict.fromkeys(stack.ship_of, "stopped")
    db_finished = stack.finished(stack.db)
    for web in stack.webs:
        assert stack.finished(web) < db_finished, f"{stack.db} stopped before {web}"


def test_start_replaces_stopped_containers_unless_reuse(stack):
    stopped = stack.ids()
    stack.ok("start", "-e", "maestro_reuse=true", "-e", "maestro_things=db")
    assert stack.ids()[stack.db] == stopped[stack.db]  # the same container, started again
    since = time.time()
    stack.ok("start")
    after = stack.ids()
    assert after[stack.db] == stopped[stack.db]  # running: left alone
    for web in stack.webs:
        assert after[web] != stopped[web], f"{web} was not replaced"
        assert stack.state(web) == "running"
    assert [event[1] for event in stack.events(since)] == ["start"] * 3


def test_restart_stops_dependents_first_and_starts_dependencies_first(stack):
    """maestro-ng issue 186: web must not come back while db is still the old one."""
    before = stack.ids()
    since = time.time()
    out = stack.ok("restart")
    assert "maestro restart: 4 instance(s) in 4 step(s)" in out
    events = stack.events(since)
    dies = {name: t for t, action, name in events if action == "die"}
    starts = {name: t for t, action, name in events if action == "start"}
    assert set(dies) == set(starts) == set(stack.ship_of), events
    assert max(dies[web] for web in stack.webs) < dies[stack.db] < starts[stack.db] < min(starts[web] for web in stack.webs), events
    after = stack.ids()
    assert all(after[name] != before[name] for name in stack.ship_of)  # recreated
    # With reuse, the same containers: read the order from docker inspect.
    stack.ok("restart", "-e", "maestro_reuse=true", "-e", "maestro_stop_start_delay=1")
    assert stack.ids() == after
    db_finished, db_started = stack.finished(stack.db), stack.started(stack.db)
    for web in stack.webs:
        assert stack.finished(web) < db_finished, f"{web} stopped after {stack.db}"
        assert db_started < stack.started(web), f"{web} started before {stack.db}"
    assert (db_started - db_finished).total_seconds() >= 1  # stop_start_delay


def test_rolling_restart(stack):
    db_started = stack.started(stack.db)
    out = stack.ok("restart", "-e", "maestro_things=web", "-e", "maestro_concurrency=1", "-e", "maestro_step_delay=2", "-e", "maestro_reuse=true")
    assert "maestro restart web: 3 instance(s) in 4 step(s)" in out
    assert f"3. stop after 2 s: {stack.ship2}: {stack.webs[2]}" in out
    web1, web2, web3 = stack.webs
    # chunk 1: web-1 (ship2) and web-2 (ship3) together; chunk 2: web-3, at least step_delay after chunk 1 was up
    assert stack.started(web1) < stack.finished(web3)
    assert stack.started(web2) < stack.finished(web3)
    assert (stack.finished(web3) - max(stack.started(web1), stack.started(web2))).total_seconds() >= 1.9
    assert stack.started(stack.db) == db_started  # not a thing, not a dependent: untouched


def test_selection_with_filters_things_and_dependencies(stack):
    web1, web2, web3 = stack.webs

    def states():
        return {name: stack.state(name) for name in stack.ship_of}

    stack.ok("stop", "-e", f"maestro_ship_filter={stack.ship2}")
    assert states() == {stack.db: "running", web1: "stopped", web2: "running", web3: "stopped"}
    # dependencies gathered, then filtered: db is a dependency of web-1 but not on ship2 (maestro-ng would start it)
    out = stack.ok("start", "-e", f"maestro_things={web1}", "-e", "maestro_with_dependencies=true", "-e", f"maestro_ship_filter={stack.ship2}")
    assert "maestro start " + web1 + ": 1 instance(s) in 1 step(s)" in out
    assert states() == {stack.db: "running", web1: "running", web2: "running", web3: "stopped"}
    # dependents gathered (stop takes a service name without -s), then filtered by container name
    out = stack.ok("stop", "-e", "maestro_things=db", "-e", "maestro_with_dependencies=true", "-e", "maestro_container_filter=*-web-[12]")
    assert "maestro stop db: 2 instance(s) in 1 step(s)" in out
    assert states() == {stack.db: "running", web1: "stopped", web2: "stopped", web3: "stopped"}
    # a thing alone: no dependents
    stack.ok("stop", "-e", "maestro_things=db")
    assert states() == dict.fromkeys(stack.ship_of, "stopped")
    # no things and ignore_dependencies: every service, one step
    out = stack.ok("start", "-e", "maestro_ignore_dependencies=true", "-e", "maestro_reuse=true")
    assert "maestro start: 4 instance(s) in 1 step(s)" in out
    assert states() == dict.fromkeys(stack.ship_of, "running")
    # things as a list, with dependents: two steps, web first
    out = stack.ok("kill", "-e", json.dumps({"maestro_things": ["db"], "maestro_with_dependencies": True}))
    assert "maestro kill db: 4 instance(s) in 2 step(s)" in out
    assert states() == dict.fromkeys(stack.ship_of, "stopped")
    assert stack.inspect(stack.db)["State"]["ExitCode"] == 137  # SIGKILL
    assert all(stack.finished(web) < stack.finished(stack.db) for web in stack.webs)


def test_check_mode_changes_nothing(stack):
    stack.ok("start", "-e", "maestro_reuse=true")
    before = {name: (stack.inspect(name)["Id"], stack.inspect(name)["State"]["StartedAt"]) for name in stack.ship_of}
    for verb in ("stop", "kill", "restart", "clean", "start"):
        out = stack.ok(verb, "--check")
        assert "Check mode, nothing changes." in out
    stack.ok("restart", "--check", "-e", "maestro_concurrency=1", "-e", "maestro_step_delay=5", "-e", "maestro_only_if_changed=true")
    after = {name: (stack.inspect(name)["Id"], stack.inspect(name)["State"]["StartedAt"]) for name in stack.ship_of}
    assert after == before
    assert {name: stack.state(name) for name in stack.ship_of} == dict.fromkeys(stack.ship_of, "running")


def test_restart_only_if_changed(stack):
    web1, web2, web3 = stack.webs
    out = stack.ok("restart", "-e", "maestro_only_if_changed=true")
    assert "maestro restart: 0 instance(s) in 0 step(s), nothing to do" in out
    stack.ok("stop", "-e", f"maestro_things={web3}")
    before = stack.ids()
    started = {name: stack.started(name) for name in stack.ship_of}
    # web-2's spec changed (a new env value), web-3 is not running: those two only
    out = stack.ok("restart", "-e", "maestro_only_if_changed=true", "-e", "maestro_things=web", ships_file=stack.changed_file)
    assert "maestro restart web: 2 instance(s) in 2 step(s)" in out
    assert f"1. stop: {stack.ship2}: {web3}; {stack.ship3}: {web2}" in out
    after = stack.ids()
    assert after[web2] != before[web2] and after[web3] != before[web3]
    assert after[web1] == before[web1] and stack.started(web1) == started[web1]
    assert stack.started(stack.db) == started[stack.db]
    assert "COLOUR=blue" in stack.inspect(web2)["Config"]["Env"]
    # back to the base spec for the next tests
    stack.ok("restart", "-e", "maestro_only_if_changed=true")
    assert "COLOUR=blue" not in stack.inspect(web2)["Config"]["Env"]


def test_pull_and_clean(stack):
    out = stack.ok("pull", "-vvv")
    assert "maestro pull: 4 instance(s) in 2 step(s)" in out
    assert stack.password not in out  # the registry password of the ships file
    out = stack.ok("start", "-vvv", "--diff", "-e", "maestro_refresh_images=true")  # pulls with the credentials again
    assert stack.password not in out
    out = stack.ok("clean")  # everything runs: nothing to remove
    assert {name: stack.state(name) for name in stack.ship_of} == dict.fromkeys(stack.ship_of, "running")
    stack.ok("stop", "-e", "maestro_things=web")
    stack.ok("clean")
    assert {name: stack.state(name) for name in stack.ship_of} == {stack.db: "running", **dict.fromkeys(stack.webs, "absent")}
    stack.ok("stop")
    stack.ok("clean", "-e", "maestro_things=db")
    assert {name: stack.state(name) for name in stack.ship_of} == dict.fromkeys(stack.ship_of, "absent")


def test_playbook_from_a_checkout(stack):
    out = stack.ok("status", playbook=str(REPO / "playbooks" / "status.yml"))
    assert re.search(rf"\n +{stack.db} +{stack.ship1} +absent\n", out), out


def test_unknown_thing_is_one_line_without_traceback(stack):
    proc = stack.play("start", "-e", "maestro_things=wbe")
    assert proc.returncode != 0
    assert "[ERROR]: Task failed: Action failed: maestro start: wbe is neither a service nor an instance (did you mean 'web'?)\n" in proc.output
    assert "Traceback" not in proc.output
    assert "Start, step" not in proc.output  # nothing ran


def test_the_plays_see_the_instances_of_an_inventory_read_with_environ(stack, tmp_path):
    """The ships file is read once, by the inventory: with environ {SUFFIX: b}, the plays plan x-b, never the x-a
    that a second reading with the controller's environment would name (the plays used to read the file again)."""
    (tmp_path / "envdep.maestro.yaml").write_text(
        f"__maestro:\n  schema: 2\n  extends: {stack.file}\nservices:\n"
        f"  extra:\n    image: busybox\n    requires: [web]\n    instances:\n"
        f"      {stack.prefix}-x-{{{{ env.SUFFIX | default('a') }}}}: {{ship: {stack.ship1}}}\n"
    )
    (tmp_path / "env.ships.yml").write_text("plugin: maestro.docker.ships\npath: envdep.maestro.yaml\nenviron: {SUFFIX: b}\n")
    status = stack.play("status", "-e", "maestro_things=extra", ships_file=tmp_path / "env.ships.yml")
    assert status.returncode == 0, status.output[-3000:]
    assert re.search(rf"{stack.prefix}-x-b +{stack.ship1} +absent", status.output), status.output[-3000:]
    assert f"{stack.prefix}-x-a" not in status.output
    tree = stack.play("deptree", "-e", "maestro_things=extra", ships_file=tmp_path / "env.ships.yml")
    assert tree.returncode == 0, tree.output[-3000:]
    assert "extra" in tree.output and "\\- web" in tree.output, tree.output[-3000:]


def test_failing_start_stops_later_levels_and_names_ship_and_instance(stack):
    fdb, fweb = f"{stack.prefix}-fdb-1", f"{stack.prefix}-fweb-1"
    proc = stack.play("start", ships_file=stack.failing_file)
    assert proc.returncode != 0
    assert re.search(rf"fatal: \[{stack.ship1}\]: FAILED!", proc.output), proc.output[-5000:]
    flat = " ".join(proc.output.split())
    assert f"Error passing the running lifecycle checks of instance {fdb} on ship {stack.ship1}" in flat, proc.output[-5000:]
    assert "Start, step 2" not in proc.output  # the web level never ran
    assert "Traceback" not in proc.output
    assert stack.inspect(fweb, stack.ship2) is None


def test_a_maestro_ng_file_with_an_old_api_version_and_its_ways_starts(stack, fleet, tmp_path):
    """maestro-ng's files pinned api_version 1.18: it is a minimum (negotiated, said once at load). Its ways with
    ``user`` (ignored), a null env value (the variable left out, not empty) and list labels (names) hold on a daemon."""
    name = f"{stack.prefix}-old-1"
    old_file = tmp_path / "old.maestro.yaml"
    old_file.write_text(
        f"__maestro:\n  schema: 2\n  extends: {stack.file}\n"
        "ship_defaults: {api_version: '1.18'}\n"
        "services:\n"
        f"  old:\n    image: {fleet.image('v1')}\n    instances:\n"
        f"      {name}: {{ship: {stack.ship1}, user: '65534', env: {{PORT: null, KEPT: 'yes'}}, labels: [team=core, canary]}}\n"
    )
    stack.ship_of[name] = stack.ship1
    out = stack.ok("start", "-e", "maestro_things=old", ships_file=old_file)
    assert out.count("api_version 1.18 is below 1.30") == 1, out[-5000:]
    container = stack.inspect(name)
    assert container["State"]["Running"]
    assert container["Config"]["User"] == ""  # user: ignored, as maestro-ng did
    assert "PORT" in container["Config"]["Env"] and "KEPT=yes" in container["Config"]["Env"], container["Config"]["Env"]
    client = stack.clients[stack.ship1].api
    exec_id = client.exec_create(name, ["env"])["Id"]
    process_env = client.exec_start(exec_id).decode()
    assert "KEPT=yes" in process_env and "PORT=" not in process_env, process_env  # the image's PORT=8080 is gone too
    labels = container["Config"]["Labels"]
    assert labels["team=core"] == "" and labels["canary"] == "", labels
    again = stack.ok("start", "-e", "maestro_things=old", ships_file=old_file)
    assert re.findall(r"changed=(\d+)", again) == ["0", "0"], again[-3000:]  # KEY alone is no drift
