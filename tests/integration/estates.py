# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ships files of the integration tests: a web service behind an HTTP check, on the fleet's ships."""

from __future__ import annotations

# The environment and its service, after a head that names the ships (either of the two below).
WEB = """\
name: {env}
services:
  web:
    image: {image}
    lifecycle:
      running: [{{type: http, port: http, path: /health, max_wait: 8}}]
    instances:
{instances}
"""

# The fleet's ships by reference: the collection's extends (maestro-ng knows no extends).
EXTENDS_FLEET = "__maestro:\n  schema: 2\n  extends: {fleet_ships}\n"


def ships_written_out(ships) -> str:
    """The head of a file that maestro-ng reads too, and a user outside the checkout writes: each ship by its address."""
    listed = "".join(f"  {ship.name}: {{ip: {ship.ip}}}\n" for ship in ships)
    return f"__maestro:\n  schema: 2\nship_defaults: {{docker_port: 2375, timeout: 60}}\nships:\n{listed}"
