# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The client wrapper for controller-side plugins (action, inventory): same client, AnsibleError instead of fail_json."""

from __future__ import annotations

from contextlib import contextmanager

from ansible.errors import AnsibleConnectionFailure, AnsibleError

from ansible_collections.maestro.docker.plugins.module_utils._docker import CONNECTION_KEYS, DockerFailure, ShipClient


def ship_client(options: dict) -> ShipClient:
    """A ShipClient for connection options in community.docker names (docker_host, tls, ...; ship for messages).

    Raises AnsibleConnectionFailure when the daemon cannot be reached.
    """
    params = {key: options.get(key) for key in (*CONNECTION_KEYS, "ship")}
    try:
        return ShipClient(params)
    except DockerFailure as exc:
        raise AnsibleConnectionFailure(str(exc)) from exc


@contextmanager
def docker_errors():
    """Turn a DockerFailure raised inside the block into an AnsibleError with the same message."""
    try:
        yield
    except DockerFailure as exc:
        raise AnsibleError(str(exc)) from exc
