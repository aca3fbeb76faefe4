# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Every key of the ships file, declared once, as data.

:data:`FIELDS` holds the keys of the four main levels (top-level, ship, ``ship_defaults``,
service, instance) with their type, default, description, the levels they are allowed at, where
they are required, and how an instance inherits them from its service (``inherit``):

* ``override``: the instance value, else the service value (``image``)
* ``merge``: per key, the instance wins (``limits``, ``ports``)
* ``append``: per lifecycle state, service checks then instance checks (``lifecycle``)
* ``union``: both lists (``secret_env``)
* ``env``: both kept, combined by the environment build order (``env``, ``envfile``)

Nested mappings (``limits``, ``healthcheck``, lifecycle checks, registries, auditors...) are
:class:`Struct` objects built from fields in the same way. Validation (``_config.types``), the
model (``_config.model``) and the reference documentation (``docs/tools/ships_file_reference.py``) all read these tables.
"""

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.plugin_utils._config import values as V
from ansible_collections.maestro.docker.plugins.plugin_utils._config.env import env_map, env_name
from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import suggest
from ansible_collections.maestro.docker.plugins.plugin_utils._config.ports import ports_map
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import (
    Bool,
    Enum,
    Field,
    Func,
    Int,
    ListOf,
    MapOf,
    Number,
    Raw,
    Str,
    Struct,
    TaggedStruct,
    Type,
)

TOP = "top-level"
SHIP = "ship"
SHIP_DEFAULTS = "ship_defaults"
SERVICE = "service"
INSTANCE = "instance"
LEVELS = (TOP, SHIP, SHIP_DEFAULTS, SERVICE, INSTANCE)
ALWAYS = frozenset({"*"})  # required_at for nested structs: always required

_SHIPS = frozenset({SHIP, SHIP_DEFAULTS})
_BOTH = frozenset({SERVICE, INSTANCE})

PATH = Func("path", V.path, "a file path")
NAME = Str(pattern=V.NAME_RE.pattern, pattern_doc="a valid name (letters, digits, '_', '.', '-')")
CONTAINER_NAME = Str(pattern=V.CONTAINER_NAME_RE.pattern, pattern_doc="a valid Docker container name (2+ characters: letters, digits, '_', '.', '-')")
STRINGS = ListOf(Str(), single=True)
PORT_NUMBER = Int(1, 65535)
DURATION = Func("duration", V.duration, "a duration")

# --- nested mappings ---------------------------------------------------------------------------------


def _check(kind, *fields):
    return Struct("%s check" % kind, [Field("type", Enum(kind), "The check type.", required_at=ALWAYS), *fields])


_MAX_WAIT_ATTEMPTS = Field("max_wait", Int(1), "Number of attempts, one second apart (maestro-ng counts attempts, not seconds).", default=180)
_ATTEMPTS = Field("attempts", Int(1), "Number of attempts, one second apart.", default=180)
_COMMAND = Field(
    "command",
    Str(),
    "The command (split like a shell would). cmd is accepted too, as maestro-ng's docs wrote it (its code raised KeyError).",
    required_at=ALWAYS,
    aliases=("cmd",),
)

LIFECYCLE_STATES = ("pre-start", "running", "pre-stop", "stopped")
CHECK = TaggedStruct(
    "lifecycle check",
    {
        "tcp": _check("tcp", Field("port", Str(), "Named TCP port of the instance to connect to on the ship's ip.", required_at=ALWAYS), _MAX_WAIT_ATTEMPTS),
        "http": _check(
            "http",
            Field("port", Func("port", V.port_ref, "a port name or number"), "Named port of the instance, or a port number.", required_at=ALWAYS),
            Field("host", Func("address", V.address, "an address"), "Host to query; the ship's ip when unset."),
            Field("path", Str(), "Request path.", default="/"),
            Field("scheme", Enum("http", "https"), "URL scheme.", default="http"),
            Field("method", Str(), "HTTP method.", default="get"),
            Field("match_regex", Func("regex", V.regex, "a regular expression"), "Regular expression searched in the body; without it, success is HTTP 200."),
            Field("max_wait", Number(0), "Deadline in seconds.", default=300),
            Field("requests_options", MapOf(Type()), "Options passed to the HTTP request (e.g. verify, timeout).", default={}),
        ),
        "exec": _check(
            "exec",
            _COMMAND,
            _ATTEMPTS,
            Field("envfrom", Enum("env", "stdin"), "Pass the container environment as environment variables, or as JSON on stdin.", default="env"),
        ),
        "rexec": _check("rexec", _COMMAND, _ATTEMPTS),
        "sleep": _check("sleep", Field("wait", Number(0), "Seconds to sleep.", required_at=ALWAYS)),
    },
)
LIFECYCLE = MapOf(ListOf(CHECK), key=Enum(*LIFECYCLE_STATES), doc="mapping of state (%s) to list of checks" % ", ".join(LIFECYCLE_STATES))

LIMITS = Struct(
    "limits",
    [
        Field("memory", Func("size", V.byte_size, "a size"), "Memory limit: bytes, or a number with a k, m or g suffix (any case)."),
        Field("swap", Func("size", V.byte_size, "a size"), "Memory + swap limit (Docker's memswap), same units; -1 for unlimited."),
        Field("cpu", Int(0), "CPU shares (relative weight)."),
    ],
)

HEALTHCHECK = Struct(
    "healthcheck",
    [
        Field(
            "test",
            Func("string or list", V.healthcheck_test),
            "Shell command string (run with CMD-SHELL), or Docker's list form [CMD, ...] / [CMD-SHELL, ...] / [NONE].",
        ),
        Field("interval", DURATION, "Time between checks: seconds or a duration string (10s, 1m30s)."),
        Field("timeout", DURATION, "Time one check may take."),
        Field("retries", Int(0), "Consecutive failures needed to report unhealthy."),
        Field("start_period", DURATION, "Start-up time during which failures do not count."),
        Field("start_interval", DURATION, "Time between checks during the start period (Docker 25+)."),
        Field("disable", Bool(), "Disable the image's healthcheck (same as test [NONE])."),
    ],
    post=V.healthcheck_post,
)

SSH_TUNNEL = Struct(
    "ssh_tunnel",
    [
        Field("user", Str(), "SSH user.", required_at=ALWAYS),
        Field("key", PATH, "SSH identity file.", required_at=ALWAYS),
        Field("port", PORT_NUMBER, "SSH port.", default=22),
    ],
)

PASSWORD_IN_CLEAR = (
    "the password is in clear text: whoever reads this file or the inventory (ansible-inventory --list) sees it; "
    "encrypt it with ansible-vault encrypt_string and write it as !vault"
)

REGISTRY = Struct(
    "registry",
    [
        Field("registry", Str(), "Registry URL, e.g. https://registry.example.com. An http:// URL means an insecure registry.", required_at=ALWAYS),
        Field("username", Str(coerce=True), "User to log in as; without it the local Docker config's credentials are used."),
        Field(
            "password",
            Str(coerce=True, allow_empty=True, secret=True, in_clear=PASSWORD_IN_CLEAR),
            "Password; may be encrypted with ansible-vault (!vault), and should be.",
        ),
        Field("email", Str(allow_empty=True), "E-mail (obsolete in today's registries). Optional: maestro-ng crashed without it (KeyError)."),
        Field(
            "retry",
            Struct(
                "registry retry",
                [
                    Field("attempts", Int(1), "Number of attempts for login and pull.", default=1),
                    Field("when", ListOf(Int(100, 599)), "HTTP status codes that cause a retry (1 s apart).", default=[]),
                ],
            ),
            "Retry policy for login and pull.",
            default={"attempts": 1, "when": []},
        ),
    ],
)

_AUDIT_COMMON = (
    Field("level", Enum("info", "debug"), "info: play-level events; debug: also per-container events.", default="info"),
    Field("ignore_errors", Bool(), "Do not fail the command when this auditor fails.", default=False),
)


def _auditor(kind, *fields):
    return Struct("%s auditor" % kind, [Field("type", Enum(kind), "The auditor type.", required_at=ALWAYS), *_AUDIT_COMMON, *fields])


AUDITOR = TaggedStruct(
    "auditor",
    {
        "log": _auditor("log", Field("file", PATH, "Log file.", required_at=ALWAYS)),
        "http": _auditor(
            "http",
            Field("endpoint", Str(), "URL to call.", required_at=ALWAYS),
            Field("payload", Type(), "JSON payload template; string leaves are formatted with {what}, {action}, {who}, {message}."),
            Field("headers", Func("mapping", V.string_map, "a mapping"), "HTTP headers.", default={}),
            Field("method", Enum("GET", "POST", "get", "post"), "HTTP method.", default="POST"),
            Field("timeout", Number(0), "Request timeout in seconds.", default=3),
        ),
        "exec": _auditor(
            "exec",
            Field("script", Str(), "Program to run on play-level success.", required_at=ALWAYS),
            Field("args", Func("string or list", V.command, "a string or a list"), "Arguments, formatted with {action}, {what}, {who}."),
        ),
        "slack": _auditor(
            "slack",
            Field("channel", Str(), "Channel.", required_at=ALWAYS),
            Field("token", Str(), "API token.", required_at=ALWAYS),
            Field("name", Str(), "Sender name."),
            Field("icon", Str(), "Sender icon."),
        ),
        "hipchat": _auditor(
            "hipchat",
            Field("room", Str(), "Room.", required_at=ALWAYS),
            Field("token", Str(), "API token.", required_at=ALWAYS),
            Field("name", Str(), "Sender name."),
        ),
    },
)

META = Struct(
    "__maestro",
    [
        Field("schema", Enum(1, 2), "Volume syntax: 1 = CONTAINER_PATH: HOST_PATH (maestro-ng's default), 2 = SOURCE: TARGET.", default=1),
        Field("extends", STRINGS, "Base file(s) this file is layered on, relative to this file, applied in order.", default=[]),
    ],
)

# --- the four main levels ------------------------------------------------------------------------------

FIELDS = (
    # top level
    Field("__maestro", META, "Metadata: volume schema and layering.", default={"schema": 1, "extends": []}, levels=frozenset({TOP})),
    Field("name", Str(), "Environment name, injected as MAESTRO_ENVIRONMENT_NAME.", levels=frozenset({TOP}), required_at=frozenset({TOP})),
    Field("registries", MapOf(REGISTRY), "Registries to log in to before pulling, by name.", default={}, levels=frozenset({TOP})),
    Field("ship_defaults", Raw("mapping of ship keys"), "Default values for ship keys (all but ip and endpoint).", default={}, levels=frozenset({TOP})),
    Field("ships", Raw("mapping of name to ship"), "The hosts, by name.", levels=frozenset({TOP}), required_at=frozenset({TOP})),
    Field("ship_provider", Enum("static"), "Ship provider; only static (the ships key) exists.", default="static", levels=frozenset({TOP})),
    Field("services", Raw("mapping of name to service"), "The services, by name.", default={}, levels=frozenset({TOP})),
    Field("audit", ListOf(AUDITOR), "Auditors notified of plays.", default=[], levels=frozenset({TOP})),
    # ships
    Field(
        "ip",
        Func("address", V.address, "an address"),
        "Address containers and checks use to reach this ship's containers.",
        levels=frozenset({SHIP}),
        required_at=frozenset({SHIP}),
    ),
    Field(
        "endpoint", Func("address", V.address, "an address"), "Address of the Docker daemon (and SSH target) when it differs from ip.", levels=frozenset({SHIP})
    ),
    Field("docker_port", PORT_NUMBER, "TCP port of the Docker daemon (2375, or 2376 with tls).", levels=_SHIPS),
    Field("socket_path", PATH, "Unix socket of a local Docker daemon; has priority over TCP.", levels=_SHIPS),
    Field("ssh_tunnel", SSH_TUNNEL, "Reach the daemon over SSH (docker_host ssh://user@endpoint:port).", levels=_SHIPS),
    Field(
        "api_version",
        Func("version", V.api_version, "a version"),
        "Docker API version, or auto (default; maestro-ng defaulted to 1.18).",
        default="auto",
        levels=_SHIPS,
    ),
    Field("timeout", Int(1), "Docker API timeout in seconds (default 60 as community.docker; maestro-ng had 5).", default=60, levels=_SHIPS),
    Field("tls", Bool(), "Use TLS.", default=False, levels=_SHIPS),
    Field("tls_verify", Bool(), "Verify the daemon's certificate (implies tls).", default=False, levels=_SHIPS),
    Field("tls_ca_cert", PATH, "CA certificate file.", levels=_SHIPS),
    Field("tls_cert", PATH, "Client certificate file.", levels=_SHIPS),
    Field("tls_key", PATH, "Client key file.", levels=_SHIPS),
    Field("ssl_version", Type(), "", levels=_SHIPS, removed="ssl_version is not supported: today's Docker SDK negotiates the TLS version itself"),
    Field("ssh_timeout", Type(), "", levels=_SHIPS, removed="ssh_timeout was documented by maestro-ng but never used; remove it"),
    # services (and instances)
    Field(
        "image",
        Func("image", V.image, "an image name"),
        "Image REPOSITORY[:TAG] (tag latest by default); an instance may override it.",
        levels=_BOTH,
        required_at=frozenset({SERVICE}),
        inherit="override",
    ),
    Field(
        "instances",
        Raw("mapping of name to instance"),
        "The service's instances (containers), by name.",
        default={},
        levels=frozenset({SERVICE}),
        required_at=frozenset({SERVICE}),
    ),
    Field(
        "requires",
        ListOf(Str(), single=True, unique=True),
        "Services to start first (transitive); their link variables are injected.",
        default=[],
        levels=frozenset({SERVICE}),
    ),
    Field(
        "wants_info",
        ListOf(Str(), single=True, unique=True),
        "Services whose link variables are injected, without ordering (not transitive).",
        default=[],
        levels=frozenset({SERVICE}),
    ),
    Field("omit", Bool(), "Leave the service out when no service is named (it still comes in as a dependency).", default=False, levels=frozenset({SERVICE})),
    Field(
        "env",
        Func("mapping", env_map, "a mapping", secret=True),
        "Environment variables; lists are joined with spaces.",
        default={},
        levels=_BOTH,
        inherit="env",
    ),
    Field("envfile", ListOf(PATH, single=True), "Docker env file(s), relative to this file.", default=[], levels=_BOTH, inherit="env"),
    Field(
        "secret_env",
        ListOf(Func("name", env_name, "a name"), single=True),
        "Environment keys to mask in output (besides the name heuristic).",
        default=[],
        levels=_BOTH,
        inherit="union",
    ),
    Field(
        "lifecycle",
        LIFECYCLE,
        "Lifecycle checks per state; instance checks are appended to the service's.",
        default={},
        levels=_BOTH,
        inherit="append",
        spec="lifecycle",
    ),
    Field("limits", LIMITS, "Resource limits; an instance overrides per key.", default={}, levels=_BOTH, inherit="merge"),
    Field(
        "ports",
        Func("mapping of name to port spec", ports_map, "a mapping"),
        "Named ports (EXPOSED:EXTERNAL); an instance overrides per name.",
        default={},
        levels=_BOTH,
        inherit="merge",
    ),
    # instances
    Field("ship", Str(), "The ship (host) this instance runs on.", levels=frozenset({INSTANCE}), required_at=frozenset({INSTANCE})),
    Field(
        "command",
        Func("string or list", V.command, "a string or a list"),
        "Command (default: the image's). cmd is a deprecated alias.",
        levels=frozenset({INSTANCE}),
        aliases=("cmd",),
        spec="command",
    ),
    Field(
        "volumes",
        Func("mapping", V.volumes, "a mapping"),
        "Bind mounts and named volumes (syntax by __maestro.schema).",
        default=[],
        levels=frozenset({INSTANCE}),
        spec="volumes",
    ),
    Field(
        "container_volumes",
        ListOf(Func("path", V.container_path, "a path"), single=True, unique=True),
        "Anonymous container-only volumes.",
        default=[],
        levels=frozenset({INSTANCE}),
        spec="container_volumes",
    ),
    Field(
        "volumes_from",
        ListOf(Str(), single=True, unique=True),
        "Instances (on the same ship) to mount the volumes of; adds a dependency on their service.",
        default=[],
        levels=frozenset({INSTANCE}),
        spec="volumes_from",
    ),
    Field("links", MapOf(Str()), "Legacy Docker links {container: alias} (same ship).", default={}, levels=frozenset({INSTANCE}), spec="links"),
    Field("username", Str(coerce=True), "User (name, uid or uid:gid) to run as.", levels=frozenset({INSTANCE}), spec="user"),
    Field(
        "user",
        Type(),
        "",
        levels=frozenset({INSTANCE}),
        ignored="user is ignored, as maestro-ng ignored it: the container runs as its image's user; username sets the user to run as",
    ),
    Field("privileged", Bool(), "Run privileged.", default=False, levels=frozenset({INSTANCE}), spec="privileged"),
    Field("cap_add", STRINGS, "Capabilities to add.", default=[], levels=frozenset({INSTANCE}), spec="cap_add"),
    Field("cap_drop", STRINGS, "Capabilities to drop.", default=[], levels=frozenset({INSTANCE}), spec="cap_drop"),
    Field(
        "extra_hosts",
        MapOf(Func("ip or {ship}", V.extra_host, "an IP or {ship: NAME}")),
        "Extra /etc/hosts entries: {hostname: IP} or {hostname: {ship: NAME}}.",
        default={},
        levels=frozenset({INSTANCE}),
    ),
    Field(
        "net",
        Str(),
        "Network mode: bridge, host, none, container:NAME, or a network name. No hostname is set with it.",
        levels=frozenset({INSTANCE}),
        spec="network_mode",
    ),
    Field(
        "networks",
        Func("list", V.networks, "a list"),
        "User-defined networks to join: names, or {name, aliases}.",
        default=[],
        levels=frozenset({INSTANCE}),
        spec="networks",
    ),
    Field(
        "restart",
        Func("restart policy", V.restart, "a restart policy"),
        "Restart policy: no, always, unless-stopped, on-failure[:RETRIES], or {name, retries}.",
        default={"name": "no", "retries": 0},
        levels=frozenset({INSTANCE}),
        spec="restart",
    ),
    Field("dns", STRINGS, "DNS server(s).", default=[], levels=frozenset({INSTANCE}), spec="dns"),
    Field("stop_timeout", Int(0), "Seconds between SIGTERM and SIGKILL on stop.", default=10, levels=frozenset({INSTANCE}), spec="stop_timeout"),
    Field("log_driver", Func("log driver", V.log_driver, "a log driver"), "Logging driver.", levels=frozenset({INSTANCE}), spec="log_driver"),
    Field(
        "log_opt",
        Func("mapping", V.string_map, "a mapping"),
        "Logging driver options (values are stringified).",
        default={},
        levels=frozenset({INSTANCE}),
        spec="log_opt",
    ),
    Field("workdir", Str(), "Working directory.", levels=frozenset({INSTANCE}), spec="workdir"),
    Field("security_opt", STRINGS, "Security options.", default=[], levels=frozenset({INSTANCE}), spec="security_opt"),
    Field(
        "ulimits",
        Func("mapping", V.ulimits, "a mapping"),
        "Ulimits: {name: N} or {name: {soft, hard}}.",
        default=[],
        levels=frozenset({INSTANCE}),
        spec="ulimits",
    ),
    Field(
        "labels",
        Func("mapping or list", V.labels, "a mapping or a list"),
        "Container labels: a mapping, or a list of names (empty values; maestro-ng's form, where [a=b] names a label a=b).",
        default={},
        levels=frozenset({INSTANCE}),
        spec="labels",
    ),
    Field("healthcheck", HEALTHCHECK, "Docker healthcheck (test, interval, timeout, retries, start_period).", levels=frozenset({INSTANCE})),
    Field("init", Bool(), "Run an init process (docker run --init) as PID 1.", default=False, levels=frozenset({INSTANCE}), spec="init"),
    Field("lxc_conf", Type(), "", levels=frozenset({INSTANCE}), removed="lxc_conf is not supported: Docker removed the LXC execution driver in 1.10"),
)

# The keys the loader passes to the instance spec as they are (Field.spec): with the keys it builds (model.py), the spec.
SPEC_FIELDS = tuple(f for f in FIELDS if f.spec)

LEVEL_NAMES = {TOP: "top-level", SHIP: "ship", SHIP_DEFAULTS: "ship_defaults", SERVICE: "service", INSTANCE: "instance"}


class LevelStruct(Struct):
    """The keys of one main level; an unknown key that belongs to another level says so."""

    def __init__(self, level):
        self.level = level
        super().__init__(LEVEL_NAMES[level], [f for f in FIELDS if level in f.levels], doc="mapping of %s keys" % LEVEL_NAMES[level])

    def parse(self, value, at, fill=True, level=None, partial=False):
        return super().parse(value, at, fill=fill, level=self.level, partial=partial)

    def unknown_key(self, key, at):
        elsewhere = [lvl for lvl in LEVELS if lvl != self.level and any(f.name == key and lvl in f.levels for f in FIELDS)]
        if elsewhere:
            names = [LEVEL_NAMES[lvl] for lvl in elsewhere]
            article = "an" if names[0][0] in "aeiou" else "a"
            at.error(
                "%s is %s %s key, not %s %s key%s"
                % (key, article, " or ".join(names), "an" if self.what[0] in "aeiou" else "a", self.what, suggest(key, [n for n in self.names() if n != key]))
            )
        else:
            at.error("unknown %s key '%s'%s" % (self.what, key, suggest(key, self.names())))


LEVEL = {level: LevelStruct(level) for level in LEVELS}


def field(level: str, name: str) -> Field:
    return LEVEL[level].field(name)


def fields_inherited():
    """The keys an instance inherits from its service, with the inherit mode."""
    return [(f.name, f.inherit) for f in FIELDS if f.inherit]
