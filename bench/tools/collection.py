"""Hook for this collection (maestro.docker): part (a) of the benchmark. NOT YET AVAILABLE.

Two sequences are timed for this collection, like the peers, as whole commands:

* ``maestro.docker`` — the seed's sequence (pull, stop, clean, start) on the same service;
* ``maestro.docker blue/green`` — the collection's blue/green deploy of the same change.

To plug them in, fill in ``SEQUENCE_COMMANDS`` / ``BLUE_GREEN_COMMANDS`` below (nothing else in
the driver changes). Each is a function ``(scenario, target, workdir) -> list[Step]`` that writes
its files into ``workdir`` (untimed) and returns the commands to time, for example::

    def sequence(scenario, target, workdir):
        (workdir / "maestro.yaml").write_text(maestro_ng.maestro_file(scenario, target))
        play = [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(workdir / "maestro.yaml")]
        return [Step(step, [*play, str(REPO / "playbooks" / f"{step}.yml")]) for step in ("pull", "stop", "clean", "start")]

The scenario (bench/scenario.py) gives the ships (name, ip, docker_host), the instances
(name ``web-<ship>-<i>``, ship, host port) and ``scenario.image(target)``. The collection runs with
the project's own venv (.venv, ansible-core from requirements.txt) and ``ANSIBLE_CONFIG`` pointing
at the checkout's ansible.cfg, so its FQCNs resolve through .collections/. The maestro file that
``maestro_ng.maestro_file()`` writes is the equivalent input in maestro's format.
After the commands, the driver checks (untimed) that every instance ``web-<ship>-<i>`` runs the
target image and serves it on its host port (``scenario.check``). A blue/green deploy whose end
state looks different (other container names, traffic through a proxy) sets ``BLUE_GREEN_CHECK``
to its own ``(scenario, target) -> list[str]`` of problems; the next run must start from its end state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.tools import Step

SEQUENCE_COMMANDS: Callable[..., list[Step]] | None = None
BLUE_GREEN_COMMANDS: Callable[..., list[Step]] | None = None
SEQUENCE_CHECK: Callable[..., list[str]] | None = None
BLUE_GREEN_CHECK: Callable[..., list[str]] | None = None

NOT_YET = "not yet available: the collection's playbooks are being written (fill in bench/tools/collection.py)"


class _Hook:
    def __init__(self, name: str, label: str, attr: str, check_attr: str) -> None:
        self.NAME, self.LABEL, self._attr, self._check_attr = name, label, attr, check_attr

    @property
    def check(self):
        return globals()[self._check_attr]

    def _fn(self):
        return globals()[self._attr]

    def unavailable(self) -> str | None:
        return None if self._fn() else NOT_YET

    def commands(self, scenario, target: str, workdir: Path) -> list[Step]:
        return self._fn()(scenario, target, workdir)


SEQUENCE = _Hook("maestro.docker", "maestro.docker (pull, stop, clean, start)", "SEQUENCE_COMMANDS", "SEQUENCE_CHECK")
BLUE_GREEN = _Hook("maestro.docker-bg", "maestro.docker blue/green", "BLUE_GREEN_COMMANDS", "BLUE_GREEN_CHECK")
