# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The model as the ships inventory published it, rebuilt on the controller where a play needs it.

The ships file is read once, by the inventory plugin. It publishes on each ship only what is that ship's,
so that what it prints grows with the estate, never with ships x services:

* ``maestro_services``: the services of the ship's instances, each with the names of those instances,
  its declared ``requires``, ``implied_requires``, ``wants_info`` and ``omit`` (a service without
  instances is published on every ship, so that a chain through it is kept);
* ``maestro_instances``: the ship's instances' own specs, compact (:func:`compact`: without what the
  loader fills in when the file says nothing) and without the link variables (``add_links: true``).

The filters plan from the estate put back together from every ship's ``maestro_services``
(:func:`estate`, :func:`published_graph`); the action plugins complete the specs they pass on and add the
link variables (:func:`add_links`), computed once per service from the other ships' published specs.
Nothing here reads the file again, so a play sees exactly what the inventory saw, also where it runs
elsewhere than the inventory was made (AWX).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail, AnsibleFilterError

from ansible_collections.maestro.docker.plugins.module_utils._docker.ports import DEFAULT_BIND_IP, DEFAULT_PROTOCOL
from ansible_collections.maestro.docker.plugins.plugin_utils._config.env import Links
from ansible_collections.maestro.docker.plugins.plugin_utils._config.graph import Graph
from ansible_collections.maestro.docker.plugins.plugin_utils._config.model import spec_defaults
from ansible_collections.maestro.docker.plugins.plugin_utils._config.values import split_image
from ansible_collections.maestro.docker.plugins.plugin_utils._data import plain

ADD_LINKS = "add_links"

# What the loader's spec of an instance holds for each key that the ships file leaves out (declared once, by the
# loader: _config/model.py). The inventory publishes a spec without them, the engine puts them back:
# complete(compact(spec)) == spec, which a unit test holds to the loader for every key.
SPEC_DEFAULTS = spec_defaults()
# ... and in each of its ports (the loader's port defaults)
PORT_DEFAULTS = {"protocol": DEFAULT_PROTOCOL, "bind_ip": DEFAULT_BIND_IP}


# Keys the loader derives from others: the published spec leaves them out when they are what it would derive.
_DERIVED = {
    "hostname": lambda spec: None if spec.get("network_mode") else spec.get("name"),  # none with a network mode
    "repository": lambda spec: split_image(spec["image"])[1] if spec.get("image") else None,
    "tag": lambda spec: split_image(spec["image"])[2] if spec.get("image") else None,
}


def _injected(spec: Mapping) -> dict:
    """The variables the loader puts in every container's environment (maestro-ng's), over any of the file's."""
    return {
        "MAESTRO_ENVIRONMENT_NAME": spec.get("environment"),
        "SERVICE_NAME": spec.get("service"),
        "CONTAINER_NAME": spec.get("name"),
        "CONTAINER_HOST_ADDRESS": spec.get("ship_ip"),
        "DOCKER_IMAGE": spec.get("image"),
        "DOCKER_TAG": spec.get("tag"),
    }


def compact(spec: dict) -> dict:
    """The spec without what :func:`complete` puts back: the defaults, the derived keys, the injected variables."""
    out = {key: value for key, value in spec.items() if not (key in SPEC_DEFAULTS and value == SPEC_DEFAULTS[key])}
    for key, derive in _DERIVED.items():
        if key in out and out[key] == derive(spec):
            del out[key]
    injected = _injected(spec)
    out["env"] = {key: value for key, value in (spec.get("env") or {}).items() if not (key in injected and value == injected[key])}
    if out.get("ports"):
        out["ports"] = [{key: value for key, value in port.items() if not (key in PORT_DEFAULTS and value == PORT_DEFAULTS[key])} for port in out["ports"]]
    return out


def complete(spec: Mapping) -> dict:
    """A published (compact) spec with every key the loader sets: the inverse of :func:`compact`."""
    full = {**copy.deepcopy(SPEC_DEFAULTS), **spec}
    for key, derive in _DERIVED.items():
        if key not in spec:
            full[key] = derive(full)
    full["env"] = {**(spec.get("env") or {}), **_injected(full)}
    full["ports"] = [{**PORT_DEFAULTS, **port} if isinstance(port, Mapping) else port for port in full["ports"] or []]
    return full


def publish(config) -> dict:
    """What the inventory publishes on each ship of a loaded ships file: ship -> its ``maestro_services`` and
    ``maestro_instances``.

    A service's record leaves out what is empty (no ``implied_requires``, ``omit: false``); :func:`estate` puts it back.
    """
    # a service without instances goes on every ship, so that a requires chain through it is kept
    unplaced = [name for name, service in config.services.items() if not any(i in config.instances for i in service.instances)]
    published = {}
    for ship in config.ships:
        instances = config.instances_on(ship)
        mine = {}
        for instance in instances:
            mine.setdefault(instance.service, []).append(instance.name)
        services = {}
        for name in sorted({*mine, *unplaced}):
            service = config.services[name]
            record = {
                "instances": sorted(mine.get(name, [])),
                "requires": list(service.requires),
                "implied_requires": list(service.implied_requires),
                "wants_info": list(config.graph.wants_info[name]),
                "omit": service.omit,
            }
            services[name] = {key: value for key, value in record.items() if value or key == "instances"}
        published[ship] = {"maestro_services": services, "maestro_instances": [{**compact(i.own), ADD_LINKS: True} for i in instances]}
    return published


