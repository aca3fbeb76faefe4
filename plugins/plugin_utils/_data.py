# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Controller-side data helpers shared by the action and filter plugins."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.parsing.vault import EncryptedString
from ansible.template import is_trusted_as_template


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
    if isinstance(value, EncryptedString):
        return str(value)  # a !vault value the inventory published encrypted (an env value): decrypted here, for the module
    return value


def may_hold_template(value) -> bool:
    """Whether templating could change ``value``: some string in it (key or value) is trusted as a template.

    Ansible templates only trusted strings, and an inventory plugin's values are not trusted, so the ships
    inventory's specs are never templates; a ``maestro_docker`` written in group_vars is. A walk of the
    containers, not ``Templar.is_template``: that runs the template engine over every string, 1.6 ms for
    one ship's published specs, per ship and task of a deploy. A trusted string without a template gives
    True too: templating it is then merely unneeded.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if is_trusted_as_template(item):
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return False
