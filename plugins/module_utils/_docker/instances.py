# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Acting on a batch of instances on one ship: converge, clean, info, checks, logs.

Every operation reads the current state once per instance, decides (diff first), acts only
outside check mode, and runs the instances of the batch concurrently in threads. Each instance
gets its own result; when some fail, :class:`BatchFailure` carries the results of all of them, so
the caller reports what was done before the failure. Nothing here imports AnsibleModule: an
action plugin can run the same code in-process.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import UTC, datetime

from ansible_collections.maestro.docker.plugins.module_utils._docker import lifecycle as _lifecycle
from ansible_collections.maestro.docker.plugins.module_utils._docker import ports as _ports
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.module_utils._docker.client import BatchFailure, DockerFailure, each_item
from ansible_collections.maestro.docker.plugins.module_utils._docker.registry import Puller, image_summary, registry_passwords, split_ref

STATES = ("started", "stopped", "present", "absent")
NOT_OURS = f"it has no {_spec.LABEL_MANAGED}=true label and maestro-ng did not create it for this instance; it is left untouched"
RECREATE = ("never", "stopped", "changed", "always", "keep")
# The last lines of the log of an instance that failed its running checks, in its result (log_tail).
LOG_TAIL_LINES, LOG_LINE_CHARS = 5, 200
# info() lists the ship's containers once, instead of inspecting each name, when it reads more names than this
LIST_ABOVE = 2
PULL = ("missing", "always", "never")


def _labelled(container: dict) -> bool:
    return ((container.get("Config") or {}).get("Labels") or {}).get(_spec.LABEL_MANAGED) == "true"


def made_by_maestro_ng(container: dict, spec: dict | None) -> bool:
    """Whether maestro-ng created ``container`` for the instance ``spec`` of this environment: maestro-ng labels nothing,
    but puts ``MAESTRO_ENVIRONMENT_NAME`` (the file's ``name``) and ``CONTAINER_NAME`` (the instance) in every container's
    environment. Both must name this spec's environment and instance; the container's name itself may carry a suffix
    (parked or archived by a deploy)."""
    if not spec or not spec.get("environment") or not spec.get("name"):
        return False
    env = dict(item.partition("=")[::2] for item in (container.get("Config") or {}).get("Env") or [] if isinstance(item, str))
    return env.get("MAESTRO_ENVIRONMENT_NAME") == str(spec["environment"]) and env.get("CONTAINER_NAME") == str(spec["name"])


def _managed(container: dict, spec: dict | None = None) -> bool:
    """Ours to act on: created by maestro.docker (its label), or by maestro-ng for this very instance (adopted)."""
    return _labelled(container) or made_by_maestro_ng(container, spec)


def _running(container: dict | None) -> bool:
    return bool(container and container["State"].get("Running"))


def _status(container: dict | None) -> str:
    if not container:
        return "absent"
    return "running" if _running(container) else "stopped"


