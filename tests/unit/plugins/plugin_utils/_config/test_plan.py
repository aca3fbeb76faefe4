# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The plan of each maestro command: selection (things, dependencies, filters) and ordered steps."""

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import SelectionError
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import COMMANDS, only_changed, plan, plan_lines, select, sequence, split_things

from ...conftest import HEAD

# db (host1) <- web (web-1 host1, web-2 and web-3 host2) ; cache (host2, no deps) ; tools (omit, requires web, host1)
STACK = (
    HEAD
    + """\
  db: {image: db, instances: {db-1: {ship: host1}}}
  web: {image: web, requires: db, instances: {web-1: {ship: host1}, web-2: {ship: host2}, web-3: {ship: host2}}}
  cache: {image: cache, instances: {cache-1: {ship: host2}}}
  tools: {image: tools, omit: true, requires: web, instances: {tools-1: {ship: host1}}}
"""
)


@pytest.fixture
def stack(load):
    return load(STACK)


def steps(result):
    """Steps as (action, {ship: names}, delay) tuples, for compact expectations."""
    return [(s["action"], s["ships"], s["delay"]) for s in result["steps"]]


@pytest.mark.parametrize(
    ("things", "expected"),
    [
        (None, []),
        ("", []),
        ("web", ["web"]),
        ("web, db,,web", ["web", "db"]),
        (["db", " web-1 ", "db"], ["db", "web-1"]),
    ],
)
def test_split_things(things, expected):
    assert split_things(things) == expected


@pytest.mark.parametrize(
    ("command", "kwargs", "expected"),
    [
        # no things: every service not omitted, with dependencies (start) or dependents (stop) implied
        ("start", {}, ["cache-1", "db-1", "web-1", "web-2", "web-3"]),
        ("pull", {}, ["cache-1", "db-1", "web-1", "web-2", "web-3"]),
        ("clean", {}, ["cache-1", "db-1", "web-1", "web-2", "web-3"]),
        ("stop", {}, ["cache-1", "db-1", "tools-1", "web-1", "web-2", "web-3"]),  # tools depends on web
        ("start", {"ignore_dependencies": True}, ["cache-1", "db-1", "web-1", "web-2", "web-3"]),
        ("stop", {"ignore_dependencies": True}, ["cache-1", "db-1", "web-1", "web-2", "web-3"]),
        # status without things: every service, omitted ones too (maestro-ng)
        ("status", {}, ["cache-1", "db-1", "tools-1", "web-1", "web-2", "web-3"]),
        # things alone: exactly those (a service stands for its instances)
        ("start", {"things": ["web"]}, ["web-1", "web-2", "web-3"]),
        ("start", {"things": "web-2,db"}, ["db-1", "web-2"]),
        ("stop", {"things": ["db"]}, ["db-1"]),  # no -s needed for a service name
        ("restart", {"things": "web"}, ["web-1", "web-2", "web-3"]),
        # with_dependencies: dependencies for start/pull/clean/status, dependents for stop/kill/restart
        ("start", {"things": ["web-2"], "with_dependencies": True}, ["db-1", "web-2"]),
        ("pull", {"things": ["web"], "with_dependencies": True}, ["db-1", "web-1", "web-2", "web-3"]),
        ("status", {"things": ["web"], "with_dependencies": True}, ["db-1", "web-1", "web-2", "web-3"]),
        ("stop", {"things": ["db"], "with_dependencies": True}, ["db-1", "tools-1", "web-1", "web-2", "web-3"]),
        ("kill", {"things": ["web"], "with_dependencies": True}, ["tools-1", "web-1", "web-2", "web-3"]),
        ("restart", {"things": ["db"], "with_dependencies": True}, ["db-1", "tools-1", "web-1", "web-2", "web-3"]),
        # filters apply to the final set, also with dependencies (unlike maestro-ng)
        ("start", {"things": ["web"], "with_dependencies": True, "ship_filter": "host2"}, ["web-2", "web-3"]),
        ("start", {"ship_filter": "host1"}, ["db-1", "web-1"]),
        ("stop", {"container_filter": "web-*"}, ["web-1", "web-2", "web-3"]),
        ("start", {"ship_filter": "host2", "container_filter": "*-3"}, ["web-3"]),
        ("start", {"ship_filter": "nowhere"}, []),
        ("start", {"ship_filter": "", "container_filter": None}, ["cache-1", "db-1", "web-1", "web-2", "web-3"]),
        # only: the restriction of restart --only-if-changed, after everything else
        ("restart", {"things": "web", "only": ["web-2", "db-1"]}, ["web-2"]),
        # logs and deptree never gather
        ("logs", {"things": ["db"]}, ["db-1"]),
        ("deptree", {"things": ["web"], "with_dependencies": True}, ["web-1", "web-2", "web-3"]),
    ],
)
def test_select(stack, command, kwargs, expected):
    assert select(stack, command, **kwargs) == expected
    assert plan(stack, command, **kwargs)["instances"] == expected


