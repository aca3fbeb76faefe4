"""The plan filter over what the inventory publishes of a real file (the planning itself is tested in plugin_utils/_config/test_plan.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.filter.plan import FilterModule
from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._published import publish

FILE = """\
name: t
ships: {s1: {ip: 10.0.0.1}, s2: {ip: 10.0.0.2}}
services:
  db: {image: "db:1", instances: {db-1: {ship: s1}}}
  web: {image: "web:1", requires: [db], instances: {web-1: {ship: s1}, web-2: {ship: s2}}}
"""


@pytest.fixture
def path(tmp_path):
    """hostvars as the ships inventory publishes them (the fixture keeps its old name: the filter's input)."""
    path = tmp_path / "maestro.yaml"
    path.write_text(FILE)
    config = _config.load(str(path), environ={})
    return publish(config)


def test_restart_plan(path):
    result = FilterModule().filters()["plan"](path, "restart", things="web,db")
    assert [(s["action"], s["ships"]) for s in result["steps"]] == [
        ("stop", {"s1": ["web-1"], "s2": ["web-2"]}),
        ("stop", {"s1": ["db-1"]}),
        ("start", {"s1": ["db-1"]}),
        ("start", {"s1": ["web-1"], "s2": ["web-2"]}),
    ]


def test_a_list_of_commands_is_one_plan(path):
    result = FilterModule().filters()["plan"](path, ["pull", "stop", "clean", "start"], things="web")
    assert result["command"] == "pull, stop, clean, start"
    assert [(s["action"], s["ships"]) for s in result["steps"]] == [
        ("pull", {"s1": ["web-1"], "s2": ["web-2"]}),
        ("stop", {"s1": ["web-1"], "s2": ["web-2"]}),
        ("clean", {"s1": ["web-1"], "s2": ["web-2"]}),
        ("start", {"s1": ["web-1"], "s2": ["web-2"]}),
    ]
    wrong = FilterModule().filters()["plan"](path, ["pull", "restart"], errors="return")
    assert wrong == {"error": "maestro pull, restart: a sequence is one or more of pull, start, stop, kill, clean, not restart"}


def test_unknown_thing_is_one_line_naming_it(path):
    with pytest.raises(AnsibleFilterError) as info:
        FilterModule().filters()["plan"](path, "start", things=["wbe"])
    assert info.value.message == "maestro start: wbe is neither a service nor an instance (did you mean 'web'?)"
    assert info.value.__cause__ is None


def test_a_path_is_refused_with_the_fix(tmp_path):
    """The file is read once, by the inventory: the filter never loads it again."""
    with pytest.raises(AnsibleFilterError, match=r"^plan: takes hostvars, the variables of the inventory's ships, not str$"):
        FilterModule().filters()["plan"](str(tmp_path / "maestro.yaml"), "start")
    with pytest.raises(AnsibleFilterError, match=r"^plan: no host of the inventory has maestro_services: .* or the input is not hostvars$"):
        FilterModule().filters()["plan"]({"web": {"instances": ["web-1"]}}, "start")
    with pytest.raises(AnsibleFilterError, match=r"^ship s1: its maestro_services of web is not what the maestro.docker.ships inventory publishes$"):
        FilterModule().filters()["plan"]({"s1": {"maestro_services": {"web": {"instances": {"web-1": "s1"}}}}}, "start")


def test_ships_that_disagree_are_named(path):
    """Hand-written or mixed inventories: two ships claiming one instance, or other requires for one service."""
    path["s2"]["maestro_services"]["web"]["instances"].append("web-1")
    with pytest.raises(AnsibleFilterError, match=r"^instance web-1: published on two ships, s1 and s2$"):
        FilterModule().filters()["plan"](path, "start")
    path["s2"]["maestro_services"]["web"] = {"instances": ["web-2"], "requires": []}
    with pytest.raises(AnsibleFilterError, match=r"^service web: ship s2 publishes other requires, wants_info or omit than ship s1$"):
        FilterModule().filters()["plan"](path, "start")


@pytest.mark.parametrize(
    ("value", "expected"), [("false", ["web-1"]), ("no", ["web-1"]), (False, ["web-1"]), ("true", ["db-1", "web-1"]), (1, ["db-1", "web-1"])]
)
def test_flags_given_as_strings(path, value, expected):
    """Extra variables (-e maestro_with_dependencies=false) arrive as strings."""
    assert FilterModule().filters()["plan"](path, "start", things="web-1", with_dependencies=value)["instances"] == expected


def test_bad_flag(path):
    with pytest.raises(AnsibleFilterError, match=r"^maestro start: The value 'maybe' is not a valid boolean"):
        FilterModule().filters()["plan"](path, "start", ignore_dependencies="maybe")


def test_errors_return_gives_the_message_alone(path):
    plan = FilterModule().filters()["plan"]
    assert plan(path, "start", things="wbe", errors="return") == {"error": "maestro start: wbe is neither a service nor an instance (did you mean 'web'?)"}
    assert "error" not in plan(path, "start", things="web", errors="return")
    with pytest.raises(AnsibleFilterError, match="errors must be strict or return, not 'ignore'"):
        plan(path, "start", errors="ignore")
