# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The model of a ships file: :class:`Config` with :class:`Ship`, :class:`Service` and
:class:`Instance` objects, and the instance spec that the Docker modules consume.

The instance spec
-----------------
``Instance.spec`` is a plain, JSON-serialisable dict that holds everything needed to create the
container without the ships file (the Docker modules never parse the file). Its keys are declared
once: the container options in module_utils/_docker/spec.py (``OPTIONS``, and ``META_KEYS`` for the
others); the loader builds some (``Builder._spec``) and passes the others through from the file as
they are (``Field.spec`` in schema.py). A unit test holds this table and the modules' documentation
to that declaration. The keys:

================== ===============================================================================
key                value
================== ===============================================================================
name               instance name = Docker container name
hostname           container hostname: the name, or None when ``net`` is set (maestro-ng)
service            service name
environment        environment name (top-level ``name``)
ship               ship name
ship_ip            the ship's ``ip``
image              full image with tag (``redis:latest`` when no tag was given), or with digest
repository         image without tag
tag                tag (``latest`` by default), or the digest for ``repo@sha256:...``
command            None (image default), a string (to split like a shell), or a list (exec form)
env                the final environment, injected variables included (see ``_config.env``)
secret_env         sorted keys of ``env`` whose values must be masked
ports              list of ``{name, exposed, external, protocol, bind_ip}``: exposed/external are
                   ints or ``"a-b"`` range strings; external None = a random host port
