# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import multiprocessing
import os

from ansible_collections.maestro.docker.plugins.action import lock as _action


def _report_pid(queue):
    queue.put(_action.controller_pid())


def test_the_holder_pid_is_the_process_that_forked_the_worker():
    """Ansible runs an action in a worker forked by multiprocessing from the ansible-playbook process: the pid is that
    process's (ours, here), not the worker's. Outside a worker it is this process's own."""
    assert _action.controller_pid() == os.getpid()
    ctx = multiprocessing.get_context("fork")  # as ansible.utils.multiprocessing
    queue = ctx.Queue()
    worker = ctx.Process(target=_report_pid, args=(queue,))
    worker.start()
    reported = queue.get(timeout=30)
    worker.join(timeout=30)
    assert reported == os.getpid() and reported != worker.pid


def test_the_playbooks_are_absolute_paths_when_they_are_files(tmp_path):
    (tmp_path / "deploy.yml").write_text("---\n")
    assert _action.playbooks_text(("deploy.yml",), str(tmp_path)) == str(tmp_path / "deploy.yml")
    assert _action.playbooks_text(["deploy.yml", "maestro.docker.rollback"], str(tmp_path)) == f"{tmp_path / 'deploy.yml'}, maestro.docker.rollback"
    assert _action.playbooks_text((str(tmp_path / "deploy.yml"),), "/elsewhere") == str(tmp_path / "deploy.yml")
    # ansible (ad hoc) has a host pattern there, and no playbook
    assert _action.playbooks_text("ships", str(tmp_path)) == ""
    assert _action.playbooks_text(None, str(tmp_path)) == ""
