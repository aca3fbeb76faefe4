"""Pure logic of demo/run.py (`make demo`): expectations per step, the summary table, the refusal message, labels."""

from __future__ import annotations

import json

import pytest

from demo import run
from demo.run import STEPS, Outcome, Settings

STEP = {step.key: step for step in STEPS}
SETTINGS = Settings(environment="demo", proxy_host="ship1", proxy_port=8000, proxy_name="maestro-proxy-demo", lock_name="maestro-lock-demo")


def outcome(key: str, **kwargs) -> Outcome:
    step = STEP[key]
    defaults = {"rc": None if step.playbook is None else (2 if step.must_pass is False else 0), "seconds": 10.0}
    if step.ends_on:
        defaults["end_answers"] = {step.ends_on: 25}
    return Outcome(step, **{**defaults, **kwargs})


def test_the_steps_are_the_issues_sequence():
    assert [(s.key, s.playbook, s.extra_vars, s.must_pass, s.ends_on) for s in STEPS] == [
        ("a", "deploy.yml", ("maestro_deploy_tag=v1",), True, "v1"),
        ("b", None, (), None, "v1"),
        ("c", "deploy.yml", ("maestro_deploy_tag=v2",), True, "v2"),
        ("d", "deploy.yml", ("maestro_deploy_tag=broken",), False, "v2"),
        ("e", "deploy.yml", ("maestro_deploy_tag=flaky", json.dumps(run.CANARY, separators=(",", ":"))), False, "v2"),
        ("f", "rollback.yml", (), True, "v1"),
        ("g", None, (), None, None),
    ]
    assert STEP["d"].served == {"v2"}
    assert STEP["e"].served == {"v2", "flaky"} and STEP["e"].allowed_error_share == pytest.approx(0.02)
    assert run.CANARY["maestro_deploy_canary"][0] == {"weight": 10, "pause": 8}
    assert [s.load for s in STEPS] == ["probe", "start", "on", "on", "on", "on", "stop"]


@pytest.mark.parametrize(
    ("answers", "listed", "end"),
    [
        ({}, "none", "none"),
        ({"v2": 240, "v1": 112}, "v1 112, v2 240", "mixed (v1 112, v2 240)"),
        ({"v2": 25}, "v2 25", "v2"),
    ],
)
def test_answers_are_listed_by_version(answers, listed, end):
    assert run.counts(answers) == listed
    assert run.end_version(answers) == end


