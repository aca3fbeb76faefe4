# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The engine's rules on plain data: every ship of a step at once, a barrier per step, stop after a failed step."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils._engine import (
    delay_of,
    on_every_ship_in_turn,
    run_steps,
    ship_line,
    step_line,
    step_options,
    summarize_failures,
)

STEPS = [
    {"action": "stop", "ships": {"s1": ["web-1"], "s2": ["web-2"]}, "delay": None},
    {"action": "stop", "ships": {"s1": ["db-1"]}, "delay": None},
    {"action": "start", "ships": {"s1": ["db-1"]}, "delay": "stop_start"},
    {"action": "start", "ships": {"s1": ["web-1"], "s2": ["web-2"]}, "delay": None},
]


class Recorder:
    """An execute() that records calls, can fail a ship at a step, and checks that a step's ships overlap."""

    def __init__(self, fail=None, hold=0.0):
        self.calls, self.fail, self.hold = [], fail or {}, hold
        self.lock, self.running, self.most = threading.Lock(), 0, 0

    def __call__(self, action, ship, names):
        with self.lock:
            self.calls.append((action, ship, tuple(names)))
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.hold)
        with self.lock:
            self.running -= 1
        if self.fail.get(len([c for c in self.calls if c[1] == ship])) == ship:
            return {"failed": True, "changed": False, "msg": f"Error on ship {ship}"}
        return {"changed": action == "start", "instances": [{"name": n} for n in names]}


def test_steps_run_in_order_each_on_every_ship_at_once():
    execute = Recorder(hold=0.05)
    outcome = run_steps(STEPS, ["s1", "s2"], execute, options={}, check_mode=False)
    assert [c[0] for c in execute.calls] == ["stop", "stop", "stop", "start", "start", "start"]
    assert execute.most == 2  # both ships of step 1 at once
    assert execute.calls.index(("stop", "s1", ("db-1",))) > max(execute.calls.index(("stop", s, (n,))) for s, n in (("s1", "web-1"), ("s2", "web-2")))
    assert outcome["changed"] is True and outcome["failed_ships"] == [] and "failed" not in outcome
    assert outcome["changed_ships"] == ["s1", "s2"]  # each ship where a step changed something (PLAY RECAP shows it)
    assert [step["action"] for step in outcome["steps"]] == ["stop", "stop", "start", "start"]


def test_a_failed_step_ends_the_run_after_that_step_naming_each_ship():
    execute = Recorder(fail={1: "s2"})  # s2's first call fails: step 1
    outcome = run_steps(STEPS, ["s1", "s2"], execute, options={}, check_mode=False)
    assert len(outcome["steps"]) == 1 and len(execute.calls) == 2  # the other ship of the step finished; nothing after
    assert outcome["failed"] is True and outcome["failed_ships"] == ["s2"]
    assert outcome["failures"] == {"s2": "Error on ship s2"}
    assert outcome["msg"] == "Stop, step 1, failed on s2: Error on ship s2"


def test_ships_outside_the_play_are_left_out():
    execute = Recorder()
    outcome = run_steps(STEPS, ["s1"], execute, options={}, check_mode=False)
    assert {c[1] for c in execute.calls} == {"s1"}
    assert all(set(step["ships"]) == {"s1"} for step in outcome["steps"])


def test_an_exception_fails_that_ship_only_naming_it():
    def execute(action, ship, names):
        if ship == "s2":
            raise OSError("no route to host")
        return {"changed": False}

    outcome = run_steps(STEPS[:1], ["s1", "s2"], execute, options={}, check_mode=False)
    assert outcome["failures"] == {"s2": "Error running stop on ship s2: OSError: no route to host"}
    assert outcome["steps"][0]["ships"]["s1"] == {"changed": False}


def test_delays_before_the_steps_that_ask_and_none_in_check_mode():
    slept = []
    run_steps(STEPS, ["s1", "s2"], Recorder(), options={"stop_start_delay": 3, "step_delay": 9}, check_mode=False, sleep=slept.append)
    assert slept == [3]
    slept.clear()
    run_steps(STEPS, ["s1", "s2"], Recorder(), options={"stop_start_delay": 3}, check_mode=True, sleep=slept.append)
    assert slept == []
    assert delay_of({"delay": "step"}, {"step_delay": "5"}, False) == 5


def test_report_is_told_of_each_step():
    seen = []
    run_steps(STEPS[:2], ["s1", "s2"], Recorder(), options={}, check_mode=False, report=lambda i, step, results, secs: seen.append((i, sorted(results))))
    assert seen == [(0, ["s1", "s2"]), (1, ["s1"])]


def test_each_ship_is_told_as_it_finishes_before_the_step_ends():
    """Issue 16, point 6: a long step shows its progress: a ship's line comes when that ship is done, not at the barrier."""
    order = []

    def execute(action, ship, names):
        time.sleep(0.2 if ship == "s2" else 0.0)
        return {"changed": True, "instances": [{"name": n, "changed": True} for n in names]}

    def ship_done(action, ship, result, seconds):
        order.append((ship, ship_line(action, "stopped", ship, result, seconds)))

    run_steps(STEPS[:1], ["s1", "s2"], execute, options={}, check_mode=False, report=lambda *_: order.append(("step", None)), ship_done=ship_done)
    assert [who for who, _line in order] == ["s1", "s2", "step"]
    assert order[0][1] == "  stop: s1 stopped 1/1 in 0.0 s" and order[1][1].startswith("  stop: s2 stopped 1/1 in 0.")


