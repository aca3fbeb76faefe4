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


# --- user: ignored, as maestro-ng ignored it ------------------------------------------------------------------------


def test_user_is_ignored_with_a_warning_naming_the_line_and_instance(load, tmp_path):
    config = load(HEAD + "  web:\n    image: x\n    instances:\n      web-1: {ship: host1, user: '1000'}\n      web-2: {ship: host1, username: nobody}\n")
    assert config.instances["web-1"].spec["user"] is None  # the image's user
    assert config.instances["web-2"].spec["user"] == "nobody"
    assert _warnings(config, tmp_path) == [
        "maestro.yaml:9: services.web.instances.web-1.user: user is ignored, as maestro-ng ignored it: the container runs as its image's user;"
        " username sets the user to run as"
    ]


def test_user_and_username_together_are_not_a_duplicate(load):
    config = load(HEAD + "  web: {image: x, instances: {web-1: {ship: host1, user: root, username: nobody}}}\n")
    assert config.instances["web-1"].spec["user"] == "nobody"


# --- env null: KEY alone, not KEY= ----------------------------------------------------------------------------------


def test_a_null_env_value_stays_null_and_overrides_the_services(load):
    config = load(HEAD + "  web:\n    image: x\n    env: {A: set, B: set}\n    instances:\n      web-1: {ship: host1, env: {A: null, C: ~}}\n")
    env = config.instances["web-1"].spec["env"]
    assert env["A"] is None
    assert env["B"] == "set"
    assert env["C"] is None
    assert config.warnings == []


# --- list-form labels: the item is the name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("[canary, no-relocate]", {"canary": "", "no-relocate": ""}),
        ("[team=core, canary]", {"team=core": "", "canary": ""}),
        ("{team: core, canary: null}", {"team": "core", "canary": ""}),
    ],
)
def test_labels_as_maestro_ng_made_them(load, labels, expected):
    config = load(HEAD + "  web: {image: x, instances: {web-1: {ship: host1, labels: %s}}}\n" % labels)
    assert config.instances["web-1"].spec["labels"] == expected


def test_a_list_label_with_an_equals_sign_is_pointed_out(load, tmp_path):
    config = load(
        HEAD + "  web:\n    image: x\n    instances:\n      web-1:\n        ship: host1\n        labels:\n          - canary\n          - team=core\n"
    )
    assert _warnings(config, tmp_path) == [
        "maestro.yaml:13: services.web.instances.web-1.labels[1]: the label is named 'team=core' with an empty value, as maestro-ng made it;"
        " for a label team with the value 'core', write labels as a mapping"
    ]


# --- a registry password in clear text: loads, with a warning to vault it -------------------------------------------


def test_a_registry_password_in_clear_text_is_said_once_with_the_fix(load, tmp_path):
    registries = "registries:\n  hub: {registry: https://r.example.com, username: ci, password: hunter2}\n  anon: {registry: https://q.example.com}\n"
    config = load(registries + HEAD + "  web: {image: x, instances: {web-1: {ship: host1}}}\n")
    assert config.registries["hub"]["password"] == "hunter2"
    warnings = _warnings(config, tmp_path)
    assert warnings == [
        "maestro.yaml:2: registries.hub.password: the password is in clear text: whoever reads this file or the inventory "
        "(ansible-inventory --list) sees it; encrypt it with ansible-vault encrypt_string and write it as !vault"
    ]
    assert "hunter2" not in " ".join(warnings)