@pytest.mark.parametrize(
    ("command", "kwargs", "expected"),
    [
        (
            "start",
            {},
            [
                ("start", {"host1": ["db-1"], "host2": ["cache-1"]}, None),
                ("start", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
            ],
        ),
        (
            "pull",
            {"things": "web", "with_dependencies": True},
            [("pull", {"host1": ["db-1"]}, None), ("pull", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None)],
        ),
        ("clean", {"things": "web-1,db"}, [("clean", {"host1": ["db-1"]}, None), ("clean", {"host1": ["web-1"]}, None)]),
        # reverse for stop and kill
        (
            "stop",
            {"things": ["db"], "with_dependencies": True},
            [
                ("stop", {"host1": ["tools-1"]}, None),
                ("stop", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
                ("stop", {"host1": ["db-1"]}, None),
            ],
        ),
        ("kill", {"things": "db,web-2"}, [("kill", {"host2": ["web-2"]}, None), ("kill", {"host1": ["db-1"]}, None)]),
        # ignore_dependencies: one level
        ("stop", {"things": "db,web-2", "ignore_dependencies": True}, [("stop", {"host1": ["db-1"], "host2": ["web-2"]}, None)]),
        (
            "start",
            {"things": ["web"], "with_dependencies": True, "ignore_dependencies": True},
            [("start", {"host1": ["db-1", "web-1"], "host2": ["web-2", "web-3"]}, None)],
        ),
        # status, logs: one step; deptree: none
        ("status", {"things": "web,db"}, [("status", {"host1": ["db-1", "web-1"], "host2": ["web-2", "web-3"]}, None)]),
        ("logs", {"things": "web-3"}, [("logs", {"host2": ["web-3"]}, None)]),
        ("deptree", {}, []),
        # nothing selected: no steps
        ("start", {"ship_filter": "nowhere"}, []),
    ],
)
def test_steps(stack, command, kwargs, expected):
    result = plan(stack, command, **kwargs)
    assert steps(result) == expected
    assert result["levels"] == [s[1] for s in expected]


def test_restart_stops_dependents_first_then_starts_dependencies_first(stack):
    """maestro-ng issue 186: web must not come back while db is still the old one."""
    result = plan(stack, "restart", things="db,web")
    assert steps(result) == [
        ("stop", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
        ("stop", {"host1": ["db-1"]}, None),
        ("start", {"host1": ["db-1"]}, "stop_start"),
        ("start", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
    ]
    assert result["ships"] == {"host1": ["db-1", "web-1"], "host2": ["web-2", "web-3"]}
    assert result["things"] == ["db", "web"]


def test_rolling_restart_in_chunks_per_ship(stack):
    result = plan(stack, "restart", things="db,web", concurrency=1)
    assert steps(result) == [
        ("stop", {"host1": ["db-1"]}, None),
        ("start", {"host1": ["db-1"]}, "stop_start"),
        ("stop", {"host1": ["web-1"], "host2": ["web-2"]}, "step"),
        ("start", {"host1": ["web-1"], "host2": ["web-2"]}, "stop_start"),
        ("stop", {"host2": ["web-3"]}, "step"),
        ("start", {"host2": ["web-3"]}, "stop_start"),
    ]
    wide = plan(stack, "restart", things="web", concurrency="2")
    assert steps(wide) == [
        ("stop", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
        ("start", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, "stop_start"),
    ]


def test_only_changed_keeps_the_plans_order_and_drops_the_steps_left_empty(stack):
    result = only_changed(plan(stack, "restart", things="db,web", concurrency=1), ["web-2", "web-3"])
    # db's chunk goes; the first chunk left does not wait the pause between chunks
    assert steps(result) == [
        ("stop", {"host2": ["web-2"]}, None),
        ("start", {"host2": ["web-2"]}, "stop_start"),
        ("stop", {"host2": ["web-3"]}, "step"),
        ("start", {"host2": ["web-3"]}, "stop_start"),
    ]
    assert result["instances"] == ["web-2", "web-3"] and result["ships"] == {"host2": ["web-2", "web-3"]}
    assert result["levels"] == [step["ships"] for step in result["steps"]] and result["command"] == "restart"
    deploy = only_changed(sequence(stack, ["pull", "stop", "clean", "start"], things="web"), ["web-1"])
    assert [(s["action"], s["ships"]) for s in deploy["steps"]] == [(a, {"host1": ["web-1"]}) for a in ("pull", "stop", "clean", "start")]
    # a restart's pause between stopping and starting is the first start step's: it stays when that step goes
    assert steps(only_changed(plan(stack, "restart", things="db,web"), ["web-2"])) == [
        ("stop", {"host2": ["web-2"]}, None),
        ("start", {"host2": ["web-2"]}, "stop_start"),
    ]
    nothing = only_changed(plan(stack, "start"), [])
    assert nothing["steps"] == [] and nothing["instances"] == [] and nothing["ships"] == {}


def test_plan_lines_say_each_step_its_ships_and_pauses(stack):
    result = plan(stack, "restart", things="web", concurrency=1)
    lines = plan_lines(result, {"step": 5, "stop_start": 0})
    assert lines[0] == "maestro restart web: 3 instance(s) in 4 step(s)"
    assert lines[1:] == [
        "1. stop: host1: web-1; host2: web-2",
        "2. start: host1: web-1; host2: web-2",
        "3. stop after 5 s: host2: web-3",
        "4. start: host2: web-3",
    ]
    deploy = sequence(stack, ["pull", "stop", "clean", "start"], things="web")
    assert plan_lines(deploy, {}, check_mode=True)[0] == "Check mode, nothing changes. maestro pull, stop, clean, start web: 3 instance(s) in 4 step(s)"
    assert plan_lines(only_changed(deploy, []), {}) == ["maestro pull, stop, clean, start web: 0 instance(s) in 0 step(s), nothing to do"]


def test_concurrency_only_shapes_restart(stack):
    assert steps(plan(stack, "stop", things="web", concurrency=1)) == [("stop", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None)]


@pytest.mark.parametrize(
    ("command", "kwargs", "message"),
    [
        ("start", {"things": "wbe"}, r"^wbe is neither a service nor an instance \(did you mean 'web'\?\)$"),
        ("stop", {"things": ["db", "web-9"]}, r"^web-9 is neither a service nor an instance \(did you mean 'web-[123]'\?\)$"),
        ("logs", {"things": "web"}, r"^logs shows one instance: web selects 3 \(web-1, web-2, web-3\); name one instance$"),
        ("logs", {}, r"^logs shows one instance: every service selects 5 \(.*\); name one instance$"),
        ("logs", {"things": "web", "ship_filter": "nowhere"}, r"^logs shows one instance: web selects 0 \(none\); name one instance$"),
        ("restart", {"concurrency": 0}, r"^concurrency must be at least 1, not 0$"),
        ("upgrade", {}, r"^unknown command 'upgrade': one of pull, start, stop, kill, restart, clean, status, logs, deptree$"),
    ],
)
def test_errors(stack, command, kwargs, message):
    with pytest.raises(SelectionError, match=message):
        plan(stack, command, **kwargs)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "logs"])  # logs needs exactly one instance
def test_every_command_plans_an_empty_selection(stack, command):
    result = plan(stack, command, container_filter="nothing-*")
    assert (result["instances"], result["ships"], result["steps"]) == ([], {}, [])


def test_sequence_runs_each_commands_own_plan_in_turn(stack):
    # the stop-start deploy: stop also takes tools-1 (a dependent of web), as `maestro stop` alone does
    result = sequence(stack, ["pull", "stop", "clean", "start"])
    assert result["command"] == "pull, stop, clean, start"
    assert steps(result) == [step for command in ("pull", "stop", "clean", "start") for step in steps(plan(stack, command))]
    assert [s[0] for s in steps(result)] == ["pull", "pull", "stop", "stop", "stop", "clean", "clean", "start", "start"]
    assert result["instances"] == ["cache-1", "db-1", "tools-1", "web-1", "web-2", "web-3"]
    assert result["ships"] == {"host1": ["db-1", "tools-1", "web-1"], "host2": ["cache-1", "web-2", "web-3"]}
    assert result["levels"] == [s["ships"] for s in result["steps"]]


def test_sequence_passes_the_selection_to_every_command(stack):
    result = sequence(stack, "stop,start", things="web", ignore_dependencies=True)
    assert steps(result) == [
        ("stop", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
        ("start", {"host1": ["web-1"], "host2": ["web-2", "web-3"]}, None),
    ]
    assert result["things"] == ["web"]


@pytest.mark.parametrize(
    ("commands", "message"),
    [
        ([], r"^a sequence is one or more of pull, start, stop, kill, clean, not nothing$"),
        (["pull", "restart"], r"^a sequence is one or more of pull, start, stop, kill, clean, not restart$"),
        ("status,logs", r"^a sequence is one or more of pull, start, stop, kill, clean, not status, logs$"),
    ],
)
def test_sequence_refuses_what_cannot_follow_another(stack, commands, message):
    with pytest.raises(SelectionError, match=message):
        sequence(stack, commands)


def test_ships_and_instances_come_in_the_order_a_person_reads_them(load):
    """ship2 before ship10 and web-9 before web-10 (issue 16: the steps, the status table and the results sorted as text)."""
    ships = "".join(f"  ship{n}: {{ip: 10.0.0.{n}}}\n" for n in (1, 2, 10, 11))
    instances = ", ".join(f"web-{n}: {{ship: ship{(1, 2, 10, 11)[n % 4]}}}" for n in range(1, 13))
    config = load(f"name: demo\nships:\n{ships}services:\n  web: {{image: x, instances: {{{instances}}}}}\n")
    result = plan(config, "start")
    assert list(result["steps"][0]["ships"]) == ["ship1", "ship2", "ship10", "ship11"]
    assert result["steps"][0]["ships"]["ship11"] == ["web-3", "web-7", "web-11"]
    assert list(result["ships"]) == ["ship1", "ship2", "ship10", "ship11"]