def test_steps_in_turn_let_each_ship_go_on_without_waiting_for_the_others():
    """A ship takes its next step as soon as its own part of the one before is done: s2's stop waits until s1 has kept
    its releases, which a barrier between the steps would never let happen."""
    events = []
    lock = threading.Lock()
    s1_kept = threading.Event()

    def execute(action, ship, names):
        if (action, ship) == ("stop", "s2"):
            assert s1_kept.wait(5), "s1 waited for s2 before its next step"
        with lock:
            events.append((action, ship))
        if (action, ship) == ("keep", "s1"):
            s1_kept.set()
        return {"changed": True}

    results, seconds = on_every_ship_in_turn(
        [("stop", {"s1": ["a"], "s2": ["b"]}, execute, None), ("keep", {"s1": ["a"], "s2": ["b"], "s3": ["c"]}, execute, None)]
    )
    assert events.index(("keep", "s1")) < events.index(("stop", "s2")) < events.index(("keep", "s2"))
    assert [list(r) for r in results] == [["s1", "s2"], ["s1", "s2", "s3"]]  # a ship without the first step takes the second
    assert not any(result.get("failed") for step in results for result in step.values())
    assert len(seconds) == 2 and all(s >= 0 for s in seconds)


def test_steps_in_turn_a_failing_progress_line_fails_that_ship_at_its_step():
    """The progress line is printed after a ship's part: if printing fails, the ship goes no further and is failed at
    that step, naming why, instead of dropping out of the results."""

    def done(action, ship, result, seconds):
        if (action, ship) == ("stop", "s2"):
            raise ValueError("display closed")

    def ok(*_args):
        return {"changed": True}

    results, _seconds = on_every_ship_in_turn([("stop", {"s1": ["a"], "s2": ["b"]}, ok, done), ("keep", {"s1": ["a"], "s2": ["b"]}, ok, done)])
    assert results[0]["s2"] == {"failed": True, "changed": False, "msg": "Error running stop on ship s2: ValueError: display closed"}
    assert list(results[1]) == ["s1"]


def test_steps_in_turn_a_ship_whose_part_failed_goes_no_further_the_others_do():
    def execute(action, ship, names):
        if (action, ship) == ("stop", "s2"):
            raise OSError("no route to host")
        return {"changed": True}

    done = []

    def line(action, ship, result, secs):
        done.append((action, ship))

    results, _seconds = on_every_ship_in_turn([("stop", {"s1": ["a"], "s2": ["b"]}, execute, line), ("keep", {"s1": ["a"], "s2": ["b"]}, execute, line)])
    assert results[0]["s2"]["failed"] and results[0]["s2"]["msg"] == "Error running stop on ship s2: OSError: no route to host"
    assert list(results[1]) == ["s1"]
    assert sorted(done) == [("keep", "s1"), ("stop", "s1"), ("stop", "s2")]  # each part's line, the failed one's too


def test_the_lines_count_what_each_ship_did_and_group_the_ships_of_a_step():
    two = [{"name": "web-1", "changed": True}, {"name": "web-2", "changed": False}]
    assert ship_line("start", "started", "ship1", {"changed": True, "instances": two}, 5.14) == "  start: ship1 started 1/2 in 5.1 s"
    assert ship_line("pull", "pulled", "ship1", {"changed": True, "images": [{"image": "a", "changed": True}]}, 0.3) == "  pull: ship1 pulled 1/1 in 0.3 s"
    assert ship_line("switch", "reconfigured", "ship1", {"changed": True}, 0.1) == "  switch: ship1 reconfigured in 0.1 s"
    assert ship_line("start", "started", "ship1", {"changed": False, "instances": two}, 0.1) is None  # said once, in the step's line
    failed = {"failed": True, "instances": [{"name": "web-1", "failed": True}, {"name": "web-2"}]}
    assert ship_line("start", "started", "ship2", failed, 12.0) == "  start: ship2 FAILED (1 of 2) after 12.0 s"
    results = {"ship1": {"changed": True}, "ship10": {"changed": False}, "ship2": {"changed": False}, "ship3": {"failed": True}, "ship4": {"failed": True}}
    assert step_line("park", results, 0.42, skipped=["ship4"]) == (
        "  park (0.4 s): done on ship1; nothing to do on ship2, ship10; FAILED on ship3; skipped (unreachable) on ship4"
    )
    assert step_line("park", {}, 0.0) == "  park (0.0 s): no ship of this play"


def test_in_check_mode_the_lines_say_what_would_be_done():
    one = [{"name": "web-1", "changed": True}]
    assert ship_line("start", "started", "ship1", {"changed": True, "instances": one}, 0.04, check_mode=True) == (
        "  start: ship1 would be started 1/1 in 0.0 s"
    )
    results = {"ship1": {"changed": True}, "ship2": {"changed": False}}
    assert step_line("park", results, 0.1, check_mode=True) == "  park (0.1 s): would change on ship1; nothing to do on ship2"


