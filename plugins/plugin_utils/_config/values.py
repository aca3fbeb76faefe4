# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Value types of the ships file that are more than a string or a number.

Each function here is ``parse(value, at) -> normalised value or INVALID`` and is bound to keys in
``_config.schema``. Deviations from maestro-ng are stated where they are made.
"""

from __future__ import annotations

import ipaddress
import os
import re

from ansible_collections.maestro.docker.plugins.module_utils._docker.client import MIN_API_VERSION, negotiates
from ansible_collections.maestro.docker.plugins.module_utils._docker.registry import split_ref
from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import describe, suggest
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import INVALID

# --- names -----------------------------------------------------------------------------------------

# Docker's own rule for container names (at least two characters).
CONTAINER_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
VOLUME_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def path(value, at):
    """A file path; ``~`` is expanded and a relative path is taken from the declaring file's dir.

    (maestro-ng took relative paths from the current directory except for envfiles; here every
    path in the file is relative to the file that declares it, which is what layering needs.)
    """
    if not isinstance(value, str) or not value:
        at.error("must be a file path, not %s" % describe(value))
        return INVALID
    value = os.path.expanduser(value)
    if not os.path.isabs(value):
        value = os.path.join(at.loc.source.base_dir, value)
    return os.path.normpath(value)


def container_path(value, at):
    """An absolute path inside the container."""
    if not isinstance(value, str) or not value.startswith("/"):
        at.error("'%s' is not an absolute path in the container" % (value,))
        return INVALID
    return value


# --- image and command -----------------------------------------------------------------------------


def image(value, at):
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        at.error("'%s' is not an image name (REPOSITORY[:TAG] or REPOSITORY@DIGEST)" % (value,))
        return INVALID
    return value


def split_image(name: str) -> tuple[str, str, str]:
    """(full image with tag, repository, tag). The tag defaults to ``latest`` (maestro-ng).

    ``repo@sha256:...`` keeps its digest as the "tag" and the full name unchanged. The split is the
    collection's one image reference splitter (module_utils/_docker/registry.py).
    """
    repository, tag = split_ref(name)
    return (name if repository != name else f"{name}:{tag}"), repository, tag


def command(value, at):
    """A string (split by the Docker modules like docker-py did) or a list of strings (exec form)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    at.error("must be a string or a list of strings, not %s" % describe(value))
    return INVALID


# --- restart policy --------------------------------------------------------------------------------

RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")


def restart(value, at):
    """``"name[:retries]"`` or ``{name, retries}``; ``maximum_retry_count`` is accepted for ``retries``.

    maestro-ng's docs show ``maximum_retry_count`` but its code only took ``retries`` (DOC!=CODE);
    both work here. YAML reads a bare ``no`` as false, which means ``no`` too. Retries are only
    allowed with ``on-failure`` (Docker rejects them otherwise).
    """
    if value is False:
        value = "no"
    if isinstance(value, str):
        name, _sep, retries = value.partition(":")
        if retries and not retries.isdigit():
            at.error("invalid restart policy '%s' (expected NAME or on-failure:RETRIES)" % value)
            return INVALID
        retries = int(retries) if retries else 0
        where = at
    elif isinstance(value, dict):
        unknown = [k for k in value if k not in ("name", "retries", "maximum_retry_count")]
        if unknown:
            at.key(value, unknown[0]).error("unknown restart key '%s'%s" % (unknown[0], suggest(unknown[0], ("name", "retries"))))
            return INVALID
        if "retries" in value and "maximum_retry_count" in value:
            at.error("'retries' and 'maximum_retry_count' are the same key; keep only 'retries'")
            return INVALID
        name = value.get("name", "no")
        retries = value.get("retries", value.get("maximum_retry_count", 0))
        where = at.key(value, "name") if "name" in value else at
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            at.error("restart retries must be a non-negative integer, not %s" % (retries,))
            return INVALID
    else:
        at.error("must be a restart policy string or mapping, not %s" % describe(value))
        return INVALID
    if name is False:
        name = "no"
    if name not in RESTART_POLICIES:
        where.error("unknown restart policy '%s' (one of %s)%s" % (name, ", ".join(RESTART_POLICIES), suggest(name, RESTART_POLICIES)))
        return INVALID
    if retries and name != "on-failure":
        where.error("restart retries need the on-failure policy, not %s" % name)
        return INVALID
    return {"name": name, "retries": retries}


