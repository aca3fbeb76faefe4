# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""A canary's steps, and the verdict on each from the proxies' own counters: pure logic, no Docker.

A canary moves a share of a frontend's traffic to the new colour, step by step (``validate_steps``), and
during each step's pause reads every proxy's HAProxy statistics (``parse_stats``: the CSV of
``<stats uri>;csv``; ``maestro.docker.proxy_info`` returns its server rows with their colour). The figures of
each colour are summed over every proxy and server (``colour_figures``), and the new colour is compared with
the thresholds the user set and with the live colour (``verdict``): ``pass``, ``fail`` with the reasons, or
``too_few_requests`` while the new colour has not had enough requests for a verdict. ``format_table`` writes
the figures of every step for a person.

Which HAProxy counters make which figure (management guide, section 9.1), per server:

* requests: ``req_tot`` (HTTP requests the server processed; HAProxy 2.6 fills it for servers, the guide lists it
  for frontends and backends only), else the sum of the ``hrsp_*`` response counters;
* 5xx responses: ``hrsp_5xx``;
* connection errors: ``econ`` (the client got an error) plus ``wredis`` (HAProxy could not connect and sent the
  request to another server, so the client saw nothing, but the colour failed it);
* response errors: ``eresp`` (includes ``srv_abrt``);
* response time: ``rtime``, HAProxy's average over the server's last 1024 requests, in ms (``ttime``, the
  whole session, for TCP frontends, where ``rtime`` is 0); a colour's is the average of its servers' weighted by
  their requests.

The error rate is (5xx + connection errors + response errors) / (requests + redispatched requests). A response
error that HAProxy answers with a 502 may count twice, which errs on the side of failing the canary.

