"""The deptree filter over a real file (the rendering itself is tested in test__config_graph)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.filter.deptree import FilterModule

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
    deptree = FilterModule().filters()["deptree"]
    assert deptree(path, things=["web-1"]) == "web\n +- api\n \\- db\n"  # each dependency shown once
    assert deptree(path, things=["web"], recursive=True) == "web\n +- api\n |  \\- db\n \\- db\n"


def test_bad_file_names_it(tmp_path):
    path = tmp_path / "maestro.yaml"
    path.write_text(FILE.replace("requires: [db]", "requires: [dbx]"))
    with pytest.raises(AnsibleFilterError, match=r"^deptree of .*maestro.yaml: .*maestro.yaml:5: services.api.requires"):
        FilterModule().filters()["deptree"](path)
