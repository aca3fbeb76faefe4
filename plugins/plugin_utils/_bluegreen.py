# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Blue/green colours of instance specs, proxy backends, and which colour a deploy starts: pure logic.

Every instance has two colour slots on its ship:

* ``blue`` is the instance exactly as the ships file describes it: its name and its host ports. So
  instances started by ``maestro.docker.start`` (or by maestro-ng) are the blue colour, and the first
  blue/green deploy of such a service goes to green with nothing to migrate;
* ``green`` is ``<name>-green``, with every published host port shifted by a fixed offset (10000 by
  default), so both colours run side by side on one ship.

The proxy's frontend for a service records which colour it routes to (the *live* colour); a deploy
starts the other one, switches, and stops (but keeps) the old one, which ``rollback`` switches back to.
"""

from __future__ import annotations

import datetime

from ansible_collections.maestro.docker.plugins.module_utils._docker import ports as _ports
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import natural

COLOURS = ("blue", "green")
LABEL_COLOUR = "maestro.colour"
GREEN_SUFFIX = "-green"


class BlueGreenError(ValueError):
    """Input that a blue/green deploy cannot work with; the message names the instance or service."""


def other(colour: str) -> str:
    return "green" if colour == "blue" else "blue"


def colour_name(name: str, colour: str) -> str:
    if colour not in COLOURS:
        raise BlueGreenError(f"unknown colour {colour!r}: expected blue or green")
    return name if colour == "blue" else f"{name}{GREEN_SUFFIX}"


def _shift(external, offset: int, where: str):
    """A published host port (int or "a-b") moved by offset; None (a random port) stays None."""
    if external is None or offset == 0:
        return external
    try:
        return _ports.shift(external, offset)
    except _ports.PortError as exc:
        raise BlueGreenError(f"{where}: host port {exc}; lower maestro_bg_port_offset") from None


def _port(spec: dict, port: str | None) -> dict:
    """The named port of a spec (the first published one when port is None)."""
    ports = spec.get("ports") or []
    if port is None:
        published = [p for p in ports if p.get("external") is not None]
        if not published:
            raise BlueGreenError(f"instance {spec['name']} on ship {spec.get('ship')}: it publishes no port for the proxy to route to")
        return published[0]
    for entry in ports:
        if entry.get("name") == port:
            return entry
    names = ", ".join(str(p.get("name")) for p in ports) or "none"
    raise BlueGreenError(f"instance {spec['name']} on ship {spec.get('ship')}: no port named {port!r} (its ports: {names})")


def colour_spec(spec: dict, colour: str, *, port_offset: int = 10000, tag: str | None = None, health: dict | None = None) -> dict:
    """The spec of one colour of an instance.

    ``tag`` replaces the image tag (and maestro's DOCKER_IMAGE/DOCKER_TAG variables). ``health``
    (``{path, port, max_wait}``) adds an HTTP ``running`` check when the spec has none, so a colour
    is never switched to without one.
    """
    if not isinstance(spec, dict) or not spec.get("name"):
        raise BlueGreenError(f"an instance spec must be a dict with a name, got {spec!r:.80}")
    # A new mapping; what differs from the spec is new too (ports, labels, env, lifecycle), the rest is shared with
    # it, not copied: a deep copy of each full spec (its link variables included) per colour and task cost more
    # controller CPU than the Docker calls of the step. Nothing downstream changes a spec in place.
    out = dict(spec)
    out["name"] = colour_name(spec["name"], colour)
    out["labels"] = {**(spec.get("labels") or {}), LABEL_COLOUR: colour}
    if colour == "green":
        where = f"instance {spec['name']} on ship {spec.get('ship')}"
        out["ports"] = [{**p, "external": _shift(p.get("external"), int(port_offset), where)} for p in spec.get("ports") or []]
    elif spec.get("ports"):
        out["ports"] = [dict(p) for p in spec["ports"]]
    if tag:
        repository = spec.get("repository") or str(spec["image"]).rsplit(":", 1)[0]
        out["image"], out["repository"], out["tag"] = f"{repository}:{tag}", repository, str(tag)
        env = dict(out.get("env") or {})
        if "DOCKER_IMAGE" in env:
            env["DOCKER_IMAGE"] = out["image"]
        if "DOCKER_TAG" in env:
            env["DOCKER_TAG"] = str(tag)
        out["env"] = env
    if health and health.get("path"):
        lifecycle = dict(out.get("lifecycle") or {})
        if not lifecycle.get("running"):
            port = _port(out, health.get("port"))
            check = {"type": "http", "port": port.get("name") or str(port["exposed"]), "path": health["path"], "max_wait": int(health.get("max_wait") or 30)}
            lifecycle["running"] = [check]
            out["lifecycle"] = lifecycle
    return out


def colour_specs(specs, colour: str, **kwargs) -> list[dict]:
    return [colour_spec(spec, colour, **kwargs) for spec in specs or []]


def backends(specs, port: str | None = None) -> list[dict]:
    """Proxy backends for colour specs: the ship's address and the published host port."""
    result = []
    for spec in specs or []:
        entry = _port(spec, port)
        external = entry.get("external")
        if external is None or _ports.is_range(external):
            raise BlueGreenError(f"instance {spec['name']} on ship {spec.get('ship')}: port {entry.get('name')} needs one fixed host port for the proxy")
        address = spec.get("ship_ip")
        if not address:
            raise BlueGreenError(f"instance {spec['name']}: its spec has no ship_ip, the address the proxy sends traffic to")
        result.append({"name": spec["name"], "address": str(address), "port": int(external)})
    return sorted(result, key=lambda b: b["name"])


def plan(services, frontends, blue_running, action: str = "deploy") -> dict:
    """Which colour is live and which one this run brings up, per service.

    ``frontends``: the proxy's stored frontends (``name``, ``colour``). ``blue_running``: the services
    with at least one blue instance running on some ship. The live colour is the one the proxy routes
    to; with no frontend yet, blue when blue instances run (started outside a blue/green deploy), else
    none. A deploy brings up the other colour (blue when none is live); a rollback needs a live colour.
    ``routed`` says whether the proxy already routes the service.
    """
    routed = {f.get("name"): f.get("colour") for f in frontends or [] if f.get("colour") in COLOURS}
    result = {}
    for service in services:
        live = routed.get(service)
        if live is None and service in (blue_running or ()):
            live = "blue"
        if action == "rollback" and live is None:
            raise BlueGreenError(f"service {service}: the proxy routes to no colour of it yet, there is nothing to roll back to")
        # routed: the proxy already sends this service's traffic to the live colour. A service whose
        # blue instances run but that no frontend routes yet is deployed even when they run what is
        # wanted: that deploy is what puts it behind the proxy.
        result[service] = {"live": live, "new": other(live) if live else "blue", "routed": service in routed}
    return result


def _frontend_cfg(frontends_cfg: dict, service: str) -> dict:
    cfg = (frontends_cfg or {}).get(service)
    if not isinstance(cfg, dict) or not cfg.get("port"):
        raise BlueGreenError(f"service {service}: maestro_proxy.frontends.{service} must give at least the port the proxy listens on")
    return cfg


def plan_specs(
    specs,
    plan_by_service: dict,
    which: str,
    frontends_cfg: dict,
    *,
    port_offset: int = 10000,
    tag: str | None = None,
    check_wait: int = 30,
    name_suffix: str = "",
):
    """The specs of one colour of every spec whose service is in the plan.

    ``which``: ``new`` (the colour this run brings up, as wanted), ``live`` (the colour the proxy
    routes to, as it is), or ``wanted-live`` (the live colour as this run wants it: when the live
    containers already match it, the service is up to date and a deploy leaves it alone). Services
    whose live colour is none give no live specs. The wanted specs get ``tag`` and, from the
    service's frontend, a health check on ``health_path`` when the spec has no running check.
    ``name_suffix`` is appended to the names (the parked older colour).
    """
    if which not in ("new", "live", "wanted-live"):
        raise BlueGreenError(f"unknown colour selection {which!r}: expected new, live or wanted-live")
    wanted = which != "live"
    out = []
    for spec in specs or []:
        entry = plan_by_service.get(spec.get("service"))
        colour = (entry or {}).get("new" if which == "new" else "live")
        if not colour:
            continue
        cfg = _frontend_cfg(frontends_cfg, spec["service"])
        health = {"path": cfg.get("health_path"), "port": cfg.get("backend_port"), "max_wait": check_wait} if wanted else None
        coloured = colour_spec(spec, colour, port_offset=port_offset, tag=tag if wanted else None, health=health)
        coloured["name"] += name_suffix
        out.append(coloured)
    return out


def stale_services(specs, infos) -> list[str]:
    """Services with an instance (of ``specs``) that is not running or differs from its spec (``infos``: instance_info results)."""
    good = {i.get("name") for i in infos or [] if i.get("status") == "running" and not i.get("drift")}
    return sorted({s["service"] for s in specs or [] if s.get("name") not in good})


def frontends(plan_by_service: dict, frontends_cfg: dict, specs) -> list[dict]:
    """The proxy frontends that route each planned service to its new colour (specs: every ship's)."""
    result = []
    for service in sorted(plan_by_service):
        cfg = _frontend_cfg(frontends_cfg, service)
        colour = plan_by_service[service]["new"]
        members = [s for s in specs or [] if s.get("service") == service and (s.get("labels") or {}).get(LABEL_COLOUR) == colour]
        if not members:
            raise BlueGreenError(f"service {service}: no instance of the {colour} colour to route to")
        frontend = {"name": service, "port": int(cfg["port"]), "colour": colour, "backends": backends(members, cfg.get("backend_port"))}
        for key in ("mode", "health_path", "balance"):
            if cfg.get(key):
                frontend[key] = cfg[key]
        result.append(frontend)
    return result


# --- one decision for every ship: what a deploy or rollback reads, then what it does -----------------


def candidates(
    specs_by_ship: dict,
    services,
    frontends_cfg: dict,
    *,
    port_offset: int = 10000,
    tag: str | None = None,
    check_wait: int = 30,
    park_suffix: str = ".parked",
) -> dict:
    """Both colours, as this run wants them, of each ship's instances of ``services``, and both parked: what a run
    reads first.

    Reading both colours at once tells which blue instances run (the live colour of a service that no
    proxy frontend routes yet), whether the live colour already runs what is wanted (``drift``), and
    whether the colour a rollback goes back to still exists. A parked colour exists only where a run was
    interrupted (a lost ship, a killed run) between parking the older colour and switching.
    """
    wanted = set(services)
    result = {}
    for ship, specs in sorted(specs_by_ship.items()):
        mine = [spec for spec in specs or [] if spec.get("service") in wanted]
        both = []
        for suffix in ("", park_suffix):
            for colour in COLOURS:
                by_service = {s: {"new": colour} for s in wanted}
                both += plan_specs(mine, by_service, "new", frontends_cfg, port_offset=port_offset, tag=tag, check_wait=check_wait, name_suffix=suffix)
        if both:
            result[ship] = both
    return result


def decide(
    action: str,
    services,
    *,
    specs_by_ship: dict,
    proxy_frontends,
    infos_by_ship: dict,
    frontends_cfg: dict,
    port_offset: int = 10000,
    tag: str | None = None,
    check_wait: int = 30,
    park_suffix: str = ".parked",
    release: dict | None = None,
    target: str | None = None,
) -> dict:
    """What a deploy (or rollback) does on every ship, from what :func:`candidates` read (``infos_by_ship``:
    each ship's instance_info results for them).

    Returns ``plan`` (per service: ``live``, ``new``, ``routed``), ``up_to_date`` (services a deploy leaves
    alone: routed, and every instance of the live colour running as wanted), ``missing`` (rollback: per
    ship, the instances of the colour to go back to that no longer exist, in their slot or parked) and ``ships``:
    per ship, the specs of the ``new`` colour, of the ``live`` one (as it is), of the older colour ``parked``
    under another name while the new one comes up, ``restore``: those an interrupted run left parked, which
    go back to their slot first (what the slot holds instead is a new colour that never took traffic), and ``stray``:
    those whose new colour's slot holds a running container (not live), which is stopped before it is parked. A deploy's
    new colour records ``release`` (:func:`new_release`) in its labels; a rollback starts the containers of the other
    colour as they are, with the release they recorded. A rollback to ``target`` (a release id) goes back to that
    release where the other colour archived it: ``swap`` (per ship) names the instances whose slot trades places with
    it. ``refusal`` says why a rollback cannot go on (a release gone, or one that runs in the live colour), else None.
    """
    infos = {ship: {i.get("name"): i for i in found or []} for ship, found in infos_by_ship.items()}

    def exists(ship: str, name: str) -> bool:
        return bool((infos.get(ship, {}).get(name) or {}).get("exists"))

    def runs(ship: str, name: str) -> bool:
        return (infos.get(ship, {}).get(name) or {}).get("status") == "running"

    def new_slot(spec: dict, services: dict) -> str:
        """The container name of the slot where ``spec``'s service comes up (its ``new`` colour in ``services``)."""
        return colour_name(spec["name"], services[spec["service"]]["new"])

    blue_running = sorted(
        {
            spec["service"]
            for ship, specs in specs_by_ship.items()
            for spec in specs or []
            if spec.get("service") in services and (infos.get(ship, {}).get(spec["name"]) or {}).get("status") == "running"
        }
    )
    planned = plan(list(services), proxy_frontends, blue_running, action)
    options = {"port_offset": port_offset, "tag": tag, "check_wait": check_wait}
    up_to_date = []
    if action == "deploy":
        stale = set()
        for ship, specs in specs_by_ship.items():
            wanted_live = plan_specs(specs, planned, "wanted-live", frontends_cfg, **options)
            stale.update(stale_services(wanted_live, [infos.get(ship, {}).get(spec["name"]) or {} for spec in wanted_live]))
        # a ship where an interrupted run left the older colour parked is converged by a deploy, also of what runs
        interrupted = {
            spec["service"]
            for ship, specs in specs_by_ship.items()
            for spec in specs or []
            if spec.get("service") in planned and exists(ship, new_slot(spec, planned) + park_suffix)
        }
        todo = stale | interrupted | {service for service, entry in planned.items() if not entry["routed"]}
        up_to_date = sorted(set(planned) - todo)
        planned = {service: entry for service, entry in planned.items() if service in todo}
    ships, missing, all_new, in_live = {}, {}, [], {}
    for ship, specs in sorted(specs_by_ship.items()):
        new = plan_specs(specs, planned, "new", frontends_cfg, **options)
        all_new += new
        live = [spec for spec in specs if (planned.get(spec.get("service")) or {}).get("live")]
        mine = [spec for spec in specs if spec.get("service") in planned]
        # the older colour an interrupted run left parked: put back in its slot before anything else
        restore = [spec for spec in mine if exists(ship, new_slot(spec, planned) + park_suffix)]
        ships[ship] = {
            "images": list(dict.fromkeys(spec["image"] for spec in new)),
            "new": [ref(spec, planned[spec["service"]]["new"], wanted=True, release=release if action == "deploy" else None) for spec in mine],
            "live": [ref(spec, planned[spec["service"]]["live"], wanted=False) for spec in live],
            "parked": [ref(spec, planned[spec["service"]]["new"], wanted=True, suffix=park_suffix) for spec in mine],
            "restore": [ref(spec, planned[spec["service"]]["new"], wanted=True) for spec in restore],
            # a container that runs in the new colour's slot and takes no traffic (a run interrupted after the switch,
            # while it stopped the old colour; or one started by hand): stopped before it is parked. Where the slot is
            # restored, the restore leaves it stopped. Most runs have none, and so skip that step on every ship.
            "stray": [ref(spec, planned[spec["service"]]["new"], wanted=True) for spec in mine if spec not in restore and runs(ship, new_slot(spec, planned))],
        }
        if action == "rollback" and target:
            swap, gone, in_live[ship] = [], [], []
            for spec in specs:
                entry = planned.get(spec.get("service"))
                if not entry:
                    continue
                where = _where(infos.get(ship, {}), colour_name(spec["name"], entry["new"]), target)
                if where == "archived":
                    swap.append(ref(spec, entry["new"], wanted=True))
                elif where is None:
                    live_slot = colour_name(spec["name"], entry["live"])
                    if _where(infos.get(ship, {}), live_slot, target):
                        in_live[ship].append(live_slot)
                    else:
                        gone.append(colour_name(spec["name"], entry["new"]))
            ships[ship]["swap"] = swap
            if gone:
                missing[ship] = gone
            if not in_live[ship]:
                del in_live[ship]
        elif action == "rollback":
            gone = [spec["name"] for spec in new if not exists(ship, spec["name"]) and not exists(ship, spec["name"] + park_suffix)]
            if gone:
                missing[ship] = gone
    return {
        "plan": planned,
        "up_to_date": up_to_date,
        "missing": missing,
        "ships": ships,
        "frontends": frontends(planned, frontends_cfg, all_new) if planned else [],
        "release": release if action == "deploy" and planned else None,
        "refusal": _refusal(missing, in_live, target, planned),
    }


def _where(infos: dict, slot: str, target: str) -> str | None:
    """Where release ``target`` of the colour whose container is named ``slot`` is: in the slot, archived, or None."""
    found = infos.get(slot) or {}
    if (found.get("release") or {}).get("id") == target:
        return "slot"
    if any(a.get("name") == f"{slot}.{target}" for a in found.get("archived") or []):
        return "archived"
    return None


def _per_ship(by_ship: dict, say=", ".join) -> str:
    return "; ".join(f"on ship {ship}: {say(names)}" for ship, names in sorted(by_ship.items()))


def _no_longer(names: list) -> str:
    return f"{', '.join(names)} no longer {'exists' if len(names) == 1 else 'exist'}"


def _refusal(missing: dict, in_live: dict, target: str | None, planned: dict) -> str | None:
    """Why a rollback cannot go on, naming ships and instances; None when it can."""
    if in_live:
        live = ", ".join(sorted({str(e.get("live")) for e in planned.values()}))
        return f"Release {target} is in the live colour ({live}), {_per_ship(in_live)}: roll back first to the release of the other colour, then to {target}"
    if missing and target:
        return f"Release {target} is not kept {_per_ship(missing)} (maestro.docker.releases lists what is kept)"
    if missing:
        return f"Nothing to roll back to {_per_ship(missing, _no_longer)} (a later deploy removed the older colour)"
    return None


def canary_refusal(planned: dict) -> str | None:
    """Why a canary cannot check a deploy of ``planned`` (:func:`decide`'s ``plan``): it compares the new colour with the
    live one, and a service the proxy routes to no colour yet has none. None when it can."""
    first = [service for service, entry in planned.items() if not entry.get("routed")]
    if not first:
        return None
    return (
        f"A canary compares the new colour with the live one, and the proxy routes {', '.join(first)} to no colour yet: "
        f"deploy {'it' if len(first) == 1 else 'them'} once without maestro_deploy_canary."
    )


def new_release(now: datetime.datetime, tag: str | None, token: str) -> dict:
    """The release a deploy starts: an id that sorts by time (``20261203T081500Z-3f2a``), the time, and the deploy tag."""
    stamp = now.astimezone(datetime.UTC)
    return {"id": f"{stamp:%Y%m%dT%H%M%SZ}-{token}", "time": f"{stamp:%Y-%m-%dT%H:%M:%SZ}", "tag": tag or ""}


def ref(spec: dict, colour: str, *, wanted: bool, suffix: str = "", release: dict | None = None) -> dict:
    """A colour of an instance, by name: what the steps pass on instead of specs, so that no spec (and no secret
    of its environment) is ever a fact or a task result. :func:`resolve` makes the spec where it is used."""
    item = {"instance": spec["name"], "colour": colour, "wanted": wanted, "suffix": suffix}
    if release:
        item["release"] = release
    return item


def resolve(item: dict, spec: dict, frontends_cfg: dict, *, port_offset: int = 10000, tag: str | None = None, check_wait: int = 30) -> dict:
    """The spec of a :func:`ref` (``spec``: the instance's own, link variables added), as :func:`plan_specs` makes it."""
    wanted = bool(item.get("wanted"))
    cfg = _frontend_cfg(frontends_cfg, spec["service"])
    health = {"path": cfg.get("health_path"), "port": cfg.get("backend_port"), "max_wait": check_wait} if wanted else None
    coloured = colour_spec(spec, str(item["colour"]), port_offset=port_offset, tag=tag if wanted else None, health=health)
    coloured["name"] += str(item.get("suffix") or "")
    if item.get("release"):
        coloured["labels"].update(_spec.release_labels({**item["release"], "image": coloured["image"]}))
    return coloured


# --- the releases each colour runs: what status shows ------------------------------------------------


def releases(read: dict, infos_by_ship: dict, proxy_frontends, services, park_suffix: str = ".parked") -> dict:
    """Per service, the release each colour holds across the ships (``read``: :func:`candidates`; ``infos_by_ship``:
    each ship's instance_info results for them): the live colour first, then the one kept for a rollback.

    Each entry: ``colour``, ``live``, ``instances`` (of the colour, on every ship), ``running``, ``stopped``, and
    ``releases``: the distinct releases its containers recorded (``id`` None for containers no deploy started), each
    with the ships that run it. A colour with no container is left out.
    """
    routed = {f.get("name"): f.get("colour") for f in proxy_frontends or [] if f.get("colour") in COLOURS}
    out = {}
    for service in sorted(services):
        entries = []
        for colour in COLOURS:
            found = []
            for ship, specs in sorted(read.items()):
                infos = {i.get("name"): i for i in infos_by_ship.get(ship) or []}
                found += [
                    (ship, infos.get(s["name"]) or {})
                    for s in specs or []
                    if s.get("service") == service and s["labels"].get(LABEL_COLOUR) == colour and not s["name"].endswith(park_suffix)
                ]
            present = [(ship, info) for ship, info in found if info.get("exists")]
            if not present:
                continue
            kinds: dict = {}
            for ship, info in present:
                release = info.get("release") or {"id": None, "image": info.get("image"), "digest": info.get("digest")}
                key = (release.get("id"), release.get("image"), release.get("digest"))
                entry = kinds.setdefault(key, {**release, "ships": []})
                if ship not in entry["ships"]:
                    entry["ships"].append(ship)
            archived: dict = {}
            for ship, info in present:
                for old in info.get("archived") or []:
                    if old["name"].endswith(park_suffix):
                        continue
                    release = old.get("release") or {"id": None}
                    entry = archived.setdefault(release.get("id"), {**release, "ships": [], "instances": 0})
                    entry["instances"] += 1
                    if ship not in entry["ships"]:
                        entry["ships"].append(ship)
            entries.append(
                {
                    "colour": colour,
                    "instances": len(found),
                    "running": sum(1 for _ship, info in present if info.get("status") == "running"),
                    "stopped": sum(1 for _ship, info in present if info.get("status") != "running"),
                    "releases": sorted(kinds.values(), key=lambda r: str(r.get("id") or "")),
                    "archived": sorted(archived.values(), key=lambda r: str(r.get("id") or ""), reverse=True),
                }
            )
        live = routed.get(service) or ("blue" if any(e["colour"] == "blue" and e["running"] for e in entries) else None)
        for entry in entries:
            entry["live"] = entry["colour"] == live
        out[service] = sorted(entries, key=lambda e: not e["live"])
    return out


def release_lines(by_service: dict) -> list[str]:
    """:func:`releases` as lines a person reads, one per colour and release."""
    lines = []
    for service, entries in sorted(by_service.items()):
        if not entries:
            lines.append(f"{service}: no container of either colour")
        for entry in entries:
            role = "live" if entry["live"] else "kept"
            counts = f"{entry['running']} running, {entry['stopped']} stopped of {entry['instances']}"
            for release in entry["releases"]:
                what = f"release {release['id']}" if release.get("id") else "no release recorded (started outside a deploy)"
                details = [f"tag {release['tag']}" if release.get("tag") else None, release.get("image"), _short(release.get("digest")), release.get("time")]
                shown = ", ".join(d for d in details if d)
                lines.append(f"{service}: {role} {entry['colour']}: {what} ({shown}); {counts}; ships {', '.join(release['ships'])}")
            for release in entry.get("archived") or []:
                details = [f"tag {release['tag']}" if release.get("tag") else None, release.get("image"), _short(release.get("digest")), release.get("time")]
                shown = ", ".join(d for d in details if d)
                what = f"release {release['id']}" if release.get("id") else "a release no deploy recorded"
                where = f"{release['instances']} stopped; ships {', '.join(release['ships'])}"
                lines.append(f"{service}: archived {entry['colour']}: {what} ({shown}); {where}")
    return lines


def _short(digest: str | None) -> str | None:
    return digest[:19] if digest else None


# --- after a failure: what the undo did on each ship, said as it is --------------------------------------


def proxies_read(results: dict) -> dict:
    """ship -> frontends, of each proxy that ``proxy_info`` read (``results``: ship -> its result; a proxy skipped since it
    could not be reached is a failed result). None read is a BlueGreenError: the live colour is then unknown."""
    read = {str(ship): result.get("frontends") or [] for ship, result in (results or {}).items() if not result.get("failed")}
    if results and not read:
        raise BlueGreenError(f"no proxy could be read ({_ship_list(map(str, results))}): the live colour is unknown")
    return read


def agreed_frontends(proxies: dict) -> list[dict]:
    """The frontends of several proxies that route alike (``proxies``: ship -> the frontends read there, as
    ``proxy_info`` returns them), for the decision of a deploy; a proxy with none yet (one just added) is left out.

    Every proxy must route each service to the same colour: two that disagree (a run stopped between their reloads, a
    frontend changed by hand on one) leave no live colour to deploy against, and a BlueGreenError names the service,
    and per colour the ships. Frontends of the same name otherwise come from the first ship, by name, that has one.
    """
    by_name: dict[str, dict] = {}
    colours: dict[str, dict] = {}
    for ship in sorted(proxies):
        for frontend in proxies[ship] or []:
            name = str(frontend.get("name"))
            by_name.setdefault(name, frontend)
            colours.setdefault(name, {}).setdefault(frontend.get("colour") or "no colour", []).append(ship)
    split = {name: seen for name, seen in sorted(colours.items()) if len(seen) > 1}
    if split:
        said = "; ".join(
            f"{name} is " + " but ".join(f"{colour} on {_ship_list(ships)}" for colour, ships in sorted(seen.items())) for name, seen in split.items()
        )
        raise BlueGreenError(
            f"The proxies disagree on the live colour: {said}. Remove the odd ones (maestro.docker.proxy with state=absent: the "
            "next run makes them again with the others' frontends), or leave them out of maestro_proxy.hosts, and run again."
        )
    return [by_name[name] for name in sorted(by_name)]


def _names(items, suffix: str = "") -> str:
    return ", ".join(colour_name(str(i["instance"]), str(i["colour"])) + suffix for i in items or [])


def _ship_list(ships) -> str:
    return ", ".join(sorted(ships, key=natural))


def _images(started, services) -> str:
    """``, image <ref> <short digest>`` of the containers the start step created for ``services`` (one each, else all)."""
    made = {
        (str(item["image"]), str(item.get("digest") or ""))
        for result in (started or {}).values()
        if isinstance(result, dict)
        for item in result.get("instances") or []
        if isinstance(item, dict) and item.get("service") in services and item.get("image")
    }
    said = [f"{image} {_short(digest)}" if digest.startswith("sha256:") else image for image, digest in sorted(made)]  # not "unknown" (check mode)
    return f", image {', '.join(said)}" if said else ""


def summary(action: str, decision: dict, proxies=(), *, seconds: float | None = None, check_mode: bool = False, started=None) -> str:
    """The last line of a blue/green deploy (or rollback) that succeeded: per colour brought up, its services, how many
    instances on how many ships, the release and tag, the image and its digest (from ``started``: ship -> the start
    step's result); where the traffic goes through; what was stopped and kept; how long it took (``seconds``). In
    check mode, what it would leave."""
    plan = decision.get("plan") or {}
    took = f" in {seconds:.0f} s" if seconds is not None else ""
    if not plan:
        return f"{action.capitalize()}: every service already as wanted, nothing changed" + (f" ({seconds:.0f} s)." if seconds is not None else ".")
    ships = decision.get("ships") or {}
    release = decision.get("release") or {}
    lines = []
    for new in sorted({entry.get("new") for entry in plan.values()}):
        services = sorted(name for name, entry in plan.items() if entry.get("new") == new)
        placed = {ship: [i for i in own.get("new") or [] if i.get("colour") == new] for ship, own in ships.items()}
        placed = {ship: items for ship, items in placed.items() if items}
        count = sum(len(items) for items in placed.values())
        what = f"{', '.join(services)} on {new}: {count} instance{'s' if count != 1 else ''} on {len(placed)} ship{'s' if len(placed) != 1 else ''}"
        if release.get("id"):
            what += f", release {release['id']}" + (f" (tag {release['tag']})" if release.get("tag") else "")
        what += _images(started, services)
        older = sorted({str(entry.get("live")) for name, entry in plan.items() if name in services and entry.get("live")})
        kept = f"; {', '.join(older)} stopped and kept, for {'a rollback' if action == 'deploy' else 'the next deploy'}" if older else ""
        lines.append(what + kept)
    through = f" The traffic goes through the proxies on {_ship_list(proxies)}." if proxies else ""
    if check_mode:
        return f"Check mode, nothing was changed: the {action} would leave " + "; ".join(lines) + "." + through.replace(" goes ", " would go ")
    return f"{action.capitalize()} done{took}. " + "; ".join(lines) + "." + through


def outcome(action: str, decision: dict, *, parked, removed, restored, switched: bool, park_suffix: str = ".parked", proxies_left=()) -> str:
    """The last sentences of a failed blue/green deploy's (or rollback's) message: where the traffic is, and per ship
    what the undo did and what it left.

    ``decision``: :func:`decide`'s result. ``parked``: the ships where the new colour may have started (a deploy's:
    where it parked the older colour first; a rollback's: where its start step ran); ``removed``: where the undo
    took the new colour away again (a rollback: stopped it); ``restored``: where it put the parked colour back. A ship
    the undo could not reach keeps what it had: the next deploy or rollback puts the parked colour back first
    (:func:`decide`'s ``restore``). ``proxies_left``: the proxy ships that had switched to the new colour (the switch
    failed on another) and that the undo could not switch back; the new colour is then left running.
    """
    if proxies_left and not switched:
        return (
            f"The proxies on {_ship_list(proxies_left)} had switched to the new colour and could not be switched back; the others route to "
            "the live one. The new colour is left running on every ship: run the deploy or a rollback again once they are reachable."
        )
    plan = decision.get("plan") or {}
    ships = decision.get("ships") or {}
    if switched:
        return "The traffic had already moved to the new colour."
    live = ", ".join(sorted({str(entry.get("live") or "none") for entry in plan.values()})) or "none"
    head = f"The traffic never left the live colour ({live})"
    touched = set(parked)
    if not plan or not touched:
        if action == "deploy":
            return f"{head}; nothing had been started, and the older colour is still in its slot on every ship, for rollback."
        return f"{head}; nothing had been started."
    done = set(removed) & set(restored) if action == "deploy" else set(removed)
    untouched = set(ships) - touched
    if done == set(ships):
        return f"{head}; the new colour was {'removed' if action == 'deploy' else 'stopped again'} on every ship."
    parts = []
    if done:
        what = "the new colour was removed and the older one put back" if action == "deploy" else "the colour started again was stopped"
        parts.append(f"{what} on {_ship_list(done)}")
    if untouched:
        parts.append(f"nothing had been started on {_ship_list(untouched)}")
    for ship in sorted(touched - done):
        own = ships.get(ship) or {}
        if action == "deploy" and ship in set(removed):
            left = f"the new colour was removed but {_names(own.get('new'), park_suffix)} could not be put back"
        elif action == "deploy":
            parked_names = _names(own.get("new"), park_suffix)
            left = f"the undo did not reach it: {_names(own.get('new'))} (the new colour) and {parked_names} (the older one, parked) are left as they were"
        else:
            left = f"the undo did not reach it: {_names(own.get('new'))} may still run"
        parts.append(f"on {ship} {left}")
    tail = " The next deploy or rollback puts the parked colour back first." if action == "deploy" and touched - done else ""
    return f"{head}; " + "; ".join(parts) + "." + tail
