# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The grammar of one port value, in one place: ``N``, ``N-M``, with an optional ``/tcp``, ``/udp`` or ``/sctp``.

A spec's port is ``{name, exposed, external, protocol, bind_ip}``, where ``exposed`` and ``external`` are
an int or an ``"N-M"`` string (``external`` None for a random host port). The ships file's loader
(plugin_utils/_config/ports.py) parses the file's forms into it with the file and line in any error;
the create body (``spec.port_bindings``), the checks (``lifecycle.resolve_port``), the status
(``instances``) and the blue/green port offset (plugin_utils/_bluegreen.py) read it with these functions.
"""

from __future__ import annotations

import re

DEFAULT_PROTOCOL = "tcp"
DEFAULT_BIND_IP = "0.0.0.0"
MAX_PORT = 65535
_SIDE = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$")


class PortError(ValueError):
    """A port value outside the grammar; the message says why, without saying where (the caller does).

    ``form`` is true when the value is not of the grammar's form at all (the loader then lists the forms).
    """

    def __init__(self, message: str, form: bool = False):
        super().__init__(message)
        self.form = form


def parse(value) -> tuple[int, int, str | None]:
    """``(start, end, protocol or None)`` of one side: ``8080``, ``"8080"``, ``"1234-1236"``, ``"53/udp"``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PortError(f"{value!r} is not a number or a string", form=True)
    found = _SIDE.match(str(value).strip())
    if not found:
        raise PortError(f"{value!r} is not N, N/udp or N-M", form=True)
    start = int(found.group(1))
    end = int(found.group(2)) if found.group(2) else start
    for number in (start, end):
        if not 1 <= number <= MAX_PORT:
            raise PortError(f"{number} is out of range (1 to {MAX_PORT})")
    if end < start:
        raise PortError(f"range {start}-{end} is reversed")
    return start, end, found.group(3)


def text(start: int, end: int):
    """The spec's form of a range: an int for one port, ``"N-M"`` for more."""
    return start if start == end else f"{start}-{end}"


def numbers(value) -> list[int]:
    """Every port of a spec value (``8080`` -> [8080], ``"1234-1236"`` -> [1234, 1235, 1236])."""
    start, end = parse(value)[:2]
    return list(range(start, end + 1))


def first(value) -> int:
    """The first port of a spec value (the one a check or the status looks at)."""
    return parse(value)[0]


def is_range(value) -> bool:
    start, end = parse(value)[:2]
    return end > start


def shift(value, offset: int):
    """A spec value moved by ``offset`` (the blue/green port offset); PortError above the highest port."""
    start, end = parse(value)[:2]
    if end + offset > MAX_PORT:
        raise PortError(f"{text(start, end)} + offset {offset} is above {MAX_PORT}")
    if start + offset < 1:
        raise PortError(f"{text(start, end)} + offset {offset} is below 1")
    return text(start + offset, end + offset)
