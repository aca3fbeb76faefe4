"""Switching maestro.docker.proxy's backends under a steady load drops no request.

The proxy runs on ship1, blue (demo/web:v1) on ship2 and green (demo/web:v2) on ship3. A load of
40 requests/s goes through the proxy while the module switches blue -> green -> blue -> green; after
each switch every answer comes from the new colour, and no request fails across all of it.
"""

from __future__ import annotations

import time

import pytest

from tests.fleet.fleet import PROXY_REPOSITORY, PROXY_TAG
from tests.fleet.load import Load
from tests.integration.plugins.modules.colours import colour_spec, port_block, wait_port
from tests.integration.plugins.modules.conftest import run_module

pytestmark = pytest.mark.fleet

RATE = 40
SETTLE = 1.5  # seconds of load looked at after each switch


@pytest.mark.parametrize("keepalive", [False, True], ids=["new-connection-per-request", "keep-alive-client"])
def test_switching_colours_under_load_fails_no_request(fleet, name_prefix, keepalive):
    proxy_ship, blue_ship, green_ship = fleet.ships[:3]
    backend_port = port_block()
    frontend_port = backend_port + 1
    proxy = f"{name_prefix}-proxy"

    def spec(ship, colour: str, tag: str) -> dict:
        return colour_spec(fleet, name_prefix, ship, colour, tag=tag, port=backend_port)

    colours = {"blue": (blue_ship, spec(blue_ship, "blue", "v1"), "v1"), "green": (green_ship, spec(green_ship, "green", "v2"), "v2")}

    def route_to(colour: str) -> dict:
        ship, instance, _version = colours[colour]
        frontend = {
            "name": "web",
            "port": frontend_port,
            "colour": colour,
            "health_path": "/health",
            "backends": [{"name": instance["name"], "address": ship.ip, "port": backend_port}],
        }
        return run_module("proxy", proxy_ship, {"name": proxy, "image": fleet.image(PROXY_TAG, PROXY_REPOSITORY), "frontends": [frontend], "drain_timeout": 10})

    try:
        for ship, instance, _version in colours.values():
            started = run_module("instance", ship, {"instances": [instance]})
            assert not started.get("failed"), started
            wait_port(ship.ip, backend_port)
        first = route_to("blue")
        assert not first.get("failed") and first["actions"] == ["created", "started"], first

        load = Load(f"http://{proxy_ship.ip}:{frontend_port}/", rate=RATE, threads=4, keepalive=keepalive).start()
        try:
            time.sleep(SETTLE)
            assert load.snapshot().answers.keys() == {"v1"}, load.snapshot()
            for colour in ("green", "blue", "green"):
                switched = route_to(colour)
                assert not switched.get("failed"), switched
                assert switched["reloaded"] and switched["drained"], switched
                mark = load.snapshot()
                time.sleep(SETTLE)
                window = load.snapshot().since(mark)
                version = colours[colour][2]
                # every request sent after the module returned was answered by the new colour
                assert window.requests > 0 and window.answers == {version: window.requests}, (colour, window)
        finally:
            total = load.stop()
        assert total.failures == 0, total
        assert total.rate >= 20, total
        assert set(total.answers) == {"v1", "v2"}
    finally:
        run_module("proxy", proxy_ship, {"name": proxy, "state": "absent", "drain_timeout": 1})
        for ship, instance, _version in colours.values():
            run_module("instance", ship, {"instances": [instance], "state": "absent"})
