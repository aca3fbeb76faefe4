"""The floor: one Python process, the docker SDK, a thread per container, only the API calls needed.

The same four steps as the seed, each finished on every ship before the next begins:
pull (once per ship), stop (per container), clean (remove, per container), start (create + start,
per container). Run as ``python bench/tools/floor.py SCENARIO.json``; the driver times the process.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

NAME = "floor"
LABEL = "floor (docker SDK, thread per container)"
# the start state's label (bench/scenario.py MANAGED_LABEL; this file also runs as a plain script), so the next tool needs no reset
LABELS = {"maestro.managed": "true"}


def unavailable() -> str | None:
    return None


def commands(scenario, target: str, workdir: Path) -> list:
    from bench.tools import Step  # noqa: PLC0415 - plain-script use below must not need the package

    spec = workdir / "scenario.json"
    scenario.write(spec, target)
    return [Step("sequence", [sys.executable, __file__, str(spec)])]


def parallel(fn, items) -> None:
    errors: list[BaseException] = []

    def run(item) -> None:
        try:
            fn(item)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def clients(spec: dict) -> dict:
    """A Docker API client per ship of the scenario, with a connection per instance it holds."""
    import docker  # noqa: PLC0415

    per_ship: dict[str, int] = {}
    for inst in spec["instances"]:
        per_ship[inst["ship"]] = per_ship.get(inst["ship"], 0) + 1
    return {
        s["name"]: docker.APIClient(base_url=s["docker_host"], version="auto", timeout=120, max_pool_size=per_ship.get(s["name"], 1)) for s in spec["ships"]
    }


def puller(apis: dict, image: str):
    """pull(ship): the image pulled on that ship, once."""
    repo, tag = image.rsplit(":", 1)

    def pull(ship: dict) -> None:
        for line in apis[ship["name"]].pull(repo, tag=tag, stream=True, decode=True):
            if "error" in line:
                raise RuntimeError(f"{ship['name']}: {line['error']}")

    return pull


def main(path: str) -> int:
    spec = json.loads(Path(path).read_text())
    image, port = spec["image"], spec["container_port"]
    apis = clients(spec)
    pull = puller(apis, image)
    times = {}

    def stop(inst: dict) -> None:
        apis[inst["ship"]].stop(inst["name"], timeout=10)

    def clean(inst: dict) -> None:
        apis[inst["ship"]].remove_container(inst["name"], v=True)

    def start(inst: dict) -> None:
        api = apis[inst["ship"]]
        hc = api.create_host_config(port_bindings={port: inst["port"]})
        cid = api.create_container(image, name=inst["name"], hostname=inst["name"], ports=[port], host_config=hc, detach=True, labels=LABELS)["Id"]
        api.start(cid)

    for step, fn, items in (
        ("pull", pull, spec["ships"]),
        ("stop", stop, spec["instances"]),
        ("clean", clean, spec["instances"]),
        ("start", start, spec["instances"]),
    ):
        t0 = time.monotonic()
        parallel(fn, items)
        times[step] = round(time.monotonic() - t0, 3)
    print(json.dumps(times))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
