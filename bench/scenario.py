"""What every tool is asked to do, and how the driver sets it up and checks it (never timed).

A scenario is one size: S ships x N instances of service ``web`` per ship. Instance ``i`` on
ship ``shipK`` is the container ``web-shipK-i``; it publishes container port 8080 on host port
``BASE_PORT + i`` of its ship. A measured run moves every instance from one tag of demo/web to
the other (v1 -> v2, then v2 -> v1, ...) with the seed's four steps: pull, stop, clean, start.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

SERVICE = "web"
CONTAINER_PORT = 8080
BASE_PORT = 20000
TAGS = ("v1", "v2")
# maestro.docker acts only on containers with this label (it never touches what it did not create);
# the start state carries it, as if the collection had started it. The peers go by name and ignore it.
MANAGED_LABEL = {"maestro.managed": "true"}


@dataclass(frozen=True)
class Ship:
    name: str
    ip: str
    docker_host: str


@dataclass(frozen=True)
class Instance:
    name: str
    ship: str
    port: int


@dataclass
class Scenario:
    ships: list[Ship]
    per_ship: int
    registry: str
    repository: str = "demo/web"
    instances: list[Instance] = field(init=False)

    def __post_init__(self) -> None:
        self.instances = [Instance(f"{SERVICE}-{s.name}-{i}", s.name, BASE_PORT + i) for s in self.ships for i in range(1, self.per_ship + 1)]

    @property
    def label(self) -> str:
        return f"{len(self.ships)}x{self.per_ship}"

    def image(self, tag: str) -> str:
        return f"{self.registry}/{self.repository}:{tag}"

    def ship(self, name: str) -> Ship:
        return next(s for s in self.ships if s.name == name)

    def write(self, path: Path, target: str) -> None:
        """The scenario as JSON for a tool that runs in another process (the floor)."""
        data = {"ships": [asdict(s) for s in self.ships], "instances": [asdict(i) for i in self.instances], "image": self.image(target)}
        data["container_port"] = CONTAINER_PORT
        path.write_text(json.dumps(data, indent=2) + "\n")


def clients(ships: list[Ship], pool: int = 40) -> dict:
    import docker  # noqa: PLC0415 - the driver's own venv has the SDK; the tool venvs need not

    return {s.name: docker.APIClient(base_url=s.docker_host, version="auto", timeout=120, max_pool_size=pool) for s in ships}


def _ours(api) -> list[dict]:
    return api.containers(all=True, filters={"name": f"^/{SERVICE}-"})


def reset(all_ships: list[Ship], scenario: Scenario, tag: str) -> None:
    """Start state: on every ship of the fleet no web-* container but the scenario's, all running `tag`."""
    apis = clients(all_ships)
    image = scenario.image(tag)

    def clear(ship: Ship) -> None:
        api = apis[ship.name]
        for c in _ours(api):
            api.remove_container(c["Id"], force=True, v=True)
        if ship in scenario.ships:
            api.pull(image)

    def create(inst: Instance) -> None:
        api = apis[inst.ship]
        hc = api.create_host_config(port_bindings={CONTAINER_PORT: inst.port})
        cid = api.create_container(image, name=inst.name, hostname=inst.name, ports=[CONTAINER_PORT], host_config=hc, detach=True, labels=MANAGED_LABEL)["Id"]
        api.start(cid)

    with cf.ThreadPoolExecutor(32) as pool:
        list(pool.map(clear, all_ships))
        list(pool.map(create, scenario.instances))


def unlabelled(scenario: Scenario) -> list[str]:
    """The scenario's containers without MANAGED_LABEL (made by a peer): maestro.docker would refuse them."""
    apis = clients(scenario.ships)
    return [c["Names"][0] for s in scenario.ships for c in _ours(apis[s.name]) if (c.get("Labels") or {}).get("maestro.managed") != "true"]


def drop_image(scenario: Scenario, tag: str) -> None:
    """Remove `tag` from every ship, so the measured pull really fetches it (its unique layers)."""
    import docker  # noqa: PLC0415

    apis = clients(scenario.ships)

    def drop(ship: Ship) -> None:
        api = apis[ship.name]
        if api.images(name=scenario.image(tag), quiet=True):
            try:
                api.remove_image(scenario.image(tag), noprune=False)
            except docker.errors.APIError as exc:  # a stopped blue/green colour still uses it: its pull is then cheaper
                print(f"bench: {ship.name}: kept {scenario.image(tag)}: {exc.explanation}", flush=True)

    with cf.ThreadPoolExecutor(8) as pool:
        list(pool.map(drop, scenario.ships))


def answers(url: str, tag: str, wait: float) -> str | None:
    """None once url answers "<tag>\\n" (retried for up to `wait` s), else what it answered."""
    deadline, body = time.monotonic() + wait, None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                body = resp.read().decode()
            if body == f"{tag}\n":
                return None
        except OSError as exc:
            body = f"error {exc}"
        time.sleep(0.3)
    return f"{url} answered {body!r}, want {tag!r}"


def check(scenario: Scenario, tag: str, http_wait: float = 15.0) -> list[str]:
    """Every instance exists once, runs `tag` and answers "<tag>" over HTTP; returns the problems."""
    apis = clients(scenario.ships)
    image = scenario.image(tag)
    problems: list[str] = []
    for ship in scenario.ships:
        try:
            image_id = apis[ship.name].inspect_image(image)["Id"]
        except Exception as exc:  # the target image is not even on the ship: report, don't crash
            problems.append(f"{ship.name}: {image} not present ({exc})")
            image_id = None
        names = {c["Names"][0].lstrip("/"): c for c in _ours(apis[ship.name])}
        wanted = {i.name for i in scenario.instances if i.ship == ship.name}
        for extra in sorted(set(names) - wanted):
            problems.append(f"{ship.name}: unexpected container {extra} ({names[extra]['State']})")
        for name in sorted(wanted):
            c = names.get(name)
            if c is None:
                problems.append(f"{ship.name}: {name} missing")
            elif c["State"] != "running" or c["ImageID"] != image_id:
                problems.append(f"{ship.name}: {name} is {c['State']} on {c['Image']}, want running on {image}")

    def serves(inst: Instance) -> str | None:
        problem = answers(f"http://{scenario.ship(inst.ship).ip}:{inst.port}/", tag, http_wait)
        return f"{inst.name}: {problem}" if problem else None

    with cf.ThreadPoolExecutor(32) as pool:
        problems += [p for p in pool.map(serves, scenario.instances) if p]
    return problems
