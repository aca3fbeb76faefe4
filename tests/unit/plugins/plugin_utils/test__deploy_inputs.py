"""The deploy role's inputs (plugin_utils/_deploy_inputs.py): what its steps need, and every input error: pure logic."""

from __future__ import annotations

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _deploy_inputs as d

PLAY = ["ship1", "ship2", "ship3"]
PROXY = {"host": "ship1", "image": "haproxy:2.6", "frontends": {"web": {"port": 80}, "api": {"port": 81}}}


def options(**given):
    """The role's defaults (defaults/main.yml), overridden by ``given``."""
    base = {
        "maestro_deploy_action": "deploy",
        "maestro_deploy_strategy": "blue-green",
        "maestro_deploy_services": [],
        "maestro_proxy": PROXY,
        "maestro_deploy_tag": "",
        "maestro_deploy_port_offset": 10000,
        "maestro_deploy_check_wait": 30,
        "maestro_deploy_lock_host": "",
        "maestro_deploy_keep_releases": 1,
        "maestro_deploy_canary": [],
        "maestro_deploy_canary_thresholds": {},
    }
    return {**base, **given}


def inventory(*without_docker):
    """has_docker of an inventory of PLAY, every host with maestro_docker but ``without_docker``."""
    return lambda host: (host not in without_docker) if host in PLAY else None


def errors(opts, has_docker=None, docker_param=False):
    return d.input_errors(opts, d.work_out(opts, PLAY), has_docker or inventory(), docker_param)


def test_a_blue_green_deploy_takes_the_services_with_a_frontend_sorted_and_the_proxy_on_its_host():
    inputs = d.work_out(options(), PLAY, "prod")
    assert inputs["services"] == ["api", "web"]
    assert inputs["steps"] == "blue_green"
    assert inputs["proxy_hosts"] == ["ship1"]
    assert inputs["proxy_ships"] == {"ship1": {"name": "maestro-proxy-prod"}}
    assert inputs["lock_hosts"] == ["ship1"]
    assert inputs["lock_name"] == "maestro-lock-prod"
    assert inputs["proxy_unreachable"] == "fail"
    assert inputs["health_port"] is None
    assert inputs["colours"] == {"frontends": PROXY["frontends"], "port_offset": 10000, "tag": "", "check_wait": 30}
    assert inputs["canary"] is False


@pytest.mark.parametrize(
    ("proxy", "hosts"),
    [
        ({"hosts": "all"}, PLAY),
        ({"hosts": "ship2"}, ["ship2"]),
        ({"hosts": ["ship3", "ship1"]}, ["ship3", "ship1"]),
        ({"hosts": []}, ["ship1"]),  # none given: the play's first host
        ({}, ["ship1"]),
        ({"host": "ship2"}, ["ship2"]),
    ],
)
def test_the_proxy_hosts_are_hosts_a_host_all_or_the_plays_first_host(proxy, hosts):
    inputs = d.work_out(options(maestro_proxy={**proxy, "name": "p"}), PLAY)
    assert inputs["proxy_hosts"] == hosts
    assert inputs["proxy_ships"] == dict.fromkeys(hosts, {"name": "p"})


def test_a_stop_start_deploy_has_no_services_unless_named_and_no_proxy_checks():
    opts = options(maestro_deploy_strategy="stop-start", maestro_proxy={})
    assert d.work_out(opts, PLAY)["services"] == []
    assert d.work_out(opts, PLAY)["steps"] == "stop_start"
    assert errors(opts) == []
    assert d.work_out({**opts, "maestro_deploy_services": ["web"]}, PLAY)["services"] == ["web"]


@pytest.mark.parametrize(("action", "steps"), [("rollback", "rollback"), ("releases", "releases")])
def test_rollback_and_releases_are_blue_green_whatever_the_strategy(action, steps):
    inputs = d.work_out(options(maestro_deploy_action=action, maestro_deploy_strategy="stop-start"), PLAY)
    assert inputs["steps"] == steps
    assert inputs["services"] == ["api", "web"]


def test_a_floating_address_gives_the_health_endpoint_8405_unless_a_port_is_given():
    floating = {"address": "10.0.0.100", "keepalived_image": "keepalived:2.2"}
    assert d.work_out(options(maestro_proxy={**PROXY, "floating_address": floating}), PLAY)["health_port"] == 8405
    assert d.work_out(options(maestro_proxy={**PROXY, "floating_address": floating, "health_port": 9000}), PLAY)["health_port"] == 9000
    assert d.work_out(options(maestro_proxy={**PROXY, "health_port": 9000}), PLAY)["health_port"] == 9000


