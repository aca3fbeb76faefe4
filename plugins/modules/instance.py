#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: instance
short_description: Converge maestro service instances on one ship to started, stopped, present or absent
version_added: 0.1.0
description:
  - Brings a batch of instances (Docker containers described by maestro instance specs) on one ship to O(state),
    acting on all of them concurrently.
  - Containers are labelled C(maestro.managed=true), C(maestro.environment), C(maestro.service), C(maestro.instance)
    and C(maestro.spec-hash) (a hash of the container config, so secrets enter the labels only through the hash).
  - A container name held by a container without the C(maestro.managed=true) label is a failure and that container
    is never touched.
  - Drift (the image or the spec differs from the container) is always reported in RV(instances[].drift);
    whether it is acted on is decided by O(recreate).
  - Lifecycle checks of the specs run at their states (C(pre-start) before creating or starting, C(running) after
    starting, C(pre-stop) before stopping, C(stopped) after stopping) unless O(checks=false).
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
  - maestro.docker.attributes.instances
attributes:
  check_mode:
    support: full
    details:
      - Lifecycle checks do not run in check mode, since nothing is started or stopped.
      - With O(pull=always) the registry is asked for the image digest (distribution inspect) instead of pulling.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details:
      - Not idempotent with O(recreate=always).
options:
  state:
    description:
      - V(started) creates missing containers and starts them (maestro C(start)).
      - V(present) creates missing containers without starting them; running ones stay running.
      - V(stopped) stops running containers (maestro C(stop), or C(kill) with O(kill=true)); missing ones stay missing.
      - V(absent) stops running containers and removes them with their anonymous volumes (named volumes stay).
    type: str
    choices: [started, stopped, present, absent]
    default: started
  recreate:
    description:
      - V(never) leaves a running container alone even when it drifted; a stopped container that drifted is
        recreated, one that did not is started as it is (maestro C(start --reuse), with drift detection).
      - V(stopped) leaves a running container alone as V(never) does, and replaces every stopped container by a new one,
        drifted or not (maestro C(start) without C(--reuse)).
      - V(changed) recreates every container whose image or spec drifted (maestro C(restart --only-if-changed)).
      - V(always) recreates every container.
      - V(keep) never recreates an existing container, stopped or running, drifted or not (the drift is
        reported); it starts the container as it is. The deploy role's rollback uses it to start the release
        a container recorded, never one re-derived from the ships file.
    type: str
    choices: [never, stopped, changed, always, keep]
    default: never
  pull:
    description:
      - V(missing) pulls the image when it is not on the ship and a container must be created.
      - V(always) pulls before deciding (maestro C(--refresh-images)); a pull that brings no new image is no change.
      - V(never) fails when the image is missing.
    type: str
    choices: [missing, always, never]
    default: missing
  kill:
    description:
      - Stop with SIGKILL instead of SIGTERM, without C(pre-stop) checks (maestro C(kill)).
    type: bool
    default: false
  stop_timeout:
    description:
      - Seconds between SIGTERM and SIGKILL, overriding each spec's C(stop_timeout) (default 10).
    type: int
  checks:
    description:
      - Run the specs' lifecycle checks.
    type: bool
    default: true
  registries:
    description:
      - 'Registry credentials in maestro format, used for pulls: C({name: {registry, username, password, email, retry}}).'
      - C(retry) is C({attempts, when}), C(when) a list of HTTP status codes to retry on.
      - Without a matching entry, the controller's Docker config (C(~/.docker/config.json)) is used.
      - Passwords never appear in results or messages.
    type: dict
    default: {}
seealso:
  - module: maestro.docker.instance_info
  - module: maestro.docker.instance_clean
  - module: maestro.docker.image_pull
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Start the web instances of this ship (maestro start)
  maestro.docker.instance:
    docker_host: "{{ maestro_docker.docker_host }}"
    instances: "{{ maestro_instances }}"
    state: started

- name: Upgrade only what changed (maestro restart --only-if-changed)
  maestro.docker.instance:
    docker_host: tcp://10.0.0.11:2375
    instances:
      - name: web-1
        service: web
        environment: prod
        ship: ship1
        ship_ip: 10.0.0.11
        image: registry.example.com/acme/web:1.4.3
        env: {DB_PASSWORD: "{{ vault_db_password }}"}
        secret_env: [DB_PASSWORD]
        ports: [{name: http, exposed: "8080", external: "80", protocol: tcp}]
        lifecycle:
          running: [{type: http, port: http, path: /health, max_wait: 60}]
    recreate: changed
    pull: always

- name: Stop with SIGKILL (maestro kill)
  maestro.docker.instance:
    instances: "{{ maestro_instances }}"
    state: stopped
    kill: true
"""

RETURN = r"""
instances:
  description: One result per instance, in the order given, also when the task fails (what was done before it).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Instance (container) name.
      type: str
      returned: always
      sample: web-1
    service:
      description: Service name.
      type: str
      returned: always
      sample: web
    ship:
      description: Ship name.
      type: str
      returned: always
      sample: ship1
    changed:
      description: Whether this instance changed.
      type: bool
      returned: always
    actions:
      description: What was (or in check mode would be) done, in order.
      type: list
      elements: str
      returned: always
      sample: [pulled 10.0.0.1:5000/demo/web:v2, stopped, removed, recreated, started]
    status_before:
      description: "V(running), V(stopped) or V(absent) before the task."
      type: str
      returned: success
    status:
      description: "V(running), V(stopped) or V(absent) after the task (predicted in check mode)."
      type: str
      returned: success
    drift:
      description: Options whose container value differs from the spec (V(image), V(env), V(spec-hash), ...).
      type: list
      elements: str
      returned: when the container existed
      sample: [image, env]
    drift_detail:
      description: Wanted and actual values per drifted option, secret values masked.
      type: list
      elements: dict
      returned: when the container existed
    checks:
      description: Lifecycle check results (type, state, passed, message, duration).
      type: list
      elements: dict
      returned: when checks ran
    failed:
      description: Whether this instance failed.
      type: bool
      returned: when it failed
    msg:
      description: Why this instance failed.
      type: str
      returned: when it failed
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("instance")


if __name__ == "__main__":
    main()
