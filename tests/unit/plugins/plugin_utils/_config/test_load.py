# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The loader and model: keys, inheritance, injected variables, Jinja2, stdin, connections."""

import io
import json
import os

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _config

from ...conftest import HEAD

# maestro-ng reference §5: instance mng-frontend-1 of frontend, which requires backend.
REFERENCE_5 = """\
name: mng
ships:
  local: {ip: 127.0.0.1}
services:
  backend:
    image: 127.0.0.1:5000/demo/backend:v1
    instances:
      mng-backend-1: {ship: local, ports: {http: 19201}}
  frontend:
    image: 127.0.0.1:5000/demo/web:v1
    requires: [backend]
    env:
      ROLE: frontend
      JAVA_OPTS: [-Xmx1g, [-server, -verbose]]
    instances:
      mng-frontend-1: {ship: local, ports: {http: 19202}}
"""


def test_reference_5_injected_variables(load):
    env = load(REFERENCE_5).instances["mng-frontend-1"].spec["env"]
    assert env == {
        "ROLE": "frontend",
        "JAVA_OPTS": "-Xmx1g -server -verbose",
        "MAESTRO_ENVIRONMENT_NAME": "mng",
        "SERVICE_NAME": "frontend",
        "CONTAINER_NAME": "mng-frontend-1",
        "CONTAINER_HOST_ADDRESS": "127.0.0.1",
        "DOCKER_IMAGE": "127.0.0.1:5000/demo/web:v1",
        "DOCKER_TAG": "v1",
        "FRONTEND_MNG_FRONTEND_1_HOST": "127.0.0.1",
        "FRONTEND_MNG_FRONTEND_1_HTTP_PORT": "19202",
        "FRONTEND_MNG_FRONTEND_1_HTTP_INTERNAL_PORT": "19202",
        "FRONTEND_INSTANCES": "mng-frontend-1",
        "BACKEND_MNG_BACKEND_1_HOST": "127.0.0.1",
        "BACKEND_MNG_BACKEND_1_HTTP_PORT": "19201",
        "BACKEND_INSTANCES": "mng-backend-1",
    }


ENV_ORDER = (
    HEAD
    + """\
  db:
    image: redis
    instances: {db-1: {ship: host2, ports: {redis: '6379:16379'}}}
  cache:
    image: memcached
    instances: {cache-1: {ship: host2, ports: {mc: 11211}}}
  web:
    image: acme/web:2
    requires: db
    wants_info: [cache]
    envfile: svc.env
    env: {A: svc, B: svc, SERVICE_NAME: mine}
    instances:
      web-1:
        ship: host1
        envfile: [inst.env]
        env: {B: inst, SERVICE_NAME: overridden, CONTAINER_NAME: nope, DB_DB_1_HOST: nope}
"""
)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("FROM_SVC_FILE", "1"),  # service envfile
        ("A", "svc"),  # service env over service envfile
        ("B", "inst"),  # instance env over service env
        ("FROM_INST_FILE", "x y"),  # instance envfile, literal value
        ("C", "inst-file"),  # instance envfile over service env
        ("SERVICE_NAME", "overridden"),  # the instance env may override SERVICE_NAME...
        ("CONTAINER_NAME", "web-1"),  # ...but not CONTAINER_NAME
        ("DB_DB_1_HOST", "10.0.0.12"),  # ...nor link variables
        ("DB_DB_1_REDIS_PORT", "16379"),  # external port of a dependency
        ("CACHE_CACHE_1_MC_PORT", "11211"),  # wants_info: link variables too
        ("HOME_FROM_ENV", "/home/me"),  # KEY alone takes the value from the environment
        ("DOCKER_TAG", "2"),
    ],
)
def test_environment_build_order(load, key, value):
    files = {"svc.env": "FROM_SVC_FILE=1\nC=svc-file\nA=file\n", "inst.env": "# comment\n\nFROM_INST_FILE=x y\nC=inst-file\nHOME_FROM_ENV\nUNSET_VAR\n"}
    env = load(ENV_ORDER, files=files, environ={"HOME_FROM_ENV": "/home/me"}).instances["web-1"].spec["env"]
    assert env[key] == value


def test_no_internal_port_or_transitive_wants_for_dependencies(load):
    env = load(ENV_ORDER, files={"svc.env": "", "inst.env": ""}).instances["web-1"].spec["env"]
    assert "DB_DB_1_REDIS_INTERNAL_PORT" not in env
    assert "UNSET_VAR" not in env
    assert env["DB_INSTANCES"] == "db-1"


