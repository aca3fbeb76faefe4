# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The standard attribute descriptions; each module states its own support levels.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a changed status prediction without modifying the ship.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second run reports no change.
      - This assumes the ship has not changed in a relevant way meanwhile.
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
"""

    ACTIONGROUP_DOCKER = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/maestro.docker.docker) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - maestro.docker.docker
"""

    ACTION = r"""
options: {}
attributes:
  action:
    description: Has an action plugin that runs the module's code in the controller's worker process.
    support: full
    details:
      - Used when the task would run the module on the controller anyway (local connection, no C(become),
        no C(async), no task C(environment), no O(ssh_key)); otherwise the module runs as usual.
      - Set the variable C(maestro_docker_in_process=false) to always run the module.
"""

    INSTANCES = r"""
options:
  instances:
    description:
      - The instance specs to act on, all on the ship this task talks to, as the ships-file loader makes them.
      - 'Keys: C(name) (container name, required), C(hostname), C(service), C(environment), C(ship), C(ship_ip), C(image)
        (required), C(repository), C(tag), C(command), C(env), C(secret_env), C(ports), C(volumes), C(container_volumes), C(volumes_from), C(links),
        C(user), C(privileged), C(cap_add), C(cap_drop), C(extra_hosts), C(network_mode), C(networks), C(restart),
        C(dns), C(stop_timeout), C(limits), C(log_driver), C(log_opt), C(workdir), C(security_opt), C(ulimits),
        C(labels), C(healthcheck), C(init), C(lifecycle), C(requires), C(wants_info), C(omit). A missing key means unset.'
      - Values of the C(env) keys listed in C(secret_env) never appear in results, diffs or messages.
      - An element may also be an instance name. The action plugin replaces it, before the module sees it, by that
        instance's spec from the host's C(maestro_instances) (as the inventory plugin C(maestro.docker.ships) sets it;
        templated only if that variable holds templates). The C(maestro.docker.orchestrate) role passes names, which spares
        every task templating the specs and sending them back with its result.
    type: list
    elements: dict
    required: true
  concurrency:
    description:
      - How many instances to act on at once. Default is all of them.
    type: int
"""
