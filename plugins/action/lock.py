# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Runs maestro.docker.lock in the controller's worker process when the module would run locally anyway.
# Acquiring, it fills in the holder as the controller knows it (who, the ansible-playbook pid, the playbook):
# the module may run elsewhere, in a process of its own, where none of these can be known.

from __future__ import annotations

import multiprocessing
import os

from ansible import context

from ansible_collections.maestro.docker.plugins.module_utils._docker import lock as _lock
from ansible_collections.maestro.docker.plugins.plugin_utils._action import DockerModuleAction


def controller_pid() -> int:
    """The pid of the ansible-playbook process that runs this task.

    An action plugin runs in a WorkerProcess that the ansible-playbook process forks for this one task on this
    one host (multiprocessing, 'fork' start method), so os.getpid() is that worker's, gone by the time anyone
    reads the lock. multiprocessing records the pid of the process that started the worker: the playbook's
    own. (os.getppid() is the same while the playbook lives, but would be whoever adopted the worker after it
    died.) Outside a worker, with no multiprocessing parent, this process is the playbook's.
    """
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid else os.getpid()


def playbooks_text(args, cwd: str) -> str:
    """The playbooks given to ansible-playbook (its positional arguments), those that are files made absolute;
    a collection's playbook (maestro.docker.deploy) as given. Empty for ``ansible`` (a host pattern, a str)."""
    if not isinstance(args, (list, tuple)):
        return ""
    paths = [os.path.normpath(os.path.join(cwd, str(a))) if os.path.isfile(os.path.join(cwd, str(a))) else str(a) for a in args]
    return ", ".join(paths)


class ActionModule(DockerModuleAction):
    MODULE = "lock"

    def _module_args(self, task_vars: dict) -> dict:
        args = super()._module_args(task_vars)
        if args.get("state", "present") != "present":
            return args
        filled = dict(args)
        if not filled.get("who"):
            filled["who"] = _lock.default_who()
        if filled.get("pid") is None:
            filled["pid"] = controller_pid()
        if not filled.get("playbook"):
            filled["playbook"] = playbooks_text(context.CLIARGS.get("args"), os.getcwd())
        return filled
