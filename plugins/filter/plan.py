# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The plan filter: which instances a maestro command acts on, level by level and ship by ship."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.module_utils._config import ConfigError, MissingLibraryError, SelectionError, load
from ansible_collections.maestro.docker.plugins.module_utils._config_plan import plan as make_plan


def plan(
    path,
    command,
    things=None,
    with_dependencies=False,
    ignore_dependencies=False,
    ship_filter=None,
    container_filter=None,
    concurrency=None,
    only=None,
):
    """The plan of ``command`` over the ships file at ``path`` (see module_utils/_config_plan.py)."""
    try:
        return make_plan(
            load(str(path)),
            str(command),
            things=things,
            with_dependencies=bool(with_dependencies),
            ignore_dependencies=bool(ignore_dependencies),
            ship_filter=ship_filter,
            container_filter=container_filter,
            concurrency=concurrency,
            only=only,
        )
    except SelectionError as exc:
        raise AnsibleFilterError(f"maestro {command}: {exc}") from None
    except (ConfigError, MissingLibraryError) as exc:
        raise AnsibleFilterError(f"plan of {path}: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"plan": plan}
