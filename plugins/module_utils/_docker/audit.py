# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private module_utils of maestro.docker: not a public API, may change without notice.

"""The audit trail of maestro-ng's ``audit:`` section: who did what to which instances.

Auditor configs are the maestro-ng ones (``type`` log, http, exec; ``level`` info or debug;
``ignore_errors``), and messages are worded as maestro-ng words them, so existing dashboards and
log greps keep working:

- action:  ``<who> is <verb>ing <what>.`` (``stop`` -> ``stopping``)
- success: ``<Action> of <what> succeeded.``
- error:   ``Failed to <action> <what>! (message: <message>)``

Differences from maestro-ng, on purpose: ``hipchat`` (a dead service) and ``slack`` (legacy
tokens) auditors are skipped with a warning instead of failing the run (use ``http`` with an
incoming-webhook URL); the ``http`` auditor can also send success and error (``events``); every
auditor error names the auditor.
"""

from __future__ import annotations

import datetime
import getpass
import json
import subprocess

LEVELS = {"debug": 10, "info": 20}
EVENTS = ("action", "success", "error")
SUPPORTED = ("log", "http", "exec")
UNSUPPORTED = ("hipchat", "slack")
COMPACT_LIMIT = 5  # at and above this many instances, chat-like outputs say "N containers"


# The auditor keys of the ships file's `audit` list. Only what can hold a secret is no_log:
# marking the whole list would mask every value (even "http") wherever it appears in the output.
AUDITOR_OPTIONS = {
    "type": {"type": "str", "required": True},
    "level": {"type": "str", "default": "info", "choices": ["info", "debug"]},
    "ignore_errors": {"type": "bool", "default": False},
    "file": {"type": "path"},
    "endpoint": {"type": "str", "no_log": True},
    "payload": {"type": "raw"},
    "headers": {"type": "dict", "no_log": True},
    "method": {"type": "str", "default": "POST"},
    "timeout": {"type": "float", "default": 3},
    "events": {"type": "list", "elements": "str", "default": ["action"], "choices": ["action", "success", "error"]},
    "script": {"type": "path"},
    "args": {"type": "str"},
    # slack and hipchat (skipped with a warning) keep their keys valid
    "name": {"type": "str"},
    "room": {"type": "str"},
    "channel": {"type": "str"},
    "icon": {"type": "str"},
    "token": {"type": "str", "no_log": True},
}

ARGUMENT_SPEC = {
    "auditors": {"type": "list", "elements": "dict", "required": True, "options": AUDITOR_OPTIONS},
    "event": {"type": "str", "required": True, "choices": list(EVENTS)},
    "action": {"type": "str", "required": True},
    "what": {"type": "list", "elements": "raw", "required": True},
    "who": {"type": "str"},
    "cause": {"type": "str"},
    "level": {"type": "str", "default": "info", "choices": ["info", "debug"]},
}


class AuditError(Exception):
    """An auditor failed; the message names it."""


def _names(what: list) -> list[str]:
    return [w["name"] if isinstance(w, dict) else str(w) for w in what]


def format_what(what: list, compact: bool = False) -> str:
    names = _names(what)
    if compact and len(names) >= COMPACT_LIMIT:
        return f"{len(names)} container{'s' if len(names) > 1 else ''}"
    return ", ".join(names)


GERUNDS = {"stop": "stopping", "rollback": "rolling back", "status": "checking"}


def gerund(action: str) -> str:
    """maestro-ng's "<verb>ing" for one word (stop -> stopping), and the deploy steps' own verbs."""
    first, _sep, rest = action.partition(" ")
    word = GERUNDS.get(first) or (first[:-1] + "ing" if first.endswith("e") and not first.endswith("ee") else first + "ing")
    return f"{word} {rest}".strip()


def format_message(event: str, action: str, what_text: str, who: str | None = None, message: str | None = None) -> str:
    if event == "action":
        return f"{who or getpass.getuser()} is {gerund(action)} {what_text}."
    if event == "success":
        return f"{action[:1].upper()}{action[1:]} of {what_text} succeeded."
    text = f"Failed to {action} {what_text}!"
    return f"{text} (message: {message})" if message else text


def _fill(template, values: dict):
    """Format every string leaf of a payload template; empty leaves are dropped (as maestro-ng)."""
    if isinstance(template, dict):
        return {k: v for k, v in ((k, _fill(v, values)) for k, v in template.items()) if v}
    if isinstance(template, list):
        return [v for v in (_fill(v, values) for v in template) if v]
    if isinstance(template, str):
        return template.format(**values)
    return template


