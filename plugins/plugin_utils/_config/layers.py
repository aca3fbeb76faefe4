# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Per-environment layering of ships files (maestro-ng had none).

A file names the file(s) it builds on::

    __maestro:
      extends: base.yaml            # or a list: [base.yaml, region-eu.yaml], applied in that order

Paths are relative to the directory of the file that names them (the current directory for stdin).
Bases may extend other files in turn; a cycle is an error that lists it (``a.yaml -> b.yaml ->
a.yaml``). Each layer is rendered by Jinja2 on its own (with the same ``env``), then parsed, then the
layers are merged, bases first:

* mappings merge key by key, recursively;
* scalars and lists replace (a list is never concatenated);
* ``key: !reset`` (any value, e.g. ``!reset null`` or ``!reset []``) removes the key, so that the
  key falls back to its default, as in docker compose;
* ``key: !override {...}`` replaces a mapping instead of merging into it, as in docker compose.

``__maestro.extends`` itself is not merged. Every layer must use the same ``__maestro.schema``
(explicit, or the default 1), because the schema decides how ``volumes`` are read.

The layers share the bounds of ``_config.limits`` (text after rendering, alias expansion): a file
that extends many bases cannot add up to more than a single file may be.
"""

from __future__ import annotations

import os

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import Issue, Loc, Source, describe
from ansible_collections.maestro.docker.plugins.plugin_utils._config.limits import Budget, TooLarge, read_text
from ansible_collections.maestro.docker.plugins.plugin_utils._config.source import RESET, MDict, MList, read_source

META_KEY = "__maestro"
EXTENDS_KEY = "extends"
SCHEMA_KEY = "schema"
DEFAULT_SCHEMA = 1


class Layers:
    """The result of reading a ships file and its bases."""

    def __init__(self):
        self.data = None  # the merged MDict, or None after a fatal issue
        self.files: list[str] = []  # every layer's file, in merge order (bases first)


def read_layers(text: str, name: str, base_dir: str, *, environ, issues: list[Issue], path: str | None = None, vault=None) -> Layers:
    """Read a file (given as text) and every base it extends, and merge them (``vault`` decrypts ``!vault`` values)."""
    reader = _Reader(environ, issues, vault)
    stack = [os.path.realpath(path or os.path.join(base_dir, name))]
    data = reader.read(text, name, base_dir, stack)
    if data is None:
        return reader.layers
    schemas = reader.schemas
    first = schemas[0]
    for schema, loc in schemas[1:]:
        if schema != first[0]:
            issues.append(
                _issue(
                    loc,
                    "%s.%s" % (META_KEY, SCHEMA_KEY),
                    "schema %s differs from schema %s of %s; every layer must use the same schema" % (schema, first[0], first[1].source.name),
                )
            )
    reader.layers.data = strip_markers(data)
    return reader.layers


class _Reader:
    def __init__(self, environ, issues, vault=None):
        self.environ = environ
        self.issues = issues
        self.vault = vault
        self.layers = Layers()
        self.schemas: list[tuple[object, Loc]] = []
        self.budget = Budget()  # shared by the layers (limits)

    def read(self, text, name, base_dir, stack):
        issues = self.issues
        before = len(issues)
        data, source = read_source(text, name, base_dir, self.environ, issues, budget=self.budget, vault=self.vault)
        if data is None:
            if len(issues) == before:
                issues.append(Issue(name, None, "", "the file is empty"))
            return None
        if not isinstance(data, dict):
            line = getattr(data, "loc", None).line if getattr(data, "loc", None) else 1
            issues.append(Issue(name, line, "", "the top level must be a mapping of keys, not %s" % describe(data), source.rendered))
            return None
        meta = data.get(META_KEY)
        extends = []
        if isinstance(meta, dict):
            extends = _extends_list(meta, issues)
            schema = (meta.get(SCHEMA_KEY, DEFAULT_SCHEMA), meta.locs.get(SCHEMA_KEY) or meta.loc)
            if EXTENDS_KEY in meta:
                stripped = MDict((k, v) for k, v in meta.items() if k != EXTENDS_KEY)
                stripped.loc, stripped.locs = meta.loc, {k: v for k, v in meta.locs.items() if k != EXTENDS_KEY}
                data[META_KEY] = stripped
        else:
            schema = (DEFAULT_SCHEMA, data.loc)

        merged = None
        for base, loc in extends:
            base_path = os.path.normpath(os.path.join(base_dir, os.path.expanduser(base)))
            real = os.path.realpath(base_path)
            if real in stack:
                chain = [os.path.basename(p) for p in stack[stack.index(real) :]] + [os.path.basename(real)]
                issues.append(_issue(loc, "%s.%s" % (META_KEY, EXTENDS_KEY), "extends cycle: %s" % " -> ".join(chain)))
                continue
            try:
                with open(base_path, encoding="utf-8") as handle:
                    base_text = read_text(handle)
            except (OSError, UnicodeDecodeError, TooLarge) as exc:
                issues.append(_issue(loc, "%s.%s" % (META_KEY, EXTENDS_KEY), "cannot read %s: %s" % (base_path, _reason(exc))))
                continue
            base_data = self.read(base_text, base_path, os.path.dirname(base_path), [*stack, real])
            if base_data is not None:
                merged = base_data if merged is None else merge(merged, base_data)
        self.layers.files.append(name)
        self.schemas.append(schema)  # in merge order, bases first
        return data if merged is None else merge(merged, data)


def _extends_list(meta, issues):
    value = meta.get(EXTENDS_KEY)
    if value is None:
        return []
    loc = meta.locs.get(EXTENDS_KEY) or meta.loc
    if isinstance(value, str):
        return [(value, loc)]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [(v, value.locs[i] if i < len(value.locs) else loc) for i, v in enumerate(value)]
    issues.append(_issue(loc, "%s.%s" % (META_KEY, EXTENDS_KEY), "must be a file name or a list of file names, not %s" % describe(value)))
    return []


def merge(base, overlay):
    """Merge ``overlay`` onto ``base`` (neither is changed): maps merge, the rest replaces.

    ``!reset`` values stay in the result (as :data:`RESET`) until :func:`strip_markers`, so that a
    reset in a middle layer still removes a key set by an earlier one.
    """
    if not isinstance(base, dict) or not isinstance(overlay, dict) or getattr(overlay, "override", False):
        return overlay
    result = MDict(base)
    result.loc = overlay.loc or getattr(base, "loc", None)
    result.locs = dict(getattr(base, "locs", {}))
    for key, value in overlay.items():
        if key in result and isinstance(value, dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
        if key in overlay.locs:
            result.locs[key] = overlay.locs[key]
    return result


def strip_markers(value):
    """Drop ``!reset`` keys and ``!override`` flags (a reset list item is an error left to the schema)."""
    if isinstance(value, dict):
        result = MDict()
        result.loc = getattr(value, "loc", None)
        locs = getattr(value, "locs", {})
        for key, item in value.items():
            if item is RESET:
                continue
            result[key] = strip_markers(item)
            if key in locs:
                result.locs[key] = locs[key]
        return result
    if isinstance(value, list):
        result = MList(strip_markers(item) for item in value)
        result.loc = getattr(value, "loc", None)
        result.locs = list(getattr(value, "locs", []))
        return result
    return value


def _issue(loc: Loc, keypath: str, message: str) -> Issue:
    return Issue(loc.source.name, loc.line, keypath, message, loc.source.rendered)


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


__all__ = ["DEFAULT_SCHEMA", "META_KEY", "Layers", "Source", "merge", "read_layers", "strip_markers"]
