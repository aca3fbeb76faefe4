# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What maestro-ng 0.8.3 did with a key that loads here too, and the warnings the loader gives once, at load."""

import pytest

from ...conftest import HEAD


def _warnings(config, tmp_path) -> list[str]:
    return [str(w).replace(str(tmp_path) + "/", "") for w in config.warnings]


def test_a_file_that_needs_no_warning_has_none(load):
    assert load(HEAD + "  web: {image: x, instances: {web-1: {ship: host1}}}\n").warnings == []


# --- api_version: an old pin is a minimum ---------------------------------------------------------------------------


def test_an_api_version_below_1_30_is_negotiated_and_said_once_per_place(load, tmp_path):
    config = load(
        "name: demo\n"
        "ship_defaults: {api_version: '1.18'}\n"
        "ships:\n"
        "  host1: {ip: 10.0.0.11}\n"
        "  host2: {ip: 10.0.0.12}\n"
        "  host3: {ip: 10.0.0.13, api_version: 1.24}\n"
        "  host4: {ip: 10.0.0.14, api_version: '1.41'}\n"
        "  host5: {ip: 10.0.0.15, api_version: auto}\n"
        "services:\n"
        "  web: {image: x, instances: {web-1: {ship: host1}}}\n"
    )
    assert {name: ship.api_version for name, ship in config.ships.items()} == {
        "host1": "auto",
        "host2": "auto",
        "host3": "auto",
        "host4": "1.41",  # a version the collection speaks stays pinned
        "host5": "auto",
    }
    assert config.ships["host1"].connection()["api_version"] == "auto"
    tail = "is below 1.30, the least this collection speaks: it is taken as a minimum and the version is negotiated with the daemon"
    assert _warnings(config, tmp_path) == [
        "maestro.yaml:2: ship_defaults.api_version: api_version 1.18 " + tail,  # once for every ship that inherits it
        "maestro.yaml:6: ships.host3.api_version: api_version 1.24 " + tail,
    ]


def test_an_api_version_of_1_30_stays_pinned_without_a_warning(load):
    config = load("name: demo\nships:\n  host1: {ip: 10.0.0.11, api_version: '1.30'}\nservices: {}\n")
    assert config.ships["host1"].api_version == "1.30"
    assert config.warnings == []
