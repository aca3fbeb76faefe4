# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import time

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import At, Loc, Source
from ansible_collections.maestro.docker.plugins.plugin_utils._config.ports import Claim, clash_message, clashes, held_range, parse_port
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import INVALID


def _parse(spec):
    issues = []
    result = parse_port("p", spec, At("ports.p", Loc(Source("f.yaml", "/"), 7), issues))
    return result, [i.message for i in issues]


def _port(exposed, external, protocol="tcp", bind_ip="0.0.0.0"):
    return {"name": "p", "exposed": exposed, "external": external, "protocol": protocol, "bind_ip": bind_ip}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (8080, _port(8080, 8080)),
        ("8080", _port(8080, 8080)),
        ("53/udp", _port(53, 53, "udp")),
        ("8080:19001", _port(8080, 19001)),  # EXPOSED:EXTERNAL, the reverse of docker -p
        ("53/udp:5353/udp", _port(53, 5353, "udp")),
        ("53/udp:5353", _port(53, 5353, "udp")),  # one side's protocol applies to both
        ("53:5353/udp", _port(53, 5353, "udp")),
        ("132/sctp", _port(132, 132, "sctp")),
        ("1234-1236", _port("1234-1236", "1234-1236")),
        ("1234-1236:2234-2236", _port("1234-1236", "2234-2236")),
        ("1234:1234-1236", _port(1234, "1234-1236")),  # a random host port from a range
        ({"exposed": 25, "external": 2525}, _port(25, 2525)),
        ({"exposed": "25/udp", "external": "2525"}, _port(25, 2525, "udp")),
        ({"exposed": 25, "external": ["192.168.10.2", 25]}, _port(25, 25, bind_ip="192.168.10.2")),
        ({"exposed": 25, "external": ["::1", "2525"]}, _port(25, 2525, bind_ip="::1")),
        ({"exposed": 9000, "external": None}, _port(9000, None)),
        ({"exposed": 9000}, _port(9000, None)),
    ],
)
def test_valid_ports(spec, expected):
    assert _parse(spec) == (expected, [])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http", "invalid exposed port 'http' (expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL (the reverse of docker -p))"),
        ("1:2:3", "invalid port spec '1:2:3' (expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL (the reverse of docker -p))"),
        (0, "exposed port 0 is out of range (1 to 65535)"),
        ("80:70000", "external port 70000 is out of range (1 to 65535)"),
        ("90-80", "exposed port range 90-80 is reversed"),
        ("53/udp:53/tcp", "port 'p' mixes protocols udp and tcp"),
        ("1000-1002:2000-2001", "port 'p' maps the range 1000-1002 to 2000-2001; ranges must have the same length"),
        ("1000-1002:2000", "port 'p' maps the range 1000-1002 to 2000; ranges must have the same length"),
        ("80/icmp", "invalid exposed port '80/icmp' (expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL (the reverse of docker -p))"),
        (True, "invalid port spec a boolean (expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL (the reverse of docker -p))"),
        ([80], "invalid port spec a list (expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL (the reverse of docker -p))"),
        ({"exposed": 25, "external": ["nohost", 25]}, "'nohost' is not an IP address"),
        ({"exposed": 25, "external": [25]}, "a bound external port is [HOST_IP, PORT], not [25]"),
        ({"external": 25}, "missing required key 'exposed'"),
        ({"exposed": 25, "extern": 25}, "unknown port key 'extern' (a port mapping has exposed and external)"),
    ],
)
def test_invalid_ports(spec, message):
    assert _parse(spec) == (INVALID, [message])


# --- host ports held on a ship ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "held"),
    [
        (8080, (8080, 8080)),
        ("8080:19001", (19001, 19001)),
        ("1234-1236:2234-2236", (2234, 2236)),
        ("1234:1234-1236", None),  # Docker picks a free one of the range
        ({"exposed": 9000}, None),  # Docker picks any
        ({"exposed": 25, "external": ["10.0.0.5", 2525]}, (2525, 2525)),
    ],
)
def test_held_range(spec, held):
    assert held_range(_parse(spec)[0]) == held


