# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from pathlib import Path

from ansible_collections.maestro.docker.plugins.plugin_utils._config import schema as S
from docs.tools.ships_file_reference import render_reference

REFERENCE = Path(__file__).parents[3] / "docs/docsite/rst/ships_file_reference.rst"


def test_generated_reference_is_up_to_date():
    assert REFERENCE.read_text() == render_reference(), "regenerate: make docs"


def test_every_key_is_documented():
    text = render_reference()
    for f in S.FIELDS:
        assert "``%s``" % f.name in text
        assert f.removed or f.ignored or f.description


def test_levels_follow_maestro_ng():
    service_keys = {f.name for f in S.LEVEL[S.SERVICE].fields}
    assert service_keys == {"image", "instances", "requires", "wants_info", "omit", "env", "envfile", "lifecycle", "limits", "ports", "secret_env"}
    assert "ip" not in {f.name for f in S.LEVEL[S.SHIP_DEFAULTS].fields}
    assert "endpoint" not in {f.name for f in S.LEVEL[S.SHIP_DEFAULTS].fields}
