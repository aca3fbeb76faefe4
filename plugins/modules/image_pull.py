#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: image_pull
short_description: Pull images on one ship (maestro pull)
version_added: 0.1.0
description:
  - Pulls each image of O(images) on the ship this task talks to, concurrently.
  - A pull counts as a change only when it brings an image with another ID than the one the ship had.
  - In check mode, the registry is asked for the image's digest (distribution inspect) and compared with the
    ship's, without pulling.
  - Registry credentials come from O(registries) (maestro format, looked up by the first path component of the
    repository, then by registry host), else from the controller's Docker config.
extends_documentation_fragment:
  - maestro.docker.docker
  - maestro.docker.attributes
  - maestro.docker.attributes.actiongroup_docker
  - maestro.docker.attributes.action
attributes:
  check_mode:
    support: full
    details:
      - The registry must answer distribution inspect requests; the image ID after the pull is shown as V(unknown).
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  images:
    description:
      - Image references with tag, for example V(registry.example.com:5000/acme/web:1.4.2).
    type: list
    elements: str
    required: true
    aliases: [name]
  pull:
    description:
      - V(always) pulls every image (maestro C(pull)); V(missing) only those the ship does not have.
    type: str
    choices: [always, missing]
    default: always
  registries:
    description:
      - 'Registry credentials in maestro format: C({name: {registry, username, password, email, retry}}).'
      - C(retry) is C({attempts, when}), C(when) a list of HTTP status codes to retry on, 1 second apart.
      - Passwords never appear in results or messages.
    type: dict
    default: {}
  concurrency:
    description:
      - How many images to pull at once. Default is all of them.
    type: int
seealso:
  - module: maestro.docker.instance
author:
  - maestro.docker developers (@maestro-docker)
"""

EXAMPLES = r"""
- name: Pull the images of this ship's instances
  maestro.docker.image_pull:
    docker_host: "{{ maestro_docker.docker_host }}"
    images: "{{ maestro_instances | map(attribute='image') | unique }}"

- name: Pull from a registry that needs a login
  maestro.docker.image_pull:
    docker_host: tcp://10.0.0.11:2375
    images: [registry.example.com/acme/web:1.4.2]
    registries:
      acme:
        registry: https://registry.example.com
        username: deploy
        password: "{{ vault_registry_password }}"
        retry: {attempts: 3, when: [500, 502, 503]}
"""

RETURN = r"""
images:
  description: One result per image, also when the task fails.
  returned: always
  type: list
  elements: dict
  contains:
    image:
      description: The image reference.
      type: str
      returned: always
    changed:
      description: Whether the ship got another image for this reference.
      type: bool
      returned: always
    before:
      description: "C(exists), C(id) and C(digest) of the image on the ship before."
      type: dict
      returned: success
    after:
      description: "C(exists), C(id) and C(digest) after (C(id) V(unknown) in check mode)."
      type: dict
      returned: success
    failed:
      description: Whether this pull failed.
      type: bool
      returned: when it failed
    msg:
      description: Why this pull failed.
      type: str
      returned: when it failed
"""

from ansible_collections.maestro.docker.plugins.module_utils._docker.runner import module_main


def main():
    module_main("image_pull")


if __name__ == "__main__":
    main()
