# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark (not a test): a deploy that has nothing to do (issue 13: a no-op blue/green deploy at 24 ships <= 2 s).

On the fleet of FLEET_PREFIX/FLEET_SUBNET/FLEET_DIR (as make fleet): sets up SHIPSxN instances of web on v1
(untimed; blue/green behind the proxy, as make bench does), then runs the same deploy command of make bench's
rows (bench/tools/collection.py) --runs times to v1 again, and reports each run's wall time and CPU (user + sys of
the command and its children) and whether it changed anything (PLAY RECAP).

    .venv/bin/python bench/noop.py [--size 24x1] [--strategy blue-green|stop-start] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "fleet")]

import fleet as fleet_mod  # noqa: E402

from bench import scenario as sc  # noqa: E402
from bench.tools import collection as col  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--size", default="24x1", help="SHIPSxINSTANCES (default 24x1)")
    parser.add_argument("--strategy", default="blue-green", choices=["blue-green", "stop-start"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ships, per_ship = (int(x) for x in args.size.split("x"))
    state = fleet_mod.Fleet.from_env().read_state()
    if not state:
        raise SystemExit("bench/noop.py: no fleet is running (make fleet SHIPS=24, with FLEET_* as for make bench)")
    all_ships = [sc.Ship(s["name"], s["ip"], s["docker_host"]) for s in state["ships"]]
    if ships > len(all_ships):
        raise SystemExit(f"bench/noop.py: the fleet has {len(all_ships)} ships, {args.size} needs {ships}")
    scen = sc.Scenario(all_ships[:ships], per_ship, state["registry"])
    work = Path(tempfile.mkdtemp(prefix="maestro-noop-"))
    blue_green = args.strategy == "blue-green"
    if blue_green:
        col.blue_green_prepare(all_ships, scen, "v1", work / "prepare")
    else:
        sc.reset(all_ships, scen, "v1")
    [step] = (col.blue_green if blue_green else col.stop_start)(scen, "v1", work)
    print(f"{args.strategy} deploy of {args.size} that finds everything deployed (v1):")
    # the stop-start set-up leaves containers without a spec hash: a first, untimed-in-spirit run converges them
    labels = ([] if blue_green else ["settle"]) + [f"run {index + 1}" for index in range(args.runs)]
    for label in labels:
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        proc = subprocess.run(step.argv, env={**os.environ, **step.env}, cwd=REPO, capture_output=True, text=True, check=False)
        wall, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
        if proc.returncode:
            print(proc.stdout[-3000:] + proc.stderr[-2000:])
            return 1
        print(f"  {label}: {wall:.2f} s wall, {cpu:.2f} s CPU, changed={changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
