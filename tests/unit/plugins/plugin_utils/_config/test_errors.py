# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad ships files: every one must give exactly the expected FILE:LINE: KEYPATH: MESSAGE lines."""

import io

import pytest

from ansible_collections.maestro.docker.plugins.plugin_utils import _config
from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import ConfigError, Issue

from ...conftest import HEAD

WEB = HEAD + "  web:\n    image: acme/web\n"  # web service: lines 6-7

BAD_FILES = [
    # --- the file itself ---
    ("empty", "", "maestro.yaml: the file is empty"),
    ("top-level list", "- a\n- b\n", "maestro.yaml:1: the top level must be a mapping of keys, not a list"),
    ("yaml syntax", "name: x\nships: [\n", "maestro.yaml:3: invalid YAML: did not find expected node content (while parsing a flow node)"),
    ("duplicate key", "name: x\nships: {}\nname: y\n", "maestro.yaml:3: duplicate key 'name' (first defined on line 1)"),
    (
        "python tag",
        "name: !!python/object:os.system x\n",
        "maestro.yaml:1: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system'",
    ),
    (
        "jinja syntax",
        "name: demo\nships: {}\nx: {{ env.A \n",
        "maestro.yaml:3: Jinja2 syntax error: unexpected end of template, expected 'end of print statement'.",
    ),
    ("jinja include missing", "name: demo\n{% include 'nope.yaml' %}\n", "maestro.yaml:2: Jinja2 template not found: nope.yaml (looked in TMP)"),
    ("jinja runtime error", "name: demo\nships: {}\nx: {{ env.A.b.c }}\n", "maestro.yaml:3: Jinja2 error: 'dict object' has no attribute 'A'"),
    (
        "yaml error after rendering",
        "name: {{ env.NAME }}\nships: [\n",
        "maestro.yaml:3 (rendered): invalid YAML: did not find expected node content (while parsing a flow node)",
    ),
    # --- top level ---
    ("missing name", "ships: {}\n", "maestro.yaml:1: missing required key 'name'"),
    ("unknown top key", "name: x\nships: {}\nregistry: {}\n", "maestro.yaml:3: registry: unknown top-level key 'registry' (did you mean 'registries'?)"),
    ("instance key at top", "name: x\nships: {}\nship: {}\n", "maestro.yaml:3: ship: ship is an instance key, not a top-level key (did you mean 'ships'?)"),
    ("ships not a map", "name: x\nships: [a]\n", "maestro.yaml:2: ships: must be a mapping of ship names to ships, not a list"),
    ("bad schema", "__maestro: {schema: 3}\nname: x\nships: {}\n", "maestro.yaml:1: __maestro.schema: '3' is not one of 1, 2"),
    # --- ships ---
    ("ship without ip", "name: x\nships:\n  host1: {docker_port: 2375}\n", "maestro.yaml:3: ships.host1: missing required key 'ip'"),
    (
        "ip in ship_defaults",
        "name: x\nship_defaults: {ip: 10.0.0.1}\nships: {}\n",
        "maestro.yaml:2: ship_defaults.ip: ip is a ship key, not a ship_defaults key",
    ),
    (
        "ship port type",
        "name: x\nships:\n  host1: {ip: 10.0.0.1, docker_port: '2375'}\n",
        "maestro.yaml:3: ships.host1.docker_port: must be an integer, not a string",
    ),
    (
        "ssh tunnel without key",
        "name: x\nships:\n  host1:\n    ip: 10.0.0.1\n    ssh_tunnel: {user: me}\n",
        "maestro.yaml:5: ships.host1.ssh_tunnel: missing required key 'key'",
    ),
    (
        "removed ship key",
        "name: x\nships:\n  host1: {ip: 10.0.0.1, ssl_version: 2}\n",
        "maestro.yaml:3: ships.host1.ssl_version: ssl_version is not supported: today's Docker SDK negotiates the TLS version itself",
    ),
    # --- services ---
    ("service without image", HEAD + "  web:\n    instances: {web-1: {ship: host1}}\n", "maestro.yaml:6: services.web: missing required key 'image'"),
    (
        "instance key on a service",
        WEB + "    volumes: {/a: /b}\n    instances: {web-1: {ship: host1}}\n",
        "maestro.yaml:8: services.web.volumes: volumes is an instance key, not a service key",
    ),
    (
        "unknown requires",
        WEB + "    requires: [dbb]\n    instances: {}\n  db: {image: redis, instances: {}}\n",
        "maestro.yaml:8: services.web.requires[0]: unknown service 'dbb' (did you mean 'db'?)",
    ),
    ("unknown wants_info", WEB + "    wants_info: cache\n    instances: {}\n", "maestro.yaml:8: services.web.wants_info: unknown service 'cache'"),
    (
        "dependency cycle",
        WEB + "    requires: [api]\n    instances: {}\n  api:\n    image: acme/api\n    requires: [web]\n    instances: {}\n",
        "maestro.yaml:12: services.api.requires: dependency cycle: api -> web -> api",
    ),
    (
        "bad port spec",
        WEB + "    ports: {http: '80:90:100'}\n    instances: {}\n",
        "maestro.yaml:8: services.web.ports.http: invalid port spec '80:90:100' (expected PORT, PORT/udp, START-END, or EXPOSED:EXTERNAL"
        " (the reverse of docker -p))",
    ),
    (
        "port out of range",
        WEB + "    ports: {http: 70000}\n    instances: {}\n",
        "maestro.yaml:8: services.web.ports.http: exposed port 70000 is out of range (1 to 65535)",
    ),
    (
        "bad limits",
        WEB + "    limits: {memory: 1x}\n    instances: {}\n",
        "maestro.yaml:8: services.web.limits.memory: '1x' is not a size (bytes, or a number with a k, m or g suffix)",
    ),
    (
        "unknown limits key",
        WEB + "    limits: {mem: 1g}\n    instances: {}\n",
        "maestro.yaml:8: services.web.limits.mem: unknown limits key 'mem' (did you mean 'memory'?)",
    ),
    (
        "env value is a map",
        WEB + "    env:\n      A: {b: 1}\n    instances: {}\n",
        "maestro.yaml:9: services.web.env.A: an environment value must be a scalar or a list, not a mapping",
    ),
    (
        "unknown lifecycle state",
        WEB + "    lifecycle: {runing: []}\n    instances: {}\n",
        "maestro.yaml:8: services.web.lifecycle.runing: 'runing' is not one of pre-start, running, pre-stop, stopped (did you mean 'running'?)",
    ),
    (
        "unknown check type",
        WEB + "    lifecycle:\n      running: [{type: tpc, port: x}]\n    instances: {}\n",
        "maestro.yaml:9: services.web.lifecycle.running[0].type: unknown lifecycle check type 'tpc' (one of tcp, http, exec, rexec, sleep)"
        " (did you mean 'tcp'?)",
    ),
    (
        "check on an unknown port",
        WEB + "    lifecycle:\n      running: [{type: tcp, port: htp}]\n    ports: {http: 80}\n    instances: {web-1: {ship: host1}}\n",
        "maestro.yaml:8: services.web.lifecycle.running: check 1: unknown port 'htp' (did you mean 'http'?) (for instance web-1)",
    ),
    (
        "tcp check on a udp port",
        WEB + "    instances:\n      web-1:\n        ship: host1\n        ports: {dns: 53/udp}\n        lifecycle: {running: [{type: tcp, port: dns}]}\n",
        "maestro.yaml:12: services.web.instances.web-1.lifecycle.running: check 1: port 'dns' is udp; a tcp check needs a tcp port",
    ),
    (
        "envfile missing",
        WEB + "    envfile: web.env\n    instances: {web-1: {ship: host1}}\n",
        "maestro.yaml:8: services.web.envfile: cannot read env file web.env: No such file or directory",
    ),
    # --- instances ---
    ("instance without ship", WEB + "    instances:\n      web-1: {image: x}\n", "maestro.yaml:9: services.web.instances.web-1: missing required key 'ship'"),
    (
        "unknown ship",
        WEB + "    instances:\n      web-1: {ship: hots1}\n",
        "maestro.yaml:9: services.web.instances.web-1.ship: unknown ship 'hots1' (did you mean 'host1'?)",
    ),
    (
        "instance typo",
        WEB + "    instances:\n      web-1: {ship: host1, comand: ls}\n",
        "maestro.yaml:9: services.web.instances.web-1.comand: unknown instance key 'comand' (did you mean 'command'?)",
    ),
    (
        "bad container name",
        WEB + "    instances:\n      w: {ship: host1}\n",
        "maestro.yaml:9: services.web.instances.w: 'w' is not a valid Docker container name (2+ characters: letters, digits, '_', '.', '-')",
    ),
    (
        "duplicate instance name",
        WEB + "    instances: {web-1: {ship: host1}}\n  api:\n    image: acme/api\n    instances: {web-1: {ship: host2}}\n",
        "maestro.yaml:11: services.api.instances.web-1: instance name 'web-1' is already used by service 'web' (maestro.yaml:8)",
    ),
    (
        "bad restart policy",
        WEB + "    instances:\n      web-1: {ship: host1, restart: sometimes}\n",
        "maestro.yaml:9: services.web.instances.web-1.restart: unknown restart policy 'sometimes' (one of no, always, on-failure, unless-stopped)",
    ),
    (
        "retries without on-failure",
        WEB + "    instances:\n      web-1: {ship: host1, restart: 'always:3'}\n",
        "maestro.yaml:9: services.web.instances.web-1.restart: restart retries need the on-failure policy, not always",
    ),
    (
        "bad log driver",
        WEB + "    instances:\n      web-1: {ship: host1, log_driver: jsonfile}\n",
        "maestro.yaml:9: services.web.instances.web-1.log_driver: unknown log driver 'jsonfile' (one of none, local, json-file, syslog, journald,"
        " gelf, fluentd, awslogs, splunk, etwlogs, gcplogs, logentries, or a plugin vendor/name) (did you mean 'json-file'?)",
    ),
    (
        "volumes_from another ship",
        WEB + "    instances:\n      web-1: {ship: host1, volumes_from: data-1}\n  data:\n    image: acme/data\n    instances: {data-1: {ship: host2}}\n",
        "maestro.yaml:9: services.web.instances.web-1.volumes_from: 'data-1' is on ship 'host2', not on 'host1'; volumes_from needs both on the same ship",
    ),
    (
        "unknown volumes_from",
        WEB + "    instances:\n      web-1:\n        ship: host1\n        volumes_from: [dta-1]\n",
        "maestro.yaml:11: services.web.instances.web-1.volumes_from[0]: unknown instance 'dta-1'",
    ),
    (
        "relative volume source",
        "__maestro: {schema: 2}\n" + WEB + "    instances:\n      web-1:\n        ship: host1\n        volumes: {./data: /data}\n",
        "maestro.yaml:12: services.web.instances.web-1.volumes[\"./data\"]: volume source './data' must be an absolute host path or a volume name",
    ),
    (
        "schema 1 volume mode",
        WEB + "    instances:\n      web-1:\n        ship: host1\n        volumes: {/data: {target: /srv, mode: ro}}\n",
        'maestro.yaml:11: services.web.instances.web-1.volumes["/data"]: schema 1 volumes are CONTAINER_PATH: HOST_PATH strings;'
        " set __maestro.schema: 2 for {target, mode}",
    ),
    (
        "bad healthcheck duration",
        WEB + "    instances:\n      web-1:\n        ship: host1\n        healthcheck: {test: 'true', interval: 10x}\n",
        "maestro.yaml:11: services.web.instances.web-1.healthcheck.interval: '10x' is not a duration (seconds, or a string like 10s, 1m30s, 500ms)",
    ),
    (
        "networks with net host",
        WEB + "    instances:\n      web-1: {ship: host1, net: host, networks: [backend]}\n",
        "maestro.yaml:9: services.web.instances.web-1.networks: networks cannot be joined with net: host",
    ),
    (
        "host port clash",
        WEB + "    ports: {http: 8080}\n    instances:\n      web-1: {ship: host1}\n      web-2: {ship: host1}\n      web-3: {ship: host2}\n",
        "maestro.yaml:11: services.web.instances.web-2.ports.http: host port 8080/tcp on ship 'host1' is already published by instance 'web-1'"
        " (port 'http', maestro.yaml:10)",
    ),
    (
        "host port ranges overlap",
        WEB
        + "    instances:\n      web-1:\n        ship: host2\n        ports: {http: '8080:80'}\n"
        + "  api:\n    image: acme/api\n    instances:\n      api-1:\n        ship: host2\n        ports:\n          http: '9000-9010:75-85'\n",
        "maestro.yaml:18: services.api.instances.api-1.ports.http: host port 75-85/tcp on ship 'host2' overlaps 80/tcp, published by instance 'web-1'"
        " (port 'http', maestro.yaml:11)",
    ),
    (
        "cmd and command",
        WEB + "    instances:\n      web-1: {ship: host1, cmd: a, command: b}\n",
        "maestro.yaml:9: services.web.instances.web-1.command: 'cmd' and 'command' are the same key; keep only 'command'",
    ),
    (
        "removed lxc_conf",
        WEB + "    instances:\n      web-1: {ship: host1, lxc_conf: {}}\n",
        "maestro.yaml:9: services.web.instances.web-1.lxc_conf: lxc_conf is not supported: Docker removed the LXC execution driver in 1.10",
    ),
    (
        "colliding env prefixes",
        HEAD + "  a-b: {image: x, instances: {}}\n  a_b: {image: x, instances: {}}\n",
        "maestro.yaml:7: services.a_b: service names 'a-b' and 'a_b' both become A_B in environment variable names",
    ),
    (
        "extends cycle",
        "__maestro: {extends: maestro.yaml}\nname: x\nships: {}\n",
        "maestro.yaml:1: __maestro.extends: extends cycle: maestro.yaml -> maestro.yaml",
    ),
    (
        "extends missing file",
        "__maestro: {extends: base.yaml}\nname: x\nships: {}\n",
        "maestro.yaml:1: __maestro.extends: cannot read base.yaml: No such file or directory",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in BAD_FILES])
