# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import shutil
import subprocess

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker import haproxy as h


def fe(name="web", port=8000, backends=None, **kw):
    return {"name": name, "port": port, "backends": backends or [], **kw}


def server(name="web-1", address="10.0.0.12", port=18080):
    return {"name": name, "address": address, "port": port}


def test_normalize_fills_every_key():
    assert h.normalize([fe(backends=[server()])]) == [
        {"name": "web", "port": 8000, "mode": "http", "balance": "roundrobin", "colour": None, "health_path": None, "backends": [server()]}
    ]


@pytest.mark.parametrize(
    ("frontends", "message"),
    [
        ([fe(), fe(port=8001)], "frontend names given more than once: web"),
        ([fe(name="web 1")], "frontend: name 'web 1' must be letters, digits, '-', '_', '.' or ':' only"),
        ([fe(name="web\n    bind :1")], "frontend: name 'web\\n    bind :1' must be letters, digits, '-', '_', '.' or ':' only"),
        ([fe(port=0)], "frontend web: port must be a number from 1 to 65535, not 0"),
        ([fe(port="80")], "frontend web: port must be a number from 1 to 65535, not '80'"),
        ([fe(port=True)], "frontend web: port must be a number from 1 to 65535, not True"),
        ([fe(mode="udp")], "frontend web: mode must be one of http, tcp, not 'udp'"),
        ([fe(balance="uri")], "frontend web: balance must be one of roundrobin, static-rr, leastconn, first, source, not 'uri'"),
        ([fe(colour="blue green")], "frontend web: colour 'blue green' must be letters, digits, '-', '_', '.' or ':' only"),
        ([fe(health_path="health")], "frontend web: health_path 'health' must start with '/' and hold no spaces or control characters"),
        ([fe(health_path="/a b")], "frontend web: health_path '/a b' must start with '/' and hold no spaces or control characters"),
        ([fe(backends=[server(), server()])], "frontend web: backend names given more than once: web-1"),
        ([fe(backends=[server(address="10.0.0.1 backup")])], "frontend web backend web-1: address '10.0.0.1 backup' must be a host name or an IP address"),
        ([fe(backends=[server(port=70000)])], "frontend web backend web-1: port must be a number from 1 to 65535, not 70000"),
        ([fe(backends=["web-1"])], "frontend web: each backend must be a dict, not 'web-1'"),
        ([fe(extra=1)], "frontend web: unknown keys extra"),
        (["web"], "each frontend must be a dict, not 'web'"),
    ],
)
def test_normalize_refuses_what_would_break_the_file(frontends, message):
    with pytest.raises(h.ProxyConfigError) as err:
        h.normalize(frontends)
    assert str(err.value) == message


def test_merge_replaces_by_name_and_keeps_the_others_sorted():
    stored = h.normalize([fe("web", 8000, [server()], colour="blue"), fe("api", 8001)])
    given = h.normalize([fe("web", 8000, [server("web-1-green", port=28080)], colour="green"), fe("admin", 8002)])
    merged = h.merge(stored, given)
    assert [f["name"] for f in merged] == ["admin", "api", "web"]
    assert merged[2]["colour"] == "green" and merged[2]["backends"] == [server("web-1-green", port=28080)]
    assert h.changes(stored, merged) == {"added": ["admin"], "changed": ["web"], "removed": []}


def test_purge_keeps_only_the_given_frontends():
    stored = h.normalize([fe("web", 8000), fe("api", 8001)])
    merged = h.merge(stored, h.normalize([fe("api", 8001)]), purge=True)
    assert [f["name"] for f in merged] == ["api"]
    assert h.changes(stored, merged) == {"added": [], "changed": [], "removed": ["web"]}


def test_merge_refuses_two_frontends_on_one_port_also_against_stored_ones():
    stored = h.normalize([fe("web", 8000)])
    with pytest.raises(h.ProxyConfigError, match=r"^frontends api and web both listen on port 8000$"):
        h.merge(stored, h.normalize([fe("api", 8000)]))
    # a stored frontend that moves its port is no clash with itself
    assert h.merge(stored, h.normalize([fe("web", 9000)]))[0]["port"] == 9000


