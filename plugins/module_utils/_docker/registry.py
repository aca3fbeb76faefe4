# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Image references, registry credentials in maestro format, and pulls with maestro's retry policy."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlparse

from ansible_collections.maestro.docker.plugins.module_utils._docker.client import APIError, BatchFailure, DockerFailure, each_item

try:
    from docker import auth as docker_auth
except ImportError:  # pragma: no cover - the client wrapper reports the missing SDK
    docker_auth = None


def split_ref(image: str) -> tuple[str, str]:
    """``registry:5000/repo/name:tag`` -> (``registry:5000/repo/name``, ``tag``); tag ``latest`` if none;
    ``repo@sha256:...`` -> (``repo``, ``sha256:...``).

    The one image reference splitter of the collection (the loader uses it too). It is the Docker SDK's
    rule (``docker.utils.parse_repository_tag``, plus maestro-ng's default tag), written out because the
    ships file's loader runs where the SDK need not be installed (``ansible-inventory``, an inventory sync);
    a unit test holds the two to the same answers.
    """
    repo, sep, digest = image.rpartition("@")
    if sep:
        return repo, digest
    repo, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return repo, tag
    return image, "latest"


def registry_host(repository: str) -> str | None:
    first = repository.split("/", 1)[0]
    if "/" in repository and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def find_registry(repository: str, registries: dict | None) -> tuple[str, dict] | None:
    """maestro's lookup: the first path component against registry names, then against each URL's netloc."""
    if not registries or "/" not in repository:
        return None
    first = repository.split("/", 1)[0]
    if first in registries:
        return first, registries[first] or {}
    for name, cfg in registries.items():
        url = (cfg or {}).get("registry") or ""
        parsed = urlparse(url if "://" in url else f"//{url}")
        if first in (parsed.netloc, parsed.hostname):
            return name, cfg
    return None


def auth_config(repository: str, registries: dict | None) -> dict | None:
    """X-Registry-Auth for a pull: the maestro registry entry, else the controller's Docker config."""
    found = find_registry(repository, registries)
    if found and found[1].get("username"):
        cfg = found[1]
        server = urlparse(cfg.get("registry") if "://" in (cfg.get("registry") or "") else f"//{cfg.get('registry') or found[0]}").netloc
        return {"username": cfg["username"], "password": cfg.get("password") or "", "serveraddress": server}
    host = registry_host(repository)
    if docker_auth is None or host is None:
        return None
    try:
        config = docker_auth.load_config()
        return docker_auth.resolve_authconfig(config, host) or None
    except Exception:  # an unreadable ~/.docker/config.json means: no credentials
        return None


def retry_policy(repository: str, registries: dict | None) -> tuple[int, set[int]]:
    found = find_registry(repository, registries)
    retry = (found[1].get("retry") if found else None) or {}
    return int(retry.get("attempts") or 1), {int(c) for c in retry.get("when") or []}


def registry_passwords(registries: dict | None) -> list[str]:
    return [str(cfg["password"]) for cfg in (registries or {}).values() if cfg and cfg.get("password")]


def _status(exc: BaseException) -> int | None:
    cause = exc.__cause__ or exc
    code = getattr(cause, "status_code", None)
    if code is None and isinstance(cause, APIError) and getattr(cause, "response", None) is not None:
        code = cause.response.status_code
    return code


def with_retry(func, attempts: int, when: set[int]):
    for attempt in range(1, max(attempts, 1) + 1):
        try:
            return func()
        except DockerFailure as exc:
            if attempt >= attempts or _status(exc) not in when:
                raise
            time.sleep(1)
    return None


def repo_digest(image: dict | None, repository: str) -> str | None:
    for entry in (image or {}).get("RepoDigests") or []:
        repo, _sep, digest = entry.partition("@")
        if repo == repository:
            return digest
    return None


def image_summary(image: dict | None, repository: str) -> dict:
    if not image:
        return {"exists": False}
    return {"exists": True, "id": image["Id"], "digest": repo_digest(image, repository)}


class Puller:
    """Pulls images on one ship, each reference at most once per run, honest about changes."""

    def __init__(self, client, registries: dict | None, check_mode: bool):
        self.client, self.registries, self.check_mode = client, registries or {}, check_mode
        self._locks: dict[str, threading.Lock] = {}
        self._done: dict[str, dict] = {}
        self._guard = threading.Lock()
        # image -> its inspection as the pull left it (before a pull that was not needed, after one that was)
        self.inspected: dict[str, dict | None] = {}

    def pull(self, image: str, mode: str = "always") -> dict:
        """mode ``always`` or ``missing``. Returns {image, changed, before, after, action}."""
        with self._guard:
            lock = self._locks.setdefault(image, threading.Lock())
        with lock:
            if image not in self._done:
                self._done[image] = self._pull(image, mode)
            return self._done[image]

    def _pull(self, image: str, mode: str) -> dict:
        repository, tag = split_ref(image)
        current = self.client.inspect_image(image)
        self.inspected[image] = current
        before = image_summary(current, repository)
        result = {"image": image, "changed": False, "before": before, "after": before, "action": None}
        if current and mode == "missing":
            return result
        auth = auth_config(repository, self.registries)
        attempts, when = retry_policy(repository, self.registries)
        if self.check_mode:
            if current is None:
                result.update(changed=True, after={"exists": True, "id": "unknown", "digest": "unknown"}, action=f"would pull {image}")
                return result
            remote = with_retry(lambda: self.client.distribution_digest(image, auth), attempts, when)
            if remote != before.get("digest"):
                result.update(changed=True, after={"exists": True, "id": "unknown", "digest": remote}, action=f"would pull {image}")
            return result
        with_retry(lambda: self.client.pull(repository, tag, auth), attempts, when)
        new = self.client.inspect_image(image)
        self.inspected[image] = new
        after = image_summary(new, repository)
        result.update(after=after, changed=(before.get("id") != after.get("id")))
        result["action"] = f"pulled {image}" if result["changed"] else None
        return result


def pull_images(client, images: list[str], *, registries: dict | None, mode: str, check_mode: bool, concurrency: int | None = None) -> dict:
    """Pull every image on the client's ship concurrently; one result per image, BatchFailure if some fail."""
    puller = Puller(client, registries, check_mode)
    results: list[dict] = [{"image": image, "changed": False} for image in images]
    failures: list[DockerFailure | None] = [None] * len(images)

    def one(index: int) -> None:
        try:
            results[index] = puller.pull(images[index], mode)
        except DockerFailure as exc:
            failures[index] = exc
            results[index].update(failed=True, msg=str(exc))

    each_item(one, len(images), min(concurrency or len(images) or 1, 16))
    out = {"changed": any(r["changed"] for r in results), "images": results}
    failed = [f for f in failures if f is not None]
    if failed:
        raise BatchFailure(failed, out)
    return out
