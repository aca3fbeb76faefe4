# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""A floating address in front of the proxies: a keepalived (VRRP) container beside the proxy of each ship.

:func:`render` is pure: the options in, keepalived.conf out. One VRRP instance; every ship starts as BACKUP with
``nopreempt`` and a priority from its place in the list of proxy ships (the first ship is preferred), so the address
moves once when its ship is lost and does not move back when that ship returns. A ``vrrp_script`` asks the proxy's
health endpoint (HAProxy's ``monitor-uri``, see haproxy.py) every advert interval: a ship whose proxy is not fit goes
to FAULT and gives the address up.

:class:`FloatingAddress` runs the container like the proxy's (proxy.py: the same labels, the same refusal to touch a
container it did not make, the configuration written through the archive API) and reloads keepalived with SIGHUP
when the configuration changes; a second run with the same options changes nothing.
"""

from __future__ import annotations

import ipaddress
import re
import time

from ansible_collections.maestro.docker.plugins.module_utils._docker import proxy as _proxy
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.module_utils._docker.client import DockerFailure
from ansible_collections.maestro.docker.plugins.module_utils._docker.haproxy import HEALTH_URI

CONFIG_PATH = "/etc/keepalived/keepalived.conf"
ROLE = "floating-address"
STATES = ("present", "absent")
CAPABILITIES = ("NET_ADMIN", "NET_BROADCAST", "NET_RAW")
# The first ship of the list gets TOP_PRIORITY, each next one STEP less (VRRP priorities go from 1 to 254).
TOP_PRIORITY = 200
STEP = 10
INTERFACE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
START_TIMEOUT = 10
POLL = 0.2


class FloatingConfigError(ValueError):
    """Options that cannot make a valid keepalived configuration; the message names the option."""


def priority(hosts: list[str], ship: str) -> int:
    """The VRRP priority of ``ship``: by its place in ``hosts``, the first preferred."""
    if ship not in hosts:
        raise FloatingConfigError(f"ship {ship} is not one of the proxy ships ({', '.join(hosts) or 'none'}) that share the floating address")
    return max(1, TOP_PRIORITY - STEP * hosts.index(ship))


def normalize(p: dict) -> dict:
    """The options a configuration is rendered from, checked (they end up in a configuration file)."""
    try:
        address = ipaddress.ip_interface(str(p.get("address") or ""))
    except ValueError:
        raise FloatingConfigError(f"address {p.get('address')!r} must be an IPv4 address, optionally with a prefix length (10.0.0.100/24)") from None
    if address.version != 4:
        raise FloatingConfigError(f"address {p.get('address')} must be an IPv4 address")
    interface = p.get("interface") or "eth0"
    if not INTERFACE.match(interface):
        raise FloatingConfigError(f"interface {interface!r} must be a network interface name (letters, digits, '-', '_', '.')")
    router_id = p.get("virtual_router_id") or 51
    if isinstance(router_id, bool) or not isinstance(router_id, int) or not 1 <= router_id <= 255:
        raise FloatingConfigError(f"virtual_router_id must be a number from 1 to 255, not {router_id!r}")
    advert = float(p.get("advert_int") or 0.5)
    if not 0.01 <= advert <= 40.95:
        raise FloatingConfigError(f"advert_int must be from 0.01 to 40.95 seconds, not {advert}")
    health = p.get("health_port")
    if health is not None and (isinstance(health, bool) or not isinstance(health, int) or not 1 <= health <= 65535):
        raise FloatingConfigError(f"health_port must be a number from 1 to 65535, not {health!r}")
    prio = p.get("priority")
    if prio is None:
        prio = priority([str(h) for h in p.get("hosts") or []], str(p.get("ship")))
    if isinstance(prio, bool) or not isinstance(prio, int) or not 1 <= prio <= 254:
        raise FloatingConfigError(f"priority must be a number from 1 to 254, not {prio!r}")
    return {
        "address": str(address),
        "interface": interface,
        "virtual_router_id": router_id,
        "advert_int": advert,
        "priority": prio,
        "health_port": health,
        "instance": re.sub(r"[^A-Za-z0-9_]", "_", str(p.get("name") or "maestro")),
    }


def render(c: dict) -> str:
    """keepalived.conf for the normalized options ``c``: one VRRP instance (VRRPv3, multicast on ``interface``)."""
    advert = f"{c['advert_int']:g}"
    lines = [
        "# Written by maestro.docker.floating_address: changes made by hand are replaced at its next run.",
        "global_defs {",
        f"    router_id {c['instance']}",
        "    vrrp_version 3",
        "    enable_script_security",
        "    script_user root",
        # gratuitous ARPs: at once on becoming master, then every second, and again when a lower priority speaks up
        "    vrrp_garp_master_delay 1",
        "    vrrp_garp_master_repeat 3",
        "    vrrp_garp_master_refresh 1",
        "    vrrp_garp_lower_prio_repeat 3",
        "}",
    ]
    if c.get("health_port"):
        # busybox wget: HTTP 503 (the proxy is not fit) and no answer (keepalived ends it after timeout) both fail; its -T crashes
        lines += [
            "",
            "vrrp_script maestro_proxy_fit {",
            f'    script "/bin/wget -q -O /dev/null http://127.0.0.1:{c["health_port"]}{HEALTH_URI}"',
            f"    interval {max(1, round(c['advert_int']))}",
            "    timeout 2",
            "    fall 2",
            "    rise 1",
            "}",
        ]
    lines += [
        "",
        f"vrrp_instance {c['instance']} {{",
        "    state BACKUP",
        "    nopreempt",
        f"    interface {c['interface']}",
        f"    virtual_router_id {c['virtual_router_id']}",
        f"    priority {c['priority']}",
        f"    advert_int {advert}",
        "    virtual_ipaddress {",
        f"        {c['address']} dev {c['interface']}",
        "    }",
    ]
    if c.get("health_port"):
        lines += ["    track_script {", "        maestro_proxy_fit", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def container_config(p: dict) -> dict:
    labels = {_spec.LABEL_MANAGED: "true", _proxy.LABEL_ROLE: ROLE}
    if p.get("environment"):
        labels[_spec.LABEL_ENVIRONMENT] = p["environment"]
    host = {"NetworkMode": "host", "CapAdd": list(CAPABILITIES), "RestartPolicy": {"Name": "unless-stopped"}}
    return {"Image": p["image"], "Labels": labels, "HostConfig": host}


def _differs(container: dict, p: dict) -> list[str]:
    """What only a new container changes (keepalived is cheap to recreate: a backup holds the address meanwhile)."""
    found = []
    if container["Config"].get("Image") != p["image"]:
        found.append("image")
    host = container.get("HostConfig") or {}
    if host.get("NetworkMode") != "host" or sorted(host.get("CapAdd") or []) != sorted(CAPABILITIES):
        found.append("host config")
    return found


class FloatingAddress(_proxy.ConfiguredContainer):
    """The keepalived container on the ship ``client`` talks to."""

    CONFIG_PATH = CONFIG_PATH

    def _container_config(self) -> dict:
        return container_config(self.p)

    def _discard(self) -> None:
        self._remove()

    def _summary(self, container: dict | None) -> dict:
        return _proxy._summary(self.client, self.name, container)

    def present(self) -> dict:
        p = self.p
        if not p.get("image"):
            raise DockerFailure("managing floating address container", self.name, self.client.ship, "image is required unless state=absent")
        try:
            conf = normalize({**p, "ship": p.get("ship") or self.client.ship})
        except FloatingConfigError as exc:
            raise DockerFailure("configuring floating address", self.name, self.client.ship, exc) from None
        text = render(conf)
        container = _proxy._inspect_ours(self.client, self.name, ROLE)
        before = self.client.read_file(self.name, CONFIG_PATH) if container else None
        result = {
            "changed": False,
            "actions": [],
            "container": self._summary(container),
            "address": conf["address"],
            "priority": conf["priority"],
            "config": text,
            "diff": {"before": before or "", "after": text},
        }
        if container is not None and _differs(container, p):
            self._act(result, "removed")
            if not self.check_mode:
                self._remove()
            container = None
        if container is None:
            self._create(result, text)
        elif not _proxy._running(container):
            if before != text:
                self._act(result, "configured")
            self._act(result, "started")
            if not self.check_mode:
                if before != text:
                    self.client.write_file(self.name, CONFIG_PATH, text)
                self._start()
        elif before != text:
            self._act(result, "reloaded")
            if not self.check_mode:
                self.client.write_file(self.name, CONFIG_PATH, text)
                self.client.signal(self.name, "SIGHUP")
        return result

    def _start(self) -> None:
        """Start the container; fail with keepalived's output if it exits within its first moments."""
        started_at = time.time()
        self.client.start(self.name)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            state = (self.client.inspect_container(self.name) or {}).get("State") or {}
            if state.get("Restarting") or state.get("Status") in ("exited", "dead"):
                tail = " | ".join(self.client.logs(self.name, 8, since=int(started_at)).split("\n")[-8:])
                cause = f"keepalived exited with status {state.get('ExitCode')}: {tail.strip() or '(no output)'}"
                raise DockerFailure("starting floating address container", self.name, self.client.ship, cause)
            # keepalived's parent forks its VRRP child once the configuration is loaded
            if state.get("Running") and any(proc["ppid"] == state.get("Pid") for proc in self.client.processes(self.name)):
                return
            if time.monotonic() > deadline:
                raise DockerFailure("starting floating address container", self.name, self.client.ship, f"no VRRP process after {START_TIMEOUT}s")
            time.sleep(POLL)

    def _remove(self) -> None:
        try:
            self.client.stop(self.name, 2)
        except DockerFailure:
            pass
        self.client.remove(self.name, missing_ok=True)

    def absent(self) -> dict:
        container = _proxy._inspect_ours(self.client, self.name, ROLE)
        result = {"changed": False, "actions": [], "container": self._summary(container), "diff": {"before": "", "after": ""}}
        if container is None:
            return result
        self._act(result, "removed")
        if not self.check_mode:
            self._remove()
        return result


def floating_address(client, p: dict, check_mode: bool) -> dict:
    manager = FloatingAddress(client, p, check_mode)
    return manager.absent() if p["state"] == "absent" else manager.present()
