# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""When a container may be renamed (pure decision on inspect data; the renaming itself is tested on the fleet)."""

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker import instances as _instances


def container(*, managed=True, running=False, cid="0123456789abcdef"):
    labels = {"maestro.managed": "true"} if managed else {"com.example": "x"}
    return {"Id": cid, "Config": {"Labels": labels}, "State": {"Running": running}}


@pytest.mark.parametrize(
    ("source", "target", "refusal"),
    [
        (None, None, None),
        (None, container(), None),
        (container(), None, None),
        (container(managed=False), None, "it has no maestro.managed=true label; it is left untouched"),
        (container(managed=False, running=True), container(), "it has no maestro.managed=true label; it is left untouched"),
        (container(running=True), None, "it is running; rename parks stopped containers only"),
        (container(running=True), container(), "it is running; rename parks stopped containers only"),
        (container(), container(cid="fedcba9876543210ff"), "the name web-1.parked is taken by container fedcba987654; remove that container first"),
        (
            container(),
            container(managed=False, cid="aaaabbbbccccdddd"),
            "the name web-1.parked is taken by container aaaabbbbcccc; remove that container first",
        ),
    ],
    ids=["absent", "absent-target-taken", "stopped", "unmanaged", "unmanaged-first", "running", "running-first", "taken", "taken-unmanaged"],
)
def test_rename_refusal(source, target, refusal):
    assert _instances.rename_refusal(source, "web-1.parked", target) == refusal


def test_rename_refusal_without_labels():
    bare = {"Id": "0123456789abcdef", "Config": {"Labels": None}, "State": {"Running": False}}
    assert _instances.rename_refusal(bare, "x", None) == "it has no maestro.managed=true label; it is left untouched"
