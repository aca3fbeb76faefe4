# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What a maestro command acts on, and in which order: the plan that the orchestrate role runs.

    plan(config, "restart", things=["web"], with_dependencies=True)

Selection follows maestro-ng (reference §3, §3.1), with two deliberate differences:

* ship and container filters also apply when dependencies are gathered (they filter the final set);
* stop, kill and restart take service names without maestro-ng's ``-s``.

No things means every service not marked ``omit`` (for ``status``, every service), with
dependencies implied unless ``ignore_dependencies``. ``with_dependencies`` adds the transitive
dependencies of the things' services for start, pull, clean and status, and their transitive
dependents for stop, kill and restart. ``ignore_dependencies`` drops the ordering: one level.

The result is plain data (JSON-serialisable), so that a playbook can loop over it:

``instances``
    the selected instance names, sorted;
``ships``
    ship -> its selected instance names, sorted;
``steps``
    what to do, in order: ``{action, ships: {ship: [names]}, delay}``. Every ship of a step acts at
    the same time; a step starts when the previous one has finished on every ship. ``action`` is the
    command, except for restart, which is stop steps (dependents first) then start steps
    (dependencies first): maestro-ng restarted each container as a whole in reverse order, so a
    dependent came back while its dependency was still old, then lost it (maestro-ng issue 186).
    With ``concurrency`` a restart is rolling instead: level by level (dependencies first), chunks of
    at most ``concurrency`` instances per ship are stopped then started. ``delay`` names the pause
    to make before the step: ``None``, ``"stop_start"`` (restart: between stopping and starting) or
    ``"step"`` (rolling restart: between chunks);
``levels``
    ``[step["ships"] for step in steps]``.

``sequence(config, ["pull", "stop", "clean", "start"])`` is one plan for several commands run one
after the other (the stop-start deploy): each command's steps in turn, each finished on every ship
before the next starts, as when the commands are run one by one.
"""

from __future__ import annotations

import re

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import SelectionError

COMMANDS = ("pull", "start", "stop", "kill", "restart", "clean", "status", "logs", "deptree")
# Commands that gather dependents (and order in reverse) rather than dependencies.
DEPENDENTS = ("stop", "kill", "restart")
# Commands that can follow one another in one sequence (restart has its own stop/start order).
SEQUENCE = ("pull", "start", "stop", "kill", "clean")
# Commands with one step over every selected instance: no ordering.
UNORDERED = ("status", "logs", "deptree")


def split_things(things) -> list[str]:
    """Things given as a list, or as one comma-separated string; blanks dropped, order kept, no repeats."""
    if things is None:
        return []
    items = things.split(",") if isinstance(things, str) else list(things)
    result = []
    for item in items:
        name = str(item).strip()
        if name and name not in result:
            result.append(name)
    return result


def _graph(model):
    """The dependency graph of a loaded ships file (``Config``), or the graph itself (``Graph.from_published``)."""
    return getattr(model, "graph", model)


def natural(name) -> list:
    """A sort key that orders names as a person reads them: ship2 before ship10, web-9 before web-10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(name))]


def _by_ship(graph, names) -> dict:
    ships = {}
    for name in sorted(names, key=natural):
        ships.setdefault(graph.ship_of[name], []).append(name)
    return dict(sorted(ships.items(), key=lambda item: natural(item[0])))


def _chunks(per_ship: dict, size: int) -> list[dict]:
    """Split ship -> names into rounds of at most ``size`` names per ship (rolling)."""
    rounds = max((len(names) for names in per_ship.values()), default=0)
    out = []
    for start in range(0, rounds, size):
        chunk = {ship: names[start : start + size] for ship, names in per_ship.items() if names[start : start + size]}
        out.append(chunk)
    return out


def select(model, command, *, things=None, with_dependencies=False, ignore_dependencies=False, ship_filter=None, container_filter=None, only=None) -> list:
    """The instance names a command acts on, sorted (see the module docstring)."""
    graph = _graph(model)
    if command not in COMMANDS:
        raise SelectionError("unknown command %r: one of %s" % (command, ", ".join(COMMANDS)))
    names = split_things(things)
    if not names and command == "status":
        names = sorted(graph.members, key=natural)
    gather = bool(with_dependencies) or (not names and not ignore_dependencies)
    if command in UNORDERED:
        gather = bool(with_dependencies) and command == "status"
    selected = graph.expand(
        names or None,
        with_dependencies=gather and command not in DEPENDENTS,
        with_dependents=gather and command in DEPENDENTS,
        ship_filter=ship_filter or None,
        container_filter=container_filter or None,
    )
    if only is not None:
        keep = set(split_things(only))
        selected = [name for name in selected if name in keep]
    return selected


