"""The blue/green floor: the least a blue/green deploy of the scenario can cost, one Python process, the docker SDK.

Issue 13 asks the blue/green deploy to take less time than maestro-ng's stop-start sequence. A blue/green deploy
does more than a stop-start: it checks the new colour and moves a proxy. This row measures what that costs with
no tool around it, as ``floor.py`` does for stop-start: a thread per container (per ship for the pull and the
read), only the API calls needed, each step finished on every ship before the next begins:

1. **pull** the new image (once per ship);
2. **read** each ship's containers, to know which colour is live (one list call per ship);
3. **clear** the new colour's slot: remove what stopped there two deploys ago (per container);
4. **start** the new colour (create + start, per container) on the live port + 10000 (green) or the base port;
5. **check** each new container: GET /health until it answers 200;
6. **switch** the proxy: write its new configuration, ``haproxy -c`` it, SIGUSR2 to the master, then wait until
   the frontend answers the new tag (the collection also waits for the old HAProxy worker to finish its connections:
   with no client connected, at once);
7. **stop** the old colour (per container).

Its estate is its own: the same instance containers as ``maestro.docker-bg`` (``web-shipK-i`` blue, ``-green``
green) behind its own HAProxy ``web-floorproxy`` on the first ship, frontend port 19001, so that neither tool takes
the other's end state for its start state (each then starts from a reset). Run as
``python bench/tools/floor_bluegreen.py SCENARIO.json``; the driver times the process.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):  # run as a plain script by the driver: bench/tools/floor.py beside it
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import floor  # type: ignore[no-redef]
else:
    from bench.tools import floor

NAME = "floor-bg"
LABEL = "blue/green floor (docker SDK, thread per container)"
# web-*: the driver's reset (bench/scenario.py) removes every web-* container, so no other tool finds it left behind
PROXY_NAME = "web-floorproxy"
PROXY_PORT = 19001
PORT_OFFSET = 10000
GREEN = "-green"
CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"
CANDIDATE_PATH = "/usr/local/etc/haproxy/candidate.cfg"
HEALTH_WAIT = 30.0


def unavailable() -> str | None:
    return None


def _extra(scenario) -> dict:
    return {"proxy_ship": scenario.ships[0].name, "proxy_image": f"{scenario.registry}/proxy/haproxy:2.6", "proxy_port": PROXY_PORT}


def commands(scenario, target: str, workdir: Path) -> list:
    from bench.tools import Step  # noqa: PLC0415 - plain-script use below must not need the package

    spec = workdir / "scenario.json"
    scenario.write(spec, target)
    spec.write_text(json.dumps({**json.loads(spec.read_text()), **_extra(scenario)}, indent=2) + "\n")
    return [Step("sequence", [sys.executable, __file__, str(spec)])]


def check(scenario, target: str, http_wait: float = 15.0) -> list[str]:
    from bench.tools import collection  # noqa: PLC0415

    return collection.blue_green_check(scenario, target, http_wait, proxy=(PROXY_NAME, PROXY_PORT))


def prepare(all_ships, scenario, current: str, workdir: Path) -> None:
    """Untimed: every instance blue on `current` behind the floor's own proxy, unless that is the state already."""
    from bench import scenario as sc  # noqa: PLC0415

    if not check(scenario, current, http_wait=3):
        return
    sc.reset(all_ships, scenario, current)
    apis = sc.clients(scenario.ships)
    image = scenario.image(current)
    for inst in scenario.instances:  # the stopped colour of two deploys ago, which each run removes from the new slot
        api = apis[inst.ship]
        hc = api.create_host_config(port_bindings={sc.CONTAINER_PORT: inst.port + PORT_OFFSET})
        api.create_container(image, name=inst.name + GREEN, hostname=inst.name, ports=[sc.CONTAINER_PORT], host_config=hc, labels=floor.LABELS)
    ips = {s.name: s.ip for s in scenario.ships}
    api = apis[scenario.ships[0].name]
    extra = _extra(scenario)
    api.pull(extra["proxy_image"])
    api.create_container(extra["proxy_image"], name=PROXY_NAME, host_config=api.create_host_config(network_mode="host"), detach=True)
    _write(api, CONFIG_PATH, config([(i.name, ips[i.ship], i.port) for i in scenario.instances], PROXY_PORT))
    api.start(PROXY_NAME)
    if problems := check(scenario, current):
        raise RuntimeError(f"preparing the blue/green floor's start state did not converge: {problems[:3]}")