Counters start at zero in each HAProxy worker: the weights of a step are applied with a reload, so the figures
read during a step's pause are those of that step.
"""

from __future__ import annotations

import math

from ansible_collections.maestro.docker.plugins.module_utils._docker.haproxy import StatsError, parse_stats, server_rows

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CanaryError",
    "StatsError",
    "canary_frontends",
    "colour_figures",
    "colour_weights",
    "format_table",
    "judge_step",
    "parse_stats",
    "server_rows",
    "validate_steps",
    "validate_thresholds",
    "verdict",
]

PASS, FAIL, TOO_FEW = "pass", "fail", "too_few_requests"
RESPONSE_COUNTERS = ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")
MAX_WEIGHT = 256  # HAProxy's server weights go from 0 to 256
DEFAULT_THRESHOLDS = {
    # the new colour fails above this share of failed requests, in percent
    "max_error_percent": 1.0,
    # the new colour fails when its response time is above this many times the live colour's
    "max_latency_ratio": 1.5,
    # response times below this count as it when they are compared: 1 ms against 3 ms is no regression
    "latency_floor_ms": 20,
    # no verdict on fewer requests to the new colour (a step's verdict waits; only a certain failure fails early)
    "min_requests": 20,
}
STEP_KEYS = ("weight", "pause")


class CanaryError(ValueError):
    """Canary steps or thresholds that cannot be used; the message names the step or the key."""


# ---- steps and thresholds ---------------------------------------------------------------------------
def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_steps(steps) -> list[dict]:
    """The steps of a canary, checked, each ``{weight, pause}`` with both keys present.

    The shape is a list of ``{weight: <percent of the traffic for the new colour>, pause: <seconds>}``, like Argo
    Rollouts' ``setWeight`` and ``pause`` but one dict per step, since every step needs both: the share to set and
    the time to watch it before the verdict. ``weight`` is a share in percent (1-100), not an HAProxy weight, as the
    share of traffic is what a person decides; ``colour_weights`` turns it into server weights. The shares must
    grow, and the last step must be 100: a canary that passes ends with all traffic on the new colour. Every step
    below 100 needs a pause of at least 1 second, or there is nothing to judge it on; the last step is the switch
    itself and takes no pause (a failure after it would need a rollback, not an abort).
    """
    if not isinstance(steps, list) or not steps:
        example = "[{weight: 10, pause: 30}, {weight: 100}]"
        raise CanaryError(f"canary steps must be a non-empty list of {{weight, pause}}, for example {example}, not {steps!r}")
    result = []
    previous = 0
    for number, step in enumerate(steps, start=1):
        where = f"canary step {number}"
        if not isinstance(step, dict):
            raise CanaryError(f"{where}: each step must be a dict with weight and pause, not {step!r}")
        unknown = sorted(set(step) - set(STEP_KEYS))
        if unknown:
            raise CanaryError(f"{where}: unknown keys {', '.join(map(str, unknown))} (a step has weight and pause)")
        weight = step.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            raise CanaryError(f"{where}: weight must be a whole percent of the traffic from 1 to 100, not {weight!r}")
        if weight <= previous:
            raise CanaryError(f"{where}: weight {weight} must be more than the step before's ({previous}): the new colour's share only grows")
        pause = step.get("pause", 0 if weight == 100 else None)
        if not _number(pause) or pause < 0:
            raise CanaryError(f"{where}: pause must be a number of seconds, 0 or more, not {pause!r}")
        if weight < 100 and pause < 1:
            raise CanaryError(f"{where}: a step below 100% needs a pause of at least 1 second to judge it on, not {pause!r}")
        if weight == 100 and pause:
            raise CanaryError(f"{where}: the step at 100% is the switch to the new colour and takes no pause (a verdict after it would need a rollback)")
        result.append({"weight": weight, "pause": pause})
        previous = weight
    if previous != 100:
        raise CanaryError(f"the last canary step must have weight 100 (all traffic on the new colour), not {previous}: add {{weight: 100}}")
    return result


def validate_thresholds(thresholds) -> dict:
    """The thresholds, checked, with the defaults of DEFAULT_THRESHOLDS for those not given (None counts as not given)."""
    if thresholds is None:
        thresholds = {}
    if not isinstance(thresholds, dict):
        raise CanaryError(f"canary thresholds must be a dict, not {thresholds!r}")
    unknown = sorted(set(thresholds) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise CanaryError(f"canary thresholds: unknown keys {', '.join(map(str, unknown))} (known: {', '.join(DEFAULT_THRESHOLDS)})")
    result = {k: (DEFAULT_THRESHOLDS[k] if thresholds.get(k) is None else thresholds[k]) for k in DEFAULT_THRESHOLDS}
    for key, value in result.items():
        if not _number(value) or value < 0:
            raise CanaryError(f"canary thresholds: {key} must be a number, 0 or more, not {value!r}")
    if result["max_error_percent"] > 100:
        raise CanaryError(f"canary thresholds: max_error_percent is a percent, 0 to 100, not {result['max_error_percent']!r}")
    if result["max_latency_ratio"] < 1:
        raise CanaryError(f"canary thresholds: max_latency_ratio must be 1 or more (1.5: half as slow again), not {result['max_latency_ratio']!r}")
    if isinstance(result["min_requests"], float) and not result["min_requests"].is_integer():
        raise CanaryError(f"canary thresholds: min_requests must be a whole number, not {result['min_requests']!r}")
    result["min_requests"] = int(result["min_requests"])
    return result


def checked_steps(steps, thresholds=None) -> list[dict]:
    """The canary's steps, checked, once its thresholds are checked too: what a deploy with a canary needs first."""
    validate_thresholds(thresholds)
    return validate_steps(steps)


def colour_weights(share: int, new_servers: int, live_servers: int) -> tuple[int, int]:
    """HAProxy weights (new colour's servers, live colour's servers) that give the new colour ``share`` percent.

    Each server of a colour gets the same weight, so a colour's share is its weight times its number of servers
    over the total. The larger weight is scaled to 256 (HAProxy's most) for the finest split; a colour with a share
    above 0 keeps a weight of at least 1.
    """
    if not 0 <= share <= 100:
        raise CanaryError(f"a share of traffic is 0 to 100 percent, not {share!r}")
    if share > 0 and new_servers < 1:
        raise CanaryError("the new colour has no server to send a share of the traffic to")
    if share < 100 and live_servers < 1:
        raise CanaryError("the live colour has no server to keep the rest of the traffic")
    per_new = share / new_servers if share else 0.0
    per_live = (100 - share) / live_servers if share < 100 else 0.0
    scale = MAX_WEIGHT / max(per_new, per_live)

    def weight(per: float) -> int:
        return 0 if per == 0 else max(1, min(MAX_WEIGHT, round(per * scale)))

    return weight(per_new), weight(per_live)


# ---- figures and verdict ----------------------------------------------------------------------------
def _count(row: dict, key: str) -> float:
    value = row.get(key)
    return value if _number(value) else 0


