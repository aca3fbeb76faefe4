# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What every instance module shares: argspec pieces, secret protection, result and diff shaping."""

from __future__ import annotations

from . import _spec
from ._docker import new_module, run_module
from ._instances import InstanceBatch
from ._registry import registry_passwords

INSTANCES_ARGS = {
    "instances": {"type": "list", "elements": "dict", "required": True},
    "concurrency": {"type": "int"},
}
# maestro format: {name: {registry, username, password, email, retry: {attempts, when}}}. The passwords
# are registered as no_log values when the module starts (no_log on the whole dict would mask registry
# host names everywhere, image references included).
REGISTRIES_ARG = {"registries": {"type": "dict", "default": {}, "no_log": False}}


def protect(module, secrets) -> None:
    """Never show these values: Ansible masks them in the whole result, invocation included."""
    for value in secrets:
        if value:
            module.no_log_values.add(str(value))


def instance_module(argument_spec: dict, **kwargs):
    module = new_module({**INSTANCES_ARGS, **argument_spec}, **kwargs)
    specs = module.params["instances"]
    protect(module, [v for s in specs if isinstance(s, dict) for v in _spec.secret_values(s)])
    protect(module, registry_passwords(module.params.get("registries")))
    if not module.params.get("ship"):
        ships = sorted({str(s.get("ship")) for s in specs if isinstance(s, dict) and s.get("ship")})
        if len(ships) > 1:
            module.fail_json(msg=f"Error reading instance specs: one task acts on one ship, these specs name ships {', '.join(ships)}")
        if ships:
            module.params["ship"] = ships[0]
    return module


def run_batch(module, action) -> None:
    """Build the batch, run ``action(batch) -> result``, move per-instance diffs into the module diff."""

    def work(client):
        batch = InstanceBatch(
            client,
            module.params["instances"],
            check_mode=module.check_mode,
            registries=module.params.get("registries"),
            concurrency=module.params.get("concurrency"),
        )
        return shape(module, action(batch))

    try:
        run_module(module, work, shape=lambda result: shape(module, result))
    except _spec.SpecError as exc:
        module.fail_json(msg=f"Error reading instance specs: {exc}")


def shape(module, result: dict) -> dict:
    diffs = {r["name"]: r.pop("diff") for r in result["instances"] if "diff" in r}
    if module._diff and diffs:
        result["diff"] = {"before": {n: d["before"] for n, d in diffs.items()}, "after": {n: d["after"] for n, d in diffs.items()}}
    return result