def test_steps_that_behave_have_no_problem():
    good = [
        outcome("a", requests=25, answers={"v1": 25}),
        outcome("b", requests=75, answers={"v1": 75}),
        outcome("c", requests=300, answers={"v1": 200, "v2": 100}),
        outcome("d", requests=500, answers={"v2": 500}, message="Deploy of web (blue-green) failed."),
        outcome("e", requests=400, failures=4, errors={"HTTP 500": 4}, answers={"v2": 380, "flaky": 16}),
        outcome("f", requests=200, answers={"v1": 120, "v2": 80}),
        outcome("g", requests=1500, failures=4, excused=4, errors={"HTTP 500": 4}, answers={"v1": 500, "v2": 980, "flaky": 16}, end_answers={"v1": 25}),
    ]
    assert [run.problems(o) for o in good] == [[]] * 7
    assert [run.result_word(o) for o in good] == ["ok", "ok", "ok", "refused", "refused", "ok", "ok"]
    assert run.failures(good) == []


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (outcome("c", rc=2, message="Deploy of web failed."), ["the playbook failed (rc 2)"]),
        (outcome("c", rc=-1, message="timed out after 600s"), ["the playbook failed (rc -1): timed out after 600s"]),
        (
            outcome("d", rc=0, end_answers={"broken": 25}, answers={"v2": 400, "broken": 100}),
            ["the playbook passed, but it must be refused", "answered broken 100, expected only v2", "ended on broken, expected v2"],
        ),
        (outcome("c", failures=3, errors={"ConnectionRefusedError": 2, "HTTP 503": 1}), ["3 failed requests (ConnectionRefusedError 2, HTTP 503 1)"]),
        (outcome("b", failures=1, errors={"HTTP 503": 1}), ["1 failed request (HTTP 503 1)"]),
        (outcome("g", failures=2, errors={"TimeoutError": 2}), ["2 failed requests over the whole run (TimeoutError 2)"]),
        (outcome("g", failures=6, excused=4, errors={"HTTP 500": 6}), ["6 failed requests over the whole run (HTTP 500 6, 4 of them the canary's)"]),
        (
            outcome("e", requests=100, failures=3, errors={"HTTP 500": 3}),
            ["3 failed requests (HTTP 500 3), more than the canary step allows: HTTP 500 to 2% of the 100 requests (2.0)"],
        ),
        (
            outcome("e", requests=1000, failures=1, errors={"HTTP 503": 1}),
            ["1 failed requests (HTTP 503 1), more than the canary step allows: HTTP 500 to 2% of the 1000 requests (20.0)"],
        ),
        (outcome("f", rc=2, end_answers={"v2": 25}), ["the playbook failed (rc 2)", "ended on v2, expected v1"]),
        (outcome("c", end_answers={"v1": 10, "v2": 15}), ["ended on mixed (v1 10, v2 15), expected v2"]),
        (outcome("a", end_answers={}), ["ended on none, expected v1"]),
        (outcome("f", skipped=True), ["skipped, since an earlier step failed"]),
    ],
)
def test_each_unexpected_behaviour_is_named(result, expected):
    assert run.problems(result) == expected
    assert run.result_word(result) == ("skipped" if result.skipped else "FAILED")


def test_failures_name_the_step_and_its_log():
    bad = outcome("f", rc=2, end_answers={"v2": 25}, log=run.BUILD / "f-roll-back.log")
    assert run.failures([outcome("c"), bad]) == [
        "f. roll back: the playbook failed (rc 2) (log: .build/demo/f-roll-back.log)",
        "f. roll back: ended on v2, expected v1 (log: .build/demo/f-roll-back.log)",
    ]


def test_summary_table_aligns_text_left_and_numbers_right():
    table = run.format_table(
        [
            outcome("a", seconds=21.04, requests=26, answers={"v1": 26}),
            outcome("c", seconds=11.9, requests=299, answers={"v2": 97, "v1": 202}),
            outcome("d", seconds=19.96, requests=498, answers={"v2": 498}),
            outcome("f", seconds=8.1, requests=203, failures=2, errors={"HTTP 503": 2}, answers={"v2": 201}, end_answers={"v2": 25}),
            outcome("g", skipped=True),
        ]
    )
    assert table.splitlines() == [
        "step                          result   time (s)  requests  failed  answers during the step  version at the end",
        "----------------------------  -------  --------  --------  ------  -----------------------  ------------------",
        "a. deploy demo/web:v1         ok           21.0        26       0  v1 26                    v1",
        "c. blue/green to v2           ok           11.9       299       0  v1 202, v2 97            v2",
        "d. try demo/web:broken        refused      20.0       498       0  v2 498                   v2",
        "f. roll back                  FAILED        8.1       203       2  v2 201                   v2",
        "g. stop the load (whole run)  skipped         -         -       -  -                        -",
    ]


FAILED_YAML = """\
TASK [maestro.docker.deploy : Fail the deploy] *********************************
[ERROR]: Task failed: Action failed: Deploy of web (blue-green) failed. Error running checks of web-1. The traffic never left the live colour (green).
Origin: /x/roles/deploy/tasks/abort.yml:31:3

fatal: [ship1]: FAILED! =>
    changed: false
    msg: 'Deploy of web (blue-green) failed. Error running checks of
        web-1. The traffic never left the live colour (green).'

TASK [maestro.docker.deploy : Release the deploy lock] *************************
changed: [ship1]
"""