def colour_figures(rows: list[dict]) -> dict[str, dict]:
    """Figures per colour from server rows that carry their ``colour`` (``server_rows``, proxy_info's ``stats``).

    Rows of several proxies are summed (a server seen by several proxies counts once in ``servers``). Rows without a
    colour are left out.
    """
    sums: dict[str, dict] = {}
    servers: dict[str, set] = {}
    for row in rows:
        colour = row.get("colour")
        if not colour:
            continue
        req_tot = row.get("req_tot")
        requests = req_tot if isinstance(req_tot, int) and not isinstance(req_tot, bool) else sum(_count(row, k) for k in RESPONSE_COUNTERS)
        tcp = row.get("mode") == "tcp"
        s = sums.setdefault(colour, {**_empty(), "redispatched": 0, "_ms": 0})
        servers.setdefault(colour, set()).add((row.get("frontend"), row.get("server")))
        s["requests"] += requests
        s["responses_5xx"] += _count(row, "hrsp_5xx")
        s["connection_errors"] += _count(row, "econ") + _count(row, "wredis")
        s["redispatched"] += _count(row, "wredis")
        s["response_errors"] += _count(row, "eresp")
        s["_ms"] += _count(row, "ttime" if tcp else "rtime") * requests
    figures = {}
    for colour in sorted(sums):
        s = sums[colour]
        s["servers"] = len(servers[colour])  # a server behind several proxies is one server
        weighted_ms = s.pop("_ms")
        attempts = s["requests"] + s.pop("redispatched")
        errors = s["responses_5xx"] + s["connection_errors"] + s["response_errors"]
        s["errors"] = errors
        s["error_percent"] = round(100.0 * errors / attempts, 2) if attempts else 0.0
        s["response_ms"] = round(weighted_ms / s["requests"], 1) if s["requests"] else None
        figures[colour] = s
    return figures


def _empty() -> dict:
    counts = ("servers", "requests", "responses_5xx", "connection_errors", "response_errors", "errors")
    return {**dict.fromkeys(counts, 0), "error_percent": 0.0, "response_ms": None}


def verdict(figures: dict[str, dict], new: str, live: str | None, thresholds: dict | None = None) -> dict:
    """The verdict on the new colour: ``{verdict: pass|fail|too_few_requests, reasons: [...], ...}``.

    ``fail`` when its error rate is above ``max_error_percent``, or its response time is above ``max_latency_ratio``
    times the live colour's (both counted as at least ``latency_floor_ms``; not compared while the live colour has no
    requests). Under ``min_requests`` requests to the new colour there is no verdict (``too_few_requests``), unless its
    errors already breach the error rate over ``min_requests`` requests, whatever the others would answer: that fails.
    """
    t = validate_thresholds(thresholds)
    mine = figures.get(new) or _empty()
    theirs = (figures.get(live) if live else None) or _empty()
    reasons = []
    enough = mine["requests"] >= t["min_requests"]
    allowed = t["max_error_percent"]
    if enough and mine["error_percent"] > allowed:
        reasons.append(f"error rate of {new} {mine['error_percent']:g}% > {allowed:g}% ({mine['errors']} of {mine['requests']} requests)")
    elif not enough and mine["errors"] > allowed / 100.0 * t["min_requests"]:
        reasons.append(
            f"{new} failed {mine['errors']} requests, more than {allowed:g}% of the {t['min_requests']} needed for a verdict ({mine['requests']} so far)"
        )
    ratio = None
    if mine["response_ms"] is not None and theirs["response_ms"] is not None and theirs["requests"]:
        floor = t["latency_floor_ms"]
        ratio = round(max(mine["response_ms"], floor) / max(theirs["response_ms"], floor, 1e-9), 2)
        if enough and ratio > t["max_latency_ratio"]:
            floored = f" (each counted as at least {floor:g} ms)" if min(mine["response_ms"], theirs["response_ms"]) < floor else ""
            reasons.append(
                f"response time of {new} {mine['response_ms']:g} ms is {ratio:g}x {live}'s {theirs['response_ms']:g} ms{floored} > {t['max_latency_ratio']:g}x"
            )
    if reasons:
        outcome = FAIL
    elif not enough:
        outcome = TOO_FEW
        reasons.append(f"{new} had {mine['requests']} requests, fewer than the {t['min_requests']} needed for a verdict")
    else:
        outcome = PASS
    return {"verdict": outcome, "reasons": reasons, "latency_ratio": ratio, "new": new, "live": live, "thresholds": t}


