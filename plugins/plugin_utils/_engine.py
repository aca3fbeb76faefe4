# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The controller-side engine: each step of a plan on every ship at once, from one task.

A step is what the orchestrate role used to run as one task per ship. Here one worker process runs it
for every ship of the play, with a thread per ship, and waits for all of them (the barrier) before the
next step starts; a step that fails on any ship ends the run after that step. Each ship's part is the
same module code as a per-host task (``_module.execute``), so results, messages, check mode and diff
are the modules'. What the engine saves is Ansible's per-(task, host) machinery, about 60 ms each:
a worker fork, variables, templating and a result sent back.

Pure logic over plain data, with the Docker part passed in (``execute``), so that the order, the
barrier, the delays and the failure rules are unit-tested without a daemon.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import natural

# What each action of a plan runs on a ship: the module, and its options from the command's options.
STEP_MODULES = {
    "pull": "image_pull",
    "start": "instance",
    "stop": "instance",
    "kill": "instance",
    "clean": "instance_clean",
    "status": "instance_info",
    "logs": "instance_logs",
}


def step_options(action: str, specs: list, options: dict) -> dict:
    """The module options of one ship's part of a step (``specs``: that ship's instances in the step).

    ``options``: reuse, refresh_images, restart (the command is a restart), recreate (instead of what reuse
    and restart make of it), stop_timeout, concurrency, registries, probe_ports (status), lines (logs), as
    the orchestrate role's variables give them.
    """
    concurrency = options.get("concurrency") or None
    if action == "status":
        return {"instances": specs, "probe_ports": bool(options.get("probe_ports")), "concurrency": concurrency}
    if action == "logs":
        return {"instances": specs, "lines": int(options.get("lines") or 100)}
    if action == "pull":
        images = list(dict.fromkeys(spec["image"] for spec in specs))
        return {"images": images, "pull": "always", "concurrency": concurrency, "registries": options.get("registries") or {}}
    if action == "clean":
        return {"instances": specs, "concurrency": concurrency}
    stop_timeout = options.get("stop_timeout")
    stop_timeout = None if stop_timeout in (None, "") else int(stop_timeout)
    if action in ("stop", "kill"):
        return {"instances": specs, "state": "stopped", "kill": action == "kill", "stop_timeout": stop_timeout, "concurrency": concurrency}
    if action == "start":
        # start: a stopped container is replaced unless reuse; restart: every container is, unless reuse
        recreate = options.get("recreate") or ("never" if options.get("reuse") else ("always" if options.get("restart") else "stopped"))
        return {
            "instances": specs,
            "state": "started",
            "recreate": recreate,
            "pull": "always" if options.get("refresh_images") else "missing",
            "stop_timeout": stop_timeout,
            "concurrency": concurrency,
            "registries": options.get("registries") or {},
        }
    raise ValueError(f"a plan step cannot be {action!r}")


def delay_of(step: dict, options: dict, check_mode: bool) -> int:
    """Seconds to wait before a step: a restart's stop_start_delay, a rolling restart's step_delay (none in check mode)."""
    if check_mode or not step.get("delay"):
        return 0
    return int(options.get({"step": "step_delay", "stop_start": "stop_start_delay"}[step["delay"]]) or 0)


