# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# maestro.docker.deploy_inputs: the deploy role's first task. It checks the role's options once for every ship (Ansible
# would check them on every host, a worker process each), works out what the steps need and names every input error.

from __future__ import annotations

import secrets
import time
from pathlib import Path

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.maestro.docker.plugins.plugin_utils import _deploy_inputs
from ansible_collections.maestro.docker.plugins.plugin_utils._data import plain

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader


class ActionModule(ActionBase):
    """The role's options validated against its argument spec (as ansible.builtin.validate_argument_spec does), then
    worked out and checked together (plugin_utils/_deploy_inputs.py)."""

    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        role_path = self._task.args.get("role_path") or task_vars.get("role_path")
        if not role_path:
            return {**result, "failed": True, "changed": False, "msg": "maestro.docker.deploy_inputs: role_path is required (the deploy role's path)"}
        return {**result, **inputs(task_vars, Path(str(role_path)), self._templar.template)}


def inputs(task_vars: dict, role_path: Path, template) -> dict:
    """The task's result: the role's options, read from ``task_vars`` and templated with ``template``, validated
    against the argument spec of the role at ``role_path``, worked out and checked."""
    with (role_path / "meta" / "argument_specs.yml").open(encoding="utf-8") as handle:
        argument_spec = yaml.load(handle, Loader=SafeLoader)["argument_specs"]["main"]["options"]  # noqa: S506 - a safe loader
    given = plain(template({name: task_vars[name] for name in argument_spec if name in task_vars}))
    validated = ArgumentSpecValidator(argument_spec).validate(given, validate_role_argument_spec=True)
    if validated.error_messages:
        msg = "Validation of arguments failed:\n" + "\n".join(validated.error_messages)
        return {"failed": True, "changed": False, "msg": msg, "argument_errors": validated.error_messages}
    # The validated values (a list from "web,db", an int from "10000"), but for an option with suboptions the value as
    # given: validation fills every suboption not given with None, and a proxy with no name given is named for the
    # environment, not None.
    validated_values = validated.validated_parameters
    options = {name: value if argument_spec[name].get("options") else validated_values.get(name, value) for name, value in given.items()}
    environment = plain(template(task_vars["maestro_environment"])) if "maestro_environment" in task_vars else "default"
    worked_out = _deploy_inputs.work_out(options, list(task_vars.get("ansible_play_hosts_all") or []), environment)

    hostvars = task_vars.get("hostvars") or {}

    def has_docker(host: str) -> bool | None:
        return ("maestro_docker" in hostvars[host]) if host in hostvars else None

    own_vars = hostvars[task_vars["inventory_hostname"]] if task_vars.get("inventory_hostname") in hostvars else {}
    docker_param = "maestro_docker" in task_vars and "maestro_docker" not in own_vars
    errors = _deploy_inputs.input_errors(options, worked_out, has_docker, docker_param)
    worked_out["canary_steps"], canary_error = _deploy_inputs.canary_steps(options, worked_out)
    if canary_error:
        errors.append(canary_error)
    if errors:
        return {"failed": True, "changed": False, "msg": "; ".join(errors), "input_errors": errors}
    # run_id: this run of the role, so that what a run records (switched, canary figures) is not read by a later run of
    # the role in the same play (vars/main.yml)
    return {"changed": False, "started_at": time.time(), "run_id": secrets.token_hex(8), **worked_out}
