# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The HAProxy configuration of a maestro proxy: frontends in, haproxy.cfg text out, and back.

Pure logic, no Docker: :func:`normalize` checks the frontends a task gives (values end up in a
configuration file, so nothing may carry whitespace or a line break into it), :func:`merge` combines
them with the frontends already stored, :func:`render` writes the whole file deterministically, and
:func:`parse_state` reads the stored frontends back from the ``# maestro-state:`` line at its top.
"""

from __future__ import annotations

import json
import re

STATE_PREFIX = "# maestro-state: "
STATE_VERSION = 1
MODES = ("http", "tcp")
BALANCE = ("roundrobin", "static-rr", "leastconn", "first", "source")
# HAProxy's identifiers: letters, digits, '-', '_', '.' and ':'.
NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
# Addresses: host names, IPv4, IPv6 in brackets or bare; never whitespace, '#' or quotes.
ADDRESS = re.compile(r"^[A-Za-z0-9_.:\[\]-]+$")
PATH = re.compile(r"^/[\x21-\x7e]*$")
CHECK = "check inter 1s fall 2 rise 1"
MAX_WEIGHT = 256  # HAProxy's server weights go from 0 (no traffic) to 256
STATS_NAME = "maestro-stats"  # the section of the statistics listener; no frontend may take its name
STATS_URI = "/stats"  # HAProxy answers its statistics as CSV at /stats;csv
HEALTH_NAME = "maestro-health"  # the section of the health endpoint; no frontend may take its name
HEALTH_URI = "/maestro/health"  # 200 while the proxy is fit (every frontend has a server up), else 503


class ProxyConfigError(ValueError):
    """Frontends that cannot make a valid configuration; the message names the frontend and the key."""


def _port(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ProxyConfigError(f"{where}: port must be a number from 1 to 65535, not {value!r}")
    return value


def _name(value, where: str, what: str = "name") -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise ProxyConfigError(f"{where}: {what} {value!r} must be letters, digits, '-', '_', '.' or ':' only")
    return value


def normalize_frontend(frontend: dict) -> dict:
    """One frontend with every key present, checked; raises ProxyConfigError."""
    if not isinstance(frontend, dict):
        raise ProxyConfigError(f"each frontend must be a dict, not {frontend!r}")
    name = _name(frontend.get("name"), "frontend")
    where = f"frontend {name}"
    unknown = sorted(set(frontend) - {"name", "port", "mode", "backends", "colour", "health_path", "balance", "weights"})
    if unknown:
        raise ProxyConfigError(f"{where}: unknown keys {', '.join(unknown)}")
    mode = frontend.get("mode") or "http"
    if mode not in MODES:
        raise ProxyConfigError(f"{where}: mode must be one of {', '.join(MODES)}, not {mode!r}")
    balance = frontend.get("balance") or "roundrobin"
    if balance not in BALANCE:
        raise ProxyConfigError(f"{where}: balance must be one of {', '.join(BALANCE)}, not {balance!r}")
    colour = frontend.get("colour")
    if colour is not None:
        colour = _name(colour, where, "colour")
    health = frontend.get("health_path")
    if health is not None and (not isinstance(health, str) or not PATH.match(health)):
        raise ProxyConfigError(f"{where}: health_path {health!r} must start with '/' and hold no spaces or control characters")
    backends = []
    for backend in frontend.get("backends") or []:
        if not isinstance(backend, dict):
            raise ProxyConfigError(f"{where}: each backend must be a dict, not {backend!r}")
        bname = _name(backend.get("name"), f"{where} backend")
        address = backend.get("address")
        if not isinstance(address, str) or not ADDRESS.match(address):
            raise ProxyConfigError(f"{where} backend {bname}: address {address!r} must be a host name or an IP address")
        entry = {"name": bname, "address": address, "port": _port(backend.get("port"), f"{where} backend {bname}")}
        if backend.get("colour") is not None:
            entry["colour"] = _name(backend["colour"], f"{where} backend {bname}", "colour")
        backends.append(entry)
    names = [b["name"] for b in backends]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ProxyConfigError(f"{where}: backend names given more than once: {', '.join(dupes)}")
    result = {
        "name": name,
        "port": _port(frontend.get("port"), where),
        "mode": mode,
        "balance": balance,
        "colour": colour,
        "health_path": health,
        "backends": backends,
    }
    # Weights (and a backend's own colour) are stored only when set, so that the configuration of a proxy that
    # has none stays the same text as before they existed: upgrading the collection reloads no proxy.
    if frontend.get("weights") is not None:
        result["weights"] = check_weights(result, frontend["weights"])
    return result


def check_weights(frontend: dict, weights) -> dict:
    """A frontend's weights per colour, checked against its servers: every server's colour needs a weight (0-256)."""
    where = f"frontend {frontend['name']}"
    if not isinstance(weights, dict) or not weights:
        raise ProxyConfigError(f"{where}: weights must be a dict of colour: weight (0 to 256), for example {{green: 10, blue: 90}}, not {weights!r}")
    checked = {}
    for colour in sorted(weights, key=str):
        value = weights[colour]
        _name(colour, where, "weights colour")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
            raise ProxyConfigError(f"{where}: weight of colour {colour} must be a number from 0 to {MAX_WEIGHT}, not {value!r}")
        checked[colour] = value
    for backend in frontend["backends"]:
        server_colour = backend.get("colour") or frontend.get("colour")
        if server_colour not in checked:
            raise ProxyConfigError(
                f"{where} backend {backend['name']}: with weights, every server needs a colour that has a weight ({', '.join(checked)}), not {server_colour!r}"
            )
    return checked


def set_weights(frontends: list[dict], weights: dict | None) -> list[dict]:
    """The frontends with the weights of ``weights`` ({frontend name: {colour: weight}}) in place of their own."""
    if not weights:
        return frontends
    if not isinstance(weights, dict):
        raise ProxyConfigError(f"weights must be a dict of frontend name: {{colour: weight}}, not {weights!r}")
    by_name = {f["name"]: f for f in frontends}
    unknown = sorted(set(weights) - set(by_name), key=str)
    if unknown:
        raise ProxyConfigError(f"weights name frontends the proxy does not have: {', '.join(map(str, unknown))} (it has {', '.join(sorted(by_name))})")
    return [{**f, "weights": check_weights(f, weights[f["name"]])} if f["name"] in weights else f for f in frontends]


def normalize(frontends: list | None) -> list[dict]:
    result = [normalize_frontend(f) for f in frontends or []]
    names = [f["name"] for f in result]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ProxyConfigError(f"frontend names given more than once: {', '.join(dupes)}")
    return result


def merge(stored: list[dict], given: list[dict], purge: bool = False) -> list[dict]:
    """Given frontends replace stored ones of the same name; other stored ones stay unless ``purge``.

    At least one frontend must remain (HAProxy exits when it has nothing to listen on). Sorted by name,
    so the same set of frontends always renders the same file. Two frontends on one port are refused
    (HAProxy's check would pass, and the reload would fail to bind).
    """
    by_name = {} if purge else {f["name"]: f for f in stored}
    by_name.update({f["name"]: f for f in given})
    merged = [by_name[n] for n in sorted(by_name)]
    if not merged:
        raise ProxyConfigError("no frontends: HAProxy does not start without a listener; give at least one frontend, or remove the proxy with state=absent")
    ports: dict[int, str] = {}
    for frontend in merged:
        other = ports.setdefault(frontend["port"], frontend["name"])
        if other != frontend["name"]:
            raise ProxyConfigError(f"frontends {other} and {frontend['name']} both listen on port {frontend['port']}")
    return merged


def changes(stored: list[dict], merged: list[dict]) -> dict:
    """Names of the frontends added, changed and removed from ``stored`` to ``merged``."""
    before, after = {f["name"]: f for f in stored}, {f["name"]: f for f in merged}
    return {
        "added": sorted(set(after) - set(before)),
        "changed": sorted(n for n in set(after) & set(before) if after[n] != before[n]),
        "removed": sorted(set(before) - set(after)),
    }


def state_line(frontends: list[dict], stats: dict | None = None, health: dict | None = None) -> str:
    state = {"version": STATE_VERSION, "frontends": frontends}
    if stats:
        state["stats"] = stats
    if health:
        state["health"] = health
    return STATE_PREFIX + json.dumps(state, sort_keys=True, separators=(",", ":"))


def normalize_stats(stats) -> dict | None:
    """The statistics listener ``{port, address}``, checked; None for port 0 (no listener) or no stats at all."""
    if stats is None:
        return None
    if not isinstance(stats, dict):
        raise ProxyConfigError(f"stats must be a dict with port and address, not {stats!r}")
    unknown = sorted(set(stats) - {"port", "address"}, key=str)
    if unknown:
        raise ProxyConfigError(f"stats: unknown keys {', '.join(map(str, unknown))}")
    if stats.get("port") == 0 and not isinstance(stats.get("port"), bool):
        return None
    port = _port(stats.get("port"), "stats")
    address = stats.get("address") or ""
    if address and (not isinstance(address, str) or not ADDRESS.match(address)):
        raise ProxyConfigError(f"stats: address {address!r} must be an IP address or host name to bind, or empty for every address")
    return {"port": port, "address": address}


def check_stats(stats: dict | None, frontends: list[dict], health: dict | None = None) -> None:
    """Refuse a statistics listener or health endpoint on a frontend's port (or each other's), and a frontend that takes
    their sections' names."""
    for frontend in frontends:
        for section, listener, what in ((STATS_NAME, stats, "the statistics listener"), (HEALTH_NAME, health, "the health endpoint")):
            if frontend["name"] == section:
                raise ProxyConfigError(f"frontend {section}: the name is {what}'s; give the frontend another")
            if listener and frontend["port"] == listener["port"]:
                raise ProxyConfigError(f"{what} and frontend {frontend['name']} both listen on port {listener['port']}")
    if stats and health and stats["port"] == health["port"]:
        raise ProxyConfigError(f"the statistics listener and the health endpoint both listen on port {stats['port']}")