def test_requires_is_transitive_for_link_variables(load):
    text = (
        HEAD + "  a: {image: a, instances: {a-1: {ship: host1}}, requires: [b]}\n  b: {image: b, instances: {b-1: {ship: host1}}, requires: [c]}\n"
        "  c: {image: c, instances: {c-1: {ship: host2}}}\n"
    )
    config = load(text)
    assert config.instances["a-1"].spec["env"]["C_C_1_HOST"] == "10.0.0.12"
    assert config.instances["a-1"].spec["requires"] == ["b", "c"]


def test_wants_info_is_not_transitive(load):
    text = (
        HEAD + "  a: {image: a, instances: {a-1: {ship: host1}}, wants_info: [b]}\n  b: {image: b, instances: {b-1: {ship: host1}}, requires: [c]}\n"
        "  c: {image: c, instances: {c-1: {ship: host2}}}\n"
    )
    env = load(text).instances["a-1"].spec["env"]
    assert "B_B_1_HOST" in env
    assert "C_C_1_HOST" not in env


def test_volumes_from_orders_but_injects_nothing(load):
    text = (
        HEAD + "  app: {image: a, instances: {app-1: {ship: host1, volumes_from: data-1}}}\n  data: {image: d, instances: {data-1: {ship: host1,"
        " container_volumes: /data}}}\n"
    )
    config = load(text)
    assert config.start_levels() == [["data"], ["app"]]
    assert config.services["app"].dependencies == ["data"]
    assert "DATA_DATA_1_HOST" not in config.instances["app-1"].spec["env"]


# --- every key ------------------------------------------------------------------------------------

FULL = """\
__maestro: {schema: 2}
name: full
_globals:
  common: &common {LOG: info}
registries:
  corp: {registry: https://registry.corp, username: bot, password: s3cret, retry: {attempts: 3, when: [500, 502]}}
audit:
  - {type: log, file: audit.log}
  - {type: http, endpoint: http://hooks/x, level: debug, ignore_errors: true}
ship_defaults: {timeout: 20, api_version: 1.40}
ships:
  host1: {ip: 10.0.0.11, docker_port: 4243}
  host2: {ip: 10.0.0.12, endpoint: docker2.internal, tls: true, tls_ca_cert: certs/ca.pem, tls_cert: /c/cert.pem, tls_key: /c/key.pem}
  host3: {ip: 10.0.0.13, socket_path: /var/run/docker.sock}
  host4: {ip: 10.0.0.14, ssh_tunnel: {user: deploy, key: ~/.ssh/id_ed25519}, tls_verify: true}
services:
  db:
    image: postgres@sha256:abc
    omit: true
    instances:
      db-1: {ship: host2, volumes: {pgdata: /var/lib/postgresql/data}}
  web:
    image: acme/web
    requires: [db]
    env: {<<: *common, DB_PASSWORD: pw, API_TOKEN: t, PLAIN: p}
    secret_env: PLAIN
    limits: {memory: 1g, cpu: 512}
    ports: {http: "8080:80", admin: 9000}
    lifecycle:
      running: [{type: tcp, port: http}]
    instances:
      web-1:
        ship: host1
        image: acme/web:canary
        cmd: [serve, --port, 8080]
        ports: {admin: {exposed: 9000, external: [127.0.0.1, 19000]}, metrics: {exposed: 9100, external: null}}
        limits: {swap: 2G}
        lifecycle:
          running: [{type: http, port: admin, path: /health}]
          pre-stop: [{type: exec, cmd: ./drain.sh}]
        volumes:
          /srv/web: /data
          /etc/web: {target: /etc/web, mode: "ro,Z"}
        container_volumes: [/tmp/cache]
        links: {legacy-db: database}
        username: "1000:1000"
        privileged: true
        cap_add: NET_ADMIN
        cap_drop: [MKNOD]
        extra_hosts: {db: {ship: host2}, gw: 10.0.0.1}
        networks: [front, {name: back, aliases: [web]}]
        restart: on-failure:5
        dns: 8.8.8.8
        stop_timeout: 30
        log_driver: json-file
        log_opt: {max-size: 10m, max-file: 3}
        workdir: /app
        security_opt: [no-new-privileges]
        ulimits: {nofile: 65536, nproc: {soft: 100, hard: 200}}
        labels: [team=web, tier]
        healthcheck: {test: curl -f localhost, interval: 1m30s, timeout: 5, retries: 3, start_period: 500ms}
        init: true
        secret_env: [LOG]
      web-2:
        ship: host3
        net: host
        restart: {name: on-failure, maximum_retry_count: 2}
        labels: {team: web, enabled: true}
"""


