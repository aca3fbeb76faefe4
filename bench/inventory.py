# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark (not a test): what the ships inventory costs for large estates (issue 13, point 2).

Runs ``ansible-inventory -i <ships file> --list`` on generated estates and reports the wall time, the
size of what it prints and its peak memory (max RSS), the best of several runs:

* ``1000-deep``: 100 services x 10 instances over 100 ships, dependencies 8 levels deep, two
  ``requires`` per service on the level before (targets: < 3 s, < 5 MB);
* ``1000-chain``: the same, but every service requires the one before it (a chain 100 long);
* ``10000-deep``: 1,000 services x 10 over 1,000 ships, 8 levels (target: < 10 s);

so that size and memory can be seen to grow with the estate, not with the square of a chain.

    .venv/bin/python bench/inventory.py [--runs 3] [--estates 1000-deep,1000-chain,10000-deep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ESTATES = {"1000-deep": (100, 10, 100, False), "1000-chain": (100, 10, 100, True), "10000-deep": (1000, 10, 1000, False)}


def generate(services: int, per_service: int, ships: int, chain: bool, depth: int = 8) -> str:
    """A ships file: each service two ports, env with a secret, a tcp check, and its requires."""
    lines = ["name: bench", "ships:"]
    lines += [f"  ship{s:04d}: {{ip: 10.{s // 60000}.{s // 250 % 240}.{s % 250 + 1}}}" for s in range(ships)]
    lines.append("services:")
    width = max(1, services // depth)
    n = 0
    for i in range(services):
        lines += [f"  svc{i:04d}:", f"    image: registry.local/bench/svc{i:04d}:1.{i % 7}"]
        if chain:
            deps = [i - 1] if i else []
        else:
            level = i // width
            deps = sorted({(level - 1) * width + i % width, (level - 1) * width + (i + 3) % width}) if level else []
        if deps:
            lines.append("    requires: [%s]" % ", ".join(f"svc{d:04d}" for d in deps))
        lines += [
            f"    env: {{LOG_LEVEL: info, SERVICE_SECRET: s{i}}}",
            f"    ports: {{http: '{8000 + i % 1000}:{20000 + i % 10000}', admin: {30000 + i % 10000}}}",
            "    lifecycle: {running: [{type: tcp, port: http}]}",
            "    instances:",
        ]
        for k in range(per_service):
            lines.append(f"      svc{i:04d}-{k}: {{ship: ship{n % ships:04d}, env: {{INDEX: {k}}}}}")
            n += 1
    return "\n".join(lines) + "\n"


def run_once(path: Path) -> tuple[float, int, int]:
    """(wall seconds, bytes printed, max RSS in bytes) of one ansible-inventory --list."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    command = [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list", "--output", str(path) + ".json"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ansible-inventory failed on {path}: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return wall, os.path.getsize(str(path) + ".json"), usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--estates", default=",".join(ESTATES))
    args = parser.parse_args()
    print(f"{'estate':<12} {'instances':>9} {'file KiB':>8} {'wall s (min)':>12} {'printed MB':>10} {'max RSS MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.estates.split(","):
            services, per_service, ships, chain = ESTATES[name]
            path = Path(tmp) / f"{name}.maestro.yaml"
            path.write_text(generate(services, per_service, ships, chain))
            results = [run_once(path) for _run in range(args.runs)]
            wall = min(r[0] for r in results)
            print(
                f"{name:<12} {services * per_service:>9} {path.stat().st_size // 1024:>8} {wall:>12.2f}"
                f" {results[0][1] / 1e6:>10.2f} {max(r[2] for r in results) / 1e6:>10.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
