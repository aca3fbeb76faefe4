# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""maestro.docker.deploy_inputs on the deploy role's own argument spec and defaults (no Ansible templating: the values
are given as plain data, as the task's templar would give them)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ansible_collections.maestro.docker.plugins.action.deploy_inputs import inputs

ROLE = Path(__file__).resolve().parents[4] / "roles" / "deploy"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
PLAY = ["ship1", "ship2"]
HOSTVARS = {ship: {"maestro_docker": {"docker_host": f"tcp://{ship}:2375"}} for ship in PLAY}


def run(**given):
    task_vars = {
        **DEFAULTS,
        "maestro_deploy_audit": [],
        "maestro_deploy_audit_log": "",
        "ansible_play_hosts_all": PLAY,
        "hostvars": HOSTVARS,
        "inventory_hostname": "ship1",
        **given,
    }
    return inputs(task_vars, ROLE, lambda value: value)


def test_a_proxy_without_a_name_gets_the_environments_and_suboptions_not_given_stay_unset():
    result = run(maestro_proxy={"image": "haproxy:2.6", "frontends": {"web": {"port": 80}}}, maestro_environment="prod")
    assert not result.get("failed"), result
    assert result["proxy_name"] == "maestro-proxy-prod"
    assert result["proxy_ships"] == {"ship1": {"name": "maestro-proxy-prod"}}
    assert result["proxy_unreachable"] == "fail"
    assert result["health_port"] is None
    assert result["services"] == ["web"] and result["steps"] == "blue_green" and result["lock_hosts"] == ["ship1"]


def test_an_option_of_the_wrong_type_fails_as_the_role_argument_spec_says():
    result = run(maestro_deploy_strategy="sideways")
    assert result["failed"]
    assert result["msg"].startswith("Validation of arguments failed:\n")
    assert "maestro_deploy_strategy" in result["msg"] and "blue-green, stop-start" in result["msg"]


def test_every_input_error_is_in_the_message():
    result = run(maestro_proxy={"host": "ship9", "frontends": {}}, maestro_deploy_keep_releases=0)
    assert result["failed"]
    assert result["msg"].split("; ") == result["input_errors"]
    assert result["input_errors"][0] == "the proxy hosts (maestro_proxy.hosts or host) must be inventory hosts with maestro_docker: ship9 is not"
    assert "maestro_deploy_keep_releases must be at least 1 (got 0): rollback goes back to the previous release" in result["input_errors"]


def test_maestro_docker_given_to_the_play_serves_every_proxy_host():
    hostvars = {"ship1": {}, "ship2": {}}
    proxy = {"hosts": "all", "image": "haproxy:2.6", "frontends": {"web": {"port": 80}}}
    assert run(maestro_proxy=proxy, hostvars=hostvars)["failed"]
    assert not run(maestro_proxy=proxy, hostvars=hostvars, maestro_docker={"docker_host": "tcp://x:2375"}).get("failed")


def test_every_value_the_role_names_in_its_vars_is_in_the_result():
    templates = re.findall(r"{{.*?}}", (ROLE / "vars" / "main.yml").read_text(), re.DOTALL)
    named = {key for text in templates for key in re.findall(r"_deploy_inputs\.(\w+)", text)}
    result = run(maestro_proxy={"image": "haproxy:2.6", "frontends": {"web": {"port": 80}}})
    assert named and named <= set(result), named - set(result)


def test_options_are_converted_to_their_types_as_the_argument_spec_says():
    result = run(
        maestro_proxy={"image": "haproxy:2.6", "frontends": {"web": {"port": 80}, "db": {"port": 81}}},
        maestro_deploy_services="web,db",  # -e maestro_deploy_services=web,db
        maestro_deploy_port_offset="20000",
        maestro_deploy_check_wait="5",
    )
    assert not result.get("failed"), result
    assert result["services"] == ["web", "db"]
    assert result["colours"]["port_offset"] == 20000 and result["colours"]["check_wait"] == 5


def test_a_canary_error_comes_with_the_other_input_errors():
    result = run(
        maestro_proxy={"image": "haproxy:2.6", "frontends": {"web": {"port": 80}}},
        maestro_deploy_keep_releases=0,
        maestro_deploy_canary=[{"weight": 10, "pause": 5}, {"weight": 100}],
        maestro_deploy_canary_thresholds={"nope": 1},
    )
    assert result["failed"]
    assert [e.split(" ")[0] for e in result["input_errors"]] == ["maestro_deploy_keep_releases", "canary"]


def test_each_run_of_the_role_has_its_own_id():
    proxy = {"image": "haproxy:2.6", "frontends": {"web": {"port": 80}}}
    assert run(maestro_proxy=proxy)["run_id"] != run(maestro_proxy=proxy)["run_id"]
