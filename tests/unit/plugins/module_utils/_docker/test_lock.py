# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import io
import re
import tarfile
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker import lock as _lock


def test_labels_round_trip():
    lock = {"who": "alice@ctl", "what": "deploy web", "since": "2026-11-24T10:00:00Z", "token": "t0k", "pid": 4242, "playbook": "/srv/deploy.yml", "ttl": 600}
    labels = _lock.labels(lock)
    assert labels["maestro.managed"] == "true" and labels["maestro.role"] == "lock"
    assert labels["maestro.lock.pid"] == "4242" and labels["maestro.lock.ttl"] == "600"
    assert _lock.from_labels("maestro-lock-demo", "ship1", labels) == {
        "name": "maestro-lock-demo",
        "who": "alice@ctl",
        "what": "deploy web",
        "since": "2026-11-24T10:00:00Z",
        "pid": 4242,
        "playbook": "/srv/deploy.yml",
        "ttl": 600,
        "token": "t0k",
        "ship": "ship1",
    }


def test_a_lock_without_pid_playbook_or_lease_has_none_of_their_labels_and_reads_back_as_unknown():
    labels = _lock.labels({"who": "alice@ctl", "what": "", "since": "2026-11-24T10:00:00Z", "token": "t0k", "pid": None, "playbook": "", "ttl": None})
    assert not {"maestro.lock.pid", "maestro.lock.playbook", "maestro.lock.ttl"} & set(labels)
    found = _lock.from_labels("l", "ship1", labels)
    assert (found["pid"], found["playbook"], found["ttl"]) == (None, "", None)
    # a label set by hand that is not a number is no lease at all (never expires), not a failure
    found = _lock.from_labels("l", "ship1", {**labels, "maestro.lock.ttl": "soon", "maestro.lock.pid": ""})
    assert (found["pid"], found["ttl"]) == (None, None)


def test_the_refusal_names_holder_time_and_purpose():
    holder = {"name": "maestro-lock-demo", "who": "alice@ctl", "what": "deploy web 10.231.0.1:5000/demo/web:v2", "since": "2026-11-24T10:00:00Z"}
    err = _lock.LockHeld("acquiring deploy lock", "ship1", {**holder, "token": "secret-ish", "ship": "ship1"}, _lock.HINT_ACQUIRE)
    assert str(err) == (
        "Deploy lock maestro-lock-demo on ship ship1 is held by alice@ctl since 2026-11-24T10:00:00Z for: deploy web 10.231.0.1:5000/demo/web:v2; "
        "wait for it to finish, or break it with force (maestro_deploy_break_lock=true)"
    )
    assert err.results["holder"] == {**holder, "ship": "ship1"}
    assert "secret-ish" not in str(err) and "token" not in err.results["holder"]


def test_the_refusal_names_the_pid_the_playbook_and_the_lease():
    holder = {"name": "maestro-lock-demo", "who": "alice@ctl", "what": "deploy web", "since": "2026-11-24T10:00:00Z"}
    holder.update(pid=4242, playbook="/srv/deploy.yml", ttl=None, token="t0k", ship="ship1")
    assert str(_lock.LockHeld("acquiring deploy lock", "ship1", holder, _lock.HINT_ACQUIRE)).startswith(
        "Deploy lock maestro-lock-demo on ship ship1 is held by alice@ctl (pid 4242, playbook /srv/deploy.yml) since 2026-11-24T10:00:00Z for: deploy web; "
    )
    assert _lock.describe({**holder, "ttl": 600, "playbook": ""}, "ship1") == (
        "Deploy lock maestro-lock-demo on ship ship1 is held by alice@ctl (pid 4242, lease 600 s) since 2026-11-24T10:00:00Z for: deploy web"
    )


def test_holder_text_names_what_is_known_and_never_the_token():
    assert _lock.holder_text({"who": "alice@ctl", "pid": 7, "playbook": "deploy.yml", "token": "t0k"}) == "alice@ctl (pid 7, playbook deploy.yml)"
    assert _lock.holder_text({"who": "alice@ctl", "pid": None, "playbook": ""}) == "alice@ctl"
    assert _lock.holder_text({"who": "", "pid": 0}, "held since x") == "an unknown holder (pid 0, held since x)"