# --- sizes and durations ---------------------------------------------------------------------------

_BYTES_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def byte_size(value, at):
    """Bytes: an integer, or a string with a k/m/g (t) suffix, case-insensitive; -1 = unlimited.

    The Docker SDK's rule (``docker.utils.parse_bytes``, which maestro-ng's ``mem_limit`` went through), plus
    ``t``, written out because the loader runs where the SDK need not be installed (``ansible-inventory``);
    a unit test holds the two to the same answers. ansible-core's ``human_to_bytes`` refuses ``512mb``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < -1:
            at.error("%d is not a size" % value)
            return INVALID
        return value
    m = _BYTES_RE.match(value.strip()) if isinstance(value, str) else None
    if not m:
        at.error("'%s' is not a size (bytes, or a number with a k, m or g suffix)" % (value,))
        return INVALID
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration(value, at):
    """Seconds (a number) or a Go-style duration string (``10s``, ``1m30s``, ``500ms``) -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value and _DURATION_RE.sub("", value) == "":
        seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in _DURATION_RE.findall(value))
        return int(seconds) if seconds == int(seconds) else round(seconds, 9)
    at.error("'%s' is not a duration (seconds, or a string like 10s, 1m30s, 500ms)" % (value,))
    return INVALID


# --- ship connection ----------------------------------------------------------------------------------


def api_version(value, at):
    """``auto`` or a version. A YAML number such as 1.4 (from an unquoted 1.40) is read as 1.40:
    Docker API versions always have two digits after the dot since 1.10.

    A version below the least the collection speaks (maestro-ng's files pinned 1.18 to 1.29) is a minimum: it
    becomes ``auto``, the daemon's version is used (at least ``MIN_API_VERSION``), and a warning says so."""
    if isinstance(value, float):
        value = "%.2f" % value
    if isinstance(value, str) and (value == "auto" or re.match(r"^\d+\.\d+$", value)):
        if value != "auto" and negotiates(value):
            at.warn(
                "api_version %s is below %s, the least this collection speaks: it is taken as a minimum and the version is negotiated with the daemon"
                % (value, MIN_API_VERSION)
            )
            return "auto"
        return value
    at.error("'%s' is not an API version (auto, or like \"1.41\")" % (value,))
    return INVALID


_HOST_RE = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")


def address(value, at):
    """An IP address or a host name."""
    if isinstance(value, str) and (_is_ip(value) or _HOST_RE.match(value)):
        return value
    at.error("'%s' is not an IP address or host name" % (value,))
    return INVALID


def _is_ip(value) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# --- volumes ---------------------------------------------------------------------------------------

VOLUME_MODES = frozenset(("ro", "rw", "z", "Z", "shared", "slave", "private", "rshared", "rslave", "rprivate", "nocopy", "consistent", "cached", "delegated"))