@pytest.mark.parametrize(
    ("action", "options", "expected"),
    [
        ("start", {}, {"state": "started", "recreate": "stopped", "pull": "missing"}),
        ("start", {"reuse": True, "refresh_images": True}, {"recreate": "never", "pull": "always"}),
        ("start", {"restart": True}, {"recreate": "always"}),
        ("start", {"restart": True, "recreate": "changed"}, {"recreate": "changed"}),
        ("kill", {"stop_timeout": "5"}, {"state": "stopped", "kill": True, "stop_timeout": 5}),
        ("stop", {"stop_timeout": ""}, {"kill": False, "stop_timeout": None}),
        ("status", {"probe_ports": True}, {"probe_ports": True}),
        ("logs", {"lines": "7"}, {"lines": 7}),
    ],
)
def test_step_options(action, options, expected):
    specs = [{"name": "web-1", "image": "web:1"}]
    got = step_options(action, specs, options)
    assert {k: got[k] for k in expected} == expected
    assert got["instances"] == specs


def test_pull_takes_each_image_once():
    specs = [{"name": "a", "image": "x:1"}, {"name": "b", "image": "x:1"}, {"name": "c", "image": "y:2"}]
    assert step_options("pull", specs, {"registries": {"r": {}}}) == {"images": ["x:1", "y:2"], "pull": "always", "concurrency": None, "registries": {"r": {}}}
    with pytest.raises(ValueError, match="a plan step cannot be 'deptree'"):
        step_options("deptree", specs, {})


def _check_failure(name: str, ship: str, ip: str, port: int) -> dict:
    msg = (
        f"Error passing the running lifecycle checks of instance {name} on ship {ship}: http check http://{ip}:{port}/health did not pass within 10s: HTTP 404"
    )
    return {"name": name, "failed": True, "msg": msg}


def test_failures_of_one_cause_are_said_once_naming_every_instance_and_ship():
    """Issue 16: 30 instances failing one health check made 30 sentences in one 4.8 kB line; now one sentence names them."""
    results = {
        ship: {
            "failed": True,
            "msg": "(the ship's own message: its instances' joined)",
            "instances": [_check_failure(f"web-{s * 10 + i}", ship, f"10.0.0.{s}", 8080 + i) for i in range(10)],
        }
        for s, ship in enumerate(("ship1", "ship2", "ship10"), start=1)
    }
    results["ship3"] = {"changed": False, "instances": [{"name": "web-99"}]}  # did not fail
    msg = summarize_failures(results)
    first = (
        "Error passing the running lifecycle checks of instance web-10 on ship ship1: http check http://10.0.0.1:8080/health did not pass within 10s: HTTP 404"
    )
    assert msg.startswith(first + " (and the same for web-11 on ship1, web-12 on ship1,")
    assert msg.endswith("web-38 on ship10, web-39 on ship10)")
    assert msg.count("Error") == 1 and len(msg) < 700, msg
    assert "web-99" not in msg


def test_failures_of_different_causes_are_each_said_and_a_ship_without_instances_by_its_own_message():
    results = {
        "ship1": {
            "failed": True,
            "instances": [
                _check_failure("web-1", "ship1", "10.0.0.1", 8080),
                {"name": "web-2", "failed": True, "msg": "Error pulling image x:v2 for instance web-2 on ship ship1: manifest unknown"},
            ],
        },
        "ship2": {"failed": True, "msg": "Error connecting to Docker daemon of ship ship2: timed out"},
        "ship3": {"failed": True, "msg": "Error connecting to Docker daemon of ship ship3: timed out"},
        "ship4": {"failed": True, "instances": [_check_failure("web-4", "ship4", "10.0.0.4", 8081)]},
    }
    assert summarize_failures(results) == (
        "Error passing the running lifecycle checks of instance web-1 on ship ship1: http check http://10.0.0.1:8080/health did not pass"
        " within 10s: HTTP 404 (and the same for web-4 on ship4); Error pulling image x:v2 for instance web-2 on ship ship1: manifest unknown;"
        " Error connecting to Docker daemon of ship ship2: timed out (and the same for ship ship3)"
    )
    assert summarize_failures({"ship1": {"changed": True}}) == ""


def test_a_group_of_failures_shows_the_last_log_lines_of_one_of_its_containers():
    """Issue 16, point 6: grouped failures "with the last log lines of one failing container"."""
    quiet = _check_failure("web-1", "ship1", "10.0.0.1", 8080)
    logged = {**_check_failure("web-2", "ship2", "10.0.0.2", 8080), "log_tail": ["listening on :8080", "GET /health 404"]}
    msg = summarize_failures({"ship1": {"failed": True, "instances": [quiet]}, "ship2": {"failed": True, "instances": [logged]}})
    assert msg.endswith("HTTP 404 (and the same for web-2 on ship2) [the last lines of web-2's log on ship2: listening on :8080 | GET /health 404]")
    assert msg.count("the last lines") == 1
