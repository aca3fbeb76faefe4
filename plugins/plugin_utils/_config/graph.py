# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The service dependency graph: cycles, start order, selections, and the deptree picture.

Edges are service-level, as in maestro-ng: ``requires`` (hard: ordering and link variables,
transitive), the implicit dependency that ``volumes_from`` adds on the source instance's service
(ordering only), and ``wants_info`` (link variables only: no ordering, not transitive).

* Cycles are found and reported (``web -> api -> web``); maestro-ng hit ``RecursionError``.
* Start order is given as LEVELS: a list of lists of service names, level 0 having no
  dependencies, each later level depending only on earlier ones. Everything in one level may start
  in parallel. Stop order is the reverse.
* "Things" are service or instance names; a service stands for all its instances (sorted by
  name, like maestro-ng). Ship and container filters (fnmatch globs) apply AFTER dependencies or
  dependents were added; maestro-ng ignored them whenever it gathered dependencies (a bug).
"""

from __future__ import annotations

import fnmatch
import graphlib

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import SelectionError, suggest


class Graph:
    """Service-level dependency graph. Build it only from names that exist."""

    def __init__(self, requires: dict, wants_info: dict, members: dict, ship_of: dict, omit: dict):
        self.requires = {s: sorted(set(d)) for s, d in requires.items()}  # direct, incl. volumes_from
        self.wants_info = {s: sorted(set(d)) for s, d in wants_info.items()}
        self.members = members  # service -> sorted instance names
        self.service_of = {i: s for s, names in members.items() for i in names}
        self.ship_of = ship_of  # instance -> ship name
        self.omit = omit
        self._closure = {}
        self._level = {}

    @classmethod
    def from_published(cls, services: dict) -> Graph:
        """The graph of the services as the ships inventory published them, put back together (``_published.estate``).

        The plays plan from this, not from the file again: they see exactly the inventory's instances.
        """
        requires, wants, members, ship_of, omit = {}, {}, {}, {}, {}
        for name, service in services.items():
            requires[name] = [*service.get("requires", ()), *service.get("implied_requires", ())]
            wants[name] = list(service.get("wants_info", ()))
            instances = service.get("instances") or {}
            members[name] = sorted(instances)
            ship_of.update(instances if isinstance(instances, dict) else {})
            omit[name] = bool(service.get("omit"))
        return cls(requires, wants, members, ship_of, omit)

    # --- structure ---------------------------------------------------------------------------------

    def cycles(self) -> list[list[str]]:
        """Each distinct cycle once, as a path that returns to its start (``[a, b, a]``).

        Iterative depth-first search, so that long chains cannot hit Python's recursion limit.
        """
        found, seen_sets, state = [], set(), {}
        for root in sorted(self.requires):
            if root in state:
                continue
            path, iters = [root], [iter(self.requires.get(root, ()))]
            state[root] = 1
            while iters:
                dep = next(iters[-1], None)
                if dep is None:
                    state[path.pop()] = 2
                    iters.pop()
                elif state.get(dep) == 1:
                    cycle = path[path.index(dep) :] + [dep]
                    if frozenset(cycle) not in seen_sets:
                        seen_sets.add(frozenset(cycle))
                        found.append(cycle)
                elif dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    iters.append(iter(self.requires.get(dep, ())))
        return found

    def all_requires(self, service: str) -> set:
        """Transitive hard dependencies of a service (not itself)."""
        if service not in self._closure:
            result, todo = set(), list(self.requires.get(service, ()))
            while todo:
                dep = todo.pop()
                if dep not in result:
                    result.add(dep)
                    todo.extend(self.requires.get(dep, ()))
            result.discard(service)
            self._closure[service] = result
        return self._closure[service]

    def all_dependents(self, service: str) -> set:
        """Services that transitively require this one."""
        return {s for s in self.requires if service in self.all_requires(s)}

    def level(self, service: str) -> int:
        """0 for a service without dependencies, else 1 + the highest level of its dependencies.

        graphlib's TopologicalSorter, taken a batch of ready services at a time, gives exactly these levels.
        (It reports one cycle when there are several; :meth:`cycles` reports each, and the loader refuses a file
        with any before a level is asked for.)
        """
        if not self._level:
            sorter = graphlib.TopologicalSorter({s: [d for d in deps if d in self.requires] for s, deps in self.requires.items()})
            sorter.prepare()
            depth = 0
            while sorter.is_active():
                ready = sorter.get_ready()
                self._level.update(dict.fromkeys(ready, depth))
                sorter.done(*ready)
                depth += 1
        return self._level[service]

    def levels(self, services=None) -> list[list[str]]:
        """Start order of the given services (all by default), as levels; empty levels dropped."""
        services = sorted(self.requires if services is None else set(services))
        by_level = {}
        for s in services:
            by_level.setdefault(self.level(s), []).append(s)
        return [by_level[k] for k in sorted(by_level)]

    # --- selections --------------------------------------------------------------------------------

    def services_of(self, things) -> list[str]:
        """Services named by things (a service, or the service of an instance)."""
        result = []
        for thing in things:
            if thing in self.members:
                service = thing
            elif thing in self.service_of:
                service = self.service_of[thing]
            else:
                raise SelectionError("%s is neither a service nor an instance%s" % (thing, suggest(thing, [*self.members, *self.service_of])))
            if service not in result:
                result.append(service)
        return result

    def default_services(self) -> list[str]:
        """What "no things named" means: every service not marked ``omit``."""
        return sorted(s for s in self.members if not self.omit.get(s))

    def expand(self, things=None, with_dependencies=False, with_dependents=False, ship_filter=None, container_filter=None) -> list[str]:
        """Instance names (sorted) for things, optionally with the instances of the transitive
        dependencies and/or dependents of their services, then filtered by ship/container globs."""
        things = self.default_services() if things is None else list(things)
        selected = set()
        for thing in things:
            if thing in self.members:
                selected.update(self.members[thing])
            elif thing in self.service_of:
                selected.add(thing)
            else:
                self.services_of([thing])  # raises SelectionError
        services = {self.service_of[i] for i in selected}
        extra = set()
        for service in services:
            if with_dependencies:
                extra |= self.all_requires(service)
            if with_dependents:
                extra |= self.all_dependents(service)
        for service in extra - services:
            selected.update(self.members[service])
        return sorted(
            i
            for i in selected
            if (ship_filter is None or fnmatch.fnmatchcase(self.ship_of[i], ship_filter))
            and (container_filter is None or fnmatch.fnmatchcase(i, container_filter))
        )

    def instance_levels(self, instances, reverse=False) -> list[list[str]]:
        """Group instances by the start level of their service (reversed for stopping)."""
        by_level = {}
        for name in sorted(instances):
            by_level.setdefault(self.level(self.service_of[name]), []).append(name)
        ordered = [by_level[k] for k in sorted(by_level)]
        return ordered[::-1] if reverse else ordered

    # --- picture -----------------------------------------------------------------------------------

    def deptree(self, things=None, recursive=False) -> str:
        """maestro-ng's ``deptree``: each service, then its ``requires`` as an ASCII tree.

        Without ``recursive``, a dependency already shown under the same service is not shown
        again (with its sub-tree); with it, shared sub-trees are repeated.
        """
        services = sorted(self.services_of(things)) if things else sorted(self.members)
        blocks = []
        for service in services:
            lines = [service]
            self._tree(service, " ", set(), recursive, lines)
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + ("\n" if blocks else "")

    def _tree(self, service, indent, shown, recursive, lines):
        deps = [d for d in self.requires.get(service, ()) if recursive or d not in shown]
        shown.update(deps)
        for i, dep in enumerate(deps, 1):
            last = i == len(deps)
            lines.append("%s%s %s" % (indent, "\\-" if last else "+-", dep))
            self._tree(dep, indent + ("   " if last else "|  "), shown, recursive, lines)
