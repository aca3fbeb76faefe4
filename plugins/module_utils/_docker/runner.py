# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Each module's argument spec and operation, declared once, and the one way to execute them.

:func:`execute` is what a module runs (through :func:`module_main`) and what the controller-side action
plugins run in-process (plugins/plugin_utils/_action.py): same argspec, same code, same results.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.maestro.docker.plugins.module_utils._docker import haproxy as _haproxy
from ansible_collections.maestro.docker.plugins.module_utils._docker import keepalived as _keepalived
from ansible_collections.maestro.docker.plugins.module_utils._docker import lock as _lock
from ansible_collections.maestro.docker.plugins.module_utils._docker import proxy as _proxy
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.module_utils._docker.client import CONNECTION_KEYS, DockerFailure, ShipClient, new_module, unreachable
from ansible_collections.maestro.docker.plugins.module_utils._docker.instances import PULL, RECREATE, STATES, InstanceBatch
from ansible_collections.maestro.docker.plugins.module_utils._docker.lifecycle import STATES as CHECK_STATES
from ansible_collections.maestro.docker.plugins.module_utils._docker.registry import pull_images, registry_passwords

INSTANCES_ARGS = {
    "instances": {"type": "list", "elements": "dict", "required": True},
    "concurrency": {"type": "int"},
}
# maestro format: {name: {registry, username, password, email, retry: {attempts, when}}}. The passwords
# are registered as no_log values when the module starts (no_log on the whole dict would mask registry
# host names everywhere, image references included).
REGISTRIES_ARG = {"registries": {"type": "dict", "default": {}, "no_log": False}}

# One frontend of maestro.docker.proxy; _haproxy.normalize checks what an argspec cannot (names, ports, paths).
PROXY_FRONTEND_OPTIONS = {
    "name": {"type": "str", "required": True},
    "port": {"type": "int", "required": True},
    "mode": {"type": "str", "choices": list(_haproxy.MODES), "default": "http"},
    "backends": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "address": {"type": "str", "required": True},
            "port": {"type": "int", "required": True},
            "colour": {"type": "str"},
        },
    },
    "colour": {"type": "str"},
    "health_path": {"type": "str"},
    "balance": {"type": "str", "choices": list(_haproxy.BALANCE), "default": "roundrobin"},
    "weights": {"type": "dict"},
}

