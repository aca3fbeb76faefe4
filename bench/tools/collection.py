"""This collection (maestro.docker): part (a) of the benchmark, two rows.

* ``maestro.docker`` — the seed's sequence with the collection's verb playbooks, one
  ``ansible-playbook`` per step as a maestro user types them: ``maestro.docker.pull``, ``stop``,
  ``clean``, ``start``, on the very maestro file maestro-ng gets (``maestro_ng.maestro_file``:
  existing maestro files work unchanged), read by the ships inventory plugin.
* ``maestro.docker-bg`` — ``maestro.docker.deploy`` (blue/green, the default strategy) of the same
  change behind the collection's HAProxy on the first ship: the new colour is pulled, started and
  health-checked on every ship, traffic switches, the old colour is stopped and kept.

Both run with the project's own venv (.venv) and the checkout's ansible.cfg, so the FQCNs resolve
through .collections/.

A blue/green run has its own start state: a deploy is measured from a steady blue/green estate (the
proxy up and routing to the colour that runs the current tag, the other colour stopped), which is
what a real deploy starts from. ``prepare`` makes that state, untimed, when the previous tool left
plain ``web-<ship>-<i>`` containers (it deploys the current tag once); ``BLUE_GREEN_CHECK`` checks the
end state: per instance exactly one colour running the target and answering it on its host port, the
other colour stopped or absent, and the proxy answering the target. The proxy is named ``web-proxy``
so that the driver's reset for the other tools (which removes every ``web-*`` container) removes it.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import subprocess
from pathlib import Path

from bench import scenario as sc
from bench.tools import REPO, Step, maestro_ng

NAME = "maestro.docker"
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"
PORT_OFFSET = 10000
PROXY_PORT = 19000
PROXY_NAME = "web-proxy"
ENV = {"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}


def _unavailable() -> str | None:
    return None if ANSIBLE_PLAYBOOK.exists() else f"{ANSIBLE_PLAYBOOK} is missing (make venv)"


def _ships_file(scenario, target: str, workdir: Path) -> Path:
    path = workdir / "maestro.yaml"  # the inventory plugin takes maestro.yaml / *.maestro.yaml as they are
    path.write_text(maestro_ng.maestro_file(scenario, target))
    return path


def _play(name: str) -> str:
    return str(REPO / "playbooks" / f"{name}.yml")


def sequence(scenario, target: str, workdir: Path) -> list[Step]:
    inv = str(_ships_file(scenario, target, workdir))
    return [Step(step, [str(ANSIBLE_PLAYBOOK), "-i", inv, _play(step)], ENV) for step in ("pull", "stop", "clean", "start")]


def sequence_prepare(all_ships, scenario, current: str, workdir: Path) -> None:
    """Untimed: the driver's start state, also when a peer left containers of its own (unlabelled)."""
    if sc.check(scenario, current, http_wait=5) or sc.unlabelled(scenario):
        sc.reset(all_ships, scenario, current)


def stop_start(scenario, target: str, workdir: Path) -> list[Step]:
    """The seed's sequence as one command: maestro.docker.deploy with the stop-start strategy (lock and audit included)."""
    inv = str(_ships_file(scenario, target, workdir))
    extra = {"maestro_deploy_strategy": "stop-start", "maestro_deploy_audit_log": str(workdir / "audit.log")}
    return [Step("deploy", [str(ANSIBLE_PLAYBOOK), "-i", inv, _play("deploy"), "-e", json.dumps(extra)], ENV)]


def start_up(scenario, workdir: Path) -> Step:
    """An ansible-playbook command with no task on the scenario's ships file: the part of every row above that is
    Ansible's start-up and the inventory plugin, whatever the play does."""
    inv = str(_ships_file(scenario, "v1", workdir))
    return Step("start-up", [str(ANSIBLE_PLAYBOOK), "-i", inv, str(REPO / "bench" / "playbooks" / "start-up.yml")], ENV)


def _deploy_vars(scenario, workdir: Path) -> Path:
    registry = scenario.registry
    data = {
        "maestro_proxy": {
            "host": scenario.ships[0].name,
            "name": PROXY_NAME,
            "image": f"{registry}/proxy/haproxy:2.6",
            "frontends": {sc.SERVICE: {"port": PROXY_PORT, "backend_port": "http", "health_path": "/health"}},
            "drain_timeout": 10,
        },
        "maestro_deploy_port_offset": PORT_OFFSET,
        "maestro_deploy_audit_log": str(workdir / "audit.log"),
    }
    path = workdir / "deploy-vars.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def blue_green(scenario, target: str, workdir: Path) -> list[Step]:
    inv = str(_ships_file(scenario, target, workdir))
    return [Step("deploy", [str(ANSIBLE_PLAYBOOK), "-i", inv, _play("deploy"), "-e", f"@{_deploy_vars(scenario, workdir)}"], ENV)]


