"""Run a module's code in this process, as its action plugin does: same argspec validation, same execute()."""

from __future__ import annotations

import secrets

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.maestro.docker.plugins.module_utils._docker import client as _docker
from ansible_collections.maestro.docker.plugins.module_utils._docker import runner as _module


def run_module(name: str, ship, args: dict, check_mode: bool = False) -> dict:
    """maestro.docker.<name> on a fleet ship; the result dict (failed/msg on failure). Thread-safe."""
    spec = _docker.docker_argument_spec(_module.ARGUMENT_SPECS[name])
    validated = ArgumentSpecValidator(spec, required_together=_docker.DOCKER_REQUIRED_TOGETHER).validate(
        {"docker_host": ship.docker_host, "ship": ship.name, **args}
    )
    assert not validated.error_messages, validated.error_messages
    return _module.execute(name, validated.validated_parameters, check_mode=check_mode, diff=True, own_process=False)


@pytest.fixture
def name_prefix() -> str:
    return f"py{secrets.token_hex(3)}"
