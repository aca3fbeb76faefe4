# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The grammar of named ports (maestro-ng's, with clearer errors).

Ports are named; the name is used in the injected environment variables and in lifecycle checks::

    ports:
      http: 8080                         # exposed 8080/tcp, published on host port 8080
      dns: 53/udp                        # same port number, UDP
      admin: "8080:19001"                # EXPOSED:EXTERNAL - container 8080 on host port 19001
      range: "1234-1236:1234-1236"       # ranges of equal length
      any: "1234:1234-1236"              # a random host port from a range
      smtp: {exposed: 25, external: 2525}
      bound: {exposed: 25, external: [192.168.10.2, 25]}   # publish on one host address only
      random: {exposed: 9000, external: null}               # a random host port (extension)

**The order is EXPOSED:EXTERNAL, the reverse of** ``docker run -p``. A side is ``N``, ``N-M``, with an
optional ``/tcp``, ``/udp`` or ``/sctp`` (tcp by default; sctp is an extension). When only one side
names a protocol, the other side takes it (maestro-ng rejected ``"53/udp:53"``); two different
protocols are an error. Write mappings in quotes; the loader also reads an unquoted ``8080:80`` as
the string it looks like (YAML 1.1 would make it the base-60 number 484880).

Normalised form, one dict per port: ``{name, exposed, external, protocol, bind_ip}``, where
``exposed`` is an int or an ``"a-b"`` string for a range, ``external`` likewise or ``None`` for a
random host port, and ``bind_ip`` is ``0.0.0.0`` unless given.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.maestro.docker.plugins.module_utils._docker import ports as _ports
from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import describe
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import INVALID

_FORMS = "expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL (the reverse of docker -p)"


def _side(value, at, what):
    """Parse one side with the one port grammar (module_utils/_docker/ports.py): (start, end, protocol or None) or INVALID."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        at.error("%s port must be a number or a string, not %s" % (what, describe(value)))
        return INVALID
    try:
        return _ports.parse(value)
    except _ports.PortError as exc:
        at.error("invalid %s port '%s' (%s)" % (what, value, _FORMS) if exc.form else "%s port %s" % (what, exc))
        return INVALID


def parse_port(name: str, spec, at):
    """Check and normalise one named port spec (see the module docstring)."""
    bind_ip = _ports.DEFAULT_BIND_IP
    if isinstance(spec, bool):
        at.error("invalid port spec %s (%s)" % (describe(spec), _FORMS))
        return INVALID
    if isinstance(spec, int):
        exposed = _side(spec, at, "exposed")
        external = exposed
    elif isinstance(spec, str):
        parts = spec.split(":")
        if len(parts) > 2:
            at.error("invalid port spec '%s' (%s)" % (spec, _FORMS))
            return INVALID
        exposed = _side(parts[0], at, "exposed")
        external = _side(parts[1], at, "external") if len(parts) == 2 else exposed
    elif isinstance(spec, dict):
        unknown = sorted(str(k) for k in spec if k not in ("exposed", "external"))
        if unknown:
            at.error("unknown port key '%s' (a port mapping has exposed and external)" % unknown[0])
            return INVALID
        if "exposed" not in spec:
            at.error("missing required key 'exposed'")
            return INVALID
        exposed = _side(spec["exposed"], at.key(spec, "exposed"), "exposed")
        ext = spec.get("external")
        ext_at = at.key(spec, "external")
        if isinstance(ext, list):
            if len(ext) != 2 or not isinstance(ext[0], str):
                ext_at.error("a bound external port is [HOST_IP, PORT], not %s" % (ext,))
                return INVALID
            try:
                bind_ip = str(ipaddress.ip_address(ext[0]))
            except ValueError:
                ext_at.error("'%s' is not an IP address" % ext[0])
                return INVALID
            ext = ext[1]
        external = None if ext is None else _side(ext, ext_at, "external")
    else:
        at.error("invalid port spec %s (%s)" % (describe(spec), _FORMS))
        return INVALID
    if exposed is INVALID or external is INVALID:
        return INVALID

    protocol = exposed[2]
    if external is not None:
        if protocol and external[2] and protocol != external[2]:
            at.error("port '%s' mixes protocols %s and %s" % (name, protocol, external[2]))
            return INVALID
        protocol = protocol or external[2]
        exposed_len = exposed[1] - exposed[0]
        external_len = external[1] - external[0]
        if exposed_len and external_len != exposed_len:
            at.error("port '%s' maps the range %s to %s; ranges must have the same length" % (name, _ports.text(*exposed[:2]), _ports.text(*external[:2])))
            return INVALID
    return {
        "name": name,
        "exposed": _ports.text(*exposed[:2]),
        "external": None if external is None else _ports.text(*external[:2]),
        "protocol": protocol or _ports.DEFAULT_PROTOCOL,
        "bind_ip": bind_ip,
    }


def port_number(value) -> str:
    """The port as the injected environment variables show it: ``"8080"`` or ``"1234-1236"``."""
    return str(value)


def ports_map(value, at):
    """A mapping of port names to port specs -> ``{name: normalised port}``."""
    if not isinstance(value, dict):
        at.error("must be a mapping of port names to port specs, not %s" % describe(value))
        return INVALID
    result, ok = {}, True
    for key, spec in value.items():
        child = at.key(value, key)
        name = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        if not isinstance(name, str) or not name:
            child.error("a port name must be a string, not %s" % describe(name))
            ok = False
            continue
        port = parse_port(name, spec, child)
        if port is INVALID:
            ok = False
        else:
            result[name] = port
    return result if ok else INVALID