def run_steps(steps: list, play_ships: list, execute, *, options: dict, check_mode: bool, report=None, ship_done=None, sleep=time.sleep) -> dict:
    """Run ``steps`` (the plan's) in order, each on its ships at once; stop after the first step that fails.

    ``execute(action, ship, names)`` runs one ship's part and returns the module's result. Ships outside
    ``play_ships`` (``--limit``, or failed earlier in the play) are left out. ``report(index, step, results,
    seconds)`` is told of each finished step, ``ship_done(action, ship, result, seconds)`` of each ship's part as it
    finishes (the progress lines). The result: ``changed``, ``failed``,
    ``steps`` (per step: action, and per ship its result), ``changed_ships``, ``failed_ships`` and ``msg``.
    """
    in_play = set(play_ships)
    done, failed_ships, changed_ships = [], [], set()
    for index, step in enumerate(steps):
        ships = {ship: names for ship, names in step["ships"].items() if ship in in_play and names}
        wait = delay_of(step, options, check_mode)
        if wait and ships:
            sleep(wait)
        started = time.monotonic()
        results = on_every_ship(step["action"], ships, execute, ship_done)
        changed_ships.update(ship for ship, result in results.items() if result.get("changed"))
        done.append({"action": step["action"], "ships": results})
        if report is not None:
            report(index, step, results, time.monotonic() - started)
        failed_ships = [ship for ship, result in results.items() if result.get("failed")]
        if failed_ships:
            break
    last = done[-1]["ships"] if done else {}
    failures = {ship: summarize_failures({ship: last[ship]}) if last[ship].get("msg") else f"{done[-1]['action']} failed" for ship in failed_ships}
    outcome = {"changed": bool(changed_ships), "steps": done, "failed_ships": failed_ships, "failures": failures}
    outcome["changed_ships"] = sorted(changed_ships, key=natural)
    if failed_ships:
        name = steps[len(done) - 1].get("label") or done[-1]["action"]
        where = f"{name[:1].upper()}{name[1:]}, step {len(done)}, failed on {', '.join(failed_ships)}"
        outcome.update(failed=True, msg=f"{where}: " + summarize_failures(last))
    return outcome


# What differs between two failures of one cause: the instance, the ship, and the addresses built from them.
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://\S+|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|:\d{2,5}\b")