def _parse_time(text: str | None) -> datetime | None:
    if not text or text.startswith("0001-"):
        return None
    text = re.sub(r"\.(\d{6})\d*", r".\1", text.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def rename_refusal(source: dict | None, target_name: str, target: dict | None, spec: dict | None = None) -> str | None:
    """Why the container ``source`` (a container of instance ``spec``) must not be renamed to ``target_name`` (None when it may be)."""
    if source is None:
        return None
    if not _managed(source, spec):
        return NOT_OURS
    if _running(source):
        return "it is running; rename parks stopped containers only"
    if target is not None:
        return f"the name {target_name} is taken by container {target['Id'][:12]}; remove that container first"
    return None


def archive_name(name: str, container: dict) -> str:
    """The name an older release of instance ``name`` is kept under: ``<name>.<its release id>`` (``<name>.c<id>`` for a
    container that no deploy started, whose labels record no release)."""
    release = ((container.get("Config") or {}).get("Labels") or container.get("Labels") or {}).get(_spec.LABEL_RELEASE)
    return f"{name}.{release or 'c' + container['Id'][:12]}"


def archives(name: str, listed: list[dict], park_suffix: str | None = None) -> list[tuple[str, dict]]:
    """Of containers (API summaries), those of instance ``name`` kept under another name ``<name>.<something>``, with
    that name: its archived releases, and its parked colour unless ``park_suffix`` names it (then it is left out)."""
    found = []
    for container in listed:
        if (container.get("Labels") or {}).get(_spec.LABEL_INSTANCE) not in (None, name):
            continue
        own = next((n.lstrip("/") for n in container.get("Names") or [] if n.lstrip("/").startswith(f"{name}.")), None)
        if own and (park_suffix is None or own != f"{name}{park_suffix}"):
            found.append((own, container))
    return found


def releases_to_remove(name: str, listed: list[dict], keep: int, park_suffix: str) -> list[str]:
    """Of the containers of instance ``name`` (API summaries), the archived releases beyond the newest ``keep - 1``, oldest
    first. Archived: named ``<name>.<something>``, neither the slot nor the parked one, not running. The colour's own
    slot (the release the other colour replaced last) is the newest kept one, so ``keep`` 1 keeps no archive."""
    archived = [
        ((container.get("Labels") or {}).get(_spec.LABEL_RELEASE) or "", container.get("Created") or 0, own)
        for own, container in archives(name, listed, park_suffix)
        if container.get("State") != "running"
    ]
    archived.sort(reverse=True)
    return [own for _release, _created, own in reversed(archived[max(keep - 1, 0) :])]


class InstanceBatch:
    """The instances given to one module call, all on the ship ``client`` talks to."""

    def __init__(self, client, specs: list[dict], *, check_mode: bool = False, registries: dict | None = None, concurrency: int | None = None):
        self.client = client
        self.check_mode = check_mode
        self.specs = [_spec.fill_defaults(s) for s in specs]
        names = [s["name"] for s in self.specs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DockerFailure("reading instance specs", None, client.ship, f"instance names given more than once: {', '.join(dupes)}")
        self.puller = Puller(client, registries, check_mode)
        # image inspections shared by the batch: ref -> (inspect or None, made after the ref's pull)
        self._images: dict[str, tuple[dict | None, bool]] = {}
        self._image_locks: dict[str, threading.Lock] = {}
        self._image_guard = threading.Lock()
        # the ship's maestro containers, listed once per batch when a call needs them (archived releases)
        self._listed: list[dict] | None = None
        self._listed_guard = threading.Lock()
        self.concurrency = concurrency or max(len(self.specs), 1)
        self.secrets = sorted({v for s in self.specs for v in _spec.secret_values(s)} | set(registry_passwords(registries)), key=len, reverse=True)

    # ---- batch machinery ---------------------------------------------------------------------
    def _each(self, work) -> dict:
        """Run work(spec, result) for every spec concurrently; collect results; raise BatchFailure."""
        results = [{"name": s["name"], "service": s.get("service"), "ship": self.client.ship, "changed": False, "actions": []} for s in self.specs]
        failures: list[DockerFailure | None] = [None] * len(self.specs)

        def one(index: int) -> None:
            spec, result = self.specs[index], results[index]
            try:
                work(spec, result)
            except DockerFailure as exc:
                failures[index] = exc
            except _spec.SpecError as exc:
                failures[index] = DockerFailure("reading spec of instance", spec["name"], self.client.ship, exc)
            except _lifecycle.CheckFailed as exc:
                failures[index] = DockerFailure(
                    f"passing the {result.get('_checks', '')} lifecycle checks of instance".replace("  ", " "), spec["name"], self.client.ship, exc
                )
                if result.get("_checks") == "running":
                    result["log_tail"] = self._log_tail(spec["name"])
            failure = failures[index]
            if failure is not None and spec["name"] not in str(failure):
                # e.g. a pull: name the instance it was for, so every failure names ship, instance and cause
                failures[index] = DockerFailure(failure.doing, f"{failure.obj} for instance {spec['name']}", failure.ship, failure.cause, failure.tb)
            if failures[index] is not None:
                result["failed"] = True
                result["msg"] = str(failures[index])
            result.pop("_checks", None)

        each_item(one, len(self.specs), min(self.concurrency, 32))
        out = {"changed": any(r["changed"] for r in results), "instances": _spec.mask_value(results, self.secrets)}
        failed = [f for f in failures if f is not None]
        if failed:
            masked = [DockerFailure(f.doing, f.obj, f.ship, _spec.mask_value(f.cause, self.secrets), f.tb) for f in failed]
            raise BatchFailure(masked, out)
        return out

    def _log_tail(self, name: str, lines: int = LOG_TAIL_LINES) -> list[str]:
        """The last lines a container that failed its checks printed (what a person looks at first), or none if unread."""
        if self.check_mode:
            return []
        try:
            text = self.client.logs(name, lines)
        except DockerFailure:
            return []
        return [line[:LOG_LINE_CHARS] for line in text.splitlines() if line.strip()][-lines:]

    def _inspect_managed(self, spec: dict) -> dict | None:
        container = self.client.inspect_container(spec["name"])
        if container and not _managed(container, spec):
            raise DockerFailure("managing container", spec["name"], self.client.ship, f"the name is held by container {container['Id'][:12]}: {NOT_OURS}")
        return container

    def _checks(self, spec: dict, result: dict, state: str, enabled: bool, inspect: dict | None = None) -> None:
        """``inspect``: the container as just inspected (after its start), so that the checks need not inspect it again."""
        if not enabled or not _lifecycle.checks_for(spec, state):
            return
        result["_checks"] = state
        result.setdefault("checks", []).extend(_lifecycle.run_checks(self.client, spec, state, self.check_mode, inspect=inspect))
        result.pop("_checks", None)

    def _act(self, result: dict, action: str, func=None, *args):
        """Do it (outside check mode), then record it: a failed step is not reported as done. Returns what it returned."""
        done = func(*args) if not self.check_mode and func is not None else None
        result["actions"].append(action)
        result["changed"] = True
        return done

    def _move(self, result: dict, action: str, name: str, new_name: str | None) -> None:
        """Rename a container (``new_name`` None: remove it) and record the move, which check mode's later steps assume
        (``ShipClient.assume_moves``)."""
        if new_name is None:
            self._act(result, action, self.client.remove, name)
        else:
            self._act(result, action, self.client.rename, name, new_name)
        result.setdefault("moves", []).append([name, new_name])

    def _stop(self, spec: dict, result: dict, *, kill: bool, stop_timeout: int | None, checks: bool) -> None:
        if not kill:
            self._checks(spec, result, "pre-stop", checks)
        if kill:
            self._act(result, "killed", self.client.kill, spec["name"])
            if not self.check_mode:
                self._wait_down(spec)
        else:
            timeout = stop_timeout if stop_timeout is not None else spec["stop_timeout"]
            self._act(result, "stopped", self.client.stop, spec["name"], int(timeout))
        if not self.check_mode:
            self._checks(spec, result, "stopped", checks)

    def _wait_down(self, spec: dict, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _running(self.client.inspect_container(spec["name"])):
            time.sleep(0.1)

    # ---- converge ----------------------------------------------------------------------------
    def converge(self, *, state="started", recreate="never", pull="missing", kill=False, stop_timeout=None, checks=True) -> dict:
        # Lifecycle checks accompany real starts and stops: in check mode nothing starts or stops.
        opts = {"state": state, "recreate": recreate, "pull": pull, "kill": kill, "stop_timeout": stop_timeout, "checks": checks and not self.check_mode}

        def work(spec: dict, result: dict) -> None:
            self._converge_one(spec, result, **opts)

        return self._each(work)

    def _image(self, spec: dict, pull: str, needed: bool) -> tuple[dict | None, dict | None]:
        """(image inspect or None, pull result or None) for spec's image, pulling per the policy."""
        ref = spec["image"]
        if pull == "always":
            pulled = self.puller.pull(ref, "always")
        elif pull == "missing" and needed:
            pulled = self.puller.pull(ref, "missing")
        else:
            pulled = None
        return self._inspect_image(ref, after_pull=pulled is not None), pulled

    def _inspect_image(self, ref: str, after_pull: bool) -> dict | None:
        """Inspect ref once per batch (30 instances of one image on a ship: one call, not 30).

        The first instance that pulled the ref takes the pull's own inspection of it (made after the pull).
        """
        with self._image_guard:
            lock = self._image_locks.setdefault(ref, threading.Lock())
        with lock:
            known = self._images.get(ref)
            if known is None or (after_pull and not known[1]):
                # the pull inspected the image itself, as it left it
                fresh = self.puller.inspected[ref] if after_pull and ref in self.puller.inspected else self.client.inspect_image(ref)
                self._images[ref] = (fresh, after_pull)
            return self._images[ref][0]

    def _converge_one(self, spec, result, *, state, recreate, pull, kill, stop_timeout, checks) -> None:
        name = spec["name"]
        container = self._inspect_managed(spec)
        before = self._summary(spec, container)
        result["status_before"] = before["status"]
        drift: list[dict] = []
        if state in ("absent", "stopped"):
            if _running(container):
                self._stop(spec, result, kill=kill, stop_timeout=stop_timeout, checks=checks)
            if state == "absent" and container:
                self._move(result, "removed", name, None)
            result["status"] = "absent" if state == "absent" else ("stopped" if container else "absent")
            result["diff"] = {"before": before, "after": {**before, "status": result["status"]}}
            return

        running = _running(container)
        # keep: the container is what is wanted (a rollback starts the release it recorded), drifted or not
        may_recreate = container is None or (recreate != "keep" and (not running or recreate in ("changed", "always")))
        # stopped: maestro start without --reuse, a stopped container is replaced by a fresh one
        renew = container is not None and not running and recreate == "stopped"
        image, pulled = self._image(spec, pull, needed=may_recreate)
        if pulled and pulled["changed"]:
            result["changed"] = True
            result["actions"].append(pulled["action"])
        config = _spec.container_config(spec)
        if container:
            drift = _spec.compare(spec, container)
            want_id = (image or {}).get("Id")
            if pulled and pulled["changed"] and self.check_mode:
                want_id = "unknown"
            if image is None and not (pulled and pulled["changed"]):
                if pull == "never" and may_recreate:
                    raise DockerFailure("finding image", spec["image"], self.client.ship, "the image is not on the ship and pull is never")
                drift.append({"option": "image", "path": "Image", "wanted": f"{spec['image']} (not on the ship)", "actual": container.get("Image")})
            elif want_id and want_id != container.get("Image"):
                drift.append({"option": "image", "path": "Image", "wanted": f"{spec['image']} ({want_id[:19]})", "actual": container.get("Image", "")[:19]})
        result["drift"] = [d["option"] for d in drift]
        if image is None and not self.check_mode and (container is None or may_recreate and (drift or renew or recreate == "always")):
            raise DockerFailure(
                "finding image", spec["image"], self.client.ship, "the image is not on the ship" + (" and pull is never" if pull == "never" else "")
            )

        do_create = container is None or (recreate != "keep" and (recreate == "always" or renew or (bool(drift) and (recreate == "changed" or not running))))
        was_running = running
        if state == "started" and not running:
            self._checks(spec, result, "pre-start", checks)
        if do_create:
            if _spec.LABEL_RELEASE in config["Labels"]:
                # the release records the image it runs by digest: a tag can move, a digest cannot
                summary = image_summary(image, split_ref(spec["image"])[0])
                config["Labels"][f"{_spec.LABEL_RELEASE}.digest"] = str(summary.get("digest") or summary.get("id") or "unknown")
                result.update(image=spec["image"], digest=config["Labels"][f"{_spec.LABEL_RELEASE}.digest"])  # the deploy's summary says them
            if container is not None:
                if running:
                    self._stop(spec, result, kill=kill, stop_timeout=stop_timeout, checks=checks)
                self._act(result, "removed", self.client.remove, name)
            self._act(result, "recreated" if container else "created", self._create, name, config, spec)
            running = False
        # present keeps a running container running, also across a recreation
        if (state == "started" or (state == "present" and was_running)) and not running:
            started = self._act(result, "started", self._start, spec)
            if not self.check_mode:
                self._checks(spec, result, "running", checks, inspect=started)
            running = True
        result["status"] = "running" if running else ("stopped" if do_create or container else "absent")
        after = dict(before, status=result["status"])
        if do_create:
            after.update(image=spec["image"], image_id=(image or {}).get("Id", "unknown"))
        masked = _spec.mask_drift(drift, spec)
        # before: the drifted values the container has; after: the wanted values once recreated,
        # or the same drift again when the container is left alone (recreate=never on a running one).
        if container is not None:  # a container that is not there yet has no drift: its diff is its status and image
            before["drift"] = {d["option"]: d["actual"] for d in masked}
            after["drift"] = {} if do_create else dict(before["drift"])
            if do_create:
                after["config"] = {d["option"]: d["wanted"] for d in masked}
        result["drift_detail"] = masked
        result["diff"] = {"before": before, "after": after}

    def _create(self, name: str, config: dict, spec: dict) -> None:
        self.client.create(name, config)
        for network in spec.get("networks") or []:
            self.client.connect_network(name, network["name"], network.get("aliases"))

    def _start(self, spec: dict) -> dict:
        """Start the container; its inspection once it runs."""
        name = spec["name"]
        self.client.start(name)
        deadline = time.monotonic() + 5
        while True:
            container = self.client.inspect_container(name)
            if _running(container):
                return container
            if container and container["State"].get("Status") in ("exited", "dead") or time.monotonic() > deadline:
                code = (container or {}).get("State", {}).get("ExitCode")
                tail = " | ".join(self._log_tail(name))
                raise DockerFailure("starting container", name, self.client.ship, f"it exited at once with status {code}: {tail or '(no output)'}")
            time.sleep(0.2)

    def _summary(self, spec: dict, container: dict | None) -> dict:
        if not container:
            return {"status": "absent"}
        return {"status": _status(container), "image": container["Config"].get("Image"), "image_id": container.get("Image")}

    # ---- clean -------------------------------------------------------------------------------
    def clean(self) -> dict:
        """maestro clean: remove stopped instances with their anonymous volumes; running ones are skipped."""

        def work(spec: dict, result: dict) -> None:
            container = self._inspect_managed(spec)
            result["status_before"] = _status(container)
            if container is None:
                result["status"] = "absent"
            elif _running(container):
                result.update(status="running", skipped=True)
            else:
                self._move(result, "removed", spec["name"], None)
                result["status"] = "absent"
            result["diff"] = {"before": {"status": result["status_before"]}, "after": {"status": result["status"]}}

        return self._each(work)

    def _managed_containers(self) -> list[dict]:
        """Every container of the ship with the maestro.managed label (API summaries), listed once per batch."""
        with self._listed_guard:
            if self._listed is None:
                self._listed = self.client.containers({_spec.LABEL_MANAGED: "true"})
            return self._listed

    # ---- older releases ----------------------------------------------------------------------
    def keep_releases(self, keep: int, park_suffix: str) -> dict:
        """After a switch: each instance's parked colour (the release two deploys old) is archived under
        :func:`archive_name` (with ``keep`` 1: removed), and archived releases beyond the newest ``keep - 1`` are removed.
        Only stopped containers with the maestro.managed label are renamed or removed, and a parked one that maestro-ng
        created (adopted): it records no release to roll back to by id, and no later run would list it, so it is removed."""
        if keep < 1:
            raise DockerFailure("keeping releases", None, self.client.ship, f"keep must be at least 1, got {keep}")
        listed = self._managed_containers()  # before any rename: each instance below counts its own

        def work(spec: dict, result: dict) -> None:
            name = spec["name"]
            parked_name = name + park_suffix
            parked = self.client.inspect_container(parked_name)
            archived_as = None
            if parked is not None:
                refusal = rename_refusal(parked, "", None, spec)
                if refusal:
                    raise DockerFailure("keeping the older release", parked_name, self.client.ship, refusal)
                if keep > 1 and _labelled(parked):
                    archived_as = archive_name(name, parked)
                    self._move(result, "archived", parked_name, archived_as)
                else:
                    self._move(result, "removed", parked_name, None)
            # the listing was made before the rename: the parked container counts as archived (in check mode too)
            mine = [c for c in listed if f"/{parked_name}" not in (c.get("Names") or [])]
            if archived_as:
                mine.append({"Id": parked["Id"], "Names": [f"/{archived_as}"], "Labels": parked["Config"].get("Labels") or {}, "State": "exited"})
            for old in releases_to_remove(name, mine, keep, park_suffix):
                self._move(result, "removed", old, None)
                result.setdefault("removed", []).append(old)
            result["kept"] = sorted(own for own, _container in archives(name, mine, park_suffix) if own not in (result.get("removed") or []))
            parked_after = (f"archived as {archived_as}" if archived_as else "removed") if parked is not None else None
            result["diff"] = {
                "before": {"parked": parked_name if parked is not None else None, "removed": []},
                "after": {"parked": parked_after, "removed": result.get("removed") or []},
            }

        return self._each(work)

    # ---- rename ------------------------------------------------------------------------------
    def rename(self, from_suffix: str = "", to_suffix: str = "") -> dict:
        """Rename each instance's stopped container name+from_suffix to name+to_suffix (park it, or put it back)."""
        if from_suffix == to_suffix:
            raise DockerFailure("renaming instances", None, self.client.ship, f"from_suffix and to_suffix are both {from_suffix!r}: nothing would be renamed")

        def work(spec: dict, result: dict) -> None:
            source_name, target_name = spec["name"] + from_suffix, spec["name"] + to_suffix
            result.update({"from": source_name, "to": target_name})
            source = self.client.inspect_container(source_name)
            result["status_before"] = _status(source)
            target = self.client.inspect_container(target_name) if source is not None else None
            refusal = rename_refusal(source, target_name, target, spec)
            if refusal:
                raise DockerFailure("renaming container", f"{source_name} to {target_name}", self.client.ship, refusal)
            if source is not None:
                self._move(result, "renamed", source_name, target_name)
            result["diff"] = {
                "before": {"name": source_name, "status": result["status_before"]},
                "after": {"name": target_name if source is not None else source_name, "status": result["status_before"]},
            }

        return self._each(work)

    # ---- checks ------------------------------------------------------------------------------
    def run_checks(self, state: str) -> dict:
        def work(spec: dict, result: dict) -> None:
            result["checks"] = []
            self._checks(spec, result, state, True)

        return self._each(work)

    # ---- info --------------------------------------------------------------------------------
    def info(self, probe_ports: bool = True, archived: bool = False) -> dict:
        now = datetime.now(UTC)
        # A blue/green read names both colours and both parked names of each instance, most of them absent: above a
        # few names, one listing says which to inspect (an absent name costs a request as a present one does).
        present = self.client.container_names() if len(self.specs) > LIST_ABOVE else None

        def work(spec: dict, result: dict) -> None:
            container = self.client.inspect_container(spec["name"]) if present is None or spec["name"] in present else None
            result.update(status=_status(container), exists=container is not None)
            if archived:  # also when the slot is empty: its releases may be archived
                result["archived"] = self._archived(spec["name"])
            if container is None:
                result["drift"] = []
                return
            result["managed"] = _managed(container, spec)
            if result["managed"] and not _labelled(container):
                result["adopted"] = "maestro-ng"
            state = container["State"]
            started, finished = _parse_time(state.get("StartedAt")), _parse_time(state.get("FinishedAt"))
            result.update(
                id=container["Id"],
                image=container["Config"].get("Image"),
                image_id=container.get("Image"),
                started_at=state.get("StartedAt"),
                exit_code=None if _running(container) else state.get("ExitCode"),
                uptime=round((now - started).total_seconds()) if _running(container) and started else None,
                down_for=round((now - finished).total_seconds()) if not _running(container) and finished else None,
            )
            result["release"] = _spec.release_of(container["Config"].get("Labels"))
            repository, _tag = split_ref(container["Config"].get("Image") or spec["image"])
            # once per image of the batch (the colours of an instance, its peers on the ship: one image, one call)
            result["digest"] = image_summary(self._inspect_image(container["Image"], after_pull=False), repository).get("digest")
            desired = self._inspect_image(spec["image"], after_pull=False)
            drift = _spec.compare(spec, container) if result["managed"] else []
            if desired is None:
                drift.append({"option": "image", "path": "Image", "wanted": f"{spec['image']} (not on the ship)", "actual": container.get("Image")})
            elif desired["Id"] != container.get("Image"):
                drift.append({"option": "image", "path": "Image", "wanted": desired["Id"], "actual": container.get("Image")})
            result["drift"] = [d["option"] for d in drift]
            result["drift_detail"] = _spec.mask_drift(drift, spec)
            result["ports"] = self._ports(spec, container, probe_ports)

        return self._each(work)

    def _archived(self, name: str) -> list[dict]:
        """The older releases of instance ``name`` kept under ``<name>.<release id>`` (and a parked one), newest first."""
        found = [
            {
                "name": own,
                "status": "running" if container.get("State") == "running" else "stopped",
                "release": _spec.release_of(container.get("Labels")) or {"id": None, "image": container.get("Image")},
            }
            for own, container in archives(name, self._managed_containers())
        ]
        return sorted(found, key=lambda a: str(a["release"].get("id") or ""), reverse=True)

    def _ports(self, spec: dict, container: dict, probe: bool) -> list[dict]:
        published = (container.get("NetworkSettings") or {}).get("Ports") or {}
        out = []
        for port in spec.get("ports") or []:
            proto = port.get("protocol") or _ports.DEFAULT_PROTOCOL
            first = _ports.first(port["exposed"])
            bound = published.get(f"{first}/{proto}") or []
            external = int(bound[0]["HostPort"]) if bound else None
            answering = None
            if probe and external and proto == "tcp" and _running(container):
                try:
                    socket.create_connection((spec.get("ship_ip") or "127.0.0.1", external), timeout=1).close()
                    answering = True
                except OSError:
                    answering = False
            out.append({"name": port.get("name"), "exposed": str(port["exposed"]), "external": external, "protocol": proto, "answering": answering})
        return out

    # ---- logs --------------------------------------------------------------------------------
    def logs(self, lines: int) -> dict:
        def work(spec: dict, result: dict) -> None:
            container = self.client.inspect_container(spec["name"])
            result["status"] = _status(container)
            text = self.client.logs(spec["name"], lines) if container else ""
            result["logs"] = text.splitlines()

        return self._each(work)