def test_render_is_deterministic_and_stores_the_frontends_in_its_first_line():
    frontends = h.merge([], h.normalize([fe("web", 8000, [server()], colour="green", health_path="/health"), fe("db", 5432, mode="tcp")]))
    text = h.render(frontends, drain_timeout=12)
    assert text == h.render(h.merge([], list(reversed(frontends))), drain_timeout=12)
    first = text.splitlines()[0]
    assert first.startswith("# maestro-state: ")
    assert json.loads(first[len("# maestro-state: ") :]) == {"version": 1, "frontends": frontends}
    assert "    hard-stop-after 12s\n" in text
    assert text.index("frontend db") < text.index("frontend web")
    web = text[text.index("frontend web") :]
    assert web.splitlines() == [
        "frontend web",
        "    # colour: green",
        "    bind :8000",
        "    mode http",
        "    option forwardfor",
        "    option httpclose",
        "    default_backend web",
        "",
        "backend web",
        "    mode http",
        "    balance roundrobin",
        "    option httpchk GET /health",
        "    server web-1 10.0.0.12:18080 check inter 1s fall 2 rise 1",
    ]
    db = text[text.index("frontend db") : text.index("frontend web")]
    assert "option httpclose" not in db and "option forwardfor" not in db and "    mode tcp\n" in db


def test_render_keepalive_and_no_health_checks():
    text = h.render(h.normalize([fe(backends=[server(address="fd00::12")])]), keepalive=True)
    assert "    option http-keep-alive\n" in text and "httpclose" not in text
    assert "    server web-1 [fd00::12]:18080\n" in text
    assert "httpchk" not in text


def test_merge_refuses_to_leave_no_frontend():
    message = "no frontends: HAProxy does not start without a listener; give at least one frontend, or remove the proxy with state=absent"
    with pytest.raises(h.ProxyConfigError, match=f"^{message}$"):
        h.merge([], [])
    with pytest.raises(h.ProxyConfigError, match=f"^{message}$"):
        h.merge(h.normalize([fe()]), [], purge=True)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "global\n    daemon\n",
        "# maestro-state: {not json\n",
        '# maestro-state: {"version": 1}\n',
        '# maestro-state: {"frontends": [{"name": "a b"}]}\n',
    ],
)
def test_parse_state_of_other_files_is_none(text):
    assert h.parse_state(text) is None


def test_parse_state_reads_back_what_render_wrote():
    frontends = h.merge([], h.normalize([fe("web", 8000, [server()], colour="blue"), fe("api", 8001)]))
    assert h.parse_state(h.render(frontends)) == frontends


def test_check_messages_drops_the_notice_banner():
    output = (
        "[NOTICE]   (12) : haproxy version is 2.6.12\n[NOTICE]   (12) : path to executable is /usr/sbin/haproxy\n"
        "[ALERT]    (12) : config : parsing [x.cfg:3] : unknown keyword 'bindd'\n[ALERT]    (12) : config : Fatal errors found in configuration.\n"
    )
    assert h.check_messages(output) == (
        "[ALERT]    (12) : config : parsing [x.cfg:3] : unknown keyword 'bindd' | [ALERT]    (12) : config : Fatal errors found in configuration."
    )
    assert h.check_messages("") == "(no output)"


@pytest.mark.skipif(not shutil.which("haproxy"), reason="needs the haproxy binary")
def test_haproxy_accepts_the_rendered_file(tmp_path):
    frontends = h.merge(
        [],
        h.normalize(
            [
                fe("web", 18000, [server(), server("web-2", "fd00::13")], colour="blue", health_path="/health", balance="leastconn"),
                fe("db", 15432, mode="tcp", backends=[server("db-1", port=5432)]),
                fe("empty", 18001),
            ]
        ),
    )
    path = tmp_path / "haproxy.cfg"
    path.write_text(h.render(frontends))
    proc = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout + proc.stderr


def canary_frontend(**kw):
    backends = [server("web-1", port=8080), server("web-2", "10.0.0.13", 8080), {**server("web-1-green", port=18080), "colour": "green"}]
    return fe("web", 8000, backends, **{"colour": "blue", "health_path": "/health", "weights": {"green": 10, "blue": 90}, **kw})


def test_weights_per_colour_render_on_every_server_of_that_colour():
    frontends = h.merge([], h.normalize([canary_frontend()]))
    assert frontends[0]["weights"] == {"blue": 90, "green": 10}
    text = h.render(frontends)
    assert [line for line in text.splitlines() if line.startswith("    server ")] == [
        "    server web-1 10.0.0.12:8080 weight 90 check inter 1s fall 2 rise 1",
        "    server web-2 10.0.0.13:8080 weight 90 check inter 1s fall 2 rise 1",
        "    server web-1-green 10.0.0.12:18080 weight 10 check inter 1s fall 2 rise 1",
    ]
    assert text == h.render(h.merge([], h.normalize([canary_frontend()])))
    assert h.parse_state(text) == frontends


