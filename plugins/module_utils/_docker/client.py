# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The one Docker client wrapper of maestro.docker.

Everything that talks to a ship's Docker daemon goes through :class:`ShipClient`. It wraps the
Docker SDK for Python's low-level ``APIClient`` and turns every SDK/transport error into a
:class:`DockerFailure` whose message reads ``Error <doing> <object> on ship <ship>: <cause>``.
The runner (``runner.py``) catches that exception once, for a module task and for each ship of an
engine action alike.
"""

from __future__ import annotations

import functools
import io
import os
import shlex
import shutil
import tarfile
import tempfile
import time
import traceback
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

DOCKER_IMPORT_ERROR = None
try:
    import docker
    from docker.errors import APIError, DockerException, ImageNotFound, NotFound
    from docker.tls import TLSConfig
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import RequestException
    from requests.exceptions import Timeout as RequestsTimeout
    from requests.utils import get_environ_proxies
except ImportError:  # pragma: no cover - reported by missing_required_lib
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):  # noqa: N818 - mirrors the SDK's name
        pass

    class APIError(DockerException):
        pass

    class NotFound(APIError):
        pass

    class ImageNotFound(NotFound):
        pass

    class RequestException(Exception):  # noqa: N818
        pass


DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT_SECONDS = 60

# The connection options every module takes; documented by the doc fragment maestro.docker.docker.
DOCKER_COMMON_ARGS = {
    "docker_host": {"type": "str", "default": DEFAULT_DOCKER_HOST, "fallback": (env_fallback, ["DOCKER_HOST"]), "aliases": ["docker_url"]},
    "tls": {"type": "bool", "default": False, "fallback": (env_fallback, ["DOCKER_TLS"])},
    "validate_certs": {"type": "bool", "default": False, "fallback": (env_fallback, ["DOCKER_TLS_VERIFY"]), "aliases": ["tls_verify"]},
    "ca_path": {"type": "path", "aliases": ["ca_cert", "tls_ca_cert"]},
    "client_cert": {"type": "path", "aliases": ["tls_client_cert"]},
    "client_key": {"type": "path", "aliases": ["tls_client_key"]},
    "api_version": {"type": "str", "default": "auto", "fallback": (env_fallback, ["DOCKER_API_VERSION"]), "aliases": ["docker_api_version"]},
    "timeout": {"type": "int", "default": DEFAULT_TIMEOUT_SECONDS, "fallback": (env_fallback, ["DOCKER_TIMEOUT"])},
    "use_ssh_client": {"type": "bool", "default": False},
    "ssh_key": {"type": "path"},
    "ship": {"type": "str"},
}
DOCKER_REQUIRED_TOGETHER = [["client_cert", "client_key"]]
CONNECTION_KEYS = tuple(k for k in DOCKER_COMMON_ARGS if k != "ship")

# Every module requires at least this Docker API version (HealthCheck.StartPeriod, Init, distribution inspect).
MIN_API_VERSION = "1.30"


def _version_key(version: str) -> tuple:
    """Not docker.utils.version_lt: the ships-file loader calls :func:`negotiates` too, and needs no Docker SDK."""
    return tuple(int(part) for part in version.split("."))


def negotiates(version: str | None) -> bool:
    """Whether a client given this ``api_version`` asks the daemon for its version: ``auto`` (or none), and a version
    below :data:`MIN_API_VERSION`, which is a minimum (maestro-ng's files pinned 1.18..1.29, which today's daemons
    refuse or this collection cannot speak). Any version negotiated must still be at least ``MIN_API_VERSION``."""
    if version in (None, "", "auto"):
        return True
    try:
        return _version_key(version) < _version_key(MIN_API_VERSION)
    except ValueError:
        return False


class DockerFailure(Exception):
    """One failure, worded for a person: ``Error <doing> <object> on ship <ship>: <cause>``."""

    def __init__(self, doing: str, obj: str | None, ship: str, cause: object, tb: str | None = None):
        self.doing, self.obj, self.ship, self.cause = doing, obj, ship, str(cause)
        self.tb = tb
        # set by ``unreachable()`` once raised from the SDK's exception: the daemon could not be reached at all
        self.unreachable = False
        what = f"{doing} {obj}" if obj else doing
        super().__init__(f"Error {what} on ship {ship}: {_cause_text(cause)}")


class BatchFailure(DockerFailure):
    """Some items of a batch failed; ``results`` holds every item's result (done or failed)."""

    def __init__(self, failures: list[DockerFailure], results: dict):
        first = failures[0]
        super().__init__(first.doing, first.obj, first.ship, first.cause, first.tb)
        if len(failures) > 1:
            self.args = ("; ".join(str(f) for f in failures),)
        self.results = results

    def __str__(self) -> str:
        return self.args[0]


