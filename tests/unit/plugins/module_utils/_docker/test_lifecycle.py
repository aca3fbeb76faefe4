"""Lifecycle check helpers that need no daemon: port resolution, check selection, the http check against a local server."""

from __future__ import annotations

import json
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


# --- exec checks: a real subprocess on the controller --------------------------------------------------------------

IMAGE_INSPECT = {"Config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FROM_IMAGE=1"]}}


@pytest.fixture
def tool_dir(tmp_path, monkeypatch):
    """A directory on the controller's PATH holding ``probe``, which writes its environment and stdin to files and exits 0."""
    probe = tmp_path / "bin" / "probe"
    probe.parent.mkdir()
    probe.write_text('#!/bin/sh\nenv > "$PROBE_OUT.env"\ncat > "$PROBE_OUT.stdin"\nexit 0\n')
    probe.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % probe.parent)
    monkeypatch.setenv("PROBE_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("CONTROLLER_ONLY", "yes")
    monkeypatch.setenv("OVERRIDDEN", "controller")
    return tmp_path


def _run_exec(check, env):
    spec = {"name": "web-1", "env": env}
    return _lifecycle._exec({"type": "exec", "attempts": 1, **check}, spec, IMAGE_INSPECT, None, threading.Event())


def _env_file(tmp_path) -> dict:
    lines = (tmp_path / "out.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_exec_check_finds_its_command_on_the_controllers_path(tool_dir):
    assert _run_exec({"command": "probe"}, {"GREETING": "hello"}) == "exec probe exited 0"
    seen = _env_file(tool_dir)
    assert seen["PATH"].startswith(str(tool_dir / "bin"))  # the image's PATH did not replace it
    assert seen["GREETING"] == "hello"
    assert seen["CONTROLLER_ONLY"] == "yes"
    assert "FROM_IMAGE" not in seen  # the configured env, not the inspected one


def test_exec_check_env_is_the_controllers_then_the_configured_one():
    environ = {"PATH": "/c", "OVERRIDDEN": "controller", "DROPPED": "x"}
    env = _lifecycle.check_env({"env": {"OVERRIDDEN": "instance", "PORT": 8080, "DROPPED": None}}, environ)
    assert env == {"PATH": "/c", "OVERRIDDEN": "instance", "PORT": "8080"}


def test_exec_check_from_stdin_gets_the_env_as_json_and_keeps_the_controllers(tool_dir):
    assert _run_exec({"command": "probe", "envfrom": "stdin"}, {"OVERRIDDEN": "instance", "GREETING": "hello"}).endswith("exited 0")
    given = json.loads((tool_dir / "out.stdin").read_text())
    assert given["GREETING"] == "hello"
    assert given["OVERRIDDEN"] == "instance"
    assert given["CONTROLLER_ONLY"] == "yes"  # maestro-ng: the controller's environment + the container's
    seen = _env_file(tool_dir)
    assert seen["OVERRIDDEN"] == "controller"  # the process itself runs with the controller's environment
    assert "GREETING" not in seen


def test_exec_check_of_a_missing_command_fails_naming_the_cause(tool_dir):
    with pytest.raises(_lifecycle.CheckFailed, match="No such file"):
        _run_exec({"command": "not-a-probe"}, {})
