# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check mode's chain (ShipClient.assume_moves): which real container a name stands for after earlier steps' moves.

Pure name bookkeeping, so the daemon is a dict here; the integration test of a --check --diff deploy
(tests/integration/playbooks/test_deploy.py) proves it against a real daemon.
"""

from __future__ import annotations

from docker.errors import NotFound

from ansible_collections.maestro.docker.plugins.module_utils._docker.client import ShipClient


class Daemon:
    """Containers by name, as inspect and list return them."""

    def __init__(self, *names, aliases=None):
        self.names = names
        self.aliases = aliases or {}  # name -> its link aliases (/app-1/db), which Docker lists beside its own name

    def inspect_container(self, name):
        if name not in self.names:
            raise NotFound(name)
        return {"Id": f"id-{name}", "Name": f"/{name}"}

    def containers(self, all, filters=None):  # noqa: A002 - the SDK's keyword
        return [{"Id": f"id-{name}", "Names": sorted([f"/{name}", *self.aliases.get(name, [])])} for name in self.names]


def client(*names, aliases=None) -> ShipClient:
    made = ShipClient.__new__(ShipClient)
    made.api, made.ship, made._seen_as = Daemon(*names, aliases=aliases), "ship1", {}
    return made


def test_a_park_empties_the_slot_and_the_parked_name_is_the_old_container():
    ship = client("web-1", "web-1-green")
    ship.assume_moves([["web-1", "web-1.parked"]])
    assert ship.inspect_container("web-1") is None
    assert ship.inspect_container("web-1.parked") == {"Id": "id-web-1", "Name": "/web-1.parked"}
    assert ship.inspect_container("web-1-green")["Id"] == "id-web-1-green"
    assert sorted(c["Names"][0] for c in ship.containers({})) == ["/web-1-green", "/web-1.parked"]


def test_moves_chain_in_order_and_a_removal_hides_the_container():
    ship = client("web-1", "web-1.parked")
    # an interrupted run's leftovers: the new colour removed, the parked one put back, then parked again, then removed
    ship.assume_moves([["web-1", None], ["web-1.parked", "web-1"], ["web-1", "web-1.parked"]])
    assert ship.inspect_container("web-1") is None
    assert ship.inspect_container("web-1.parked")["Id"] == "id-web-1.parked"
    assert [c["Names"] for c in ship.containers({})] == [["/web-1.parked"]]
    ship.assume_moves([*[["web-1", None], ["web-1.parked", "web-1"], ["web-1", "web-1.parked"]], ["web-1.parked", None]])
    assert ship.inspect_container("web-1.parked") is None and ship.containers({}) == []


def test_without_moves_reads_are_the_daemons():
    ship = client("web-1")
    ship.assume_moves(None)
    assert ship.inspect_container("web-1")["Name"] == "/web-1" and ship.inspect_container("web-2") is None


def test_a_link_alias_listed_first_does_not_hide_a_renamed_container():
    # Docker lists a container's names sorted: app-1's link alias of zz-1 comes before zz-1's own name
    ship = client("zz-1", "app-1", aliases={"zz-1": ["/app-1/zz"]})
    ship.assume_moves([["zz-1", "zz-1.parked"]])
    assert ship.container_names() == {"app-1", "zz-1.parked"}
    ship.assume_moves(None)
    assert ship.container_names() == {"app-1", "zz-1", "app-1/zz"}  # an alias never equals an instance name