def _port(inst: sc.Instance, colour: str) -> int:
    return inst.port + (PORT_OFFSET if colour == "green" else 0)


def blue_green_check(scenario, target: str, http_wait: float = 15.0, proxy: tuple[str, int] = (PROXY_NAME, PROXY_PORT)) -> list[str]:
    """Problems with the blue/green end state on `target` behind `proxy` (its container's name, its port; empty: converged)."""
    proxy_name, proxy_port = proxy
    apis = sc.clients(scenario.ships)
    image = scenario.image(target)
    problems: list[str] = []
    live: list[tuple[sc.Instance, str]] = []
    for ship in scenario.ships:
        api = apis[ship.name]
        try:
            image_id = api.inspect_image(image)["Id"]
        except Exception as exc:  # noqa: BLE001 - report, don't crash
            problems.append(f"{ship.name}: {image} not present ({exc})")
            image_id = None
        found = {c["Names"][0].lstrip("/"): c for c in api.containers(all=True, filters={"name": f"^/{sc.SERVICE}-"})}
        for inst in (i for i in scenario.instances if i.ship == ship.name):
            colours = {colour: found.get(name) for colour, name in (("blue", inst.name), ("green", f"{inst.name}-green"))}
            running = [colour for colour, c in colours.items() if c and c["State"] == "running"]
            if len(running) != 1:
                problems.append(f"{ship.name}: {inst.name} has {len(running)} colours running ({', '.join(running) or 'none'})")
                continue
            if colours[running[0]]["ImageID"] != image_id:
                problems.append(f"{ship.name}: {inst.name} ({running[0]}) runs {colours[running[0]]['Image']}, want {image}")
            live.append((inst, running[0]))
        if ship == scenario.ships[0] and (found.get(proxy_name) or {}).get("State") != "running":
            problems.append(f"{ship.name}: the proxy {proxy_name} is not running")

    urls = [f"http://{scenario.ship(inst.ship).ip}:{_port(inst, colour)}/" for inst, colour in live]
    urls += [f"http://{scenario.ships[0].ip}:{proxy_port}/"] * 5
    with cf.ThreadPoolExecutor(32) as pool:
        problems += [p for p in pool.map(lambda url: sc.answers(url, target, http_wait), urls) if p]
    return problems


def blue_green_prepare(all_ships, scenario, current: str, workdir: Path) -> None:
    """Untimed: a steady blue/green estate on `current` (proxy up, one colour live) unless there is one."""
    if not blue_green_check(scenario, current, http_wait=3):
        return
    sc.reset(all_ships, scenario, current)
    prep = workdir / "prepare"
    prep.mkdir(parents=True, exist_ok=True)
    # a bench run killed mid-deploy leaves its deploy lock behind: the untimed preparation breaks it
    steps = [Step(s.name, [*s.argv, "-e", "maestro_deploy_break_lock=true"], s.env) for s in blue_green(scenario, current, prep)]
    with (prep / "output.log").open("w") as log:
        for step in steps:
            proc = subprocess.run(step.argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **step.env}, cwd=REPO, check=False, timeout=900)
            if proc.returncode:
                raise RuntimeError(f"preparing the blue/green start state failed (log {prep / 'output.log'})")
    if problems := blue_green_check(scenario, current):
        raise RuntimeError(f"preparing the blue/green start state did not converge: {problems[:3]}")


class _Tool:
    def __init__(self, name: str, label: str, commands, check=None, prepare=None) -> None:
        self.NAME, self.LABEL, self._commands, self.check, self.prepare = name, label, commands, check, prepare

    @staticmethod
    def unavailable() -> str | None:
        return _unavailable()

    def commands(self, scenario, target: str, workdir: Path) -> list[Step]:
        return self._commands(scenario, target, workdir)


SEQUENCE = _Tool(NAME, "maestro.docker (pull, stop, clean, start playbooks)", sequence, prepare=sequence_prepare)
STOP_START = _Tool(f"{NAME}-ss", "maestro.docker deploy, stop-start strategy (one command)", stop_start, prepare=sequence_prepare)
BLUE_GREEN = _Tool(f"{NAME}-bg", "maestro.docker blue/green deploy", blue_green, blue_green_check, blue_green_prepare)
