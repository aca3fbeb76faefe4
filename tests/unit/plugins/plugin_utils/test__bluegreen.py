"""Blue/green colours, backends, frontends and plans (plugin_utils/_bluegreen.py): pure logic."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _bluegreen as bg


def spec(name="web-1", service="web", external=8080, **extra):
    base = {
        "name": name,
        "service": service,
        "ship": "ship1",
        "ship_ip": "10.0.0.11",
        "image": "reg:5000/demo/web:v1",
        "repository": "reg:5000/demo/web",
        "tag": "v1",
        "env": {"DOCKER_IMAGE": "reg:5000/demo/web:v1", "DOCKER_TAG": "v1", "OTHER": "x"},
        "labels": {"team": "a"},
        "ports": [{"name": "http", "exposed": 8080, "external": external, "protocol": "tcp", "bind_ip": "0.0.0.0"}],
        "lifecycle": {},
    }
    return {**base, **extra}


FRONTENDS = {"web": {"port": 8000, "backend_port": "http", "health_path": "/health"}}


def test_blue_is_the_instance_as_written():
    out = bg.colour_spec(spec(), "blue")
    assert out["name"] == "web-1"
    assert out["ports"][0]["external"] == 8080
    assert out["labels"] == {"team": "a", "maestro.colour": "blue"}


def test_green_gets_a_suffix_and_shifted_ports():
    out = bg.colour_spec(
        spec(ports=[{"name": "http", "exposed": 8080, "external": 8080}, {"name": "r", "exposed": "9000-9001", "external": "9000-9001"}]), "green"
    )
    assert out["name"] == "web-1-green"
    assert [p["external"] for p in out["ports"]] == [18080, "19000-19001"]


def test_random_host_port_stays_random():
    assert bg.colour_spec(spec(external=None), "green", port_offset=5)["ports"][0]["external"] is None


def test_shift_above_65535_names_the_instance():
    with pytest.raises(bg.BlueGreenError, match="instance web-1 on ship ship1: host port 60000 \\+ offset 10000 is above 65535"):
        bg.colour_spec(spec(external=60000), "green")


def test_tag_replaces_image_and_maestro_variables():
    out = bg.colour_spec(spec(), "green", tag="v2")
    assert (out["image"], out["repository"], out["tag"]) == ("reg:5000/demo/web:v2", "reg:5000/demo/web", "v2")
    assert out["env"] == {"DOCKER_IMAGE": "reg:5000/demo/web:v2", "DOCKER_TAG": "v2", "OTHER": "x"}


def test_health_check_added_only_without_running_checks():
    out = bg.colour_spec(spec(), "blue", health={"path": "/health", "port": "http", "max_wait": 7})
    assert out["lifecycle"]["running"] == [{"type": "http", "port": "http", "path": "/health", "max_wait": 7}]
    own = {"running": [{"type": "tcp", "port": "http"}]}
    assert bg.colour_spec(spec(lifecycle=own), "blue", health={"path": "/health"})["lifecycle"] == own


def test_input_not_changed():
    original = spec()
    bg.colour_spec(original, "green", tag="v2", health={"path": "/h"})
    assert original == spec()


def test_unknown_colour():
    with pytest.raises(bg.BlueGreenError, match="unknown colour 'red'"):
        bg.colour_spec(spec(), "red")


def test_backends_use_ship_address_and_published_port():
    specs = [bg.colour_spec(spec("web-2", external=8081), "green"), bg.colour_spec(spec(), "green")]
    assert bg.backends(specs, "http") == [
        {"name": "web-1-green", "address": "10.0.0.11", "port": 18080},
        {"name": "web-2-green", "address": "10.0.0.11", "port": 18081},
    ]


@pytest.mark.parametrize(
    ("bad", "port", "message"),
    [
        (spec(external=None), "http", "needs one fixed host port"),
        (spec(), "admin", "no port named 'admin' \\(its ports: http\\)"),
        (spec(ports=[]), None, "publishes no port"),
        (spec(ship_ip=None), "http", "has no ship_ip"),
    ],
)
def test_backend_errors(bad, port, message):
    with pytest.raises(bg.BlueGreenError, match=message):
        bg.backends([bad], port)


@pytest.mark.parametrize(
    ("frontends", "blue_running", "action", "expected"),
    [
        ([], [], "deploy", {"live": None, "new": "blue", "routed": False}),
        ([], ["web"], "deploy", {"live": "blue", "new": "green", "routed": False}),
        ([{"name": "web", "colour": "blue"}], [], "deploy", {"live": "blue", "new": "green", "routed": True}),
        ([{"name": "web", "colour": "green"}], ["web"], "deploy", {"live": "green", "new": "blue", "routed": True}),
        ([{"name": "web", "colour": "green"}], [], "rollback", {"live": "green", "new": "blue", "routed": True}),
        ([{"name": "other", "colour": "green"}], [], "deploy", {"live": None, "new": "blue", "routed": False}),
    ],
)
def test_plan(frontends, blue_running, action, expected):
    assert bg.plan(["web"], frontends, blue_running, action) == {"web": expected}


def test_rollback_without_a_live_colour():
    with pytest.raises(bg.BlueGreenError, match="service web: the proxy routes to no colour of it yet, there is nothing to roll back to"):
        bg.plan(["web"], [], [], "rollback")


def test_plan_specs_and_frontends():
    plan = {"web": {"live": "blue", "new": "green"}}
    specs = [spec(), spec("db-1", service="db")]
    new = bg.plan_specs(specs, plan, "new", FRONTENDS, tag="v2")
    assert [s["name"] for s in new] == ["web-1-green"]
    assert new[0]["image"].endswith(":v2") and new[0]["lifecycle"]["running"][0]["path"] == "/health"
    live = bg.plan_specs(specs, plan, "live", FRONTENDS, tag="v2")
    assert [s["name"] for s in live] == ["web-1"] and live[0]["image"].endswith(":v1") and not live[0]["lifecycle"]
    wanted = bg.plan_specs(specs, plan, "wanted-live", FRONTENDS, tag="v2")
    assert wanted[0]["name"] == "web-1" and wanted[0]["image"].endswith(":v2")
    parked = bg.plan_specs(specs, plan, "new", FRONTENDS, name_suffix=".parked")
    assert [s["name"] for s in parked] == ["web-1-green.parked"]
    assert bg.frontends(plan, FRONTENDS, new) == [
        {"name": "web", "port": 8000, "colour": "green", "backends": [{"name": "web-1-green", "address": "10.0.0.11", "port": 18080}], "health_path": "/health"}
    ]


def test_no_live_specs_on_first_deploy():
    assert bg.plan_specs([spec()], {"web": {"live": None, "new": "blue"}}, "live", FRONTENDS) == []


def test_frontend_errors():
    with pytest.raises(bg.BlueGreenError, match="maestro_proxy.frontends.web must give at least the port"):
        bg.plan_specs([spec()], {"web": {"live": None, "new": "blue"}}, "new", {})
    with pytest.raises(bg.BlueGreenError, match="no instance of the green colour"):
        bg.frontends({"web": {"live": "blue", "new": "green"}}, FRONTENDS, [])


def test_stale_services():
    specs = [spec(), spec("web-2"), spec("db-1", service="db")]
    infos = [
        {"name": "web-1", "status": "running", "drift": []},
        {"name": "web-2", "status": "running", "drift": ["image"]},
        {"name": "db-1", "status": "running", "drift": []},
    ]
    assert bg.stale_services(specs, infos) == ["web"]
    assert bg.stale_services(specs[2:], [{"name": "db-1", "status": "exited", "drift": []}]) == ["db"]


# --- decide: one decision for every ship -------------------------------------------------------------

SHIPS = {
    "ship1": [spec("web-1"), spec("db-1", service="db")],
    "ship2": [spec("web-2", ship="ship2", ship_ip="10.0.0.12")],
}


def info(name, status="running", drift=(), exists=True):
    return {"name": name, "status": status, "drift": list(drift), "exists": exists}


def decide(action="deploy", proxy=(), infos=None, **kwargs):
    return bg.decide(
        action, ["web"], specs_by_ship=SHIPS, proxy_frontends=list(proxy), infos_by_ship=infos or {}, frontends_cfg=FRONTENDS, **{"tag": "v2", **kwargs}
    )


def test_candidates_are_both_colours_as_wanted_of_the_services_only():
    read = bg.candidates(SHIPS, ["web"], FRONTENDS, tag="v2", port_offset=100)
    assert {ship: [s["name"] for s in specs] for ship, specs in read.items()} == {
        "ship1": ["web-1", "web-1-green", "web-1.parked", "web-1-green.parked"],
        "ship2": ["web-2", "web-2-green", "web-2.parked", "web-2-green.parked"],
    }
    assert read["ship1"][1]["ports"][0]["external"] == 8180 and read["ship1"][1]["tag"] == "v2"
    assert read["ship1"][0]["lifecycle"]["running"][0]["path"] == "/health"  # the frontend's health check, as the run wants it


def test_first_deploy_of_blue_instances_started_outside_goes_to_green_and_names_no_spec():
    decision = decide(infos={"ship1": [info("web-1")], "ship2": [info("web-2", status="stopped")]})
    assert decision["plan"] == {"web": {"live": "blue", "new": "green", "routed": False}}
    assert decision["ships"]["ship1"]["new"] == [{"instance": "web-1", "colour": "green", "wanted": True, "suffix": ""}]
    assert decision["ships"]["ship1"]["parked"] == [{"instance": "web-1", "colour": "green", "wanted": True, "suffix": ".parked"}]
    assert decision["ships"]["ship2"]["live"] == [{"instance": "web-2", "colour": "blue", "wanted": False, "suffix": ""}]
    assert decision["ships"]["ship1"]["images"] == ["reg:5000/demo/web:v2"]
    assert [b["port"] for b in decision["frontends"][0]["backends"]] == [18080, 18080] and decision["frontends"][0]["colour"] == "green"
    assert "env" not in str(decision)  # names and colours, never specs (no secret can ride along)


def test_a_routed_service_whose_live_colour_runs_as_wanted_is_left_alone():
    proxy = [{"name": "web", "colour": "green"}]
    good = {"ship1": [info("web-1-green")], "ship2": [info("web-2-green")]}
    decision = decide(proxy=proxy, infos=good)
    assert decision["up_to_date"] == ["web"] and decision["plan"] == {} and decision["frontends"] == []
    assert decision["ships"]["ship1"] == {"images": [], "new": [], "live": [], "parked": [], "restore": [], "stray": []}
    drifted = {"ship1": [info("web-1-green")], "ship2": [info("web-2-green", drift=[{"option": "image"}])]}
    assert decide(proxy=proxy, infos=drifted)["plan"] == {"web": {"live": "green", "new": "blue", "routed": True}}


def test_rollback_names_per_ship_the_colour_that_no_longer_exists():
    proxy = [{"name": "web", "colour": "green"}]
    infos = {"ship1": [info("web-1", status="stopped")], "ship2": [info("web-2", status="absent", exists=False)]}
    decision = decide("rollback", proxy=proxy, infos=infos, tag=None)
    assert decision["missing"] == {"ship2": ["web-2"]}
    assert decision["plan"] == {"web": {"live": "green", "new": "blue", "routed": True}}
    with pytest.raises(bg.BlueGreenError, match="nothing to roll back to"):
        decide("rollback", infos={})


def test_resolve_makes_the_spec_plan_specs_makes():
    [made] = bg.plan_specs([spec()], {"web": {"new": "green"}}, "new", FRONTENDS, tag="v2", name_suffix=".parked")
    assert bg.resolve({"instance": "web-1", "colour": "green", "wanted": True, "suffix": ".parked"}, spec(), FRONTENDS, tag="v2") == made
    [live] = bg.plan_specs([spec()], {"web": {"live": "blue"}}, "live", FRONTENDS, tag="v2")
    assert bg.resolve({"instance": "web-1", "colour": "blue", "wanted": False}, spec(), FRONTENDS, tag="v2") == live


def test_a_deploy_records_its_release_in_the_new_colour_only():
    """Issue 14: the release (id, time, tag) rides on the refs of the new colour and becomes labels where the spec is made."""
    release = bg.new_release(datetime.datetime(2026, 12, 3, 8, 15, tzinfo=datetime.UTC), "v2", "3f2a")
    assert release == {"id": "20261203T081500Z-3f2a", "time": "2026-12-03T08:15:00Z", "tag": "v2"}
    decision = decide(infos={"ship1": [info("web-1")], "ship2": [info("web-2")]}, release=release)
    assert decision["release"] == release
    [new] = decision["ships"]["ship1"]["new"]
    assert new["release"] == release
    assert all("release" not in item for ship in decision["ships"].values() for item in ship["live"] + ship["parked"])
    labels = bg.resolve(new, spec(), FRONTENDS, tag="v2")["labels"]
    assert labels["maestro.release"] == "20261203T081500Z-3f2a" and labels["maestro.release.tag"] == "v2"
    assert labels["maestro.release.image"] == "reg:5000/demo/web:v2" and labels["maestro.colour"] == "green"
    # a rollback starts what the other colour recorded: it records nothing new
    rollback = decide("rollback", proxy=[{"name": "web", "colour": "green"}], infos={"ship1": [info("web-1", status="stopped")]}, release=release)
    assert rollback["release"] is None and all("release" not in item for item in rollback["ships"]["ship1"]["new"])


def test_releases_say_per_service_what_each_colour_holds_live_first():
    read = bg.candidates(SHIPS, ["web"], FRONTENDS)
    v2 = {"id": "20261203T081500Z-3f2a", "tag": "v2", "time": "2026-12-03T08:15:00Z", "image": "reg/web:v2", "digest": "sha256:" + "a" * 64}
    infos = {
        "ship1": [{**info("web-1-green"), "release": v2}, {**info("web-1", status="stopped"), "image": "reg/web:v1", "digest": None}],
        "ship2": [{**info("web-2-green"), "release": v2}, info("web-2", status="absent", exists=False)],
    }
    held = bg.releases(read, infos, [{"name": "web", "colour": "green"}], ["web"])
    assert [(e["colour"], e["live"], e["running"], e["stopped"], e["instances"]) for e in held["web"]] == [("green", True, 2, 0, 2), ("blue", False, 0, 1, 2)]
    assert held["web"][0]["releases"] == [{**v2, "ships": ["ship1", "ship2"]}]
    assert held["web"][1]["releases"] == [{"id": None, "image": "reg/web:v1", "digest": None, "ships": ["ship1"]}]
    assert bg.release_lines(held) == [
        "web: live green: release 20261203T081500Z-3f2a (tag v2, reg/web:v2, sha256:aaaaaaaaaaaa, 2026-12-03T08:15:00Z); "
        "2 running, 0 stopped of 2; ships ship1, ship2",
        "web: kept blue: no release recorded (started outside a deploy) (reg/web:v1); 0 running, 1 stopped of 2; ships ship1",
    ]
    # no frontend yet: blue is live when it runs (started by maestro start)
    assert bg.releases(read, {"ship1": [info("web-1")]}, [], ["web"])["web"][0]["live"] is True
    assert bg.release_lines(bg.releases(read, {}, [], ["web"])) == ["web: no container of either colour"]


def test_an_interrupted_run_left_parked_is_put_back_first_and_counts_as_the_rollback_target():
    """Issue 14: a ship lost between parking and switching keeps the older colour parked and a partial new one in its
    slot. The next deploy (also of what runs) puts the parked one back first; a rollback goes back to it."""
    proxy = [{"name": "web", "colour": "green"}]
    left = {"ship1": [info("web-1-green"), info("web-1", status="running"), info("web-1.parked", status="stopped")], "ship2": [info("web-2-green")]}
    decision = decide(proxy=proxy, infos=left, tag=None)
    assert decision["plan"] == {"web": {"live": "green", "new": "blue", "routed": True}}  # not "already deployed"
    assert decision["ships"]["ship1"]["restore"] == [{"instance": "web-1", "colour": "blue", "wanted": True, "suffix": ""}]
    assert decision["ships"]["ship2"]["restore"] == []
    # rollback: the slot is gone on ship1 but its parked container is the target; ship2 has neither
    gone = {"ship1": [info("web-1-green"), info("web-1.parked", status="stopped")], "ship2": [info("web-2-green")]}
    rollback = decide("rollback", proxy=proxy, infos=gone, tag=None)
    assert rollback["missing"] == {"ship2": ["web-2"]}
    assert rollback["ships"]["ship1"]["restore"] == [{"instance": "web-1", "colour": "blue", "wanted": True, "suffix": ""}]


def test_the_outcome_of_a_failed_deploy_says_per_ship_what_was_done_and_left():
    proxy = [{"name": "web", "colour": "green"}]
    three = {**SHIPS, "ship3": [spec("web-3", ship="ship3", ship_ip="10.0.0.13")]}
    infos = {ship: [info(f"web-{n}-green", drift=["image"])] for n, ship in enumerate(sorted(three), start=1)}
    decision = bg.decide("deploy", ["web"], specs_by_ship=three, proxy_frontends=proxy, infos_by_ship=infos, frontends_cfg=FRONTENDS, tag="v2")
    every = ["ship1", "ship2", "ship3"]

    def said(**kwargs):
        return bg.outcome("deploy", decision, **{"parked": every, "removed": every, "restored": every, "switched": False, **kwargs})

    assert said() == "The traffic never left the live colour (green); the new colour was removed on every ship."
    assert said(parked=[]) == (
        "The traffic never left the live colour (green); nothing had been started, and the older colour is still in its slot on every ship, for rollback."
    )
    assert said(switched=True) == "The traffic had already moved to the new colour."
    # ship3 lost after the park: the undo reached ship1 and ship2 only
    assert said(removed=["ship1", "ship2"], restored=["ship1", "ship2"]) == (
        "The traffic never left the live colour (green); the new colour was removed and the older one put back on ship1, ship2; "
        "on ship3 the undo did not reach it: web-3 (the new colour) and web-3.parked (the older one, parked) are left as they were. "
        "The next deploy or rollback puts the parked colour back first."
    )
    assert said(parked=["ship1"], removed=["ship1"], restored=[]) == (
        "The traffic never left the live colour (green); nothing had been started on ship2, ship3; "
        "on ship1 the new colour was removed but web-1.parked could not be put back. The next deploy or rollback puts the parked colour back first."
    )
    rollback = bg.decide("rollback", ["web"], specs_by_ship=three, proxy_frontends=proxy, infos_by_ship=infos, frontends_cfg=FRONTENDS)
    assert bg.outcome("rollback", rollback, parked=every, removed=every, restored=[], switched=False) == (
        "The traffic never left the live colour (green); the new colour was stopped again on every ship."
    )
    assert bg.outcome("rollback", rollback, parked=[], removed=[], restored=[], switched=False) == (
        "The traffic never left the live colour (green); nothing had been started."
    )
    assert bg.outcome("rollback", rollback, parked=every, removed=["ship1"], restored=[], switched=False) == (
        "The traffic never left the live colour (green); the colour started again was stopped on ship1; "
        "on ship2 the undo did not reach it: web-2 may still run; on ship3 the undo did not reach it: web-3 may still run."
    )


def test_archived_releases_are_listed_per_colour_newest_first():
    read = bg.candidates(SHIPS, ["web"], FRONTENDS)
    r1 = {"id": "r1", "tag": "v1", "time": "t1", "image": "reg/web:v1", "digest": None}
    r2 = {"id": "r2", "tag": "v2", "time": "t2", "image": "reg/web:v2", "digest": None}
    archived = [{"name": "web-1.r2", "status": "stopped", "release": r2}, {"name": "web-1.r1", "status": "stopped", "release": r1}]
    infos = {"ship1": [{**info("web-1"), "release": r2, "archived": [*archived, {"name": "web-1.parked", "status": "stopped", "release": r1}]}]}
    held = bg.releases(read, infos, [{"name": "web", "colour": "blue"}], ["web"])
    assert [a["id"] for a in held["web"][0]["archived"]] == ["r2", "r1"]  # the parked one is not an archive
    assert bg.release_lines(held)[1:] == [
        "web: archived blue: release r2 (tag v2, reg/web:v2, t2); 1 stopped; ships ship1",
        "web: archived blue: release r1 (tag v1, reg/web:v1, t1); 1 stopped; ships ship1",
    ]


def test_a_rollback_to_a_named_release_swaps_it_in_refuses_the_live_colour_and_names_what_is_not_kept():
    proxy = [{"name": "web", "colour": "green"}]

    def slot(name, release, archived=()):
        return {**info(name, status="stopped"), "release": {"id": release}, "archived": [{"name": f"{name}.{r}", "release": {"id": r}} for r in archived]}

    infos = {
        "ship1": [slot("web-1", "r3", archived=["r1"]), {**slot("web-1-green", "r4", archived=["r2"]), "status": "running"}],
        "ship2": [slot("web-2", "r3", archived=["r1"]), {**slot("web-2-green", "r4", archived=["r2"]), "status": "running"}],
    }

    def rollback(target, found=None):
        return decide("rollback", proxy=proxy, infos=found or infos, tag=None, target=target)

    # the other colour's slot: a plain rollback; archived there: it trades places with the slot
    assert rollback("r3")["refusal"] is None and rollback("r3")["ships"]["ship1"]["swap"] == []
    assert rollback("r1")["refusal"] is None
    assert rollback("r1")["ships"]["ship2"]["swap"] == [{"instance": "web-2", "colour": "blue", "wanted": True, "suffix": ""}]
    # in the live colour (archived or live): refused, with the way round
    assert rollback("r2")["refusal"] == (
        "Release r2 is in the live colour (green), on ship ship1: web-1-green; on ship ship2: web-2-green: "
        "roll back first to the release of the other colour, then to r2"
    )
    assert rollback("r4")["refusal"].startswith("Release r4 is in the live colour (green)")
    # not kept on some ship
    partial = {**infos, "ship2": [slot("web-2", "r3"), slot("web-2-green", "r4")]}
    assert rollback("r1", partial)["refusal"] == "Release r1 is not kept on ship ship2: web-2 (maestro.docker.releases lists what is kept)"
    # without a target: the other colour, as before
    gone = {"ship1": infos["ship1"], "ship2": [info("web-2", status="absent", exists=False)]}
    assert decide("rollback", proxy=proxy, infos=gone, tag=None)["refusal"] == (
        "Nothing to roll back to on ship ship2: web-2 no longer exists (a later deploy removed the older colour)"
    )


# --- several proxies (issue 15) ----------------------------------------------------------------------------------


def proxy_frontend(name="web", colour="blue", port=8000):
    return {"name": name, "port": port, "colour": colour, "backends": [{"name": f"{name}-1", "address": "10.0.0.11", "port": 8080}]}


def test_proxies_that_agree_give_their_frontends_once():
    proxies = {ship: [proxy_frontend("web", "green"), proxy_frontend("api", "blue", 8001)] for ship in ("ship2", "ship1", "ship3")}
    assert bg.agreed_frontends(proxies) == [proxy_frontend("api", "blue", 8001), proxy_frontend("web", "green")]


def test_a_proxy_with_no_frontend_yet_is_left_out_of_the_agreement():
    assert bg.agreed_frontends({"ship1": [proxy_frontend("web", "green")], "ship2": [], "ship3": None}) == [proxy_frontend("web", "green")]
    assert bg.agreed_frontends({"ship1": [], "ship2": []}) == []


def test_a_frontend_only_some_proxies_have_counts_where_it_is():
    proxies = {"ship1": [proxy_frontend("web", "green"), proxy_frontend("api", "blue", 8001)], "ship2": [proxy_frontend("web", "green")]}
    assert [f["name"] for f in bg.agreed_frontends(proxies)] == ["api", "web"]


def test_proxies_that_disagree_name_the_service_the_colours_and_the_ships():
    proxies = {
        "ship1": [proxy_frontend("web", "green"), proxy_frontend("api", "blue", 8001)],
        "ship2": [proxy_frontend("web", "blue"), proxy_frontend("api", "blue", 8001)],
        "ship3": [proxy_frontend("web", "green"), proxy_frontend("api", None, 8001)],
    }
    with pytest.raises(bg.BlueGreenError) as found:
        bg.agreed_frontends(proxies)
    assert str(found.value).startswith(
        "The proxies disagree on the live colour: api is blue on ship1, ship2 but no colour on ship3; web is blue on ship2 but green on ship1, ship3. "
    )


def test_outcome_names_the_proxies_left_on_the_new_colour():
    decision = {"plan": {"web": {"live": "blue", "new": "green"}}, "ships": {"ship1": {}, "ship2": {}}}
    said = bg.outcome("deploy", decision, parked=["ship1"], removed=[], restored=[], switched=False, proxies_left=["ship2"])
    assert said.startswith("The proxies on ship2 had switched to the new colour and could not be switched back")
    # once the traffic had moved everywhere, that is what counts
    assert (
        bg.outcome("deploy", decision, parked=[], removed=[], restored=[], switched=True, proxies_left=["ship2"])
        == "The traffic had already moved to the new colour."
    )


def test_the_proxies_read_leave_out_those_skipped_and_need_one():
    results = {"ship1": {"frontends": [proxy_frontend()]}, "ship2": {"failed": True, "unreachable": True, "msg": "x"}, "ship3": {"frontends": []}}
    assert bg.proxies_read(results) == {"ship1": [proxy_frontend()], "ship3": []}
    with pytest.raises(bg.BlueGreenError, match=r"no proxy could be read \(ship1, ship2\): the live colour is unknown"):
        bg.proxies_read({"ship2": {"failed": True}, "ship1": {"failed": True}})


def test_a_deploy_that_succeeded_says_what_runs_where_and_what_was_kept():
    """Issue 16, point 6: a summary beyond PLAY RECAP."""
    new = {"instance": "web-1", "colour": "green", "wanted": True, "suffix": ""}
    decision = {
        "plan": {"web": {"live": "blue", "new": "green", "routed": "blue"}, "api": {"live": None, "new": "blue", "routed": None}},
        "ships": {
            "ship10": {"new": [{**new, "instance": "web-3"}], "live": []},
            "ship2": {"new": [new, {**new, "instance": "web-2"}, {**new, "instance": "api-1", "colour": "blue"}], "live": []},
        },
        "release": {"id": "20261203T081500Z-3f2a", "time": "2026-12-03T08:15:00Z", "tag": "v2"},
    }
    assert bg.summary("deploy", decision, ["ship10", "ship2"]) == (
        "Deploy done. api on blue: 1 instance on 1 ship, release 20261203T081500Z-3f2a (tag v2);"
        " web on green: 3 instances on 2 ships, release 20261203T081500Z-3f2a (tag v2); blue stopped and kept, for a rollback."
        " The traffic goes through the proxies on ship2, ship10."
    )
    assert bg.summary("deploy", {"plan": {}}, ["ship1"]) == "Deploy: every service already as wanted, nothing changed."
    rollback = {**decision, "plan": {"web": {"live": "green", "new": "blue", "routed": "green"}}, "release": None}
    rollback["ships"] = {"ship1": {"new": [{**new, "colour": "blue"}]}}
    assert bg.summary("rollback", rollback) == "Rollback done. web on blue: 1 instance on 1 ship; green stopped and kept, for the next deploy."


def test_the_summary_says_how_long_it_took_and_in_check_mode_what_it_would_leave():
    """Issue 16, point 6: Kamal's "Finished all in N s" is the bar; check mode says that nothing was changed."""
    decision = {
        "plan": {"web": {"live": "blue", "new": "green", "routed": "blue"}},
        "ships": {"ship1": {"new": [{"instance": "web-1", "colour": "green", "wanted": True, "suffix": ""}]}},
        "release": {"id": "20261203T081500Z-3f2a", "tag": "v2"},
    }
    assert bg.summary("deploy", decision, ["ship1"], seconds=41.4).startswith("Deploy done in 41 s. web on green: 1 instance on 1 ship")
    assert bg.summary("deploy", decision, ["ship1"], seconds=41.4, check_mode=True) == (
        "Check mode, nothing was changed: the deploy would leave web on green: 1 instance on 1 ship, release 20261203T081500Z-3f2a"
        " (tag v2); blue stopped and kept, for a rollback. The traffic would go through the proxies on ship1."
    )
    assert bg.summary("deploy", {"plan": {}}, seconds=0.6) == "Deploy: every service already as wanted, nothing changed (1 s)."


