# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import io
import re
import tarfile

from ansible_collections.maestro.docker.plugins.module_utils._docker import lock as _lock


def test_labels_round_trip():
    labels = _lock.labels("alice@ctl", "deploy web", "2026-11-24T10:00:00Z", "t0k")
    assert labels["maestro.managed"] == "true" and labels["maestro.role"] == "lock"
    assert _lock.from_labels("maestro-lock-demo", "ship1", labels) == {
        "name": "maestro-lock-demo",
        "who": "alice@ctl",
        "what": "deploy web",
        "since": "2026-11-24T10:00:00Z",
        "token": "t0k",
        "ship": "ship1",
    }


def test_the_refusal_names_holder_time_and_purpose():
    holder = {"name": "maestro-lock-demo", "who": "alice@ctl", "what": "deploy web 10.231.0.1:5000/demo/web:v2", "since": "2026-11-24T10:00:00Z"}
    err = _lock.LockHeld("acquiring deploy lock", "ship1", {**holder, "token": "secret-ish", "ship": "ship1"}, _lock.HINT_ACQUIRE)
    assert str(err) == (
        "Deploy lock maestro-lock-demo on ship ship1 is held by alice@ctl since 2026-11-24T10:00:00Z for: deploy web 10.231.0.1:5000/demo/web:v2; "
        "wait for it to finish, or break it with force (maestro_deploy_break_lock=true)"
    )
    assert err.results["holder"] == {**holder, "ship": "ship1"}
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
