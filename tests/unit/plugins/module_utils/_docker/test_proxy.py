# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How often a reload looks at HAProxy's processes (the reload itself is tested on the fleet, tests/integration)."""

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.module_utils._docker.proxy import POLL, _poll


def test_the_first_looks_after_a_reload_come_soon_then_every_poll():
    waits = [_poll(n) for n in range(1, 8)]
    assert waits[:3] == [0.02, 0.04, 0.08]
    assert waits[3:] == [POLL] * 4
    assert sum(waits[:4]) < 0.25  # the fifth look (the one that also reads the log) within a quarter of a second