def plan(
    model,
    command,
    *,
    things=None,
    with_dependencies=False,
    ignore_dependencies=False,
    ship_filter=None,
    container_filter=None,
    concurrency=None,
    only=None,
) -> dict:
    """The plan of a command over a loaded ships file or its published graph (see the module docstring)."""
    graph = _graph(model)
    selected = select(
        graph,
        command,
        things=things,
        with_dependencies=with_dependencies,
        ignore_dependencies=ignore_dependencies,
        ship_filter=ship_filter,
        container_filter=container_filter,
        only=only,
    )
    if command == "logs" and len(selected) != 1:
        what = ", ".join(split_things(things)) or "every service"
        found = ", ".join(selected) if selected else "none"
        raise SelectionError("logs shows one instance: %s selects %d (%s); name one instance" % (what, len(selected), found))
    if concurrency is not None and int(concurrency) < 1:
        raise SelectionError("concurrency must be at least 1, not %s" % concurrency)

    if not selected:
        levels = []
    elif ignore_dependencies or command in UNORDERED:
        levels = [selected]
    else:
        levels = graph.instance_levels(selected)
    forward = [_by_ship(graph, level) for level in levels]

    steps = []
    if command == "deptree":
        pass
    elif command != "restart":
        levels = forward[::-1] if command in DEPENDENTS else forward
        steps = [{"action": command, "ships": level, "delay": None} for level in levels]
    elif concurrency:
        for level in forward:
            for chunk in _chunks(level, int(concurrency)):
                steps.append({"action": "stop", "ships": chunk, "delay": "step" if steps else None})
                steps.append({"action": "start", "ships": chunk, "delay": "stop_start"})
    else:
        steps = [{"action": "stop", "ships": level, "delay": None} for level in forward[::-1]]
        steps += [{"action": "start", "ships": level, "delay": "stop_start" if i == 0 else None} for i, level in enumerate(forward)]

    return _result(graph, command, split_things(things), selected, steps)


def _result(graph, command: str, things: list, selected: list, steps: list) -> dict:
    """A plan as the module docstring describes it."""
    return {
        "command": command,
        "things": things,
        "instances": selected,
        "ships": _by_ship(graph, selected),
        "steps": steps,
        "levels": [step["ships"] for step in steps],
    }


def only_changed(plan: dict, changed) -> dict:
    """``plan`` kept to the instances named in ``changed`` (restart --only-if-changed, the stop-start deploy): each
    step keeps its changed instances and a step left with none goes. The order stays the plan's, so an instance still
    waits for every level before its own (at worst a barrier more than a plan of the changed instances alone), and a
    rolling restart keeps its chunks, smaller where instances did not change."""
    keep = set(changed)

    def kept(per_ship: dict) -> dict:
        return {ship: mine for ship, names in per_ship.items() if (mine := [name for name in names if name in keep])}

    steps = []
    carried = None  # the pause of a step that went, made before the next kept step of the same action instead
    for step in plan.get("steps") or []:
        ships = kept(step["ships"])
        if not ships:
            carried = carried or ((step["action"], step["delay"]) if step.get("delay") else None)
            continue
        steps.append({**step, "ships": ships})
        if carried and carried[0] == step["action"]:
            steps[-1]["delay"] = step.get("delay") or carried[1]
            carried = None
    if steps and steps[0].get("delay") == "step":
        steps[0] = {**steps[0], "delay": None}  # the pause between chunks, before the first chunk left
    return {
        **plan,
        "instances": [name for name in plan.get("instances") or [] if name in keep],
        "ships": kept(plan.get("ships") or {}),
        "steps": steps,
        "levels": [step["ships"] for step in steps],
    }


def plan_lines(plan: dict, delays: dict, check_mode: bool = False) -> list:
    """The plan in a few lines, as printed before it runs: ``maestro restart web: 3 instance(s) in 2 step(s)``, then
    ``1. stop: ship1: web-1; ship2: web-2`` for each step. ``delays``: seconds of each named pause (``step``,
    ``stop_start``), said where they are made."""
    things = plan.get("things") or []
    steps = plan.get("steps") or []
    head = "Check mode, nothing changes. " if check_mode else ""
    head += f"maestro {plan.get('command')}{' ' + ','.join(things) if things else ''}:"
    head += f" {len(plan.get('instances') or [])} instance(s) in {len(steps)} step(s){'' if steps else ', nothing to do'}"
    lines = [head]
    for index, step in enumerate(steps, 1):
        wait = int(delays.get(step.get("delay")) or 0) if step.get("delay") else 0
        where = "; ".join(f"{ship}: {', '.join(names)}" for ship, names in step["ships"].items())
        lines.append(f"{index}. {step['action']}{f' after {wait} s' if wait > 0 else ''}: {where}")
    return lines


def sequence(model, commands, **options) -> dict:
    """One plan for ``commands`` run one after the other, each over the selection it makes alone (see above)."""
    names = split_things(commands)
    wrong = [name for name in names if name not in SEQUENCE]
    if not names or wrong:
        raise SelectionError("a sequence is one or more of %s, not %s" % (", ".join(SEQUENCE), ", ".join(wrong) or "nothing"))
    graph = _graph(model)
    plans = [plan(graph, name, **options) for name in names]
    selected = sorted({name for one in plans for name in one["instances"]}, key=natural)
    return _result(graph, ", ".join(names), plans[0]["things"], selected, [step for one in plans for step in one["steps"]])
