# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The options documented here are implemented once, by DOCKER_COMMON_ARGS in plugins/module_utils/_docker/client.py.

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - The URL or Unix socket path of the ship's Docker API, for example V(tcp://192.0.2.23:2375),
        V(unix:///var/run/docker.sock) or V(ssh://deploy@192.0.2.23).
      - With O(tls) or O(validate_certs), C(tcp://) becomes C(https://).
      - If unset, the E(DOCKER_HOST) environment variable is used, then the default.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  tls:
    description:
      - Use TLS without verifying the daemon's certificate. O(validate_certs=true) takes precedence.
      - If unset, the E(DOCKER_TLS) environment variable is used, then the default.
    type: bool
    default: false
  validate_certs:
    description:
      - Use TLS and verify the daemon's certificate against O(ca_path).
      - If unset, the E(DOCKER_TLS_VERIFY) environment variable is used, then the default.
    type: bool
    default: false
    aliases: [tls_verify]
  ca_path:
    description:
      - CA certificate file that signed the daemon's certificate.
      - If unset and E(DOCKER_CERT_PATH) is set, C(ca.pem) in that directory is used.
    type: path
    aliases: [ca_cert, tls_ca_cert]
  client_cert:
    description:
      - Client certificate file presented to the daemon. Needs O(client_key).
      - If unset and E(DOCKER_CERT_PATH) is set, C(cert.pem) in that directory is used.
    type: path
    aliases: [tls_client_cert]
  client_key:
    description:
      - Private key of O(client_cert).
      - If unset and E(DOCKER_CERT_PATH) is set, C(key.pem) in that directory is used.
    type: path
    aliases: [tls_client_key]
  api_version:
    description:
      - Docker API version to speak; V(auto) negotiates with the daemon.
      - If unset, the E(DOCKER_API_VERSION) environment variable is used, then the default.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for an answer from the Docker API. A stop waits this plus its stop timeout.
      - If unset, the E(DOCKER_TIMEOUT) environment variable is used, then the default.
    type: int
    default: 60
  use_ssh_client:
    description:
      - For C(ssh://) URLs, run the C(ssh) command line client instead of paramiko for the connection.
      - The Docker SDK for Python needs paramiko installed for any V(ssh://) URL, also with V(true).
    type: bool
    default: false
  ssh_key:
    description:
      - Private key file for V(ssh://) O(docker_host) URLs; needs O(use_ssh_client=true).
      - The C(ssh) client is run with C(-i) and this file. Host keys are checked as C(ssh) normally does
        (C(~/.ssh/known_hosts)); the remote user must be able to run C(docker system dial-stdio).
    type: path
  ship:
    description:
      - Name of the ship, used in messages and results.
      - Defaults to the C(ship) key of the instance specs, or to the host part of O(docker_host).
    type: str
notes:
  - Modules run where the task runs, normally on the controller (C(connection=local)), and reach
    each ship's Docker API over the network; the ships need no Python.
  - 'Every failure reads C(Error <doing> <object> on ship <ship>: <cause>).'
requirements:
  - Docker SDK for Python (C(docker)) 7.0 or newer
  - paramiko (for V(ssh://) URLs)
  - Docker API 1.30 or newer on the ship
"""
