"""Audit messages and routing (pure logic; the log auditor writes to tmp_path)."""

from __future__ import annotations

import pytest

from ansible_collections.maestro.docker.plugins.module_utils._docker.audit import AuditError, audit, format_message, format_what


@pytest.mark.parametrize(
    ("event", "action", "message", "expected"),
    [
        ("action", "start", None, "alice is starting web-1, web-2."),
        ("action", "stop", None, "alice is stopping web-1, web-2."),
        ("success", "deploy", None, "Deploy of web-1, web-2 succeeded."),
        ("action", "rollback", None, "alice is rolling back web-1, web-2."),
        ("action", "restore", None, "alice is restoring web-1, web-2."),
        ("success", "switch to green", None, "Switch to green of web-1, web-2 succeeded."),
        ("error", "start", None, "Failed to start web-1, web-2!"),
        ("error", "start", "boom", "Failed to start web-1, web-2! (message: boom)"),
    ],
)
def test_messages_are_worded_as_maestro_ng(event, action, message, expected):
    assert format_message(event, action, format_what(["web-1", {"name": "web-2"}]), "alice", message) == expected


def test_compact_form_from_five_instances():
    assert format_what(["a", "b", "c", "d"], compact=True) == "a, b, c, d"
    assert format_what(["a", "b", "c", "d", "e"], compact=True) == "5 containers"


def test_log_levels_and_errors(tmp_path):
    log = tmp_path / "audit.log"
    auditors = [{"type": "log", "file": str(log)}]
    audit(auditors, "action", "pull", ["web-1"], who="bob")
    audit(auditors, "success", "pull", ["web-1"], level="debug")  # below the auditor's info level
    audit(auditors, "error", "pull", ["web-1"], message="no such image")
    lines = log.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["INFO: bob is pulling web-1.", "ERROR: Failed to pull web-1! (message: no such image)"]


def test_check_mode_writes_nothing_but_says_what_it_would(tmp_path):
    log = tmp_path / "audit.log"
    sent, _warnings = audit([{"type": "log", "file": str(log)}], "action", "deploy", ["web-1"], who="bob", check_mode=True)
    assert sent == [f"log {log}: bob is deploying web-1."]
    assert not log.exists()


@pytest.mark.parametrize(
    ("auditors", "message"),
    [
        ([{"type": "carrier-pigeon"}], "audit[0]: unknown auditor type 'carrier-pigeon' (supported: log, http, exec)"),
        ([{"file": "x"}], "audit[0]: an auditor is a mapping with a 'type' key"),
        ([{"type": "log"}], "audit[0] (log): the 'file' key is required"),
        ([{"type": "http"}], "audit[0] (http): the 'endpoint' key is required"),
        ([{"type": "http", "endpoint": "http://127.0.0.1:1/", "method": "PUT"}], "audit[0] (http): method must be GET or POST, not 'PUT'"),
        ([{"type": "exec", "script": "/nonexistent/hook"}], "audit[0] (exec): cannot run /nonexistent/hook: No such file or directory"),
        ([{"type": "log", "file": "/x", "level": "loud"}], "audit[0] (log): level must be one of debug, info, not 'loud'"),
    ],
)
def test_bad_auditors_fail_with_their_index_and_cause(auditors, message):
    with pytest.raises(AuditError) as err:
        audit(auditors, "success", "start", [{"name": "web-1", "service": "web", "ship_ip": "10.0.0.1"}])
    assert str(err.value) == message


def test_ignore_errors_and_unsupported_auditors_warn(tmp_path):
    sent, warnings = audit(
        [{"type": "exec", "script": "/nonexistent/hook", "ignore_errors": True}, {"type": "slack", "channel": "#ops", "token": "t"}],
        "success",
        "start",
        [{"name": "web-1"}],
    )
    assert sent == []
    assert warnings == [
        "audit[0] (exec): failed, ignored (ignore_errors)",
        "audit[1] (slack): not supported by maestro.docker, skipped; use an http auditor with an incoming webhook",
    ]
