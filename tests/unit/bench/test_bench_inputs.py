"""The benchmark's inputs (bench/): every tool gets the same instances, names and ports. No fleet needed."""

from __future__ import annotations

import json

import yaml

from bench import run
from bench.scenario import MANAGED_LABEL, Scenario, Ship
from bench.tools import REPO, collection, community_docker, floor, floor_bluegreen, maestro_ng


def scenario(ships: int = 2, per_ship: int = 3) -> Scenario:
    return Scenario([Ship(f"ship{i}", f"10.9.9.{10 + i}", f"tcp://10.9.9.{10 + i}:2375") for i in range(1, ships + 1)], per_ship, "10.9.9.1:5000")


def test_instances_are_named_per_ship_with_distinct_ports():
    s = scenario()
    assert [i.name for i in s.instances][:4] == ["web-ship1-1", "web-ship1-2", "web-ship1-3", "web-ship2-1"]
    assert {i.port for i in s.instances if i.ship == "ship1"} == {20001, 20002, 20003}
    assert s.image("v2") == "10.9.9.1:5000/demo/web:v2"


def test_maestro_file_describes_the_same_instances(tmp_path):
    s = scenario()
    steps = maestro_ng.commands(s, "v2", tmp_path)
    conf = yaml.safe_load((tmp_path / "maestro.yaml").read_text())
    assert conf["ships"]["ship2"] == {"ip": "10.9.9.12"}
    web = conf["services"]["web"]
    assert web["image"] == s.image("v2")
    # every tool labels its containers as the start state does, so no tool has to reset after another
    labels = {"maestro.managed": "true"}
    assert web["instances"]["web-ship2-3"] == {"ship": "ship2", "ports": {"http": "8080:20003"}, "stop_timeout": 10, "labels": labels}
    assert [st.argv[3:] for st in steps] == [["pull"], ["stop", "-a"], ["clean"], ["start"]]


def test_the_peers_label_their_containers_like_the_start_state():
    play = yaml.safe_load((REPO / "bench" / "playbooks" / "community-upgrade.yml").read_text())
    start = next(t for t in play[0]["tasks"] if t.get("community.docker.docker_container", {}).get("state") == "started")
    assert start["community.docker.docker_container"]["labels"] == MANAGED_LABEL
    assert floor.LABELS == MANAGED_LABEL


def test_community_inventory_has_every_ship_and_forks_cover_them(tmp_path):
    s = scenario(ships=6, per_ship=10)
    community_docker.commands(s, "v1", tmp_path)
    inv = community_docker.inventory(s, "v1")["ships"]
    assert inv["hosts"]["ship6"] == {"docker_host": "tcp://10.9.9.16:2375"}
    assert inv["vars"]["web_instances"] == 10
    assert "forks = 6" in (tmp_path / "ansible.cfg").read_text()


def test_collection_runs_its_verb_playbooks_on_the_maestro_ng_file(tmp_path):
    s = scenario()
    steps = collection.SEQUENCE.commands(s, "v2", tmp_path)
    assert [st.name for st in steps] == ["pull", "stop", "clean", "start"]
    assert [st.argv[-1].rsplit("/", 2)[-2:] for st in steps] == [["playbooks", f"{v}.yml"] for v in ("pull", "stop", "clean", "start")]
    assert all(st.argv[1:3] == ["-i", str(tmp_path / "maestro.yaml")] for st in steps)
    # the very file maestro-ng gets: existing maestro files work unchanged
    assert (tmp_path / "maestro.yaml").read_text() == maestro_ng.maestro_file(s, "v2")
    assert collection.SEQUENCE.check is None and collection.SEQUENCE.prepare is not None


def test_collection_stop_start_is_one_deploy_command(tmp_path):
    (step,) = collection.STOP_START.commands(scenario(), "v1", tmp_path)
    assert step.argv[-3].endswith("playbooks/deploy.yml")
    assert yaml.safe_load(step.argv[-1])["maestro_deploy_strategy"] == "stop-start"


def test_collection_blue_green_deploys_behind_the_proxy_on_the_first_ship(tmp_path):
    s = scenario()
    (step,) = collection.BLUE_GREEN.commands(s, "v2", tmp_path)
    assert step.argv[-2:] == ["-e", f"@{tmp_path / 'deploy-vars.json'}"]
    proxy = yaml.safe_load((tmp_path / "deploy-vars.json").read_text())["maestro_proxy"]
    assert proxy["host"] == "ship1" and proxy["name"].startswith("web-")  # the driver's reset removes web-* containers
    assert proxy["frontends"]["web"]["backend_port"] == "http"  # the maestro file's port name
    assert collection.BLUE_GREEN.check is collection.blue_green_check


def test_sizes_and_summary_ratios():
    assert run.parse_sizes("3x1,10,6x10", ships=3) == [(3, 1), (3, 10), (6, 10)]
    runs = [
        {"size": "3x1", "ships": 3, "per_ship": 1, "tool": t, "converged": True, "seconds": sec, "cpu": 0.1, "steps": {"sequence": sec}}
        for t, sec in (("floor", 1.0), ("floor", 3.0), ("maestro-ng", 4.0), ("maestro-ng", 8.0))
    ]
    rows = run.summary({"runs": runs, "unavailable": {"maestro.docker": "not yet available: x"}})
    maestro = next(r for r in rows if r["tool"] == "maestro-ng")
    assert (maestro["min"], maestro["median"], maestro["ratio_min"], maestro["ratio_median"]) == (4.0, 6.0, 4.0, 3.0)
    assert next(r for r in rows if r["tool"] == "maestro.docker")["status"] == "not yet available: x"


def test_the_blue_green_floor_keeps_its_own_proxy_and_writes_a_config_haproxy_routes(tmp_path):
    s = scenario()
    [step] = floor_bluegreen.commands(s, "v2", tmp_path)
    spec = json.loads((tmp_path / "scenario.json").read_text())
    assert step.argv[1:] == [floor_bluegreen.__file__, str(tmp_path / "scenario.json")]
    assert (spec["proxy_ship"], spec["proxy_port"], spec["image"]) == ("ship1", floor_bluegreen.PROXY_PORT, s.image("v2"))
    # its own proxy, on another port than the collection's: neither takes the other's end state for its start state
    assert (floor_bluegreen.PROXY_NAME, floor_bluegreen.PROXY_PORT) != (collection.PROXY_NAME, collection.PROXY_PORT)
    assert floor_bluegreen.PROXY_NAME.startswith("web-")  # the driver's reset removes it
    text = floor_bluegreen.config([("web-ship1-1-green", "10.9.9.11", 30001)], 19001)
    assert "  bind :19001\n" in text and "  server web-ship1-1-green 10.9.9.11:30001\n" in text


def test_start_up_is_an_empty_play_on_the_same_ships_file(tmp_path):
    step = collection.start_up(scenario(), tmp_path)
    assert step.argv[1:3] == ["-i", str(tmp_path / "maestro.yaml")] and step.argv[-1].endswith("bench/playbooks/start-up.yml")
    play = yaml.safe_load((REPO / "bench" / "playbooks" / "start-up.yml").read_text())
    assert play[0]["tasks"] == [] and play[0]["hosts"] == "maestro_ships"