def _claim(order, instance, start, end=None, *, protocol="tcp", bind_ip="0.0.0.0", port="p"):
    return Claim(order, instance, port, protocol, bind_ip, start, start if end is None else end)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ([_claim(0, "a", 80), _claim(1, "b", 80)], [(1, 0)]),
        ([_claim(0, "a", 80), _claim(1, "b", 81)], []),
        ([_claim(0, "a", 8000, 8010), _claim(1, "b", 8010, 8020)], [(1, 0)]),  # ranges that overlap by one port
        ([_claim(0, "a", 8000, 8010), _claim(1, "b", 8011, 8020)], []),
        ([_claim(0, "a", 8005), _claim(1, "b", 8000, 8010)], [(1, 0)]),  # a port inside a range
        ([_claim(0, "a", 53, protocol="udp"), _claim(1, "b", 53)], []),  # another protocol
        ([_claim(0, "a", 80, bind_ip="10.0.0.1"), _claim(1, "b", 80, bind_ip="10.0.0.2")], []),  # other addresses
        ([_claim(0, "a", 80, bind_ip="10.0.0.1"), _claim(1, "b", 80)], [(1, 0)]),  # 0.0.0.0 is every IPv4 address
        ([_claim(0, "a", 80, bind_ip="::"), _claim(1, "b", 80, bind_ip="::1")], [(1, 0)]),  # :: is every IPv6 address
        ([_claim(0, "a", 80, bind_ip="::"), _claim(1, "b", 80, bind_ip="10.0.0.1")], []),  # but not the IPv4 ones
        ([_claim(0, "a", 80, bind_ip="0.0.0.0"), _claim(1, "b", 80, bind_ip="::")], []),
        # each later claim once, against the first one it clashes with; in file order, not port order
        ([_claim(0, "a", 90), _claim(1, "b", 80, 100), _claim(2, "c", 85), _claim(3, "d", 90)], [(1, 0), (2, 1), (3, 0)]),
        ([_claim(0, "a", 80, port="http"), _claim(1, "a", 80, port="admin")], [(1, 0)]),  # two ports of one instance
    ],
)
def test_clashes(claims, expected):
    assert [(later.order, earlier.order) for later, earlier in clashes(claims)] == expected


def test_clashes_of_many_ports_are_not_compared_pair_by_pair():
    claims = [_claim(i, "i%d" % i, 1000 + i) for i in range(20000)]
    start = time.perf_counter()
    assert clashes(claims) == []
    assert time.perf_counter() - start < 5  # a sweep: about 0.05 s, where pairs would be 200 million comparisons


@pytest.mark.parametrize(
    ("later", "earlier", "message"),
    [
        (_claim(1, "b", 80), _claim(0, "a", 80), "host port 80/tcp on ship 's1' is already published by instance 'a' (port 'p', f.yaml:3)"),
        (
            _claim(1, "b", 8005, 8020),
            _claim(0, "a", 8000, 8010),
            "host port 8005-8020/tcp on ship 's1' overlaps 8000-8010/tcp, published by instance 'a' (port 'p', f.yaml:3)",
        ),
        (
            _claim(1, "b", 80, bind_ip="10.0.0.1"),
            _claim(0, "a", 80),
            "host port 10.0.0.1:80/tcp on ship 's1' overlaps 0.0.0.0:80/tcp, published by instance 'a' (port 'p', f.yaml:3)",
        ),
        (
            _claim(1, "b", 80, bind_ip="::1"),
            _claim(0, "a", 80, bind_ip="::1"),
            "host port [::1]:80/tcp on ship 's1' is already published by instance 'a' (port 'p', f.yaml:3)",
        ),
        (
            _claim(1, "a", 80, port="admin"),
            _claim(0, "a", 80, port="http"),
            "host port 80/tcp on ship 's1' is already published by port 'http' of the same instance (f.yaml:3)",
        ),
    ],
)
def test_clash_message(later, earlier, message):
    assert clash_message(later, earlier, "s1", "f.yaml:3") == message
