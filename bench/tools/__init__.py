"""The tools under test. Each one turns a scenario and a target tag into whole commands to time.

A tool is a module here with ``NAME``, ``LABEL``, ``unavailable() -> str | None`` (why it cannot
run, or None) and ``commands(scenario, target, workdir) -> list[Step]``. ``commands`` writes the
tool's own files (maestro YAML, inventory, playbook...) into ``workdir``; that part is not timed.
The driver then times the steps one after the other, each a separate process, and sums them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
REPO = BENCH.parent


@dataclass
class Step:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def environ(self) -> dict[str, str]:
        return {**os.environ, **self.env}


def venv_python(name: str) -> Path:
    return BENCH / f".venv-{name}" / "bin" / "python"
