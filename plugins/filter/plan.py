# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The plan filter: which instances a maestro command acts on, level by level and ship by ship."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import SelectionError
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import plan as make_plan
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import sequence
from ansible_collections.maestro.docker.plugins.plugin_utils._published import published_graph


def plan(hostvars, command, *, errors="strict", **options):
    """The plan of ``command`` over the inventory's ships (``hostvars``: their ``maestro_services``; see plugin_utils/_config/plan.py).

    The plan is made from what the ships inventory published, never from the file again: the plays act on
    exactly the inventory's instances, whatever environment the inventory rendered the file with.

    A list of commands is one plan for them all, run one after the other (``_config.plan.sequence``).

    ``options`` are those of ``_config.plan.plan``: things, with_dependencies, ignore_dependencies,
    ship_filter, container_filter, concurrency, only. ``errors="return"`` returns ``{"error": message}``
    instead of raising, so that a playbook can fail with the message alone rather than with the
    templating error wrapped around it.
    """
    if errors not in ("strict", "return"):
        raise AnsibleFilterError(f"plan: errors must be strict or return, not {errors!r}")
    try:
        return _plan(hostvars, command, **options)
    except AnsibleFilterError as exc:
        if errors == "return":
            return {"error": exc.message}
        raise


def _plan(hostvars, command, *, with_dependencies=False, ignore_dependencies=False, **options):
    # a list of commands is one plan for them all, run one after the other
    make, name = (make_plan, command) if isinstance(command, str) else (sequence, ", ".join(map(str, command)))
    try:
        # Extra variables arrive as strings: "false" must be false.
        flags = {"with_dependencies": boolean(with_dependencies, strict=True), "ignore_dependencies": boolean(ignore_dependencies, strict=True)}
    except TypeError as exc:
        raise AnsibleFilterError(f"maestro {name}: {exc}") from None
    graph = published_graph(hostvars, "plan")
    try:
        return make(graph, command, **flags, **options)
    except SelectionError as exc:
        raise AnsibleFilterError(f"maestro {name}: {exc}") from None


class FilterModule:
    def filters(self):
        return {"plan": plan}
