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
        (container(managed=False), None, "it has no maestro.managed=true label and maestro-ng did not create it for this instance; it is left untouched"),
        (
            container(managed=False, running=True),
            container(),
            "it has no maestro.managed=true label and maestro-ng did not create it for this instance; it is left untouched",
        ),
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
    assert (
        _instances.rename_refusal(bare, "x", None)
        == "it has no maestro.managed=true label and maestro-ng did not create it for this instance; it is left untouched"
    )


def test_an_older_release_is_archived_under_its_release_id():
    assert _instances.archive_name("web-1", {"Id": "abcdef0123456789", "Config": {"Labels": {"maestro.release": "20261203T081500Z-3f2a"}}}) == (
        "web-1.20261203T081500Z-3f2a"
    )
    assert _instances.archive_name("web-1", {"Id": "abcdef0123456789", "Config": {"Labels": {}}}) == "web-1.cabcdef012345"


def test_releases_beyond_the_number_kept_are_removed_oldest_first():
    def summary(name, release=None, state="exited", created=0):
        return {"Names": [f"/{name}"], "Labels": {"maestro.release": release} if release else {}, "State": state, "Created": created}

    listed = [
        summary("web-1"),  # the slot
        summary("web-1.parked", "r9"),  # parked: not an archive
        summary("web-1.r1", "r1"),
        summary("web-1.r3", "r3"),
        summary("web-1.r2", "r2"),
        summary("web-1.cabc", created=5),  # started outside a deploy: sorts before any release
        summary("web-1.r4", "r4", state="running"),  # never removed
    ]
    assert _instances.releases_to_remove("web-1", listed, 3, ".parked") == ["web-1.cabc", "web-1.r1"]
    assert _instances.releases_to_remove("web-1", listed, 1, ".parked") == ["web-1.cabc", "web-1.r1", "web-1.r2", "web-1.r3"]
    assert _instances.releases_to_remove("web-1", listed, 9, ".parked") == []


def maestro_ng_container(env_name="prod", instance="web-1", *, running=False):
    """A container as maestro-ng 0.8.3 creates it: no label of ours, its environment and instance in its env."""
    env = [f"MAESTRO_ENVIRONMENT_NAME={env_name}", "SERVICE_NAME=web", f"CONTAINER_NAME={instance}", "CONTAINER_HOST_ADDRESS=10.0.0.1", "PATH=/bin"]
    return {"Id": "0123456789abcdef", "Config": {"Labels": {}, "Env": env}, "State": {"Running": running}}


SPEC = {"name": "web-1", "environment": "prod", "service": "web"}


@pytest.mark.parametrize(
    ("found", "spec", "adopted"),
    [
        (maestro_ng_container(), SPEC, True),
        (maestro_ng_container(), None, False),  # no instance to compare with: never adopted
        (maestro_ng_container("staging"), SPEC, False),  # another environment's
        (maestro_ng_container(instance="web-2"), SPEC, False),  # another instance's
        (maestro_ng_container(), {**SPEC, "environment": ""}, False),
        ({"Id": "0", "Config": {"Labels": None, "Env": None}, "State": {}}, SPEC, False),
        ({"Id": "0", "Config": {"Env": ["MAESTRO_ENVIRONMENT_NAME=prod"]}, "State": {}}, SPEC, False),
        ({"Id": "0", "Config": {"Env": ["MAESTRO_ENVIRONMENT_NAME=prod=x", "CONTAINER_NAME=web-1"]}, "State": {}}, SPEC, False),
    ],
    ids=["maestro-ng", "no-spec", "other-environment", "other-instance", "spec-without-environment", "no-env", "environment-only", "value-with-equals"],
)
def test_a_container_that_maestro_ng_created_for_this_instance_is_adopted(found, spec, adopted):
    assert _instances.made_by_maestro_ng(found, spec) is adopted
    refusal = _instances.rename_refusal(found, "web-1.parked", None, spec)
    assert refusal == (None if adopted else _instances.NOT_OURS)
