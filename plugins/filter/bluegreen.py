# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the blue/green role: colour specs, proxy backends, the colour plan (plugin_utils/_bluegreen.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.plugin_utils import _bluegreen
from ansible_collections.maestro.docker.plugins.plugin_utils._data import plain


def _guard(func):
    def wrapper(*args, **kwargs):
        try:
            # plain data: the pure logic copies specs, and copying Ansible's lazy containers is slow
            return func(*(plain(a) for a in args), **{k: plain(v) for k, v in kwargs.items()})
        except _bluegreen.BlueGreenError as exc:
            raise AnsibleFilterError(str(exc)) from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def colour_specs(specs, colour, *, port_offset=10000, tag=None, health=None, name_suffix=""):
    """The specs of one colour (blue: as in the ships file; green: -green names, shifted host ports)."""
    out = _bluegreen.colour_specs(list(specs or []), str(colour), port_offset=int(port_offset), tag=tag or None, health=health or None)
    return [{**spec, "name": spec["name"] + str(name_suffix or "")} for spec in out]


def proxy_backends(specs, port=None):
    """HAProxy backends (name, ship address, published host port) of colour specs."""
    return _bluegreen.backends(list(specs or []), port or None)


def bluegreen_plan(services, frontends, blue_running=None, action="deploy"):
    """Per service: the live colour and the colour this run brings up."""
    return _bluegreen.plan(list(services or []), list(frontends or []), list(blue_running or []), str(action))


def bluegreen_specs(specs, plan, which, frontends, *, port_offset=10000, tag=None, check_wait=30, name_suffix=""):
    """The specs of the new (or live) colour of the planned services."""
    return _bluegreen.plan_specs(
        list(specs or []),
        dict(plan or {}),
        str(which),
        dict(frontends or {}),
        port_offset=int(port_offset),
        tag=tag or None,
        check_wait=int(check_wait),
        name_suffix=str(name_suffix or ""),
    )


def bluegreen_frontends(plan, frontends, specs):
    """The proxy frontends routing each planned service to its new colour."""
    return _bluegreen.frontends(dict(plan or {}), dict(frontends or {}), list(specs or []))


def bluegreen_stale(specs, infos):
    """The services whose instances are not all running as their specs want."""
    return _bluegreen.stale_services(list(specs or []), list(infos or []))


def bluegreen_outcome(decision, action, *, parked=(), removed=(), restored=(), switched=False, park_suffix=".parked", proxies_left=()):
    """The end of a failed deploy's message: where the traffic is, and per ship what the undo did and left."""
    return _bluegreen.outcome(
        str(action),
        dict(decision or {}),
        parked=list(parked or []),
        removed=list(removed or []),
        restored=list(restored or []),
        switched=bool(switched),
        park_suffix=str(park_suffix),
        proxies_left=list(proxies_left or []),
    )


def bluegreen_summary(decision, action, *, proxies=(), seconds=None, check_mode=False, started=None):
    """The last line of a blue/green deploy or rollback that succeeded: what runs where, what was stopped and kept."""
    took = None if seconds in (None, "") else float(seconds)
    return _bluegreen.summary(
        str(action), dict(decision or {}), [str(p) for p in proxies or []], seconds=took, check_mode=bool(check_mode), started=dict(started or {})
    )


FILTERS = {
    "bluegreen_outcome": bluegreen_outcome,
    "bluegreen_summary": bluegreen_summary,
    "bluegreen_stale": bluegreen_stale,
    "colour_specs": colour_specs,
    "proxy_backends": proxy_backends,
    "bluegreen_plan": bluegreen_plan,
    "bluegreen_specs": bluegreen_specs,
    "bluegreen_frontends": bluegreen_frontends,
}


class FilterModule:
    def filters(self):
        return {name: _guard(func) for name, func in FILTERS.items()}