@pytest.fixture
def full(load, write):
    write({"certs/ca.pem": "x"})
    return load(FULL)


@pytest.mark.parametrize(
    ("instance", "key", "expected"),
    [
        ("web-1", "image", "acme/web:canary"),
        ("web-1", "repository", "acme/web"),
        ("web-2", "image", "acme/web:latest"),
        ("web-2", "tag", "latest"),
        ("db-1", "image", "postgres@sha256:abc"),
        ("db-1", "tag", "sha256:abc"),
        ("web-1", "command", ["serve", "--port", "8080"]),
        ("web-2", "command", None),
        ("web-1", "hostname", "web-1"),
        ("web-2", "hostname", None),
        ("web-2", "network_mode", "host"),
        (
            "web-1",
            "ports",
            [
                {"name": "http", "exposed": 8080, "external": 80, "protocol": "tcp", "bind_ip": "0.0.0.0"},
                {"name": "admin", "exposed": 9000, "external": 19000, "protocol": "tcp", "bind_ip": "127.0.0.1"},
                {"name": "metrics", "exposed": 9100, "external": None, "protocol": "tcp", "bind_ip": "0.0.0.0"},
            ],
        ),
        (
            "web-1",
            "volumes",
            [
                {"type": "bind", "source": "/srv/web", "target": "/data", "mode": "rw"},
                {"type": "bind", "source": "/etc/web", "target": "/etc/web", "mode": "ro,Z"},
            ],
        ),
        ("db-1", "volumes", [{"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data", "mode": "rw"}]),
        ("web-1", "container_volumes", ["/tmp/cache"]),
        ("web-1", "links", {"legacy-db": "database"}),
        ("web-1", "user", "1000:1000"),
        ("web-1", "privileged", True),
        ("web-2", "privileged", False),
        ("web-1", "cap_add", ["NET_ADMIN"]),
        ("web-1", "cap_drop", ["MKNOD"]),
        ("web-1", "extra_hosts", {"db": "10.0.0.12", "gw": "10.0.0.1"}),
        ("web-1", "networks", [{"name": "front", "aliases": []}, {"name": "back", "aliases": ["web"]}]),
        ("web-1", "restart", {"name": "on-failure", "retries": 5}),
        ("web-2", "restart", {"name": "on-failure", "retries": 2}),
        ("db-1", "restart", {"name": "no", "retries": 0}),
        ("web-1", "dns", ["8.8.8.8"]),
        ("web-1", "stop_timeout", 30),
        ("db-1", "stop_timeout", 10),
        ("web-1", "limits", {"memory": 1024**3, "swap": 2 * 1024**3, "cpu": 512}),
        ("web-2", "limits", {"memory": 1024**3, "swap": None, "cpu": 512}),
        ("web-1", "log_driver", "json-file"),
        ("web-1", "log_opt", {"max-size": "10m", "max-file": "3"}),
        ("web-1", "workdir", "/app"),
        ("web-1", "security_opt", ["no-new-privileges"]),
        ("web-1", "ulimits", [{"name": "nofile", "soft": 65536, "hard": 65536}, {"name": "nproc", "soft": 100, "hard": 200}]),
        ("web-1", "labels", {"team=web": "", "tier": ""}),  # maestro-ng: list items are names
        ("web-2", "labels", {"team": "web", "enabled": "true"}),
        ("web-1", "healthcheck", {"test": ["CMD-SHELL", "curl -f localhost"], "interval": 90, "timeout": 5, "retries": 3, "start_period": 0.5}),
        ("web-2", "healthcheck", None),
        ("web-1", "init", True),
        ("web-1", "secret_env", ["API_TOKEN", "DB_PASSWORD", "LOG", "PLAIN"]),
        ("web-2", "secret_env", ["API_TOKEN", "DB_PASSWORD", "PLAIN"]),
        ("web-1", "requires", ["db"]),
        ("db-1", "omit", True),
        ("web-1", "ship_ip", "10.0.0.11"),
        ("web-1", "environment", "full"),
    ],
)
def test_instance_spec(full, instance, key, expected):
    assert full.instances[instance].spec[key] == expected


