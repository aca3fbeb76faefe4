"""Canary steps, thresholds, figures per colour and the verdict (plugin_utils/_canary.py): pure logic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _canary as c

# Real output of HAProxy 2.6 (`<stats uri>;csv`) after 200 requests through a backend of three servers: web-1 a
# healthy busybox httpd, web-1-green the flaky CGI of demo/web:flaky (28 of its 100 requests answered 500),
# web-2-green a port nothing listens on (its 49 requests redispatched to the others).
STATS_CSV = (Path(__file__).resolve().parents[1] / "fixtures" / "haproxy-2.6-stats.csv").read_text()
FRONTENDS = [
    {
        "name": "web",
        "colour": "blue",
        "backends": [
            {"name": "web-1", "address": "10.0.0.11", "port": 8080},
            {"name": "web-1-green", "address": "10.0.0.11", "port": 18080, "colour": "green"},
            {"name": "web-2-green", "address": "10.0.0.12", "port": 18080, "colour": "green"},
        ],
    }
]


def row(colour="green", **counters):
    return {"frontend": "web", "server": f"s-{colour}", "colour": colour, "type": 2, "mode": "http", **counters}


def test_parse_stats_reads_every_field_by_its_header_name():
    rows = c.parse_stats(STATS_CSV)
    assert [(r["pxname"], r["svname"], r["type"]) for r in rows] == [
        ("web", "FRONTEND", 0),
        ("web", "web-1", 2),
        ("web", "web-1-green", 2),
        ("web", "web-2-green", 2),
        ("web", "BACKEND", 1),
        ("maestro-stats", "FRONTEND", 0),
    ]
    flaky = rows[2]
    assert (flaky["req_tot"], flaky["hrsp_2xx"], flaky["hrsp_5xx"], flaky["weight"], flaky["status"]) == (100, 72, 28, 40, "no check")
    assert flaky["econ"] == 0 and rows[0]["econ"] is None  # empty fields (econ is not a frontend's) are None
    assert rows[0]["mode"] == "http"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not HAProxy's statistics CSV: it starts with '(nothing)', not '# pxname,svname'"),
        ("<html>Statistics Report</html>", "not HAProxy's statistics CSV: it starts with '<html>Statistics Report</html>', not '# pxname,svname'"),
        ("# pxname,svname,stot\nweb\n", "line 2 of the statistics CSV has 1 field(s): 'web'"),
    ],
)
def test_parse_stats_refuses_other_text(text, message):
    with pytest.raises(c.StatsError) as err:
        c.parse_stats(text)
    assert str(err.value) == message


def test_server_rows_keep_the_servers_of_the_stored_frontends_with_their_colour():
    rows = c.server_rows(c.parse_stats(STATS_CSV), FRONTENDS)
    assert [(r["frontend"], r["server"], r["colour"]) for r in rows] == [
        ("web", "web-1", "blue"),
        ("web", "web-1-green", "green"),
        ("web", "web-2-green", "green"),
    ]
    assert "pxname" not in rows[0]


def test_colour_figures_from_real_haproxy_counters():
    figures = c.colour_figures(c.server_rows(c.parse_stats(STATS_CSV), FRONTENDS))
    assert figures["blue"] == {
        "servers": 1,
        "requests": 100,
        "responses_5xx": 0,
        "connection_errors": 0,
        "response_errors": 0,
        "errors": 0,
        "error_percent": 0.0,
        "response_ms": 1.0,
    }
    # green: 28 answers 500 of 100 requests on web-1-green, and 49 redispatched away from web-2-green (no listener)
    assert figures["green"] == {
        "servers": 2,
        "requests": 100,
        "responses_5xx": 28,
        "connection_errors": 49,
        "response_errors": 0,
        "errors": 77,
        "error_percent": round(100 * 77 / 149, 2),
        "response_ms": 3.0,
    }


def test_colour_figures_sum_proxies_and_weight_response_times_by_requests():
    rows = [row(req_tot=100, hrsp_5xx=2, rtime=10), row(req_tot=300, hrsp_5xx=0, econ=1, eresp=1, rtime=30), row("blue", req_tot=50, rtime=5), {"colour": None}]
    figures = c.colour_figures(rows)
    assert figures["green"]["requests"] == 400
    assert figures["green"]["errors"] == 4
    assert figures["green"]["error_percent"] == 1.0
    assert figures["green"]["response_ms"] == 25.0  # (100 * 10 + 300 * 30) / 400
    assert figures["green"]["servers"] == 1  # one server, seen by two proxies
    assert list(figures) == ["blue", "green"]


def test_colour_figures_without_req_tot_count_responses_and_use_ttime_for_tcp():
    figures = c.colour_figures([row(hrsp_2xx=8, hrsp_5xx=2, rtime=4), row("blue", mode="tcp", hrsp_2xx=None, rtime=0, ttime=7, stot=3)])
    assert (figures["green"]["requests"], figures["green"]["error_percent"], figures["green"]["response_ms"]) == (10, 20.0, 4.0)
    assert figures["blue"]["requests"] == 0 and figures["blue"]["response_ms"] is None


def figures(new_requests=100, new_errors=0, new_ms=2.0, live_requests=900, live_ms=2.0):
    rows = [row(req_tot=new_requests, hrsp_5xx=new_errors, rtime=new_ms), row("blue", req_tot=live_requests, rtime=live_ms)]
    return c.colour_figures(rows)


def test_verdict_passes_a_healthy_colour():
    judged = c.verdict(figures(), "green", "blue")
    assert (judged["verdict"], judged["reasons"], judged["latency_ratio"]) == ("pass", [], 1.0)
    assert judged["thresholds"] == c.DEFAULT_THRESHOLDS


def test_verdict_fails_on_the_error_rate_and_says_by_how_much():
    judged = c.verdict(figures(new_errors=20), "green", "blue", {"max_error_percent": 5})
    assert judged["verdict"] == "fail"
    assert judged["reasons"] == ["error rate of green 20% > 5% (20 of 100 requests)"]


def test_verdict_fails_on_latency_against_the_live_colour_above_the_floor():
    judged = c.verdict(figures(new_ms=300, live_ms=1), "green", "blue")
    assert judged["verdict"] == "fail"
    assert judged["reasons"] == ["response time of green 300 ms is 15x blue's 1 ms (each counted as at least 20 ms) > 1.5x"]
    # 1 ms against 3 ms is below the floor (20 ms): no regression
    assert c.verdict(figures(new_ms=3, live_ms=1), "green", "blue")["verdict"] == "pass"
    assert c.verdict(figures(new_ms=40, live_ms=30), "green", "blue", {"max_latency_ratio": 1.2})["reasons"] == [
        "response time of green 40 ms is 1.33x blue's 30 ms > 1.2x"
    ]


def test_verdict_waits_for_the_minimum_of_requests():
    judged = c.verdict(figures(new_requests=10), "green", "blue")
    assert judged["verdict"] == "too_few_requests"
    assert judged["reasons"] == ["green had 10 requests, fewer than the 20 needed for a verdict"]
    # a slow colour with too few requests is no failure yet either
    assert c.verdict(figures(new_requests=10, new_ms=500), "green", "blue")["verdict"] == "too_few_requests"


def test_verdict_fails_early_when_the_errors_already_breach_the_minimum():
    # 3 errors in 10 requests: even if the next 10 succeed, 3 of 20 is above 5%
    judged = c.verdict(figures(new_requests=10, new_errors=3), "green", "blue", {"max_error_percent": 5})
    assert judged["verdict"] == "fail"
    assert judged["reasons"] == ["green failed 3 requests, more than 5% of the 20 needed for a verdict (10 so far)"]
    assert c.verdict(figures(new_requests=10, new_errors=1), "green", "blue", {"max_error_percent": 5})["verdict"] == "too_few_requests"


def test_verdict_without_live_requests_does_not_compare_latency():
    judged = c.verdict(figures(new_ms=500, live_requests=0), "green", "blue")
    assert (judged["verdict"], judged["latency_ratio"]) == ("pass", None)
    assert c.verdict({}, "green", None)["verdict"] == "too_few_requests"


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            [{"weight": 10, "pause": 30}, {"weight": 50, "pause": 30}, {"weight": 100}],
            [{"weight": 10, "pause": 30}, {"weight": 50, "pause": 30}, {"weight": 100, "pause": 0}],
        ),
        ([{"weight": 100}], [{"weight": 100, "pause": 0}]),
    ],
)
def test_validate_steps_fills_the_last_pause(steps, expected):
    assert c.validate_steps(steps) == expected


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "canary steps must be a non-empty list of {weight, pause}, for example [{weight: 10, pause: 30}, {weight: 100}], not []"),
        ({"weight": 10}, "canary steps must be a non-empty list of {weight, pause}, for example [{weight: 10, pause: 30}, {weight: 100}], not {'weight': 10}"),
        ([10, 100], "canary step 1: each step must be a dict with weight and pause, not 10"),
        ([{"weight": 10, "pause": 30, "wait": 1}], "canary step 1: unknown keys wait (a step has weight and pause)"),
        ([{"weight": 0, "pause": 30}], "canary step 1: weight must be a whole percent of the traffic from 1 to 100, not 0"),
        ([{"weight": "10%", "pause": 30}], "canary step 1: weight must be a whole percent of the traffic from 1 to 100, not '10%'"),
        ([{"weight": 12.5, "pause": 30}], "canary step 1: weight must be a whole percent of the traffic from 1 to 100, not 12.5"),
        ([{"weight": True, "pause": 30}], "canary step 1: weight must be a whole percent of the traffic from 1 to 100, not True"),
        (
            [{"weight": 50, "pause": 30}, {"weight": 10, "pause": 30}],
            "canary step 2: weight 10 must be more than the step before's (50): the new colour's share only grows",
        ),
        ([{"weight": 10}, {"weight": 100}], "canary step 1: pause must be a number of seconds, 0 or more, not None"),
        ([{"weight": 10, "pause": "30s"}], "canary step 1: pause must be a number of seconds, 0 or more, not '30s'"),
        ([{"weight": 10, "pause": 0}], "canary step 1: a step below 100% needs a pause of at least 1 second to judge it on, not 0"),
        (
            [{"weight": 10, "pause": 5}, {"weight": 100, "pause": 30}],
            "canary step 2: the step at 100% is the switch to the new colour and takes no pause (a verdict after it would need a rollback)",
        ),
        (
            [{"weight": 10, "pause": 30}, {"weight": 50, "pause": 30}],
            "the last canary step must have weight 100 (all traffic on the new colour), not 50: add {weight: 100}",
        ),
    ],
)
def test_validate_steps_refuses_with_a_clear_message(steps, message):
    with pytest.raises(c.CanaryError) as err:
        c.validate_steps(steps)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ([], "canary thresholds must be a dict, not []"),
        ({"max_errors": 1}, "canary thresholds: unknown keys max_errors (known: max_error_percent, max_latency_ratio, latency_floor_ms, min_requests)"),
        ({"max_error_percent": "1%"}, "canary thresholds: max_error_percent must be a number, 0 or more, not '1%'"),
        ({"max_error_percent": 150}, "canary thresholds: max_error_percent is a percent, 0 to 100, not 150"),
        ({"max_latency_ratio": 0.5}, "canary thresholds: max_latency_ratio must be 1 or more (1.5: half as slow again), not 0.5"),
        ({"min_requests": -1}, "canary thresholds: min_requests must be a number, 0 or more, not -1"),
        ({"min_requests": 2.5}, "canary thresholds: min_requests must be a whole number, not 2.5"),
    ],
)
def test_validate_thresholds_refuses_with_a_clear_message(thresholds, message):
    with pytest.raises(c.CanaryError) as err:
        c.validate_thresholds(thresholds)
    assert str(err.value) == message


def test_validate_thresholds_fills_the_defaults():
    assert c.validate_thresholds({"max_error_percent": 5, "min_requests": None}) == {**c.DEFAULT_THRESHOLDS, "max_error_percent": 5}


@pytest.mark.parametrize(
    ("share", "new", "live", "weights"),
    [
        (10, 1, 1, (28, 256)),
        (50, 2, 2, (256, 256)),
        (100, 2, 2, (256, 0)),
        (0, 2, 2, (0, 256)),
        (10, 3, 1, (9, 256)),  # 9 x 3 / (27 + 256) = 9.5%
        (1, 10, 1, (1, 256)),  # at least 1 while the share is above 0
    ],
)
def test_colour_weights_give_the_share_over_the_servers(share, new, live, weights):
    assert c.colour_weights(share, new, live) == weights


def test_colour_weights_refuse_a_colour_without_servers():
    with pytest.raises(c.CanaryError, match="the new colour has no server"):
        c.colour_weights(10, 0, 2)
    with pytest.raises(c.CanaryError, match="the live colour has no server"):
        c.colour_weights(10, 2, 0)


def test_format_table_shows_both_colours_per_step_and_the_reasons():
    thresholds = {"max_error_percent": 5}
    steps = c.validate_steps([{"weight": 10, "pause": 30}, {"weight": 100}])
    records = [
        c.step_record(1, steps[0], figures(new_requests=50, new_errors=1), c.verdict(figures(new_requests=50, new_errors=1), "green", "blue", thresholds)),
        c.step_record(2, steps[1], figures(new_requests=100, new_errors=20), c.verdict(figures(new_requests=100, new_errors=20), "green", "blue", thresholds)),
    ]
    assert c.format_table(records) == (
        "step  share  pause  colour  servers  requests  5xx  conn err  resp err  error %  resp ms  verdict\n"
        "   1    10%    30s  green         1        50    1         0         0      2.0        2  pass\n"
        "        90%         blue          1       900    0         0         0      0.0        2\n"
        "   2   100%     0s  green         1       100   20         0         0     20.0        2  fail\n"
        "         0%         blue          1       900    0         0         0      0.0        2\n"
        "step 2: error rate of green 20% > 5% (20 of 100 requests)\n"
    )


PLAN = {"web": {"new": "green", "live": "blue", "routed": True}}
NEW_FRONTENDS = [
    {
        "name": "web",
        "port": 8000,
        "colour": "green",
        "health_path": "/health",
        "backends": [{"name": "web-1-green", "address": "10.0.0.12", "port": 18080}, {"name": "web-2-green", "address": "10.0.0.13", "port": 18080}],
    }
]
LIVE_FRONTENDS = [
    {
        "name": "web",
        "port": 8000,
        "colour": "blue",
        "backends": [{"name": "web-1", "address": "10.0.0.12", "port": 8080}, {"name": "web-2", "address": "10.0.0.13", "port": 8080}],
    },
    {"name": "api", "port": 8001, "colour": "blue", "backends": []},
]


def test_canary_frontends_hold_both_colours_weighted_and_keep_the_live_colour():
    (frontend,) = c.canary_frontends(NEW_FRONTENDS, LIVE_FRONTENDS, PLAN, 10)
    assert frontend["colour"] == "blue"  # a run that stops here leaves the proxy saying blue is live
    assert frontend["weights"] == {"green": 28, "blue": 256}
    servers = [(b["name"], b["colour"]) for b in frontend["backends"]]
    assert servers == [("web-1", "blue"), ("web-2", "blue"), ("web-1-green", "green"), ("web-2-green", "green")]
    assert frontend["health_path"] == "/health" and frontend["port"] == 8000


def test_canary_frontends_are_valid_proxy_frontends():
    from ansible_collections.maestro.docker.plugins.module_utils._docker import haproxy  # noqa: PLC0415 - the proxy's own check

    text = haproxy.render(haproxy.normalize(c.canary_frontends(NEW_FRONTENDS, LIVE_FRONTENDS, PLAN, 50)))
    assert "    server web-1 10.0.0.12:8080 weight 256 check" in text
    assert "    server web-1-green 10.0.0.12:18080 weight 256 check" in text


def test_canary_frontends_need_a_live_colour():
    first = {"web": {"new": "blue", "live": None, "routed": False}}
    with pytest.raises(c.CanaryError) as err:
        c.canary_frontends(NEW_FRONTENDS, [], first, 10)
    assert str(err.value) == (
        "service web: the proxy routes it to no live colour to compare blue with, so a canary cannot judge it; deploy it once without canary steps"
    )


def test_judge_step_gives_a_record_per_service_from_every_proxys_rows():
    stats = [
        {"frontend": "web", "server": "web-1-green", "colour": "green", "req_tot": 30, "hrsp_5xx": 6, "rtime": 3},
        {"frontend": "web", "server": "web-1-green", "colour": "green", "req_tot": 20, "hrsp_5xx": 4, "rtime": 3},
        {"frontend": "web", "server": "web-1", "colour": "blue", "req_tot": 450, "rtime": 2},
        {"frontend": "api", "server": "api-1", "colour": "blue", "req_tot": 99, "hrsp_5xx": 99},
    ]
    (record,) = c.judge_step(1, {"weight": 10, "pause": 30}, stats, PLAN, {"max_error_percent": 5})
    assert (record["service"], record["step"], record["verdict"]) == ("web", 1, "fail")
    assert record["figures"]["green"]["requests"] == 50 and record["figures"]["green"]["errors"] == 10
    assert c.format_table([record]).splitlines() == [
        "step  service  share  pause  colour  servers  requests  5xx  conn err  resp err  error %  resp ms  verdict",
        "   1  web        10%    30s  green         1        50   10         0         0     20.0        3  fail",
        "                 90%         blue          1       450    0         0         0      0.0        2",
        "step 1 web: error rate of green 20% > 5% (10 of 50 requests)",
    ]
