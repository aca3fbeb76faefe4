# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark (not a test): load + model a ships file with 1,000 instances.

200 services x 5 instances over 50 ships, each service with two ports, env, a lifecycle check
and up to two requires on earlier services. Prints min/median of several runs. Target: < 1 s.

    .venv/bin/python bench/load_config.py [--runs 7] [--jinja]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".collections"))

from ansible_collections.maestro.docker.plugins.plugin_utils import _config  # noqa: E402


def generate(services=200, per_service=5, ships=50, jinja=False) -> str:
    lines = ["__maestro: {schema: 2}", "name: bench", "ship_defaults: {timeout: 30}", "ships:"]
    lines += ["  ship%02d: {ip: 10.1.%d.%d}" % (s, s // 200, s % 200 + 1) for s in range(ships)]
    lines.append("services:")
    n = 0
    for i in range(services):
        lines += ["  svc%03d:" % i, "    image: registry.local/bench/svc%03d:1.%d" % (i, i % 7)]
        deps = [d for d in (i - 1, i // 2) if 0 <= d < i]
        if deps:
            lines.append("    requires: [%s]" % ", ".join("svc%03d" % d for d in sorted(set(deps))))
        lines += [
            "    env: {LOG_LEVEL: info, OPTS: [-Xmx256m, [-server]], SERVICE_SECRET: s%d}" % i,
            "    ports: {http: '%d:%d', admin: %d}" % (8000 + i, 20000 + i, 30000 + i),
            "    lifecycle: {running: [{type: tcp, port: http}]}",
            "    instances:",
        ]
        for k in range(per_service):
            name = ("svc%03d-{{ env.SUFFIX }}%d" if jinja else "svc%03d-%d") % (i, k)
            lines.append("      %s: {ship: ship%02d, env: {INDEX: %d}, restart: on-failure:3}" % (name, n % ships, k))
            n += 1
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--jinja", action="store_true", help="make the file a template (renders through Jinja2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "maestro.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(generate(jinja=args.jinja))
        times = []
        for _run in range(args.runs):
            start = time.perf_counter()
            config = _config.load(path, environ={"SUFFIX": "i"})
            times.append(time.perf_counter() - start)
        assert len(config.instances) == 1000, len(config.instances)
        size = os.path.getsize(path)
    print(
        "load+model of 1000 instances (200 services x 5, 50 ships, %d KiB%s): min %.3f s, median %.3f s over %d runs"
        % (size // 1024, ", Jinja2" if args.jinja else "", min(times), statistics.median(times), args.runs)
    )


if __name__ == "__main__":
    main()
