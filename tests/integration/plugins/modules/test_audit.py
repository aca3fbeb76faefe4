"""maestro.docker.audit through ansible-playbook: a log file, a real local webhook, an exec script."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import run_playbook


class Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append({"path": self.path, "auth": self.headers.get("X-Token"), "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Hook.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def playbook(tmp_path: Path, tasks: list, *args: str) -> subprocess.CompletedProcess:
    """Run tasks on localhost; each task's result is registered and written to results.json."""
    registered = [{**task, "register": f"r{i}"} for i, task in enumerate(tasks)]
    dump = "{{ [" + ", ".join(f"r{i}" for i in range(len(tasks))) + "] | to_json }}"
    registered.append({"ansible.builtin.copy": {"content": dump, "dest": str(tmp_path / "results.json"), "mode": "0600"}})
    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": registered}]))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    return run_playbook(inventory, play, *args)


def results(tmp_path: Path) -> list[dict]:
    return json.loads((tmp_path / "results.json").read_text())


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "module"])
def test_log_webhook_and_exec_auditors(tmp_path, webhook, in_process):
    log = tmp_path / "audit.log"
    script = tmp_path / "hook.sh"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/exec.args\ncat > {tmp_path}/exec.stdin\n')
    script.chmod(0o755)
    auditors = [
        {"type": "log", "file": str(log)},
        {"type": "http", "endpoint": f"{webhook}/deploys", "headers": {"X-Token": "s3cr3t-token"}, "payload": {"text": "{message}", "who": "{who}"}},
        {"type": "exec", "script": str(script), "args": "--action {action}"},
    ]
    what = [{"name": "web-1", "service": "web", "ship_ip": "10.231.0.11"}, {"name": "web-2", "service": "web", "ship_ip": "10.231.0.12"}]
    task = {"maestro.docker.audit": {"auditors": auditors, "action": "deploy", "what": what, "who": "alice"}}
    proc = playbook(
        tmp_path,
        [
            {**task, "check_mode": True, "maestro.docker.audit": {**task["maestro.docker.audit"], "event": "action"}},
            {"maestro.docker.audit": {**task["maestro.docker.audit"], "event": "action"}},
            {"maestro.docker.audit": {**task["maestro.docker.audit"], "event": "success"}},
        ],
        "-vvv",
        "-e",
        f"maestro_docker_in_process={in_process}",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the action plugin runs the auditors in its own process unless told not to (then: the module)
    assert ("AnsiballZ_audit.py" in proc.stdout) is not in_process
    check, action, success = results(tmp_path)
    assert check["changed"] is True and check["sent"][0] == f"log {log}: alice is deploying web-1, web-2."
    assert action["changed"] is True
    assert [line.split(": ", 1)[1] for line in log.read_text().splitlines()] == ["alice is deploying web-1, web-2.", "Deploy of web-1, web-2 succeeded."]
    assert Hook.received == [{"path": "/deploys", "auth": "s3cr3t-token", "body": {"text": "alice is deploying web-1, web-2.", "who": "alice"}}]
    assert (tmp_path / "exec.args").read_text().split() == ["--action", "deploy"]
    assert json.loads((tmp_path / "exec.stdin").read_text()) == {
        "web-1": {"ship": "10.231.0.11", "service": "web"},
        "web-2": {"ship": "10.231.0.12", "service": "web"},
    }
    assert "s3cr3t-token" not in proc.stdout + proc.stderr


def test_a_dead_webhook_fails_naming_the_auditor_unless_ignored(tmp_path):
    dead = {"type": "http", "endpoint": "http://127.0.0.1:9/hook"}
    args = {"action": "deploy", "what": ["web-1"], "event": "action"}
    proc = playbook(
        tmp_path,
        [
            {"maestro.docker.audit": {"auditors": [dead], **args}, "ignore_errors": True},
            {"maestro.docker.audit": {"auditors": [{**dead, "ignore_errors": True}], **args}},
        ],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    failed, ignored = results(tmp_path)
    assert failed["failed"] is True
    assert failed["msg"].startswith("Error recording action of deploy: audit[0] (http): ")
    assert "Connection refused" in failed["msg"]
    assert ignored["changed"] is False and ignored["warnings"][0].startswith("audit[0] (http): ")
