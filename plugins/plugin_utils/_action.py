# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Controller-side execution of the collection's modules: the same argspec and code, without AnsiballZ.

When a task would run its module on the controller anyway (connection local, no become, no async, no
task ``environment``), the action plugin validates the arguments against the module's argspec and
runs the module's code in the worker process: about a quarter of the CPU of a module run. In every
other case, or when the variable ``maestro_docker_in_process`` is false, it runs the module as usual.

``InProcessModuleAction`` is the frame; ``DockerModuleAction`` runs the Docker modules
(``_module.execute``), ``audit``'s action its auditors (``_audit.run``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.maestro.docker.plugins.module_utils._docker import client as _docker
from ansible_collections.maestro.docker.plugins.module_utils._docker import runner as _module
from ansible_collections.maestro.docker.plugins.plugin_utils._data import may_hold_template, plain
from ansible_collections.maestro.docker.plugins.plugin_utils._published import ADD_LINKS, add_links
from ansible_collections.maestro.docker.plugins.plugin_utils._ships import known_api_versions, with_known_api_version

LOCAL_CONNECTIONS = ("local", "ansible.builtin.local")


class InProcessModuleAction(ActionBase):
    """Run module MODULE in this process when it would run on the controller anyway; subclasses say how."""

    MODULE: str = ""
    _supports_check_mode = True
    _supports_async = True

    def _argument_spec(self) -> tuple[dict, dict] | None:
        """(argument spec, ArgumentSpecValidator keywords), or None when this module can't run in process."""
        raise NotImplementedError

    def _execute_in_process(self, params: dict) -> dict:
        """The module's result for validated ``params``."""
        raise NotImplementedError

    def _module_args(self, task_vars: dict) -> dict:
        """The arguments the module gets (in this process or not)."""
        return self._task.args

    def _in_process(self, task_vars: dict) -> bool:
        if str(task_vars.get("maestro_docker_in_process", True)).lower() in ("false", "0", "no", "off"):
            return False
        transport = getattr(self._connection, "transport", None) or getattr(self._connection, "_load_name", None)
        if transport not in LOCAL_CONNECTIONS or self._play_context.become or self._task.async_val:
            return False
        environment = self._task.environment or []
        if any(environment if isinstance(environment, list) else [environment]):
            return False  # the module would see these variables (DOCKER_*, PATH); this process does not
        return not self._task.args.get("ssh_key")  # ssh_key adjusts PATH: only in a module's own process

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self._module_args(task_vars)
        spec = self._argument_spec()
        if spec is None or not self._in_process(task_vars):
            # as ansible.builtin.normal does: an async task runs the module under the async wrapper
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            module_name = f"maestro.docker.{self.MODULE}"
            result.update(self._execute_module(module_name=module_name, module_args=args, task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        argument_spec, keywords = spec
        validated = ArgumentSpecValidator(argument_spec, **keywords).validate(plain(args))
        if validated.error_messages:
            # worded as a module run words them
            errors = [
                f"Unsupported parameters for (maestro.docker.{self.MODULE}) module: {err}" if type(err).__name__ == "UnsupportedError" else str(err)
                for err in validated.errors
            ]
            result.update(failed=True, changed=False, msg="; ".join(errors))
            return result
        outcome = self._execute_in_process(with_known_api_version(validated.validated_parameters, known_api_versions(task_vars)))
        if validated._no_log_values:  # hidden as AnsibleModule.exit_json hides them (the validator's own set, as it uses)
            outcome = remove_values(outcome, validated._no_log_values)
        result.update(outcome)
        result.setdefault("changed", False)
        if not result.get("failed"):
            result.pop("exception", None)
        return result


class DockerModuleAction(InProcessModuleAction):
    """The Docker modules: _module.ARGUMENT_SPECS with the connection options, run by _module.execute."""

    def _argument_spec(self) -> tuple[dict, dict] | None:
        if not _module.ARGUMENT_SPECS.get(self.MODULE) or _docker.DOCKER_IMPORT_ERROR:
            return None
        return _docker.docker_argument_spec(_module.ARGUMENT_SPECS[self.MODULE]), {"required_together": _docker.DOCKER_REQUIRED_TOGETHER}

    def _module_args(self, task_vars: dict) -> dict:
        """Instances given by name are this host's specs from ``maestro_instances``, templated only if it holds templates;
        specs as the ships inventory published them get their link variables (``_published.add_links``).

        The orchestrate role passes names: at 30 instances per ship, templating their specs (maestro-ng's
        injected variables make each about 13 KB) and sending them back with the task result cost more
        controller CPU than the step's Docker calls. The ships inventory's specs are not trusted as
        templates, so they need no templating; a hand-written ``maestro_instances`` with templates is
        templated. The specs go on as they are: ``run`` makes them plain once, with the other arguments.
        """
        args = self._task.args
        wanted = args.get("instances")
        if not isinstance(wanted, list):
            return args
        if not any(isinstance(item, str) for item in wanted):
            return {**args, "instances": add_links(wanted, task_vars)} if any(isinstance(item, Mapping) and item.get(ADD_LINKS) for item in wanted) else args
        known = task_vars.get("maestro_instances") or []
        if not isinstance(known, list) or may_hold_template(known):
            known = self._templar.template(known)  # a hand-written variable; the inventory's specs are never templates
        by_name = {str(spec.get("name")): spec for spec in known if isinstance(spec, Mapping)}
        missing = [item for item in wanted if isinstance(item, str) and item not in by_name]
        if missing:
            host = task_vars.get("inventory_hostname", "this host")
            raise AnsibleActionFail(f"instances {', '.join(missing)}: not in the maestro_instances of {host}")
        return {**args, "instances": add_links([by_name[item] if isinstance(item, str) else item for item in wanted], task_vars)}

    def _execute_in_process(self, params: dict) -> dict:
        return _module.execute(self.MODULE, params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff), own_process=False)
