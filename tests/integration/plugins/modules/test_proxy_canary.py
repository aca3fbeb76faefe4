"""A canary through maestro.docker.proxy's weights, judged from HAProxy's own counters (issue 15, points 4 and 5).

The proxy runs on ship1 with a statistics listener; blue (demo/web:v1) on ship2 at weight 90 and green
(demo/web:flaky, 500 to 20% of its requests) on ship3 at weight 10, in one backend. Under a load of 40 requests/s,
maestro.docker.proxy_info reads the counters of every server back over HTTP; the figures per colour show green's
share of the traffic and of the 5xx answers, and the verdict fails green. Weights back to blue alone (a reload)
then serve every request from v1.
"""

from __future__ import annotations

import time

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _canary
from tests.fleet.fleet import PROXY_REPOSITORY, PROXY_TAG
from tests.fleet.load import Load
from tests.integration.plugins.modules.colours import colour_spec, port_block, wait_port
from tests.integration.plugins.modules.conftest import run_module

pytestmark = pytest.mark.fleet

RATE = 40
SECONDS = 10


def test_flaky_canary_at_weight_10_shows_in_the_proxys_counters_and_fails_the_verdict(fleet, name_prefix):
    proxy_ship, blue_ship, green_ship = fleet.ships[:3]
    backend_port = port_block()
    frontend_port, stats_port = backend_port + 1, backend_port + 2
    proxy = f"{name_prefix}-proxy"

    def spec(ship, colour: str, tag: str) -> dict:
        return colour_spec(fleet, name_prefix, ship, colour, tag=tag, port=backend_port)

    blue, green = spec(blue_ship, "blue", "v1"), spec(green_ship, "green", "flaky")
    frontend = {
        "name": "web",
        "port": frontend_port,
        "colour": "blue",
        "health_path": "/health",
        "weights": {"blue": 90, "green": 10},
        "backends": [
            {"name": blue["name"], "address": blue_ship.ip, "port": backend_port},
            {"name": green["name"], "address": green_ship.ip, "port": backend_port, "colour": "green"},
        ],
    }
    proxy_args = {"name": proxy, "image": fleet.image(PROXY_TAG, PROXY_REPOSITORY), "drain_timeout": 5}
    try:
        for ship, instance in ((blue_ship, blue), (green_ship, green)):
            started = run_module("instance", ship, {"instances": [instance]})
            assert not started.get("failed"), started
            wait_port(ship.ip, backend_port)
        created = run_module("proxy", proxy_ship, {**proxy_args, "frontends": [frontend], "stats": {"port": stats_port}})
        assert not created.get("failed") and created["actions"] == ["created", "started"], created
        assert created["stats_listener"] == {"port": stats_port, "address": ""}
        assert "weight 10 check" in created["config"] and "weight 90 check" in created["config"]
        wait_port(proxy_ship.ip, frontend_port)
        time.sleep(1.5)  # both servers' first health checks

        with Load(f"http://{proxy_ship.ip}:{frontend_port}/", rate=RATE, threads=4) as load:
            time.sleep(SECONDS)
        total = load.stop()
        info = run_module("proxy_info", proxy_ship, {"name": proxy, "stats": True})
        assert not info.get("failed"), info
        assert info["stats_url"] == f"http://{proxy_ship.ip}:{stats_port}/stats;csv"
        rows = {row["colour"]: row for row in info["stats"]}
        assert set(rows) == {"blue", "green"} and (rows["blue"]["weight"], rows["green"]["weight"]) == (90, 10)
        assert rows["blue"]["status"] == rows["green"]["status"] == "UP"

        figures = _canary.colour_figures(info["stats"])
        judged = _canary.verdict(figures, "green", "blue", {"max_error_percent": 5, "min_requests": 10})
        print(_canary.format_table([_canary.step_record(1, {"weight": 10, "pause": SECONDS}, figures, judged)]))
        # the proxy counted every request of the load, and every 500 the clients saw came from green
        assert figures["blue"]["requests"] + figures["green"]["requests"] == total.requests, (figures, total)
        assert figures["green"]["responses_5xx"] == total.failures and figures["blue"]["errors"] == 0, (figures, total)
        assert set(total.errors) <= {"HTTP 500"}, total.errors
        share = figures["green"]["requests"] / total.requests
        assert 0.04 <= share <= 0.18, f"green had {share:.1%} of the requests at weight 10 against 90"
        assert 5 <= figures["green"]["error_percent"] <= 45, figures["green"]
        assert judged["verdict"] == "fail", judged
        assert judged["reasons"][0].startswith("error rate of green "), judged

        # abort: every weight back to blue, applied with a graceful reload; the counters start again at zero
        back = run_module("proxy", proxy_ship, {**proxy_args, "weights": {"web": {"blue": 1, "green": 0}}})
        assert not back.get("failed") and back["reloaded"] and back["frontend_changes"]["changed"] == ["web"], back
        again = run_module("proxy", proxy_ship, {**proxy_args, "weights": {"web": {"blue": 1, "green": 0}}})
        assert not again["changed"], again
        with Load(f"http://{proxy_ship.ip}:{frontend_port}/", rate=RATE, threads=4) as load:
            time.sleep(3)
        after = load.stop()
        assert after.failures == 0 and after.answers == {"v1": after.requests}, after
        counted = _canary.colour_figures(run_module("proxy_info", proxy_ship, {"name": proxy, "stats": True})["stats"])
        assert counted["green"]["requests"] == 0 and counted["blue"]["requests"] == after.requests, counted
    finally:
        run_module("proxy", proxy_ship, {"name": proxy, "state": "absent", "drain_timeout": 1})
        for ship, instance in ((blue_ship, blue), (green_ship, green)):
            run_module("instance", ship, {"instances": [instance], "state": "absent"})


def test_proxy_info_stats_of_a_proxy_without_a_listener_fail_clearly(fleet, name_prefix):
    ship = fleet.ships[0]
    proxy = f"{name_prefix}-proxy"
    port = port_block() + 5
    args = {"name": proxy, "image": fleet.image(PROXY_TAG, PROXY_REPOSITORY), "drain_timeout": 1}
    try:
        created = run_module("proxy", ship, {**args, "frontends": [{"name": "web", "port": port}]})
        assert not created.get("failed"), created
        assert created["stats_listener"] is None and "maestro-stats" not in created["config"]
        info = run_module("proxy_info", ship, {"name": proxy, "stats": True})
        assert info["failed"]
        assert info["msg"].endswith("it has no statistics listener: set the stats option of maestro.docker.proxy"), info["msg"]
        # the listener is added with a reload, kept when not given, and removed with port 0
        added = run_module("proxy", ship, {**args, "stats": {"port": port + 1}})
        assert added["reloaded"] and added["stats_listener"] == {"port": port + 1, "address": ""}, added
        kept = run_module("proxy", ship, args)
        assert not kept["changed"] and kept["stats_listener"] == {"port": port + 1, "address": ""}, kept
        assert run_module("proxy_info", ship, {"name": proxy, "stats": True})["stats"] == []  # no servers, no rows
        removed = run_module("proxy", ship, {**args, "stats": {"port": 0}})
        assert removed["reloaded"] and removed["stats_listener"] is None and "maestro-stats" not in removed["config"], removed
    finally:
        run_module("proxy", ship, {"name": proxy, "state": "absent", "drain_timeout": 1})