def test_a_frontend_without_weights_renders_and_stores_as_before_they_existed():
    # the same stored state line and file as before weights, colours of backends and stats: no reload on upgrade
    frontends = h.normalize([fe("web", 8000, [{**server(), "colour": None}], colour="blue", weights=None)])
    assert frontends == [{"name": "web", "port": 8000, "mode": "http", "balance": "roundrobin", "colour": "blue", "health_path": None, "backends": [server()]}]
    assert h.state_line(frontends, None) == (
        '# maestro-state: {"frontends":[{"backends":[{"address":"10.0.0.12","name":"web-1","port":18080}],"balance":"roundrobin",'
        '"colour":"blue","health_path":null,"mode":"http","name":"web","port":8000}],"version":1}'
    )
    assert " weight " not in h.render(frontends)


@pytest.mark.parametrize(
    ("frontend", "message"),
    [
        (fe(weights={}), "frontend web: weights must be a dict of colour: weight (0 to 256), for example {green: 10, blue: 90}, not {}"),
        (canary_frontend(weights={"green": 300, "blue": 1}), "frontend web: weight of colour green must be a number from 0 to 256, not 300"),
        (canary_frontend(weights={"green": "10", "blue": 1}), "frontend web: weight of colour green must be a number from 0 to 256, not '10'"),
        (canary_frontend(weights={"green": 10}), "frontend web backend web-1: with weights, every server needs a colour that has a weight (green), not 'blue'"),
        (canary_frontend(weights={"gr een": 10, "blue": 1}), "frontend web: weights colour 'gr een' must be letters, digits, '-', '_', '.' or ':' only"),
        (
            fe(backends=[server()], weights={"green": 1}),
            "frontend web backend web-1: with weights, every server needs a colour that has a weight (green), not None",
        ),
        (fe(backends=[{**server(), "colour": "bl ue"}]), "frontend web backend web-1: colour 'bl ue' must be letters, digits, '-', '_', '.' or ':' only"),
    ],
)
def test_weights_are_refused_with_the_frontend_and_server_named(frontend, message):
    with pytest.raises(h.ProxyConfigError) as err:
        h.normalize([frontend])
    assert str(err.value) == message


def test_set_weights_changes_only_the_weights_of_the_named_frontends():
    frontends = h.merge([], h.normalize([canary_frontend(), fe("api", 8001)]))
    changed = h.set_weights(frontends, {"web": {"green": 50, "blue": 50}})
    assert changed[1] == {**frontends[1], "weights": {"blue": 50, "green": 50}}
    assert changed[0] is frontends[0]
    assert h.set_weights(frontends, None) is frontends
    with pytest.raises(h.ProxyConfigError, match=r"^weights name frontends the proxy does not have: admin \(it has api, web\)$"):
        h.set_weights(frontends, {"admin": {"green": 1}})
    with pytest.raises(h.ProxyConfigError, match=r"^frontend web backend web-1: with weights, every server needs a colour"):
        h.set_weights(frontends, {"web": {"green": 100}})


def test_stats_listener_renders_last_and_is_stored():
    frontends = h.normalize([fe(backends=[server()])])
    stats = h.normalize_stats({"port": 8404, "address": None})
    text = h.render(frontends, stats=stats)
    assert text.endswith(
        "\nfrontend maestro-stats\n"
        "    # HAProxy's statistics, read by maestro.docker.proxy_info (CSV at /stats;csv)\n"
        "    bind :8404\n"
        "    mode http\n"
        "    option httpclose\n"
        "    stats enable\n"
        "    stats uri /stats\n"
    )
    assert h.parse_state_stats(text) == {"port": 8404, "address": ""}
    assert h.parse_state(text) == frontends
    assert "    bind 10.0.0.11:8404\n" in h.render(frontends, stats=h.normalize_stats({"port": 8404, "address": "10.0.0.11"}))
    assert "    bind [fd00::11]:8404\n" in h.render(frontends, stats=h.normalize_stats({"port": 8404, "address": "fd00::11"}))
    assert h.parse_state_stats(h.render(frontends)) is None
    assert "maestro-stats" not in h.render(frontends)


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ({"port": 70000}, "stats: port must be a number from 1 to 65535, not 70000"),
        ({"port": 8404, "address": "0.0.0.0 ssl"}, "stats: address '0.0.0.0 ssl' must be an IP address or host name to bind, or empty for every address"),
        ({"port": 8404, "user": "x"}, "stats: unknown keys user"),
        ("8404", "stats must be a dict with port and address, not '8404'"),
    ],
)
def test_stats_listener_is_refused_with_a_clear_message(stats, message):
    with pytest.raises(h.ProxyConfigError) as err:
        h.normalize_stats(stats)
    assert str(err.value) == message


