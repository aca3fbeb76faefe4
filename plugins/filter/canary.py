# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the deploy role's canary: its steps, each step's proxy frontends, the verdict and the table (plugin_utils/_canary.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.maestro.docker.plugins.plugin_utils import _canary
from ansible_collections.maestro.docker.plugins.plugin_utils._data import plain


def _guard(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*(plain(a) for a in args), **{k: plain(v) for k, v in kwargs.items()})
        except (_canary.CanaryError, _canary.StatsError) as exc:
            raise AnsibleFilterError(str(exc)) from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def canary_steps(steps, thresholds=None):
    """The canary steps, checked ({weight, pause} each, the last at 100); the thresholds are checked too."""
    return _canary.checked_steps(steps, thresholds)


def canary_frontends(new_frontends, live_frontends, plan, share):
    """The proxy frontends of one canary step: both colours' servers, weighted for the new colour's share."""
    return _canary.canary_frontends(list(new_frontends or []), list(live_frontends or []), dict(plan or {}), int(share))


def canary_judge(stats, plan, step, number, thresholds=None):
    """The figures and verdict of one canary step per planned service, from every proxy's server statistics."""
    return _canary.judge_step(int(number), dict(step), list(stats or []), dict(plan or {}), thresholds)


def canary_table(records):
    """The figures of every canary step, for a person."""
    return _canary.format_table(list(records or []))


FILTERS = {
    "canary_steps": canary_steps,
    "canary_frontends": canary_frontends,
    "canary_judge": canary_judge,
    "canary_table": canary_table,
}


class FilterModule:
    def filters(self):
        return {name: _guard(func) for name, func in FILTERS.items()}
