"""secret_env values and registry passwords never appear in the output of a -vvv --diff run."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.integration.conftest import run_playbook

pytestmark = pytest.mark.fleet

PLAYBOOK = Path(__file__).resolve().parent / "secrets" / "secrets.yml"


def test_no_secret_in_vvv_diff_output(inventory: Path, tmp_path: Path):
    values = {
        "secret_one": f"s1-{secrets.token_hex(8)}",
        "secret_two": f"s2-{secrets.token_hex(8)}",
        "registry_password": f"rp-{secrets.token_hex(8)}",
    }
    # Given in a vars file, not on the command line, so the only way into the output is through the modules.
    varsfile = tmp_path / "secrets.json"
    varsfile.write_text(json.dumps(values))
    proc = run_playbook(inventory, PLAYBOOK, "-vvv", "--diff", "-e", f"@{varsfile}")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-20000:]
    for name, value in values.items():
        assert value not in output, f"{name} leaked into the output"
    # The run did exercise the masked paths: masked env in diffs/results, masked log line, the failures.
    assert "********" in output
    assert "token=********" in output
    assert "Error pulling image" in output
    assert "'API_TOKEN': '********'" in output or "API_TOKEN: '********'" in output or '"API_TOKEN": "********"' in output