ARGUMENT_SPECS: dict[str, dict] = {
    "image_pull": {
        "images": {"type": "list", "elements": "str", "required": True, "aliases": ["name"]},
        "pull": {"type": "str", "choices": ["always", "missing"], "default": "always"},
        "concurrency": {"type": "int"},
        **REGISTRIES_ARG,
    },
    "instance": {
        **INSTANCES_ARGS,
        "state": {"type": "str", "choices": list(STATES), "default": "started"},
        "recreate": {"type": "str", "choices": list(RECREATE), "default": "never"},
        "pull": {"type": "str", "choices": list(PULL), "default": "missing"},
        "kill": {"type": "bool", "default": False},
        "stop_timeout": {"type": "int"},
        "checks": {"type": "bool", "default": True},
        **REGISTRIES_ARG,
    },
    "instance_clean": {**INSTANCES_ARGS, "keep_releases": {"type": "int"}, "park_suffix": {"type": "str", "default": ".parked"}},
    "instance_rename": {**INSTANCES_ARGS, "from_suffix": {"type": "str", "default": ""}, "to_suffix": {"type": "str", "default": ""}},
    "instance_check": {**INSTANCES_ARGS, "state": {"type": "str", "choices": list(CHECK_STATES), "default": "running"}},
    "instance_info": {**INSTANCES_ARGS, "probe_ports": {"type": "bool", "default": True}, "archived": {"type": "bool", "default": False}},
    "instance_logs": {**INSTANCES_ARGS, "lines": {"type": "int", "default": 100}},
    "proxy": {
        "name": {"type": "str", "default": "maestro-proxy"},
        "image": {"type": "str"},
        "state": {"type": "str", "choices": list(_proxy.STATES), "default": "present"},
        "network_mode": {"type": "str", "default": "host"},
        "user": {"type": "str"},
        "environment": {"type": "str"},
        "frontends": {"type": "list", "elements": "dict", "default": [], "options": PROXY_FRONTEND_OPTIONS},
        "purge": {"type": "bool", "default": False},
        "drain_timeout": {"type": "int", "default": 30},
        "keepalive": {"type": "bool", "default": False},
        "validate_only": {"type": "bool", "default": False},
        "weights": {"type": "dict"},
        "stats": {"type": "dict", "options": {"port": {"type": "int", "required": True}, "address": {"type": "str"}}},
        "health": {"type": "dict", "options": {"port": {"type": "int", "required": True}}},
        **REGISTRIES_ARG,
    },
    "floating_address": {
        "name": {"type": "str", "default": "maestro-keepalived"},
        "image": {"type": "str"},
        "state": {"type": "str", "choices": list(_keepalived.STATES), "default": "present"},
        "environment": {"type": "str"},
        "address": {"type": "str"},
        "interface": {"type": "str", "default": "eth0"},
        "virtual_router_id": {"type": "int", "default": 51},
        "advert_int": {"type": "float", "default": 0.5},
        "priority": {"type": "int"},
        "hosts": {"type": "list", "elements": "str", "default": []},
        "health_port": {"type": "int"},
        **REGISTRIES_ARG,
    },
    "proxy_info": {
        "name": {"type": "str", "default": "maestro-proxy"},
        "stats": {"type": "bool", "default": False},
        "stats_address": {"type": "str"},
    },
    "lock": {
        "name": {"type": "str", "default": "maestro-lock"},
        "state": {"type": "str", "choices": list(_lock.STATES), "default": "present"},
        "who": {"type": "str"},
        "what": {"type": "str"},
        # not a secret: it is a label of the lock container, readable by anyone who can reach the Docker API
        "token": {"type": "str", "no_log": False},
        "force": {"type": "bool", "default": False},
        "wait": {"type": "int", "default": 0},
        # the holder's ansible-playbook process and playbook: the action plugin fills them in on the controller
        "pid": {"type": "int"},
        "playbook": {"type": "str"},
        "ttl": {"type": "int"},
    },
}


def _batch(client, p: dict, check_mode: bool) -> InstanceBatch:
    return InstanceBatch(client, p["instances"], check_mode=check_mode, registries=p.get("registries"), concurrency=p.get("concurrency"))


def _op_image_pull(client, p, check_mode):
    return pull_images(client, p["images"], registries=p["registries"], mode=p["pull"], check_mode=check_mode, concurrency=p["concurrency"])


def _op_instance(client, p, check_mode):
    opts = {k: p[k] for k in ("state", "recreate", "pull", "kill", "stop_timeout", "checks")}
    return _batch(client, p, check_mode).converge(**opts)


def _op_instance_clean(client, p, check_mode):
    batch = _batch(client, p, check_mode)
    return batch.clean() if p["keep_releases"] is None else batch.keep_releases(p["keep_releases"], p["park_suffix"])


OPERATIONS = {
    "image_pull": _op_image_pull,
    "instance": _op_instance,
    "instance_clean": _op_instance_clean,
    "instance_rename": lambda client, p, check_mode: _batch(client, p, check_mode).rename(p["from_suffix"], p["to_suffix"]),
    "instance_check": lambda client, p, check_mode: _batch(client, p, check_mode).run_checks(p["state"]),
    "instance_info": lambda client, p, check_mode: _batch(client, p, check_mode).info(p["probe_ports"], p["archived"]),
    "instance_logs": lambda client, p, check_mode: _batch(client, p, check_mode).logs(p["lines"]),
    "proxy": _proxy.proxy,
    "proxy_info": _proxy.proxy_info,
    "floating_address": _keepalived.floating_address,
    "lock": _lock.lock,
}


def secrets_of(params: dict) -> list[str]:
    """Values that must never be shown: secret_env values of the specs and registry passwords."""
    specs = params.get("instances") or []
    found = [v for s in specs if isinstance(s, dict) for v in _spec.secret_values(s)]
    return found + registry_passwords(params.get("registries"))