def test_the_summary_names_the_image_and_digest_the_start_step_created():
    decision = {
        "plan": {"web": {"live": "blue", "new": "green", "routed": "blue"}},
        "ships": {"ship1": {"new": [{"instance": "web-1", "colour": "green", "wanted": True, "suffix": ""}]}},
        "release": {"id": "20261203T081500Z-3f2a", "tag": "v2"},
    }
    made = {"service": "web", "image": "reg/web:v2", "digest": "sha256:3f2a9c01d4e8aaaaaaaaaaaa"}
    started = {"ship1": {"instances": [made, {**made, "service": "api", "image": "reg/api:v2"}]}, "ship2": {"instances": [made]}}
    assert bg.summary("deploy", decision, started=started).startswith(
        "Deploy done. web on green: 1 instance on 1 ship, release 20261203T081500Z-3f2a (tag v2), image reg/web:v2 sha256:3f2a9c01d4e8; blue"
    )


def test_a_canary_needs_a_live_colour_for_every_service_it_deploys():
    routed = {"live": "blue", "new": "green", "routed": True}
    first = {"live": None, "new": "blue", "routed": False}
    assert bg.canary_refusal({"web": routed}) is None
    assert bg.canary_refusal({}) is None
    assert bg.canary_refusal({"web": routed, "api": first}) == (
        "A canary compares the new colour with the live one, and the proxy routes api to no colour yet: deploy it once without maestro_deploy_canary."
    )
    assert bg.canary_refusal({"api": first, "db": first}).endswith("routes api, db to no colour yet: deploy them once without maestro_deploy_canary.")


