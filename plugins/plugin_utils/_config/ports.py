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

Two containers of one ship cannot publish the same host port: Docker starts the first and refuses
the second ("port is already allocated"), in the middle of a deploy. :func:`clashes` finds them at
load: the same protocol, host port ranges that overlap, on the same address or one of them on all
the addresses of its family (``0.0.0.0``, ``::``). A port whose host port Docker picks (no
``external``, or one container port on a range of host ports) holds none. The blue/green deploy
shifts the host ports of the green colour by an offset (``maestro_bg_port_offset``) that only the
run knows: the ports it shifts to are not the loader's to check.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

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


# --- host ports that two containers of one ship would both hold -------------------------------------


@dataclass(frozen=True)
class Claim:
    """Host ports that a port of an instance holds on its ship: ``start``..``end`` for ``protocol`` on ``bind_ip``.

    ``order`` is the place of the port in the file (instances in file order, then their ports), ``where``
    whatever the caller needs to report the clash (its position).
    """

    order: int
    instance: str
    port: str
    protocol: str
    bind_ip: str
    start: int
    end: int
    where: object = field(default=None, compare=False)

    def text(self, show_ip: bool) -> str:
        """``8080/tcp``, ``8000-8010/udp``, ``10.0.0.1:8080/tcp`` (with ``show_ip``)."""
        port = "%s/%s" % (_ports.text(self.start, self.end), self.protocol)
        if not show_ip:
            return port
        return "[%s]:%s" % (self.bind_ip, port) if ":" in self.bind_ip else "%s:%s" % (self.bind_ip, port)


def held_range(port: dict) -> tuple[int, int] | None:
    """The host ports (first, last) a normalised port holds, or None when Docker picks one.

    Docker picks the host port when ``external`` is None, and when one container port is published
    on a range of host ports (any free port of the range): neither holds a known port. A range
    published on a range holds all of it.
    """
    if port["external"] is None:
        return None
    start, end = _ports.parse(port["external"])[:2]
    exposed_start, exposed_end = _ports.parse(port["exposed"])[:2]
    if exposed_start == exposed_end and end > start:
        return None
    return start, end


def _same_addresses(one: str, other: str) -> bool:
    """Whether two bind addresses share a host port: the same address, or all the addresses (0.0.0.0, ::) of the other's family."""
    if one == other:
        return True
    a, b = ipaddress.ip_address(one), ipaddress.ip_address(other)
    return a.version == b.version and (a.is_unspecified or b.is_unspecified)


def clashes(claims) -> list[tuple[Claim, Claim]]:
    """``(later, earlier)`` for each claim that holds a host port an earlier claim (in ``order``) holds too.

    The claims are those of one ship. Each later claim is given once, with the first claim it clashes
    with. Sorted by first port, a claim can only clash with those not yet ended, so a ship with many
    ports is not compared pair by pair.
    """
    found = {}
    by_protocol = {}
    for claim in claims:
        by_protocol.setdefault(claim.protocol, []).append(claim)
    for group in by_protocol.values():
        active = []
        for claim in sorted(group, key=lambda c: (c.start, c.order)):
            active = [a for a in active if a.end >= claim.start]
            for other in active:
                if _same_addresses(claim.bind_ip, other.bind_ip):
                    later, earlier = (claim, other) if claim.order > other.order else (other, claim)
                    if later.order not in found or earlier.order < found[later.order][1].order:
                        found[later.order] = (later, earlier)
            active.append(claim)
    return [found[order] for order in sorted(found)]


def clash_message(later: Claim, earlier: Claim, ship: str, place: str) -> str:
    """What is wrong with ``later`` (the caller says where it is), naming ``earlier`` and its ``place`` (FILE:LINE)."""
    show_ip = later.bind_ip != earlier.bind_ip or later.bind_ip != _ports.DEFAULT_BIND_IP
    if earlier.instance == later.instance:
        owner = "port '%s' of the same instance (%s)" % (earlier.port, place)
    else:
        owner = "instance '%s' (port '%s', %s)" % (earlier.instance, earlier.port, place)
    mine = later.text(show_ip)
    if (later.start, later.end, later.bind_ip) == (earlier.start, earlier.end, earlier.bind_ip):
        return "host port %s on ship '%s' is already published by %s" % (mine, ship, owner)
    return "host port %s on ship '%s' overlaps %s, published by %s" % (mine, ship, earlier.text(show_ip), owner)