def test_lifecycle_service_checks_first_then_instance(full):
    lifecycle = full.instances["web-1"].spec["lifecycle"]
    assert [c["type"] for c in lifecycle["running"]] == ["tcp", "http"]
    assert lifecycle["running"][0] == {"type": "tcp", "port": "http", "max_wait": 180}
    assert lifecycle["pre-stop"] == [{"type": "exec", "command": "./drain.sh", "attempts": 180, "envfrom": "env"}]
    assert full.instances["web-2"].spec["lifecycle"] == {"running": [{"type": "tcp", "port": "http", "max_wait": 180}]}


def test_spec_is_json_serialisable_and_complete(full):
    spec = json.loads(json.dumps(full.instances["web-1"].spec))
    assert set(spec) >= {
        "name",
        "service",
        "ship",
        "ship_ip",
        "image",
        "repository",
        "tag",
        "command",
        "env",
        "secret_env",
        "ports",
        "volumes",
        "lifecycle",
        "omit",
    }


def test_top_level_values(full, tmp_path):
    assert full.name == "full"
    assert full.schema == 2
    assert full.registries["corp"] == {
        "registry": "https://registry.corp",
        "username": "bot",
        "password": "s3cret",
        "email": None,
        "retry": {"attempts": 3, "when": [500, 502]},
    }
    assert full.audit[0] == {"type": "log", "file": str(tmp_path / "audit.log"), "level": "info", "ignore_errors": False}
    assert full.audit[1]["method"] == "POST"


@pytest.mark.parametrize(
    ("ship", "expected"),
    [
        ("host1", {"docker_host": "tcp://10.0.0.11:4243", "tls": False, "validate_certs": False, "api_version": "1.40", "timeout": 20}),
        (
            "host2",
            {"docker_host": "tcp://docker2.internal:2376", "tls": True, "validate_certs": False, "ca_path": "TMP/certs/ca.pem", "client_cert": "/c/cert.pem"},
        ),
        ("host3", {"docker_host": "unix://" + os.path.realpath("/var/run/docker.sock"), "use_ssh_client": False}),
        ("host4", {"docker_host": "ssh://deploy@10.0.0.14:22", "use_ssh_client": True, "ssh_key": os.path.expanduser("~/.ssh/id_ed25519"), "tls": False}),
    ],
)
def test_ship_connection(full, tmp_path, ship, expected):
    connection = full.ships[ship].connection()
    for key, value in expected.items():
        assert connection[key] == (value.replace("TMP", str(tmp_path)) if isinstance(value, str) else value), key


def test_connection_defaults(load):
    connection = load(HEAD).ships["host1"].connection()
    assert connection == {
        "ship": "host1",
        "docker_host": "tcp://10.0.0.11:2375",
        "tls": False,
        "validate_certs": False,
        "ca_path": None,
        "client_cert": None,
        "client_key": None,
        "api_version": "auto",
        "timeout": 60,
        "use_ssh_client": False,
        "ssh_key": None,
    }


@pytest.mark.parametrize(
    ("schema", "volumes", "expected"),
    [
        (1, "{/data: /srv/data}", [{"type": "bind", "source": "/srv/data", "target": "/data", "mode": "rw"}]),
        (1, "{/data: appdata}", [{"type": "volume", "source": "appdata", "target": "/data", "mode": "rw"}]),
        (2, "{/srv/data: /data}", [{"type": "bind", "source": "/srv/data", "target": "/data", "mode": "rw"}]),
        (2, "{/srv/data: {target: /data, mode: ro}}", [{"type": "bind", "source": "/srv/data", "target": "/data", "mode": "ro"}]),
        (2, "{appdata: /data}", [{"type": "volume", "source": "appdata", "target": "/data", "mode": "rw"}]),
    ],
)
def test_volume_schemas(load, schema, volumes, expected):
    text = "__maestro: {schema: %d}\n" % schema + HEAD + "  web: {image: x, instances: {web-1: {ship: host1, volumes: %s}}}\n" % volumes
    assert load(text).instances["web-1"].spec["volumes"] == expected


