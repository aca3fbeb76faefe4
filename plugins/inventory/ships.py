# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ships
short_description: The ships of a maestro-ng style ships file as inventory hosts
version_added: 0.1.0
author:
  - maestro.docker contributors (@maestro-docker)
requirements:
  - PyYAML and Jinja2 on the controller (ansible-core has both).
extends_documentation_fragment:
  - ansible.builtin.constructed
description:
  - "Reads a ships file (the maestro-ng YAML format that describes ships, services and their instances)
    and makes one inventory host per ship. The file is validated completely; any problem fails the
    inventory source with one line per issue, C(FILE:LINE: KEYPATH: MESSAGE)."
  - "The plugin reads either a small configuration file whose name ends in C(.ships.yml) or C(.ships.yaml)
    (or is C(ships.yml)/C(ships.yaml)), with O(plugin=maestro.docker.ships) and O(path), or a ships file
    directly when it is named C(maestro.yaml), C(maestro.yml), C(*.maestro.yaml) or C(*.maestro.yml)."
  - "B(Hosts) are the ships, with C(ansible_connection=local) and
    C(ansible_python_interpreter={{ ansible_playbook_python }}): the Docker modules run on the controller
    and reach each ship's Docker daemon through the API."
  - "B(Host variables): C(maestro_ship) (name), C(maestro_ship_ip), C(maestro_docker) (how to reach the
    daemon, in community.docker option names: C(docker_host), C(tls), C(validate_certs), C(ca_path),
    C(client_cert), C(client_key), C(api_version), C(timeout), C(use_ssh_client), C(ssh_key)),
    C(maestro_services) (the services of the ship's instances, each with C(instances) (the names of its instances
    on this ship), C(requires) (as declared: direct), C(implied_requires) (the services of its C(volumes_from)
    sources), C(wants_info) and C(omit); a service without instances is on every ship) and
    C(maestro_instances) (the specs of the instances placed on the ship, in start order; the spec keys are
    documented in the collection's ships file guide)."
  - "Everything is published on the ship it belongs to, never on the C(all) group, so that what the inventory holds
    (and C(ansible-inventory --list) prints, which repeats the group variables on every host) grows with the
    ships file, not with ships x services. The plays put the estate back together from every ship's
    C(maestro_services) (the C(maestro.docker.plan) and C(maestro.docker.deptree) filters take C(hostvars)) and
    do not read the ships file again. Each spec is compact: it leaves out what the ships file left out (the
    defaults) and the link variables of its service and of the services it requires, and says so with
    C(add_links: true): the collection's modules put both back when the spec is used, the link variables
    computed once per service."
  - "B(Group variables) (of the C(all) group): C(maestro_environment) (the top-level C(name)),
    C(maestro_registries) (as in the file; a password given encrypted with C(!vault) is published encrypted, so that
    C(ansible-inventory --list) (and what AWX stores of an inventory sync) holds only the ciphertext, and Ansible
    decrypts it with the run's vault secrets where a play passes it on; a clear-text password is published as it is),
    C(maestro_audit), and C(maestro_config_file) (absolute path of the ships file, for information: nothing reads it
    again)."
  - "Values that come from the ships file are never templated again (they are not trusted as templates, the
    default for an inventory plugin since ansible-core 2.19): the file was already rendered by Jinja2 once,
    with C(env) bound to the environment."
  - "B(Secrets from ansible-vault): a value written C(!vault |) followed by the output of
    C(ansible-vault encrypt_string) is decrypted with the vault secrets of the run (C(--vault-password-file),
    C(--vault-id), C(ANSIBLE_VAULT_PASSWORD_FILE)). It is accepted for C(env) values (the key then counts as one of
    C(secret_env): masked in every result, diff and message) and registry passwords, and refused anywhere else.
    Without vault secrets, or when a value cannot be decrypted, the ships file is invalid and the error names the
    file and line."
  - "B(Layering): a ships file may start from other files with C(__maestro: {extends: base.yaml}) (a path
    relative to the file, or a list of paths applied in order; bases may extend other files; cycles are
    errors). Each file is rendered by Jinja2 on its own, then mappings are merged key by key while scalars
    and lists replace. As in docker compose, C(key: !reset) removes a key set by a base (back to its
    default) and C(key: !override {...}) replaces a mapping instead of merging it. Every layer must use
    the same C(__maestro.schema)."
