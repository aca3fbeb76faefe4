"""Pure logic of demo/run.py (`make demo`): expectations per step, the summary table, the refusal message, labels."""

from __future__ import annotations

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
        ("e", "rollback.yml", (), True, "v1"),
        ("f", None, (), None, None),
    ]
    assert STEP["d"].served == {"v2"}
    assert [s.load for s in STEPS] == ["probe", "start", "on", "on", "on", "stop"]


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
        outcome("e", requests=200, answers={"v1": 120, "v2": 80}),
        outcome("f", requests=1100, answers={"v1": 500, "v2": 600}, end_answers={"v1": 25}),
    ]
    assert [run.problems(o) for o in good] == [[]] * 6
    assert [run.result_word(o) for o in good] == ["ok", "ok", "ok", "refused", "ok", "ok"]
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
        (outcome("f", failures=2, errors={"TimeoutError": 2}), ["2 failed requests over the whole run (TimeoutError 2)"]),
        (outcome("e", rc=2, end_answers={"v2": 25}), ["the playbook failed (rc 2)", "ended on v2, expected v1"]),
        (outcome("c", end_answers={"v1": 10, "v2": 15}), ["ended on mixed (v1 10, v2 15), expected v2"]),
        (outcome("a", end_answers={}), ["ended on none, expected v1"]),
        (outcome("e", skipped=True), ["skipped, since an earlier step failed"]),
    ],
)
def test_each_unexpected_behaviour_is_named(result, expected):
    assert run.problems(result) == expected
    assert run.result_word(result) == ("skipped" if result.skipped else "FAILED")


def test_failures_name_the_step_and_its_log():
    bad = outcome("e", rc=2, end_answers={"v2": 25}, log=run.BUILD / "e-roll-back.log")
    assert run.failures([outcome("c"), bad]) == [
        "e. roll back: the playbook failed (rc 2) (log: .build/demo/e-roll-back.log)",
        "e. roll back: ended on v2, expected v1 (log: .build/demo/e-roll-back.log)",
    ]


def test_summary_table_aligns_text_left_and_numbers_right():
    table = run.format_table(
        [
            outcome("a", seconds=21.04, requests=26, answers={"v1": 26}),
            outcome("c", seconds=11.9, requests=299, answers={"v2": 97, "v1": 202}),
            outcome("d", seconds=19.96, requests=498, answers={"v2": 498}),
            outcome("e", seconds=8.1, requests=203, failures=2, errors={"HTTP 503": 2}, answers={"v2": 201}, end_answers={"v2": 25}),
            outcome("f", skipped=True),
        ]
    )
    assert table.splitlines() == [
        "step                          result   time (s)  requests  failed  answers during the step  version at the end",
        "----------------------------  -------  --------  --------  ------  -----------------------  ------------------",
        "a. deploy demo/web:v1         ok           21.0        26       0  v1 26                    v1",
        "c. blue/green to v2           ok           11.9       299       0  v1 202, v2 97            v2",
        "d. try demo/web:broken        refused      20.0       498       0  v2 498                   v2",
        "e. roll back                  FAILED        8.1       203       2  v2 201                   v2",
        "f. stop the load (whole run)  skipped         -         -       -  -                        -",
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