# ---- the table ----------------------------------------------------------------------------------------
COLUMNS = (
    ("step", ">"),
    ("service", "<"),
    ("share", ">"),
    ("pause", ">"),
    ("colour", "<"),
    ("servers", ">"),
    ("requests", ">"),
    ("5xx", ">"),
    ("conn err", ">"),
    ("resp err", ">"),
    ("error %", ">"),
    ("resp ms", ">"),
    ("verdict", "<"),
)


def step_record(number: int, step: dict, figures: dict[str, dict], judged: dict) -> dict:
    """What the table shows of one step: its number, share and pause, the figures of both colours and the verdict."""
    return {"step": number, "weight": step["weight"], "pause": step.get("pause", 0), "figures": figures, **judged}


def format_table(records: list[dict]) -> str:
    """The figures of every step, two lines a step (new colour first, then live), then the reasons of each verdict."""
    lines = []
    for record in records:
        new, live = record["new"], record.get("live")
        first = True
        for colour in [c for c in (new, live) if c]:
            f = record["figures"].get(colour) or _empty()
            ms = "-" if f["response_ms"] is None else f"{f['response_ms']:g}"
            share = record["weight"] if colour == new else 100 - record["weight"]
            cells = [
                str(record["step"]) if first else "",
                str(record.get("service") or "") if first else "",
                f"{share}%",
                f"{record['pause']:g}s" if first else "",
                colour,
                str(f["servers"]),
                str(f["requests"]),
                str(f["responses_5xx"]),
                str(f["connection_errors"]),
                str(f["response_errors"]),
                f"{f['error_percent']:.1f}",
                ms,
                record["verdict"] if first else "",
            ]
            lines.append(cells)
            first = False
    header = [name for name, _align in COLUMNS]
    if not any(record.get("service") for record in records):  # one service, or figures of no service: no column
        header.pop(1)
        lines = [cells[:1] + cells[2:] for cells in lines]
    widths = [max(len(header[i]), *(len(row[i]) for row in lines)) if lines else len(header[i]) for i in range(len(header))]

    aligns = [align for name, align in COLUMNS if name in header]

    def fmt(cells: list[str]) -> str:
        return "  ".join(f"{cell:{align}{width}}" for cell, align, width in zip(cells, aligns, widths, strict=True)).rstrip()

    out = [fmt(header), *(fmt(cells) for cells in lines)]
    notes = [
        f"step {r['step']}{' ' + r['service'] if r.get('service') else ''}: {reason}"
        for r in records
        if r["verdict"] != PASS
        for reason in r.get("reasons") or []
    ]
    return "\n".join(out + notes) + "\n"


# ---- the deploy role's steps ----------------------------------------------------------------------------
def canary_frontends(new_frontends: list[dict], live_frontends: list[dict], plan: dict, share: int) -> list[dict]:
    """The proxy frontends of one canary step: per planned service, its servers of both colours, weighted for ``share``.

    ``new_frontends`` route each service to its new colour (the deploy's decision), ``live_frontends`` are the ones
    the proxy has now, ``plan`` is ``{service: {new, live}}``. Each frontend keeps the live colour as its ``colour``,
    so a run that stops during the canary leaves the proxy saying which colour is live.
    """
    live_by_name = {f.get("name"): f for f in live_frontends or []}
    result = []
    for frontend in new_frontends:
        service = frontend["name"]
        colours = plan.get(service) or {}
        new, live = colours.get("new"), colours.get("live")
        stored = live_by_name.get(service) or {}
        live_backends = stored.get("backends") or []
        if not live or stored.get("colour") != live or not live_backends:
            raise CanaryError(
                f"service {service}: the proxy routes it to no live colour to compare {new} with, so a canary cannot judge it; "
                "deploy it once without canary steps"
            )
        new_weight, live_weight = colour_weights(share, len(frontend["backends"]), len(live_backends))
        backends = [{**b, "colour": live} for b in live_backends] + [{**b, "colour": new} for b in frontend["backends"]]
        result.append({**frontend, "colour": live, "weights": {new: new_weight, live: live_weight}, "backends": backends})
    return result


def judge_step(number: int, step: dict, stats: list[dict], plan: dict, thresholds: dict | None = None) -> list[dict]:
    """The records of one canary step, one per planned service: its figures (summed over every proxy) and verdict."""
    records = []
    for service in sorted(plan):
        colours = plan[service]
        figures = colour_figures([row for row in stats if row.get("frontend") == service])
        judged = verdict(figures, colours["new"], colours.get("live"), thresholds)
        records.append({**step_record(number, step, figures, judged), "service": service})
    return records
