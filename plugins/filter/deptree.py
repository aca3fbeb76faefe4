# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deptree filter: maestro-ng's ``deptree`` from what the ships inventory published."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import SelectionError
from ansible_collections.maestro.docker.plugins.plugin_utils._published import published_graph


def deptree(hostvars, things=None, recursive=False):
    """Render the requires tree of the services (or of the services of the given things)."""
    graph = published_graph(hostvars, "deptree")
    try:
        return graph.deptree(things=list(things or []) or None, recursive=bool(recursive))
    except SelectionError as exc:
        raise AnsibleFilterError(f"maestro deptree: {exc}") from None


class FilterModule:
    def filters(self):
        return {"deptree": deptree}
