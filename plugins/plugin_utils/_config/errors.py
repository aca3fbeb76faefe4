# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Where things are in a ships file, and how problems with it are reported.

Every problem found while loading a ships file becomes an :class:`Issue` (file, line, key path,
message). Loading never stops at the first problem: issues are collected and raised together as one
:class:`ConfigError`, whose ``str()`` is one line per issue::

    FILE:LINE: KEYPATH: MESSAGE
    FILE:LINE (rendered): KEYPATH: MESSAGE    <- the line is in the Jinja2-rendered text
    FILE:LINE: MESSAGE                        <- problems of the file itself (YAML, Jinja2)
    FILE: MESSAGE                             <- no line applies (unreadable file)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Source:
    """One text a ships file layer came from: its display name and whether Jinja2 changed it."""

    name: str
    base_dir: str
    rendered: bool = False


@dataclass(frozen=True, slots=True)
class Loc:
    """A line (1-based) in a source."""

    source: Source
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where it is and what is wrong."""

    file: str
    line: int | None
    keypath: str
    message: str
    rendered: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where = "%s:%d%s" % (where, self.line, " (rendered)" if self.rendered else "")
        if self.keypath:
            return "%s: %s: %s" % (where, self.keypath, self.message)
        return "%s: %s" % (where, self.message)


class ConfigError(Exception):
    """All the problems found in a ships file. ``issues`` is the list; ``str()`` has one line each."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues, key=lambda i: (i.file, i.line or 0))
        super().__init__("\n".join(str(i) for i in self.issues))


class SelectionError(ValueError):
    """A name given to select services or instances (a "thing") that the config does not have."""


class MissingLibraryError(ImportError):
    """A Python library that loading a ships file needs (PyYAML, Jinja2) is not installed."""


@dataclass(slots=True)
class At:
    """A position while walking the parsed file: the key path, its location, and the issue list.

    ``ctx`` is shared by every ``At`` of one load (it carries e.g. the volume ``schema``).
    """

    path: str
    loc: Loc
    issues: list[Issue]
    ctx: dict = field(default_factory=dict)

    def key(self, container, key) -> At:
        locs = getattr(container, "locs", None)
        loc = locs.get(key) if locs else None
        return At(keypath(self.path, key), loc or self.loc, self.issues, self.ctx)

    def index(self, container, i: int) -> At:
        locs = getattr(container, "locs", None)
        loc = locs[i] if locs and i < len(locs) else None
        return At("%s[%d]" % (self.path, i), loc or self.loc, self.issues, self.ctx)

    def error(self, message: str) -> None:
        self.issues.append(Issue(self.loc.source.name, self.loc.line, self.path, message, self.loc.source.rendered))

    def warn(self, message: str) -> None:
        """A warning: the file loads, and the loader says once what it did (``ctx["warnings"]``, shown at load)."""
        self.ctx.setdefault("warnings", []).append(Issue(self.loc.source.name, self.loc.line, self.path, message, self.loc.source.rendered))


_SIMPLE_KEY = re.compile(r"^[\w-]+$")


def keypath(path: str, key) -> str:
    """``path.key``, or ``path["key"]`` for keys with other characters (``volumes["/data"]``)."""
    if not _SIMPLE_KEY.match(str(key)):
        return '%s["%s"]' % (path, key)
    return "%s.%s" % (path, key) if path else str(key)


def suggest(word, candidates) -> str:
    """`` (did you mean 'x'?)`` for the nearest candidate, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return " (did you mean '%s'?)" % close[0] if close else ""


def describe(value) -> str:
    """A YAML-ish name for the type of a value, for messages."""
    if value is None:
        return "null"
    if type(value).__name__ == "_Reset":
        return "!reset (allowed only as the value of a key)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
