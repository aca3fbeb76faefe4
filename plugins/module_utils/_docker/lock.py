# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""A deploy lock held on one ship: a container that is created and never started.

The Docker daemon refuses to create a second container of a name that exists (409 Conflict), so
creating the lock container is an atomic test-and-set: of two acquirers, exactly one wins. The lock's
holder (who, the ansible-playbook pid and playbook), purpose, time, lease and token are the container's
labels. Its image is an empty one the module imports itself (no registry, no pull), since the container
never runs.

A lease (ttl) is the holder's: it is recorded when the lock is taken, and whoever finds the lock older than
that takes it over (the stale container removed by id, then ours created: a 409 means another run won,
which is then the holder we name). Its age is measured on the ship's clock, from the container's creation
to the daemon's time now, so that the clocks of two controllers never have to agree.
"""

from __future__ import annotations

import getpass
import io
import re
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
LABEL_PID = "maestro.lock.pid"
LABEL_PLAYBOOK = "maestro.lock.playbook"
LABEL_TTL = "maestro.lock.ttl"
IMAGE_REPOSITORY, IMAGE_TAG = "maestro/lock", "1"
IMAGE = f"{IMAGE_REPOSITORY}:{IMAGE_TAG}"
COMMAND = ["maestro-lock"]
STATES = ("present", "absent")
POLL = 1.0
BACK_OFF = 0.2  # seconds a run that found another one removing a stale lock waits before it looks again
REMOVAL_WAIT = 30  # seconds after which a removal by another client that never ends is a failure


class LockHeld(DockerFailure):
    """The lock is someone else's; the message names the holder. ``results`` carries the holder.

    ``replaced``: a holder this run removed (broke, or took over when ``expired``) just before the one named took
    the lock first; the message and results say so, since no other run reports that removal.
    """

    def __init__(self, doing: str, ship: str, holder: dict, hint: str, *, replaced: dict | None = None, expired: bool = False):
        super().__init__(doing, holder["name"], ship, "held")
        before = ""
        if replaced:
            verb = "took over the stale lock of" if expired else "broke the lock of"
            before = f"; this run {verb} {previous_holder(replaced, expired)}, but {holder.get('who') or 'another run'} took the lock first"
        self.args = (f"{describe(holder, ship)}{before}; {hint}",)
        self.results = {
            "changed": bool(replaced),
            "lock": None,
            "broken": public(replaced) if replaced and not expired else None,
            "taken_over": public(replaced) if replaced and expired else None,
            "previous_holder": previous_holder(replaced, expired) if replaced else None,
            "holder": public(holder),
        }

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


def labels(lock: dict) -> dict:
    """The lock container's labels for a lock (who, what, since, token; pid, playbook and ttl when known)."""
    found = {_spec.LABEL_MANAGED: "true", LABEL_ROLE: ROLE, LABEL_WHO: lock["who"], LABEL_WHAT: lock["what"], LABEL_SINCE: lock["since"]}
    found[LABEL_TOKEN] = lock["token"]
    if lock.get("pid") is not None:
        found[LABEL_PID] = str(lock["pid"])
    if lock.get("playbook"):
        found[LABEL_PLAYBOOK] = lock["playbook"]
    if lock.get("ttl") is not None:
        found[LABEL_TTL] = str(lock["ttl"])
    return found


def _int_label(value: str | None) -> int | None:
    """A number label; None when missing or not a number (a lock of an older version, or set by hand)."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def from_labels(name: str, ship: str, found: dict) -> dict:
    """The lock a container's labels describe."""
    return {
        "name": name,
        "who": found.get(LABEL_WHO, ""),
        "what": found.get(LABEL_WHAT, ""),
        "since": found.get(LABEL_SINCE, ""),
        "pid": _int_label(found.get(LABEL_PID)),
        "playbook": found.get(LABEL_PLAYBOOK, ""),
        "ttl": _int_label(found.get(LABEL_TTL)),
        "token": found.get(LABEL_TOKEN, ""),
        "ship": ship,
    }


def public(lock: dict) -> dict:
    """A holder as shown to someone else: without the token that would let them release it."""
    return {k: v for k, v in lock.items() if k != "token"}


def holder_text(holder: dict, *more: str) -> str:
    """Who holds a lock, with the ansible-playbook process and playbook and any ``more`` details in brackets:
    ``alice@ops1 (pid 1234, playbook /srv/deploy.yml)``. Never the token."""
    details = [f"pid {holder['pid']}" if holder.get("pid") is not None else "", f"playbook {holder['playbook']}" if holder.get("playbook") else "", *more]
    details = [d for d in details if d]
    who = holder.get("who") or "an unknown holder"
    return f"{who} ({', '.join(details)})" if details else who


def describe(holder: dict, ship: str) -> str:
    what = f" for: {holder['what']}" if holder.get("what") else ""
    lease = [f"lease {holder['ttl']} s"] if holder.get("ttl") is not None else []
    return f"Deploy lock {holder['name']} on ship {ship} is held by {holder_text(holder, *lease)} since {holder.get('since') or 'an unknown time'}{what}"


def previous_holder(holder: dict, expired: bool) -> str:
    """The holder of a lock that was broken (or whose lease had ``expired``), for the warning and the audit trail."""
    more = [f"held since {holder.get('since') or 'an unknown time'}"]
    if expired:
        more.append(f"lease {holder['ttl']} s expired")
    what = f" for: {holder['what']}" if holder.get("what") else ""
    return f"{holder_text(holder, *more)}{what}"