@pytest.mark.parametrize(
    ("restart", "expected"),
    [
        ("always", {"name": "always", "retries": 0}),
        ("no", {"name": "no", "retries": 0}),  # YAML reads it as false
        ("unless-stopped", {"name": "unless-stopped", "retries": 0}),
        ("on-failure:3", {"name": "on-failure", "retries": 3}),
        ("{name: on-failure, retries: 4}", {"name": "on-failure", "retries": 4}),
        ("{name: on-failure, maximum_retry_count: 2}", {"name": "on-failure", "retries": 2}),
    ],
)
def test_restart_policies(load, restart, expected):
    text = HEAD + "  web: {image: x, instances: {web-1: {ship: host1, restart: %s}}}\n" % restart
    assert load(text).instances["web-1"].spec["restart"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        (42, "42"),
        (1.5, "1.5"),
        ("true", "true"),
        ("null", None),  # KEY alone in the container: not in its environment
        ("[a, [b, [c, 1]]]", "a b c 1"),
        ("'8080:80'", "8080:80"),
        ("8080:80", "8080:80"),
    ],
)
def test_env_values(load, value, expected):
    text = HEAD + "  web: {image: x, env: {V: %s}, instances: {web-1: {ship: host1}}}\n" % (value,)
    assert load(text).instances["web-1"].spec["env"]["V"] == expected


# --- Jinja2 ---------------------------------------------------------------------------------------


def test_jinja_env_and_undefined(load):
    text = "name: {{ env.STAGE }}{{ env.NOPE }}\nships:\n{% for i in range(1, 4) %}  host{{ i }}: {ip: 10.0.0.{{ i }}}\n{% endfor %}"
    config = load(text, environ={"STAGE": "prod"})
    assert config.name == "prod"
    assert sorted(config.ships) == ["host1", "host2", "host3"]


def test_jinja_defaults_to_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MAESTRO_TEST_NAME", "from-os")
    (tmp_path / "maestro.yaml").write_text("name: {{ env.MAESTRO_TEST_NAME }}\nships: {}\n")
    assert _config.load(str(tmp_path / "maestro.yaml")).name == "from-os"


def test_jinja_include_import_relative_to_file(tmp_path, write):
    write(
        {
            "conf/maestro.yaml": "{% import 'macros.j2' as m %}name: demo\n{% include 'ships.yaml' %}\nservices:\n{{ m.service('web') }}\n",
            "conf/ships.yaml": "ships:\n  host1: {ip: 10.0.0.1}",
            "conf/macros.j2": "{% macro service(n) %}  {{ n }}: {image: acme/{{ n }}, instances: {{ '{' }}{{ n }}-1: {ship: host1}}}{% endmacro %}",
        }
    )
    config = _config.load(str(tmp_path / "conf/maestro.yaml"), environ={})
    assert config.instances["web-1"].spec["image"] == "acme/web:latest"


def test_stdin(monkeypatch, tmp_path):
    (tmp_path / "base.yaml").write_text("name: base\nships: {}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("__maestro: {extends: base.yaml}\nname: from-stdin\n"))
    config = _config.load("-", environ={})
    assert config.name == "from-stdin"
    assert config.files == [str(tmp_path / "base.yaml"), "<stdin>"]


def test_anchors_and_ignored_underscore_keys(full):
    assert full.instances["web-1"].spec["env"]["LOG"] == "info"


def test_missing_libraries_is_empty_here():
    assert _config.missing_libraries() == []


def test_host_ports_that_do_not_clash(load):
    """Only a host port held twice on one ship, for one protocol and address, is refused."""
    text = (
        HEAD
        + """\
  web:
    image: acme/web
    ports: {http: 8080, dns: 53/udp, metrics: {exposed: 9100}, any: "7000:7000-7010"}
    instances:
      web-1: {ship: host1}
      web-2: {ship: host2}  # another ship
      web-3: {ship: host1, ports: {http: "8080:8081", dns: "53/udp:5353"}}  # moved, its metrics and any left to Docker
  dns:
    image: acme/dns
    instances:
      dns-1: {ship: host1, ports: {tcp: 53}}  # 53/tcp, not 53/udp
  admin:
    image: acme/admin
    instances:
      admin-1: {ship: host2, ports: {a: {exposed: 80, external: [10.0.0.1, 8090]}}}
      admin-2: {ship: host2, ports: {a: {exposed: 80, external: [10.0.0.2, 8090]}}}
      admin-3: {ship: host2, ports: {a: {exposed: 80, external: ["::1", 8090]}}}
"""
    )
    config = load(text)
    assert sorted(config.instances) == ["admin-1", "admin-2", "admin-3", "dns-1", "web-1", "web-2", "web-3"]
