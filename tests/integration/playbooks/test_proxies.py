# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Issue 15, points 1 and 3: proxies on several ships, switched together in two phases, and a deploy lock held on a
quorum of them, on the real fleet, under load.

every: web on all 3 ships (2 instances each) behind a proxy on every ship (maestro_proxy.hosts: all); a load loop
through each proxy. partial: web on ship1 and ship2 only, behind proxies on ship1, ship2 and ship3, so that losing
ship3 loses a proxy (and a lock ship) and no instance. A lost ship is its link cut (the lost-ship test's fault).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest

from tests.fleet.load import Load
from tests.integration.playbooks.test_deploy import RATE, REPO, Env, each, play_until, run_ip

pytestmark = pytest.mark.fleet


class ProxiesEnv(Env):
    """An environment whose proxies run on several ships (``hosts``), with instances on ``instance_ships`` only."""

    def __init__(self, fleet, directory, inventory, suffix, *, offset, hosts, instance_ships=3):
        super().__init__(fleet, directory, inventory, suffix, fleet.image("v1"), offset=offset)
        keep = {ship.name for ship in self.ships[:instance_ships]}
        self.instances = {name: (ship, port) for name, (ship, port) in self.instances.items() if ship.name in keep}
        self.file = self.write(fleet.image("v1"))
        self.proxy_urls = {ship.name: f"http://{ship.ip}:{self.proxy_port}/" for ship in self.ships}
        self.vars["maestro_proxy"] = {**{k: v for k, v in self.vars["maestro_proxy"].items() if k != "host"}, "hosts": hosts}
        self.vars_file.write_text(json.dumps(self.vars))

    def with_proxy(self, **extra) -> str:
        """-e of maestro_proxy with these keys changed."""
        return json.dumps({"maestro_proxy": {**self.vars["maestro_proxy"], **extra}})

    def loads(self, ships) -> dict:
        return {ship: Load(self.proxy_urls[ship], rate=RATE, threads=2).start() for ship in ships}

    def proxy_config(self, ship: str) -> str | None:
        """The running proxy's configuration on a ship (its colour line), or None without a proxy."""
        client = self.clients[ship]
        name = f"maestro-proxy-{self.name}"
        if not client.containers.list(all=True, filters={"name": name}):
            return None
        return client.api.exec_start(client.api.exec_create(name, ["cat", "/usr/local/etc/haproxy/haproxy.cfg"])).decode()

    def colour(self, ship: str) -> str | None:
        config = self.proxy_config(ship)
        found = [line.split(":", 1)[1].strip() for line in (config or "").splitlines() if line.strip().startswith("# colour:")]
        return found[0] if found else None

    def states_on(self, ships, suffix: str = "") -> dict:
        """As states(), of the instances on ``ships`` only (a cut ship is not asked)."""
        everywhere = self.instances
        try:
            self.instances = {name: (ship, port) for name, (ship, port) in everywhere.items() if ship.name in ships}
            return self.states(suffix)
        finally:
            self.instances = everywhere

    def remove_proxy(self, ship: str) -> None:
        for found in self.clients[ship].containers.list(all=True, filters={"name": f"maestro-proxy-{self.name}"}):
            found.remove(force=True)

    def remove_all(self) -> None:
        super().remove_all()
        for ship in self.clients:
            self.remove_proxy(ship)
            for found in self.clients[ship].containers.list(all=True, filters={"name": f"maestro-lock-{self.name}"}):
                found.remove(force=True)


def made(fleet, inventory, directory, suffix, **kwargs):
    env = ProxiesEnv(fleet, directory, inventory, suffix, **kwargs)
    env.remove_all()
    yield env
    env.remove_all()


@pytest.fixture(scope="module")
def every(fleet, inventory, tmp_path_factory):
    yield from made(fleet, inventory, tmp_path_factory.mktemp("proxies"), "pa", offset=22, hosts="all")


@pytest.fixture(scope="module")
def partial(fleet, inventory, tmp_path_factory):
    yield from made(fleet, inventory, tmp_path_factory.mktemp("proxies3"), "pk", offset=32, hosts=["ship1", "ship2", "ship3"], instance_ships=2)


def under_load(env: ProxiesEnv, ships, playbook: str, *args: str):
    """Run a playbook with a load loop through the proxy of each of ``ships``; (process, {ship: during}, {ship: after})."""
    loads = env.loads(ships)
    try:
        time.sleep(1)
        before = {ship: load.snapshot() for ship, load in loads.items()}
        proc = env.play(playbook, *args)
        end = {ship: load.snapshot() for ship, load in loads.items()}
        time.sleep(2)
        after = {ship: load.snapshot().since(end[ship]) for ship, load in loads.items()}
    finally:
        for load in loads.values():
            load.stop()
    return proc, {ship: end[ship].since(before[ship]) for ship in loads}, after


def flat(text: str) -> str:
    return " ".join(text.split())


def cut(ship) -> None:
    run_ip("link", "set", ship.veth, "down")


def mend(ship) -> None:
    run_ip("link", "set", ship.veth, "up")


def test_proxies_on_every_ship_switch_together_under_load_and_roll_back(every):
    every.ok("playbooks/deploy.yml")
    assert {ship.name: every.colour(ship.name) for ship in every.ships} == dict.fromkeys(["ship1", "ship2", "ship3"], "blue")

    proc, during, after = under_load(every, ["ship1", "ship2", "ship3"], "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    assert proc.returncode == 0, proc.output[-8000:]
    for ship in ("ship1", "ship2", "ship3"):
        assert during[ship].requests >= 10 * during[ship].elapsed * 0.8 and during[ship].failures == 0, (ship, during[ship])
        assert after[ship].failures == 0 and set(after[ship].answers) == {"v2"}, (ship, after[ship])
    # two phases: every proxy checked its configuration, then all switched
    assert proc.output.index("  check the proxies (") < proc.output.index("  switch the proxies (")
    print("\n" + "\n".join(line.strip() for line in proc.output.splitlines() if "  check the proxies (" in line or "  switch the proxies (" in line))
    assert re.search(r"^  check the proxies \([\d.]+ s\): nothing to do on ship1, ship2, ship3$", proc.output, flags=re.M), proc.output[-5000:]
    assert {ship.name: every.colour(ship.name) for ship in every.ships} == dict.fromkeys(["ship1", "ship2", "ship3"], "green")
    assert each(every.states("-green"), "running v2") and each(every.states(), "stopped v1")

    proc, during, after = under_load(every, ["ship1", "ship2", "ship3"], "playbooks/rollback.yml")
    assert proc.returncode == 0, proc.output[-8000:]
    for ship in ("ship1", "ship2", "ship3"):
        assert during[ship].failures == 0 and after[ship].failures == 0 and set(after[ship].answers) == {"v1"}, (ship, during[ship], after[ship])
    assert {ship.name: every.colour(ship.name) for ship in every.ships} == dict.fromkeys(["ship1", "ship2", "ship3"], "blue")


def test_a_flaky_canary_on_every_proxy_is_aborted_at_its_first_step_and_every_proxy_goes_back(every):
    """Issue 15, point 4 on several proxies: each proxy takes the step's weights, the counters of all three are summed per
    colour, and the failed verdict puts every proxy back on the live colour; clients see at most the canary's share of
    the flaky rate, through each proxy."""
    steps = [{"weight": 10, "pause": 8}, {"weight": 50, "pause": 8}, {"weight": 100}]
    extra = {"maestro_deploy_canary": steps, "maestro_deploy_canary_thresholds": {"max_error_percent": 5, "min_requests": 10}}
    extra["maestro_deploy_canary_stats_port"] = every.proxy_port + 1
    proc, during, after = under_load(every, ["ship1", "ship2", "ship3"], "playbooks/deploy.yml", "-e", "maestro_deploy_tag=flaky", "-e", json.dumps(extra))
    assert proc.returncode != 0, proc.output[-5000:]
    out = flat(proc.output)
    assert "The canary failed at step 1 (10% of the traffic to the new colour for 8 s), and every proxy is back on the live colour" in out, out[-5000:]
    assert "canary 10%" in out and "canary 50%" not in out
    assert "servers" in out and "error rate of green" in out
    for ship in ("ship1", "ship2", "ship3"):
        assert set(during[ship].errors) <= {"HTTP 500"}, (ship, during[ship])
        assert during[ship].failures <= 0.1 * 0.2 * during[ship].requests * 2 + 2, (ship, during[ship])
        assert after[ship].requests > 0 and after[ship].failures == 0 and set(after[ship].answers) == {"v1"}, (ship, after[ship])
    assert {ship.name: every.colour(ship.name) for ship in every.ships} == dict.fromkeys(["ship1", "ship2", "ship3"], "blue")
    assert each(every.states(), "running v1"), every.states()
    print(f"flaky canary on 3 proxies: {sum(d.failures for d in during.values())} failed of {sum(d.requests for d in during.values())} requests")


def test_a_proxy_ship_cut_fails_the_deploy_before_any_proxy_switches_and_names_it(every):
    ship3 = every.ships[2]
    before = (every.states(), every.states("-green"))
    cut(ship3)
    try:
        time.sleep(3)  # the proxies' checks take ship3's instances out (inter 1s, fall 2)
        proc, during, after = under_load(every, ["ship1", "ship2"], "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
        states = (every.states_on(["ship1", "ship2"]), every.states_on(["ship1", "ship2"], "-green"))
        colours = [every.colour(s) for s in ("ship1", "ship2")]
    finally:
        mend(ship3)
    assert proc.returncode != 0
    out = flat(proc.output)
    assert "read the proxies: ship ship3 cannot be reached: Error" in out, out[-4000:]
    assert "Deploy of web (blue-green) failed." in out and "Traceback" not in out
    # the lock held on the two ships left, naming the lost one
    assert f"Deploy lock maestro-lock-{every.name} is held on 2 of 3 ships (ship1, ship2), a quorum of 2, without ship ship3 cannot be reached" in out
    for ship in ("ship1", "ship2"):
        assert during[ship].failures == 0 and after[ship].failures == 0 and set(after[ship].answers) == {"v1"}, (ship, during[ship], after[ship])
    assert "switch the proxies" not in out and "start the new colour" not in out
    assert states == tuple({name: state for name, state in b.items() if not name.startswith(f"{every.name}-ship3")} for b in before)
    assert colours == ["blue", "blue"]
    assert {ship.name: every.colour(ship.name) for ship in every.ships} == dict.fromkeys(["ship1", "ship2", "ship3"], "blue")
    assert every.lock() is None  # released where it was held


def test_a_run_killed_holding_the_lock_on_every_ship_is_refused_until_its_lease_expires_then_taken_over_everywhere(every):
    """The deploy lock held on three ships (a proxy on each) by an ansible-playbook SIGKILLed mid-deploy: the next run is
    refused on every ship, naming the holder, and moves nothing; once the lease has expired, the next run takes the
    lock over on every ship, says so, converges, and gives the lock back on every ship."""
    ttl, names = 30, [ship.name for ship in every.ships]
    every.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")  # blue v1 live (after the tests above: nothing to do)
    assert {ship: every.colour(ship) for ship in names} == dict.fromkeys(names, "blue")
    assert each(every.states(), "running v1"), every.states()
    killed = every.start("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", "-e", f"maestro_deploy_lock_ttl={ttl}")
    try:
        deadline = time.monotonic() + 60
        while killed.poll() is None and time.monotonic() < deadline and not all(lock_listed(every, ship) for ship in names):
            time.sleep(0.02)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the playbook and its workers, as kill -9 of a controller's session
        killed.wait(timeout=30)
    held = {ship: lock_on(every, ship) for ship in names}
    assert all(held.values()), f"the deploy ended before it took the lock everywhere: {held}"
    assert {labels["maestro.lock.pid"] for labels in held.values()} == {str(killed.pid)}
    assert len({labels["maestro.lock.token"] for labels in held.values()}) == 1  # one lock, on three ships
    expires = time.time() + ttl

    refused = every.play("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
    assert time.time() < expires, "the refused run reached the lock after the lease: make the ttl longer"
    assert refused.returncode != 0
    out = flat(refused.output)
    assert f"Deploy lock maestro-lock-{every.name} taken on 0 of 3 ships (none), fewer than the quorum of 2" in out, out[-3000:]
    for ship in names:
        assert f"Deploy lock maestro-lock-{every.name} on ship {ship} is held by " in out and f"(pid {killed.pid}, playbook" in out
    assert "Traceback" not in out and "start the new colour" not in out
    assert each(every.states(), "running v1") and {ship: every.colour(ship) for ship in names} == dict.fromkeys(names, "blue")  # nothing moved
    assert {ship: lock_on(every, ship)["maestro.lock.token"] for ship in names} == {ship: held[ship]["maestro.lock.token"] for ship in names}

    time.sleep(max(expires - time.time() + 1, 0))
    taken = flat(every.ok("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2"))
    for ship in names:
        assert f"Deploy lock maestro-lock-{every.name} on ship {ship}: took over the stale lock of " in taken, taken[-4000:]
    assert held["ship1"]["maestro.lock.token"] not in taken
    assert {ship: every.colour(ship) for ship in names} == dict.fromkeys(names, "green")
    assert each(every.states("-green"), "running v2") and each(every.states(), "stopped v1")
    assert all(lock_on(every, ship) is None for ship in names)


def test_unreachable_skip_deploys_through_the_other_proxies_and_names_the_skipped_one(partial):
    partial.ok("playbooks/deploy.yml")
    ship3 = partial.ships[2]
    cut(ship3)
    try:
        proc, during, after = under_load(
            partial, ["ship1", "ship2"], "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2", "-e", partial.with_proxy(unreachable="skip")
        )
    finally:
        mend(ship3)
    assert proc.returncode == 0, proc.output[-8000:]
    out = flat(proc.output)
    assert "[WARNING]: read the proxies: ship ship3 cannot be reached, skipped (unreachable=skip)" in out, out[-4000:]
    assert "[WARNING]: switch the proxies: ship ship3 cannot be reached, skipped" in out or "check the proxies: ship ship3 cannot be reached, skipped" in out
    for ship in ("ship1", "ship2"):
        assert during[ship].failures == 0 and after[ship].failures == 0 and set(after[ship].answers) == {"v2"}, (ship, during[ship], after[ship])
    assert [partial.colour(s) for s in ("ship1", "ship2", "ship3")] == ["green", "green", "blue"]

    # ship3 back, its proxy on the other colour: the next run refuses, naming the colours and the ships
    refused = partial.play("playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
    assert refused.returncode != 0
    assert "The proxies disagree on the live colour: web is blue on ship3 but green on ship1, ship2." in flat(refused.output), refused.output[-3000:]
    # the way out it names: remove the odd proxy; the next deploy makes it again, with the others' frontends
    partial.remove_proxy("ship3")
    proc, during, after = under_load(partial, ["ship1", "ship2"], "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v1")
    assert proc.returncode == 0, proc.output[-8000:]
    assert all(during[s].failures == 0 and set(after[s].answers) == {"v1"} for s in during), (during, after)
    assert [partial.colour(s) for s in ("ship1", "ship2", "ship3")] == ["blue", "blue", "blue"]


def test_a_proxy_lost_between_the_check_and_the_switch_puts_every_proxy_back(partial):
    """ship3 is cut once every proxy has checked its configuration: the switch fails on ship3 after ship1 and ship2 have
    switched; they switch back, the new colour goes, and no request fails through them."""
    ship3 = partial.ships[2]
    before = (partial.states(), partial.states("-green"))
    loads = partial.loads(["ship1", "ship2"])
    try:
        time.sleep(1)
        start = {ship: load.snapshot() for ship, load in loads.items()}
        try:
            proc = play_until(partial, "  check the proxies (", lambda: cut(ship3), "playbooks/deploy.yml", "-e", "maestro_deploy_tag=v2")
        finally:
            mend(ship3)
        end = {ship: load.snapshot() for ship, load in loads.items()}
        time.sleep(2)
        after = {ship: load.snapshot().since(end[ship]) for ship, load in loads.items()}
    finally:
        for load in loads.values():
            load.stop()
    assert proc.returncode != 0
    out = flat(proc.output)
    assert "switch the proxies: ship ship3 cannot be reached: Error" in out, out[-5000:]
    assert re.search(r"switch the proxies back \([\d.]+ s\): done on ship1, ship2", out)
    assert "The traffic never left the live colour (blue); the new colour was removed on every ship." in out, out[-3000:]
    for ship in ("ship1", "ship2"):
        during = end[ship].since(start[ship])
        assert during.failures == 0 and after[ship].failures == 0 and set(after[ship].answers) == {"v1"}, (ship, during, after[ship])
    assert [partial.colour(s) for s in ("ship1", "ship2", "ship3")] == ["blue", "blue", "blue"]
    assert (partial.states(), partial.states("-green")) == before
    assert each(partial.states(".parked"), "absent")


def lock_play(env: ProxiesEnv, tmp_path, *, output: bool = False, **lock_vars):
    """The quorum_lock task's result (and with ``output``, the playbook's process too)."""
    result_file = tmp_path / f"lock-{time.monotonic_ns()}.json"
    extra = {"lock_name": f"maestro-lock-{env.name}", "lock_ships": ["ship1", "ship2", "ship3"], "result_file": str(result_file), **lock_vars}
    proc = env.play(str(REPO / "tests/integration/playbooks/quorum_lock.yml"), "-e", json.dumps(extra))
    assert proc.returncode == 0, proc.output[-4000:]
    found = json.loads(result_file.read_text())
    return (proc, found) if output else found


def lock_listed(env: ProxiesEnv, ship: str) -> bool:
    """Whether the lock container is on the ship, from the list alone: while a run takes the lock, a container of the
    same name prefix may come and go between a list and an inspect (lock_on would fail on it)."""
    listed = env.clients[ship].api.containers(all=True, filters={"name": f"maestro-lock-{env.name}"})
    return any(f"/maestro-lock-{env.name}" in (found.get("Names") or []) for found in listed)


def lock_on(env: ProxiesEnv, ship: str):
    found = env.clients[ship].containers.list(all=True, filters={"name": f"maestro-lock-{env.name}"})
    return found[0].labels if found else None


def test_the_lock_holds_on_two_of_three_ships_when_one_is_lost_and_a_minority_gives_back(partial, tmp_path):
    ship3 = partial.ships[2]
    cut(ship3)
    try:
        proc, taken = lock_play(partial, tmp_path, output=True)
        assert not taken.get("failed"), taken
        assert taken["held_on"] == ["ship1", "ship2"] and taken["unreachable_ships"] == ["ship3"] and taken["quorum"] == 2
        assert "held on 2 of 3 ships (ship1, ship2), a quorum of 2, without ship ship3 cannot be reached" in flat(proc.output)
        token = taken["lock"]["token"]
        assert lock_on(partial, "ship1")["maestro.lock.token"] == lock_on(partial, "ship2")["maestro.lock.token"] == token
        # a second run is refused: it reaches no ship that it could take
        second = lock_play(partial, tmp_path, lock_who="bob@elsewhere")
        assert second["failed"] and "taken on 0 of 3 ships (none), fewer than the quorum of 2" in second["msg"], second
        assert "cannot be reached" in second["msg"] and "ship3" in second["msg"]
        released = lock_play(partial, tmp_path, lock_state="absent", lock_token=token, lock_ships=["ship1", "ship2"])
        assert not released.get("failed") and released["held_on"] == ["ship1", "ship2"], released
        assert lock_on(partial, "ship1") is None and lock_on(partial, "ship2") is None

        # alice holds it on ship1: with ship3 lost, a take reaches ship2 only, fails naming both, and gives ship2 back
        hold = REPO / "tests/integration/playbooks/lock_hold.yml"
        held = partial.play(str(hold), "-e", json.dumps({"lock_name": f"maestro-lock-{partial.name}", "lock_host": "ship1"}))
        assert held.returncode == 0, held.output[-3000:]
        minority = lock_play(partial, tmp_path)
        assert minority["failed"], minority
        assert minority["msg"].startswith(
            f"Deploy lock maestro-lock-{partial.name} taken on 1 of 3 ships (ship2), fewer than the quorum of 2; given back on ship2: "
        )
        assert f"Deploy lock maestro-lock-{partial.name} on ship ship1 is held by alice@elsewhere" in minority["msg"]
        assert "ship ship3 cannot be reached" in minority["msg"]
        assert lock_on(partial, "ship2") is None and lock_on(partial, "ship1")["maestro.lock.who"] == "alice@elsewhere"
    finally:
        mend(ship3)
    broken = lock_play(partial, tmp_path, lock_state="absent", lock_force=True)
    assert not broken.get("failed") and lock_on(partial, "ship1") is None, broken
