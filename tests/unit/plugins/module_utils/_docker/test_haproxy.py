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