def estate(hostvars, read=None, error=AnsibleFilterError) -> dict:
    """The services of the whole inventory (every host's published ``maestro_services``, put back together):
    per service ``instances`` (name -> ship), ``requires``, ``implied_requires``, ``wants_info``, ``omit``.

    ``hostvars``: Ansible's (each host's variables read as the inventory set them, untemplated), or a plain
    mapping of host -> variables; ``read``: how to read a host's (default :func:`host_reader`). Errors (of
    class ``error``) name the hosts that disagree.
    """
    read = read or host_reader(hostvars)
    services, placed = {}, {}
    for host in sorted(str(h) for h in hostvars):
        own = (read(host) or {}).get("maestro_services")
        if not isinstance(own, Mapping):
            continue
        for name, record in plain(own).items():
            if not isinstance(record, dict) or not isinstance(record.get("instances", []), list):
                raise error(f"ship {host}: its maestro_services of {name} is not what the maestro.docker.ships inventory publishes")
            facts = {key: record.get(key) or ([] if key != "omit" else False) for key in ("requires", "implied_requires", "wants_info", "omit")}
            merged = services.setdefault(name, {"instances": {}, **facts})
            if {key: merged[key] for key in facts} != facts:
                raise error(f"service {name}: ship {host} publishes other requires, wants_info or omit than ship {placed[name]}")
            placed.setdefault(name, host)
            for instance in record.get("instances") or []:
                other = merged["instances"].setdefault(str(instance), host)
                if other != host:
                    raise error(f"instance {instance}: published on two ships, {other} and {host}")
    for service in services.values():
        service["instances"] = dict(sorted(service["instances"].items()))
    return dict(sorted(services.items()))


def host_reader(hostvars):
    """host -> that host's variables as the inventory set them (not templated: the inventory's are data), or None."""
    raw_get = getattr(hostvars, "raw_get", None)

    def read(host):
        if hostvars is None or host not in hostvars:
            return None
        found = raw_get(host) if raw_get is not None else hostvars[host]
        return found if isinstance(found, Mapping) else None

    return read


def published_graph(hostvars, what: str) -> Graph:
    """The dependency graph of the inventory's ships (``hostvars``); a filter's clear error for anything else."""
    if hostvars is None:
        raise AnsibleFilterError(f"{what}: takes hostvars, the variables of the inventory's ships, and got none")
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"{what}: takes hostvars, the variables of the inventory's ships, not {type(hostvars).__name__}")
    services = estate(hostvars)
    if not services:
        raise AnsibleFilterError(
            f"{what}: no host of the inventory has maestro_services: it is not a ships file read by the maestro.docker.ships inventory"
            " plugin (enable it in ansible.cfg, or use a *.ships.yml file with plugin: maestro.docker.ships), or the input is not hostvars"
        )
    return Graph.from_published(services)


def add_links(specs: list, task_vars: dict) -> list:
    """``specs``, each published one (``add_links: true``) completed and its link variables added; see :class:`Linker`."""
    return Linker(task_vars).add(specs)


class Linker:
    """Completes the specs that the inventory published (``add_links: true``) and adds their link variables, for one task.

    A ship's published specs are on that ship (``maestro_instances``); the link variables of a service need
    the ports and ship address of every instance of it and of the services it links to, so those ships'
    published specs are read, once each per task, and each service's variables are computed once.
    """

    def __init__(self, task_vars: dict, specs_of=None, read=None):
        """``specs_of(ship)``: name -> spec of what the inventory published on that ship; ``read(host)``: a host's
        variables. By default both read ``hostvars`` (an engine action passes its own, which have read them already)."""
        self.task_vars = task_vars
        self.read = read or host_reader(task_vars.get("hostvars"))
        self.specs_of = specs_of or _PublishedSpecs(task_vars, self.read).specs_of
        self._links = None
        self._services = None

    def _links_of(self, pending: list) -> tuple[dict, Links]:
        if self._links is None:
            hostvars = self.task_vars.get("hostvars")
            services = estate(hostvars, self.read, AnsibleActionFail) if isinstance(hostvars, Mapping) else {}
            if not services:
                raise AnsibleActionFail(
                    f"instances {', '.join(str(spec.get('name')) for spec in pending)}: add_links needs the maestro_services of the "
                    "inventory's ships, which the maestro.docker.ships inventory publishes"
                )

            def members(service):
                placed = services[service]["instances"] if service in services else {}
                return [_link_member(self.specs_of(ship), name, ship) for name, ship in placed.items()]

            self._services = services
            self._links = Links(
                {name: service["requires"] for name, service in services.items()},
                {name: service["wants_info"] for name, service in services.items()},
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
            spec = complete({key: value for key, value in given.items() if key != ADD_LINKS})
            if spec.get("service") not in services:
                raise AnsibleActionFail(f"instance {spec.get('name')}: its service {spec.get('service')} is not in the maestro_services of any ship")
            spec["env"] = {**(spec.get("env") or {}), **links.of(spec["service"])}
            result.append(spec)
        return result


def _link_member(specs: dict, name: str, ship: str) -> tuple:
    """(name, ship address, ports) of a published instance, what its service's link variables are made of."""
    spec = specs.get(name)
    if spec is None:
        raise AnsibleActionFail(f"instance {name}: not in the maestro_instances of ship {ship}, where its maestro_services places it")
    return name, str(spec.get("ship_ip")), plain(spec.get("ports") or [])


class _PublishedSpecs:
    """The specs the inventory published on each ship, read from ``hostvars`` once per ship (a module task's action)."""

    def __init__(self, task_vars: dict, read):
        self.task_vars = task_vars
        self.read = read
        self.here = task_vars.get("inventory_hostname")
        self._by_ship = {}

    def specs_of(self, ship: str) -> dict:
        if ship not in self._by_ship:
            found = self.task_vars.get("maestro_instances") if ship == self.here else (self.read(ship) or {}).get("maestro_instances")
            self._by_ship[ship] = {str(spec.get("name")): spec for spec in found or [] if isinstance(spec, Mapping)}
        return self._by_ship[ship]
