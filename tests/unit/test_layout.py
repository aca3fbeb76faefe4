# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The layout's rules (docs/docsite/rst/architecture.rst), held for every file of plugins/."""

from __future__ import annotations

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PACKAGE = "ansible_collections.maestro.docker.plugins"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name


def test_imports_are_absolute():
    relative = [str(path.relative_to(PLUGINS)) for path in PLUGINS.rglob("*.py") if any(level for level, _module in _imports(path))]
    assert relative == []


def test_module_code_never_imports_controller_code():
    """A module task on a host gets module_utils only: nothing there, and no module, may need plugin_utils."""
    wrong = [
        f"{path.relative_to(PLUGINS)}: {module}"
        for folder in ("module_utils", "modules")
        for path in (PLUGINS / folder).rglob("*.py")
        for _level, module in _imports(path)
        if module.startswith(f"{PACKAGE}.plugin_utils") or module.startswith(f"{PACKAGE}.action")
    ]
    assert wrong == []


def test_the_docker_sdk_is_imported_only_by_the_client_and_registry():
    """One Docker client wrapper: the SDK is imported in client.py (and docker.auth in registry.py), nowhere else."""
    importers = sorted(
        str(path.relative_to(PLUGINS))
        for path in PLUGINS.rglob("*.py")
        if any(module == "docker" or module.startswith("docker.") for _level, module in _imports(path))
    )
    assert importers == ["module_utils/_docker/client.py", "module_utils/_docker/registry.py"]
