# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory plugin through its seams: _load_config and _populate (no Docker, no CLI)."""

import textwrap
from unittest import mock

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.template import is_trusted_as_template, trust_as_template

from ansible_collections.maestro.docker.plugins.inventory.ships import InventoryModule, is_config_file, is_native_file, service_group
from ansible_collections.maestro.docker.plugins.plugin_utils import _config

SHIPS = textwrap.dedent(
    """\
    name: demo
    ships:
      host1: {ip: 10.0.0.11}
      host2: {ip: 10.0.0.12, socket_path: /run/docker.sock}
      spare: {ip: 10.0.0.13}
    registries:
      corp: {registry: https://r.corp, username: bot, password: pw}
    services:
      db:
        image: redis:7
        instances: {db-1: {ship: host2, ports: {redis: 6379}}}
      web-api:
        image: acme/web
        requires: [db]
        env: {GREETING: "{{ '{{' }} not templated {{ '}}' }}"}
        instances: {web-1: {ship: host1}, web-2: {ship: host2}}
      debug-tools:
        image: busybox
        omit: true
        instances: {tools-1: {ship: host1}}
    """
)


def _options(**overrides):
    options = {"strict": False, "compose": {}, "groups": {}, "keyed_groups": [], "leading_separator": True, "use_extra_vars": False, "environ": {}}
    options.update(overrides)
    return options.get


@pytest.fixture
def plugin(tmp_path):
    (tmp_path / "maestro.yaml").write_text(SHIPS)
    module = InventoryModule()
    module.inventory = InventoryData()
    module.get_option = mock.MagicMock(side_effect=_options())
    module.config = _config.load(str(tmp_path / "maestro.yaml"), environ={})
    return module


def _vars(plugin, host):
    return plugin.inventory.get_host(host).get_vars()


def test_hosts_and_groups(plugin, tmp_path):
    plugin._populate(plugin.config, str(tmp_path / "maestro.yaml"))
    groups = plugin.inventory.groups
    assert sorted(h.name for h in groups["maestro_ships"].hosts) == ["host1", "host2", "spare"]
    assert sorted(h.name for h in groups["maestro_service_web_api"].hosts) == ["host1", "host2"]
    assert [h.name for h in groups["maestro_service_db"].hosts] == ["host2"]
    assert [g.name for g in groups["maestro_omitted"].child_groups] == ["maestro_service_debug_tools"]


def test_host_vars(plugin, tmp_path):
    plugin._populate(plugin.config, str(tmp_path / "maestro.yaml"))
    host2 = _vars(plugin, "host2")
    assert host2["ansible_connection"] == "local"
    assert host2["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    assert is_trusted_as_template(host2["ansible_python_interpreter"])
    assert host2["maestro_ship"] == "host2"
    assert host2["maestro_ship_ip"] == "10.0.0.12"
    assert host2["maestro_docker"]["docker_host"] == "unix:///run/docker.sock"
    assert [i["name"] for i in host2["maestro_instances"]] == ["db-1", "web-2"]  # start order
    assert host2["maestro_services"]["web-api"] == {"instances": ["web-2"], "requires": ["db"]}
    assert sorted(host2["maestro_services"]) == ["db", "web-api"]  # this ship's services only
    assert _vars(plugin, "spare")["maestro_instances"] == []
    assert _vars(plugin, "spare")["maestro_services"] == {}


def test_specs_are_published_without_link_variables(plugin, tmp_path):
    """Each spec is published once, on its ship, without the link variables (added where it is used)."""
    plugin._populate(plugin.config, str(tmp_path / "maestro.yaml"))
    web2 = next(i for i in _vars(plugin, "host2")["maestro_instances"] if i["name"] == "web-2")
    assert web2["add_links"] is True
    assert "DB_DB_1_HOST" not in web2["env"] and "WEB_API_INSTANCES" not in web2["env"]
    assert plugin.config.full_spec("web-2")["env"]["DB_DB_1_HOST"] == "10.0.0.12"
    assert not {"requires", "wants_info", "omit"} & set(web2)


def test_values_from_the_file_are_never_templated(plugin, tmp_path):
    plugin._populate(plugin.config, str(tmp_path / "maestro.yaml"))
    web1 = next(i for i in _vars(plugin, "host1")["maestro_instances"] if i["name"] == "web-1")
    greeting = web1["env"]["GREETING"]
    assert greeting == "{{ not templated }}"
    assert not is_trusted_as_template(greeting)


def test_group_vars_on_all(plugin, tmp_path):
    plugin._populate(plugin.config, str(tmp_path / "maestro.yaml"))
    all_vars = plugin.inventory.groups["all"].get_vars()
    assert all_vars["maestro_environment"] == "demo"
    # nothing that grows with the services is on the all group (ansible-inventory --list repeats it on every host)
    assert not {"maestro_services", "maestro_instances", "maestro_service_levels"} & set(all_vars)
    assert all_vars["maestro_registries"]["corp"]["password"] == "pw"
    assert all_vars["maestro_audit"] == []
    assert all_vars["maestro_config_file"] == str(tmp_path / "maestro.yaml")


def test_constructed_options(plugin, tmp_path):
    # options read from a config file are trusted templates; these are too
    plugin.get_option = mock.MagicMock(
        side_effect=_options(
            strict=True,
            compose={"ansible_host": trust_as_template("maestro_ship_ip")},
            groups={"busy": trust_as_template("maestro_instances | length > 1")},
            keyed_groups=[{"prefix": "conn", "key": trust_as_template("maestro_docker.docker_host.split(':')[0]")}],
        )
    )
    plugin._populate(plugin.config, str(tmp_path / "maestro.yaml"))
    assert _vars(plugin, "host1")["ansible_host"] == "10.0.0.11"
    assert sorted(h.name for h in plugin.inventory.groups["busy"].hosts) == ["host1", "host2"]
    assert [h.name for h in plugin.inventory.groups["conn_unix"].hosts] == ["host2"]


def test_config_errors_become_parser_errors(tmp_path):
    (tmp_path / "maestro.yaml").write_text("name: x\nships: {a: {}}\n")
    with pytest.raises(AnsibleParserError) as info:
        InventoryModule()._load_config(str(tmp_path / "maestro.yaml"), {})
    assert "maestro.yaml:2: ships.a: missing required key 'ip'" in str(info.value)


@pytest.mark.parametrize(
    ("name", "native", "config"),
    [
        ("maestro.yaml", True, False),
        ("maestro.yml", True, False),
        ("prod.maestro.yaml", True, False),
        ("prod.maestro.yml", True, False),
        ("ships.yml", False, True),
        ("demo.ships.yaml", False, True),
        ("demo.ships.yml", False, True),
        ("hosts.yml", False, False),
        ("maestro.json", False, False),
    ],
)
def test_file_names(tmp_path, name, native, config):
    path = tmp_path / name
    path.write_text("x: 1\n")
    assert is_native_file(str(path)) is native
    assert is_config_file(str(path)) is config
    assert InventoryModule().verify_file(str(path)) is (native or config)


@pytest.mark.parametrize(("service", "group"), [("web", "maestro_service_web"), ("web-api", "maestro_service_web_api"), ("a.b", "maestro_service_a_b")])
def test_service_group_names(service, group):
    assert service_group(service) == group
