# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Layering: __maestro.extends, deep merge, !reset and !override."""

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._config.layers import merge, strip_markers
from ansible_collections.maestro.docker.plugins.plugin_utils._config.source import RESET, MDict

BASE = """\
name: base
ship_defaults: {timeout: 30}
ships:
  host1: {ip: 10.0.0.1}
  host2: {ip: 10.0.0.2}
services:
  web:
    image: acme/web:1
    omit: true
    env: {A: base, B: base}
    limits: {memory: 1g, cpu: 100}
    ports: {http: 80}
    instances:
      web-1: {ship: host1, dns: [1.1.1.1, 8.8.8.8], restart: always}
"""


def _web1(load, overlay, files=None, environ=None):
    config = load(overlay, files={"base.yaml": BASE, **(files or {})}, environ=environ)
    return config, config.instances.get("web-1")


@pytest.mark.parametrize(
    ("overlay", "key", "expected"),
    [
        # maps merge key by key
        ("services: {web: {env: {B: prod, C: prod}}}", ("env", "A"), "base"),
        ("services: {web: {env: {B: prod, C: prod}}}", ("env", "B"), "prod"),
        ("services: {web: {env: {B: prod, C: prod}}}", ("env", "C"), "prod"),
        # scalars replace
        ("services: {web: {image: acme/web:2}}", ("image",), "acme/web:2"),
        # lists replace, never concatenate
        ("services: {web: {instances: {web-1: {dns: [9.9.9.9]}}}}", ("dns",), ["9.9.9.9"]),
        # !override replaces a map instead of merging
        ("services: {web: {env: !override {C: only}}}", ("env", "A"), None),
        ("services: {web: {env: !override {C: only}}}", ("env", "C"), "only"),
        # !reset removes a key: back to its default
        ("services: {web: {instances: {web-1: {restart: !reset }}}}", ("restart",), {"name": "no", "retries": 0}),
        ("services: {web: {limits: {memory: !reset null}}}", ("limits",), {"memory": None, "swap": None, "cpu": 100}),
        ("services: {web: {omit: !reset }}", ("omit",), False),
        # a later layer may add an instance
        ("services: {web: {instances: {web-2: {ship: host2}}}}", ("env", "WEB_INSTANCES"), "web-1,web-2"),
    ],
)
def test_merge_rules(load, overlay, key, expected):
    config, web1 = _web1(load, "__maestro: {extends: base.yaml}\nname: prod\n" + overlay + "\n")
    value = web1.spec
    for k in key:
        value = value.get(k) if isinstance(value, dict) else None
    assert value == expected
    assert config.name == "prod"


def test_ship_defaults_merge_across_layers(load):
    config, _web = _web1(load, "__maestro: {extends: base.yaml}\nship_defaults: {tls: true}\n")
    assert config.ships["host1"].timeout == 30
    assert config.ships["host1"].connection()["docker_host"] == "tcp://10.0.0.1:2376"


def test_list_of_bases_applied_in_order_and_chains(load, tmp_path):
    files = {
        "region.yaml": "__maestro: {extends: base.yaml}\nservices: {web: {env: {A: region, R: region}}}\n",
        "size.yaml": "services: {web: {env: {A: size}}}\n",
    }
    config, web1 = _web1(load, "__maestro: {extends: [region.yaml, size.yaml]}\nname: prod\n", files=files)
    assert web1.spec["env"]["A"] == "size"
    assert web1.spec["env"]["R"] == "region"
    assert [f.rsplit("/", 1)[-1] for f in config.files] == ["base.yaml", "region.yaml", "size.yaml", "maestro.yaml"]


def test_each_layer_rendered_on_its_own(load):
    files = {"base.yaml": "{% set tag = '1' %}" + BASE.replace("acme/web:1", "acme/web:{{ tag }}-{{ env.SUFFIX }}")}
    config = load("__maestro: {extends: base.yaml}\n{% set tag = '2' %}name: n{{ tag }}\n", files=files, environ={"SUFFIX": "x"})
    assert config.instances["web-1"].spec["image"] == "acme/web:1-x"
    assert config.name == "n2"


def test_extends_relative_to_the_extending_file(load):
    files = {"envs/common/base.yaml": BASE, "envs/prod/layer.yaml": "__maestro: {extends: ../common/base.yaml}\nname: layer\n"}
    config = load("__maestro: {extends: envs/prod/layer.yaml}\n", files=files)
    assert config.name == "layer"


def test_extends_cycle_between_files(errors):
    files = {"a.yaml": "__maestro: {extends: b.yaml}\nname: a\n", "b.yaml": "__maestro: {extends: a.yaml}\nships: {}\n"}
    assert errors("__maestro: {extends: a.yaml}\n", files=files) == "b.yaml:1: __maestro.extends: extends cycle: a.yaml -> b.yaml -> a.yaml"


def test_diamond_is_not_a_cycle(load):
    files = {"base.yaml": BASE, "a.yaml": "__maestro: {extends: base.yaml}\n", "b.yaml": "__maestro: {extends: base.yaml}\n"}
    assert load("__maestro: {extends: [a.yaml, b.yaml]}\n", files=files).name == "base"


def test_layers_must_share_a_schema(errors):
    files = {"base.yaml": "__maestro: {schema: 2}\nname: x\nships: {}\n"}
    assert (
        errors("__maestro: {extends: base.yaml}\n", files=files)
        == "maestro.yaml:1: __maestro.schema: schema 1 differs from schema 2 of base.yaml; every layer must use the same schema"
    )


def test_extends_must_be_names(errors):
    assert (
        errors("__maestro: {extends: {a: 1}}\nname: x\nships: {}\n")
        == "maestro.yaml:1: __maestro.extends: must be a file name or a list of file names, not a mapping"
    )


def test_merge_does_not_change_its_inputs():
    base, overlay = MDict({"a": MDict({"x": 1})}), MDict({"a": MDict({"y": 2}), "b": RESET})
    result = strip_markers(merge(base, overlay))
    assert result == {"a": {"x": 1, "y": 2}}
    assert base == {"a": {"x": 1}}
    assert overlay["a"] == {"y": 2}


def test_reset_without_base_just_removes(load):
    text = "name: x\nships: {host1: {ip: 10.0.0.1, timeout: !reset 5}}\n"
    assert load(text).ships["host1"].timeout == 60


def test_api_public_names():
    assert _config.load and _config.load_text and _config.ConfigError