def config(servers: list[tuple[str, str, int]], port: int) -> str:
    """The smallest HAProxy configuration that routes the frontend to `servers` (name, address, port)."""
    lines = [
        "global",
        "  log stdout format raw local0",
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend web",
        f"  bind :{port}",
        "  default_backend web",
        "backend web",
    ]
    lines += [f"  server {name} {address}:{srv_port}" for name, address, srv_port in servers]
    return "\n".join(lines) + "\n"


def _write(api, path: str, text: str) -> None:
    data = text.encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(Path(path).name)
        info.size, info.mtime = len(data), int(time.time())
        tar.addfile(info, io.BytesIO(data))
    api.put_archive(PROXY_NAME, str(Path(path).parent), buf.getvalue())


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except OSError:
        return 0, ""


def main(path: str) -> int:
    spec = json.loads(Path(path).read_text())
    image, port = spec["image"], spec["container_port"]
    tag = image.rsplit(":", 1)[1]
    ips = {s["name"]: s["ip"] for s in spec["ships"]}
    apis = floor.clients(spec)
    pull = floor.puller(apis, image)
    listed: dict[str, dict[str, dict]] = {}
    new: dict[str, tuple[str, int]] = {}  # instance -> (its new colour's container, host port)
    times = {}

    def read(ship: dict) -> None:
        found = apis[ship["name"]].containers(all=True, filters={"name": "^/web-"})
        listed[ship["name"]] = {c["Names"][0].lstrip("/"): c for c in found}

    def slot(inst: dict) -> tuple[str, str, int]:
        """(live container, new container, new host port): the new colour is the one that is not running."""
        found = listed[inst["ship"]]
        green_live = (found.get(inst["name"] + GREEN) or {}).get("State") == "running"
        if green_live:
            return inst["name"] + GREEN, inst["name"], inst["port"]
        return inst["name"], inst["name"] + GREEN, inst["port"] + PORT_OFFSET

    def clear(inst: dict) -> None:
        _live, name, host_port = slot(inst)
        new[inst["name"]] = (name, host_port)
        if name in listed[inst["ship"]]:
            apis[inst["ship"]].remove_container(name, v=True, force=True)

    def start(inst: dict) -> None:
        api = apis[inst["ship"]]
        name, host_port = new[inst["name"]]
        hc = api.create_host_config(port_bindings={port: host_port})
        cid = api.create_container(image, name=name, hostname=inst["name"], ports=[port], host_config=hc, detach=True, labels=floor.LABELS)["Id"]
        api.start(cid)

    def health(inst: dict) -> None:
        url = f"http://{ips[inst['ship']]}:{new[inst['name']][1]}/health"
        deadline = time.monotonic() + HEALTH_WAIT
        while _get(url)[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer 200 in {HEALTH_WAIT} s")
            time.sleep(0.05)

    def switch(_proxy: str) -> None:
        api = apis[spec["proxy_ship"]]
        servers = [(new[i["name"]][0], ips[i["ship"]], new[i["name"]][1]) for i in spec["instances"]]
        _write(api, CANDIDATE_PATH, config(servers, spec["proxy_port"]))
        exec_id = api.exec_create(PROXY_NAME, ["haproxy", "-c", "-f", CANDIDATE_PATH])["Id"]
        output = api.exec_start(exec_id)
        if api.exec_inspect(exec_id)["ExitCode"] != 0:
            raise RuntimeError(f"haproxy -c: {output!r}")
        _write(api, CONFIG_PATH, config(servers, spec["proxy_port"]))
        api.kill(PROXY_NAME, signal="SIGUSR2")
        url = f"http://{ips[spec['proxy_ship']]}:{spec['proxy_port']}/"
        deadline = time.monotonic() + HEALTH_WAIT
        while _get(url)[1] != f"{tag}\n":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the proxy {url} did not answer {tag} in {HEALTH_WAIT} s")
            time.sleep(0.02)

    def stop(inst: dict) -> None:
        live, _name, _port = slot(inst)
        apis[inst["ship"]].stop(live, timeout=10)

    for step, fn, items in (
        ("pull", pull, spec["ships"]),
        ("read", read, spec["ships"]),
        ("clear", clear, spec["instances"]),
        ("start", start, spec["instances"]),
        ("check", health, spec["instances"]),
        ("switch", switch, [spec["proxy_ship"]]),
        ("stop", stop, spec["instances"]),
    ):
        t0 = time.monotonic()
        floor.parallel(fn, items)
        times[step] = round(time.monotonic() - t0, 3)
    print(json.dumps(times))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
