"""The API version an earlier engine task negotiated is reused: pure parts of plugin_utils/_ships.py."""

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.plugin_utils import _ships

KNOWN = {"tcp://10.0.0.1:2375": "1.41", "unix:///var/run/docker.sock": "1.45"}


def test_known_versions_come_from_the_hosts_facts():
    assert _ships.known_api_versions({"ansible_facts": {_ships.API_VERSIONS_FACT: KNOWN}}) == KNOWN
    assert _ships.known_api_versions({}) == {}
    assert _ships.known_api_versions({"ansible_facts": None}) == {}


def test_a_known_daemon_gets_its_version_pinned():
    assert _ships.with_known_api_version({"docker_host": "tcp://10.0.0.1:2375", "api_version": "auto"}, KNOWN)["api_version"] == "1.41"
    # the same daemon, named as a path: the key is the URL the client connects to
    assert _ships.with_known_api_version({"docker_host": "/var/run/docker.sock"}, KNOWN)["api_version"] == "1.45"
    # an old pin (maestro-ng's 1.18) is a minimum: the negotiated version serves it too
    assert _ships.with_known_api_version({"docker_host": "tcp://10.0.0.1:2375", "api_version": "1.18"}, KNOWN)["api_version"] == "1.41"


def test_a_version_the_user_set_or_an_unknown_daemon_is_left_alone():
    pinned = {"docker_host": "tcp://10.0.0.1:2375", "api_version": "1.40"}
    assert _ships.with_known_api_version(pinned, KNOWN) is pinned
    other = {"docker_host": "tcp://10.0.0.2:2375", "api_version": "auto"}
    assert _ships.with_known_api_version(other, KNOWN) is other
    assert _ships.with_known_api_version(other, {}) is other
