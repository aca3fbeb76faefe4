# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""maestro lifecycle checks: tcp, http (+match_regex), exec (controller, env|stdin), rexec (in the container), sleep.

All checks of one state run concurrently and all must pass. While they run, the container's
condition for that state (running for ``running``/``pre-stop``, down for ``pre-start``/``stopped``)
is polled every second; a broken condition fails the checks at once.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait

from ansible_collections.maestro.docker.plugins.module_utils._docker import ports as _ports

STATES = ("pre-start", "running", "pre-stop", "stopped")
WANTS_RUNNING = {"pre-start": False, "running": True, "pre-stop": True, "stopped": False}


class CheckFailed(Exception):
    pass


def checks_for(spec: dict, state: str) -> list[dict]:
    return list(((spec.get("lifecycle") or {}).get(state)) or [])


def resolve_port(spec: dict, port, inspect: dict | None) -> int:
    """A named port -> its external (host) port; a number is used as is."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for item in spec.get("ports") or []:
        if item.get("name") == port:
            if item.get("external") not in (None, ""):
                return _ports.first(item["external"])
            key = f"{_ports.first(item['exposed'])}/{item.get('protocol') or _ports.DEFAULT_PROTOCOL}"
            bound = (((inspect or {}).get("NetworkSettings") or {}).get("Ports") or {}).get(key) or []
            if bound:
                return int(bound[0]["HostPort"])
            raise CheckFailed(f"port {port} has a random host port and the container publishes none")
    raise CheckFailed(f"no port named {port!r}")


def _tcp(check, spec, inspect, client, stop):
    port = resolve_port(spec, check.get("port"), inspect)
    host = spec.get("ship_ip")
    attempts = int(check.get("max_wait", 180))
    last = None
    for _attempt in range(max(attempts, 1)):
        try:
            socket.create_connection((host, port), timeout=1).close()
            return f"tcp {host}:{port} open"
        except OSError as exc:
            last = exc
        if stop.wait(1):
            break
    raise CheckFailed(f"tcp check {host}:{port} failed after {attempts} attempts: {last}")


class _SafeRedirect(urllib.request.HTTPRedirectHandler):
    """Follows a redirect of a GET or HEAD only, as ansible's ``open_url(follow_redirects='safe')`` does."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0917 - urllib's signature
        if req.get_method() not in ("GET", "HEAD"):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENERS: dict = {}
_OPENERS_LOCK = threading.Lock()


def _opener(https: bool, verify: bool):
    """One opener per process, scheme and TLS choice, shared by every http check of every ship.

    Not ansible's ``open_url``: it builds a new SSL context, reading the CA bundle, for every request, plain http
    included (27 ms of CPU per request, measured; urllib with a kept opener: 0.3 ms), and an http check polls
    every second on every ship of a deploy at once.
    """
    key = (https, https and verify)
    with _OPENERS_LOCK:
        if key not in _OPENERS:
            handlers = [_SafeRedirect]
            if https:
                context = ssl.create_default_context()
                if not verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                handlers.append(urllib.request.HTTPSHandler(context=context))
            _OPENERS[key] = urllib.request.build_opener(*handlers)
        return _OPENERS[key]


def _http(check, spec, inspect, client, stop):
    port = resolve_port(spec, check.get("port"), inspect)
    host = check.get("host") or spec.get("ship_ip")
    url = f"{check.get('scheme', 'http')}://{host}:{port}{check.get('path', '/')}"
    regex = re.compile(check["match_regex"], re.DOTALL) if check.get("match_regex") else None
    options = check.get("requests_options") or {}
    timeout = float(options.get("timeout", 2))
    deadline = time.monotonic() + float(check.get("max_wait", 300))
    opener = _opener(url.startswith("https:"), bool(options.get("verify", True)))
    method = str(check.get("method", "get")).upper()
    last, attempt = None, 0
    while True:
        try:
            with opener.open(urllib.request.Request(url, method=method), timeout=timeout) as resp:
                body = resp.read().decode("utf-8", errors="replace")
                if regex is None and resp.status == 200:
                    return f"http {url} answered 200"
                if regex is not None and regex.search(body):
                    return f"http {url} matched {check['match_regex']!r}"
                last = f"body did not match {check.get('match_regex')!r}" if regex else f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            exc.close()
        except (OSError, ValueError) as exc:
            last = str(getattr(exc, "reason", exc))
        # the deadline is the contract (maestro-ng's max_wait); the first retries come sooner than every second, as
        # a server that was not yet listening at the first try usually is a few tenths of a second later
        if time.monotonic() >= deadline or stop.wait(min(1.0, 0.1 * 2**attempt)):
            break
        attempt += 1
    raise CheckFailed(f"http check {url} did not pass within {check.get('max_wait', 300)}s: {last}")


