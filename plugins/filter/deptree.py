# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deptree filter: maestro-ng's ``deptree`` from a ships file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.module_utils._config import ConfigError, MissingLibraryError, SelectionError, load


def deptree(path, things=None, recursive=False):
    """Render the requires tree of the services (or of the services of the given things)."""
    try:
        return load(str(path)).deptree(things=list(things or []) or None, recursive=bool(recursive))
    except (ConfigError, SelectionError, MissingLibraryError) as exc:
        raise AnsibleFilterError(f"deptree of {path}: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"deptree": deptree}
