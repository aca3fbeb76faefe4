"""Benchmark driver (issue 6): time whole commands of each tool on the same fleet and service.

For each size (S ships x N instances per ship), the driver sets the start state itself (service
``web`` on demo/web:v1, untimed), then runs the tools interleaved, ``--runs`` rounds, each round
in a rotated order. Every measured run moves all instances to the other tag (v1 -> v2, the next
v2 -> v1...), always with the target image first removed from the ships (untimed), so the pull is
real. After each run the driver checks, untimed, that every instance runs the target image and
answers it over HTTP; a run that fails or does not converge is reported as failed, not timed.

Usage (from the checkout, with the project venv, after ``make fleet``; ``make bench`` does it all):
    .venv/bin/python bench/run.py [--sizes 3x1,3x10,3x30,6x10] [--runs 5] [--tools floor,maestro-ng,...]
Results go to bench/results/results.{json,md,png}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "fleet")]

from bench import scenario as sc  # noqa: E402
from bench.tools import Step, collection, community_docker, floor, floor_bluegreen, maestro_ng, venv_python  # noqa: E402

TOOLS = {t.NAME: t for t in (floor, floor_bluegreen, maestro_ng, community_docker, collection.SEQUENCE, collection.STOP_START, collection.BLUE_GREEN)}
DEFAULT_SIZES = "3x1,3x10,3x30,6x10,12x2,24x1,48x1"
STEP_TIMEOUT = 900


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def parse_sizes(text: str, ships: int) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        s, _sep, n = item.strip().rpartition("x")
        sizes.append((int(s) if s else ships, int(n)))
    return sizes


def other(tag: str) -> str:
    return sc.TAGS[1 - sc.TAGS.index(tag)]


# ---- the machine and the software --------------------------------------------------------------
def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def versions(any_ship: sc.Ship) -> dict:
    import docker  # noqa: PLC0415

    out = {"docker SDK (floor, driver)": docker.__version__}
    try:
        out["dockerd (ships)"] = docker.APIClient(base_url=any_ship.docker_host, version="auto").version()["Version"]
    except Exception as exc:
        out["dockerd (ships)"] = f"? ({exc})"
    for venv, pkgs in (("maestro", ("maestro-ng", "docker-py", "requests", "urllib3")), ("community", ("ansible", "ansible-core"))):
        py = venv_python(venv)
        if not py.exists():
            continue
        code = "import importlib.metadata as m, sys; print(' '.join(m.version(p) for p in sys.argv[1:]))"
        got = subprocess.run([str(py), "-c", code, *pkgs], capture_output=True, text=True, check=False).stdout.split()
        out.update(dict(zip(pkgs, got, strict=False)))
    manifest = venv_python("community").parents[1].glob("lib/python*/site-packages/ansible_collections/community/docker/MANIFEST.json")
    for path in manifest:
        out["community.docker"] = json.loads(path.read_text())["collection_info"]["version"]
    return out


# ---- timing one tool run ------------------------------------------------------------------------
def clean_env(step: Step) -> dict[str, str]:
    """The caller's environment without ANSIBLE_* (make exports the checkout's config), plus the step's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return {**env, **step.env}


def time_steps(steps: list[Step], logfile: Path) -> dict:
    """Run the steps one after the other; wall time and CPU time (user+sys of the process tree) of each."""
    out: dict = {"steps": {}, "cpu": 0.0, "ok": True, "error": None}
    total = 0.0
    with logfile.open("w") as fh:
        for step in steps:
            fh.write(f"$ {' '.join(step.argv)}\n")
            fh.flush()
            t0 = time.perf_counter()
            proc = subprocess.Popen(step.argv, stdout=fh, stderr=subprocess.STDOUT, env=clean_env(step), cwd=REPO)
            timer = threading.Timer(STEP_TIMEOUT, proc.kill)
            timer.start()
            _pid, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - t0
            timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
            total += elapsed
            out["steps"][step.name] = round(elapsed, 3)
            out["cpu"] += usage.ru_utime + usage.ru_stime
            if proc.returncode != 0:
                out["ok"], out["error"] = False, f"{step.name} exited {proc.returncode} (log {logfile})"
                break
    out["seconds"] = round(total, 3)
    out["cpu"] = round(out["cpu"], 3)
    return out


