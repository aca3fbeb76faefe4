"""Instance spec -> container config, drift comparison, port/volume mapping and masking (pure logic)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.maestro.docker.plugins.doc_fragments.attributes import ModuleDocFragment
from ansible_collections.maestro.docker.plugins.module_utils._docker import spec as _spec
from ansible_collections.maestro.docker.plugins.plugin_utils._config import model

IMAGE = "10.0.0.1:5000/demo/web:v1"


def spec(**over):
    base = {"name": "web-1", "service": "web", "environment": "test", "ship": "ship1", "ship_ip": "10.0.0.11", "image": IMAGE}
    base.update(over)
    return base


def inspect_of(config: dict, **state) -> dict:
    """What the daemon reports for a container created from config (fields it adds left at defaults)."""
    host = dict(config.get("HostConfig", {}))
    host.setdefault("RestartPolicy", {"Name": "no", "MaximumRetryCount": 0})
    host.setdefault("NetworkMode", "default")
    cfg = {k: v for k, v in config.items() if k != "HostConfig"}
    env = list(cfg.get("Env", [])) + ["PATH=/bin", "PORT=8080"]  # image env merges in
    cfg["Env"] = env
    cfg.setdefault("Labels", {})["org.opencontainers.image.title"] = "demo/web"
    return {"Config": cfg, "HostConfig": host, "State": state or {"Running": True}}


@pytest.mark.parametrize(
    ("ports", "bindings"),
    [
        ([{"name": "http", "exposed": "8080", "external": "18080"}], {"8080/tcp": [{"HostIp": "", "HostPort": "18080"}]}),
        ([{"name": "dns", "exposed": "53", "external": "5353", "protocol": "udp"}], {"53/udp": [{"HostIp": "", "HostPort": "5353"}]}),
        (
            [{"name": "r", "exposed": "1234-1235", "external": "2234-2235"}],
            {"1234/tcp": [{"HostIp": "", "HostPort": "2234"}], "1235/tcp": [{"HostIp": "", "HostPort": "2235"}]},
        ),
        ([{"name": "rnd", "exposed": "80", "external": None}], {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
        ([{"name": "pool", "exposed": "80", "external": "9000-9002"}], {"80/tcp": [{"HostIp": "", "HostPort": "9000-9002"}]}),
        ([{"name": "ip", "exposed": "25", "external": "2525", "bind_ip": "10.0.0.11"}], {"25/tcp": [{"HostIp": "10.0.0.11", "HostPort": "2525"}]}),
    ],
)
def test_port_bindings_follow_maestro_exposed_external_order(ports, bindings):
    assert _spec.port_bindings(ports) == bindings


@pytest.mark.parametrize("bad", ["80-70", "x", "1-2-3"])
def test_bad_port_ranges_are_refused(bad):
    with pytest.raises(_spec.SpecError, match="invalid port"):
        _spec.port_bindings([{"name": "p", "exposed": bad}])


def test_range_mismatch_is_refused():
    with pytest.raises(_spec.SpecError, match="cannot map"):
        _spec.port_bindings([{"name": "p", "exposed": "1-3", "external": "5-6"}])


def test_container_config_maps_spec_keys_to_api_fields():
    config = _spec.container_config(
        spec(
            command="/bin/sh -c 'echo hi'",
            env={"A": 1, "B": None},
            volumes=[{"type": "bind", "source": "/srv", "target": "/data", "mode": "ro"}, {"type": "volume", "source": "v1", "target": "/v"}],
            container_volumes=["/cache"],
            links={"db-1": "db"},
            extra_hosts={"db": "10.0.0.12"},
            restart={"name": "on-failure", "retries": 3},
            limits={"memory": 1024, "cpu": 512},
            healthcheck={"test": "true", "interval": 5, "timeout": 2, "retries": 3, "start_period": None},
            ulimits=[{"name": "nofile", "soft": 10, "hard": 20}],
            log_driver="json-file",
            log_opt={"max-size": 1},
            init=True,
        )
    )
    assert config["Image"] == IMAGE
    assert config["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    assert config["Env"] == ["A=1", "B"]  # B alone: not in the environment (docker-py, maestro-ng)
    assert config["Hostname"] == "web-1"
    assert config["Volumes"] == {"/data": {}, "/v": {}, "/cache": {}}
    assert config["StopTimeout"] == 10
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000, "Timeout": 2_000_000_000, "Retries": 3}
    host = config["HostConfig"]
    assert host["Binds"] == ["/srv:/data:ro", "v1:/v:rw"]
    assert host["Links"] == ["db-1:db"]
    assert host["ExtraHosts"] == ["db:10.0.0.12"]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert (host["Memory"], host["CpuShares"]) == (1024, 512)
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 10, "Hard": 20}]
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1"}}
    assert host["Init"] is True
    labels = config["Labels"]
    assert labels[_spec.LABEL_MANAGED] == "true"
    assert (labels[_spec.LABEL_SERVICE], labels[_spec.LABEL_INSTANCE], labels[_spec.LABEL_ENVIRONMENT]) == ("web", "web-1", "test")
    assert len(labels[_spec.LABEL_HASH]) == 64


def test_network_mode_drops_the_hostname():
    assert "Hostname" not in _spec.container_config(spec(network_mode="host"))


def test_unknown_keys_and_missing_image_are_refused():
    with pytest.raises(_spec.SpecError, match="unknown spec keys colour$"):
        _spec.container_config(spec(colour="red"))
    # issue 16: a typo gets the "did you mean" that the ships file's errors give
    with pytest.raises(_spec.SpecError, match=r"unknown spec keys colour, imgae \(did you mean 'image'\?\)$"):
        _spec.container_config({**spec(colour="red"), "imgae": "x"})
    with pytest.raises(_spec.SpecError, match="image is required"):
        _spec.container_config(spec(image=None))


def test_a_container_made_from_its_spec_has_no_drift():
    s = spec(env={"A": "1"}, ports=[{"name": "http", "exposed": "8080", "external": "18080"}], links={"db": "db"}, restart={"name": "always"})
    config = _spec.container_config(s)
    inspect = inspect_of(config)
    inspect["HostConfig"]["Links"] = ["/db:/web-1/db"]  # how the daemon reports links
    assert _spec.compare(s, inspect) == []


@pytest.mark.parametrize(
    ("change", "options"),
    [
        ({"env": {"A": "2"}}, ["env", "spec-hash"]),
        ({"privileged": True}, ["privileged", "spec-hash"]),
        ({"ports": [{"name": "http", "exposed": "8080", "external": "18081"}]}, ["ports", "spec-hash"]),
        ({"command": "sleep 1"}, ["command", "spec-hash"]),
        ({"stop_timeout": 3}, ["stop_timeout", "spec-hash"]),
        ({"labels": {"team": "x"}}, ["labels"]),
        ({"lifecycle": {"running": [{"type": "sleep", "wait": 1}]}}, []),  # checks do not shape the container
    ],
)
def test_drift_names_the_changed_options(change, options):
    s = spec(env={"A": "1"}, ports=[{"name": "http", "exposed": "8080", "external": "18080"}])
    inspect = inspect_of(_spec.container_config(s))
    assert [d["option"] for d in _spec.compare({**s, **change}, inspect)] == options


def test_removed_env_key_shows_through_the_spec_hash():
    s = spec(env={"A": "1", "B": "2"})
    inspect = inspect_of(_spec.container_config(s))
    assert [d["option"] for d in _spec.compare(spec(env={"A": "1"}), inspect)] == ["spec-hash"]


def test_unset_keys_compare_against_daemon_defaults_only_where_declared():
    s = spec()
    inspect = inspect_of(_spec.container_config(s))
    inspect["Config"]["User"] = "nobody"  # image default: not compared when the spec leaves user unset
    assert _spec.compare(s, inspect) == []
    inspect["HostConfig"]["Privileged"] = True  # default False is compared
    assert [d["option"] for d in _spec.compare(s, inspect)] == ["privileged"]


def test_spec_hash_is_stable_and_secret_free():
    a = _spec.container_config(spec(env={"PW": "hunter2"}, secret_env=["PW"]))
    b = _spec.container_config(spec(env={"PW": "hunter2"}, secret_env=["PW"]))
    c = _spec.container_config(spec(env={"PW": "other"}, secret_env=["PW"]))
    assert a["Labels"][_spec.LABEL_HASH] == b["Labels"][_spec.LABEL_HASH] != c["Labels"][_spec.LABEL_HASH]
    assert "hunter2" not in str(a["Labels"])


def test_masking_hides_secret_env_values_everywhere():
    s = spec(env={"PW": "hunter2", "A": "1"}, secret_env=["PW"])
    drift = [{"option": "env", "path": "Env", "wanted": {"PW": "hunter2", "A": "1"}, "actual": {"PW": "old", "A": "1"}}]
    drift.append({"option": "command", "path": "Cmd", "wanted": ["run", "--pw=hunter2"], "actual": []})
    masked = _spec.mask_drift(drift, s)
    assert masked[0]["wanted"] == {"PW": _spec.MASK, "A": "1"}
    assert masked[0]["actual"] == {"PW": _spec.MASK, "A": "1"}
    assert masked[1]["wanted"] == ["run", f"--pw={_spec.MASK}"]
    assert "hunter2" not in str(_spec.public_spec(s))


def test_networks_are_hashed_and_compared():
    s = spec(networks=[{"name": "backend", "aliases": ["web"]}])
    config = _spec.container_config(s)
    assert config["Labels"][_spec.LABEL_HASH] != _spec.container_config(spec())["Labels"][_spec.LABEL_HASH]
    inspect = inspect_of(config)
    inspect["NetworkSettings"] = {"Networks": {"bridge": {}, "backend": {}}}
    assert _spec.compare(s, inspect) == []
    inspect["NetworkSettings"] = {"Networks": {"bridge": {}}}
    assert [d["option"] for d in _spec.compare(s, inspect)] == ["networks"]


def test_every_spec_the_loader_makes_is_accepted(load):
    """The modules take the loader's specs as they are (maestro_instances of the inventory)."""
    config = load(
        """\
        name: t
        ships: {s1: {ip: 10.0.0.1}}
        services:
          db: {image: "db:1", instances: {db-1: {ship: s1, ports: {p: 5432}}}}
          web: {image: "web:1", requires: [db], instances: {web-1: {ship: s1, net: host}, web-2: {ship: s1, ports: {http: "8080:80"}}}}
        """
    )
    assert set(config.instances["db-1"].spec) <= set(_spec.SPEC_KEYS)
    configs = {name: _spec.container_config(instance.spec) for name, instance in config.instances.items()}
    assert configs["db-1"]["Hostname"] == "db-1"
    assert "Hostname" not in configs["web-1"]
    assert configs["web-2"]["HostConfig"]["PortBindings"] == {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "80"}]}


