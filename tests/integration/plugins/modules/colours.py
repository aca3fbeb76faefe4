# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One instance per colour, each on a ship of its own, for the proxy module's tests on the fleet."""

from __future__ import annotations

import secrets
import socket
import time


def port_block() -> int:
    """The first of ten host ports above Linux's ephemeral range and away from the targets' port_base ranges (20000-59999)."""
    return 61000 + secrets.randbelow(400) * 10


def colour_spec(fleet, name_prefix: str, ship, colour: str, *, tag: str, port: int) -> dict:
    """The spec of web's instance of ``colour`` on ``ship``, running ``demo/web:<tag>`` on host port ``port``."""
    return {
        "name": f"{name_prefix}-web-{colour}",
        "service": "web",
        "environment": "itest",
        "ship": ship.name,
        "ship_ip": ship.ip,
        "image": fleet.image(tag),
        "ports": [{"name": "http", "exposed": "8080", "external": str(port)}],
    }


def wait_port(ip: str, port: int, timeout: float = 10) -> None:
    """Until something listens on ``ip:port`` (a proxy's new frontend), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((ip, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
