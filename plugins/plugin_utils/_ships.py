# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What the engine's actions (run_plan, on_ships, deploy_plan) share: each ship's variables, and one ship's part.

An engine action runs once for the play and acts on many ships. It reads each ship's connection
(``maestro_docker``) and specs (``maestro_instances``) from that host's variables, as the inventory set
them, once per ship; runs one of the collection's Docker modules' code for a ship with that ship's
connection (the module's own argument spec validates it); and hides the values the module would hide.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.maestro.docker.plugins.module_utils._docker import client as _docker
from ansible_collections.maestro.docker.plugins.module_utils._docker import runner as _module
from ansible_collections.maestro.docker.plugins.plugin_utils._data import may_hold_template, plain
from ansible_collections.maestro.docker.plugins.plugin_utils._engine import DONE, ship_line, step_line
from ansible_collections.maestro.docker.plugins.plugin_utils._published import Linker, host_reader

display = Display()


class ShipsAction(ActionBase):
    """An action that runs once, on the controller, for every ship of the play: subclasses say what in ``work``."""

    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    NAME: str = ""
    ARGUMENT_SPEC: dict = {}

    def work(self, task_vars: dict, result: dict, ships: ShipVars, args: dict) -> dict:
        """The result, from the validated ``args``."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        validated = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(plain(self._task.args))
        if validated.error_messages:
            return {**result, "failed": True, "changed": False, "msg": f"maestro.docker.{self.NAME}: " + "; ".join(validated.error_messages)}
        ships = ShipVars(task_vars, self._templar, check_mode=bool(self._task.check_mode))
        try:
            result = self.work(task_vars, result, ships, validated.validated_parameters)
            learned = ships.learned_api_versions()
            if learned:
                # a fact of every host of the play (the task runs once): the next engine task of this run connects
                # without asking each daemon its API version again (one request less per ship and task)
                result["ansible_facts"] = {**result.get("ansible_facts", {}), API_VERSIONS_FACT: {**ships.api_versions, **learned}}
            if ships.moved:
                # check mode: what this run would have renamed or removed so far, which the next engine task assumes
                result["ansible_facts"] = {**result.get("ansible_facts", {}), CHECK_MOVES_FACT: ships.moves}
            return result
        finally:
            ships.close()


API_VERSIONS_FACT = "maestro_docker_api_versions"
CHECK_MOVES_FACT = "maestro_docker_check_mode_moves"


def known_api_versions(task_vars: dict) -> dict:
    """docker_host -> the API version its daemon speaks, as an earlier engine task of this run negotiated it."""
    return dict((task_vars.get("ansible_facts") or {}).get(API_VERSIONS_FACT) or {})


def with_known_api_version(params: dict, known: dict) -> dict:
    """``params`` with the API version pinned to the one already negotiated with its daemon, if any (and not set, or
    set below the least the collection speaks, which makes it a minimum: see ``client.negotiates``)."""
    version = known.get(_docker.connection_params(params)["base_url"]) if known else None
    return {**params, "api_version": version} if version and _docker.negotiates(params.get("api_version")) else params


def play_ships(task_vars: dict, *, failed_too: bool = False) -> list[str]:
    """The ships this play acts on: its hosts (``--limit`` leaves ships out; so do failures, unless ``failed_too``)."""
    return [str(host) for host in task_vars.get("ansible_play_hosts_all" if failed_too else "ansible_play_hosts") or []]


class ShipVars:
    """Each ship's connection and specs, as the inventory set them on that host (read once per ship)."""

    def __init__(self, task_vars: dict, templar, check_mode: bool = False):
        self.task_vars = task_vars
        self.templar = templar
        self.hostvars = task_vars.get("hostvars")
        self._reader = host_reader(self.hostvars)
        self._vars = {}
        self._specs = {}
        self.ssh_keys = {}
        self.hidden = set()
        self.linker = Linker(task_vars, self._published_specs, self._read)
        self.clients = {}  # one Docker connection per ship for the whole task (close() closes them)
        self._full = {}
        self._connections = {}
        # docker_host -> the API version its daemon speaks, as an earlier engine task of this run negotiated it
        self.api_versions = known_api_versions(task_vars)
        # check mode: ship -> the renames and removals earlier steps of this run would have made ([from, to], in order)
        facts = task_vars.get("ansible_facts") or {}
        self.moves = {str(ship): list(moves) for ship, moves in (facts.get(CHECK_MOVES_FACT) or {}).items()} if check_mode else {}
        self.moved = False

    def _read(self, host: str):
        """A host's variables as the inventory set them, read once per task; None for a host the inventory lacks."""
        if host not in self._vars:
            self._vars[host] = self._reader(host)
        return self._vars[host]

    def _host_vars(self, ship: str) -> dict:
        found = self._read(ship)
        if found is None:
            raise AnsibleActionFail(f"ship {ship}: not a host of the inventory")
        return found

    def value(self, ship: str, name: str):
        """A variable as that host sees it: set on the host (inventory, host and group vars, facts), else as the play
        or role sets it (a role parameter such as ``maestro_docker: {docker_host: "tcp://{{ ansible_host }}:2375"}``),
        templated in that host's context when it holds templates."""
        host_vars = self._host_vars(ship)
        if name in host_vars:
            value, context = host_vars[name], host_vars
        else:
            value, context = self.task_vars.get(name), None
        if value is not None and may_hold_template(value):
            context = context if context is not None else {**self.task_vars, **host_vars}
            value = self.templar.copy_with_new_env(available_variables=context).template(value)
        return plain(value)

    def all_specs(self, ship: str, source: str = "maestro_instances") -> dict:
        """name -> spec of the ship's ``maestro_instances`` (as published: without the link variables), or of ``source``."""
        key = (ship, source)
        if key not in self._specs:
            self._specs[key] = {str(spec.get("name")): spec for spec in self.value(ship, source) or [] if isinstance(spec, Mapping)}
        return self._specs[key]

    def _published_specs(self, ship: str) -> dict:
        """What the link variables are made of: a ship's published specs, read once for the whole task."""
        try:
            return self.all_specs(ship)
        except AnsibleActionFail:
            return {}  # not a host of this inventory: the link member is reported missing, naming the ship

    def deploy_specs(self, ship: str) -> dict:
        """name -> spec of what the deploy role deploys on ``ship``: its ``maestro_deploy_instances``, else ``maestro_instances``."""
        return self.all_specs(ship, "maestro_deploy_instances") or self.all_specs(ship)

    def deploy_spec(self, ship: str, name: str) -> dict:
        """One spec of :meth:`deploy_specs`, link variables added."""
        spec = self.deploy_specs(ship).get(name)
        if spec is None:
            raise AnsibleActionFail(f"instance {name}: not in the maestro_deploy_instances or maestro_instances of {ship}")
        [full] = self.linker.add([spec])
        return full

    def specs(self, ship: str, names: list) -> list:
        """The full specs of ``names`` on ``ship``: its maestro_instances, link variables added (once per instance)."""
        full = self._full.setdefault(ship, {})
        todo = [name for name in dict.fromkeys(names) if name not in full]
        if todo:
            by_name = self.all_specs(ship)
            missing = [name for name in todo if name not in by_name]
            if missing:
                raise AnsibleActionFail(f"instances {', '.join(missing)}: not in the maestro_instances of {ship}")
            full.update(zip(todo, self.linker.add([by_name[name] for name in todo]), strict=True))
        return [full[name] for name in names]

    def complete(self, specs: list) -> list:
        """Specs given as dicts, link variables added to those that ask for them."""
        return self.linker.add(specs)

    def prepare(self, wanted: dict) -> None:
        """Read, in this thread, everything the ships' parts will need (``{ship: [names]}``): the threads then only
        run Docker calls, and Ansible's variables are never read from two threads at once."""
        for ship, names in wanted.items():
            self.connection(ship)
            self.specs(ship, [name for name in names if isinstance(name, str)])

    def connection(self, ship: str) -> dict:
        if ship not in self._connections:
            connection = self.value(ship, "maestro_docker") or {}
            if not isinstance(connection, dict):
                raise AnsibleActionFail(f"ship {ship}: maestro_docker must be a mapping of connection options")
            self._connections[ship] = connection
        return self._connections[ship]

    def params(self, module: str, ship: str, options: dict) -> tuple[dict, set]:
        """The module's validated parameters for ``ship`` (its maestro_docker connection), and the values to hide."""
        connection = self.connection(ship)
        key = connection.get("ssh_key")
        if key:
            # ssh_key puts an ssh wrapper first on this process's PATH: one key for every ship of the run
            self.ssh_keys.setdefault(key, set()).add(ship)
            if len(self.ssh_keys) > 1:
                ships = ", ".join(sorted(s for ships in self.ssh_keys.values() for s in ships))
                raise AnsibleActionFail(f"ships {ships}: one task takes one ssh_key for all its ssh:// ships, these have {len(self.ssh_keys)}")
        args = {**{k: v for k, v in connection.items() if k in _docker.DOCKER_COMMON_ARGS}, "ship": connection.get("ship") or ship, **options}
        spec = _docker.docker_argument_spec(_module.ARGUMENT_SPECS[module])
        # The instance specs (about 13 kB each with maestro-ng's link variables) are the engine's own: checked here to be
        # mappings and kept out of the validator, which deep-copies every parameter it validates (per ship and task that
        # cost more controller CPU than the step's Docker calls). It sees an empty list in their place.
        specs = args.get("instances") if "instances" in spec and isinstance(args.get("instances"), list) else None
        if specs is not None:
            if not all(isinstance(item, Mapping) for item in specs):
                raise AnsibleActionFail(f"ship {ship}: instances must be a list of instance specs (mappings)")
            args["instances"] = []
        validated = ArgumentSpecValidator(spec, required_together=_docker.DOCKER_REQUIRED_TOGETHER).validate({k: v for k, v in args.items() if v is not None})
        if validated.error_messages:
            raise AnsibleActionFail(f"ship {ship}: {'; '.join(validated.error_messages)}")
        params = validated.validated_parameters
        if specs is not None:
            params["instances"] = specs
        no_log = set(validated._no_log_values) | {str(v) for v in _module.secrets_of(params) if v}
        return params, no_log

    def execute(self, module: str, ship: str, options: dict, *, check_mode: bool, diff: bool, chain: bool = True) -> dict:
        """One ship's part: the module's code with the ship's connection, its result with the module's secrets hidden.
        In check mode, what it would move is assumed done by the later steps, unless ``chain`` is false (a question
        asked in check mode within a real run, such as which instances changed)."""
        params, no_log = self.params(module, ship, options)
        self.hidden.update(no_log)
        params = with_known_api_version(params, self.api_versions)
        # own_process: this worker process was forked for this task alone and ends with it, so an ssh_key may set its PATH
        outcome = _module.execute(
            module, params, check_mode=check_mode, diff=diff, own_process=bool(params.get("ssh_key")), clients=self.clients, assume=self.moves.get(ship)
        )
        moves = _module.moves_of(outcome)
        if check_mode and chain and moves:
            self.moves[ship] = [*self.moves.get(ship, []), *moves]
            self.moved = True
        if display.verbosity < 3:
            # a module task's traceback is shown at -vvv only; a ship's result is printed whole when its step fails
            outcome.pop("exception", None)
        return remove_values(outcome, no_log) if no_log else outcome

    def learned_api_versions(self) -> dict:
        """docker_host -> API version, of the daemons this task negotiated with (not known from an earlier task)."""
        return {c.docker_host: c.api.api_version for c in self.clients.values() if c.negotiated and c.docker_host not in self.api_versions}

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()

    def hide(self, outcome: dict) -> dict:
        """The whole result with every ship's secrets hidden (a message may quote another ship's)."""
        return remove_values(outcome, self.hidden) if self.hidden else outcome


def step_report(total: int, check_mode: bool = False):
    """The progress lines of a plan: a line per ship as its part of a step finishes, and one per step at its barrier."""

    def report(index, step, results, seconds):
        display.display(step_line(f"step {index + 1}/{total} {step['action']}", results, seconds, check_mode=check_mode))

    def ship_done(action, ship, result, seconds):
        line = ship_line(action, DONE.get(action, "done"), ship, result, seconds, check_mode=check_mode)
        if line:
            display.display(line)

    return report, ship_done


def ship_diffs(steps: list) -> list:
    """Each ship's diff of each ``(label, {ship: result})`` step, as a list of diffs (the callback prints them in turn)."""
    diffs = []
    for label, results in steps:
        for ship, outcome in results.items():
            diff = outcome.get("diff")
            if diff:
                diffs.append({"before_header": f"{ship} before {label}", "after_header": f"{ship} after {label}", **diff})
    return diffs
