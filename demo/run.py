"""`make demo`: the collection's main job on the local fleet, under load, with a summary table.

On the running fleet (tests/fleet/fleet.py, ``Fleet.from_env()``), with the demo environment of this folder
(demo.maestro.yaml: demo/web on 3 ships, 2 instances each; group_vars/all.yml: the proxy on ship1, port 8000):

  a. deploy demo/web:v1 behind the proxy (playbooks/deploy.yml -e maestro_deploy_tag=v1);
  b. start a load of 25 requests/s through the proxy;
  c. blue/green to v2 (must succeed, no failed request);
  d. try demo/web:broken (must be refused, traffic stays on v2);
  e. a canary of demo/web:flaky (500 to 20% of its requests), steps 10% / 50% / 100%: the verdict from the proxy's
     counters must abort it at its first step, the clients seeing no more errors than 10% x 20% of their requests,
     and traffic back on v2; the canary's table of figures is printed;
  f. roll back (playbooks/rollback.yml: must succeed and end on v1);
  g. stop the load.

Each playbook's output goes to .build/demo/<step>.log (and the deploy audit trail to .build/demo/maestro-audit.log);
one line per step is printed as it finishes, then the table. The demo first removes its own containers from a
previous run (label maestro.environment=demo, and its proxy and lock, checked by their maestro.* labels), so every
run starts the same; it touches nothing else. Exit status 0 only when every step behaved as expected.

Usage (from the checkout, with the project venv, after ``make fleet``; ``make demo`` does both):
    .venv/bin/python demo/run.py
FLEET_PREFIX, FLEET_SUBNET, FLEET_DIR and FLEET_SHIPS select the fleet, as for tests/fleet/fleet.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEMO = Path(__file__).resolve().parent
REPO = DEMO.parent
for _path in (REPO / ".collections", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# pylint: disable=wrong-import-position
from ansible_collections.maestro.docker.plugins.module_utils._docker import lock as _lock  # noqa: E402
from ansible_collections.maestro.docker.plugins.module_utils._docker import proxy as _proxy  # noqa: E402
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec  # noqa: E402
from tests.fleet.fleet import Fleet, FleetError  # noqa: E402
from tests.fleet.load import Load, Snapshot  # noqa: E402

INVENTORY = DEMO / "demo.maestro.yaml"
GROUP_VARS = DEMO / "group_vars" / "all.yml"
BUILD = REPO / ".build" / "demo"
RATE, THREADS = 25, 3  # requests/s through the proxy, from this many threads
WARMUP = 3.0  # seconds of load alone (step b), to show the starting point
SETTLE = 1.0  # seconds after each playbook whose answers give "the version at the end"
PLAYBOOK_TIMEOUT = 600
# The canary of step e: a tenth of the traffic for 8 s, then half, then all; judged on a 5% error rate.
CANARY_SHARE, FLAKY_RATE = 0.10, 0.20
CANARY = {
    "maestro_deploy_canary": [{"weight": int(CANARY_SHARE * 100), "pause": 8}, {"weight": 50, "pause": 8}, {"weight": 100}],
    "maestro_deploy_canary_thresholds": {"max_error_percent": 5, "min_requests": 10},
}
CANARY_TABLE_MARK = "The figures of every step:"


class DemoError(Exception):
    """A reason the demo cannot run at all (no fleet, a container in the way)."""


# ---- what the demo does and expects -------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    key: str
    title: str
    playbook: str | None = None  # under playbooks/
    extra_vars: tuple[str, ...] = ()
    must_pass: bool | None = None  # True: the playbook must succeed, False: it must fail, None: no playbook
    served: frozenset[str] | None = None  # every answer during the step must be one of these (None: any)
    ends_on: str | None = None  # every answer at the end of the step must be this version
    # The load during this step: "probe" (none yet: a probe of SETTLE seconds at the end tells the version),
    # "start" (start it and let it run WARMUP seconds), "on" (it runs), "stop" (stop it; the step counts its whole run).
    load: str = "on"
    # The share of the step's requests that may fail with HTTP 500 (a canary's: its share x the new colour's error rate).
    allowed_error_share: float = 0.0


STEPS = (
    Step("a", "deploy demo/web:v1", "deploy.yml", ("maestro_deploy_tag=v1",), must_pass=True, ends_on="v1", load="probe"),
    Step("b", "start the load", served=frozenset({"v1"}), ends_on="v1", load="start"),
    Step("c", "blue/green to v2", "deploy.yml", ("maestro_deploy_tag=v2",), must_pass=True, served=frozenset({"v1", "v2"}), ends_on="v2"),
    Step("d", "try demo/web:broken", "deploy.yml", ("maestro_deploy_tag=broken",), must_pass=False, served=frozenset({"v2"}), ends_on="v2"),
    Step(
        "e",
        "canary of demo/web:flaky",
        "deploy.yml",
        ("maestro_deploy_tag=flaky", json.dumps(CANARY, separators=(",", ":"))),
        must_pass=False,
        served=frozenset({"v2", "flaky"}),
        ends_on="v2",
        allowed_error_share=CANARY_SHARE * FLAKY_RATE,
    ),
    Step("f", "roll back", "rollback.yml", must_pass=True, served=frozenset({"v1", "v2"}), ends_on="v1"),
    Step("g", "stop the load (whole run)", load="stop"),
)


@dataclass
class Outcome:
    """What one step did: its playbook's exit status and the load's counts during the step."""

    step: Step
    seconds: float = 0.0
    rc: int | None = None
    requests: int = 0
    failures: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    end_answers: dict[str, int] = field(default_factory=dict)  # answers in the last SETTLE seconds
    message: str = ""  # the playbook's failure message, if it failed
    table: str = ""  # a canary's table of figures, from that message
    excused: int = 0  # of a whole run's failed requests, those a canary step was allowed
    log: Path | None = None
    skipped: bool = False


def counts(counter: dict[str, int]) -> str:
    """{"v2": 240, "v1": 112} -> "v1 112, v2 240"; {} -> "none"."""
    return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "none"


def end_version(end_answers: dict[str, int]) -> str:
    """The one version answered at the end of a step, or what was answered instead."""
    if len(end_answers) == 1:
        return next(iter(end_answers))
    return f"mixed ({counts(end_answers)})" if end_answers else "none"


def result_word(outcome: Outcome) -> str:
    if outcome.skipped:
        return "skipped"
    if problems(outcome):
        return "FAILED"
    return "refused" if outcome.step.must_pass is False else "ok"


def problems(outcome: Outcome) -> list[str]:
    """What went wrong in one step, each as a short sentence (empty: the step behaved as expected)."""
    step = outcome.step
    if outcome.skipped:
        return ["skipped, since an earlier step failed"]
    found = []
    if step.must_pass is True and outcome.rc != 0:
        found.append(f"the playbook failed (rc {outcome.rc})" + (f": {outcome.message}" if outcome.rc == -1 else ""))
    if step.must_pass is False and outcome.rc == 0:
        found.append("the playbook passed, but it must be refused")
    if step.allowed_error_share and outcome.failures:
        allowed = step.allowed_error_share * outcome.requests
        if set(outcome.errors) - {"HTTP 500"} or outcome.failures > allowed:
            found.append(
                f"{outcome.failures} failed requests ({counts(outcome.errors)}), more than the canary step allows: HTTP 500 to "
                f"{step.allowed_error_share:.0%} of the {outcome.requests} requests ({allowed:.1f})"
            )
    elif outcome.failures > outcome.excused:
        whole = " over the whole run" if step.load == "stop" else ""
        excused = f", {outcome.excused} of them the canary's" if outcome.excused else ""
        found.append(f"{outcome.failures} failed request{'s' if outcome.failures != 1 else ''}{whole} ({counts(outcome.errors)}{excused})")
    if step.served is not None:
        stray = {answer: n for answer, n in outcome.answers.items() if answer not in step.served}
        if stray:
            found.append(f"answered {counts(stray)}, expected only {' or '.join(sorted(step.served))}")
    if step.ends_on is not None and set(outcome.end_answers) != {step.ends_on}:
        found.append(f"ended on {end_version(outcome.end_answers)}, expected {step.ends_on}")
    return found


def failures(outcomes: list[Outcome]) -> list[str]:
    """Every problem of every step, as "<step>: <problem> (log: <path>)"; empty when the whole demo behaved."""
    lines = []
    for outcome in outcomes:
        log = f" (log: {outcome.log.relative_to(REPO) if outcome.log.is_relative_to(REPO) else outcome.log})" if outcome.log else ""
        lines += [f"{outcome.step.key}. {outcome.step.title}: {problem}{log}" for problem in problems(outcome)]
    return lines


def format_table(outcomes: list[Outcome]) -> str:
    """The summary table: step, result, time, requests, failed requests, answers during the step, version at the end."""
    head = ("step", "result", "time (s)", "requests", "failed", "answers during the step", "version at the end")
    rows = [head]
    for o in outcomes:
        if o.skipped:
            rows.append((f"{o.step.key}. {o.step.title}", "skipped", "-", "-", "-", "-", "-"))
            continue
        rows.append(
            (
                f"{o.step.key}. {o.step.title}",
                result_word(o),
                f"{o.seconds:.1f}",
                str(o.requests),
                str(o.failures),
                counts(o.answers),
                end_version(o.end_answers),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    numeric = {2, 3, 4}
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def failure_message(log_text: str) -> str:
    """The ``msg`` of the last failed task in an ansible-playbook log (the fail task's message), on one line.

    The result after ``FAILED! =>`` is YAML (callback_result_format=yaml, indented lines after it) or JSON (on the
    same line); both load as YAML. Falls back to the last ``[ERROR]:`` line, then to "".
    """
    return " ".join(failure_text(log_text).split())


def split_canary_table(message: str) -> tuple[str, str]:
    """(the message without it, the canary's table of figures) of a failure message; ("message", "") without a table.

    The deploy role's canary puts its table after "The figures of every step:", one line a row, up to the end of the
    canary's message (the next line that is not a row: the rest of the deploy's message).
    """
    if CANARY_TABLE_MARK not in message:
        return message, ""
    head, tail = message.split(CANARY_TABLE_MARK, 1)
    lines = tail.lstrip("\n").split("\n")
    rows = []
    while lines and lines[0].strip() and not lines[0].lstrip().startswith("."):
        rows.append(lines.pop(0).rstrip())
    rest = " ".join(lines).strip()
    rest = rest[1:].strip() if rest.startswith(".") else rest  # the deploy's "." after the canary's message
    return f"{head.rstrip()} {rest}".strip(), "\n".join(rows)


def failure_text(log_text: str) -> str:
    """The ``msg`` of the last failed task in an ansible-playbook log, with its line breaks (see failure_message)."""
    lines = log_text.splitlines()
    starts = [i for i, line in enumerate(lines) if "FAILED! =>" in line]
    for start in reversed(starts):
        block = [lines[start].split("FAILED! =>", 1)[1]]
        for line in lines[start + 1 :]:
            if line.strip() and not line.startswith(" "):
                break
            block.append(line)
        try:
            result = yaml.safe_load(textwrap.dedent("\n".join(block)))
        except yaml.YAMLError:
            continue
        if isinstance(result, dict) and result.get("msg"):
            return str(result["msg"])
    errors = [line.split("[ERROR]:", 1)[1].strip() for line in lines if line.startswith("[ERROR]:")]
    return errors[-1] if errors else ""


# ---- the demo environment ----------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    environment: str
    proxy_host: str
    proxy_port: int
    proxy_name: str
    lock_name: str


def read_settings(inventory: Path = INVENTORY, group_vars: Path = GROUP_VARS) -> Settings:
    """The demo's environment name, proxy host and port, proxy and lock names, from its two files.

    The names follow roles/deploy's defaults: maestro-proxy-<environment> (unless maestro_proxy.name) and
    maestro-lock-<environment>. The files are Jinja2 templates, but their templates are only inside quoted strings.
    """
    environment = str(yaml.safe_load(inventory.read_text())["name"])
    proxy = yaml.safe_load(group_vars.read_text())["maestro_proxy"]
    frontend = next(iter(proxy["frontends"].values()))
    return Settings(
        environment=environment,
        proxy_host=str(proxy["host"]),
        proxy_port=int(frontend["port"]),
        proxy_name=str(proxy.get("name") or f"maestro-proxy-{environment}"),
        lock_name=f"maestro-lock-{environment}",
    )


def why_not_removable(name: str, labels: dict[str, str], settings: Settings) -> str | None:
    """None when the container is the demo's own (safe to remove), else why it is not."""
    if labels.get(_spec.LABEL_MANAGED) != "true":
        return f"it has no {_spec.LABEL_MANAGED}=true label"
    roles = {settings.proxy_name: _proxy.ROLE, settings.lock_name: _lock.ROLE}
    if name in roles:
        role = labels.get(_proxy.LABEL_ROLE)
        if role != roles[name]:
            return f"its label {_proxy.LABEL_ROLE} is {role!r}, not {roles[name]!r}"
        environment = labels.get(_spec.LABEL_ENVIRONMENT)
        if environment not in (None, settings.environment):
            return f"its label {_spec.LABEL_ENVIRONMENT} is {environment!r}, not {settings.environment!r}"
        return None
    if labels.get(_spec.LABEL_ENVIRONMENT) != settings.environment:
        return f"its label {_spec.LABEL_ENVIRONMENT} is not {settings.environment!r}"
    return None


def clean_slate(fleet: Fleet, settings: Settings) -> list[str]:
    """Remove the demo's own containers from every ship; "name@ship" of each one removed.

    Candidates are the containers labelled maestro.environment=<demo> and the ones named like the demo's proxy and
    lock; each is removed only when its labels say the demo made it. A proxy or lock name held by anything else
    stops the demo (its deploy would fail on it anyway); other unlabelled containers are left alone.
    """
    import docker  # noqa: PLC0415 - only this part talks to Docker

    removed = []
    for ship in fleet.ships:
        client = ship.client()
        try:
            found = {c.id: c for c in client.containers.list(all=True, filters={"label": f"{_spec.LABEL_ENVIRONMENT}={settings.environment}"})}
            for name in (settings.proxy_name, settings.lock_name):
                try:
                    container = client.containers.get(name)
                except docker.errors.NotFound:
                    continue
                found[container.id] = container
            for container in sorted(found.values(), key=lambda c: c.name):
                reason = why_not_removable(container.name, container.labels, settings)
                if reason is None:
                    container.remove(force=True, v=True)
                    removed.append(f"{container.name}@{ship.name}")
                elif container.name in (settings.proxy_name, settings.lock_name):
                    raise DemoError(f"container {container.name} on ship {ship.name} is not the demo's ({reason}); it is left untouched: remove it yourself")
        except docker.errors.DockerException as exc:
            raise DemoError(f"cleaning up the demo's containers on ship {ship.name} failed: {exc}") from exc
        finally:
            client.close()
    return removed


# ---- running it ------------------------------------------------------------------------------------
class Demo:
    def __init__(self, fleet: Fleet, settings: Settings, out=sys.stdout):
        self.fleet, self.settings, self.out = fleet, settings, out
        ships = {ship.name: ship for ship in fleet.ships}
        if settings.proxy_host not in ships:
            raise DemoError(f"the demo's proxy runs on {settings.proxy_host}, which fleet {fleet.prefix} does not have")
        self.url = f"http://{ships[settings.proxy_host].ip}:{settings.proxy_port}/"
        self.env = {
            **os.environ,
            "DEMO_REGISTRY": fleet.registry,
            "DEMO_FLEET_FILE": str(fleet.ships_file),
            "ANSIBLE_CONFIG": os.environ.get("ANSIBLE_CONFIG") or str(REPO / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
        }
        self.ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
        if not os.access(self.ansible_playbook, os.X_OK):
            self.ansible_playbook = shutil.which("ansible-playbook") or "ansible-playbook"
        self.audit_log = BUILD / "maestro-audit.log"
        self.load: Load | None = None
        self.outcomes: list[Outcome] = []

    def say(self, text: str = "", end: str = "\n") -> None:
        print(text, end=end, file=self.out, flush=True)

    def playbook(self, step: Step, outcome: Outcome) -> None:
        outcome.log = BUILD / f"{step.key}-{step.title.split(' (')[0].replace(' ', '-').replace('/', '-').replace(':', '-')}.log"
        cmd = [self.ansible_playbook, str(REPO / "playbooks" / step.playbook), "-i", str(INVENTORY)]
        for var in (*step.extra_vars, f"maestro_deploy_audit_log={self.audit_log}"):
            cmd += ["-e", var]
        with open(outcome.log, "w") as log:
            log.write(f"$ {' '.join(cmd)}\n\n")
            log.flush()
            try:
                outcome.rc = subprocess.run(cmd, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, timeout=PLAYBOOK_TIMEOUT, check=False).returncode
            except subprocess.TimeoutExpired:
                outcome.rc = -1
                outcome.message = f"timed out after {PLAYBOOK_TIMEOUT}s"
        if outcome.rc not in (0, -1):
            message, outcome.table = split_canary_table(failure_text(outcome.log.read_text(errors="replace")))
            outcome.message = " ".join(message.split())

    def run_step(self, step: Step) -> Outcome:
        outcome = Outcome(step)
        self.say(f"{step.key}. {step.title} ...", end="")
        started = time.monotonic()
        if step.load == "start":
            self.load = Load(self.url, rate=RATE, threads=THREADS).start()
        load = Load(self.url, rate=RATE, threads=THREADS) if step.load == "probe" else self.load
        before = load.snapshot() if step.load == "on" else Snapshot()
        if step.playbook:
            self.playbook(step, outcome)
        if step.load == "start":
            time.sleep(WARMUP - SETTLE)
        elif step.load == "probe":
            load.start()
        at_end = load.snapshot()
        time.sleep(SETTLE)
        after = load.stop() if step.load in ("probe", "stop") else load.snapshot()
        if step.load == "stop":
            self.load = None
            outcome.excused = sum(o.failures for o in self.outcomes if o.step.allowed_error_share and not problems(o))
        window = after.since(before)
        outcome.requests, outcome.failures, outcome.answers, outcome.errors = window.requests, window.failures, window.answers, window.errors
        outcome.end_answers = dict(after.since(at_end).answers)
        outcome.seconds = window.elapsed if step.load == "stop" else time.monotonic() - started
        self.outcomes.append(outcome)
        self.report(outcome)
        return outcome

    def report(self, outcome: Outcome) -> None:
        found = problems(outcome)
        word = result_word(outcome)
        detail = f"{outcome.requests} requests, {outcome.failures} failed, {counts(outcome.answers)}"
        self.say(f" {word} in {outcome.seconds:.1f}s ({detail}; at the end {end_version(outcome.end_answers)})")
        if outcome.rc not in (0, None, -1) and outcome.message:
            label = "   refused: " if outcome.step.must_pass is False else "   message: "
            self.say(textwrap.fill(outcome.message, width=120, initial_indent=label, subsequent_indent="   "))
        if outcome.table:
            self.say(textwrap.indent(outcome.table, "   "))
        for problem in found:
            self.say(textwrap.fill(problem, width=120, initial_indent="   FAILED: ", subsequent_indent="   "))
        if found and outcome.log:
            self.say(f"   log: {outcome.log.relative_to(REPO)}")

    def run(self) -> int:
        started = time.monotonic()
        self.say(f"Demo on fleet {self.fleet.prefix}: {self.fleet.size} ships, registry {self.fleet.registry}, proxy {self.url}")
        removed = clean_slate(self.fleet, self.settings)
        self.say(
            f"clean slate: removed {len(removed)} container{'s' if len(removed) != 1 else ''} of an earlier demo"
            if removed
            else "clean slate: nothing to remove"
        )
        try:
            for step in STEPS:
                if self.outcomes and self.outcomes[0].rc != 0:  # without the first deploy there is nothing to show
                    self.outcomes.append(Outcome(step, skipped=True))
                    self.say(f"{step.key}. {step.title} ... skipped")
                    continue
                self.run_step(step)
        except KeyboardInterrupt:
            self.say("\ninterrupted")
            return 130
        finally:
            if self.load:
                self.load.stop()
        table = format_table(self.outcomes)
        (BUILD / "summary.txt").write_text(table + "\n")
        self.say()
        self.say(table)
        self.say()
        failed = failures(self.outcomes)
        total = time.monotonic() - started
        if failed:
            self.say(f"The demo FAILED after {total:.0f}s:")
            for line in failed:
                self.say(textwrap.fill(line, width=120, initial_indent="- ", subsequent_indent="  "))
        else:
            self.say(
                f"Every step behaved as expected, in {total:.0f}s: no failed request but the canary's share, the broken image refused, "
                "the flaky one aborted by its canary, back on v1."
            )
            self.say(f"The demo stays up: {self.url} answers v1; `make fleet-down` removes it with the fleet.")
        self.say(f"Logs, audit trail and this table: {BUILD.relative_to(REPO)}/")
        return 1 if failed else 0


def prepare_build_dir() -> None:
    """.build/demo/ empty of an earlier run's logs, so that what is there is this run's."""
    BUILD.mkdir(parents=True, exist_ok=True)
    for old in [*BUILD.glob("*.log"), BUILD / "summary.txt"]:
        old.unlink(missing_ok=True)


def main() -> int:
    try:
        fleet = Fleet.from_env()
        if not fleet.is_running():
            raise DemoError(f"no fleet {fleet.prefix} is running with state in {fleet.state_dir} (start it with `make fleet`)")
        if fleet.size < 3:
            raise DemoError(f"the demo places instances on ship1..ship3; fleet {fleet.prefix} has {fleet.size} ships")
        prepare_build_dir()
        return Demo(fleet, read_settings()).run()
    except (DemoError, FleetError) as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
