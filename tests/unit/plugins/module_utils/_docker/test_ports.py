# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one port grammar (module_utils/_docker/ports.py), which the loader, the spec, the checks and blue/green share."""

from __future__ import annotations

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker import ports


@pytest.mark.parametrize(
    ("value", "parsed"),
    [(8080, (8080, 8080, None)), ("8080", (8080, 8080, None)), (" 53/udp ", (53, 53, "udp")), ("1234-1236/sctp", (1234, 1236, "sctp"))],
)
def test_parse(value, parsed):
    assert ports.parse(value) == parsed


@pytest.mark.parametrize(
    ("value", "message", "form"),
    [
        ("http", "'http' is not N, N/udp or N-M", True),
        (True, "True is not a number or a string", True),
        ("80/icmp", "'80/icmp' is not N, N/udp or N-M", True),
        ("1-2-3", "'1-2-3' is not N, N/udp or N-M", True),
        (0, "0 is out of range (1 to 65535)", False),
        ("80-70", "range 80-70 is reversed", False),
    ],
)
def test_values_outside_the_grammar(value, message, form):
    with pytest.raises(ports.PortError) as info:
        ports.parse(value)
    assert (str(info.value), info.value.form) == (message, form)


def test_the_readers_of_a_spec_value():
    assert ports.numbers("1234-1236") == [1234, 1235, 1236] and ports.numbers(80) == [80]
    assert ports.first("1234-1236") == 1234 and ports.first("80") == 80
    assert ports.is_range("1-2") and not ports.is_range(80)
    assert ports.text(80, 80) == 80 and ports.text(80, 82) == "80-82"


def test_shift_keeps_the_form_and_stays_in_range():
    assert ports.shift(80, 10000) == 10080
    assert ports.shift("8000-8002", 100) == "8100-8102"
    with pytest.raises(ports.PortError, match=r"^60000 \+ offset 10000 is above 65535$"):
        ports.shift(60000, 10000)
    with pytest.raises(ports.PortError, match=r"^80 \+ offset -100 is below 1$"):
        ports.shift(80, -100)
