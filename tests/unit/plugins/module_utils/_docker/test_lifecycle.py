"""Lifecycle check helpers that need no daemon: port resolution and check selection."""

from __future__ import annotations

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
