"""Lifecycle check helpers that need no daemon: port resolution, check selection, the http check against a local server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker import lifecycle as _lifecycle

SPEC = {
    "name": "web-1",
    "ports": [
        {"name": "http", "exposed": "8080", "external": "18080"},
        {"name": "range", "exposed": "9000-9001", "external": "19000-19001"},
        {"name": "random", "exposed": "7000", "external": None},
    ],
    "lifecycle": {"running": [{"type": "tcp", "port": "http"}], "pre-stop": None},
}


@pytest.mark.parametrize(("port", "expected"), [("http", 18080), ("range", 19000), (8081, 8081), ("8082", 8082)])
def test_named_ports_resolve_to_their_external_port(port, expected):
    assert _lifecycle.resolve_port(SPEC, port, None) == expected


def test_a_random_host_port_comes_from_inspect():
    inspect = {"NetworkSettings": {"Ports": {"7000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}]}}}
    assert _lifecycle.resolve_port(SPEC, "random", inspect) == 32768
    with pytest.raises(_lifecycle.CheckFailed, match="random host port"):
        _lifecycle.resolve_port(SPEC, "random", {})


def test_unknown_port_name_fails():
    with pytest.raises(_lifecycle.CheckFailed, match="no port named 'nope'"):
        _lifecycle.resolve_port(SPEC, "nope", None)


def test_checks_for_a_state():
    assert _lifecycle.checks_for(SPEC, "running") == [{"type": "tcp", "port": "http"}]
    assert _lifecycle.checks_for(SPEC, "pre-stop") == []
    assert _lifecycle.checks_for({"name": "x"}, "stopped") == []


class _Handler(BaseHTTPRequestHandler):
    """/ok: 200 'ready'; /fail: 500; /moved: 302 to /ok; anything else 404. Records each request's method and path."""

    seen: list = []

    def _answer(self):
        self.seen.append((self.command, self.path))
        status, body, headers = {"/ok": (200, b"ready", {}), "/fail": (500, b"boom", {}), "/moved": (302, b"", {"Location": "/ok"})}.get(
            self.path, (404, b"", {})
        )
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(name="server")
def _server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _check(port, **check):
    spec = {"name": "web-1", "ship_ip": "127.0.0.1", "ports": []}
    return _lifecycle._http({"type": "http", "port": port, "max_wait": 0, **check}, spec, None, None, threading.Event())


def test_http_check_passes_on_200_and_on_a_matching_body(server):
    assert _check(server, path="/ok") == f"http http://127.0.0.1:{server}/ok answered 200"
    assert "matched 'rea.y'" in _check(server, path="/ok", match_regex="rea.y")


@pytest.mark.parametrize(("check", "cause"), [({"path": "/fail"}, "HTTP 500"), ({"path": "/ok", "match_regex": "nope"}, "body did not match 'nope'")])
def test_http_check_fails_naming_the_cause(server, check, cause):
    with pytest.raises(_lifecycle.CheckFailed, match=f"http check http://127.0.0.1:{server}{check['path']} did not pass within 0s: {cause}"):
        _check(server, **check)


def test_http_check_follows_a_redirect_of_a_get_only(server):
    assert "answered 200" in _check(server, path="/moved")
    with pytest.raises(_lifecycle.CheckFailed, match="HTTP 302"):
        _check(server, path="/moved", method="post")
    assert _Handler.seen == [("GET", "/moved"), ("GET", "/ok"), ("POST", "/moved")]


def test_http_check_of_a_closed_port_says_why():
    with pytest.raises(_lifecycle.CheckFailed, match="Connection refused"):
        _check(1)