def default_ship(params: dict) -> None:
    """Without a ship option, name the ship after the specs' ``ship`` (one task acts on one ship)."""
    if params.get("ship"):
        return
    ships = sorted({str(s.get("ship")) for s in params.get("instances") or [] if isinstance(s, dict) and s.get("ship")})
    if len(ships) > 1:
        raise DockerFailure("reading instance specs", None, ships[0], f"one task acts on one ship, these specs name ships {', '.join(ships)}")
    if ships:
        params["ship"] = ships[0]


def shape(name: str, result: dict, diff: bool) -> dict:
    """Move per-item diffs into the task's diff (when asked for)."""
    if "instances" not in result and "images" not in result:
        # single-object modules put their own diff in the result
        if not diff:
            result.pop("diff", None)
        return result
    if name == "image_pull":
        if diff:
            result["diff"] = {
                "before": {r["image"]: r.get("before") for r in result["images"]},
                "after": {r["image"]: r.get("after") for r in result["images"]},
            }
        return result
    diffs = {r["name"]: r.pop("diff") for r in result["instances"] if "diff" in r}
    if diff and diffs:
        result["diff"] = {"before": {n: d["before"] for n, d in diffs.items()}, "after": {n: d["after"] for n, d in diffs.items()}}
    return result


def execute(name: str, params: dict, *, check_mode: bool, diff: bool, own_process: bool, clients: dict | None = None, assume=None) -> dict:
    """Run module ``name`` with validated params. Returns the result; a failure has failed/msg (+ partial results).

    ``clients``: a cache of ShipClients by connection, which the caller closes (the engine runs many steps on a
    ship from one task: one connection, and one version negotiation, per ship instead of one per step).
    ``assume``: in check mode, the moves (renames, removals) earlier steps of the run would have made on this ship
    (``ShipClient.assume_moves``); each instance's own are in its result's ``moves``.
    """
    client = None
    try:
        default_ship(params)
        if clients is None:
            client = ShipClient(params, own_process=own_process)
            used = client
        else:
            key = tuple(sorted((k, str(params.get(k))) for k in ("ship", *CONNECTION_KEYS)))
            if key not in clients:
                clients[key] = ShipClient(params, own_process=own_process)
            used = clients[key]
        if check_mode:
            used.assume_moves(assume)
        return shape(name, OPERATIONS[name](used, params, check_mode), diff)
    except DockerFailure as exc:
        partial = shape(name, getattr(exc, "results", None) or {}, diff) if getattr(exc, "results", None) else {}
        secrets = secrets_of(params)
        failed = {**partial, "failed": True, "msg": _spec.mask_value(str(exc), secrets), "exception": _spec.mask_value(exc.tb, secrets)}
        if unreachable(exc):
            failed["unreachable"] = True  # the ship was not reached at all (on_ships may skip it, a quorum count it out)
        return failed
    except _spec.SpecError as exc:
        return {"failed": True, "changed": False, "msg": f"Error reading instance specs: {exc}"}
    finally:
        if client is not None:
            client.close()


def moves_of(result: dict) -> list:
    """The renames and removals (``[from, to]``, ``to`` None) of a result's instances, taken out of the result."""
    return [move for item in result.get("instances") or [] if isinstance(item, dict) for move in item.pop("moves", None) or []]


def module_main(name: str) -> None:
    """The whole main() of module ``name``."""
    module = new_module(ARGUMENT_SPECS[name], supports_check_mode=True)
    for value in secrets_of(module.params):
        if value:
            module.no_log_values.add(str(value))
    result = execute(name, module.params, check_mode=module.check_mode, diff=module._diff, own_process=True)
    moves_of(result)  # the engine's, to chain check mode across its steps: not part of a module's result
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    if result.pop("failed", False):
        msg = result.pop("msg")
        exception = result.pop("exception", None)
        module.fail_json(msg=msg, exception=exception, **result)
    module.exit_json(**result)


def controller_only_main(name: str, argument_spec: dict) -> None:
    """The main() of an action that runs on the controller only: its options are checked, then it says so."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    module.fail_json(msg=f"maestro.docker.{name} runs on the controller: it is an action plugin, not a module to run on a host")