def test_bad_file(errors, tmp_path, text, expected):
    assert errors(text) == expected.replace("TMP", str(tmp_path))


def test_at_least_25_distinct_bad_files():
    assert len({case[1] for case in BAD_FILES}) >= 25


def test_all_issues_reported_at_once(errors):
    text = WEB + "    volumes: {/a: /b}\n    instances:\n      web-1: {ship: hots1, restart: never}\n      web-2: {ship: host2, comand: ls}\n"
    assert errors(text).splitlines() == [
        "maestro.yaml:8: services.web.volumes: volumes is an instance key, not a service key",
        "maestro.yaml:10: services.web.instances.web-1.restart: unknown restart policy 'never' (one of no, always, on-failure, unless-stopped)",
        "maestro.yaml:10: services.web.instances.web-1.ship: unknown ship 'hots1' (did you mean 'host1'?)",
        "maestro.yaml:11: services.web.instances.web-2.comand: unknown instance key 'comand' (did you mean 'command'?)",
    ]


def test_error_in_included_file_names_that_file(errors, tmp_path):
    text = "name: demo\n{% include 'part.yaml' %}\n"
    assert errors(text, files={"part.yaml": "ships: {}\n{{ oops( }}\n"}) == "part.yaml:2: Jinja2 syntax error: unexpected '}', expected ')'"


