# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""plain(): task arguments as a module would receive them, without ansible-core's origin tags; may_hold_template()."""

from __future__ import annotations

from ansible._internal._datatag._tags import Origin
from ansible.template import trust_as_template

from ansible_collections.maestro.docker.plugins.plugin_utils._data import may_hold_template, plain


def test_tagged_values_become_plain_and_equal():
    tag = Origin(path="/ships/maestro.yaml", line_num=3)
    args = tag.tag({"instances": tag.tag([tag.tag({"name": tag.tag("web-1"), "stop_timeout": tag.tag(10), "ok": True, "x": None})]), "f": 1.5})
    out = plain(args)
    assert out == {"instances": [{"name": "web-1", "stop_timeout": 10, "ok": True, "x": None}], "f": 1.5}
    inst = out["instances"][0]
    # exact classes, not the tagged subclasses that isinstance() would accept
    assert [v.__class__ for v in (out, out["instances"], inst, inst["name"], inst["stop_timeout"])] == [dict, list, dict, str, int]
    assert inst["ok"] is True


def test_tuples_become_lists():
    assert plain({"a": (1, "b")}) == {"a": [1, "b"]}


def test_only_trusted_strings_may_be_templates():
    # an inventory plugin's values are not trusted: never templated, whatever they hold
    published = [{"name": "web-1", "env": {"A": "{{ secret }}"}, "ports": [{"external": 8080}]}]
    assert not may_hold_template(published)
    assert not may_hold_template(None)
    # group_vars and role parameters are trusted: found at any depth, as a value or a key
    assert may_hold_template({"docker_host": trust_as_template("tcp://{{ ansible_host }}:2375")})
    assert may_hold_template([{"env": {"A": ("x", trust_as_template("{{ a }}"))}}])
    assert may_hold_template({trust_as_template("{{ k }}"): 1})
