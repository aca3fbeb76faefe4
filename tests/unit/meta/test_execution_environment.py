# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""meta/execution-environment.yml, meta/ee-requirements.txt and bindep.txt, as ansible-builder reads them.

Two readings: ``ansible-builder create`` (writes the build context, needs no container runtime) on the
collection's EE definition, and ansible-builder's introspection, which is what runs inside the image build
of an EE that lists this collection (it reads the file of every installed collection, paths relative to
the collection root).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_builder._target_scripts import introspect
from bindep.depends import Depends

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".collections"
BUILDER = Path(sys.executable).parent / "ansible-builder"


def _lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_the_definition_names_both_files():
    definition = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    assert definition["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "bindep.txt"}
    assert any(line.startswith("paramiko") for line in _lines(ROOT / "meta" / "ee-requirements.txt"))
    assert any(line.startswith("docker") for line in _lines(ROOT / "meta" / "ee-requirements.txt"))


def test_ansible_builder_create_writes_a_context_with_the_requirements_and_bindep(tmp_path: Path):
    # The definition's paths are relative to the collection root (introspection's base); ansible-builder create
    # resolves them relative to the definition, so the definition is put where the root would be.
    (tmp_path / "meta").mkdir()
    shutil.copy(ROOT / "meta" / "execution-environment.yml", tmp_path / "execution-environment.yml")
    shutil.copy(ROOT / "meta" / "ee-requirements.txt", tmp_path / "meta" / "ee-requirements.txt")
    shutil.copy(ROOT / "bindep.txt", tmp_path / "bindep.txt")
    context = tmp_path / "context"
    proc = subprocess.run(
        [str(BUILDER), "create", "-f", str(tmp_path / "execution-environment.yml"), "--context", str(context), "--output-filename", "Containerfile"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (context / "Containerfile").is_file()
    assert _lines(context / "_build" / "requirements.txt") == _lines(ROOT / "meta" / "ee-requirements.txt")
    assert _lines(context / "_build" / "bindep.txt") == _lines(ROOT / "bindep.txt")
    containerfile = (context / "Containerfile").read_text()
    assert "_build/requirements.txt" in containerfile
    assert "_build/bindep.txt" in containerfile


def test_introspection_finds_the_collections_requirements():
    """What an EE build that installs maestro.docker collects from it."""
    found = introspect.process_collection(str(COLLECTIONS / "ansible_collections" / "maestro" / "docker"))
    python, system = found
    assert any(line.startswith("paramiko") for line in python)
    assert any(line.startswith("docker") for line in python)
    assert "openssh-client [platform:dpkg]" in system
    assert "openssh-clients [platform:rpm]" in system


def test_bindep_gives_an_ssh_client_on_debian_and_red_hat_images():
    rules = Depends((ROOT / "bindep.txt").read_text())
    assert [rule[0] for rule in rules.active_rules(["platform:dpkg"])] == ["openssh-client"]
    assert [rule[0] for rule in rules.active_rules(["platform:rpm"])] == ["openssh-clients"]
