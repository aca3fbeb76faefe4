# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""How much a ships file may make the loader do, so that a wrong or hostile file fails fast.

Without bounds, a 353-byte YAML "billion laughs" (nested anchors, each list holding nine aliases of
the one before) made the loader expand 387 million nodes: 73 s and 2.1 GB before the first error.
A 17 MB file took 115 s and 1.6 GB. Each bound below is checked before the work it protects, and
each is far above what a real estate needs (the project benchmarks 10,000 instances, about 0.8 MB):

``MAX_TEXT`` (4 MiB)
    the size of each file (before it is read: a larger file is not read at all), and of the text
    that YAML parses, all the layers of ``__maestro.extends`` together, after Jinja2 rendering
    (counted as the rendering goes, so that a template whose loop writes without end is stopped
    at the bound).
    Parsed YAML takes about 100 times its text in memory (PyYAML's nodes with their marks, then the
    marked data), so this is about 450 MB at most; 4 MiB is still 400 bytes for each of 10,000
    instances. Env files (``envfile``) have the same bound each.

``MAX_ALIAS_NODES`` (1,000,000)
    how many nodes the YAML aliases stand for (all the layers together), counted the way the
    loader copies them: an alias of a list of 10 strings counts 11, and an alias of a list holding
    such aliases counts what they stand for too. Checked on the parsed node graph, before anything
    is copied. ``<<: *base`` merges count like any alias: 10,000 instances each merging a 60-node
    anchor use 600,000.

``MAX_INSTANCES``, ``MAX_SHIPS`` (20,000 each)
    twice the largest estate the project measures; checked before any instance spec is built.
"""

from __future__ import annotations

import os

MAX_TEXT = 4 * 1024 * 1024
MAX_ALIAS_NODES = 1_000_000
MAX_INSTANCES = 20_000
MAX_SHIPS = 20_000


class Budget:
    """What the bounds leave for the rest of one ships file: its layers share :data:`MAX_TEXT` and :data:`MAX_ALIAS_NODES`."""

    __slots__ = ("alias_nodes", "text")

    def __init__(self):
        self.text = MAX_TEXT
        self.alias_nodes = MAX_ALIAS_NODES


class TooLarge(ValueError):
    """A file over :data:`MAX_TEXT`; ``str()`` says so and by how much, without saying where."""


def size_text(chars: int) -> str:
    """``8 MiB``, ``17.2 MiB``, ``512 KiB``: a size for messages."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if chars >= scale:
            value = chars / scale
            return "%d %s" % (value, unit) if value == int(value) else "%.1f %s" % (value, unit)
    return "%d bytes" % chars


def too_large(size: int | None, limit: int, what: str = "a ships file") -> str:
    """The message for a text of ``size`` (None: unknown, only known to be over) above ``limit``."""
    over = "larger than %s" % size_text(limit) if size is None else "%s, larger than %s" % (size_text(size), size_text(limit))
    return "the file is %s, the most %s may be" % (over, what)


def read_text(handle, limit: int | None = None, what: str = "a ships file") -> str:
    """The whole text of an open text file, or :class:`TooLarge` without reading more than ``limit`` + 1 characters.

    A regular file's size is known before reading it; a pipe's (stdin, ``/dev/zero``) is not, so the
    read itself is bounded too.
    """
    limit = MAX_TEXT if limit is None else limit
    try:
        size = os.fstat(handle.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # not a real file (a StringIO as stdin in tests)
        size = 0
    if size > limit:
        raise TooLarge(too_large(size, limit, what))
    text = handle.read(limit + 1)
    if len(text) > limit:
        raise TooLarge(too_large(None, limit, what))
    return text
