# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import At, Loc, Source
from ansible_collections.maestro.docker.plugins.plugin_utils._config.ports import parse_port
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
