# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Dependency levels, selections with filters, and the deptree picture."""

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import SelectionError
from ansible_collections.maestro.docker.plugins.plugin_utils._config.graph import Graph

from ...conftest import HEAD

# zk <- kafka <- api <- web ; cache (no deps) ; tools (omit, requires api) ; web wants_info cache
STACK = (
    HEAD
    + """\
  zk: {image: zk, instances: {zk-1: {ship: host1}, zk-2: {ship: host2}}}
  kafka: {image: kafka, requires: zk, instances: {kafka-1: {ship: host2}}}
  api: {image: api, requires: [kafka, zk], instances: {api-1: {ship: host1}, api-2: {ship: host2}}}
  web: {image: web, requires: api, wants_info: cache, instances: {web-1: {ship: host1}}}
  cache: {image: cache, instances: {cache-1: {ship: host1}}}
  tools: {image: tools, omit: true, requires: api, instances: {tools-1: {ship: host2}}}
"""
)


@pytest.fixture
def stack(load):
    return load(STACK)


def test_start_and_stop_levels(stack):
    assert stack.start_levels() == [["cache", "zk"], ["kafka"], ["api"], ["tools", "web"]]
    assert stack.stop_levels() == [["tools", "web"], ["api"], ["kafka"], ["cache", "zk"]]
    assert stack.start_levels(["web", "zk"]) == [["zk"], ["web"]]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"things": ["web"]}, ["web-1"]),
        ({"things": ["api-2", "zk"]}, ["api-2", "zk-1", "zk-2"]),
        ({"things": ["web"], "with_dependencies": True}, ["api-1", "api-2", "kafka-1", "web-1", "zk-1", "zk-2"]),
        ({"things": ["kafka"], "with_dependents": True}, ["api-1", "api-2", "kafka-1", "tools-1", "web-1"]),
        ({}, ["api-1", "api-2", "cache-1", "kafka-1", "web-1", "zk-1", "zk-2"]),  # omit leaves tools out
        # filters apply after dependencies were added (maestro-ng ignored them with -d)
        ({"things": ["web"], "with_dependencies": True, "ship_filter": "host2"}, ["api-2", "kafka-1", "zk-2"]),
        ({"things": ["web"], "with_dependencies": True, "container_filter": "zk-*"}, ["zk-1", "zk-2"]),
        ({"ship_filter": "host1", "container_filter": "*-1"}, ["api-1", "cache-1", "web-1", "zk-1"]),
    ],
)
def test_expand(stack, kwargs, expected):
    assert stack.expand(**kwargs) == expected


def test_with_dependencies_and_dependents(stack):
    assert stack.with_dependencies(["web-1"]) == ["api", "kafka", "web", "zk"]
    assert stack.dependents(["zk"]) == ["api", "kafka", "tools", "web", "zk"]


def test_unknown_thing(stack):
    with pytest.raises(SelectionError, match=r"^wbe is neither a service nor an instance \(did you mean 'web'\?\)$"):
        stack.expand(["wbe"])


def test_instance_levels_and_ships(stack):
    assert stack.instance_levels(["web-1", "zk-2", "api-1", "zk-1"]) == [["zk-1", "zk-2"], ["api-1"], ["web-1"]]
    assert stack.instance_levels(["web-1", "zk-1"], reverse=True) == [["web-1"], ["zk-1"]]
    assert [i.name for i in stack.instances_on("host2")] == ["zk-2", "kafka-1", "api-2", "tools-1"]


def test_deptree(stack):
    # like maestro-ng: without recursive, a dependency is shown once per tree
    assert stack.deptree(["web"]) == "web\n \\- api\n    +- kafka\n    \\- zk\n"
    assert stack.deptree(["web"], recursive=True) == "web\n \\- api\n    +- kafka\n    |  \\- zk\n    \\- zk\n"
    assert stack.deptree(["tools", "zk"]) == "tools\n \\- api\n    +- kafka\n    \\- zk\n\nzk\n"


def test_deptree_hides_repeats_unless_recursive():
    graph = Graph({"a": ["b", "c"], "b": ["c"], "c": ["d"], "d": []}, {}, {s: [] for s in "abcd"}, {}, {})
    assert graph.deptree(["a"]) == "a\n +- b\n \\- c\n    \\- d\n"
    assert graph.deptree(["a"], recursive=True) == "a\n +- b\n |  \\- c\n |     \\- d\n \\- c\n    \\- d\n"


def test_cycles_are_found_once_each():
    graph = Graph({"a": ["b"], "b": ["a"], "c": ["c"], "d": ["a"]}, {}, {}, {}, {})
    assert graph.cycles() == [["a", "b", "a"], ["c", "c"]]


def test_long_chain_has_no_recursion_limit():
    n = 5000
    graph = Graph({"s%d" % i: (["s%d" % (i - 1)] if i else []) for i in range(n)}, {}, {}, {}, {})
    assert graph.cycles() == []
    assert graph.level("s%d" % (n - 1)) == n - 1