def check_env(spec: dict, environ=None) -> dict:
    """The environment of an ``exec`` check, as maestro-ng makes it: the controller's, then the instance's configured env.

    The configured env is what the container was given (the spec's ``env``), not what ``docker inspect`` shows: the
    image's variables (its ``PATH`` above all) do not replace the controller's. A null value (``KEY`` alone, which
    leaves the variable out of the container) leaves it out here too; maestro-ng passed the text ``None``.
    """
    env = dict(os.environ if environ is None else environ)
    for key, value in (spec.get("env") or {}).items():
        if value is None:
            env.pop(str(key), None)
        else:
            env[str(key)] = str(value)
    return env


def _exec(check, spec, inspect, client, stop):
    """``envfrom: env`` runs the command with :func:`check_env`; ``stdin`` leaves it the controller's environment and
    writes :func:`check_env` to its stdin as JSON (maestro-ng 0.7.4+)."""
    command = shlex.split(check["command"]) if isinstance(check["command"], str) else list(check["command"])
    attempts = int(check.get("attempts", 180))
    check_environ = check_env(spec)
    use_stdin = check.get("envfrom") == "stdin"
    env = None if use_stdin else check_environ  # None: the controller's own environment
    stdin_text = json.dumps(check_environ) if use_stdin else ""
    last = None
    for _attempt in range(max(attempts, 1)):
        try:
            proc = subprocess.run(command, input=stdin_text, env=env, capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                return f"exec {command[0]} exited 0"
            last = f"exit status {proc.returncode}"
        except OSError as exc:
            last = str(exc)
        if stop.wait(1):
            break
    raise CheckFailed(f"exec check {command[0]!r} failed after {attempts} attempts: {last}")


def _rexec(check, spec, inspect, client, stop):
    command = shlex.split(check["command"]) if isinstance(check["command"], str) else list(check["command"])
    attempts = int(check.get("attempts", 180))
    last = None
    for _attempt in range(max(attempts, 1)):
        code, _output = client.exec_run(spec["name"], command)
        if code == 0:
            return f"rexec {command[0]} exited 0"
        last = f"exit status {code}"
        if stop.wait(1):
            break
    raise CheckFailed(f"rexec check {command[0]!r} failed after {attempts} attempts: {last}")


def _sleep(check, spec, inspect, client, stop):
    stop.wait(float(check.get("wait", 1)))
    return f"slept {check.get('wait', 1)}s"


CHECKS = {"tcp": _tcp, "http": _http, "exec": _exec, "rexec": _rexec, "sleep": _sleep}
CHANGES_SOMETHING = {"exec", "rexec"}  # user commands: not run in check mode


def run_checks(client, spec: dict, state: str, check_mode: bool = False, inspect: dict | None = None) -> list[dict]:
    """Run spec's checks for state; return one result per check or raise CheckFailed (first cause).

    ``inspect``: the container's inspection, if the caller has just made it (it names the random host ports).
    """
    checks = checks_for(spec, state)
    if not checks:
        return []
    for check in checks:
        if check.get("type") not in CHECKS:
            raise CheckFailed(f"unknown lifecycle check type {check.get('type')!r}")
    inspect = inspect or client.inspect_container(spec["name"])
    stop = threading.Event()
    results: list[dict] = [{"type": c["type"], "state": state} for c in checks]
    errors: list[str] = []

    def one(index: int) -> None:
        check = checks[index]
        started = time.monotonic()
        if check_mode and check["type"] in CHANGES_SOMETHING:
            results[index].update(passed=None, message="skipped in check mode")
            return
        try:
            results[index].update(passed=True, message=CHECKS[check["type"]](check, spec, inspect, client, stop))
        except CheckFailed as exc:
            results[index].update(passed=False, message=str(exc))
            errors.append(str(exc))
            stop.set()
        except Exception as exc:  # a DockerFailure inside rexec, a bad parameter: the check fails
            results[index].update(passed=False, message=str(exc))
            errors.append(str(exc))
            stop.set()
        results[index]["duration"] = round(time.monotonic() - started, 3)

    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        futures = [pool.submit(one, i) for i in range(len(checks))]
        while True:
            _done, pending = wait(futures, timeout=1)
            if not pending or stop.is_set():
                break
            current = client.inspect_container(spec["name"])
            running = bool(current and current["State"].get("Running"))
            if running != WANTS_RUNNING[state]:
                errors.insert(0, f"the container {'stopped' if WANTS_RUNNING[state] else 'started'} while its {state} checks ran")
                stop.set()
        for f in futures:
            f.result()
    if errors:
        raise CheckFailed(errors[0])
    return results
