"""The playbook a typical Ansible user writes with community.docker (bench/playbooks/community-upgrade.yml).

It runs with the ``ansible`` package from PyPI (which ships community.docker) in its own
virtualenv, on an inventory of the ships with ``ansible_connection=local`` (every module talks to
its ship's TCP API from the controller) and forks = max(5, number of ships), so ships run in
parallel and the instances of one ship one after the other, as Ansible loops do.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.tools import BENCH, Step, venv_python

NAME = "community.docker"
LABEL = "community.docker playbook"
PLAYBOOK = BENCH / "playbooks" / "community-upgrade.yml"
ANSIBLE_PLAYBOOK = venv_python("community").parent / "ansible-playbook"


def unavailable() -> str | None:
    return None if ANSIBLE_PLAYBOOK.exists() else f"{ANSIBLE_PLAYBOOK} is missing (make bench installs it from bench/requirements-community.txt)"


def inventory(scenario, target: str) -> dict:
    return {
        "ships": {
            "hosts": {s.name: {"docker_host": s.docker_host} for s in scenario.ships},
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": str(venv_python("community")),
                "web_image": scenario.image(target),
                "web_instances": scenario.per_ship,
            },
        }
    }


def commands(scenario, target: str, workdir: Path) -> list[Step]:
    inv = workdir / "inventory.json"  # JSON is YAML: the yaml inventory plugin reads it
    inv.write_text(json.dumps(inventory(scenario, target), indent=2) + "\n")
    (workdir / "collections").mkdir(exist_ok=True)
    cfg = workdir / "ansible.cfg"
    cfg.write_text(
        "[defaults]\n"
        f"forks = {max(5, len(scenario.ships))}\n"
        # Only the collections of the `ansible` package: not ~/.ansible, not this checkout's.
        f"collections_path = {workdir / 'collections'}\n"
        "host_key_checking = False\n"
        "retry_files_enabled = False\n"
        "[inventory]\n"
        "enable_plugins = ansible.builtin.yaml\n"
    )
    env = {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_NOCOLOR": "1"}
    return [Step("playbook", [str(ANSIBLE_PLAYBOOK), "-i", str(inv), str(PLAYBOOK)], env)]
