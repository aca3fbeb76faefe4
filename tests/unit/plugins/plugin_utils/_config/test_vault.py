# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``!vault`` values in a ships file: decrypted with the run's vault secrets, kept secret, refused where they would show."""

from __future__ import annotations

import textwrap

import pytest
from ansible.module_utils.common.text.converters import to_text
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.maestro.docker.plugins.plugin_utils import _config

VAULT = VaultLib([("default", VaultSecret(b"test-vault-password"))])
OTHER = VaultLib([("default", VaultSecret(b"another-password"))])


def vaulted(plaintext: str, indent: int) -> str:
    """``!vault |`` and the ciphertext, indented for a YAML block scalar."""
    ciphertext = to_text(VAULT.encrypt(plaintext))
    return "!vault |\n" + textwrap.indent(ciphertext, " " * indent)


def decrypt(vaulttext: str) -> str:
    return to_text(VAULT.decrypt(vaulttext))


def ships_file(env_value: str, password: str, extra: str = "") -> str:
    return (
        "__maestro: {schema: 2}\nname: vt\n"
        "registries:\n  private:\n    registry: http://reg.example:5000\n    username: deploy\n"
        f"    password: {password}\n"
        "ships:\n  s1: {ip: 10.0.0.1}\n"
        "services:\n  web:\n    image: reg.example:5000/web:v1\n"
        f"    env:\n      DB_LOGIN: {env_value}\n      PLAIN: hello\n{extra}"
        "    instances:\n      web-1: {ship: s1}\n"
    )


def test_vault_values_are_decrypted_and_secret(tmp_path):
    config = _config.load_text(ships_file(vaulted("db-secret", 8), vaulted("reg-secret", 6)), "t.yaml", str(tmp_path), environ={}, vault=decrypt)
    spec = config.instances["web-1"].spec
    assert spec["env"]["DB_LOGIN"] == "db-secret"
    assert spec["secret_env"] == ["DB_LOGIN"]  # not a secret by its name: by its encryption
    password = config.registries["private"]["password"]
    assert password == "reg-secret"
    assert isinstance(password, _config.Vaulted)
    assert password.vaulttext.startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert decrypt(password.vaulttext) == "reg-secret"


def test_without_vault_secrets_each_value_is_an_error_at_its_line(tmp_path):
    with pytest.raises(_config.ConfigError) as info:
        _config.load_text(ships_file(vaulted("db-secret", 8), vaulted("reg-secret", 6)), "t.yaml", str(tmp_path), environ={})
    lines = str(info.value).splitlines()
    assert lines == [
        "t.yaml:7: an encrypted value (!vault) but no vault secrets: give them with --vault-password-file or --vault-id (or ANSIBLE_VAULT_PASSWORD_FILE)",
        "t.yaml:21: an encrypted value (!vault) but no vault secrets: give them with --vault-password-file or --vault-id (or ANSIBLE_VAULT_PASSWORD_FILE)",
    ]


def test_a_wrong_vault_password_is_an_error_at_the_line(tmp_path):
    with pytest.raises(_config.ConfigError) as info:
        _config.load_text(ships_file("x", vaulted("reg-secret", 6)), "t.yaml", str(tmp_path), environ={}, vault=lambda text: to_text(OTHER.decrypt(text)))
    message = str(info.value)
    assert message.startswith("t.yaml:7: cannot decrypt the !vault value: ")
    assert "reg-secret" not in message


@pytest.mark.parametrize(
    ("old", "new", "where", "indent"),
    [
        ("username: deploy", "username: {value}", "registries.private.username", 8),  # a string
        ("    instances:", "    envfile: {value}\n    instances:", "services.web.envfile", 8),  # a list of one
        ("web-1: {{ship: s1}}", "web-1:\n        ship: s1\n        ports:\n          http: {value}", "services.web.instances.web-1.ports", 12),  # a parser
    ],
)
def test_vault_values_are_refused_where_they_would_be_shown(tmp_path, old, new, where, indent):
    text = ships_file("x", "plain").replace(old.replace("{{", "{").replace("}}", "}"), new.format(value=vaulted("/bin/secret", indent)))
    with pytest.raises(_config.ConfigError) as info:
        _config.load_text(text, "t.yaml", str(tmp_path), environ={}, vault=decrypt)
    assert f"{where}: an encrypted value (!vault) is accepted only for env values and registry passwords" in str(info.value)
    assert "/bin/secret" not in str(info.value)


def test_a_vault_item_of_an_env_list_is_refused(tmp_path):
    text = ships_file("\n        - a\n        - " + vaulted("b", 10), "plain")
    with pytest.raises(_config.ConfigError) as info:
        _config.load_text(text, "t.yaml", str(tmp_path), environ={}, vault=decrypt)
    assert "an encrypted value (!vault) must be the whole environment value" in str(info.value)
