#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: floating_address
short_description: A keepalived (VRRP) container beside the proxy of a ship, so that one address moves to a live proxy
version_added: 0.2.0
description:
  - Runs a keepalived container on the ship, with host networking and the capabilities C(NET_ADMIN), C(NET_BROADCAST)
    and C(NET_RAW), so that the ships of O(hosts) share the floating O(address) (VRRP, version 3, multicast on
    O(interface)). One ship holds it, and when that ship is lost or its proxy is not fit, the next one takes it.
  - The image is keepalived laid out like Debian's package (C(/usr/sbin/keepalived), configuration at
    C(/etc/keepalived/keepalived.conf), SIGHUP reloads), with a C(/bin/wget) (busybox) for the health check.
  - Every ship starts as C(BACKUP) with C(nopreempt) and a priority from its place in O(hosts), the first preferred
    (200, 190, ...), so the address moves once when its ship is lost, and stays where it is when that ship returns.
  - With O(health_port), keepalived asks the proxy's health endpoint (O(maestro.docker.proxy#module:health)) every
    second; a ship whose proxy does not answer C(200) twice in a row gives the address up.
  - The configuration is rendered from the options, the same text for the same options, written through the Docker
    archive API before the first start, and keepalived is reloaded (SIGHUP) when it changes; an unchanged
    configuration means no change.
  - The container is labelled C(maestro.managed=true), C(maestro.role=floating-address) (and C(maestro.environment)
    when O(environment) is set); a container of that name without these labels is a failure and is never touched. One
    whose image or host settings differ is recreated (the other ships hold the address meanwhile).
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
attributes:
  check_mode:
    support: full
    details:
      - The configuration is rendered and compared; nothing is written, created or reloaded.
  diff_mode:
    support: full
    details:
      - The diff is the configuration file's text before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the keepalived container.
    type: str
    default: maestro-keepalived
  image:
    description:
      - The keepalived image. Required unless O(state=absent).
    type: str
  state:
    description:
      - V(present) runs the container with the configuration; V(absent) removes it (the address leaves the ship).
    type: str
    choices: [present, absent]
    default: present
  environment:
    description:
      - Value of the C(maestro.environment) label.
    type: str
  address:
    description:
      - The floating IPv4 address, optionally with a prefix length (default C(/32)), added to O(interface) of the
        ship that holds it. Required unless O(state=absent).
    type: str
  interface:
    description:
      - The network interface of the ship that carries the VRRP adverts and the address; the same name on every ship.
    type: str
    default: eth0
  virtual_router_id:
    description:
      - The VRRP router ID, 1 to 255, the same on every ship that shares the address and unique on the network.
    type: int
    default: 51
  advert_int:
    description:
      - Seconds between VRRP adverts (VRRP version 3 takes fractions); a backup takes the address after about three
        missed adverts, about 1.5 s with the default.
    type: float
    default: 0.5
  priority:
    description:
      - This ship's VRRP priority, 1 to 254. Default, from its place in O(hosts).
    type: int
  hosts:
    description:
      - The ships (inventory host names) that share the address, the preferred first. Gives the priority unless
        O(priority) is set.
    type: list
    elements: str
    default: []
  health_port:
    description:
      - Port of the proxy's health endpoint on the ship (C(/maestro/health)); without it, only the loss of the ship or
        of keepalived moves the address.
    type: int
  registries:
    description:
      - Registry credentials (maestro format) used to pull O(image) when it is missing.
    type: dict
    default: {}
notes:
  - Unicast peers are not supported; the ships must reach each other by multicast on O(interface) (one network
    segment).
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: The floating address 10.0.0.100, preferred on ship1, beside the proxy of each ship
  maestro.docker.floating_address:
    docker_host: "tcp://{{ item.ip }}:2375"
    ship: "{{ item.ship }}"
    image: registry.example.com/proxy/keepalived:2.2
    address: 10.0.0.100
    hosts: [ship1, ship2, ship3]
    health_port: 8405
  loop:
    - {ship: ship1, ip: 10.0.0.11}
    - {ship: ship2, ip: 10.0.0.12}
    - {ship: ship3, ip: 10.0.0.13}
"""

RETURN = r"""
container:
  description: The keepalived container.
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
address:
  description: The floating address, with its prefix length.
  returned: success and O(state=present)
  type: str
  sample: 10.0.0.100/32
priority:
  description: This ship's VRRP priority.
  returned: success and O(state=present)
  type: int
  sample: 200
config:
  description: The configuration file's text.
  returned: success and O(state=present)
  type: str
actions:
  description: What was done (or would be, in check mode), in order, for example V(created), V(started), V(reloaded).
  returned: success
  type: list
  elements: str
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("floating_address")


if __name__ == "__main__":
    main()
