# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""An HAProxy container on one ship whose configuration is changed without cutting a connection.

The configuration is read and written through the Docker archive API, checked with ``haproxy -c``
inside the container before it replaces the running one, and applied with SIGUSR2 to HAProxy's
master process: the master starts a new worker with the new configuration and the old worker
finishes the connections it holds, then exits. Whether it has exited is read from the container's
process list (Docker's ``top``), not guessed with a sleep. See docs/docsite/rst/design_proxy.rst.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from ansible_collections.maestro.docker.plugins.module_utils._docker import haproxy as _haproxy
from ansible_collections.maestro.docker.plugins.module_utils._docker import lifecycle as _lifecycle
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.module_utils._docker.client import DockerFailure
from ansible_collections.maestro.docker.plugins.module_utils._docker.registry import Puller

CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"
CANDIDATE_PATH = "/usr/local/etc/haproxy/.maestro-candidate.cfg"
LABEL_ROLE = "maestro.role"
ROLE = "proxy"
STATES = ("present", "absent")
# How long a started or reloaded master may take to fork its new worker.
WORKER_TIMEOUT = 15
POLL = 0.1


def _poll(polls: int) -> float:
    """Seconds before the next look at the processes: a new worker is up, and an idle old one gone, within tens of
    milliseconds of a reload, so the first looks come sooner than POLL (each is a ``ps`` the daemon runs)."""
    return min(POLL, 0.02 * 2 ** (polls - 1))


def _labels(container: dict | None) -> dict:
    return ((container or {}).get("Config") or {}).get("Labels") or {}


def _running(container: dict | None) -> bool:
    return bool(container and container["State"].get("Running"))


def _summary(client, name: str, container: dict | None) -> dict:
    return {"name": name, "id": (container or {}).get("Id"), "ship": client.ship}


def _inspect_ours(client, name: str, role: str = ROLE) -> dict | None:
    """The container ``name`` if this collection made it for ``role`` (its labels say so), None if there is none; any
    other container of that name fails the task and is left untouched. The keepalived beside a proxy uses it too."""
    container = client.inspect_container(name)
    if container is None:
        return None
    labels = _labels(container)
    if labels.get(_spec.LABEL_MANAGED) != "true" or labels.get(LABEL_ROLE) != role:
        cause = (
            f"the name is held by container {container['Id'][:12]} that has no {_spec.LABEL_MANAGED}=true and {LABEL_ROLE}={role} labels; it is left untouched"
        )
        raise DockerFailure(f"managing {role} container", name, client.ship, cause)
    return container


def container_config(p: dict) -> dict:
    labels = {_spec.LABEL_MANAGED: "true", LABEL_ROLE: ROLE}
    if p.get("environment"):
        labels[_spec.LABEL_ENVIRONMENT] = p["environment"]
    config = {
        "Image": p["image"],
        "Labels": labels,
        # Stopping sends the image's stop signal (SIGUSR1 in the official image: a soft stop that drains).
        "HostConfig": {"NetworkMode": p["network_mode"], "RestartPolicy": {"Name": "unless-stopped"}},
    }
    if p.get("user"):
        config["User"] = p["user"]
    return config


def _drift_warnings(container: dict, p: dict) -> list[str]:
    """Settings that only a new container would change; it is not recreated, since that would cut traffic."""
    found = []
    if container["Config"].get("Image") != p["image"]:
        found.append(f"image {container['Config'].get('Image')} (not {p['image']})")
    mode = (container.get("HostConfig") or {}).get("NetworkMode")
    if mode != p["network_mode"]:
        found.append(f"network_mode {mode} (not {p['network_mode']})")
    if p.get("user") and container["Config"].get("User") != p["user"]:
        found.append(f"user {container['Config'].get('User') or '(image default)'} (not {p['user']})")
    if not found:
        return []
    return [
        f"The proxy container {p['name']} runs with {', '.join(found)}; it is left as it is, since recreating it cuts traffic. "
        "Remove it with state=absent and run again to change that."
    ]


class ConfiguredContainer:
    """A container of the collection's own that runs from one configuration file written into it: the proxy, and the
    keepalived beside it (keepalived.py). Subclasses say where the file goes, how the container is made and started,
    and how one that failed to start is taken away again."""

    CONFIG_PATH = ""

    def __init__(self, client, p: dict, check_mode: bool):
        self.client, self.p, self.check_mode = client, p, check_mode
        self.name = p["name"]

    def _container_config(self) -> dict:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        raise NotImplementedError

    def _act(self, result: dict, action: str) -> None:
        result["actions"].append(action)
        result["changed"] = True

    def _create(self, result: dict, text: str) -> None:
        pulled = Puller(self.client, self.p.get("registries"), self.check_mode).pull(self.p["image"], "missing")
        if pulled["changed"]:
            self._act(result, pulled["action"])
        self._act(result, "created")
        self._act(result, "started")
        if self.check_mode:
            return
        if self.client.inspect_image(self.p["image"]) is None:
            raise DockerFailure("finding image", self.p["image"], self.client.ship, "the image is not on the ship")
        self.client.create(self.name, self._container_config())
        try:
            # The configuration goes in before the first start: the images ship none of ours.
            self.client.write_file(self.name, self.CONFIG_PATH, text)
            self._start()
        except DockerFailure:
            # A container this run made and could not start is removed again, so the next run starts clean.
            self._discard()
            raise
        result["container"] = _summary(self.client, self.name, self.client.inspect_container(self.name))


class Proxy(ConfiguredContainer):
    """One proxy container on the ship ``client`` talks to."""

    CONFIG_PATH = CONFIG_PATH

    def _container_config(self) -> dict:
        return container_config(self.p)

    def _discard(self) -> None:
        self._stop_quietly()
        self.client.remove(self.name, missing_ok=True)

    # ---- present -----------------------------------------------------------------------------
    def present(self) -> dict:
        p = self.p
        if not p.get("image"):
            raise DockerFailure("managing proxy container", self.name, self.client.ship, "image is required unless state=absent")
        if int(p["drain_timeout"]) < 1:
            raise DockerFailure("managing proxy container", self.name, self.client.ship, "drain_timeout must be at least 1 second")
        try:
            given = _haproxy.normalize(p.get("frontends"))
            container = _inspect_ours(self.client, self.name)
            before_text = self.client.read_file(self.name, CONFIG_PATH) if container else None
            stored = _haproxy.parse_state(before_text) or []
            merged = _haproxy.merge(stored, given, purge=p["purge"])
            merged = _haproxy.set_weights(merged, p.get("weights"))
            # the statistics listener is kept as stored unless given; port 0 removes it
            stats = _haproxy.normalize_stats(p["stats"]) if p.get("stats") is not None else _haproxy.parse_state_stats(before_text)
            # so is the health endpoint
            health = _haproxy.normalize_health(p["health"]) if p.get("health") is not None else _haproxy.parse_state_health(before_text)
            _haproxy.check_stats(stats, merged, health)
        except _haproxy.ProxyConfigError as exc:
            raise DockerFailure("configuring proxy", self.name, self.client.ship, exc) from None
        text = _haproxy.render(merged, drain_timeout=p["drain_timeout"], keepalive=p["keepalive"], stats=stats, health=health)
        result = {
            "changed": False,
            "actions": [],
            "container": _summary(self.client, self.name, container),
            "frontends": merged,
            "frontend_changes": _haproxy.changes(stored, merged),
            "config": text,
            "stats_listener": stats,
            "health_endpoint": health,
            "reloaded": False,
            "drained": None,
            "drain_seconds": None,
            "warnings": _drift_warnings(container, p) if container else [],
            "diff": {"before": before_text or "", "after": text},
        }
        if p.get("validate_only"):
            self._validate_only(result, container, before_text, text)
        elif container is None:
            self._create(result, text)
        elif not _running(container):
            self._start_stopped(result, container, before_text, text)
        elif before_text != text:
            self._reload(result, container, before_text, text)
        if not result["warnings"]:
            result.pop("warnings")
        return result

    def _start_stopped(self, result: dict, container: dict, before_text: str | None, text: str) -> None:
        if before_text != text:
            self._act(result, "configured")
        self._act(result, "started")
        if self.check_mode:
            return
        if before_text != text:
            self.client.write_file(self.name, CONFIG_PATH, text)
        try:
            self._start()
        except DockerFailure:
            # stopped as it was found (not left in a restart loop), with the configuration it had
            self._stop_quietly()
            if before_text is not None and before_text != text:
                self.client.write_file(self.name, CONFIG_PATH, before_text)
            raise

    def _stop_quietly(self) -> None:
        """Stop a container that failed to start (its restart policy may be restarting it); the first failure is what counts."""
        try:
            self.client.stop(self.name, 0)
        except DockerFailure:
            pass

    def _start(self) -> None:
        """Start the container and wait for HAProxy's first worker; fail with its output if it exits."""
        started_at = time.time()
        self.client.start(self.name)
        deadline = time.monotonic() + WORKER_TIMEOUT
        while True:
            container = self.client.inspect_container(self.name)
            state = (container or {}).get("State") or {}
            if state.get("Restarting") or state.get("Status") in ("exited", "dead"):
                cause = f"HAProxy exited with status {state.get('ExitCode')}: {self._log_tail(started_at)}"
                raise DockerFailure("starting proxy container", self.name, self.client.ship, cause)
            if state.get("Running") and any(proc["ppid"] == state.get("Pid") for proc in self.client.processes(self.name)):
                return
            if time.monotonic() > deadline:
                cause = f"no HAProxy worker after {WORKER_TIMEOUT}s: {self._log_tail(started_at)}"
                raise DockerFailure("starting proxy container", self.name, self.client.ship, cause)
            time.sleep(POLL)

    def _log_tail(self, since: float) -> str:
        text = self.client.logs(self.name, 20, since=int(since))
        lines = [line.strip() for line in text.splitlines() if line.strip() and "[NOTICE]" not in line]
        alerts = [line for line in lines if "[ALERT]" in line]
        return " | ".join((alerts or lines)[-8:]) or "(no output)"

    def _validate(self, text: str) -> None:
        """``haproxy -c`` on ``text``, written beside the running configuration (which stays as it is)."""
        self.client.write_file(self.name, CANDIDATE_PATH, text)
        code, output = self.client.exec_run(self.name, ["haproxy", "-c", "-f", CANDIDATE_PATH])
        if code != 0:
            cause = f"haproxy -c failed (exit {code}): {_haproxy.check_messages(output)}; the running configuration is left unchanged"
            raise DockerFailure("checking the new configuration of proxy container", self.name, self.client.ship, cause)

    def _validate_only(self, result: dict, container: dict | None, before_text: str | None, text: str) -> None:
        """The first phase of a switch across several proxies: check the configuration a reload would apply, change
        nothing. Only a running proxy can check it (``haproxy -c`` runs in its container); one that is missing or
        stopped checks it when it starts, in the second phase."""
        result["diff"]["after"] = before_text or ""
        result["would_change"] = container is None or not _running(container) or before_text != text
        result["validated"] = False
        if container is None or not _running(container) or before_text == text:
            return
        if not self.check_mode:
            self._validate(text)
            result["validated"] = True

    def _reload(self, result: dict, container: dict, before_text: str | None, text: str) -> None:
        self._act(result, "reloaded")
        result["reloaded"] = True
        if self.check_mode:
            return
        self._validate(text)
        master = container["State"]["Pid"]
        old = {proc["pid"] for proc in self.client.processes(self.name)} - {master}
        self.client.write_file(self.name, CONFIG_PATH, text)
        reload_at = time.time()
        self.client.signal(self.name, "SIGUSR2")
        started = time.monotonic()
        if not self._wait_new_worker(master, old, reload_at):
            # The master keeps the old worker serving; put the old file back so that it stays the truth.
            if before_text is not None:
                self.client.write_file(self.name, CONFIG_PATH, before_text)
            cause = f"HAProxy did not start a worker with the new configuration, the old one keeps serving: {self._log_tail(reload_at)}"
            raise DockerFailure("reloading proxy container", self.name, self.client.ship, cause)
        result["drained"] = self._wait_gone(old, started + int(self.p["drain_timeout"]))
        result["drain_seconds"] = round(time.monotonic() - started, 2)
        if not result["drained"]:
            result["warnings"].append(
                f"The previous HAProxy worker of {self.name} still held connections after drain_timeout={self.p['drain_timeout']}s; "
                "hard-stop-after ends it now."
            )

    def _wait_new_worker(self, master: int, old: set[int], since: float) -> bool:
        deadline = time.monotonic() + WORKER_TIMEOUT
        polls = 0
        while time.monotonic() < deadline:
            if any(proc["ppid"] == master and proc["pid"] not in old for proc in self.client.processes(self.name)):
                return True
            polls += 1
            # HAProxy says so when the master could not load the new configuration (e.g. a port it cannot bind)
            if polls % 5 == 0 and "Loading failure" in self.client.logs(self.name, 50, since=int(since)):
                return False
            time.sleep(_poll(polls))
        return False

    def _wait_gone(self, old: set[int], deadline: float) -> bool:
        polls = 0
        while True:
            if not old & {proc["pid"] for proc in self.client.processes(self.name)}:
                return True
            if time.monotonic() >= deadline:
                return False
            polls += 1
            time.sleep(_poll(polls))

    # ---- absent ------------------------------------------------------------------------------
    def absent(self) -> dict:
        container = _inspect_ours(self.client, self.name)
        before_text = self.client.read_file(self.name, CONFIG_PATH) if container else None
        result = {
            "changed": False,
            "actions": [],
            "container": _summary(self.client, self.name, container),
            "frontends": [],
            "config": "",
            "reloaded": False,
            "drained": None,
            "drain_seconds": None,
            "diff": {"before": before_text or "", "after": ""},
        }
        if container is None:
            return result
        if _running(container):
            self._act(result, "stopped")
            if not self.check_mode:
                self.client.stop(self.name, int(self.p["drain_timeout"]))
        self._act(result, "removed")
        if not self.check_mode:
            self.client.remove(self.name, missing_ok=True)
        return result


def proxy(client, p: dict, check_mode: bool) -> dict:
    manager = Proxy(client, p, check_mode)
    return manager.absent() if p["state"] == "absent" else manager.present()


# The statistics proxy_info returns of each server: what a canary's verdict and a person need, not HAProxy's 100 fields.
STATS_FIELDS = ("status", "weight", "check_status", "mode", "scur", "stot", "req_tot", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx")
STATS_FIELDS += ("hrsp_5xx", "hrsp_other", "econ", "eresp", "wretr", "wredis", "cli_abrt", "srv_abrt", "qtime", "ctime", "rtime", "ttime")
STATS_FIELDS += ("rtime_max", "ttime_max")
STATS_TIMEOUT = 5
LOCAL_SCHEMES = ("unix", "npipe", "")


def stats_url(client, listener: dict, address: str | None) -> str:
    """Where the controller reads the statistics CSV: ``address`` if given, else the listener's own bind address, else
    the ship's address in its Docker host URL (127.0.0.1 for a local socket)."""
    host = address or listener.get("address")
    if not host:
        base = urlparse(str(getattr(client, "docker_host", "") or ""))
        host = "127.0.0.1" if base.scheme in LOCAL_SCHEMES else base.hostname
    if not host:
        raise DockerFailure("reading the statistics of proxy container", None, client.ship, "no address to read them from: set stats_address")
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{host}:{listener['port']}{_haproxy.STATS_URI};csv"


def read_stats(client, name: str, listener: dict, frontends: list[dict], address: str | None) -> tuple[str, list[dict]]:
    """(url, the statistics of the servers of the stored frontends, each with its frontend and colour)."""
    url = stats_url(client, listener, address)
    try:
        with _lifecycle._opener(False, True).open(urllib.request.Request(url), timeout=STATS_TIMEOUT) as resp:
            text = resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DockerFailure("reading the statistics of proxy container", name, client.ship, f"{url} answered HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise DockerFailure("reading the statistics of proxy container", name, client.ship, f"{url}: {getattr(exc, 'reason', exc)}") from None
    try:
        rows = _haproxy.server_rows(_haproxy.parse_stats(text), frontends)
    except _haproxy.StatsError as exc:
        raise DockerFailure("reading the statistics of proxy container", name, client.ship, f"{url}: {exc}") from None
    keep = ("frontend", "server", "colour", *STATS_FIELDS)
    return url, [{k: row.get(k) for k in keep} for row in rows]


def proxy_info(client, p: dict, check_mode: bool) -> dict:
    name = p["name"]
    container = client.inspect_container(name)
    labels = _labels(container)
    managed = labels.get(_spec.LABEL_MANAGED) == "true" and labels.get(LABEL_ROLE) == ROLE
    text = client.read_file(name, CONFIG_PATH) if container and managed else None
    frontends = _haproxy.parse_state(text) or []
    listener = _haproxy.parse_state_stats(text)
    extra = {}
    if p.get("stats"):
        if not listener:
            cause = "it has no statistics listener: set the stats option of maestro.docker.proxy" if managed else "it is no maestro proxy"
            raise DockerFailure("reading the statistics of proxy container", name, client.ship, cause)
        if not _running(container):
            raise DockerFailure("reading the statistics of proxy container", name, client.ship, "it is not running")
        extra["stats_url"], extra["stats"] = read_stats(client, name, listener, frontends, p.get("stats_address"))
    return {
        **extra,
        "stats_listener": listener,
        "changed": False,
        "exists": container is not None,
        "managed": managed if container else None,
        "running": _running(container),
        "container": _summary(client, name, container),
        "image": container["Config"].get("Image") if container else None,
        "environment": labels.get(_spec.LABEL_ENVIRONMENT),
        "frontends": frontends,
        "config": text or "",
    }