def normalize_health(health) -> dict | None:
    """The health endpoint ``{port}``, checked; None for port 0 (no endpoint) or none at all."""
    if health is None:
        return None
    if not isinstance(health, dict):
        raise ProxyConfigError(f"health must be a dict with port, not {health!r}")
    unknown = sorted(set(health) - {"port"}, key=str)
    if unknown:
        raise ProxyConfigError(f"health: unknown keys {', '.join(map(str, unknown))}")
    if health.get("port") == 0 and not isinstance(health.get("port"), bool):
        return None
    return {"port": _port(health.get("port"), "health")}


def parse_state_health(text: str | None) -> dict | None:
    """The health endpoint stored in a configuration this module wrote; None when it has none (or is another file)."""
    for line in (text or "").splitlines():
        if line.startswith(STATE_PREFIX):
            try:
                return normalize_health(json.loads(line[len(STATE_PREFIX) :]).get("health"))
            except (ValueError, AttributeError, ProxyConfigError):
                return None
    return None


def parse_state_stats(text: str | None) -> dict | None:
    """The statistics listener stored in a configuration this module wrote; None when it has none (or is another file)."""
    for line in (text or "").splitlines():
        if line.startswith(STATE_PREFIX):
            try:
                return normalize_stats(json.loads(line[len(STATE_PREFIX) :]).get("stats"))
            except (ValueError, AttributeError, ProxyConfigError):
                return None
    return None


