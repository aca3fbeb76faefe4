# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The deploy role's inputs, on plain data: what its steps need, worked out once from its options, and every input
error at once (maestro.docker.deploy_inputs, the role's first task).

``work_out`` turns the role's options (validated against its argument spec) into the values its steps use: the
services, the proxies and the ships they are on, the lock, the steps file, the colours. ``input_errors`` names every
option that does not fit the others or the inventory, each with what to do. No Docker daemon is asked.
"""

from __future__ import annotations

from collections.abc import Callable

from ansible_collections.maestro.docker.plugins.plugin_utils import _canary

PARK_SUFFIX = ".parked"
STEPS = {"deploy": "blue_green", "rollback": "rollback", "releases": "releases"}
DEFAULT_HEALTH_PORT = 8405  # the proxies' health endpoint when they hold a floating address


def _proxy_hosts(proxy: dict, play_hosts: list[str]) -> list[str]:
    """maestro_proxy.hosts: a list of hosts, one host, or ``all`` (every ship of the play); else maestro_proxy.host, else
    the play's first host."""
    hosts = proxy.get("hosts")
    if hosts:
        if hosts == "all":
            return list(play_hosts)
        return [hosts] if isinstance(hosts, str) else list(hosts)
    return [proxy.get("host") or (play_hosts[0] if play_hosts else None)]


def work_out(options: dict, play_hosts: list[str], environment: str = "default") -> dict:
    """The values the steps use, from the role's ``options`` (maestro_deploy_*, maestro_proxy), the play's hosts and
    the ships file's environment. The same for every ship: worked out once."""
    action, proxy = options["maestro_deploy_action"], options.get("maestro_proxy") or {}
    blue_green = options["maestro_deploy_strategy"] == "blue-green" or action != "deploy"
    floating = proxy.get("floating_address") or {}
    name = proxy.get("name", f"maestro-proxy-{environment}")
    proxies = _proxy_hosts(proxy, play_hosts)
    frontends = proxy.get("frontends") or {}
    services = list(options.get("maestro_deploy_services") or []) or (sorted(frontends) if blue_green else [])
    lock_host = options.get("maestro_deploy_lock_host")
    canary = options.get("maestro_deploy_canary") or []
    steps = STEPS.get(action, action) if blue_green else "stop_start"
    return {
        "services": services,
        "proxy_hosts": proxies,
        # the proxies as the engine's on_ships wants them: ship -> the proxy's name there
        "proxy_ships": {host: {"name": name} for host in proxies},
        "proxy_unreachable": proxy.get("unreachable", "fail"),
        # the lock is held on a majority of these (maestro.docker.quorum_lock)
        "lock_hosts": [lock_host] if lock_host else proxies,
        "proxy_name": name,
        "lock_name": f"maestro-lock-{environment}",
        "environment": environment,
        # maestro_proxy.floating_address: {address, keepalived_image, interface, virtual_router_id, advert_int}
        "floating": floating,
        # the proxies' health endpoint: maestro_proxy.health_port, 8405 with a floating address, else none (as they have it)
        "health_port": proxy.get("health_port") or (DEFAULT_HEALTH_PORT if floating else None),
        "park_suffix": PARK_SUFFIX,
        "steps": steps,
        # how the steps make each colour's specs from a ship's own (plugin_utils/_bluegreen.py)
        "colours": {
            "frontends": frontends,
            "port_offset": int(options["maestro_deploy_port_offset"]),
            "tag": options.get("maestro_deploy_tag") or "",
            "check_wait": int(options["maestro_deploy_check_wait"]),
        },
        "canary": bool(canary) and steps == "blue_green",
    }


def input_errors(options: dict, inputs: dict, has_docker: Callable[[str], bool | None], docker_param: bool) -> list[str]:
    """Every input that does not fit, each a sentence that says what to do. ``has_docker(host)``: whether an inventory
    host has maestro_docker (None: no such host); ``docker_param``: maestro_docker was given to the role or the play
    (every ship takes it), not by the inventory."""
    errors = []
    proxy = options.get("maestro_proxy") or {}
    action, steps, services = options["maestro_deploy_action"], inputs["steps"], inputs["services"]
    proxy_hosts, floating = inputs["proxy_hosts"], inputs["floating"]
    frontends = list(proxy.get("frontends") or {})
    unknown = [str(host) for host in proxy_hosts if host is None or has_docker(host) is None]
    if unknown or not proxy_hosts:
        verb = "is" if len(proxy_hosts) == 1 else "are"
        errors.append(
            f"the proxy hosts (maestro_proxy.hosts or host) must be inventory hosts with maestro_docker: {', '.join(unknown) or 'none given'} {verb} not"
        )
    if not docker_param and any(has_docker(host) is False for host in proxy_hosts if host is not None):
        errors.append("every proxy host (maestro_proxy.hosts or host) needs maestro_docker, the connection to its Docker daemon")
    if proxy.get("host") and proxy.get("hosts"):
        errors.append("maestro_proxy takes host (one) or hosts (several, or all), not both")
    if inputs["proxy_unreachable"] not in ("fail", "skip"):
        errors.append(f"maestro_proxy.unreachable must be fail or skip (got {inputs['proxy_unreachable']})")
    lock_host = options.get("maestro_deploy_lock_host")
    if lock_host and not (has_docker(lock_host) or (docker_param and has_docker(lock_host) is not None)):
        errors.append(f"the lock host {lock_host} (maestro_deploy_lock_host) must be an inventory host with maestro_docker")
    if floating and not (floating.get("address") and floating.get("keepalived_image")):
        errors.append("maestro_proxy.floating_address needs an address and a keepalived_image (the keepalived that holds the address beside each proxy)")
    if floating and steps == "stop_start":
        errors.append("maestro_proxy.floating_address moves an address between the proxies of a blue/green deploy; a stop-start deploy has no proxy")
    if int(options["maestro_deploy_keep_releases"]) < 1:
        errors.append(
            f"maestro_deploy_keep_releases must be at least 1 (got {options['maestro_deploy_keep_releases']}): rollback goes back to the previous release"
        )
    if steps != "stop_start":
        if "image" not in proxy and action == "deploy":
            errors.append("a blue/green deploy needs maestro_proxy.image, the HAProxy image of the proxy it switches")
        if not services:
            errors.append(f"a blue/green {action} needs a service with a frontend in maestro_proxy.frontends (there is none)")
        elif missing := list(dict.fromkeys(s for s in services if s not in frontends)):
            errors.append(
                f"a blue/green {action} needs a frontend in maestro_proxy.frontends for every service it deploys: none for "
                f"{', '.join(missing)} (frontends: {', '.join(frontends) or 'none'})"
            )
    return errors


def canary_steps(options: dict, inputs: dict) -> tuple[list[dict], str | None]:
    """The canary's steps, checked with its thresholds (plugin_utils/_canary.py), and the error, if any. None without a
    canary (maestro_deploy_canary empty, or no blue/green deploy)."""
    if not inputs["canary"]:
        return [], None
    try:
        return _canary.checked_steps(options["maestro_deploy_canary"], options.get("maestro_deploy_canary_thresholds")), None
    except _canary.CanaryError as exc:
        return [], str(exc)
