#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: proxy
short_description: An HAProxy container on one ship whose frontends route to backends on any ship, switched without dropping a request
version_added: 0.1.0
description:
  - Runs one HAProxy container on the ship (the official C(haproxy) image or one laid out like it, in master-worker
    mode with its configuration at C(/usr/local/etc/haproxy/haproxy.cfg)) and gives it O(frontends), each a port
    that routes to a list of backend servers (C(<address>:<port>), on any ship).
  - The frontends are B(merged) into the ones the proxy already has; a listed frontend replaces the stored one of
    the same name, the others are kept (a proxy serves several services, and deploying one must not drop another).
    O(purge=true) removes the frontends not listed.
  - The whole configuration is rendered from the merged frontends, the same text for the same frontends, and the
    frontends are stored as JSON in its first line (C(# maestro-state:)), read back through the Docker archive API
    at the next run. Changes made by hand to the file are replaced.
  - When the configuration changes, the new one is written to a candidate file in the container and checked with
    C(haproxy -c) run inside the container; a configuration HAProxy refuses fails the task with HAProxy's message
    and the running configuration is left unchanged. Otherwise it replaces the running file and HAProxy's master
    process gets C(SIGUSR2), so it starts a new worker with the new configuration while the previous worker finishes
    the connections it holds and exits (drained, not cut). The module waits for the new worker, then for the
    previous one to exit (read from the container's process list), at most O(drain_timeout) seconds.
  - If HAProxy accepts the configuration but its master cannot load it (for example a frontend port that another
    process on the ship already uses), the previous worker keeps serving, the previous file is put back and the task
    fails with HAProxy's message.
  - An unchanged configuration means no reload and no change.
  - At least one frontend must remain after merging (HAProxy does not start without a listener).
  - The container is created when missing (labels C(maestro.managed=true), C(maestro.role=proxy) and
    C(maestro.environment) when O(environment) is set), with the configuration written before its first start, and
    started when stopped. A container of that name without these labels is a failure and is never touched.
  - An existing container is never recreated, since that cuts traffic; if its image, network mode or user differ from
    the options, a warning says so (remove it with O(state=absent) to change them).
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
attributes:
  check_mode:
    support: full
    details:
      - The configuration is rendered and compared; nothing is written, checked by HAProxy or reloaded.
  diff_mode:
    support: full
    details:
      - The diff is the configuration file's text before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the proxy container.
    type: str
    default: maestro-proxy
  image:
    description:
      - The HAProxy image, for example V(haproxy:2.6). Pulled when missing (see O(registries)).
      - Required unless O(state=absent).
    type: str
  state:
    description:
      - V(present) makes the container run with the merged frontends; V(absent) stops (draining for up to
        O(drain_timeout) seconds) and removes it.
    type: str
    choices: [present, absent]
    default: present
  network_mode:
    description:
      - Network mode of the container when it is created.
      - With V(host) (the default), HAProxy runs in the ship's network namespace, so a new frontend binds its port
        with a reload; any other mode would need a published port per frontend, and publishing a port means
        recreating the container, which cuts the traffic of every frontend.
    type: str
    default: host
  user:
    description:
      - User the container runs as. The official image runs as C(haproxy), which cannot bind ports below 1024 in the
        host's network namespace; set V(root) for such ports.
      - Default is the image's user.
    type: str
  environment:
    description:
      - Value of the container's C(maestro.environment) label when it is created.
    type: str
  frontends:
    description:
      - Frontends to set, merged into the stored ones by name (see O(purge)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name of the frontend (and of its backend section), usually the service's name. Letters, digits, V(-),
            V(_), V(.) and V(:).
        type: str
        required: true
      port:
        description:
          - Port the frontend listens on, on every address of the ship.
        type: int
        required: true
      mode:
        description:
          - V(http) or V(tcp) proxying.
        type: str
        choices: [http, tcp]
        default: http
      backends:
        description:
          - The servers that get this frontend's traffic. An empty list is allowed; the frontend then answers 503
            (HTTP) or closes connections (TCP).
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Name of the server, for example the instance's name.
            type: str
            required: true
          address:
            description: Host name or IP address of the server, for example the ship's IP.
            type: str
            required: true
          port:
            description: Port of the server, for example the instance's published port.
            type: int
            required: true
          colour:
            description:
              - The colour of this server, when the frontend holds servers of both colours (a canary). Default is the
                frontend's O(frontends[].colour).
            type: str
            version_added: 0.2.0
      colour:
        description:
          - The colour of the backends (blue/green deploys). Recorded in the stored state and as a comment, nothing more.
        type: str
      health_path:
        description:
          - When set, HAProxy checks every server with C(GET <health_path>) each second
            (C(option httpchk), C(check inter 1s fall 2 rise 1)) and sends no traffic to a server that failed twice.
        type: str
      balance:
        description:
          - How HAProxy spreads requests over the servers.
        type: str
        choices: [roundrobin, static-rr, leastconn, first, source]
        default: roundrobin
      weights:
        description:
          - "HAProxy weights per colour, C({colour: weight}) with weights from V(0) (no traffic) to V(256), for example
            C({green: 10, blue: 90}): each server gets the weight of its colour (its O(frontends[].backends[].colour),
            else O(frontends[].colour)), so the colours share the traffic in proportion to their weights times their
            number of servers. Every server's colour needs a weight."
          - Without it, the servers get HAProxy's default weight, and the configuration is the same as without this option.
        type: dict
        version_added: 0.2.0
  weights:
    description:
      - "New weights for frontends the proxy already has, C({frontend name: {colour: weight}}), as
        O(frontends[].weights), without restating their servers; applied after O(frontends) are merged."
      - Applied like any change of the configuration, with a graceful reload (HAProxy's counters start again at zero
        in the new worker).
    type: dict
    version_added: 0.2.0
  stats:
    description:
      - A listener for HAProxy's statistics, at C(/stats) on O(stats.port), as CSV at C(/stats;csv); read by
        M(maestro.docker.proxy_info) with O(maestro.docker.proxy_info#module:stats=true).
      - Kept as stored when not given; O(stats.port=0) removes it.
      - The statistics name every server's address and have no password; bind them to an address only the controller
        reaches (O(stats.address)), or keep the port closed to others.
    type: dict
    version_added: 0.2.0
    suboptions:
      port:
        description:
          - Port of the listener, on O(stats.address). V(0) removes the listener.
        type: int
        required: true
      address:
        description:
          - Address the listener binds. Default is every address of the ship.
        type: str
  health:
    description:
      - A health endpoint that tells whether this proxy is fit, at C(/maestro/health) on O(health.port) of every
        address of the ship (HAProxy's C(monitor-uri)). It answers C(200) while every frontend has a server up, C(503) when a
        frontend has none, no answer when HAProxy is down.
      - For a load balancer or DNS service of your own in front of several proxies (its health check), and for the
        keepalived of M(maestro.docker.floating_address), which gives up the floating address when the proxy is not fit.
      - Kept as stored when not given; O(health.port=0) removes it.
    type: dict
    version_added: 0.2.0
    suboptions:
      port:
        description:
          - Port of the endpoint. V(0) removes it.
        type: int
        required: true
  purge:
    description:
      - Remove the stored frontends that O(frontends) does not list.
    type: bool
    default: false
  drain_timeout:
    description:
      - Seconds to wait after a reload for the previous HAProxy worker to finish its connections and exit; a warning
        says when it has not. Also written as HAProxy's C(hard-stop-after), which ends that worker then.
      - With O(state=absent), the stop timeout.
      - At least 1.
    type: int
    default: 30
  keepalive:
    description:
      - V(false) closes each client connection after its response (HAProxy's C(option httpclose)). A worker that
        stops after a reload closes its idle keep-alive connections, and a client that sends a request on one at
        that moment gets an error (measured about 1.5 failed requests per reload with keep-alive clients, 0 without).
      - V(true) keeps client connections open (C(option http-keep-alive)); use it when the clients retry a request
        on a closed idle connection, as browsers do.
      - Applies to V(http) frontends.
    type: bool
    default: false
  validate_only:
    description:
      - V(true) checks the configuration this task would apply with C(haproxy -c) in the running proxy container, and
        changes nothing (the running configuration, the container). It is the first phase of a switch across several
        proxies (the C(maestro.docker.deploy) role); every proxy checks its new configuration, and only then do they all
        reload.
      - A proxy container that is missing or stopped cannot check it; RV(validated) is then V(false), and the
        configuration is checked when the container starts.
    type: bool
    default: false
    version_added: 0.2.0
  registries:
    description:
      - 'Registry credentials in maestro format, used to pull O(image): C({name: {registry, username, password, email, retry}}).'
      - Without a matching entry, the controller's Docker config (C(~/.docker/config.json)) is used.
      - Passwords never appear in results or messages.
    type: dict
    default: {}
notes:
  - Backend host names are resolved by HAProxy when it loads the configuration, and a name that does not resolve
    makes the configuration fail its check; IP addresses avoid the ship's resolver.
  - The last candidate configuration stays in the container as C(/usr/local/etc/haproxy/.maestro-candidate.cfg), so
    the line numbers of a refused configuration's message can be looked up.
  - The rendered configuration sets C(timeout connect 1s) (a request sent to a lost ship is retried on another server
    after a second), C(timeout client 30s), C(timeout server 30s), C(option redispatch) and C(retries 3), and
    C(option forwardfor) on V(http) frontends.
seealso:
  - module: maestro.docker.proxy_info
  - module: maestro.docker.lock
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Send the web service's traffic to the green instances, keeping the proxy's other frontends
  maestro.docker.proxy:
    docker_host: tcp://10.0.0.11:2375
    image: haproxy:2.6
    environment: prod
    frontends:
      - name: web
        port: 8000
        colour: green
        health_path: /health
        backends:
          - {name: web-1-green, address: 10.0.0.12, port: 18080}
          - {name: web-2-green, address: 10.0.0.13, port: 18080}

- name: Canary - send a tenth of the web service's traffic to green, keep blue, and read the counters at :8404
  maestro.docker.proxy:
    docker_host: tcp://10.0.0.11:2375
    image: haproxy:2.6
    stats: {port: 8404, address: 10.0.0.11}
    frontends:
      - name: web
        port: 8000
        colour: blue
        health_path: /health
        weights: {green: 10, blue: 90}
        backends:
          - {name: web-1, address: 10.0.0.12, port: 8080}
          - {name: web-1-green, address: 10.0.0.12, port: 18080, colour: green}

- name: Canary - half of it, without restating the servers
  maestro.docker.proxy:
    docker_host: tcp://10.0.0.11:2375
    image: haproxy:2.6
    weights:
      web: {green: 50, blue: 50}

- name: Keep only the web frontend, as a TCP proxy
  maestro.docker.proxy:
    docker_host: tcp://10.0.0.11:2375
    image: haproxy:2.6
    purge: true
    frontends:
      - name: web
        port: 8000
        mode: tcp
        backends: [{name: web-1, address: 10.0.0.12, port: 18080}]

- name: Remove the proxy
  maestro.docker.proxy:
    docker_host: tcp://10.0.0.11:2375
    state: absent
"""

RETURN = r"""
container:
  description: The proxy container.
  returned: always
  type: dict
  contains:
    name:
      description: Container name.
      type: str
      returned: always
    id:
      description: Container ID (null when there is none, or in check mode before it is created).
      type: str
      returned: always
    ship:
      description: The ship.
      type: str
      returned: always
frontends:
  description: The merged frontends, as stored in the configuration (sorted by name, every key present).
  returned: success
  type: list
  elements: dict
  sample:
    - name: web
      port: 8000
      mode: http
      balance: roundrobin
      colour: green
      health_path: /health
      backends: [{name: web-1-green, address: 10.0.0.12, port: 18080}]
frontend_changes:
  description: Names of the frontends added, changed and removed by this run.
  returned: success and O(state=present)
  type: dict
  sample: {added: [], changed: [web], removed: []}
config:
  description: The configuration file's text (empty after O(state=absent)).
  returned: success
  type: str
stats_listener:
  description: The statistics listener, C({port, address}) (address empty for every address); null without one.
  returned: success and O(state=present)
  type: dict
  sample: {port: 8404, address: ""}
  version_added: 0.2.0
health_endpoint:
  description: The health endpoint, C({port}); null without one.
  returned: success and O(state=present)
  type: dict
  sample: {port: 8405}
  version_added: 0.2.0
reloaded:
  description: Whether HAProxy was reloaded with a new configuration (or would be, in check mode).
  returned: success
  type: bool
drained:
  description:
    - Whether the previous worker exited within O(drain_timeout) after the reload; null when there was no reload.
  returned: success
  type: bool
drain_seconds:
  description: Seconds from the reload signal until the previous worker exited (or the timeout); null without a reload.
  returned: success
  type: float
validated:
  description: With O(validate_only=true), whether C(haproxy -c) checked the new configuration in the running container.
  returned: success and O(validate_only=true)
  type: bool
  version_added: 0.2.0
would_change:
  description: With O(validate_only=true), whether the task without it would change the proxy (create, start or reload it).
  returned: success and O(validate_only=true)
  type: bool
  version_added: 0.2.0
actions:
  description: What was done (or would be, in check mode), in order, for example V(created), V(started), V(reloaded).
  returned: success
  type: list
  elements: str
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("proxy")


if __name__ == "__main__":
    main()