def volumes(value, at):
    """Bind mounts and named volumes -> a list of ``{type, source, target, mode}``.

    Schema 2: ``SOURCE: TARGET`` or ``SOURCE: {target: TARGET, mode: ro}``. Schema 1 (maestro-ng's
    default and old form): ``TARGET: SOURCE``, strings only. A source that is an absolute path is a
    bind mount (``type: bind``); a source that is a name (``data``) is a named Docker volume
    (``type: volume``, an extension: maestro-ng issue #172). Anything else (``./data``) is an error.
    """
    if not isinstance(value, dict):
        at.error("must be a mapping of volumes, not %s" % describe(value))
        return INVALID
    schema = at.ctx.get("schema", 1)
    result, ok, targets = [], True, {}
    for key, spec in value.items():
        child = at.key(value, key)
        mode = "rw"
        if schema == 1:
            if not isinstance(spec, str):
                child.error("schema 1 volumes are CONTAINER_PATH: HOST_PATH strings; set __maestro.schema: 2 for {target, mode}")
                ok = False
                continue
            source, target = spec, key
        else:
            source = key
            if isinstance(spec, str):
                target = spec
            elif isinstance(spec, dict):
                unknown = [k for k in spec if k not in ("target", "mode")]
                if unknown or "target" not in spec:
                    child.error(
                        "unknown volume key '%s'%s" % (unknown[0], suggest(unknown[0], ("target", "mode"))) if unknown else "missing required key 'target'"
                    )
                    ok = False
                    continue
                target, mode = spec["target"], spec.get("mode", "rw")
            else:
                child.error("must be a container path or {target, mode}, not %s" % describe(spec))
                ok = False
                continue
        if not isinstance(source, str) or not (source.startswith("/") or VOLUME_NAME_RE.match(source)):
            child.error("volume source '%s' must be an absolute host path or a volume name" % (source,))
            ok = False
            continue
        if container_path(target, child) is INVALID:
            ok = False
            continue
        if not isinstance(mode, str) or not set(mode.split(",")) <= VOLUME_MODES:
            child.error("invalid volume mode '%s' (a comma-separated list of %s)" % (mode, ", ".join(sorted(VOLUME_MODES, key=str.lower))))
            ok = False
            continue
        if target in targets:
            child.error("%s is mounted twice (also from %s)" % (target, targets[target]))
            ok = False
            continue
        targets[target] = source
        result.append({"type": "bind" if source.startswith("/") else "volume", "source": source, "target": target, "mode": mode})
    return result if ok else INVALID


# --- networking ------------------------------------------------------------------------------------