options:
  plugin:
    description:
      - The name of this plugin. Needed in a C(*.ships.yml) configuration file, not in a ships file read directly.
    type: str
    required: true
    choices: [maestro.docker.ships]
  path:
    description:
      - The ships file to read, relative to the directory of the configuration file. V(-) reads it from stdin.
    type: str
    required: true
  environ:
    description:
      - Environment variables to set or override for the Jinja2 rendering of the ships file, on top of the
        controller's environment (the C(env) variable of the templates).
    type: dict
    default: {}
notes:
  - One inventory source describes one environment; the C(all) group variables would clash otherwise.
  - The plugin does not contact any Docker daemon.
  - "When the ships file is invalid, Ansible tries every other enabled inventory plugin that accepts the file
    (a plugin cannot stop it) and prints each one's failure after the ships file's errors: C(ansible.builtin.ini)
    accepts any file, C(ansible.builtin.auto) any C(*.yml)/C(*.yaml), and C(ansible.builtin.yaml) may even read a C(maestro.yaml)
    as an (empty) YAML inventory and only warn, so that the run goes on without the ships. For an invalid
    ships file to fail the run with its own errors only, enable this plugin and plugins that leave files alone
    (C([inventory] enable_plugins = maestro.docker.ships, ansible.builtin.host_list)) and set
    C(any_unparsed_is_failed = true), as the collection's C(ansible.cfg) does. This plugin reads C(*.ships.yml)
    configuration files itself, without C(ansible.builtin.auto)."
  - "Bounds (see the ships file guide): 4 MiB of text (after Jinja2 rendering, all layers together), YAML
    aliases standing for 1,000,000 nodes, 20,000 ships and 20,000 instances. A larger file is refused at once."
"""

EXAMPLES = r"""
# demo.ships.yml: read ./maestro/demo.yaml, with STAGE=demo for its templates
plugin: maestro.docker.ships
path: maestro/demo.yaml
environ:
  STAGE: demo
# Group the ships by the first part of their name (e.g. eu-1 -> region_eu)
keyed_groups:
  - prefix: region
    key: maestro_ship.split('-')[0]
compose:
  ansible_host: maestro_ship_ip

# Or point Ansible at a ships file named maestro.yaml (or *.maestro.yaml) directly:
#   ansible-inventory -i maestro.yaml --graph

# A production layer on top of a shared base (prod.maestro.yaml):
#   __maestro:
#     extends: base.yaml
#   name: prod
#   services:
#     web:
#       env: !override {LOG_LEVEL: warn}
#       omit: !reset
"""

import os
import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_text
from ansible.parsing.vault import EncryptedString
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible.template import trust_as_template
from ansible.utils.display import Display

from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._published import publish

display = Display()

NATIVE_NAMES = ("maestro.yaml", "maestro.yml")
NATIVE_SUFFIXES = (".maestro.yaml", ".maestro.yml")
CONFIG_NAMES = ("ships.yml", "ships.yaml")
CONFIG_SUFFIXES = (".ships.yml", ".ships.yaml")

SHIPS_GROUP = "maestro_ships"
OMITTED_GROUP = "maestro_omitted"
SERVICE_GROUP_PREFIX = "maestro_service_"


def service_group(service: str) -> str:
    """The inventory group of a service's ships (every non-word character becomes ``_``)."""
    return SERVICE_GROUP_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", service)


def published_registries(registries: dict) -> dict:
    """The registries as published: a password given with ``!vault`` stays encrypted (Ansible decrypts it where a play uses it)."""
    return {name: unvaulted(cfg) for name, cfg in registries.items()}


