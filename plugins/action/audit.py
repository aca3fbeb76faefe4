# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Runs maestro.docker.audit in the controller's worker process when the module would run locally anyway:
# a deploy records two events, and each module run cost about 0.6 s of wall time and a Python start-up.

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.module_utils._docker import audit as _audit
from ansible_collections.maestro.docker.plugins.plugin_utils._action import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    MODULE = "audit"

    def _argument_spec(self) -> tuple[dict, dict] | None:
        return _audit.ARGUMENT_SPEC, {}

    def _execute_in_process(self, params: dict) -> dict:
        return _audit.run(params, check_mode=bool(self._task.check_mode), open_url=_open_url)


def _open_url(*args, **kwargs):
    """ansible's open_url, imported when a webhook auditor sends: its imports (cryptography's x509 among them) take
    about 25 ms, and Ansible imports an action plugin in its main process, so every deploy paid them."""
    from ansible.module_utils.urls import open_url  # noqa: PLC0415

    return open_url(*args, **kwargs)
