# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Controller-side data helpers shared by the action and filter plugins."""

from __future__ import annotations


def plain(value):
    """The task's arguments as plain dicts, lists, str and int, as a module receives them after JSON.

    ansible-core tags templated values with their origin (str, int, dict and list subclasses), and
    hands filters lazy containers whose deep copy also copies their templating context. Copying them
    is slow: the argspec validator deep-copies its input (a fifth of a ``maestro.docker.clean`` run at
    3 ships x 30 instances, py-spy), and a blue/green filter deep-copying 30 lazy instance specs made a
    deploy at 3 x 30 take 195 s instead of about 30. Plain values copy fast.
    """
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value
