"""Connection settings resolution (pure logic: no daemon is contacted)."""

from __future__ import annotations

from ansible_collections.maestro.docker.plugins.module_utils._docker import client as _docker


def test_params_win_over_environment_and_defaults():
    conn = _docker.connection_params({"docker_host": "tcp://10.0.0.11:2375", "timeout": 5}, {"DOCKER_HOST": "tcp://x:1", "DOCKER_TIMEOUT": "9"})
    assert (conn["base_url"], conn["timeout"], conn["version"], conn["tls"], conn["ship"]) == ("tcp://10.0.0.11:2375", 5, "auto", None, "10.0.0.11")


def test_environment_fallbacks_and_cert_path():
    env = {"DOCKER_HOST": "tcp://10.0.0.12:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs", "DOCKER_API_VERSION": "1.41"}
    conn = _docker.connection_params({}, env)
    assert conn["base_url"] == "tcp://10.0.0.12:2376"
    assert conn["version"] == "1.41"
    assert conn["tls"] == {"verify": True, "client_cert": ("/certs/cert.pem", "/certs/key.pem"), "ca_cert": "/certs/ca.pem"}


def test_tls_without_verification_and_unix_paths():
    conn = _docker.connection_params({"docker_host": "/run/docker.sock", "tls": True, "ship": "s1"}, {})
    assert conn["base_url"] == "unix:///run/docker.sock"
    assert conn["tls"] == {"verify": False, "client_cert": None, "ca_cert": None}
    assert conn["ship"] == "s1"


def test_failure_message_shape():
    exc = _docker.DockerFailure("pulling image", "demo/web:v9", "ship2", "manifest unknown")
    assert str(exc) == "Error pulling image demo/web:v9 on ship ship2: manifest unknown"


def test_proxy_variables_are_read_once_and_still_apply(monkeypatch):
    """With a version given, a client is made without contacting the daemon: its session keeps the proxies."""
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    _docker._environ_proxies.cache_clear(), _docker._any_proxy_variable.cache_clear()  # read once per process: this test changes the environment
    client = _docker.ShipClient({"docker_host": "tcp://10.0.0.11:2375", "api_version": "1.41"})
    assert (client.api.proxies.get("http"), client.api.trust_env, client.negotiated) == ("http://proxy.example:3128", False, False)
    monkeypatch.setenv("NO_PROXY", "10.0.0.11")
    _docker._environ_proxies.cache_clear(), _docker._any_proxy_variable.cache_clear()
    assert _docker.ShipClient({"docker_host": "tcp://10.0.0.11:2375", "api_version": "1.41"}).api.proxies == {}
    _docker._environ_proxies.cache_clear(), _docker._any_proxy_variable.cache_clear()


def test_auto_and_versions_below_the_least_one_are_negotiated():
    assert _docker.negotiates("auto")
    assert _docker.negotiates(None)
    assert _docker.negotiates("1.18")  # maestro-ng's default: a minimum, the daemon's version is used
    assert _docker.negotiates("1.29")
    assert not _docker.negotiates("1.30")
    assert not _docker.negotiates("1.41")
    assert not _docker.negotiates("1.100")


def _raised_from(cause: BaseException) -> _docker.DockerFailure:
    try:
        try:
            raise cause
        except Exception as exc:
            raise _docker.DockerFailure("inspecting container", "web", "ship3", exc) from exc
    except _docker.DockerFailure as failure:
        return failure


def test_a_ship_not_reached_at_all_is_told_apart_from_a_daemon_that_answered():
    import requests  # noqa: PLC0415 - the SDK's transport

    assert _docker.unreachable(_raised_from(requests.exceptions.ConnectionError("No route to host")))
    assert _docker.unreachable(_raised_from(requests.exceptions.ReadTimeout("Read timed out")))
    assert _docker.unreachable(_raised_from(ConnectionRefusedError(111, "Connection refused")))
    # the daemon answered: an API error, or a cause given as text only
    assert not _docker.unreachable(_raised_from(_docker.APIError("409 Conflict")))
    assert not _docker.unreachable(_docker.DockerFailure("reloading proxy container", "p", "ship1", "HAProxy did not start a worker"))