def each_item(work, count: int, workers: int) -> None:
    """Run ``work(index)`` for every item of a batch (a ship's instances, its images), up to ``workers`` at once. A
    batch of one item (one instance per ship: the common case of many ships) runs in the calling thread: no pool, no
    thread to start and join."""
    if count == 1:
        work(0)
        return
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        list(pool.map(work, range(count)))


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) says the daemon could not be reached: a connection refused, a
    network unreachable, a timeout. A ship lost from the network, as opposed to a daemon that answered with an error."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "unreachable", False):
            return True
        if not DOCKER_IMPORT_ERROR and isinstance(exc, (RequestsConnectionError, RequestsTimeout)):
            return True
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _cause_text(cause: object) -> str:
    if isinstance(cause, APIError):
        explanation = getattr(cause, "explanation", None)
        if explanation:
            return str(explanation.decode() if isinstance(explanation, bytes) else explanation).strip()
    return str(cause).strip()


def connection_params(params: dict, environ: dict | None = None) -> dict:
    """Resolve connection options (module params, then DOCKER_* variables, then defaults).

    Returns the keyword arguments of ``docker.APIClient`` plus ``ship`` (name used in messages).
    Pure: no network access. ``DOCKER_CERT_PATH`` supplies ca.pem/cert.pem/key.pem when the paths are unset.
    """
    env = os.environ if environ is None else environ
    host = params.get("docker_host") or env.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
    if host.startswith("/"):
        host = f"unix://{host}"
    verify = _as_bool(params.get("validate_certs"), env.get("DOCKER_TLS_VERIFY"))
    use_tls = verify or _as_bool(params.get("tls"), env.get("DOCKER_TLS"))
    cert_path = env.get("DOCKER_CERT_PATH")
    ca = params.get("ca_path") or (os.path.join(cert_path, "ca.pem") if cert_path else None)
    cert = params.get("client_cert") or (os.path.join(cert_path, "cert.pem") if cert_path else None)
    key = params.get("client_key") or (os.path.join(cert_path, "key.pem") if cert_path else None)
    timeout = params.get("timeout") or env.get("DOCKER_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS
    result = {
        "base_url": host,
        "version": params.get("api_version") or env.get("DOCKER_API_VERSION") or "auto",
        "timeout": int(timeout),
        "ship": params.get("ship") or _ship_from_url(host),
        "tls": None,
        "use_ssh_client": bool(params.get("use_ssh_client")),
        "ssh_key": params.get("ssh_key"),
    }
    if use_tls:
        result["tls"] = {
            "verify": bool(verify),
            "client_cert": (cert, key) if cert and key else None,
            "ca_cert": ca if verify else None,
        }
    return result


def _as_bool(value, env_value) -> bool:
    if value is not None:
        return bool(value)
    return str(env_value).lower() in ("1", "true", "yes", "on") if env_value is not None else False


@functools.cache
def _any_proxy_variable() -> bool:
    """Whether a proxy variable (http_proxy, no_proxy...) is set at all: read once per process."""
    return bool(urllib.request.getproxies_environment())


@functools.cache
def _environ_proxies(base_url: str) -> tuple:
    """The proxy variables' settings for one daemon URL, read once per process and URL (requests scans the
    whole environment twice for each, and an engine task makes a client per ship)."""
    return tuple(get_environ_proxies(base_url).items()) if _any_proxy_variable() else ()


def _ship_from_url(url: str) -> str:
    parsed = urlparse(url)
    return parsed.hostname or parsed.path or url


class ShipClient:
    """One ship's Docker daemon, reached through the Docker SDK for Python's APIClient.

    Every method raises :class:`DockerFailure` (never an SDK exception) and returns plain dicts.
    ``inspect_*`` return ``None`` for a missing object.
    """

    def __init__(self, params: dict, own_process: bool = False):
        """own_process: this Python process is ours alone (a module run), so ssh_key may adjust its PATH."""
        conn = connection_params(params)
        self.ship = conn["ship"]
        self.docker_host = conn["base_url"]
        self.negotiated = negotiates(conn["version"])  # the version is asked of the daemon, not given
        self._tmp = None
        self._seen_as: dict = {}  # check mode: name -> the container's real name, or None (see assume_moves)
        if DOCKER_IMPORT_ERROR:
            raise DockerFailure("connecting to", self.docker_host, self.ship, "the Docker SDK for Python (docker) is not installed")
        if conn["ssh_key"]:
            self._use_ssh_key(conn, own_process)
        try:
            tls = TLSConfig(**conn["tls"]) if conn["tls"] else False
            # The version is negotiated below, once the TLS settings are final.
            version = docker.constants.DEFAULT_DOCKER_API_VERSION if self.negotiated else conn["version"]
            self.api = docker.APIClient(
                base_url=conn["base_url"], version=version, timeout=conn["timeout"], tls=tls, use_ssh_client=conn["use_ssh_client"], max_pool_size=32
            )
            if tls and conn["tls"]["ca_cert"]:
                # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override session.verify, which would verify
                # the daemon against the system bundle instead of ca_path: take no TLS settings from the environment.
                self.api.trust_env = False
            elif not tls:
                # requests reads the proxy variables of the whole environment again on every request (0.2 of the
                # 1.1 ms of CPU an inspect costs, measured): read them once, for this daemon (no_proxy honoured).
                self.api.proxies = dict(_environ_proxies(self.api.base_url))
                self.api.trust_env = False
            if self.negotiated:
                # The public version call (what docker.APIClient(version="auto") makes in its constructor, before
                # trust_env could be set); the SDK has no public setter for the negotiated version.
                self.api._version = self.api.version(api_version=False)["ApiVersion"]
        except Exception as exc:
            raise DockerFailure("connecting to Docker daemon", self.docker_host, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc
        if docker.utils.version_lt(self.api.api_version, MIN_API_VERSION):
            cause = f"Docker API version is {self.api.api_version}, at least {MIN_API_VERSION} is needed"
            raise DockerFailure("connecting to Docker daemon", self.docker_host, self.ship, cause)

    def close(self) -> None:
        self.api.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _use_ssh_key(self, conn: dict, own_process: bool) -> None:
        """ssh:// with use_ssh_client runs ``ssh`` from PATH with no room for options: put a wrapper that adds
        ``-i <ssh_key>`` first on this process's PATH (only ever done in a module's own process)."""
        if not conn["base_url"].startswith("ssh://") or not conn["use_ssh_client"]:
            raise DockerFailure("connecting to Docker daemon", self.docker_host, self.ship, "ssh_key needs an ssh:// docker_host and use_ssh_client=true")
        if not own_process:
            raise DockerFailure("connecting to Docker daemon", self.docker_host, self.ship, "ssh_key is only supported in modules, not in controller plugins")
        real_ssh = shutil.which("ssh")
        if real_ssh is None:
            raise DockerFailure("connecting to Docker daemon", self.docker_host, self.ship, "use_ssh_client needs the ssh command, which is not on PATH")
        self._tmp = tempfile.mkdtemp(prefix="maestro-ssh-")
        wrapper = os.path.join(self._tmp, "ssh")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec {shlex.quote(real_ssh)} -i {shlex.quote(conn["ssh_key"])} -o IdentitiesOnly=yes "$@"\n')
        os.chmod(wrapper, 0o700)
        os.environ["PATH"] = f"{self._tmp}{os.pathsep}{os.environ.get('PATH', '')}"

    def call(self, doing: str, obj: str | None, func, *args, **kwargs):
        """Run one SDK call; any error becomes a DockerFailure naming what was being done."""
        try:
            return func(*args, **kwargs)
        except DockerFailure:
            raise
        except (DockerException, RequestException, OSError, ValueError) as exc:
            raise DockerFailure(doing, obj, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc

    # ---- check mode ---------------------------------------------------------------------------
    def assume_moves(self, moves) -> None:
        """Check mode chains its steps: the renames and removals that earlier steps of the run would have made
        (``moves``: ``[from, to]`` in order, ``to`` None for a removal) are seen by this client's reads, so a step
        after a park sees the slot empty and the parked container under its new name, as a real run would."""
        seen_as: dict = {}
        for source, target in moves or ():
            real = seen_as.get(source, source)
            seen_as[source] = None
            if target is not None:
                seen_as[target] = real
        self._seen_as = seen_as

    def _seen(self, container: dict | None, name: str, real: str) -> dict | None:
        return {**container, "Name": f"/{name}"} if container is not None and real != name else container

    def _listed_as_seen(self, listed: list[dict]) -> list[dict]:
        """A container listing with the assumed moves applied: renamed ones under their new name, removed ones left out."""
        new_name = {real: name for name, real in self._seen_as.items() if real is not None}
        out = []
        for summary in listed:
            # its own name: a link alias (/app-1/db) may sort before it
            names = summary.get("Names") or []
            real = next((name for name in names if name.count("/") == 1), next(iter(names), "")).lstrip("/")
            if real in new_name:
                out.append({**summary, "Names": [f"/{new_name[real]}"]})
            elif real not in self._seen_as:
                out.append(summary)
        return out

    # ---- reads --------------------------------------------------------------------------------
    def inspect_container(self, name: str) -> dict | None:
        real = self._seen_as.get(name, name) if self._seen_as else name
        if real is None:
            return None
        try:
            return self._seen(self.api.inspect_container(real), name, real)
        except NotFound:
            return None
        except (DockerException, RequestException, OSError) as exc:
            raise DockerFailure("inspecting container", name, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc

    def inspect_image(self, ref: str) -> dict | None:
        try:
            return self.api.inspect_image(ref)
        except (ImageNotFound, NotFound):
            return None
        except (DockerException, RequestException, OSError) as exc:
            raise DockerFailure("inspecting image", ref, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc

    def containers(self, labels: dict | None = None) -> list[dict]:
        """Every container, running or not, whose labels hold all of ``labels`` (every one without): the API's summaries
        (Id, Names, Labels, State)."""
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]} if labels else None
        listed = self.call("listing containers", None, self.api.containers, all=True, filters=filters)
        return self._listed_as_seen(listed) if self._seen_as else listed

    def container_names(self) -> set[str]:
        """The names of every container on the ship, running or not, ours or not (an unmanaged container may hold a
        name): one listing, where inspecting each of many names is a request per name, found or not."""
        return {name.lstrip("/") for summary in self.containers() for name in summary.get("Names") or []}

    def distribution_digest(self, ref: str, auth_config: dict | None = None) -> str:
        data = self.call("asking the registry for the digest of image", ref, self.api.inspect_distribution, ref, auth_config=auth_config)
        return data["Descriptor"]["digest"]

    def system_time(self) -> str:
        """The daemon's clock now, as Docker writes times (RFC 3339, in the daemon's zone)."""
        return self.call("reading the time of Docker daemon", None, self.api.info)["SystemTime"]

    def logs(self, name: str, tail: int | str, since: float | None = None) -> str:
        """The last ``tail`` lines of the container's output (only those since the epoch time ``since``, if given)."""
        kwargs = {"since": since} if since is not None else {}
        raw = self.call("reading logs of container", name, self.api.logs, name, stdout=True, stderr=True, tail=tail, timestamps=False, **kwargs)
        return raw.decode("utf-8", errors="replace")

    def read_file(self, name: str, path: str) -> str | None:
        """The text of one file in a container (running or not), or None when it has no such file."""

        def _read():
            try:
                stream, _stat = self.api.get_archive(name, path)
            except NotFound as exc:
                if "No such container" in _cause_text(exc):
                    raise
                return None
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                member = tar.next()
                handle = tar.extractfile(member) if member is not None else None
                return handle.read().decode("utf-8", errors="replace") if handle is not None else None

        return self.call(f"reading {path} in container", name, _read)

    def processes(self, name: str) -> list[dict]:
        """The processes of a running container (Docker's ``top``): [{pid, ppid, cmd}], host PIDs."""
        top = self.call("listing the processes of container", name, self.api.top, name)
        titles = top.get("Titles") or []
        rows = [dict(zip(titles, row, strict=False)) for row in top.get("Processes") or []]
        return [{"pid": int(r["PID"]), "ppid": int(r.get("PPID") or 0), "cmd": r.get("CMD") or r.get("COMMAND") or ""} for r in rows]

    # ---- writes -------------------------------------------------------------------------------
    def pull(self, repository: str, tag: str, auth_config: dict | None = None) -> None:
        ref = f"{repository}:{tag}"

        def _pull():
            for event in self.api.pull(repository, tag=tag, stream=True, decode=True, auth_config=auth_config):
                if "error" in event:
                    raise DockerException(event.get("error"))

        self.call("pulling image", ref, _pull)

    def create(self, name: str, config: dict) -> str:
        return self.call("creating container", name, self.api.create_container_from_config, config, name=name)["Id"]

    def create_unless_exists(self, name: str, config: dict) -> str | None:
        """Create a container; None when the name is taken (the daemon's 409 Conflict: an atomic test-and-set)."""
        try:
            return self.api.create_container_from_config(config, name=name)["Id"]
        except APIError as exc:
            if getattr(exc, "status_code", None) == 409:
                return None
            raise DockerFailure("creating container", name, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc
        except (DockerException, RequestException, OSError, ValueError) as exc:
            raise DockerFailure("creating container", name, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc

    def import_image(self, data: bytes, repository: str, tag: str) -> None:
        """Make an image from a root file system tarball (no registry involved)."""
        self.call("importing image", f"{repository}:{tag}", self.api.import_image_from_data, data, repository=repository, tag=tag)

    def write_file(self, name: str, path: str, text: str, mode: int = 0o644) -> None:
        """Write one file into a container (running or not) through the archive API; its directory must exist."""
        directory, _sep, filename = path.rpartition("/")
        data = text.encode("utf-8")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(filename)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        self.call(f"writing {path} in container", name, self.api.put_archive, name, directory or "/", buf.getvalue())

    def signal(self, name: str, signal: str) -> None:
        self.call(f"sending {signal} to container", name, self.api.kill, name, signal=signal)

    def connect_network(self, name: str, network: str, aliases: list | None) -> None:
        self.call(f"connecting to network {network} container", name, self.api.connect_container_to_network, name, network, aliases=aliases or None)

    def rename(self, name: str, new_name: str) -> None:
        self.call("renaming container", f"{name} to {new_name}", self.api.rename, name, new_name)

    def start(self, name: str) -> None:
        self.call("starting container", name, self.api.start, name)

    def stop(self, name: str, timeout: int) -> None:
        self.call("stopping container", name, self.api.stop, name, timeout=timeout)

    def kill(self, name: str) -> None:
        self.call("killing container", name, self.api.kill, name, signal="SIGKILL")

    def remove(self, name: str, missing_ok: bool = False) -> bool:
        """Remove a stopped container with its anonymous volumes (named volumes stay); True when this call removed it.

        missing_ok: a container that is gone, or that another client is removing at this moment (409), is no failure
        (False: someone else removed it).
        """
        try:
            self.api.remove_container(name, v=True)
        except NotFound as exc:
            if not missing_ok:
                raise DockerFailure("removing container", name, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc
            return False
        except APIError as exc:
            if not (missing_ok and removal_in_progress(exc)):
                raise DockerFailure("removing container", name, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc
            return False
        except (DockerException, RequestException, OSError) as exc:
            raise DockerFailure("removing container", name, self.ship, _strip_sdk(exc), traceback.format_exc()) from exc
        return True

    def exec_run(self, name: str, command: list[str]) -> tuple[int, str]:
        def _exec():
            exec_id = self.api.exec_create(name, command, stdout=True, stderr=True)["Id"]
            output = self.api.exec_start(exec_id)
            code = self.api.exec_inspect(exec_id).get("ExitCode")
            return code, output.decode("utf-8", errors="replace")

        return self.call("running a command in container", name, _exec)


def removal_in_progress(exc: BaseException) -> bool:
    """Whether a remove failed because another client is removing the container (409 Conflict, "removal of container
    <id> is already in progress"); a 409 for a running container is another matter."""
    return getattr(exc, "status_code", None) == 409 and "already in progress" in _cause_text(exc)


def _strip_sdk(exc: BaseException) -> str:
    """The useful part of an SDK error message (no 'for url: http+docker://...' noise)."""
    text = _cause_text(exc)
    if isinstance(exc, APIError) and getattr(exc, "explanation", None):
        return text
    return text.replace("Error while fetching server API version: ", "")


# ---- Ansible module entry point ----------------------------------------------------------------
def docker_argument_spec(spec: dict) -> dict:
    """The module's own options plus the shared connection options."""
    merged = {k: dict(v) for k, v in DOCKER_COMMON_ARGS.items()}
    merged.update(spec)
    return merged


def new_module(argument_spec: dict, **kwargs) -> AnsibleModule:
    required_together = list(kwargs.pop("required_together", [])) + DOCKER_REQUIRED_TOGETHER
    module = AnsibleModule(argument_spec=docker_argument_spec(argument_spec), required_together=required_together, **kwargs)
    if DOCKER_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("docker (Docker SDK for Python)"), exception=DOCKER_IMPORT_ERROR)
    return module
