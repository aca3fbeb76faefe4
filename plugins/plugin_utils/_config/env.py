# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Container environments: env values, env files, the variables maestro-ng injects, secrets.

Build order, later wins (exactly maestro-ng's):

1. the service's ``envfile`` files, in order
2. the service's ``env``
3. ``MAESTRO_ENVIRONMENT_NAME`` (top-level ``name``) and ``SERVICE_NAME``
4. the instance's ``envfile`` files, in order
5. the instance's ``env``
6. ``CONTAINER_NAME``, ``CONTAINER_HOST_ADDRESS`` (the ship's ``ip``), ``DOCKER_IMAGE`` (full image
   with tag), ``DOCKER_TAG``
7. link variables, first of the instance's own service ("peers", itself included), then of each
   service it ``requires`` (transitively) or ``wants_info`` (directly), in name order:

   * ``<SVC>_<INST>_HOST`` = that instance's ship ``ip``
   * ``<SVC>_<INST>_<PORT>_PORT`` = its external port (``"1234-1236"`` for a range)
   * ``<SVC>_<INST>_<PORT>_INTERNAL_PORT`` = its exposed port, for peers only
   * ``<SVC>_INSTANCES`` = the service's instance names, sorted, comma-separated

Names are mangled with ``re.sub(r'[^\\w]', '_', name).upper()``. As in maestro-ng, the implicit
dependency that ``volumes_from`` adds orders containers but adds no link variables, and nothing
overrides a link variable. A port with a random host port (``external: null``) has no ``_PORT``
variable, since its value is only known once the container runs.

Values: strings stay, numbers are written as YAML shows them, booleans as ``true``/``false`` (as
docker compose does; maestro-ng wrote Python's ``True``), ``null`` as an empty string, and lists
are flattened and joined with spaces: ``[a, [b, c]]`` -> ``"a b c"`` (maestro-ng).

Env files use Docker's env-file format: ``KEY=VALUE`` lines, taken literally (no quotes removed);
blank lines and lines starting with ``#`` are skipped; a line ``KEY`` alone takes ``KEY`` from the
environment the file is loaded with, if set (docker CLI behaviour; docker-py, which maestro-ng used,
rejected such lines). Paths are relative to the file that declares them.

Secrets: a key is secret when a ``secret_env`` list (service or instance) names it, or when its
name matches ``PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL`` (any case). Only keys
that come from ``env``/``envfile`` count; injected variables never are.
"""

from __future__ import annotations

import re

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import describe
from ansible_collections.maestro.docker.plugins.plugin_utils._config.limits import TooLarge, read_text
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import INVALID, VAULT_NOT_HERE, Vaulted, has_vaulted
from ansible_collections.maestro.docker.plugins.plugin_utils._config.values import scalar_text

SECRET_RE = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL", re.IGNORECASE)
_ENV_NAME_RE = re.compile(r"^[^=\s]+$")


def mangle(name: str) -> str:
    """maestro-ng's environment variable name mangling."""
    return re.sub(r"[^\w]", "_", name).upper()


def env_name(value, at):
    if isinstance(value, str) and _ENV_NAME_RE.match(value):
        return value
    at.error("'%s' is not an environment variable name" % (value,))
    return INVALID


def _flatten(value):
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    return scalar_text(value)


def env_value(value, at):
    """A scalar, or a (nested) list flattened with spaces. ``null`` stays None: the container gets ``KEY`` alone, which
    leaves the variable out of its environment (the image's value too), as maestro-ng (docker-py) did."""
    if isinstance(value, dict) or (isinstance(value, list) and _has_dict(value)):
        at.error("an environment value must be a scalar or a list, not a mapping")
        return INVALID
    if isinstance(value, list) and has_vaulted(value):
        at.error("an encrypted value (!vault) must be the whole environment value, not an item of a list")
        return INVALID
    return None if value is None else _flatten(value)


def _has_dict(value):
    return any(isinstance(v, dict) or (isinstance(v, list) and _has_dict(v)) for v in value)


def env_map(value, at):
    if not isinstance(value, dict):
        at.error("must be a mapping of environment variables, not %s" % describe(value))
        return INVALID
    result, ok = {}, True
    for key, item in value.items():
        child = at.key(value, key)
        if isinstance(key, Vaulted):
            child.error(VAULT_NOT_HERE)
            ok = False
            continue
        if env_name(key, child) is INVALID:
            ok = False
            continue
        out = env_value(item, child)
        if out is INVALID:
            ok = False
        else:
            result[key] = out
    return result if ok else INVALID


class EnvFileError(Exception):
    pass


def parse_env_file(path: str, environ) -> dict:
    """Read a Docker env file. Raises :class:`EnvFileError` with ``path:line`` on a bad line."""
    result = {}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = read_text(handle, what="an env file").splitlines()
    except (OSError, UnicodeDecodeError, TooLarge) as exc:
        raise EnvFileError("cannot read env file %s: %s" % (path, exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)) from None
    for number, raw in enumerate(lines, 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key or not _ENV_NAME_RE.match(key):
            raise EnvFileError("%s:%d: invalid line '%s' (expected KEY=VALUE)" % (path, number, raw))
        if sep:
            result[key] = value
        elif key in environ:
            result[key] = environ[key]
    return result


class EnvFiles:
    """Env files read once per load (many instances share a service's files)."""

    def __init__(self, environ):
        self.environ = environ
        self._cache = {}

    def read(self, path: str) -> dict:
        if path not in self._cache:
            try:
                self._cache[path] = parse_env_file(path, self.environ)
            except EnvFileError as exc:
                self._cache[path] = exc
        found = self._cache[path]
        if isinstance(found, EnvFileError):
            raise found
        return found


def link_variables(service: str, members, internal: bool) -> dict:
    """The link variables of one service. ``members``: (instance name, ship ip, ports) tuples."""
    base = mangle(service)
    result = {}
    for name, ship_ip, ports in members:
        prefix = "%s_%s" % (base, mangle(name))
        result[prefix + "_HOST"] = ship_ip
        for port in ports:
            port_prefix = "%s_%s" % (prefix, mangle(port["name"]))
            if port["external"] is not None:
                result[port_prefix + "_PORT"] = str(port["external"])
            if internal:
                result[port_prefix + "_INTERNAL_PORT"] = str(port["exposed"])
    result[base + "_INSTANCES"] = ",".join(sorted(member[0] for member in members))
    return result


class Links:
    """Step 7 of the build order: the link variables of each service's instances, computed once per service.

    ``requires`` and ``wants_info`` are each service's *declared* direct ones (``volumes_from`` adds no link
    variables); ``members(service)`` gives that service's ``(instance name, ship ip, ports)`` tuples, sorted
    by name. The loader and the controller-side plugins (from what the ships inventory published) both
    complete an instance's environment with :meth:`of`, so there is one place that says what a link is.
    """

    def __init__(self, requires: dict, wants_info: dict, members):
        self.requires = requires
        self.wants_info = wants_info
        self.members = members
        self._of = {}
        self._vars = {}

    def linked(self, service: str) -> list:
        """Services whose link variables follow the peers': declared requires (transitively) and wants_info, by name."""
        result, todo = set(), list(self.requires.get(service) or ())
        while todo:
            dep = todo.pop()
            if dep not in result:
                result.add(dep)
                todo.extend(self.requires.get(dep) or ())
        return sorted((result | set(self.wants_info.get(service) or ())) - {service})

    def _variables(self, service: str, internal: bool) -> dict:
        key = (service, internal)
        if key not in self._vars:
            self._vars[key] = link_variables(service, self.members(service), internal=internal)
        return self._vars[key]

    def of(self, service: str) -> dict:
        """The link variables of an instance of ``service``: its peers (itself included), then each linked service."""
        if service not in self._of:
            links = dict(self._variables(service, True))
            for dep in self.linked(service):
                links.update(self._variables(dep, False))
            self._of[service] = links
        return self._of[service]


def secret_keys(env: dict, user_keys, explicit) -> list:
    """The keys of ``env`` to mask: named in ``explicit``, user keys matching :data:`SECRET_RE`, or whose value was encrypted (``!vault``)."""
    return sorted({k for k in explicit if k in env} | {k for k in user_keys if k in env and (SECRET_RE.search(k) or isinstance(env[k], Vaulted))})