def test_stats_listener_port_zero_means_none_and_clashes_are_refused():
    assert h.normalize_stats({"port": 0}) is None
    assert h.normalize_stats(None) is None
    frontends = h.normalize([fe(port=8404)])
    with pytest.raises(h.ProxyConfigError, match="^the statistics listener and frontend web both listen on port 8404$"):
        h.check_stats({"port": 8404, "address": ""}, frontends)
    with pytest.raises(h.ProxyConfigError, match="^frontend maestro-stats: the name is the statistics listener's; give the frontend another$"):
        h.check_stats(None, h.normalize([fe("maestro-stats")]))


@pytest.mark.skipif(not shutil.which("haproxy"), reason="needs the haproxy binary")
def test_haproxy_accepts_weights_and_the_stats_listener(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(
        h.render(h.normalize([canary_frontend(), fe("db", 15432, mode="tcp", backends=[server("db-1", port=5432)])]), stats={"port": 18404, "address": ""})
    )
    proc = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout + proc.stderr


def test_health_endpoint_renders_last_fails_when_a_frontend_has_no_server_up_and_is_stored():
    frontends = h.normalize([fe(backends=[server()]), fe("db", 15432, mode="tcp", backends=[server("db-1", port=5432)])])
    text = h.render(frontends, health=h.normalize_health({"port": 8405}))
    assert text.endswith(
        "\nfrontend maestro-health\n"
        "    # Whether this proxy is fit: 200 while every frontend has a server up, else 503 (keepalived, load balancers)\n"
        "    bind :8405\n"
        "    mode http\n"
        "    option httpclose\n"
        "    monitor-uri /maestro/health\n"
        "    monitor fail if { nbsrv(web) lt 1 } || { nbsrv(db) lt 1 }\n"
    )
    assert h.parse_state_health(text) == {"port": 8405}
    assert h.parse_state_stats(text) is None and h.parse_state(text) == frontends
    assert h.parse_state_health(h.render(frontends)) is None and "maestro-health" not in h.render(frontends)
    # no frontend yet: the endpoint answers 200 as long as HAProxy runs
    assert h.render([], health={"port": 8405}).endswith("    monitor-uri /maestro/health\n")


@pytest.mark.parametrize(
    ("health", "message"),
    [
        ({"port": 70000}, "health: port must be a number from 1 to 65535, not 70000"),
        ({"port": 8405, "uri": "/x"}, "health: unknown keys uri"),
        (8405, "health must be a dict with port, not 8405"),
    ],
)
def test_health_endpoint_is_refused_with_a_clear_message(health, message):
    with pytest.raises(h.ProxyConfigError) as err:
        h.normalize_health(health)
    assert str(err.value) == message


def test_health_endpoint_port_zero_means_none_and_clashes_are_refused():
    assert h.normalize_health({"port": 0}) is None and h.normalize_health(None) is None
    with pytest.raises(h.ProxyConfigError, match="^the health endpoint and frontend web both listen on port 8405$"):
        h.check_stats(None, h.normalize([fe(port=8405)]), {"port": 8405})
    with pytest.raises(h.ProxyConfigError, match="^the statistics listener and the health endpoint both listen on port 8404$"):
        h.check_stats({"port": 8404, "address": ""}, [], {"port": 8404})
    with pytest.raises(h.ProxyConfigError, match="^frontend maestro-health: the name is the health endpoint's; give the frontend another$"):
        h.check_stats(None, h.normalize([fe("maestro-health")]), None)


@pytest.mark.skipif(not shutil.which("haproxy"), reason="needs the haproxy binary")
def test_haproxy_accepts_the_health_endpoint(tmp_path):
    path = tmp_path / "haproxy.cfg"
    frontends = h.normalize([canary_frontend(), fe("db", 15432, mode="tcp", backends=[server("db-1", port=5432)])])
    path.write_text(h.render(frontends, stats={"port": 18404, "address": ""}, health={"port": 18405}))
    proc = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout + proc.stderr