class Auditor:
    """One configured auditor. ``send`` returns a description of what was sent, or None."""

    def __init__(self, index: int, config: dict, open_url=None):
        self.index = index
        self.config = config
        self.type = config.get("type")
        self.level = LEVELS.get(str(config.get("level", "info")))
        self.ignore_errors = config.get("ignore_errors") is True
        self.open_url = open_url
        if self.level is None:
            raise AuditError(f"{self.label}: level must be one of {', '.join(LEVELS)}, not {config.get('level')!r}")

    @property
    def label(self) -> str:
        return f"audit[{self.index}] ({self.type})"

    def validate(self) -> None:
        required = {"log": "file", "http": "endpoint", "exec": "script"}[self.type]
        if not self.config.get(required):
            raise AuditError(f"{self.label}: the {required!r} key is required")
        if self.type == "http" and str(self.config.get("method", "POST")).upper() not in ("GET", "POST"):
            raise AuditError(f"{self.label}: method must be GET or POST, not {self.config.get('method')!r}")

    def wants(self, event: str, level: int) -> bool:
        if self.type == "log":
            return event == "error" or level >= self.level
        if self.type == "http":
            return event in self.config.get("events", ["action"]) and (event == "error" or level >= self.level)
        return event == "success" and level >= self.level  # exec: only on success, as maestro-ng

    def send(self, event: str, action: str, what: list, *, who: str, message: str | None, level: int, check_mode: bool) -> str | None:
        if not self.wants(event, level):
            return None
        if self.type == "log":
            text = format_message(event, action, format_what(what), who, message)
            levelname = "ERROR" if event == "error" else ("DEBUG" if level < LEVELS["info"] else "INFO")
            stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
            line = f"{stamp} {levelname}: {text}"
            if not check_mode:
                with open(self.config["file"], "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            return f"log {self.config['file']}: {text}"
        if self.type == "http":
            text = format_message(event, action, format_what(what), who, message)
            values = {"what": format_what(what), "action": action, "who": who, "message": text}
            payload = _fill(self.config.get("payload") or {}, values) or None
            method = str(self.config.get("method", "POST")).upper()
            if not check_mode:
                headers = {"Content-Type": "application/json; charset=utf-8", **(self.config.get("headers") or {})}
                self.open_url(
                    self.config["endpoint"],
                    data=json.dumps(payload),
                    headers=headers,
                    method=method,
                    timeout=float(self.config.get("timeout", 3)),
                ).read()
            return f"http {method} {self.config['endpoint']}: {text}"
        # exec: the script gets {instance: {ship, service}} as JSON on stdin
        args = str(self.config.get("args") or "").format(action=action, what=format_what(what), who=who).split()
        cmd = [self.config["script"], *args]
        if not check_mode:
            stdin = json.dumps({w["name"]: {"ship": w.get("ship_ip"), "service": w.get("service")} for w in what if isinstance(w, dict)})
            try:
                proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False, timeout=60)
            except OSError as exc:
                raise AuditError(f"{self.label}: cannot run {cmd[0]}: {exc.strerror}") from exc
            if proc.returncode != 0:
                raise AuditError(f"{self.label}: {' '.join(cmd)} exited with status {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}")
        return f"exec {' '.join(cmd)}"


def audit(
    configs: list,
    event: str,
    action: str,
    what: list,
    *,
    who: str | None = None,
    message: str | None = None,
    level: str = "info",
    check_mode: bool = False,
    open_url=None,
) -> tuple[list[str], list[str]]:
    """Send one event to every auditor; returns (what was sent, warnings).

    A failing auditor raises AuditError unless it has ``ignore_errors: true`` (then: a warning).
    """
    if event not in EVENTS:
        raise AuditError(f"event must be one of {', '.join(EVENTS)}, not {event!r}")
    if level not in LEVELS:
        raise AuditError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    who = who or getpass.getuser()
    sent, warnings = [], []
    for index, config in enumerate(configs or []):
        if not isinstance(config, dict) or "type" not in config:
            raise AuditError(f"audit[{index}]: an auditor is a mapping with a 'type' key")
        if config["type"] in UNSUPPORTED:
            warnings.append(f"audit[{index}] ({config['type']}): not supported by maestro.docker, skipped; use an http auditor with an incoming webhook")
            continue
        if config["type"] not in SUPPORTED:
            raise AuditError(f"audit[{index}]: unknown auditor type {config['type']!r} (supported: {', '.join(SUPPORTED)})")
        auditor = Auditor(index, config, open_url)
        try:
            auditor.validate()
            result = auditor.send(event, action, what, who=who, message=message, level=LEVELS[level], check_mode=check_mode)
        except AuditError:
            if not auditor.ignore_errors:
                raise
            warnings.append(f"{auditor.label}: failed, ignored (ignore_errors)")
            continue
        except Exception as exc:  # a webhook or file error: name the auditor, never a traceback
            if not auditor.ignore_errors:
                raise AuditError(f"{auditor.label}: {exc}") from exc
            warnings.append(f"{auditor.label}: {exc} (ignored: ignore_errors)")
            continue
        if result:
            sent.append(result)
    return sent, warnings


def run(params: dict, *, check_mode: bool, open_url) -> dict:
    """The audit module's result for validated ``params`` (ARGUMENT_SPEC): changed, sent, warnings, or failed and msg."""
    try:
        sent, warnings = audit(
            params["auditors"],
            params["event"],
            params["action"],
            params["what"],
            who=params["who"],
            message=params["cause"],
            level=params["level"],
            check_mode=check_mode,
            open_url=open_url,
        )
    except AuditError as exc:
        return {"failed": True, "changed": False, "msg": f"Error recording {params['event']} of {params['action']}: {exc}"}
    return {"changed": bool(sent), "sent": sent, "warnings": warnings}