def parse_state(text: str | None) -> list[dict] | None:
    """The frontends stored in a configuration this module wrote; None for any other text (or none)."""
    for line in (text or "").splitlines():
        if not line.startswith(STATE_PREFIX):
            continue
        try:
            data = json.loads(line[len(STATE_PREFIX) :])
            return normalize(data["frontends"])
        except (ValueError, KeyError, TypeError):
            return None
    return None


def render(frontends: list[dict], *, drain_timeout: int = 30, keepalive: bool = False, stats: dict | None = None, health: dict | None = None) -> str:
    """The whole haproxy.cfg for these (normalized, merged) frontends, and the statistics listener ``stats``, if any.

    A frontend with ``weights`` gives each server the weight of its colour (its backend's colour, else the
    frontend's), so one backend can hold both colours' servers and split the traffic between them. The
    statistics listener answers HAProxy's statistics page at ``/stats`` on its port, as CSV at ``/stats;csv``.
    The health endpoint ``health`` answers ``/maestro/health`` on its port (every address): 200 while every frontend
    has a server up, 503 when one has none; keepalived and a user's own load balancer ask it whether the proxy is fit.

    keepalive=False closes every client connection after its response (``option httpclose``): an old
    worker that stops after a reload then never closes an idle keep-alive connection under a client
    that is just sending on it, which measured as ~1.5 failed requests per reload for keep-alive clients.
    """
    lines = [
        state_line(frontends, stats, health),
        "# Written by maestro.docker.proxy: changes made by hand are replaced at its next run.",
        "global",
        f"    hard-stop-after {int(drain_timeout)}s",
        "",
        "defaults",
        # A ship lost (its link cut) still holds a request sent to it until the health checks (inter 1s, fall 2) take it
        # out: a short connect timeout sends that request to another server (redispatch) before a client gives up.
        "    timeout connect 1s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    option redispatch",
        "    retries 3",
    ]
    for f in frontends:
        name, mode = f["name"], f["mode"]
        lines += ["", f"frontend {name}"]
        if f.get("colour"):
            lines.append(f"    # colour: {f['colour']}")
        lines += [f"    bind :{f['port']}", f"    mode {mode}"]
        if mode == "http":
            lines += ["    option forwardfor", "    option http-keep-alive" if keepalive else "    option httpclose"]
        lines += [f"    default_backend {name}", "", f"backend {name}", f"    mode {mode}", f"    balance {f['balance']}"]
        if f.get("health_path"):
            lines.append(f"    option httpchk GET {f['health_path']}")
        check = f" {CHECK}" if f.get("health_path") else ""
        weights = f.get("weights") or {}

        def weight(backend: dict, weights: dict = weights, colour: str | None = f.get("colour")) -> str:
            return f" weight {weights[backend.get('colour') or colour]}" if weights else ""

        lines += [f"    server {b['name']} {_host(b['address'])}:{b['port']}{weight(b)}{check}" for b in f["backends"]]
    if stats:
        lines += [
            "",
            f"frontend {STATS_NAME}",
            "    # HAProxy's statistics, read by maestro.docker.proxy_info (CSV at /stats;csv)",
            f"    bind {_host(stats['address']) if stats['address'] else ''}:{stats['port']}",
            "    mode http",
            "    option httpclose",
            "    stats enable",
            f"    stats uri {STATS_URI}",
        ]
    if health:
        lines += [
            "",
            f"frontend {HEALTH_NAME}",
            "    # Whether this proxy is fit: 200 while every frontend has a server up, else 503 (keepalived, load balancers)",
            f"    bind :{health['port']}",
            "    mode http",
            "    option httpclose",
            f"    monitor-uri {HEALTH_URI}",
        ]
        if frontends:
            lines.append("    monitor fail if " + " || ".join(f"{{ nbsrv({f['name']}) lt 1 }}" for f in frontends))
    return "\n".join(lines) + "\n"