@pytest.mark.parametrize(
    ("log", "message"),
    [
        (FAILED_YAML, "Deploy of web (blue-green) failed. Error running checks of web-1. The traffic never left the live colour (green)."),
        (
            'fatal: [ship2]: FAILED! => {"changed": false, "msg": "first"}\nok: [ship1]\n'
            'fatal: [ship1]: FAILED! => {"changed": false, "msg": "the last one"}\n',
            "the last one",
        ),
        ("[ERROR]: the playbook could not be parsed\n  at line 3\n", "the playbook could not be parsed"),
        ("PLAY RECAP ***\nship1 : ok=3 changed=0 failed=0\n", ""),
    ],
)
def test_failure_message_is_the_last_failed_tasks_msg_on_one_line(log, message):
    assert run.failure_message(log) == message


def test_settings_come_from_the_demo_environment_files():
    assert run.read_settings() == SETTINGS


@pytest.mark.parametrize(
    ("name", "labels", "reason"),
    [
        ("web-1", {"maestro.managed": "true", "maestro.environment": "demo", "maestro.service": "web"}, None),
        ("maestro-proxy-demo", {"maestro.managed": "true", "maestro.role": "proxy", "maestro.environment": "demo"}, None),
        ("maestro-lock-demo", {"maestro.managed": "true", "maestro.role": "lock"}, None),
        ("web-1", {"maestro.environment": "demo"}, "it has no maestro.managed=true label"),
        ("maestro-proxy-demo", {}, "it has no maestro.managed=true label"),
        ("maestro-lock-demo", {"maestro.managed": "true", "maestro.role": "proxy"}, "its label maestro.role is 'proxy', not 'lock'"),
        (
            "maestro-proxy-demo",
            {"maestro.managed": "true", "maestro.role": "proxy", "maestro.environment": "prod"},
            "its label maestro.environment is 'prod', not 'demo'",
        ),
        ("web-1", {"maestro.managed": "true", "maestro.environment": "itest"}, "its label maestro.environment is not 'demo'"),
    ],
)
def test_only_the_demos_own_containers_are_removable(name, labels, reason):
    assert run.why_not_removable(name, labels, SETTINGS) == reason


CANARY_LOG = (
    (
        "fatal: [ship1]: FAILED! =>\n"
        "    changed: false\n"
        "    msg: |-\n"
        "        Deploy of web (blue-green) failed. The canary failed at step 1 (10% of the traffic to the new colour for 8 s), and the proxy is back"
        " on the live colour: error rate of blue 20% > 5% (4 of 20 requests). The figures of every step:\n"
    )
    + """\
        step  service  share  pause  colour  servers  requests  5xx  conn err  resp err  error %  resp ms  verdict
           1  web        10%     8s  blue          6        20    4         0         0     20.0      4.1  fail
                         90%         green         6       188    0         0         0      0.0        1
        step 1 web: error rate of blue 20% > 5% (4 of 20 requests)
        . The traffic never left the live colour (green); the new colour was removed on every ship.
"""
)


def test_a_canarys_table_is_split_from_its_failure_message():
    message, table = run.split_canary_table(run.failure_text(CANARY_LOG))
    assert message == (
        "Deploy of web (blue-green) failed. The canary failed at step 1 (10% of the traffic to the new colour for 8 s), and the proxy is back on "
        "the live colour: error rate of blue 20% > 5% (4 of 20 requests). The traffic never left the live colour (green); the new colour was "
        "removed on every ship."
    )
    assert table.splitlines()[0].startswith("step  service  share")
    assert table.splitlines()[-1] == "step 1 web: error rate of blue 20% > 5% (4 of 20 requests)"
    assert len(table.splitlines()) == 4
    assert run.split_canary_table("Deploy of web failed.") == ("Deploy of web failed.", "")