def start_up(scen: sc.Scenario, workdir: Path, args: argparse.Namespace, runs: int = 3) -> dict:
    """Seconds of an ansible-playbook command with no task on the scenario's ships file, measured as the rows are."""
    workdir.mkdir(parents=True, exist_ok=True)
    step = collection.start_up(scen, workdir)
    seconds = []
    for run in range(1, runs + 1):
        quiet(args.quiet, args.quiet_max)
        timing = time_steps([step], workdir / f"output{run}.log")
        if not timing["ok"]:
            return {"error": timing["error"]}
        seconds.append(timing["seconds"])
    log(f"{scen.label} ansible-playbook start-up (no task): {', '.join(f'{s:.2f}' for s in seconds)} s")
    return {"runs": seconds, "median": statistics.median(seconds)}


def floor_steps(logfile: Path) -> dict | None:
    """The floor prints its own per-step times as the last line."""
    try:
        return json.loads(logfile.read_text().strip().splitlines()[-1])
    except (ValueError, IndexError, OSError):
        return None


def cpu_idle(interval: float = 1.0) -> float:
    """The fraction of the machine's CPU time that was idle over the next `interval` seconds (/proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(interval)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(total1 - total0, 1)


def quiet(threshold: float, limit: float) -> tuple[float, float]:
    """Wait (untimed) until the CPU is at least `threshold` idle for 2 s in a row, at most `limit` s.

    A reset removes and creates up to 90 containers: the daemons, shims and docker-proxy processes go
    on exiting and unmounting for several seconds after the API calls return, and a tool timed during
    that pays for its predecessor. Returns (the last second's idle fraction, the seconds waited).
    """
    start, calm = time.monotonic(), 0
    idle = cpu_idle()
    while time.monotonic() - start < limit:
        calm = calm + 1 if idle >= threshold else 0
        if calm >= 2:
            break
        idle = cpu_idle()
    return round(idle, 3), round(time.monotonic() - start, 1)


# ---- the run -------------------------------------------------------------------------------------
def bench(args: argparse.Namespace) -> dict:
    import fleet as fleet_mod  # noqa: PLC0415 - tests/fleet/fleet.py

    fleet = fleet_mod.Fleet.from_env()
    state = fleet.read_state()
    if not state:
        raise SystemExit(f"bench: no fleet {fleet.prefix} is running (make fleet, or make bench which starts one)")
    all_ships = [sc.Ship(s["name"], s["ip"], s["docker_host"]) for s in state["ships"]]
    registry = state["registry"]
    tools = [TOOLS[name] for name in args.tools.split(",")]
    workroot = BENCH / ".work"
    shutil.rmtree(workroot, ignore_errors=True)

    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(all_ships[0]),
        "fleet": {"prefix": state["prefix"], "ships": len(all_ships), "registry": registry},
        "method": {
            "runs": args.runs,
            "sequence": "pull, stop, clean, start (blue/green rows: pull, start the other colour, check, switch the proxy, stop the old colour): "
            "v1 -> v2, next run v2 -> v1; target image removed from the ships before each run (untimed)",
            "timed": "whole commands, wall clock, summed over the tool's commands; CPU = user+sys of the command processes",
        },
        "load_before": os.getloadavg(),
        "runs": [],
        "unavailable": {},
        "skipped_sizes": [],
        "start_up": {},
    }
    for tool in tools:
        if why := tool.unavailable():
            results["unavailable"][tool.NAME] = why
            log(f"{tool.NAME}: {why}")
    runnable = [t for t in tools if t.NAME not in results["unavailable"]]

    current = "v1"
    for ships, per_ship in parse_sizes(args.sizes, args.ships):
        if ships > len(all_ships):
            why = f"{ships}x{per_ship}: the fleet has only {len(all_ships)} ships (make bench SHIPS={ships})"
            results["skipped_sizes"].append(why)
            log(f"skipped {why}")
            continue
        scen = sc.Scenario(all_ships[:ships], per_ship, registry)
        log(f"size {scen.label}: {len(scen.instances)} containers; start state on {current}")
        sc.reset(all_ships, scen, current)
        if any(t.NAME.startswith(collection.NAME) for t in runnable):
            results["start_up"][scen.label] = start_up(scen, workroot / scen.label / "start-up", args)
        for rnd in range(args.runs):
            order = runnable[rnd % len(runnable) :] + runnable[: rnd % len(runnable)] if runnable else []
            for tool in order:
                workdir = workroot / scen.label / tool.NAME / f"run{rnd + 1}"
                workdir.mkdir(parents=True, exist_ok=True)
                if prepare := getattr(tool, "prepare", None):
                    prepare(all_ships, scen, current, workdir)  # a tool with its own start state (blue/green)
                elif problems := sc.check(scen, current, http_wait=5):
                    log(f"start state not as expected ({problems[0]}...): resetting")
                    sc.reset(all_ships, scen, current)
                target = other(current)
                sc.drop_image(scen, target)
                time.sleep(args.settle)  # let the daemons finish what the reset or the last run left (untimed)
                idle, waited = quiet(args.quiet, args.quiet_max)
                steps = tool.commands(scen, target, workdir)
                load = os.getloadavg()[0]
                timing = time_steps(steps, workdir / "output.log")
                check = getattr(tool, "check", None) or sc.check
                problems = check(scen, target) if timing["ok"] else []
                if tool in (floor, floor_bluegreen) and timing["ok"]:
                    timing["inner_steps"] = floor_steps(workdir / "output.log")
                ok = timing["ok"] and not problems
                record = {"tool": tool.NAME, "size": scen.label, "ships": ships, "per_ship": per_ship, "run": rnd + 1}
                record |= {"from": current, "to": target, "load1": round(load, 2), "idle_before": idle, "quiet_wait": waited}
                record |= {**timing, "converged": ok, "problems": problems[:5]}
                results["runs"].append(record)
                log(
                    f"{scen.label} run {rnd + 1} {tool.NAME:<17} {current}->{target} "
                    + (f"{timing['seconds']:7.2f}s cpu {timing['cpu']:6.2f}s load {load:.2f}" if ok else f"FAILED: {timing['error'] or problems[:2]}")
                )
                (args.out / "results.json.tmp").write_text(json.dumps(results, indent=2) + "\n")  # survives a crash
                if ok:
                    current = target
                else:
                    sc.reset(all_ships, scen, current)
    results["load_after"] = os.getloadavg()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


# ---- reporting -------------------------------------------------------------------------------------
def summary(results: dict) -> list[dict]:
    rows = []
    sizes = list(dict.fromkeys(r["size"] for r in results["runs"]))
    tool_names = list(dict.fromkeys([r["tool"] for r in results["runs"]] + list(results["unavailable"])))
    for size in sizes:
        runs = [r for r in results["runs"] if r["size"] == size]
        floor_ok = [r["seconds"] for r in runs if r["tool"] == "floor" and r["converged"]]
        fmin, fmed = (min(floor_ok), statistics.median(floor_ok)) if floor_ok else (None, None)
        for name in tool_names:
            mine = [r for r in runs if r["tool"] == name]
            row = {"size": size, "containers": runs[0]["ships"] * runs[0]["per_ship"], "tool": name}
            if name in results["unavailable"]:
                row["status"] = results["unavailable"][name]
                rows.append(row)
                continue
            good = [r for r in mine if r["converged"]]
            row["status"] = f"{len(good)}/{len(mine)} ok"
            if good:
                secs = [r["seconds"] for r in good]
                row |= {"min": min(secs), "median": statistics.median(secs), "cpu": statistics.median(r["cpu"] for r in good)}
                if fmin:
                    row |= {"ratio_min": row["min"] / fmin, "ratio_median": row["median"] / fmed}
                key = "inner_steps" if good[0].get("inner_steps") else "steps"  # the floor reports its own four steps
                if len(good[0][key]) > 1:
                    row["steps"] = {s: statistics.median(r[key][s] for r in good) for s in good[0][key]}
            rows.append(row)
    return rows


def markdown(results: dict, rows: list[dict]) -> str:
    m, v = results["machine"], results["versions"]
    out = [
        "# Benchmark results (issue 6)",
        "",
        f"Run {results['started']} to {results['finished']} UTC on {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"kernel {m['kernel']}, Python {m['python']}.",
        f"Load average (1/5/15 min) before: {' / '.join(f'{x:.2f}' for x in results['load_before'])}; "
        f"after: {' / '.join(f'{x:.2f}' for x in results['load_after'])}.",
        f"Fleet: {results['fleet']['ships']} ships (one dockerd {v.get('dockerd (ships)', '?')} each), registry {results['fleet']['registry']}.",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        f"Sequence: {results['method']['sequence']}. Timed: {results['method']['timed']}. "
        f"{results['method']['runs']} runs per tool and size, interleaved; ratios are to the floor's min / median.",
        "",
        "| size (ships x inst.) | containers | tool | runs | min s | median s | x floor (min) | x floor (median) | CPU s (median) | median per step s |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "min" not in r:
            out.append(f"| {r['size']} | {r['containers']} | {r['tool']} | {r['status'].split(':')[0]} | | | | | | |")
            continue
        steps = ", ".join(f"{k} {val:.2f}" for k, val in r.get("steps", {}).items())
        ratios = f"{r['ratio_min']:.1f} | {r['ratio_median']:.1f}" if "ratio_min" in r else "| "
        out.append(
            f"| {r['size']} | {r['containers']} | {r['tool']} | {r['status']} | {r['min']:.2f} | {r['median']:.2f} | {ratios} | {r['cpu']:.2f} | {steps} |"
        )
    start_ups = {size: found["median"] for size, found in results.get("start_up", {}).items() if "median" in found}
    if start_ups:
        out += [
            "",
            "ansible-playbook start-up, in every maestro.docker row: the median of 3 commands with no task on the same ships "
            "file, venv and ansible.cfg (bench/playbooks/start-up.yml): " + ", ".join(f"{size} {secs:.2f} s" for size, secs in start_ups.items()) + ".",
        ]
    if results["unavailable"]:
        out += ["", *(f"- {name}: {why}." for name, why in results["unavailable"].items())]
    if results["skipped_sizes"]:
        out += ["", "Skipped sizes: " + "; ".join(results["skipped_sizes"]) + "."]
    failed = [r for r in results["runs"] if not r["converged"]]
    if failed:
        out += ["", "Failed runs (not timed):"]
        out += [f"- {r['size']} {r['tool']} run {r['run']}: {r['error'] or '; '.join(r['problems'][:2])}" for r in failed]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated SHIPSxINSTANCES, or INSTANCES on --ships ships (default {DEFAULT_SIZES})")
    parser.add_argument("--ships", type=int, default=3, help="ships for a size given as a bare instance count (default 3)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per tool and size (default 5)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait, untimed, before each measured run (default 5)")
    parser.add_argument("--quiet", type=float, default=0.8, help="then wait until the CPU is this idle for 2 s (default 0.8)")
    parser.add_argument("--quiet-max", type=float, default=60.0, help="but at most this many seconds (default 60)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, from: {', '.join(TOOLS)}")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="where results.{json,md,png} go")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (it needs matplotlib from the community venv)")
    parser.add_argument("--report-only", type=Path, metavar="JSON", help="measure nothing: rewrite the table and plot from this results JSON")
    args = parser.parse_args(argv)
    unknown = set(args.tools.split(",")) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")

    args.out.mkdir(parents=True, exist_ok=True)
    results = json.loads(args.report_only.read_text()) if args.report_only else bench(args)
    rows = summary(results)
    results["summary"] = rows
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(results, rows))
    (args.out / "results.json.tmp").unlink(missing_ok=True)
    print((args.out / "results.md").read_text())
    if not args.no_plot:
        py = venv_python("community")
        proc = subprocess.run([str(py), str(BENCH / "plot.py"), str(args.out / "results.json"), str(args.out / "results.png")], check=False)
        if proc.returncode:
            log("the plot failed (see above); the table and JSON are written")
    return 0 if all(r["converged"] for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
