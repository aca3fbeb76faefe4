# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The model as the ships inventory published it, rebuilt on the controller where a play needs it.

The ships file is read once, by the inventory plugin. It publishes a slim model: ``maestro_services``
(per service: instances and their ships, declared requires, wants_info, omit) in the ``all`` group, and
on each ship its instances' own specs, without the link variables (``add_links: true``). The filters plan
from ``maestro_services`` (:func:`published_graph`); the action plugins add the link variables to the specs
they pass on (:func:`add_links`), computed once per service from the other ships' published specs. Nothing
here reads the file again, so a play sees exactly what the inventory saw, also where it runs elsewhere
than the inventory was made (AWX).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail, AnsibleFilterError

from ansible_collections.maestro.docker.plugins.module_utils._config_env import Links
from ansible_collections.maestro.docker.plugins.module_utils._config_graph import Graph
from ansible_collections.maestro.docker.plugins.plugin_utils._data import plain

ADD_LINKS = "add_links"


def published_graph(services, what: str) -> Graph:
    """The dependency graph of ``maestro_services``; a filter's clear error for anything else."""
    if services is None:
        raise AnsibleFilterError(
            f"{what}: maestro_services is not set: the inventory is not a ships file read by the maestro.docker.ships inventory"
            " plugin (enable it in ansible.cfg, or use a *.ships.yml file with plugin: maestro.docker.ships)"
        )
    if not isinstance(services, Mapping):
        raise AnsibleFilterError(
            f"{what}: takes maestro_services, the services that the maestro.docker.ships inventory publishes, not {type(services).__name__}"
            " (is the inventory a ships file, with the maestro.docker.ships plugin enabled?)"
        )
    services = plain(services)
    wrong = sorted(str(name) for name, service in services.items() if not isinstance(service, dict) or not isinstance(service.get("instances", {}), dict))
    if wrong:
        raise AnsibleFilterError(f"{what}: maestro_services of {', '.join(wrong)} is not what the maestro.docker.ships inventory publishes")
    return Graph.from_published(services)


def add_links(specs: list, task_vars: dict) -> list:
    """``specs`` with the link variables added to every spec that asks for them (``add_links: true``); see :class:`Linker`."""
    return Linker(task_vars).add(specs)


class Linker:
    """Adds the link variables to the specs that ask for them (``add_links: true``), for one task.

    A ship's published specs are on that ship (``maestro_instances``); the link variables of a service need
    the ports and ship address of every instance of it and of the services it links to, so those ships'
    published specs are read, once each per task, and each service's variables are computed once.
    """

    def __init__(self, task_vars: dict, specs_of=None):
        """``specs_of(ship)``: name -> spec of what the inventory published on that ship; by default read from
        ``hostvars`` (an engine action passes its own reader, which has read them already)."""
        self.task_vars = task_vars
        self.specs_of = specs_of or _PublishedSpecs(task_vars).specs_of
        self._links = None
        self._services = None

    def _links_of(self, pending: list) -> tuple[dict, Links]:
        if self._links is None:
            services = plain(self.task_vars.get("maestro_services"))
            if not isinstance(services, dict):
                raise AnsibleActionFail(
                    f"instances {', '.join(str(spec.get('name')) for spec in pending)}: add_links needs maestro_services, which the "
                    "maestro.docker.ships inventory publishes"
                )

            def members(service):
                placed = (services.get(service) or {}).get("instances") or {}
                return [_link_member(self.specs_of(ship), name, ship) for name, ship in sorted(placed.items())]

            self._services = services
            self._links = Links(
                {name: service.get("requires") or [] for name, service in services.items()},
                {name: service.get("wants_info") or [] for name, service in services.items()},
                members,
            )
        return self._services, self._links

    def add(self, specs: list) -> list:
        pending = [spec for spec in specs if isinstance(spec, Mapping) and spec.get(ADD_LINKS)]
        if not pending:
            return specs
        services, links = self._links_of(pending)
        result = []
        for given in specs:
            if not (isinstance(given, Mapping) and given.get(ADD_LINKS)):
                result.append(given)
                continue
            spec = {key: value for key, value in given.items() if key != ADD_LINKS}
            if spec.get("service") not in services:
                raise AnsibleActionFail(f"instance {spec.get('name')}: its service {spec.get('service')} is not in maestro_services")
            spec["env"] = {**(spec.get("env") or {}), **links.of(spec["service"])}
            result.append(spec)
        return result


def _link_member(specs: dict, name: str, ship: str) -> tuple:
    """(name, ship address, ports) of a published instance, what its service's link variables are made of."""
    spec = specs.get(name)
    if spec is None:
        raise AnsibleActionFail(f"instance {name}: not in the maestro_instances of ship {ship}, where maestro_services places it")
    return name, str(spec.get("ship_ip")), plain(spec.get("ports") or [])


class _PublishedSpecs:
    """The specs the inventory published on each ship, read from ``hostvars`` once per ship (a module task's action)."""

    def __init__(self, task_vars: dict):
        self.task_vars = task_vars
        self.hostvars = task_vars.get("hostvars")
        self.here = task_vars.get("inventory_hostname")
        self._by_ship = {}

    def specs_of(self, ship: str) -> dict:
        if ship not in self._by_ship:
            if ship == self.here:
                found = self.task_vars.get("maestro_instances")
            else:
                raw_get = getattr(self.hostvars, "raw_get", None)  # the variables as set, not templated: the inventory's are data
                host_vars = (raw_get(ship) if raw_get else self.hostvars[ship]) if self.hostvars is not None and ship in self.hostvars else None
                found = host_vars.get("maestro_instances") if isinstance(host_vars, Mapping) else None
            self._by_ship[ship] = {str(spec.get("name")): spec for spec in found or [] if isinstance(spec, Mapping)}
        return self._by_ship[ship]
