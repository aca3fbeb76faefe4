# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""maestro.docker.deploy_inputs on the deploy role's own argument spec and defaults (no Ansible templating: the values
are given as plain data, as the task's templar would give them)."""

from __future__ import annotations

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