def unvaulted(value):
    """``value`` as Ansible stores it: a value the ships file gives with ``!vault`` (the loader's :class:`Vaulted`) published
    encrypted, as Ansible's own ``EncryptedString`` (decrypted where a play uses it, never shown by ``ansible-inventory``);
    ``value`` itself when it has none (not ``_data.plain``, which copies every value: the published specs of a large estate)."""
    if isinstance(value, _config.Vaulted):
        return EncryptedString(ciphertext=str(value.vaulttext)) if value.vaulttext else str.__str__(value)
    if isinstance(value, dict):
        items = {k: unvaulted(v) for k, v in value.items()}
        return items if any(items[k] is not v for k, v in value.items()) else value
    if isinstance(value, list):
        items = [unvaulted(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def is_native_file(path: str) -> bool:
    name = os.path.basename(path)
    return name in NATIVE_NAMES or name.endswith(NATIVE_SUFFIXES)


def is_config_file(path: str) -> bool:
    name = os.path.basename(path)
    return name in CONFIG_NAMES or name.endswith(CONFIG_SUFFIXES)


class InventoryModule(BaseInventoryPlugin, Constructable):
    """Ships as hosts, services as groups, instance specs as host variables."""

    NAME = "maestro.docker.ships"

    def verify_file(self, path):
        return super().verify_file(path) and (is_native_file(path) or is_config_file(path))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        if is_native_file(path):
            self.set_options(direct={"plugin": self.NAME, "path": path}, var_options=self._vars)
            ships_file = path
        else:
            self._read_config_data(path)
            ships_file = self.get_option("path")
            if ships_file != _config.STDIN:
                ships_file = os.path.join(os.path.dirname(path), os.path.expanduser(ships_file))
        environ = dict(os.environ)
        environ.update({str(k): "" if v is None else str(v) for k, v in (self.get_option("environ") or {}).items()})
        config = self._load_config(ships_file, environ)
        for warning in config.warnings:  # what the loader did that the file may not expect: said once, at load
            display.warning("ships file %s" % warning)
        self._populate(config, os.path.abspath(ships_file) if ships_file != _config.STDIN else ships_file)

    def _vault(self):
        """Decrypt ``!vault`` values with the run's vault secrets (DataLoader's), or None when the run has none."""
        vault = getattr(self.loader, "_vault", None)
        if vault is None or not vault.secrets:
            return None
        return lambda vaulttext: to_text(vault.decrypt(vaulttext), errors="surrogate_or_strict")

    def _load_config(self, path, environ):
        """Load the ships file (the seam unit tests replace)."""
        try:
            return _config.load(path, environ=environ, vault=self._vault())
        except _config.ConfigError as exc:
            raise AnsibleParserError("invalid ships file:\n%s" % exc) from exc
        except _config.MissingLibraryError as exc:
            raise AnsibleParserError(str(exc)) from exc

    def _populate(self, config, config_file):
        inventory = self.inventory
        strict = self.get_option("strict")
        inventory.add_group(SHIPS_GROUP)

        group_vars = {
            "maestro_environment": config.name,
            "maestro_registries": published_registries(config.registries),
            "maestro_audit": config.audit,
            "maestro_config_file": config_file,
        }
        for key, value in group_vars.items():
            inventory.set_variable("all", key, value)

        published = publish(config)
        for name, ship in sorted(config.ships.items()):
            inventory.add_host(name, group=SHIPS_GROUP)
            host_vars = {
                "ansible_connection": "local",
                "maestro_ship": name,
                "maestro_ship_ip": ship.ip,
                "maestro_docker": ship.connection(),
                **unvaulted(published[name]),
            }
            for key, value in host_vars.items():
                inventory.set_variable(name, key, value)
            inventory.set_variable(name, "ansible_python_interpreter", trust_as_template("{{ ansible_playbook_python }}"))
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)

        for name, service in sorted(config.services.items()):
            group = inventory.add_group(service_group(name))
            for ship in sorted({config.instances[i].ship for i in service.instances if i in config.instances}):
                inventory.add_host(ship, group=group)
            if service.omit:
                inventory.add_group(OMITTED_GROUP)
                inventory.add_child(OMITTED_GROUP, group)
