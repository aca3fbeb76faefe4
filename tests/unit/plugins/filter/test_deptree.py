"""The deptree filter over what the inventory publishes of a real file (the rendering itself is tested in plugin_utils/_config/test_graph.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.filter.deptree import FilterModule
from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._published import publish

FILE = """\
name: t
ships: {s1: {ip: 10.0.0.1}}
services:
  db: {image: "db:1", instances: {db-1: {ship: s1}}}
  api: {image: "api:1", requires: [db], instances: {api-1: {ship: s1}}}
  web: {image: "web:1", requires: [api, db], instances: {web-1: {ship: s1}}}
"""


def test_tree_of_one_service_and_recursive(tmp_path):
    path = tmp_path / "maestro.yaml"
    path.write_text(FILE)
    config = _config.load(str(path), environ={})
    services = publish(config)
    deptree = FilterModule().filters()["deptree"]
    assert deptree(services, things=["web-1"]) == "web\n +- api\n \\- db\n"  # each dependency shown once
    assert deptree(services, things=["web"], recursive=True) == "web\n +- api\n |  \\- db\n \\- db\n"


def test_unknown_thing_and_a_path_are_refused(tmp_path):
    deptree = FilterModule().filters()["deptree"]
    with pytest.raises(AnsibleFilterError, match=r"^maestro deptree: wbe is neither a service nor an instance \(did you mean 'web'\?\)"):
        deptree({"s1": {"maestro_services": {"web": {"instances": ["web-1"]}}}}, things=["wbe"])
    with pytest.raises(AnsibleFilterError, match=r"^deptree: takes hostvars"):
        deptree(str(tmp_path / "maestro.yaml"))