volumes            list of ``{type: bind|volume, source, target, mode}``
container_volumes  list of container paths for anonymous volumes
volumes_from       list of instance names (same ship)
links              ``{container: alias}``
user               user to run as, or None
privileged         bool
cap_add, cap_drop  lists of capabilities
extra_hosts        ``{hostname: ip}``, ``{ship: X}`` entries resolved to that ship's ip
network_mode       the ``net`` value, or None (Docker's default bridge)
networks           list of ``{name, aliases}``
restart            ``{name, retries}``
dns                list of servers
stop_timeout       seconds
limits             ``{memory, swap, cpu}``: bytes, bytes (-1 unlimited), CPU shares; None = unset
log_driver         driver name or None
log_opt            the driver's options, ``{name: string}``
workdir            working directory or None
security_opt       list of strings
ulimits            list of ``{name, soft, hard}``
labels             ``{name: string}``
healthcheck        None, or ``{test: [...], interval, timeout, retries, start_period,
                   start_interval}`` with durations in seconds (unset ones absent)
init               bool
lifecycle          ``{state: [check dicts with defaults filled]}``, service checks first
requires           sorted services this one requires, transitively (volumes_from included)
wants_info         sorted services it wants link variables of (direct)
omit               the service's ``omit``
================== ===============================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ansible_collections.maestro.docker.plugins.plugin_utils._config import limits
from ansible_collections.maestro.docker.plugins.plugin_utils._config import schema as S
from ansible_collections.maestro.docker.plugins.plugin_utils._config.env import EnvFileError, EnvFiles, Links, mangle, secret_keys
from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import At, ConfigError, Issue, Loc, describe, suggest
from ansible_collections.maestro.docker.plugins.plugin_utils._config.graph import Graph
from ansible_collections.maestro.docker.plugins.plugin_utils._config.ports import Claim, clash_message, clashes, held_range
from ansible_collections.maestro.docker.plugins.plugin_utils._config.source import MDict
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import INVALID
from ansible_collections.maestro.docker.plugins.plugin_utils._config.values import split_image

DEFAULT_DOCKER_PORT = 2375
DEFAULT_DOCKER_TLS_PORT = 2376


@dataclass
class Ship:
    """A host with a Docker daemon."""

    name: str
    ip: str
    endpoint: str
    docker_port: int | None = None
    socket_path: str | None = None
    ssh_tunnel: dict | None = None
    api_version: str = "auto"
    timeout: int = 60
    tls: bool = False
    tls_verify: bool = False
    tls_ca_cert: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    def connection(self) -> dict:
        """How to reach this ship's daemon, in community.docker's option names.

        ``docker_host`` is ``unix://<realpath>`` for ``socket_path`` (which wins over TCP),
        ``ssh://user@endpoint:port`` for ``ssh_tunnel`` (with ``use_ssh_client: true`` and the
        identity file in ``ssh_key``; TLS and ``docker_port`` do not apply over SSH, which reaches
        the daemon's socket), else ``tcp://endpoint:docker_port`` (2375, or 2376 with TLS).
        ``tls`` is true with ``tls`` or ``tls_verify``; ``validate_certs`` is ``tls_verify``.
        ``api_version`` defaults to ``auto`` (maestro-ng's 1.18 is too old for today's daemons).
        ``ship`` is the ship's name, which every error message of the modules gives.
        """
        tls = self.tls or self.tls_verify
        ssh_key = None
        if self.ssh_tunnel:
            host = "ssh://%s@%s:%d" % (self.ssh_tunnel["user"], _host(self.endpoint), self.ssh_tunnel["port"])
            ssh_key = self.ssh_tunnel["key"]
            tls = False
        elif self.socket_path:
            host = "unix://" + os.path.realpath(self.socket_path)
        else:
            port = self.docker_port or (DEFAULT_DOCKER_TLS_PORT if tls else DEFAULT_DOCKER_PORT)
            host = "tcp://%s:%d" % (_host(self.endpoint), port)
        return {
            "ship": self.name,
            "docker_host": host,
            "tls": tls,
            "validate_certs": self.tls_verify and tls,
            "ca_path": self.tls_ca_cert,
            "client_cert": self.tls_cert,
            "client_key": self.tls_key,
            "api_version": self.api_version,
            "timeout": self.timeout,
            "use_ssh_client": bool(self.ssh_tunnel),
            "ssh_key": ssh_key,
        }


def _host(address: str) -> str:
    return "[%s]" % address if ":" in address and not address.startswith("[") else address


@dataclass
class Service:
    """A named group of instances running one image."""

    name: str
    image: str
    omit: bool = False
    requires: list = field(default_factory=list)  # as declared
    wants_info: list = field(default_factory=list)
    implied_requires: list = field(default_factory=list)  # from volumes_from
    instances: list = field(default_factory=list)  # sorted names

    @property
    def dependencies(self) -> list:
        """Direct hard dependencies: declared ``requires`` + the services of ``volumes_from``."""
        return sorted(set(self.requires) | set(self.implied_requires))


@dataclass
class Instance:
    """One container: its name, service, ship, and its spec without the link variables (``own``).

    ``spec`` is the whole spec of the module docstring: ``own`` with the link variables added to ``env``
    (``Config.links``, once per service) and the service's ``requires``, ``wants_info`` and ``omit``. The
    inventory publishes ``own`` (plugin_utils/_published.py), so that a spec is not copied with the
    link variables of every dependency: the plugins add them where the spec is used.
    """

    name: str
    service: str
    ship: str
    own: dict
    config: Config | None = field(default=None, repr=False, compare=False)

    @property
    def spec(self) -> dict:
        return self.config.full_spec(self.name)


# What the loader sets for the keys it builds (Builder._spec) when the file says nothing.
BUILT_DEFAULTS = {"secret_env": [], "ports": [], "extra_hosts": {}, "limits": {"memory": None, "swap": None, "cpu": None}, "healthcheck": None}


def spec_defaults() -> dict:
    """Each instance spec key's value when the ships file leaves it out (the keys that have one): the schema's
    defaults of the keys passed through as they are, and those of the keys the loader builds."""
    return {**{f.spec: f.default for f in S.SPEC_FIELDS}, **BUILT_DEFAULTS}


class Config:
    """A loaded ships file. Build it with ``_config.load()``; it is valid by construction."""

    def __init__(self, *, name, schema, files, ships, services, instances, registries, audit, graph, links, warnings=()):
        self.name = name
        self.warnings: list[Issue] = sorted(warnings, key=lambda i: (i.file, i.line or 0))  # what to say once, at load
        self.schema = schema
        self.files = files
        self.ships: dict[str, Ship] = ships
        self.services: dict[str, Service] = services
        self.instances: dict[str, Instance] = instances
        self.registries = registries
        self.audit = audit
        self.graph: Graph = graph
        self.links: Links = links
        self._full = {}
        self._placed = None
        for instance in instances.values():
            instance.config = self

    # --- specs -------------------------------------------------------------------------------------

    def full_spec(self, name: str) -> dict:
        """The whole spec of an instance (the module docstring): its own spec, link variables added."""
        if name not in self._full:
            instance = self.instances[name]
            own, service = instance.own, instance.service
            spec = {**own, "env": {**own["env"], **self.links.of(service)}}
            spec["requires"] = sorted(self.graph.all_requires(service))
            spec["wants_info"] = list(self.graph.wants_info[service])
            spec["omit"] = self.services[service].omit
            self._full[name] = spec
        return self._full[name]

    # --- dependency helpers (see _config.graph) ---------------------------------------------------

    def start_levels(self, services=None) -> list[list[str]]:
        """Service start order as levels (all services, or the given ones)."""
        return self.graph.levels(services)

    def stop_levels(self, services=None) -> list[list[str]]:
        return self.graph.levels(services)[::-1]

    def with_dependencies(self, things) -> list[str]:
        """The services of ``things`` plus their transitive ``requires``, sorted."""
        services = set(self.graph.services_of(things))
        for s in list(services):
            services |= self.graph.all_requires(s)
        return sorted(services)

    def dependents(self, things) -> list[str]:
        """The services of ``things`` plus every service that transitively requires them, sorted."""
        services = set(self.graph.services_of(things))
        for s in list(services):
            services |= self.graph.all_dependents(s)
        return sorted(services)

    def expand(self, things=None, with_dependencies=False, with_dependents=False, ship_filter=None, container_filter=None) -> list[str]:
        """Instance names for things (services or instances; None = every non-omitted service)."""
        return self.graph.expand(things, with_dependencies, with_dependents, ship_filter, container_filter)

    def instance_levels(self, instances, reverse=False) -> list[list[str]]:
        """Instances grouped by their service's start level (reverse=True for stopping)."""
        return self.graph.instance_levels(instances, reverse)

    def instances_on(self, ship: str) -> list[Instance]:
        """Instances placed on a ship, in start order (level, then name)."""
        if self._placed is None:  # grouped once: the inventory asks for every ship
            self._placed = {}
            for instance in self.instances.values():
                self._placed.setdefault(instance.ship, []).append(instance.name)
        names = self._placed.get(ship, [])
        return [self.instances[n] for level in self.graph.instance_levels(names) for n in level]

    def deptree(self, things=None, recursive=False) -> str:
        return self.graph.deptree(things, recursive)


# --- building --------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """An instance while it is being built."""

    name: str
    service: str
    at: At
    raw: dict
    values: dict  # combined service + instance values, defaults filled
    service_values: dict
    instance_values: dict


class Builder:
    """Turns the merged, marked data of a ships file into a :class:`Config`, or a ConfigError."""

    def __init__(self, data: MDict, files: list[str], environ):
        self.data = data
        self.files = files
        self.environ = environ
        self.issues = []
        self.envfiles = EnvFiles(environ)
        self.name = ""
        self._service_at = {}  # service name -> (At, raw mapping)
        self._links = None  # Links, once the graph is known

    def build(self) -> Config:
        data = self.data
        top_keys = MDict((k, v) for k, v in data.items() if not (isinstance(k, str) and k.startswith("_") and k != "__maestro"))
        top_keys.loc, top_keys.locs = data.loc, data.locs
        root = At("", data.loc or Loc(None, 1), self.issues)
        if self._too_many(root):
            raise ConfigError(self.issues)
        top = S.LEVEL[S.TOP].parse(top_keys, root, partial=True)
        schema = top.get("__maestro", {}).get("schema", 1)
        root.ctx["schema"] = schema
        self.name = top.get("name", "")

        ships = self._ships(root)
        services, pending = self._services(root, ships)
        graph = self._graph(services, pending, ships)
        instances = self._instances(services, pending, ships, graph)
        if self.issues:
            raise ConfigError(self.issues)
        return Config(
            links=self._links,
            name=self.name,
            schema=schema,
            files=self.files,
            ships=ships,
            services=services,
            instances=instances,
            registries=top.get("registries", {}),
            audit=top.get("audit", []),
            graph=graph,
            warnings=root.ctx.get("warnings", ()),
        )

    def _too_many(self, root) -> bool:
        """Whether the file has more ships or instances than ``limits`` allows (reported): checked before anything is built."""
        data, over = self.data, False
        counts = []
        ships = data.get("ships")
        if isinstance(ships, dict):
            counts.append(("ships", len(ships), limits.MAX_SHIPS))
        services = data.get("services")
        if isinstance(services, dict):
            instances = sum(len(s["instances"]) for s in services.values() if isinstance(s, dict) and isinstance(s.get("instances"), dict))
            counts.append(("services", instances, limits.MAX_INSTANCES))
        for key, count, limit in counts:
            if count > limit:
                what = "ships" if key == "ships" else "instances"
                root.key(data, key).error("%s %s, more than the %s a ships file may have" % (format(count, ","), what, format(limit, ",")))
                over = True
        return over

    # --- ships --------------------------------------------------------------------------------------

    def _name_map(self, root, key, what):
        raw = self.data.get(key)
        at = root.key(self.data, key)
        if raw is None:
            return {}, at
        if not isinstance(raw, dict):
            at.error("must be a mapping of %s names to %ss, not %s" % (what, what, describe(raw)))
            return {}, at
        return raw, at

    def _check_name(self, name, at, kind):
        checker = S.CONTAINER_NAME if kind == "instance" else S.NAME
        if not isinstance(name, str):
            at.error("a %s name must be a string, not %s" % (kind, describe(name)))
            return False
        return checker.parse(name, at) is not INVALID

    def _ships(self, root) -> dict:
        raw_ships, at_ships = self._name_map(root, "ships", "ship")
        defaults = S.LEVEL[S.SHIP_DEFAULTS].parse(self.data.get("ship_defaults"), root.key(self.data, "ship_defaults"), fill=False, partial=True)
        ships = {}
        for name, raw in raw_ships.items():
            at = at_ships.key(raw_ships, name)
            if not self._check_name(name, at, "ship"):
                continue
            values = {**defaults, **S.LEVEL[S.SHIP].parse(raw, at, fill=False, partial=True)}
            S.LEVEL[S.SHIP].fill_defaults(values, S.SHIP)
            if values.get("ip") is None:
                continue
            ships[name] = Ship(
                name=name,
                ip=values["ip"],
                endpoint=values.get("endpoint") or values["ip"],
                docker_port=values["docker_port"],
                socket_path=values["socket_path"],
                ssh_tunnel=values["ssh_tunnel"],
                api_version=values["api_version"],
                timeout=values["timeout"],
                tls=values["tls"],
                tls_verify=values["tls_verify"],
                tls_ca_cert=values["tls_ca_cert"],
                tls_cert=values["tls_cert"],
                tls_key=values["tls_key"],
            )
        return ships

    # --- services and instances -------------------------------------------------------------------

    def _services(self, root, ships):
        raw_services, at_services = self._name_map(root, "services", "service")
        services, pending, owner = {}, {}, {}
        prefixes = {}
        for sname, sraw in raw_services.items():
            sat = at_services.key(raw_services, sname)
            if not self._check_name(sname, sat, "service"):
                continue
            self._unique_mangled(prefixes, sname, sat, "service names")
            svals = S.LEVEL[S.SERVICE].parse(sraw, sat, fill=False, partial=True)
            if not isinstance(sraw, dict):
                continue
            raw_instances = sraw.get("instances")
            iat_map = sat.key(sraw, "instances")
            if raw_instances is not None and not isinstance(raw_instances, dict):
                iat_map.error("must be a mapping of instance names to instances, not %s" % describe(raw_instances))
                raw_instances = None
            names, inst_prefixes = [], {}
            for iname, iraw in (raw_instances or {}).items():
                iat = iat_map.key(raw_instances, iname)
                if not self._check_name(iname, iat, "instance"):
                    continue
                if iname in owner:
                    other_service, other_at = owner[iname]
                    iat.error(
                        "instance name '%s' is already used by service '%s' (%s:%s)" % (iname, other_service, other_at.loc.source.name, other_at.loc.line)
                    )
                    continue
                owner[iname] = (sname, iat)
                self._unique_mangled(inst_prefixes, iname, iat, "instance names")
                ivals = S.LEVEL[S.INSTANCE].parse(iraw, iat, fill=False, partial=True)
                values = self._inherit(svals, ivals)
                ship = values.get("ship")
                if ship is not None and ship not in ships:
                    if ship not in self.data.get("ships", {}) or not isinstance(self.data.get("ships"), dict):
                        iat.key(iraw, "ship").error("unknown ship '%s'%s" % (ship, suggest(ship, ships)))
                    continue
                if ship is None or values.get("image") is None:
                    continue
                names.append(iname)
                pending[iname] = _Pending(iname, sname, iat, iraw, values, svals, ivals)
            services[sname] = Service(
                name=sname,
                image=svals.get("image", ""),
                omit=svals.get("omit", False),
                requires=list(svals.get("requires", [])),
                wants_info=list(svals.get("wants_info", [])),
                instances=sorted(names),
            )
            self._service_at[sname] = (sat, sraw)
        return services, pending

    def _unique_mangled(self, seen, name, at, what):
        key = mangle(name)
        if key in seen and seen[key] != name:
            at.error("%s '%s' and '%s' both become %s in environment variable names" % (what, seen[key], name, key))
        seen.setdefault(key, name)

    def _inherit(self, svals, ivals) -> dict:
        """Combine service and instance values by each field's ``inherit`` mode, then defaults."""
        values = {}
        for f in S.LEVEL[S.INSTANCE].fields:
            mine, theirs = ivals.get(f.name), svals.get(f.name)
            if f.inherit is None or f.inherit == "env":
                value = mine
            elif f.inherit == "override":
                value = mine if mine is not None else theirs
            elif f.inherit == "merge":
                # unset (None) keys of the instance do not hide the service's
                value = {**(theirs or {}), **{k: x for k, x in (mine or {}).items() if x is not None}} if (mine is not None or theirs is not None) else None
            elif f.inherit == "append":
                value = None
                if mine is not None or theirs is not None:
                    value = {state: list(checks) for state, checks in (theirs or {}).items()}
                    for state, checks in (mine or {}).items():
                        value.setdefault(state, []).extend(checks)
            elif f.inherit == "union":
                value = list(dict.fromkeys([*(theirs or []), *(mine or [])])) if (mine is not None or theirs is not None) else None
            else:  # pragma: no cover - a schema error
                raise ValueError("unknown inherit mode %r" % f.inherit)
            if value is not None:
                values[f.name] = value
        return S.LEVEL[S.INSTANCE].fill_defaults(values, S.INSTANCE)

    # --- graph ----------------------------------------------------------------------------------------

    def _graph(self, services, pending, ships) -> Graph:
        service_at = self._service_at
        requires, wants = {}, {}
        for sname, service in services.items():
            sat, sraw = service_at[sname]
            for key, target in (("requires", requires), ("wants_info", wants)):
                kept = []
                declared = getattr(service, key)
                key_at = sat.key(sraw, key)
                raw_list = sraw.get(key)
                for i, dep in enumerate(declared):
                    dep_at = key_at.index(raw_list, i) if isinstance(raw_list, list) else key_at
                    if dep not in services:
                        dep_at.error("unknown service '%s'%s" % (dep, suggest(dep, services)))
                    else:
                        kept.append(dep)
                target[sname] = kept
        for p in pending.values():
            raw_list = p.raw.get("volumes_from") if isinstance(p.raw, dict) else None
            vat = p.at.key(p.raw, "volumes_from")
            for i, source in enumerate(p.values["volumes_from"]):
                src_at = vat.index(raw_list, i) if isinstance(raw_list, list) else vat
                other = pending.get(source)
                if source == p.name:
                    src_at.error("an instance cannot take volumes from itself")
                elif other is None:
                    src_at.error("unknown instance '%s'%s" % (source, suggest(source, pending)))
                elif other.values["ship"] != p.values["ship"]:
                    src_at.error(
                        "'%s' is on ship '%s', not on '%s'; volumes_from needs both on the same ship" % (source, other.values["ship"], p.values["ship"])
                    )
                else:
                    mine, theirs = _mount_targets(p.values), _mount_targets(other.values)
                    clash = sorted(mine & theirs)
                    if clash:
                        src_at.error("volume conflicts with '%s': %s" % (source, ", ".join(clash)))
                    if other.service != p.service and other.service not in services[p.service].implied_requires:
                        services[p.service].implied_requires.append(other.service)
        for service in services.values():
            service.implied_requires.sort()
            requires[service.name] = sorted(set(requires[service.name]) | set(service.implied_requires))
        members = {s: service.instances for s, service in services.items()}
        graph = Graph(requires, wants, members, {n: p.values["ship"] for n, p in pending.items()}, {s: v.omit for s, v in services.items()})
        for cycle in graph.cycles():
            sat, sraw = service_at[cycle[0]]
            sat.key(sraw, "requires").error("dependency cycle: %s" % " -> ".join(cycle))
        return graph

    # --- instance specs ---------------------------------------------------------------------------

    def _instances(self, services, pending, ships, graph) -> dict:
        if any(True for _cycle in graph.cycles()):
            return {}

        def members(sname):
            return [(n, ships[pending[n].values["ship"]].ip, list(pending[n].values["ports"].values())) for n in services[sname].instances]

        # declared requires only: as in maestro-ng, link variables were computed before volumes_from added its dependencies
        self._links = Links({s: service.requires for s, service in services.items()}, graph.wants_info, members)
        instances = {}
        for sname, service in services.items():
            for name in service.instances:
                p = pending[name]
                self._check_instance(p, pending, ships)
                spec = self._spec(p, ships)
                if spec is not None:
                    instances[name] = Instance(name, sname, p.values["ship"], spec)
        self._check_host_ports(pending)
        return instances

    def _check_host_ports(self, pending):
        """Two ports of one ship's containers that would hold the same host port (``_config.ports``: clashes)."""
        claims = {}  # ship -> [Claim]
        for p in pending.values():  # in file order
            raw_ports = p.raw.get("ports") if isinstance(p.raw, dict) else None
            ports_at = p.at.key(p.raw, "ports")
            for name, port in p.values["ports"].items():
                held = held_range(port)
                if held is not None:
                    where = ports_at.key(raw_ports if isinstance(raw_ports, dict) else None, name)
                    ship_claims = claims.setdefault(p.values["ship"], [])
                    ship_claims.append(Claim(len(ship_claims), p.name, name, port["protocol"], port["bind_ip"], *held, where=where))
        for ship, ship_claims in claims.items():
            for later, earlier in clashes(ship_claims):
                later.where.error(clash_message(later, earlier, ship, "%s:%s" % (earlier.where.loc.source.name, earlier.where.loc.line)))

    def _check_instance(self, p, pending, ships):
        v, at, raw = p.values, p.at, p.raw
        bind_targets = {vol["target"] for vol in v["volumes"]}
        for path in v["container_volumes"]:
            if path in bind_targets:
                at.key(raw, "container_volumes").error("%s is both a volume target and a container volume" % path)
        for container in v["links"]:
            other = pending.get(container)
            if other is not None and other.values["ship"] != v["ship"]:
                at.key(raw, "links").error("linked container '%s' is on ship '%s', not on '%s'" % (container, other.values["ship"], v["ship"]))
        net = v.get("net")
        if net and net.startswith("container:"):
            other = pending.get(net.split(":", 1)[1])
            if other is not None and other.values["ship"] != v["ship"]:
                at.key(raw, "net").error("container '%s' is on ship '%s', not on '%s'" % (other.name, other.values["ship"], v["ship"]))
        if net and (net in ("host", "none") or net.startswith("container:")) and v["networks"]:
            at.key(raw, "networks").error("networks cannot be joined with net: %s" % net)
        for host, target in v["extra_hosts"].items():
            if "ship" in target and target["ship"] not in ships:
                at.key(raw, "extra_hosts").error("unknown ship '%s' for host '%s'%s" % (target["ship"], host, suggest(target["ship"], ships)))
        self._check_lifecycle(p)

    def _check_lifecycle(self, p):
        ports = p.values["ports"]
        for origin, vals, at, raw in (("service", p.service_values, None, None), ("instance", p.instance_values, p.at, p.raw)):
            if "ports" not in vals and isinstance(raw, dict) and "ports" in raw:
                return  # the ports were invalid and reported already
            for state, checks in vals.get("lifecycle", {}).items():
                for i, check in enumerate(checks):
                    port = check.get("port")
                    if not isinstance(port, str):
                        continue
                    problem = None
                    if port not in ports:
                        problem = "unknown port '%s'%s" % (port, suggest(port, ports))
                    elif check["type"] == "tcp" and ports[port]["protocol"] != "tcp":
                        problem = "port '%s' is %s; a tcp check needs a tcp port" % (port, ports[port]["protocol"])
                    if problem:
                        if origin == "service":
                            sat, sraw = self._service_at[p.service]
                            where = sat.key(sraw, "lifecycle")
                            problem += " (for instance %s)" % p.name
                        else:
                            where = at.key(raw, "lifecycle")
                        where.key(None, state).error("check %d: %s" % (i + 1, problem))

    def _spec(self, p, ships) -> dict | None:
        """The instance's own spec: everything but the link variables and the service's requires, wants_info, omit."""
        v = p.values
        ship = ships[v["ship"]]
        full, repository, tag = split_image(v["image"])
        env, user_keys = self._env(p, ship, full, tag)
        if env is None:
            return None
        return {
            "name": p.name,
            "hostname": None if v.get("net") else p.name,
            "service": p.service,
            "environment": self.name,
            "ship": ship.name,
            "ship_ip": ship.ip,
            "image": full,
            "repository": repository,
            "tag": tag,
            "env": env,
            "secret_env": secret_keys(env, user_keys, v["secret_env"]),
            "ports": [dict(port) for port in v["ports"].values()],
            "extra_hosts": {h: t["ip"] if "ip" in t else ships[t["ship"]].ip for h, t in v["extra_hosts"].items() if "ip" in t or t["ship"] in ships},
            "limits": {"memory": v["limits"].get("memory"), "swap": v["limits"].get("swap"), "cpu": v["limits"].get("cpu")},
            "healthcheck": {k: val for k, val in v["healthcheck"].items() if val is not None} if v.get("healthcheck") else None,
            # the container options that the file passes through as they are (schema: Field.spec)
            **{f.spec: v.get(f.name) for f in S.SPEC_FIELDS},
        }

    def _env(self, p, ship, image, tag):
        """Steps 1-6 of the build order (``_config.env``); link variables are added by the caller."""
        env, user_keys, ok = {}, set(), True
        layers = (
            (p.service_values, self._service_at[p.service], {"MAESTRO_ENVIRONMENT_NAME": self.name, "SERVICE_NAME": p.service}),
            (p.instance_values, (p.at, p.raw), {"CONTAINER_NAME": p.name, "CONTAINER_HOST_ADDRESS": ship.ip, "DOCKER_IMAGE": image, "DOCKER_TAG": tag}),
        )
        for vals, (at, raw), injected in layers:
            for i, path in enumerate(vals.get("envfile", [])):
                raw_list = raw.get("envfile") if isinstance(raw, dict) else None
                where = at.key(raw, "envfile")
                if isinstance(raw_list, list):
                    where = where.index(raw_list, i)
                try:
                    found = self.envfiles.read(path)
                except EnvFileError as exc:
                    if not any(issue.message == str(exc) for issue in self.issues):
                        where.error(str(exc))
                    ok = False
                    continue
                env.update(found)
                user_keys.update(found)
            env.update(vals.get("env", {}))
            user_keys.update(vals.get("env", {}))
            env.update(injected)
            user_keys.difference_update(injected)
        return (env, user_keys) if ok else (None, None)


def _mount_targets(values) -> set:
    return {vol["target"] for vol in values["volumes"]} | set(values["container_volumes"])
