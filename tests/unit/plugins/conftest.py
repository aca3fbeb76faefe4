# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import textwrap

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _config

# Two ships and the start of the services map: 5 lines, so services start on line 6.
HEAD = """\
name: demo
ships:
  host1: {ip: 10.0.0.11}
  host2: {ip: 10.0.0.12}
services:
"""


@pytest.fixture
def write(tmp_path):
    """Write files under tmp_path: write({"a.yaml": "..."}); returns tmp_path."""

    def _write(files):
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path

    return _write


@pytest.fixture
def load(tmp_path, write):
    """Load a ships file given as text (dedented), named maestro.yaml in tmp_path, with extra files."""

    def _load(text, files=None, environ=None, name="maestro.yaml"):
        write({**(files or {}), name: text})
        return _config.load(str(tmp_path / name), environ=environ or {})

    return _load


@pytest.fixture
def errors(tmp_path, write):
    """The ConfigError text for a bad ships file given as text, with paths relative to tmp_path."""

    def _errors(text, files=None, environ=None):
        write(files or {})
        with pytest.raises(_config.ConfigError) as info:
            _config.load_text(textwrap.dedent(text), "maestro.yaml", str(tmp_path), environ=environ or {})
        return str(info.value).replace(str(tmp_path) + "/", "")

    return _errors