def test_error_in_base_layer_names_the_base(errors):
    files = {"base.yaml": "name: demo\nships:\n  host1: {ip: 10.0.0.1, tls: maybe}\n"}
    assert errors("__maestro: {extends: base.yaml}\n", files=files) == "base.yaml:3: ships.host1.tls: must be a boolean (true or false), not a string"


def test_envfile_bad_line(errors):
    files = {"web.env": "A=1\n# comment\nnot valid line\n"}
    text = WEB + "    envfile: web.env\n    instances: {web-1: {ship: host1}}\n"
    assert errors(text, files=files) == "maestro.yaml:8: services.web.envfile: web.env:3: invalid line 'not valid line' (expected KEY=VALUE)"


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        _config.load(str(tmp_path / "missing.yaml"))
    assert str(info.value) == "%s: cannot read: No such file or directory" % (tmp_path / "missing.yaml")


def test_stdin_errors_are_named_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("name: x\nships: {}\nbogus: 1\n"))
    with pytest.raises(ConfigError) as info:
        _config.load("-", environ={})
    assert str(info.value) == "<stdin>:3: bogus: unknown top-level key 'bogus'"


def test_issue_fields_and_format():
    issue = Issue("f.yaml", 3, "services.web", "boom", rendered=True)
    assert str(issue) == "f.yaml:3 (rendered): services.web: boom"
    assert str(Issue("f.yaml", None, "", "gone")) == "f.yaml: gone"
    err = ConfigError([Issue("b.yaml", 2, "k", "m2"), Issue("a.yaml", 9, "k", "m1")])
    assert [i.file for i in err.issues] == ["a.yaml", "b.yaml"]