def networks(value, at):
    """User-defined networks (extension, maestro-ng #219): a list of names or ``{name, aliases}``."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        at.error("must be a list of network names or {name, aliases}, not %s" % describe(value))
        return INVALID
    result, ok = [], True
    for i, entry in enumerate(value):
        child = at.index(value, i)
        item = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(item, dict):
            child.error("must be a network name or {name, aliases}, not %s" % describe(item))
            ok = False
            continue
        unknown = [k for k in item if k not in ("name", "aliases")]
        name, aliases = item.get("name"), item.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if unknown:
            child.error("unknown network key '%s'%s" % (unknown[0], suggest(unknown[0], ("name", "aliases"))))
        elif not isinstance(name, str) or not NAME_RE.match(name):
            child.error("'%s' is not a network name" % (name,))
        elif not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            child.error("aliases must be a list of names")
        elif any(n["name"] == name for n in result):
            child.error("network '%s' is listed twice" % name)
        else:
            result.append({"name": name, "aliases": list(aliases)})
            continue
        ok = False
    return result if ok else INVALID


def extra_host(value, at):
    """``IP`` or ``{ship: NAME}`` (that ship's ip); resolved once ships are known."""
    if isinstance(value, str) and _is_ip(value):
        return {"ip": value}
    if isinstance(value, dict) and list(value) == ["ship"] and isinstance(value["ship"], str):
        return {"ship": value["ship"]}
    at.error("must be an IP address or {ship: NAME}, not %s" % (value if isinstance(value, str) else describe(value)))
    return INVALID


# --- other container settings ----------------------------------------------------------------------

ULIMITS = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack")


def ulimits(value, at):
    """``{name: N}`` (soft = hard) or ``{name: {soft, hard}}`` -> a list of ``{name, soft, hard}``."""
    if not isinstance(value, dict):
        at.error("must be a mapping of ulimits, not %s" % describe(value))
        return INVALID
    result, ok = [], True
    for name, spec in value.items():
        child = at.key(value, name)
        if name not in ULIMITS:
            child.error("unknown ulimit '%s'%s" % (name, suggest(name, ULIMITS)))
            ok = False
            continue
        if isinstance(spec, int) and not isinstance(spec, bool):
            soft = hard = spec
        elif isinstance(spec, dict) and set(spec) == {"soft", "hard"} and all(isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in spec):
            soft, hard = spec["soft"], spec["hard"]
        else:
            child.error("must be an integer or {soft, hard} integers")
            ok = False
            continue
        if soft > hard and hard != -1:
            child.error("soft limit %d is above the hard limit %d" % (soft, hard))
            ok = False
            continue
        result.append({"name": name, "soft": soft, "hard": hard})
    return result if ok else INVALID


def labels(value, at):
    """A mapping, or a list of label names -> a mapping of strings.

    A list names labels with empty values, the whole item being the name, as maestro-ng (docker-py) made them:
    ``[team=core]`` is a label named ``team=core``, which a warning points out (a mapping sets ``team`` to ``core``)."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not isinstance(v, (dict, list)) for k, v in value.items()):
            return {k: "" if v is None else scalar_text(v) for k, v in value.items()}
        at.error("label names must be strings and values scalars")
        return INVALID
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        for i, item in enumerate(value):
            if "=" in item:
                name, _sep, text = item.partition("=")
                at.index(value, i).warn(
                    "the label is named '%s' with an empty value, as maestro-ng made it; for a label %s with the value '%s', write labels as a mapping"
                    % (item, name, text)
                )
        return dict.fromkeys(value, "")
    at.error("must be a mapping or a list of label names, not %s" % describe(value))
    return INVALID


# Built-in drivers of today's Docker. maestro-ng only allowed docker-py 1.10's six; plugin drivers
# (``vendor/name[:tag]``) are also accepted here.
LOG_DRIVERS = ("none", "local", "json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "etwlogs", "gcplogs", "logentries")


def log_driver(value, at):
    if isinstance(value, str) and (value in LOG_DRIVERS or re.match(r"^[a-z0-9][\w.-]*/[\w./-]+(:[\w.-]+)?$", value)):
        return value
    at.error("unknown log driver '%s' (one of %s, or a plugin vendor/name)%s" % (value, ", ".join(LOG_DRIVERS), suggest(value, LOG_DRIVERS)))
    return INVALID


def string_map(value, at):
    """A mapping whose values are stringified (``log_opt``; maestro-ng did the same)."""
    if isinstance(value, dict) and all(isinstance(k, str) and not isinstance(v, (dict, list)) for k, v in value.items()):
        return {k: scalar_text(v) for k, v in value.items()}
    at.error("must be a mapping of names to scalar values")
    return INVALID


def scalar_text(value) -> str:
    """A YAML scalar as text. Booleans become ``true``/``false`` here (not Python's True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value  # a Vaulted stays one (a secret)
    return "" if value is None else str(value)


def healthcheck_post(result, at):
    """Finish a healthcheck: ``test`` as Docker's list form; ``disable: true`` = ``["NONE"]``."""
    if result.pop("disable", False):
        result["test"] = ["NONE"]
    test = result.get("test")
    if test is None:
        at.error("missing required key 'test' (or disable: true)")
        return INVALID
    if isinstance(test, str):
        result["test"] = ["CMD-SHELL", test]
    elif not (test and test[0] in ("NONE", "CMD", "CMD-SHELL")):
        at.error("a healthcheck test list must start with CMD, CMD-SHELL or NONE")
        return INVALID
    return result


def healthcheck_test(value, at):
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    at.error("must be a shell command string or a list like [CMD, arg...], not %s" % describe(value))
    return INVALID


def regex(value, at):
    if not isinstance(value, str):
        at.error("must be a regular expression string, not %s" % describe(value))
        return INVALID
    try:
        re.compile(value)
    except re.error as exc:
        at.error("invalid regular expression '%s': %s" % (value, exc))
        return INVALID
    return value


def port_ref(value, at):
    """A named port (checked against the instance's ports later), or a port number (http checks)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value
    at.error("must be a port name or number, not %s" % (value if isinstance(value, (str, int)) else describe(value)))
    return INVALID
