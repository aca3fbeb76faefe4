# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Runs maestro.docker.floating_address in the controller's worker process when the module would run locally anyway.

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.plugin_utils._action import DockerModuleAction


class ActionModule(DockerModuleAction):
    MODULE = "floating_address"
