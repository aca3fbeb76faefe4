# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Instance spec -> Docker container config, declared once as data, and drift against ``inspect``.

An *instance spec* is the plain dict the ships-file loader produces for one instance (keys in
``SPEC_KEYS``). :data:`OPTIONS` maps each spec key to the Docker API field it sets (the same
path in the create body and in ``docker inspect``: ``Cmd`` <-> ``Config.Cmd``,
``HostConfig.X`` <-> ``HostConfig.X``), how the value is built, and how drift is compared.
``SPEC_KEYS`` is the keys of OPTIONS and ``META_KEYS``: a new container option that the ships
file passes as it is takes one ``Option`` here and one ``Field(..., spec=KEY)`` in the loader's
schema (plugin_utils/_config/schema.py: the file's grammar and default), plus their tests.
Pure logic: no Docker access, unit-tested in tests/unit/plugins/module_utils/_docker/test_spec.py.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.maestro.docker.plugins.module_utils._docker import ports as _ports

MASK = "********"

LABEL_MANAGED = "maestro.managed"
LABEL_ENVIRONMENT = "maestro.environment"
LABEL_SERVICE = "maestro.service"
LABEL_INSTANCE = "maestro.instance"
LABEL_HASH = "maestro.spec-hash"
# The release a container runs (a blue/green deploy records it): maestro.release is its id, maestro.release.<field>
# the rest (RELEASE_FIELDS). A record, not configuration: left out of the spec hash and of the label comparison.
LABEL_RELEASE = "maestro.release"
RELEASE_FIELDS = ("time", "tag", "image", "digest")

# Spec keys that are no container option of their own: who and where the instance is, what other options are
# made of (hostname, log_opt), what is applied after create (networks), the checks and the plan. With the keys of
# OPTIONS, they are the spec's keys (SPEC_KEYS, below OPTIONS): a new container option is one Option.
META_KEYS = (
    *("name", "hostname", "service", "environment", "ship", "ship_ip", "repository", "tag", "secret_env", "networks", "log_opt"),
    *("lifecycle", "requires", "wants_info", "omit"),
)
DEFAULT_STOP_TIMEOUT = 10
NANO = 1_000_000_000


class SpecError(ValueError):
    """An instance spec that cannot be turned into a container config (message names key and value)."""


def _with_suggestion(key: str) -> str:
    """An unknown key, with the known one it is closest to, as the ships file's errors say it: ``imgae (did you mean 'image'?)``."""
    close = difflib.get_close_matches(str(key), SPEC_KEYS, n=1)
    return f"{key} (did you mean '{close[0]}'?)" if close else str(key)


def fill_defaults(spec: dict) -> dict:
    """A copy of spec with every known key present (missing = None) and stop_timeout defaulted."""
    if not isinstance(spec, dict) or not spec.get("name"):
        raise SpecError(f"an instance spec must be a dict with a name, got {spec!r:.80}")
    if spec.get("add_links"):
        raise SpecError(
            f"instance {spec['name']}: its link variables were not added (add_links: true); the collection's action plugins add them "
            "from the maestro.docker.ships inventory"
        )
    unknown = sorted(set(spec) - set(SPEC_KEYS) - {"add_links"})
    if unknown:
        raise SpecError(f"instance {spec['name']}: unknown spec keys {', '.join(_with_suggestion(key) for key in unknown)}")
    full = {key: spec.get(key) for key in SPEC_KEYS}
    if full["stop_timeout"] is None:
        full["stop_timeout"] = DEFAULT_STOP_TIMEOUT
    if not full["image"]:
        raise SpecError(f"instance {spec['name']}: image is required")
    return full


# ---- builders: spec value -> API value (None = leave unset) ----------------------------------------
def _env(value, spec):
    """``KEY=VALUE`` entries; a None value is ``KEY`` alone, which Docker reads as "not in the environment" (docker-py's
    and maestro-ng's way of writing it)."""
    return [k if v is None else f"{k}={v}" for k, v in sorted((value or {}).items())]


def _command(value, spec):
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def _hostname(value, spec):
    """The spec's hostname (the loader sets it to the name), else the name; none with a network mode."""
    return None if spec.get("network_mode") else (spec.get("hostname") or value)


def port_bindings(ports: list[dict] | None) -> dict[str, list[dict]]:
    """Named ports -> HostConfig.PortBindings (exposed:external, ranges expanded 1:1)."""
    bindings: dict[str, list[dict]] = {}
    for port in ports or []:
        proto = port.get("protocol") or _ports.DEFAULT_PROTOCOL
        exposed = _numbers(port, "exposed")
        external = port.get("external")
        host_ip = port.get("bind_ip") or ""
        if external in (None, ""):
            hosts = [""] * len(exposed)
        else:
            ext = _numbers(port, "external")
            if len(ext) == len(exposed):
                hosts = [str(p) for p in ext]
            elif len(exposed) == 1:
                hosts = [str(external)]  # one container port, a random host port from a range
            else:
                raise SpecError(f"port {port.get('name')}: {len(exposed)} exposed ports cannot map to {len(ext)} external ports")
        for cport, hport in zip(exposed, hosts, strict=True):
            bindings.setdefault(f"{cport}/{proto}", []).append({"HostIp": host_ip, "HostPort": hport})
    return bindings


def _numbers(port: dict, side: str) -> list[int]:
    try:
        return _ports.numbers(port[side])
    except _ports.PortError as exc:
        raise SpecError(f"invalid port {port.get('name')}: {side} {exc}") from None


def _exposed(value, spec):
    return {key: {} for key in port_bindings(value)} or None


def _binds(value, spec):
    return [f"{v['source']}:{v['target']}:{v.get('mode') or 'rw'}" for v in value or []] or None


def _volumes(value, spec):
    targets = [v["target"] for v in spec.get("volumes") or []] + list(value or [])
    return {t: {} for t in targets} or None


def _links(value, spec):
    return [f"{name}:{alias}" for name, alias in sorted(value.items())] or None


def _extra_hosts(value, spec):
    return [f"{host}:{ip}" for host, ip in sorted(value.items())] or None


def _restart(value, spec):
    if isinstance(value, str):
        name, _sep, retries = value.partition(":")
        value = {"name": name, "retries": retries or 0}
    name = value.get("name") or "no"
    return {"Name": "" if name == "no" else name, "MaximumRetryCount": int(value.get("retries") or 0)}


def _log_config(value, spec):
    return {"Type": value, "Config": {k: str(v) for k, v in (spec.get("log_opt") or {}).items()}}


def _ulimits(value, spec):
    return [{"Name": u["name"], "Soft": int(u["soft"]), "Hard": int(u.get("hard", u["soft"]))} for u in value]


def _labels(value, spec):
    labels = {k: str(v) for k, v in (value or {}).items()}
    labels.update(
        {
            LABEL_MANAGED: "true",
            LABEL_ENVIRONMENT: str(spec.get("environment") or ""),
            LABEL_SERVICE: str(spec.get("service") or ""),
            LABEL_INSTANCE: spec["name"],
        }
    )
    return labels


def _healthcheck(value, spec):
    test = value.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    elif test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        test = ["CMD", *test]
    result = {"Test": test}
    for key, field in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
        if value.get(key) is not None:
            result[field] = int(float(value[key]) * NANO)
    if value.get("retries") is not None:
        result["Retries"] = int(value["retries"])
    return result


def _limit(field):
    return lambda value, spec: int(value) if value is not None else None


def _ident(value, spec):
    return value


def _as_list(value, spec):
    return list(value) if value else None


# ---- normalizers: inspect value -> comparable ------------------------------------------------------
def _env_dict(value) -> dict:
    return dict(item.split("=", 1) if "=" in item else (item, None) for item in value or [])


def _links_norm(value) -> list:
    out = []
    for link in value or []:
        src, _sep, dst = link.partition(":")
        out.append(f"{src.lstrip('/')}:{dst.rsplit('/', 1)[-1]}")
    return out


def _bindings_norm(value) -> dict:
    return {k: sorted((b.get("HostIp") or "", b.get("HostPort") or "") for b in v or []) for k, v in (value or {}).items()}


def _ulimits_norm(value) -> list:
    return sorted((u["Name"], u["Soft"], u["Hard"]) for u in value or [])


def _restart_norm(value) -> dict:
    value = value or {}
    name = value.get("Name") or ""
    return {"Name": "" if name == "no" else name, "MaximumRetryCount": value.get("MaximumRetryCount") or 0}


@dataclass(frozen=True)
class Option:
    """One instance-spec key and the Docker API field it drives.

    key: spec key (dotted for a sub-key, e.g. ``limits.memory``); path: API field, the same in the
    create body and under ``Config``/``HostConfig`` in inspect; build: spec value -> API value;
    compare: ``strict`` (equal), ``set`` (equal ignoring order), ``subset`` (every wanted item is
    present; the image or daemon may add more), ``ignore`` (set at create time, never compared);
    norm: inspect/API value -> comparable form.
    """

    key: str
    path: str
    build: Callable[[Any, dict], Any]
    compare: str = "strict"
    norm: Callable[[Any], Any] | None = None
    default: Any = None  # compared when the spec leaves the key unset; None = not compared then


OPTIONS: tuple[Option, ...] = (
    Option("image", "Image", _ident, "ignore"),  # image drift is decided on image IDs, see instance manager
    Option("name", "Hostname", _hostname),
    Option("command", "Cmd", _command),
    Option("env", "Env", _env, "subset", _env_dict),
    Option("user", "User", _ident),
    Option("workdir", "WorkingDir", _ident),
    Option("ports", "ExposedPorts", _exposed, "subset", lambda v: sorted(v or {})),
    Option("container_volumes", "Volumes", _volumes, "subset", lambda v: sorted(v or {})),
    Option("labels", "Labels", _labels, "subset", lambda v: dict(v or {}), default={}),
    Option("stop_timeout", "StopTimeout", _ident),
    Option("healthcheck", "Healthcheck", _healthcheck),
    Option("ports", "HostConfig.PortBindings", lambda v, s: port_bindings(v) or None, "strict", _bindings_norm, default={}),
    Option("volumes", "HostConfig.Binds", _binds, "set", lambda v: sorted(v or []), default=[]),
    Option("volumes_from", "HostConfig.VolumesFrom", _as_list, "set", lambda v: sorted(v or []), default=[]),
    Option("links", "HostConfig.Links", _links, "set", lambda v: sorted(_links_norm(v)), default={}),
    Option("privileged", "HostConfig.Privileged", lambda v, s: bool(v), "strict", bool, default=False),
    Option("cap_add", "HostConfig.CapAdd", _as_list, "set", lambda v: sorted(v or []), default=[]),
    Option("cap_drop", "HostConfig.CapDrop", _as_list, "set", lambda v: sorted(v or []), default=[]),
    Option("extra_hosts", "HostConfig.ExtraHosts", _extra_hosts, "set", lambda v: sorted(v or []), default={}),
    Option("network_mode", "HostConfig.NetworkMode", _ident),
    Option("restart", "HostConfig.RestartPolicy", _restart, "strict", _restart_norm, default={"name": "no"}),
    Option("dns", "HostConfig.Dns", _as_list, "strict", lambda v: list(v or []), default=[]),
    Option("limits.memory", "HostConfig.Memory", _limit("memory"), "strict", lambda v: v or 0, default=0),
    Option("limits.swap", "HostConfig.MemorySwap", _limit("swap"), "strict", lambda v: v or 0),
    Option("limits.cpu", "HostConfig.CpuShares", _limit("cpu"), "strict", lambda v: v or 0, default=0),
    Option("log_driver", "HostConfig.LogConfig", _log_config, "strict", lambda v: {"Type": (v or {}).get("Type"), "Config": (v or {}).get("Config") or {}}),
    Option("security_opt", "HostConfig.SecurityOpt", _as_list, "set", lambda v: sorted(v or []), default=[]),
    Option("ulimits", "HostConfig.Ulimits", _ulimits, "set", _ulimits_norm, default=[]),
    Option("init", "HostConfig.Init", lambda v, s: bool(v), "strict", bool, default=False),
)

SPEC_KEYS = tuple(dict.fromkeys([*META_KEYS, *(option.key.split(".", 1)[0] for option in OPTIONS)]))


def spec_value(spec: dict, key: str):
    value = spec
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set_path(target: dict, path: str, value) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _get_path(source: dict, path: str):
    for part in path.split("."):
        if not isinstance(source, dict):
            return None
        source = source.get(part)
    return source


def _build(option: Option, value, spec: dict):
    try:
        return option.build(value, spec)
    except SpecError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise SpecError(f"instance {spec['name']}: invalid {option.key} {value!r}: {exc}") from None


def _wanted(option: Option, spec: dict):
    """(compared?, API value) of option for spec; an unset key is compared only against option.default."""
    value = spec_value(spec, option.key)
    if value is None and option.key != "labels":
        if option.default is None:
            return False, None
        value = option.default
    return True, _build(option, value, spec)


def container_config(spec: dict) -> dict:
    """The create body (POST /containers/create) for spec, with the maestro labels and spec hash."""
    spec = fill_defaults(spec)
    config: dict = {"HostConfig": {}}
    for option in OPTIONS:
        value = spec_value(spec, option.key)
        if value is None and option.key != "labels":
            continue
        built = _build(option, value, spec)
        if built is not None:
            _set_path(config, option.path, built)
    config["Labels"][LABEL_HASH] = spec_hash(config, spec.get("networks"))
    return config


def is_release_label(key: str) -> bool:
    return key == LABEL_RELEASE or key.startswith(f"{LABEL_RELEASE}.")


def release_labels(release: dict) -> dict:
    """The labels that record a release (``id`` and RELEASE_FIELDS; empty fields left out)."""
    labels = {LABEL_RELEASE: str(release["id"])}
    labels.update({f"{LABEL_RELEASE}.{field}": str(release[field]) for field in RELEASE_FIELDS if release.get(field)})
    return labels


def release_of(labels: dict | None) -> dict | None:
    """The release a container's labels record (``id`` and RELEASE_FIELDS), or None."""
    labels = labels or {}
    if not labels.get(LABEL_RELEASE):
        return None
    return {"id": labels[LABEL_RELEASE], **{field: labels.get(f"{LABEL_RELEASE}.{field}") for field in RELEASE_FIELDS}}


def spec_hash(config: dict, networks: list | None = None) -> str:
    """sha256 of the create body without the hash and release labels, plus the networks (connected after create).

    Secrets enter the labels only through this hash.
    """
    body = json.loads(json.dumps(config))
    body.get("Labels", {}).pop(LABEL_HASH, None)
    for key in [key for key in body.get("Labels", {}) if is_release_label(key)]:
        del body["Labels"][key]
    if networks:
        body["_networks"] = sorted((n["name"], sorted(n.get("aliases") or [])) for n in networks)
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _network_drift(spec: dict, inspect: dict) -> list[dict]:
    """User-defined networks are connected after create: every wanted one must be connected."""
    wanted = sorted(n["name"] for n in spec.get("networks") or [])
    have = sorted(((inspect.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    if wanted and not set(wanted) <= set(have):
        return [{"option": "networks", "path": "NetworkSettings.Networks", "wanted": wanted, "actual": have}]
    return []


def _inspect_path(path: str) -> str:
    return path if path.startswith("HostConfig.") else f"Config.{path}"


def _matches(mode: str, want, have) -> bool:
    if mode == "ignore":
        return True
    if mode == "set":
        return sorted(map(json.dumps, want)) == sorted(map(json.dumps, have))
    if mode == "subset":
        if isinstance(want, dict):
            return all(k in have and have[k] == v for k, v in want.items())
        return all(item in have for item in want)
    return want == have


def compare(spec: dict, inspect: dict) -> list[dict]:
    """Drift of a container (inspect output) from spec: ``[{option, path, wanted, actual}]``.

    Unset spec keys without a default are not compared (image or daemon default). The spec-hash
    label is compared too, so a removed key or an env entry dropped from the spec still shows.
    Values are raw (unmasked): pass the result through :func:`mask_drift` before returning it.
    """
    spec = fill_defaults(spec)
    drift = []
    for option in OPTIONS:
        if option.compare == "ignore":
            continue
        is_set, built = _wanted(option, spec)
        if not is_set:
            continue
        norm = option.norm or (lambda v: v)
        want = norm(built)
        if option.key == "labels":  # the release record is not configuration (a rollback keeps the older one)
            want = {key: value for key, value in want.items() if not is_release_label(key)}
        have = norm(_get_path(inspect, _inspect_path(option.path)))
        if not _matches(option.compare, want, have):
            actual = have
            if option.compare == "subset" and isinstance(want, dict):
                actual = {k: have.get(k) for k in want}
            drift.append({"option": option.key, "path": option.path, "wanted": want, "actual": actual})
    drift += _network_drift(spec, inspect)
    want_hash = container_config(spec)["Labels"][LABEL_HASH]
    have_hash = (_get_path(inspect, "Config.Labels") or {}).get(LABEL_HASH)
    if have_hash != want_hash and not any(d["option"] == "labels" for d in drift):
        drift.append({"option": "spec-hash", "path": f"Labels.{LABEL_HASH}", "wanted": want_hash, "actual": have_hash})
    return drift


# ---- secrets -----------------------------------------------------------------------------------------
def secret_values(spec: dict) -> list[str]:
    env = spec.get("env") or {}
    return [str(env[k]) for k in spec.get("secret_env") or [] if env.get(k) not in (None, "")]


def mask_env(env: dict, secret_keys) -> dict:
    secret = set(secret_keys or [])
    return {k: (MASK if k in secret and v not in (None, "") else v) for k, v in (env or {}).items()}


def mask_value(value, secrets: list[str]):
    """value with every occurrence of a secret string replaced by the mask (recursively)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: mask_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v, secrets) for v in value]
    return value


def mask_drift(drift: list[dict], spec: dict) -> list[dict]:
    secret_keys = set(spec.get("secret_env") or [])
    secrets = secret_values(spec)
    out = []
    for entry in drift:
        item = dict(entry)
        if item["option"] == "env":
            item["wanted"] = mask_env(item["wanted"], secret_keys)
            item["actual"] = mask_env(item["actual"], secret_keys)
        out.append(mask_value(item, secrets))
    return out


def public_spec(spec: dict) -> dict:
    """spec as it may be returned: secret env values masked."""
    spec = dict(spec)
    if spec.get("env"):
        spec["env"] = mask_env(spec["env"], spec.get("secret_env"))
    return mask_value(spec, secret_values(spec))
