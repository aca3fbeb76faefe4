# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The loader's bounds (_config.limits): alias expansion, text size, ships and instances, each refused early."""

import io
import time

import pytest
import yaml

from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._config import limits, source

from ...conftest import HEAD


def bomb(levels=9, width=9):
    """A YAML "billion laughs": each list holds ``width`` aliases of the one before, ``width ** levels`` strings in all."""
    lines = ["a0: &a0 [%s]" % ", ".join(['"lol"'] * width)]
    lines += ["a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * width)) for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def no_construction(monkeypatch):
    """Fail the test if any YAML node is turned into data: the bounds must act on the node graph."""

    def refuse(self, node):
        raise AssertionError("constructed a document that the bounds should have refused")

    monkeypatch.setattr(source._loader_class(), "construct_document", refuse)


def test_billion_laughs_refused_before_anything_is_built(errors, no_construction):
    start = time.perf_counter()
    message = errors(bomb())
    assert message == (
        "maestro.yaml:7: too many YAML alias references: up to this one, the aliases stand for more than 1,000,000 nodes,"
        " the most a ships file may expand (a 'billion laughs'?)"
    )
    assert time.perf_counter() - start < 2  # milliseconds in fact: the walk visits each of the 90 distinct nodes once


def test_the_walk_costs_the_file_not_the_expansion():
    # 9 ** 30 strings: the count is exact, and only the 270 distinct nodes are walked
    node = yaml.compose(bomb(levels=30), Loader=source._loader_class().yaml_base)
    sizes = [10]
    for _level in range(29):
        sizes.append(1 + 9 * sizes[-1])
    assert source.check_aliases(node, limit=10**40) == 9 * sum(sizes[:-1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [x, y]\nb: [*a, *a]\n", 6),  # each alias of a 3-node list counts 3
        ("a: &a [x, y]\nc: &c [*a, *a]\nd: *c\n", 13),  # c stands for 7 (itself and two aliases of a)
        ("s: &s word\nt: [*s, *s, *s]\n", 3),  # an alias of a scalar counts 1
        ("base: &base {image: x, env: {A: 1}}\nweb:\n  <<: *base\n  image: y\n", 7),  # a merge is an alias
        ("a: [x, y]\nb: [x, y]\n", 0),  # equal values are not aliases
    ],
)
def test_alias_count(text, expected):
    assert source.check_aliases(yaml.compose(text, Loader=source._loader_class().yaml_base)) == expected


def test_recursive_alias(errors):
    assert errors("name: x\nships: {}\nloop: &a [1, [2, *a]]\n") == "maestro.yaml:3: recursive YAML alias *a: an alias inside the node it refers to"


def test_anchors_and_merges_far_below_the_bound(load):
    """An honest file's use of anchors: every instance merges a shared block, and its count stays small."""
    lines = [
        "name: demo",
        "_defaults: &defaults {restart: always, env: {LOG_LEVEL: info, REGION: eu}, limits: {memory: 1g}}",
        "ships:",
        "  host1: {ip: 10.0.0.11}",
        "services:",
        "  web:",
        "    image: acme/web",
        "    instances:",
    ]
    lines += ["      web-%d: {<<: *defaults, ship: host1}" % i for i in range(200)]
    config = load("\n".join(lines) + "\n")
    assert config.instances["web-199"].spec["restart"] == {"name": "always", "retries": 0}
    assert config.instances["web-199"].spec["env"]["REGION"] == "eu"


def test_aliases_of_all_layers_count_together(errors, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ALIAS_NODES", 10)
    text = "__maestro: {extends: base.yaml}\nname: demo\nships: {}\n_c: &c [1, 2]\n_d: [*c]\n"  # 3 of the 10, read first
    files = {"base.yaml": "_a: &a [1, 2, 3]\n_b: [*a, *a]\n"}  # 8 more
    assert errors(text, files=files) == (
        "base.yaml:2: too many YAML alias references: up to this one, the aliases stand for more than 10 nodes"
        " (with those of the layers read before it), the most a ships file may expand (a 'billion laughs'?)"
    )


# --- text ---------------------------------------------------------------------------------------------


def test_a_large_file_is_not_read(tmp_path):
    path = tmp_path / "maestro.yaml"
    with open(path, "wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse: 17 MiB of nothing
    with pytest.raises(_config.ConfigError) as info:
        _config.load(str(path), environ={})
    # its size is known before reading (reading would stop at 4 MiB + 1 and not know the size)
    assert str(info.value) == "%s: the file is 17 MiB, larger than 4 MiB, the most a ships file may be" % path


def test_a_pipe_is_read_no_further_than_the_bound(monkeypatch):
    stream = io.StringIO("name: x\n" + "#" * (4 * 1024 * 1024))
    monkeypatch.setattr("sys.stdin", stream)
    with pytest.raises(_config.ConfigError) as info:
        _config.load("-", environ={})
    assert str(info.value) == "<stdin>: the file is larger than 4 MiB, the most a ships file may be"
    assert stream.tell() == 4 * 1024 * 1024 + 1


def test_rendering_stops_at_the_bound(errors):
    start = time.perf_counter()
    text = "name: demo\n{% for i in range(10 ** 12) %}# {{ 'x' * 1000 }}\n{% endfor %}"
    assert errors(text) == "maestro.yaml: the text after Jinja2 rendering is larger than 4 MiB, the most a ships file (all its layers together) may be"
    assert time.perf_counter() - start < 10  # about 4,200 turns of the loop, not 10 ** 12


def test_layers_share_the_text_bound(errors, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TEXT", 1024)
    text = "__maestro: {extends: base.yaml}\nname: demo\nships: {}\n" + "# overlay\n" * 40  # 453 characters, read first
    files = {"base.yaml": "# base\n" * 100}  # 700 more
    assert errors(text, files=files) == (
        "base.yaml: the text, with the 453 bytes of the layers read before it, is larger than 1 KiB, the most a ships file (all its layers together) may be"
    )


def test_a_large_base_is_not_read(errors, tmp_path):
    with open(tmp_path / "base.yaml", "wb") as handle:
        handle.truncate(5 * 1024 * 1024)
    assert errors("__maestro: {extends: base.yaml}\nname: x\nships: {}\n") == (
        "maestro.yaml:1: __maestro.extends: cannot read base.yaml: the file is 5 MiB, larger than 4 MiB, the most a ships file may be"
    )


def test_a_large_env_file_is_not_read(errors, tmp_path):
    with open(tmp_path / "web.env", "wb") as handle:
        handle.truncate(5 * 1024 * 1024)
    text = HEAD + "  web:\n    image: acme/web\n    envfile: web.env\n    instances: {web-1: {ship: host1}}\n"
    assert (
        errors(text) == "maestro.yaml:8: services.web.envfile: cannot read env file web.env: the file is 5 MiB, larger than 4 MiB, the most an env file may be"
    )


def test_size_text():
    assert [limits.size_text(n) for n in (10, 2048, 1536 * 1024, 17 * 1024 * 1024)] == ["10 bytes", "2 KiB", "1.5 MiB", "17 MiB"]


# --- ships and instances ----------------------------------------------------------------------------------


def test_too_many_instances_refused_before_they_are_built(errors, monkeypatch):
    monkeypatch.setattr(limits, "MAX_INSTANCES", 2)
    # the instances' own problems (unknown ships) are not even looked at
    text = HEAD + "  web:\n    image: acme/web\n    instances: {web-1: {ship: nope}, web-2: {ship: nope}}\n  db:\n    image: redis\n    instances: {db-1: {}}\n"
    assert errors(text) == "maestro.yaml:5: services: 3 instances, more than the 2 a ships file may have"


def test_too_many_ships(errors, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SHIPS", 1)
    assert errors(HEAD) == "maestro.yaml:2: ships: 2 ships, more than the 1 a ships file may have"


def test_the_bounds_as_documented():
    assert (limits.MAX_TEXT, limits.MAX_ALIAS_NODES, limits.MAX_INSTANCES, limits.MAX_SHIPS) == (4 * 1024 * 1024, 1_000_000, 20_000, 20_000)
