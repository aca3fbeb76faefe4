"""Every role under roles/ is documented: ansible-doc renders it, and its defaults are the documented ones.

No Docker here: this reads the collection's metadata through ansible-doc (the checkout is visible as
maestro.docker through the .collections link and ansible.cfg). The roles are found by listing roles/, so a
role added later is covered without touching this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES_DIR = REPO / "roles"
BIN = Path(sys.executable).parent
ROLES = sorted(p.name for p in ROLES_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))
PUBLIC_ROLES = [r for r in ROLES if not r.startswith("_")]


def ansible_doc(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run([str(BIN / "ansible-doc"), *args], cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120)


def argument_specs(role: str) -> dict:
    return yaml.safe_load((ROLES_DIR / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def test_roles_are_found():
    assert ROLES, f"no role under {ROLES_DIR}"


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_public_role_has_argument_specs(role: str):
    assert (ROLES_DIR / role / "meta" / "argument_specs.yml").is_file(), f"roles/{role} has no meta/argument_specs.yml"


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_renders_role(role: str):
    fqcn = f"maestro.docker.{role}"
    text = ansible_doc("-t", "role", fqcn)
    assert text.returncode == 0, f"ansible-doc -t role {fqcn} failed:\n{text.stderr}"
    # Deprecated or unknown keys, unparsable markup: ansible-doc warns and still exits 0.
    assert "WARNING" not in text.stderr and "ERROR" not in text.stderr, text.stderr
    out = text.stdout.replace("*", "")  # without color, bold is *...*
    assert f"ROLE: {fqcn}" in out
    for entry_point, spec in argument_specs(role).items():
        assert f"ENTRY POINT: {entry_point} - {spec['short_description']}" in out
        for option in spec.get("options") or {}:
            assert option in out, f"option {option} of {fqcn} is not rendered"

    listed = ansible_doc("-t", "role", "--json", fqcn)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)[fqcn]
    assert doc["collection"] == "maestro.docker"
    assert sorted(doc["entry_points"]) == sorted(argument_specs(role))


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_defaults_are_documented_options(role: str):
    """defaults/main.yml holds only documented options, with the default the documentation states."""
    path = ROLES_DIR / role / "defaults" / "main.yml"
    defaults = (yaml.safe_load(path.read_text()) if path.is_file() else None) or {}
    options = argument_specs(role)["main"].get("options") or {}
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, f"roles/{role}/defaults/main.yml sets options that meta/argument_specs.yml does not document: {undocumented}"
    for name, value in defaults.items():
        option = options[name]
        if isinstance(value, str) and "{{" in value:
            # computed at run time: the documentation describes it in words, and must not claim a fixed value
            assert option.get("default") is None, f"roles/{role}: option {name} is computed in defaults/main.yml, but documented as {option['default']!r}"
        else:
            assert option.get("default") == value, f"roles/{role}: option {name} defaults to {value!r}, documented as {option.get('default')!r}"
    for name, option in options.items():
        if option.get("required"):
            assert name not in defaults, f"roles/{role}: required option {name} has a default in defaults/main.yml"
