# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The deploy playbook's canary on the real fleet (issue 15, points 4 and 5), under a load of 25 requests/s.

web has 2 instances on each of the 3 ships behind the proxy on ship1 (test_deploy.py's environment). The tests run in
file order: v1 without a canary; demo/web:flaky (500 to 20% of its requests) aborted at its first step by the error
rate; v2 through 10% and 50% to 100% with no failed request; demo/web:slow (300 ms) aborted by the latency ratio.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.playbooks.test_deploy import deploy_under_load, each, environment

pytestmark = pytest.mark.fleet

OFFSET = 22  # ports base+22 .. base+29 (test_deploy.py's environments take 1-21 and 40-56)


@pytest.fixture(scope="module")
def canary(fleet, inventory, tmp_path_factory):
    yield from environment(fleet, inventory, tmp_path_factory.mktemp("canary"), "cn", offset=OFFSET)


def canary_args(web, steps: list[dict], **thresholds) -> list[str]:
    stats_port = web.proxy_port + 1
    extra = {"maestro_deploy_canary": steps, "maestro_deploy_canary_thresholds": thresholds, "maestro_deploy_canary_stats_port": stats_port}
    return ["-e", json.dumps(extra)]


def test_first_deploy_without_a_canary(canary):
    canary.ok("playbooks/deploy.yml")
    assert each(canary.states(), "running v1"), canary.states()


def test_a_canary_without_a_live_colour_is_refused_before_anything_starts(canary, fleet, inventory, tmp_path):
    fresh = next(environment(fleet, inventory, tmp_path, "cf", offset=OFFSET + 30))
    try:
        proc = fresh.play("playbooks/deploy.yml", *canary_args(fresh, [{"weight": 10, "pause": 5}, {"weight": 100}]))
        assert proc.returncode != 0
        assert "A canary compares the new colour with the live one, and the proxy routes web to no colour yet" in proc.output, proc.output[-3000:]
        assert each(fresh.states(), "absent") and each(fresh.states("-green"), "absent")
    finally:
        fresh.remove_all()


def test_a_flaky_release_is_aborted_at_the_first_step_and_the_live_colour_serves_everything(canary):
    steps = [{"weight": 10, "pause": 8}, {"weight": 50, "pause": 8}, {"weight": 100}]
    proc, during, after = deploy_under_load(
        canary, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=flaky", *canary_args(canary, steps, max_error_percent=5, min_requests=10)
    )
    assert proc.returncode != 0, proc.output[-5000:]
    assert "The canary failed at step 1 (10% of the traffic to the new colour for 8 s), and every proxy is back on the live colour" in proc.output, proc.output[
        -5000:
    ]
    assert "error rate of green" in proc.output
    assert "step  service  share  pause  colour  servers  requests" in proc.output  # the table
    # clients saw only the flaky share of the canary step: 10% of the traffic x 20% errors, during ~8 s of the run
    assert set(during.errors) <= {"HTTP 500"}, during
    assert during.failures <= 0.1 * 0.2 * during.requests * 2 + 2, during
    assert after.requests > 0 and after.failures == 0 and set(after.answers) == {"v1"}, after
    assert each(canary.states(), "running v1"), canary.states()
    assert each(canary.states("-green"), "absent"), canary.states("-green")  # the new colour removed
    print(f"flaky canary: {during.failures} failed of {during.requests} requests during the run")
    print(proc.output[proc.output.index("step  service  share  pause") :][:1500])


def test_v2_passes_every_step_to_100_with_no_failed_request(canary):
    steps = [{"weight": 10, "pause": 5}, {"weight": 50, "pause": 5}, {"weight": 100}]
    proc, during, after = deploy_under_load(canary, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", *canary_args(canary, steps, min_requests=5))
    assert proc.returncode == 0, proc.output[-8000:]
    assert during.failures == 0, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    assert each(canary.states("-green"), "running v2"), canary.states("-green")
    assert each(canary.states(), "stopped v1"), canary.states()  # kept for a rollback
    table = proc.output[proc.output.index("step  service  share  pause") :]
    assert table.count("  pass'") == 2, table[:2000]  # both steps, as the callback prints the table's lines
    print(table[: table.index("TASK")])


def test_a_slow_release_is_aborted_on_the_latency_ratio(canary):
    steps = [{"weight": 20, "pause": 6}, {"weight": 100}]
    proc, during, after = deploy_under_load(canary, "playbooks/deploy.yml", "-e", "maestro_deploy_tag=slow", *canary_args(canary, steps, min_requests=5))
    assert proc.returncode != 0, proc.output[-5000:]
    assert (
        "The canary failed at step 1" in proc.output and "response time of blue" in proc.output and "(each counted as at least 20 ms) > 1.5x" in proc.output
    ), proc.output[-5000:]
    assert during.failures == 0, during
    assert after.failures == 0 and set(after.answers) == {"v2"}, after
    assert each(canary.states("-green"), "running v2"), canary.states("-green")
    assert each(canary.states(), "stopped v1"), canary.states()  # the rollback target kept
    print(proc.output[proc.output.index("step  service  share  pause") :][:1500])
