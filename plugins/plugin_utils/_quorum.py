# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""A deploy lock held on a quorum of ships: what the per-ship results of taking or releasing it add up to.

Each ship holds its own lock container (``module_utils/_docker/lock.py``: atomic on that ship, with the holder,
lease and break of a single lock), all with one token. A run holds the deploy lock when it holds it on a quorum
(by default a majority) of the ships: of two runs, at most one can, so the lock survives the loss of a minority of
ships. A take that reaches fewer gives back what it took. Pure logic over the module's results, unit-tested.
"""

from __future__ import annotations


class QuorumError(ValueError):
    """A quorum that cannot be: the message says why."""


def majority(count: int) -> int:
    return count // 2 + 1


def needed(quorum: int | None, count: int) -> int:
    """The number of ships that must hold the lock: ``quorum``, or a majority of ``count`` when not given."""
    if count < 1:
        raise QuorumError("the deploy lock needs at least one ship")
    if quorum is None:
        return majority(count)
    if not 1 <= quorum <= count:
        raise QuorumError(f"the lock's quorum must be from 1 to the number of its ships ({count}), not {quorum}")
    if quorum <= count // 2 and count > 1:
        # two runs could each hold a quorum on different ships: then the lock excludes nothing
        raise QuorumError(f"a quorum of {quorum} of {count} ships lets two runs hold the lock at once: it must be more than half ({majority(count)} or more)")
    return quorum


def _reason(ship: str, result: dict) -> str:
    msg = str(result.get("msg") or "failed")
    return f"ship {ship} cannot be reached: {msg}" if result.get("unreachable") else msg


def _list(ships) -> str:
    return ", ".join(ships) or "none"


def taken(name: str, results: dict, quorum: int) -> dict:
    """What taking the lock on every ship came to (``results``: ship -> the lock module's result there).

    ``ok`` when at least ``quorum`` ships hold it. ``held``: the ships that do (to release again when not ok);
    ``unreachable``: those not reached; ``refused``: per ship the message of the others (held by someone else).
    ``msg`` (not ok) or ``warnings`` (ok, but some ship did not take it) name the ships and why. One ship: its own
    message, as the single lock words it.
    """
    ships = sorted(results)
    held = [ship for ship in ships if not results[ship].get("failed")]
    unreachable = [ship for ship in ships if results[ship].get("failed") and results[ship].get("unreachable")]
    missed = [ship for ship in ships if ship not in held]
    reasons = list(dict.fromkeys(_reason(ship, results[ship]) for ship in missed))
    outcome = {
        "ok": len(held) >= quorum,
        "held": held,
        "unreachable": unreachable,
        "refused": {s: str(results[s].get("msg")) for s in missed if s not in unreachable},
    }
    if outcome["ok"]:
        outcome["warnings"] = (
            [f"Deploy lock {name} is held on {len(held)} of {len(ships)} ships ({_list(held)}), a quorum of {quorum}, without " + "; ".join(reasons)]
            if missed
            else []
        )
    elif len(ships) == 1:
        outcome["msg"] = reasons[0]
    else:
        back = f"; given back on {_list(held)}" if held else ""
        outcome["msg"] = (
            f"Deploy lock {name} taken on {len(held)} of {len(ships)} ships ({_list(held)}), fewer than the quorum of {quorum}{back}: " + "; ".join(reasons)
        )
    return outcome


def released(name: str, results: dict) -> dict:
    """What releasing the lock on every ship that held it came to. A ship that cannot be reached keeps its lock
    container (a warning names it: the next run takes the lock on the others, or breaks it, or its lease ends); any
    other failure (the lock there is no longer ours) fails the release."""
    ships = sorted(results)
    unreachable = [ship for ship in ships if results[ship].get("failed") and results[ship].get("unreachable")]
    failed = [ship for ship in ships if results[ship].get("failed") and ship not in unreachable]
    outcome = {
        "ok": not failed,
        "released": [ship for ship in ships if not results[ship].get("failed")],
        "unreachable": unreachable,
        "warnings": [
            f"Deploy lock {name} stays on ship {ship}, which cannot be reached: {results[ship].get('msg')}; it is taken over when its lease "
            "expires, or broken with force, and a run holds the lock on the other ships without it"
            for ship in unreachable
        ],
    }
    if failed:
        outcome["msg"] = "; ".join(dict.fromkeys(str(results[ship].get("msg") or "release failed") for ship in failed))
    return outcome
