# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The model rebuilt from what the inventory publishes: the same plan and the same specs as the loader's."""

from __future__ import annotations

import textwrap

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._config.plan import plan
from ansible_collections.maestro.docker.plugins.plugin_utils._published import SPEC_DEFAULTS, add_links, compact, complete, estate, publish, published_graph

# requires (declared, transitive through api), wants_info, volumes_from (ordering, no links), a service
# without instances, peers on two ships, a random host port (no _PORT variable)
FILE = textwrap.dedent(
    """\
    name: t
    ships: {s1: {ip: 10.0.0.1}, s2: {ip: 10.0.0.2}, s3: {ip: 10.0.0.3}}
    services:
      db: {image: "db:1", ports: {sql: 5432}, instances: {db-1: {ship: s1}, db-2: {ship: s2}}}
      data: {image: "data:1", instances: {data-1: {ship: s3}}}
      api: {image: "api:1", requires: [db], ports: {http: "8080:80", debug: {exposed: 9000, external: null}},
            instances: {api-1: {ship: s2}, api-2: {ship: s3, volumes_from: [data-1]}}}
      metrics: {image: "m:1", instances: {}}
      web: {image: "web:1", requires: [api], wants_info: [metrics],
            instances: {web-1: {ship: s1}, web-2: {ship: s3, env: {API_API_1_HOST: overridden}}}}
    """
)


@pytest.fixture
def config(tmp_path):
    (tmp_path / "maestro.yaml").write_text(FILE)
    return _config.load(str(tmp_path / "maestro.yaml"), environ={})


def published(config):
    """task_vars as a play on each ship sees them: every ship's maestro_services and maestro_instances in hostvars."""
    hostvars = publish(config)
    return {ship: {"hostvars": hostvars, "inventory_hostname": ship, **hostvars[ship]} for ship in config.ships}


def test_each_ship_publishes_its_own_services_and_compact_specs(config):
    """What a ship carries grows with its instances: its services (and those without instances), its specs, compact."""
    s3 = publish(config)["s3"]
    assert sorted(s3["maestro_services"]) == ["api", "data", "metrics", "web"]
    assert s3["maestro_services"]["web"] == {"instances": ["web-2"], "requires": ["api"], "wants_info": ["metrics"]}  # nothing empty
    assert s3["maestro_services"]["metrics"]["instances"] == []  # on every ship: a chain through it is kept
    assert "metrics" in publish(config)["s1"]["maestro_services"]
    data1 = next(spec for spec in s3["maestro_instances"] if spec["name"] == "data-1")
    assert sorted(data1) == ["add_links", "env", "environment", "image", "name", "service", "ship", "ship_ip"]
    assert data1["env"] == {}  # the injected variables are put back where the spec is used
    api1 = next(spec for spec in publish(config)["s2"]["maestro_instances"] if spec["name"] == "api-1")
    assert api1["ports"] == [{"name": "http", "exposed": 8080, "external": 80}, {"name": "debug", "exposed": 9000, "external": None}]


def test_compact_and_complete_are_inverse_for_every_key(config):
    """SPEC_DEFAULTS holds what the loader sets for every key the file leaves out: nothing else is dropped."""
    for instance in config.instances.values():
        assert complete(compact(instance.own)) == instance.own, instance.name
    data1 = config.instances["data-1"].own
    assert set(data1) - set(compact(data1)) == {*SPEC_DEFAULTS, "hostname", "repository", "tag"}  # defaults and derived keys only
    assert {key: data1[key] for key in SPEC_DEFAULTS} == SPEC_DEFAULTS
    no_hostname = {**data1, "network_mode": "host", "hostname": None}
    assert compact(no_hostname)["network_mode"] == "host" and "hostname" not in compact(no_hostname)
    assert complete(compact(no_hostname)) == no_hostname
    first, second = complete({"name": "x"}), complete({"name": "y"})
    first["cap_add"].append("NET_ADMIN")
    assert second["cap_add"] == [] and SPEC_DEFAULTS["cap_add"] == []  # no default shared between specs


def test_the_estate_is_the_loaders(config):
    """Put back together from every ship, the services are what the loader has: instances, requires, wants_info, omit."""
    services = estate(publish(config))
    assert services["web"] == {
        "instances": {"web-1": "s1", "web-2": "s3"},
        "requires": ["api"],
        "implied_requires": [],
        "wants_info": ["metrics"],
        "omit": False,
    }
    assert services["api"]["implied_requires"] == ["data"]
    assert services["metrics"]["instances"] == {}
    assert sorted(services) == sorted(config.services)


def test_specs_completed_from_the_published_model_are_the_loaders(config):
    """Every instance: own spec + link variables, exactly what the loader builds from the file."""
    for ship, task_vars in published(config).items():
        completed = add_links(task_vars["maestro_instances"], task_vars)
        for spec in completed:
            full = config.full_spec(spec["name"])
            assert spec == {k: v for k, v in full.items() if k not in ("requires", "wants_info", "omit")}, (ship, spec["name"])
    web1 = config.full_spec("web-1")["env"]
    assert web1["API_API_1_HTTP_PORT"] == "80" and web1["DB_DB_2_HOST"] == "10.0.0.2" and web1["METRICS_INSTANCES"] == ""
    assert "DATA_DATA_1_HOST" not in config.full_spec("api-2")["env"]  # volumes_from orders, adds no links
    assert config.full_spec("web-2")["env"]["API_API_1_HOST"] == "10.0.0.2"  # nothing overrides a link variable


def test_specs_without_add_links_pass_as_they_are(config):
    task_vars = published(config)["s1"]
    hand_written = [{"name": "x-1", "image": "x", "env": {"A": "1"}}]
    assert add_links(hand_written, task_vars) is hand_written


def test_add_links_names_what_is_missing(config):
    task_vars = published(config)["s1"]
    spec = task_vars["maestro_instances"][0]
    with pytest.raises(AnsibleActionFail, match=r"add_links needs the maestro_services of the inventory's ships"):
        add_links([spec], {})
    task_vars["hostvars"]["s2"] = {"maestro_services": task_vars["hostvars"]["s2"]["maestro_services"]}
    with pytest.raises(AnsibleActionFail, match=r"^instance db-2: not in the maestro_instances of ship s2, where its maestro_services places it"):
        add_links([spec], task_vars)


def test_the_published_graph_plans_as_the_loader(config):
    graph = published_graph(publish(config), "plan")
    for command in ("start", "stop", "restart", "status", "pull", "clean"):
        assert plan(graph, command) == plan(config, command), command
    assert plan(graph, "start", things="web", with_dependencies=True)["levels"] == [
        {"s1": ["db-1"], "s2": ["db-2"], "s3": ["data-1"]},
        {"s2": ["api-1"], "s3": ["api-2"]},
        {"s1": ["web-1"], "s3": ["web-2"]},
    ]
    assert graph.deptree() == config.deptree()