def summarize_failures(results: dict) -> str:
    """One message for a step's failures (``results``: ship -> its outcome), each cause said once, in full, for its first
    instance, then the instances and ships that failed the same way: 30 instances failing one health check make one
    line that names them all, not 30 sentences of 150 characters."""
    groups: dict[str, list] = {}
    for ship, outcome in results.items():
        if not outcome.get("failed"):
            continue
        failed = [i for i in outcome.get("instances") or [] if isinstance(i, dict) and i.get("failed") and i.get("msg")]
        items = [(str(i["msg"]), str(i.get("name") or ""), ship, i.get("log_tail")) for i in failed]
        for msg, name, where, tail in items or [(str(outcome.get("msg") or "failed"), "", ship, None)]:
            shape = _ADDRESS.sub("<address>", msg)
            for word in (name, where):
                if word:
                    shape = re.sub(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", "<name>", shape)
            groups.setdefault(shape, []).append((msg, name, where, tail))
    parts = []
    for members in groups.values():
        first, rest = members[0][0], members[1:]
        if rest:
            others = ", ".join(f"{name} on {ship}" if name else f"ship {ship}" for _msg, name, ship, _tail in rest)
            first += f" (and the same for {others})"
        # the log of one container of the group: the first that printed anything
        logged = next(((name, ship, tail) for _msg, name, ship, tail in members if tail), None)
        if logged:
            first += f" [the last lines of {logged[0]}'s log on {logged[1]}: {' | '.join(map(str, logged[2]))}]"
        parts.append(first)
    return "; ".join(parts)


def on_every_ship(action: str, ships: dict, execute, done=None) -> dict:
    """One step: every ship's part at once, each in its own thread; returns when all have finished (the barrier).

    ``done(action, ship, result, seconds)`` is called as each ship's part finishes, from its thread (a progress line)."""
    if not ships:
        return {}
    if len(ships) == 1:
        [(ship, names)] = ships.items()
        return {ship: _guarded(execute, action, ship, names, done)}
    with ThreadPoolExecutor(max_workers=len(ships), thread_name_prefix="maestro-ship") as pool:
        futures = {ship: pool.submit(_guarded, execute, action, ship, names, done) for ship, names in ships.items()}
        return {ship: future.result() for ship, future in sorted(futures.items(), key=lambda item: natural(item[0]))}


def on_every_ship_in_turn(steps: list) -> tuple[list, list]:
    """Steps with no barrier between them: each ship goes on to its next step as soon as its own part of the one before
    has finished, without waiting for the other ships; a ship whose part failed goes no further. For steps that act only
    on what the same ship's earlier step left (keep a ship's releases once its old colour has stopped).

    ``steps``: (action, ships, execute, done) of each step, as :func:`on_every_ship` takes them. Returns each step's
    results (ship -> result, in ship order) and its seconds (the longest part of any ship)."""
    order = sorted({ship for _action, ships, _execute, _done in steps for ship in ships}, key=natural)
    results: list = [{} for _step in steps]
    seconds = [0.0] * len(steps)
    lock = threading.Lock()

    def in_turn(_action, ship, _names):
        for index, (action, ships, execute, done) in enumerate(steps):
            if ship not in ships:
                continue
            started = time.monotonic()
            try:
                result = _guarded(execute, action, ship, ships[ship], done)
            except Exception as exc:  # noqa: BLE001 - the progress line failed: the ship goes no further, and says why
                result = {"failed": True, "changed": False, "msg": f"Error running {action} on ship {ship}: {type(exc).__name__}: {exc}"}
            results[index][ship] = result
            with lock:
                seconds[index] = max(seconds[index], time.monotonic() - started)
            if result.get("failed"):
                break
        return {}

    on_every_ship("in turn", dict.fromkeys(order), in_turn)
    return [{ship: done_[ship] for ship in order if ship in done_} for done_ in results], seconds


def _guarded(execute, action: str, ship: str, names: list, done=None) -> dict:
    """A ship's part; an unexpected exception fails that ship, naming it, instead of the whole run."""
    started = time.monotonic()
    try:
        result = execute(action, ship, names)
    except Exception as exc:  # noqa: BLE001 - reported as this ship's failure, with the cause
        result = {"failed": True, "changed": False, "msg": f"Error running {action} on ship {ship}: {type(exc).__name__}: {exc}"}
    if done is not None:
        done(action, ship, result, time.monotonic() - started)
    return result


# ---- progress lines ----------------------------------------------------------------------------------------------
# What a step did, in the past tense, for the lines below: a plan's step by its action, another by its module (done_verb).
DONE = {"pull": "pulled", "start": "started", "stop": "stopped", "kill": "killed", "clean": "removed", "status": "read", "logs": "read"}


def done_verb(module: str, options: dict) -> str:
    """What a step of ``module`` with ``options`` did on a ship (maestro.docker.on_ships)."""
    if module == "instance":
        return {"started": "started", "stopped": "stopped", "absent": "removed"}.get(str(options.get("state")), "changed")
    if module == "proxy":
        return "checked" if options.get("validate_only") else "reconfigured"
    return {"image_pull": "pulled", "instance_rename": "renamed", "instance_clean": "cleaned"}.get(module, "changed")


def ship_line(label: str, verb: str, ship: str, result: dict, seconds: float, *, check_mode: bool = False) -> str | None:
    """A ship's line as its part of a step finishes, e.g. ``start: ship1 started 10/10 in 5.1 s``, in check mode
    ``start: ship1 would be started 10/10 in 0.1 s``; None when it did nothing (the step's line says so for all such
    ships at once)."""
    items = [i for i in result.get("instances") or result.get("images") or [] if isinstance(i, dict)]
    if result.get("failed"):
        failed = sum(1 for i in items if i.get("failed"))
        count = f" ({failed} of {len(items)})" if failed else ""
        return f"  {label}: {ship} FAILED{count} after {seconds:.1f} s"
    if not result.get("changed"):
        return None
    count = f" {sum(1 for i in items if i.get('changed'))}/{len(items)}" if items else ""
    return f"  {label}: {ship} {'would be ' if check_mode else ''}{verb}{count} in {seconds:.1f} s"


def step_line(label: str, results: dict, seconds: float, skipped=(), check_mode: bool = False) -> str:
    """A step's line once every ship's part has finished: which ships it changed (in check mode: would change), found
    as wanted, failed or skipped."""
    changed = "would change" if check_mode else "done"
    groups: dict[str, list] = {}
    for ship, result in results.items():
        state = "skipped (unreachable)" if ship in skipped else "FAILED" if result.get("failed") else changed if result.get("changed") else "nothing to do"
        groups.setdefault(state, []).append(ship)
    said = "; ".join(f"{state} on {', '.join(sorted(ships, key=natural))}" for state, ships in groups.items())
    return f"  {label} ({seconds:.1f} s): {said or 'no ship of this play'}"