def _host(address: str) -> str:
    """IPv6 addresses in brackets, as HAProxy wants them before ':port'."""
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def check_messages(output: str) -> str:
    """HAProxy's ``-c`` output without its [NOTICE] banner lines, on one line."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and "[NOTICE]" not in line]
    return " | ".join(lines) or output.strip() or "(no output)"


# ---- statistics ----------------------------------------------------------------------------------
# HAProxy's statistics as CSV (``show stat`` on the runtime API, ``<stats uri>;csv`` over HTTP): a header line
# ``# pxname,svname,...`` then one line per frontend, backend and server (management guide, section 9.1 "CSV
# format"). Fields are read by their header names, never by position, as the guide asks.
SERVER_TYPE = 2  # the ``type`` field: 0 frontend, 1 backend, 2 server, 3 listener
TEXT_FIELDS = ("pxname", "svname", "status", "mode", "check_status", "addr", "cookie", "algo")
TEXT_FIELDS += ("check_desc", "agent_desc", "agent_status", "last_chk", "last_agt")


class StatsError(ValueError):
    """Text that is not HAProxy's statistics CSV; the message says what was wrong with it."""


def parse_stats(text: str) -> list[dict]:
    """Every line of HAProxy's statistics CSV as a dict by field name; numbers as int, empty fields as None."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# pxname,svname"):
        head = lines[0][:60] if lines else "(nothing)"
        raise StatsError(f"not HAProxy's statistics CSV: it starts with {head!r}, not '# pxname,svname'")
    header = [name.strip() for name in lines[0][2:].split(",")]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = line.split(",")
        if len(values) < 2:
            raise StatsError(f"line {number} of the statistics CSV has {len(values)} field(s): {line[:60]!r}")
        row = {}
        for name, value in zip(header, values, strict=False):  # a line may end early
            if not name or name == "-":
                continue
            row[name] = _stat_value(name, value)
        rows.append(row)
    return rows


def _stat_value(name: str, value: str):
    if value == "":
        return None
    if name in TEXT_FIELDS:
        return value
    try:
        return int(value)
    except ValueError:
        return value


def server_rows(rows: list[dict], frontends: list[dict]) -> list[dict]:
    """The statistics of the servers of these (stored) frontends, each with its ``frontend`` and ``colour``.

    A server's colour is its backend's ``colour``, else its frontend's. Rows of other proxies and servers (and of
    frontends and backends as a whole) are left out.
    """
    colours = {(f["name"], b["name"]): b.get("colour") or f.get("colour") for f in frontends for b in f["backends"]}
    found = []
    for row in rows:
        key = (row.get("pxname"), row.get("svname"))
        if row.get("type") == SERVER_TYPE and key in colours:
            found.append({"frontend": key[0], "server": key[1], "colour": colours[key], **{k: v for k, v in row.items() if k not in ("pxname", "svname")}})
    return found