# Docker's times are RFC 3339 with up to nanoseconds (Created: 2026-11-24T10:00:00.123456789Z; the daemon's
# SystemTime in its local zone: 2026-11-24T11:00:00.123456789+01:00); datetime reads microseconds at most.
DOCKER_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def parse_docker_time(text: str) -> datetime:
    """An aware datetime from one of Docker's timestamps; ValueError when it is not one."""
    found = DOCKER_TIME.match(text or "")
    if not found:
        raise ValueError(f"not a Docker timestamp: {text!r}")
    whole, fraction, zone = found.groups()
    micro = (fraction or "")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{whole}.{micro}{'+00:00' if zone == 'Z' else zone}")


def lease_expired(ttl: int | None, created: datetime, now: datetime) -> bool:
    """Whether a lock created at ``created`` with a lease of ``ttl`` seconds (None: no lease) has expired at ``now``.

    Both times are the ship's (the container's creation and the daemon's clock), so that a controller whose
    clock is off can neither take over a live lock nor keep a stale one.
    """
    if ttl is None:
        return False
    return (now - created).total_seconds() >= ttl


HINT_ACQUIRE = "wait for it to finish, or break it with force (maestro_deploy_break_lock=true)"
HINT_LEASE = "wait for it to finish or for its lease to expire, or break it with force (maestro_deploy_break_lock=true)"


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

    def _expired(self, container: dict, holder: dict) -> bool:
        """Whether the holder's lease (its own ttl) has run out, on the ship's clock; never when unsure."""
        if holder["ttl"] is None:
            return False
        try:
            return lease_expired(holder["ttl"], parse_docker_time(container.get("Created") or ""), parse_docker_time(self.client.system_time()))
        except ValueError:
            return False

    def _result(self, changed: bool, lock: dict | None, before: dict | None, replaced: dict | None = None, expired: bool = False) -> dict:
        """``replaced``: the holder this task broke (force) or whose expired lease it took over (``expired``)."""
        result = {
            "changed": changed,
            "lock": lock,
            "broken": public(replaced) if replaced and not expired else None,
            "taken_over": public(replaced) if replaced and expired else None,
            "previous_holder": previous_holder(replaced, expired) if replaced else None,
            "diff": {"before": public(before) if before else {}, "after": public(lock) if lock else {}},
        }
        if replaced:
            if expired:
                verb = "would take over the stale lock of" if self.check_mode else "took over the stale lock of"
            else:
                verb = "would break the lock of" if self.check_mode else "broke the lock of"
            result["warnings"] = [f"Deploy lock {self.name} on ship {self.client.ship}: {verb} {result['previous_holder']}"]
        return result

    # ---- acquire -----------------------------------------------------------------------------
    def acquire(self) -> dict:
        p = self.p
        if p.get("ttl") is not None and p["ttl"] < 1:
            raise DockerFailure("acquiring deploy lock", self.name, self.client.ship, f"ttl must be at least 1 second (or none: no lease), not {p['ttl']}")
        token = p.get("token") or new_token()
        wanted = {
            "name": self.name,
            "who": p.get("who") or default_who(),
            "what": p.get("what") or "",
            "since": "",
            "pid": p.get("pid"),
            "playbook": p.get("playbook") or "",
            "ttl": p.get("ttl"),
            "token": token,
            "ship": self.client.ship,
        }
        deadline = time.monotonic() + max(int(p.get("wait") or 0), 0)
        replaced_id, replaced, expired, backed_off = None, None, False, 0
        while True:
            container, holder = self._read()
            if holder is not None:
                if p.get("token") and holder["token"] == p["token"]:
                    return self._result(False, holder, holder)
                # Break it (force) or take over its expired lease: only the holder found first, by id, never one that
                # took the lock after we looked (we lost the race to it: it is the holder to wait for or name).
                if replaced_id in (None, container["Id"]) and (p.get("force") or self._expired(container, holder)):
                    replaced_id = container["Id"]
                    if self.check_mode:
                        return self._result(True, {**wanted, "since": now_utc()}, holder, holder, not p.get("force"))
                    # Of several runs removing it at once, the one whose call removed it reports it (once), and creates
                    # its lock at once; the others give it that moment before they look again, so that the run that
                    # took over the lock is mostly the one that holds it (no Docker call replaces a container atomically).
                    if not self.client.remove(container["Id"], missing_ok=True):
                        backed_off += 1
                        if backed_off * BACK_OFF > REMOVAL_WAIT:
                            cause = f"container {container['Id'][:12]} of {holder_text(holder)} is still being removed by another client after {REMOVAL_WAIT} s"
                            raise DockerFailure("acquiring deploy lock", self.name, self.client.ship, cause)
                        time.sleep(BACK_OFF)
                        continue
                    replaced, expired = holder, not p.get("force")
                elif time.monotonic() < deadline:
                    time.sleep(POLL)
                    continue
                else:
                    hint = HINT_ACQUIRE if holder["ttl"] is None else HINT_LEASE
                    raise LockHeld("acquiring deploy lock", self.client.ship, holder, hint, replaced=replaced, expired=expired)
            elif self.check_mode:
                return self._result(True, {**wanted, "since": now_utc()}, None)
            wanted["since"] = now_utc()
            if self._create(wanted):
                return self._result(True, wanted, replaced, replaced, expired)
            # someone else created it between our look and our create: look again

    def _create(self, lock: dict) -> bool:
        if self.client.inspect_image(IMAGE) is None:
            self.client.import_image(empty_rootfs(), IMAGE_REPOSITORY, IMAGE_TAG)
        config = {
            "Image": IMAGE,
            "Cmd": COMMAND,
            "Labels": labels(lock),
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
