# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""A deploy lock held on one ship: a container that is created and never started.

The Docker daemon refuses to create a second container of a name that exists (409 Conflict), so
creating the lock container is an atomic test-and-set: of two acquirers, exactly one wins. The lock's
holder, purpose, time and token are the container's labels. Its image is an empty one the module
imports itself (no registry, no pull), since the container never runs.
"""

from __future__ import annotations

import getpass
import io
import secrets
import socket
import tarfile
import time
from datetime import UTC, datetime

from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.module_utils._docker.client import DockerFailure

LABEL_ROLE = "maestro.role"
ROLE = "lock"
LABEL_WHO = "maestro.lock.who"
LABEL_WHAT = "maestro.lock.what"
LABEL_SINCE = "maestro.lock.since"
LABEL_TOKEN = "maestro.lock.token"
IMAGE_REPOSITORY, IMAGE_TAG = "maestro/lock", "1"
IMAGE = f"{IMAGE_REPOSITORY}:{IMAGE_TAG}"
COMMAND = ["maestro-lock"]
STATES = ("present", "absent")
POLL = 1.0


class LockHeld(DockerFailure):
    """The lock is someone else's; the message names the holder. ``results`` carries the holder."""

    def __init__(self, doing: str, ship: str, holder: dict, hint: str):
        super().__init__(doing, holder["name"], ship, "held")
        self.args = (f"{describe(holder, ship)}; {hint}",)
        self.results = {"changed": False, "lock": None, "broken": None, "holder": public(holder)}

    def __str__(self) -> str:
        return self.args[0]


def default_who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_token() -> str:
    return secrets.token_hex(16)


def empty_rootfs() -> bytes:
    """An empty tarball: the lock image's whole root file system."""
    buf = io.BytesIO()
    tarfile.open(fileobj=buf, mode="w").close()
    return buf.getvalue()


def labels(who: str, what: str, since: str, token: str) -> dict:
    return {_spec.LABEL_MANAGED: "true", LABEL_ROLE: ROLE, LABEL_WHO: who, LABEL_WHAT: what, LABEL_SINCE: since, LABEL_TOKEN: token}


def from_labels(name: str, ship: str, found: dict) -> dict:
    """The lock a container's labels describe."""
    return {
        "name": name,
        "who": found.get(LABEL_WHO, ""),
        "what": found.get(LABEL_WHAT, ""),
        "since": found.get(LABEL_SINCE, ""),
        "token": found.get(LABEL_TOKEN, ""),
        "ship": ship,
    }


def public(lock: dict) -> dict:
    """A holder as shown to someone else: without the token that would let them release it."""
    return {k: v for k, v in lock.items() if k != "token"}


def describe(holder: dict, ship: str) -> str:
    what = f" for: {holder['what']}" if holder.get("what") else ""
    return f"Deploy lock {holder['name']} on ship {ship} is held by {holder['who'] or 'an unknown holder'} since {holder['since'] or 'an unknown time'}{what}"


HINT_ACQUIRE = "wait for it to finish, or break it with force (maestro_deploy_break_lock=true)"


class Lock:
    def __init__(self, client, p: dict, check_mode: bool):
        self.client, self.p, self.check_mode = client, p, check_mode
        self.name = p["name"]

    def _read(self) -> tuple[dict | None, dict | None]:
        """(container, lock it describes) or (None, None); refuses a container that is not a maestro lock."""
        container = self.client.inspect_container(self.name)
        if container is None:
            return None, None
        found = (container.get("Config") or {}).get("Labels") or {}
        if found.get(_spec.LABEL_MANAGED) != "true" or found.get(LABEL_ROLE) != ROLE:
            cause = (
                f"the name is held by container {container['Id'][:12]} that has no {_spec.LABEL_MANAGED}=true and "
                f"{LABEL_ROLE}={ROLE} labels; it is left untouched"
            )
            raise DockerFailure("managing deploy lock", self.name, self.client.ship, cause)
        return container, from_labels(self.name, self.client.ship, found)

    def _result(self, changed: bool, lock: dict | None, before: dict | None, broken: dict | None = None) -> dict:
        return {
            "changed": changed,
            "lock": lock,
            "broken": public(broken) if broken else None,
            "diff": {"before": public(before) if before else {}, "after": public(lock) if lock else {}},
        }

    # ---- acquire -----------------------------------------------------------------------------
    def acquire(self) -> dict:
        p = self.p
        token = p.get("token") or new_token()
        wanted = {"name": self.name, "who": p.get("who") or default_who(), "what": p.get("what") or "", "since": "", "token": token, "ship": self.client.ship}
        deadline = time.monotonic() + max(int(p.get("wait") or 0), 0)
        broken_id, broken = None, None
        while True:
            container, holder = self._read()
            if holder is not None:
                if p.get("token") and holder["token"] == p["token"]:
                    return self._result(False, holder, holder)
                if p.get("force") and broken_id in (None, container["Id"]):
                    # break this holder (by id: never one that took the lock after we looked)
                    broken_id, broken = container["Id"], holder
                    if self.check_mode:
                        return self._result(True, {**wanted, "since": now_utc()}, holder, broken)
                    self.client.remove(container["Id"], missing_ok=True)
                elif time.monotonic() < deadline:
                    time.sleep(POLL)
                    continue
                else:
                    raise LockHeld("acquiring deploy lock", self.client.ship, holder, HINT_ACQUIRE)
            elif self.check_mode:
                return self._result(True, {**wanted, "since": now_utc()}, None)
            wanted["since"] = now_utc()
            if self._create(wanted):
                return self._result(True, wanted, broken, broken)
            # someone else created it between our look and our create: look again

    def _create(self, lock: dict) -> bool:
        if self.client.inspect_image(IMAGE) is None:
            self.client.import_image(empty_rootfs(), IMAGE_REPOSITORY, IMAGE_TAG)
        config = {
            "Image": IMAGE,
            "Cmd": COMMAND,
            "Labels": labels(lock["who"], lock["what"], lock["since"], lock["token"]),
            "HostConfig": {"NetworkMode": "none"},
        }
        return self.client.create_unless_exists(self.name, config) is not None

    # ---- release -----------------------------------------------------------------------------
    def release(self) -> dict:
        p = self.p
        container, holder = self._read()
        if holder is None:
            return self._result(False, None, None)
        ours = bool(p.get("token")) and holder["token"] == p["token"]
        if not ours and not p.get("force"):
            hint = "the token given is not the one acquiring it returned" if p.get("token") else "releasing it needs the token acquiring it returned"
            raise LockHeld("releasing deploy lock", self.client.ship, holder, f"{hint}; release it with that token, or with force")
        if not self.check_mode:
            self.client.remove(container["Id"], missing_ok=True)
        result = self._result(True, holder, holder, None if ours else holder)
        result["diff"]["after"] = {}
        return result


def lock(client, p: dict, check_mode: bool) -> dict:
    manager = Lock(client, p, check_mode)
    return manager.release() if p["state"] == "absent" else manager.acquire()
