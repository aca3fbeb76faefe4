# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Value parsers of the loader that write out a library's rule: held to that library's answers."""

from __future__ import annotations

import pytest
from docker.utils import parse_bytes

from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import INVALID
from ansible_collections.maestro.docker.plugins.plugin_utils._config.values import byte_size, split_image


class At:
    def __init__(self):
        self.errors = []

    def error(self, message):
        self.errors.append(message)


@pytest.mark.parametrize("value", ["512m", "1g", "1G", "100", "1k", "1kb", "1KB", "1.5g", "512M", "12 m", "0"])
def test_byte_sizes_are_the_sdks(value):
    """maestro-ng passed limits to docker-py, which parsed them with parse_bytes: the same sizes here."""
    assert byte_size(value, At()) == parse_bytes(value)


def test_byte_sizes_refused_and_extended():
    at = At()
    assert byte_size("lots", at) is INVALID and at.errors == ["'lots' is not a size (bytes, or a number with a k, m or g suffix)"]
    assert byte_size("1t", At()) == 1024**4  # an extension: the SDK has no t
    assert byte_size(-1, At()) == -1


@pytest.mark.parametrize(
    ("image", "split"),
    [
        ("redis", ("redis:latest", "redis", "latest")),
        ("localhost:5000/web:v2", ("localhost:5000/web:v2", "localhost:5000/web", "v2")),
        ("localhost:5000/web", ("localhost:5000/web:latest", "localhost:5000/web", "latest")),
        ("web@sha256:abc", ("web@sha256:abc", "web", "sha256:abc")),
    ],
)
def test_split_image(image, split):
    assert split_image(image) == split