def test_only_a_running_container_in_the_new_slot_is_stopped_first_and_a_restored_slot_is_not():
    proxy = [{"name": "web", "colour": "green"}]
    old = {"drift": [{"option": "image"}]}  # the live colour runs another tag than the deploy's
    quiet = {"ship1": [info("web-1-green", **old), info("web-1", status="stopped")], "ship2": [info("web-2-green", **old), info("web-2", status="stopped")]}
    decision = decide(proxy=proxy, infos=quiet)
    assert decision["plan"] == {"web": {"live": "green", "new": "blue", "routed": True}}
    assert [ship["stray"] for ship in decision["ships"].values()] == [[], []]
    # ship1: the blue slot runs (a run cut while it stopped blue); ship2: blue runs too, but an interrupted run parked
    # the older blue, which the restore puts back (stopped) after removing what runs in the slot
    stray = {
        "ship1": [info("web-1-green", **old), info("web-1")],
        "ship2": [info("web-2-green", **old), info("web-2"), info("web-2.parked", status="stopped")],
    }
    decision = decide(proxy=proxy, infos=stray)
    assert decision["ships"]["ship1"]["stray"] == [{"instance": "web-1", "colour": "blue", "wanted": True, "suffix": ""}]
    assert decision["ships"]["ship2"]["stray"] == [] and len(decision["ships"]["ship2"]["restore"]) == 1