def test_the_documented_spec_keys_are_the_spec_keys():
    """The instance modules' documentation and the loader's table list exactly SPEC_KEYS (OPTIONS + META_KEYS)."""
    listed = ModuleDocFragment.INSTANCES.split("'Keys: ", 1)[1].split("A missing key", 1)[0]
    assert set(re.findall(r"C\((\w+)\)", listed)) == set(_spec.SPEC_KEYS)
    table = model.__doc__.split("================== =", 2)[2].split("==================", 1)[1]
    documented = {word for line in table.splitlines() if line[:1].isalpha() for word in re.findall(r"\w+", line.split("  ", 1)[0])}
    assert documented == set(_spec.SPEC_KEYS)


def test_the_release_record_is_neither_hashed_nor_compared():
    """Issue 14: a container records its release in labels; another release of the same spec is the same configuration."""
    release = _spec.release_labels({"id": "20261203T081500Z-3f2a", "time": "2026-12-03T08:15:00Z", "tag": "", "image": "reg/web:v2"})
    assert release == {"maestro.release": "20261203T081500Z-3f2a", "maestro.release.time": "2026-12-03T08:15:00Z", "maestro.release.image": "reg/web:v2"}
    recorded = spec(labels={"team": "x", **release})
    plain = spec(labels={"team": "x"})
    inspect = inspect_of(_spec.container_config(recorded))
    assert _spec.container_config(recorded)["Labels"][_spec.LABEL_HASH] == _spec.container_config(plain)["Labels"][_spec.LABEL_HASH]
    assert _spec.compare(plain, inspect) == []
    assert _spec.compare(spec(labels={"team": "x", **_spec.release_labels({"id": "later"})}), inspect) == []
    assert [d["option"] for d in _spec.compare(spec(labels={"team": "y"}), inspect)] == ["labels"]
    assert _spec.release_of(inspect["Config"]["Labels"]) == {
        "id": "20261203T081500Z-3f2a",
        "time": "2026-12-03T08:15:00Z",
        "tag": None,
        "image": "reg/web:v2",
        "digest": None,
    }
    assert _spec.release_of({"team": "x"}) is None
