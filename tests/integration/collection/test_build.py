"""The collection as users get it: `ansible-galaxy collection build`, install, and use by FQCN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def galaxy(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / "ansible-galaxy"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"ansible-galaxy {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_built_tarball_installs_and_resolves_by_fqcn(tmp_path):
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    galaxy("collection", "build", "--output-path", str(tmp_path), str(REPO), cwd=tmp_path)
    tarball = tmp_path / f"maestro-docker-{version}.tar.gz"
    assert tarball.is_file()
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "MANIFEST.json" in names
    assert "meta/runtime.yml" in names
    # what build_ignore keeps out of the artifact: the fleet, caches, the venv, dev tooling
    assert not [n for n in names if n.split("/")[0] in {".fleet", ".venv", ".collections", ".ci", "Makefile", "bench", "demo"}]

    install_dir = tmp_path / "installed"
    # Not the checkout's config (make exports it): there the collection is already "installed" through
    # the .collections link, and install would do nothing. Only the installed copy must be visible.
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(install_dir), "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg")}
    galaxy("collection", "install", "--offline", "-p", str(install_dir), str(tarball), cwd=tmp_path, env=env)
    assert (install_dir / "ansible_collections" / "maestro" / "docker" / "MANIFEST.json").is_file()
    listed = galaxy("collection", "list", "maestro.docker", "--format", "yaml", cwd=tmp_path, env=env)
    found = yaml.safe_load(listed.stdout)
    assert {k: v for paths in found.values() for k, v in paths.items()} == {"maestro.docker": {"version": version}}

    # every module and inventory plugin of the checkout is documented from the installed copy
    for kind, folder in (("module", "modules"), ("inventory", "inventory")):
        expected = sorted(f"maestro.docker.{p.stem}" for p in (REPO / "plugins" / folder).glob("[!_]*.py"))
        if expected:
            docs = subprocess.run(
                [str(BIN / "ansible-doc"), "-t", kind, "--json", *expected], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
            )
            assert docs.returncode == 0, docs.stderr
            assert sorted(json.loads(docs.stdout)) == expected

    # every role renders its documentation, and every playbook resolves by FQCN, from the installed copy
    roles = sorted(f"maestro.docker.{p.parent.parent.name}" for p in (REPO / "roles").glob("[!_]*/meta/argument_specs.yml"))
    if roles:
        docs = subprocess.run([str(BIN / "ansible-doc"), "-t", "role", "--json", *roles], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
        assert docs.returncode == 0, docs.stderr
        assert sorted(json.loads(docs.stdout)) == roles
    for playbook in sorted((REPO / "playbooks").glob("*.yml")):
        check = subprocess.run(
            [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", f"maestro.docker.{playbook.stem}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, f"maestro.docker.{playbook.stem}: {check.stdout}\n{check.stderr}"