def test_previous_holder_says_since_when_and_which_lease_expired():
    holder = {"who": "alice@ctl", "pid": 7, "playbook": "deploy.yml", "since": "2026-11-24T10:00:00Z", "ttl": 2, "what": "deploy web", "token": "t0k"}
    assert _lock.previous_holder(holder, expired=True) == (
        "alice@ctl (pid 7, playbook deploy.yml, held since 2026-11-24T10:00:00Z, lease 2 s expired) for: deploy web"
    )
    assert _lock.previous_holder({**holder, "what": ""}, expired=False) == "alice@ctl (pid 7, playbook deploy.yml, held since 2026-11-24T10:00:00Z)"


def test_docker_times_are_read_to_the_microsecond_in_any_zone():
    created = _lock.parse_docker_time("2026-11-24T10:00:00.123456789Z")
    assert created == datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)
    assert _lock.parse_docker_time("2026-11-24T11:00:00.123456+01:00") == created
    assert _lock.parse_docker_time("2026-11-24T10:00:00Z") == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    for bad in ("", "2026-11-24 10:00:00", "2026-11-24T10:00:00"):
        with pytest.raises(ValueError):
            _lock.parse_docker_time(bad)


def test_a_lease_expires_once_the_lock_is_as_old_as_its_ttl_and_never_without_one():
    created = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    assert not _lock.lease_expired(600, created, created + timedelta(seconds=599.9))
    assert _lock.lease_expired(600, created, created + timedelta(seconds=600))
    assert not _lock.lease_expired(None, created, created + timedelta(days=365))
    # a daemon clock behind the creation time (it was set back) is no expiry
    assert not _lock.lease_expired(1, created, created - timedelta(hours=1))
    assert (
        _lock.describe({"name": "l", "who": "", "what": "", "since": ""}, "ship2")
        == "Deploy lock l on ship ship2 is held by an unknown holder since an unknown time"
    )


def test_empty_rootfs_is_an_empty_tarball():
    with tarfile.open(fileobj=io.BytesIO(_lock.empty_rootfs())) as tar:
        assert tar.getmembers() == []


def test_time_token_and_default_holder_formats():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _lock.now_utc())
    assert re.fullmatch(r"[0-9a-f]{32}", _lock.new_token()) and _lock.new_token() != _lock.new_token()
    assert re.fullmatch(r"[^@]+@[^@]+", _lock.default_who())


def test_a_run_that_removed_a_stale_lock_and_lost_the_race_says_whose_lock_it_removed():
    """No other run reports that removal: the one that made it says so even when another run took the lock first."""
    stale = {"name": "l", "who": "alice@ctl", "pid": 7, "playbook": "", "since": "2026-11-24T10:00:00Z", "ttl": 2, "what": "", "token": "a"}
    winner = {"name": "l", "who": "bob@ctl", "pid": 8, "playbook": "", "since": "2026-11-24T10:00:05Z", "ttl": None, "what": "", "token": "b"}
    err = _lock.LockHeld("acquiring deploy lock", "ship1", winner, _lock.HINT_ACQUIRE, replaced=stale, expired=True)
    assert str(err) == (
        "Deploy lock l on ship ship1 is held by bob@ctl (pid 8) since 2026-11-24T10:00:05Z; this run took over the stale lock of "
        "alice@ctl (pid 7, held since 2026-11-24T10:00:00Z, lease 2 s expired), but bob@ctl took the lock first; " + _lock.HINT_ACQUIRE
    )
    assert err.results["taken_over"]["who"] == "alice@ctl" and err.results["broken"] is None and err.results["changed"]
    assert "token" not in err.results["taken_over"] and "token" not in err.results["holder"]
    plain = _lock.LockHeld("acquiring deploy lock", "ship1", winner, _lock.HINT_ACQUIRE)
    assert plain.results["taken_over"] is None and plain.results["previous_holder"] is None and not plain.results["changed"]
