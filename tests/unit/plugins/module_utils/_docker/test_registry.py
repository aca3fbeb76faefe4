"""Image references and maestro registry lookup (pure logic)."""

from __future__ import annotations

import pytest
from docker.utils import parse_repository_tag

from ansible_collections.maestro.docker.plugins.module_utils._docker import registry as _registry

REGISTRIES = {
    "acme": {"registry": "https://registry.acme.example:5000", "username": "deploy", "password": "pw1", "retry": {"attempts": 3, "when": [500, 502]}},
    "other": {"registry": "https://quay.example"},
}


@pytest.mark.parametrize(
    ("ref", "repo", "tag"),
    [
        ("10.0.0.1:5000/demo/web:v1", "10.0.0.1:5000/demo/web", "v1"),
        ("10.0.0.1:5000/demo/web", "10.0.0.1:5000/demo/web", "latest"),
        ("redis", "redis", "latest"),
        ("redis:7", "redis", "7"),
        ("repo/x@sha256:abc", "repo/x", "sha256:abc"),
        ("localhost:5000/x:1@sha256:abc", "localhost:5000/x:1", "sha256:abc"),
        ("localhost:5000/x", "localhost:5000/x", "latest"),
    ],
)
def test_split_ref(ref, repo, tag):
    assert _registry.split_ref(ref) == (repo, tag)
    sdk_repo, sdk_tag = parse_repository_tag(ref)  # the SDK's rule, which split_ref writes out for the loader
    assert (sdk_repo, sdk_tag or "latest") == (repo, tag)


@pytest.mark.parametrize(
    ("repository", "found"),
    [
        ("acme/web", "acme"),  # by name
        ("registry.acme.example:5000/web", "acme"),  # by netloc
        ("registry.acme.example/web", "acme"),  # by host without port
        ("quay.example/x/y", "other"),
        ("nginx", None),  # no slash: no lookup
        ("unknown.example/web", None),
    ],
)
def test_find_registry_follows_maestro_lookup(repository, found):
    result = _registry.find_registry(repository, REGISTRIES)
    assert (result[0] if result else None) == found


def test_auth_config_and_retry_policy():
    assert _registry.auth_config("registry.acme.example:5000/web", REGISTRIES) == {
        "username": "deploy",
        "password": "pw1",
        "serveraddress": "registry.acme.example:5000",
    }
    assert _registry.retry_policy("acme/web", REGISTRIES) == (3, {500, 502})
    assert _registry.retry_policy("nginx", REGISTRIES) == (1, set())
    assert _registry.registry_passwords(REGISTRIES) == ["pw1"]


def test_repo_digest_picks_the_repository():
    image = {"RepoDigests": ["a/b@sha256:1", "c/d@sha256:2"]}
    assert _registry.repo_digest(image, "c/d") == "sha256:2"
    assert _registry.repo_digest(image, "x") is None