def test_a_lock_host_holds_the_lock_alone():
    assert d.work_out(options(maestro_deploy_lock_host="ship3"), PLAY)["lock_hosts"] == ["ship3"]


def test_good_inputs_have_no_error():
    assert errors(options()) == []


def test_every_input_error_is_named_at_once_each_with_what_to_do():
    proxy = {"host": "ship1", "hosts": ["nowhere"], "unreachable": "ignore", "frontends": {"web": {}}, "floating_address": {"address": "10.0.0.1"}}
    found = errors(options(maestro_proxy=proxy, maestro_deploy_services=["web", "db"], maestro_deploy_keep_releases=0, maestro_deploy_lock_host="gone"))
    assert found == [
        "the proxy hosts (maestro_proxy.hosts or host) must be inventory hosts with maestro_docker: nowhere is not",
        "maestro_proxy takes host (one) or hosts (several, or all), not both",
        "maestro_proxy.unreachable must be fail or skip (got ignore)",
        "the lock host gone (maestro_deploy_lock_host) must be an inventory host with maestro_docker",
        "maestro_proxy.floating_address needs an address and a keepalived_image (the keepalived that holds the address beside each proxy)",
        "maestro_deploy_keep_releases must be at least 1 (got 0): rollback goes back to the previous release",
        "a blue/green deploy needs maestro_proxy.image, the HAProxy image of the proxy it switches",
        "a blue/green deploy needs a frontend in maestro_proxy.frontends for every service it deploys: none for db (frontends: web)",
    ]


def test_proxy_hosts_need_maestro_docker_unless_the_play_gives_it():
    opts = options(maestro_proxy={**PROXY, "hosts": ["ship1", "ship2"], "host": None})
    assert errors(opts, inventory("ship2")) == ["every proxy host (maestro_proxy.hosts or host) needs maestro_docker, the connection to its Docker daemon"]
    assert errors(opts, inventory("ship2"), docker_param=True) == []


def test_a_lock_host_needs_maestro_docker_unless_the_play_gives_it():
    opts = options(maestro_deploy_lock_host="ship3")
    assert errors(opts, inventory("ship3")) == ["the lock host ship3 (maestro_deploy_lock_host) must be an inventory host with maestro_docker"]
    assert errors(opts, inventory("ship3"), docker_param=True) == []


def test_no_proxy_host_at_all_is_named():
    assert errors(options(), lambda host: None)[0] == "the proxy hosts (maestro_proxy.hosts or host) must be inventory hosts with maestro_docker: ship1 is not"
    assert d.input_errors(options(), {**d.work_out(options(), []), "proxy_hosts": []}, inventory(), False)[0].endswith(": none given are not")


def test_a_blue_green_deploy_needs_a_service_with_a_frontend():
    assert errors(options(maestro_proxy={"host": "ship1", "image": "haproxy"})) == [
        "a blue/green deploy needs a service with a frontend in maestro_proxy.frontends (there is none)"
    ]


def test_a_floating_address_is_for_blue_green_only():
    floating = {"address": "10.0.0.100", "keepalived_image": "keepalived:2.2"}
    opts = options(maestro_deploy_strategy="stop-start", maestro_proxy={**PROXY, "floating_address": floating})
    assert errors(opts) == ["maestro_proxy.floating_address moves an address between the proxies of a blue/green deploy; a stop-start deploy has no proxy"]


def test_a_rollback_needs_no_proxy_image():
    assert errors(options(maestro_deploy_action="rollback", maestro_proxy={k: v for k, v in PROXY.items() if k != "image"})) == []


def test_the_canary_steps_are_checked_with_their_thresholds_only_for_a_blue_green_deploy():
    steps = [{"weight": 10, "pause": 5}, {"weight": 100}]
    opts = options(maestro_deploy_canary=steps)
    checked, error = d.canary_steps(opts, d.work_out(opts, PLAY))
    assert error is None
    assert [s["weight"] for s in checked] == [10, 100]
    bad = options(maestro_deploy_canary=steps, maestro_deploy_canary_thresholds={"nope": 1})
    assert d.canary_steps(bad, d.work_out(bad, PLAY))[1].startswith("canary thresholds: unknown keys nope")
    stop_start = options(maestro_deploy_canary=steps, maestro_deploy_strategy="stop-start")
    assert d.canary_steps(stop_start, d.work_out(stop_start, PLAY)) == ([], None)


def test_a_service_without_a_frontend_is_named_once():
    assert errors(options(maestro_deploy_services=["db", "web", "db"]))[-1].endswith("none for db (frontends: web, api)")
