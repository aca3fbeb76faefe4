# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Generic value types for the ships file schema: each checks and normalises one value.

A type has ``doc`` (how the docs name it) and ``parse(value, at)``, which returns the normalised
value, or :data:`INVALID` after reporting the problem at ``at``. Keys are :class:`Field` objects,
declared once in ``_config.schema``; :class:`Struct` walks a mapping against a tuple of fields, so no
key has hand-written checking code.

``null`` as the value of an optional key means "not set" (the default applies), so that an empty
``registries:`` or ``env:`` works, as it did in maestro-ng.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import At, describe, suggest


class _Invalid:
    __slots__ = ()

    def __repr__(self):
        return "INVALID"


INVALID = _Invalid()
MISSING = object()


class Vaulted(str):
    """A value the ships file gives encrypted (``!vault``), decrypted by the loader: a secret.

    ``vaulttext`` is the ciphertext as written (what the inventory publishes instead of the value),
    ``loc`` where it is. Only the types built with ``secret=True`` accept one (env values, registry
    passwords): everywhere else the value would be shown, in specs, results and messages.
    """

    def __new__(cls, plaintext: str, vaulttext: str, loc=None):
        self = super().__new__(cls, plaintext)
        self.vaulttext = vaulttext
        self.loc = loc
        return self

    def __reduce__(self):
        return (Vaulted, (str(self), self.vaulttext, self.loc))

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


VAULT_NOT_HERE = "an encrypted value (!vault) is accepted only for env values and registry passwords, which are kept secret; here it would be shown"


def has_vaulted(value) -> bool:
    if isinstance(value, Vaulted):
        return True
    if isinstance(value, dict):
        return any(has_vaulted(k) or has_vaulted(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_vaulted(v) for v in value)
    return False


class Type:
    """Anything goes (used for free-form values such as HTTP payload templates)."""

    doc = "any"

    def parse(self, value, at: At):
        if has_vaulted(value):
            at.error(VAULT_NOT_HERE)
            return INVALID
        return _plain(value)

    def kind_error(self, value, at: At):
        at.error("must be %s, not %s" % (self.doc_phrase(), describe(value)))
        return INVALID

    def doc_phrase(self) -> str:
        return self.doc


def _plain(value):
    """A copy made of plain dicts and lists (no marks), for values kept as they are."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Raw(Type):
    """A value walked by the model itself (name maps of ships, services, instances)."""

    def __init__(self, doc):
        self.doc = doc

    def parse(self, value, at: At):
        return _plain(value)


class Str(Type):
    """A string. ``coerce`` also accepts numbers (written as YAML numbers by mistake)."""

    def __init__(self, doc="string", coerce=False, pattern=None, pattern_doc=None, allow_empty=False, *, secret=False, in_clear=None):
        """``in_clear``: a warning to give when a ``secret`` value is written in clear text (not ``!vault``)."""
        self.doc = doc
        self.coerce = coerce
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_doc = pattern_doc
        self.allow_empty = allow_empty
        self.secret = secret
        self.in_clear = in_clear

    def parse(self, value, at):
        if isinstance(value, Vaulted) and not self.secret:
            at.error(VAULT_NOT_HERE)
            return INVALID
        if self.in_clear and value and isinstance(value, (str, int, float)) and not isinstance(value, Vaulted):
            at.warn(self.in_clear)
        if self.coerce and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return self.kind_error(value, at)
        if not value and not self.allow_empty:
            at.error("must not be empty")
            return INVALID
        if self.pattern and not self.pattern.match(value):
            at.error("'%s' is not %s" % (value, self.pattern_doc or "valid"))
            return INVALID
        return value

    def doc_phrase(self):
        return "a string"


class Int(Type):
    def __init__(self, minimum=None, maximum=None, doc="integer"):
        self.minimum, self.maximum, self.doc = minimum, maximum, doc

    def parse(self, value, at):
        if isinstance(value, bool) or not isinstance(value, int):
            return self.kind_error(value, at)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            at.error("%d is out of range (%s)" % (value, self.range_doc()))
            return INVALID
        return value

    def range_doc(self):
        if self.maximum is None:
            return "at least %d" % self.minimum
        return "%d to %d" % (self.minimum, self.maximum)

    def doc_phrase(self):
        return "an integer"


class Number(Int):
    """An integer or a decimal number."""

    def __init__(self, minimum=None, maximum=None, doc="number"):
        super().__init__(minimum, maximum, doc)

    def parse(self, value, at):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.kind_error(value, at)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            at.error("%s is out of range (%s)" % (value, self.range_doc()))
            return INVALID
        return value

    def doc_phrase(self):
        return "a number"


class Bool(Type):
    doc = "boolean"

    def parse(self, value, at):
        if not isinstance(value, bool):
            return self.kind_error(value, at)
        return value

    def doc_phrase(self):
        return "a boolean (true or false)"


class Enum(Type):
    def __init__(self, *choices, doc=None):
        self.choices = choices
        self.doc = doc or "one of " + ", ".join(str(c) for c in choices)

    def parse(self, value, at):
        if isinstance(value, Vaulted):
            at.error(VAULT_NOT_HERE)
            return INVALID
        if value not in self.choices or isinstance(value, bool) != any(isinstance(c, bool) for c in self.choices):
            at.error("'%s' is not one of %s%s" % (value, ", ".join(str(c) for c in self.choices), suggest(value, self.choices)))
            return INVALID
        return value


class ListOf(Type):
    """A list of ``item``. With ``single``, one item alone is taken as a list of one."""

    def __init__(self, item: Type, single=False, unique=False):
        self.item, self.single, self.unique = item, single, unique
        self.doc = "list of %s" % item.doc + (" (or one)" if single else "")

    def parse(self, value, at):
        if not isinstance(value, list):
            if self.single and not isinstance(value, dict):
                value = [value]
                out = self.item.parse(value[0], at)
                return INVALID if out is INVALID else [out]
            return self.kind_error(value, at)
        result, ok = [], True
        for i, item in enumerate(value):
            out = self.item.parse(item, at.index(value, i))
            if out is INVALID:
                ok = False
            elif self.unique and out in result:
                at.index(value, i).error("'%s' is listed twice" % (out,))
            else:
                result.append(out)
        return result if ok else INVALID

    def doc_phrase(self):
        return "a list" + (" (or a single value)" if self.single else "")


class MapOf(Type):
    """A mapping of names to ``value``. Integer keys are taken as strings (``80: ...``)."""

    def __init__(self, value: Type, key: Type | None = None, doc=None):
        self.value, self.key = value, key
        self.doc = doc or "mapping of name to %s" % value.doc

    def parse(self, value, at):
        if not isinstance(value, dict):
            return self.kind_error(value, at)
        result, ok = {}, True
        for key, item in value.items():
            child = at.key(value, key)
            name = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
            if isinstance(name, Vaulted):
                child.error(VAULT_NOT_HERE)
                ok = False
                continue
            if not isinstance(name, str):
                child.error("the key must be a string, not %s" % describe(key))
                ok = False
                continue
            if self.key is not None and self.key.parse(name, child) is INVALID:
                ok = False
                continue
            out = self.value.parse(item, child)
            if out is INVALID:
                ok = False
            else:
                result[name] = out
        return result if ok else INVALID

    def doc_phrase(self):
        return "a mapping"


class Func(Type):
    """A one-off parser function ``fn(value, at)`` with its documentation name."""

    def __init__(self, doc: str, fn, phrase=None, secret=False):
        self.doc, self.fn, self.phrase, self.secret = doc, fn, phrase, secret

    def parse(self, value, at):
        if not self.secret and has_vaulted(value):
            at.error(VAULT_NOT_HERE)
            return INVALID
        return self.fn(value, at)

    def doc_phrase(self):
        return self.phrase or self.doc


@dataclass(frozen=True)
class Field:
    """One key: its name, type, default and description, and (for the four main levels) where it
    is allowed, where it is required, how an instance inherits it from its service, and aliases.

    ``removed`` makes the key an error with that explanation (keys maestro-ng had that cannot work).
    ``ignored`` makes the key a warning with that explanation, and drops its value (keys maestro-ng read no value from).
    ``spec`` names the instance spec key that the loader sets to this key's final value, as it is (the
    container options that the file passes through); its default is the spec's when the file says nothing.
    """

    name: str
    type: Type
    description: str
    default: object = None
    levels: frozenset = frozenset()
    required_at: frozenset = frozenset()
    inherit: str | None = None
    aliases: tuple = ()
    removed: str | None = None
    ignored: str | None = None
    spec: str | None = None

    def default_value(self):
        return copy.deepcopy(self.default)


class Struct(Type):
    """A mapping with a fixed set of keys (``fields``). ``what`` names it in messages.

    ``post(result, at)`` may finish the normalised value (or return INVALID after an error).
    ``level`` is used by level mappings (ship, service, instance...) for required keys.
    """

    doc = "mapping"

    def __init__(self, what: str, fields, post=None, doc=None):
        self.what = what
        self.fields = tuple(fields)
        self.post = post
        self.doc = doc or "mapping (%s)" % what
        self._by_name = {}
        for f in self.fields:
            self._by_name[f.name] = f
            for alias in f.aliases:
                self._by_name[alias] = f

    def field(self, name):
        return self._by_name.get(name)

    def doc_phrase(self):
        return "a mapping"

    def names(self):
        return [f.name for f in self.fields if not f.removed and not f.ignored]

    def is_required(self, f: Field, level) -> bool:
        return level in f.required_at if level else bool(f.required_at)

    def unknown_key(self, key, at):
        at.error("unknown %s key '%s'%s" % (self.what, key, suggest(key, self.names())))

    def parse(self, value, at, fill=True, level=None, partial=False):
        """The normalised mapping, or INVALID. With ``partial``, the keys that were valid are
        returned even when others were not (so that loading can go on and report everything)."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            at.error("must be a mapping of %s keys, not %s" % (self.what, describe(value)))
            return {} if partial else INVALID
        result, ok, seen = {}, True, {}
        for key, item in value.items():
            child = at.key(value, key)
            f = self._by_name.get(key) if isinstance(key, str) else None
            if f is None:
                self.unknown_key(key, child)
                ok = False
                continue
            if f.removed:
                child.error(f.removed)
                ok = False
                continue
            if f.ignored:
                child.warn(f.ignored)
                continue
            if f.name in seen:
                child.error("'%s' and '%s' are the same key; keep only '%s'" % (seen[f.name], key, f.name))
                ok = False
                continue
            seen[f.name] = key
            if item is None:
                if self.is_required(f, level):
                    child.error("must have a value")
                    ok = False
                continue
            out = f.type.parse(item, child)
            if out is INVALID:
                ok = False
            else:
                result[f.name] = out
        for f in self.fields:
            if f.name not in seen and self.is_required(f, level):
                at.error("missing required key '%s'" % f.name)
                ok = False
        if not ok and not partial:
            return INVALID
        if fill:
            self.fill_defaults(result, level)
        if self.post is not None and ok:
            return self.post(result, at)
        return result

    def fill_defaults(self, result, level=None):
        for f in self.fields:
            if f.name not in result and not f.removed and not f.ignored and (level is None or level in f.levels or not f.levels):
                result[f.name] = f.default_value()
        return result


class TaggedStruct(Type):
    """A mapping whose ``type`` key picks the :class:`Struct` that checks the rest."""

    def __init__(self, what: str, variants: dict, tag="type"):
        self.what, self.variants, self.tag = what, variants, tag
        self.doc = "mapping (%s)" % what

    def doc_phrase(self):
        return "a mapping"

    def parse(self, value, at):
        if not isinstance(value, dict):
            at.error("must be a mapping with a '%s' key, not %s" % (self.tag, describe(value)))
            return INVALID
        kind = value.get(self.tag)
        if kind is None:
            at.error("missing required key '%s' (one of %s)" % (self.tag, ", ".join(self.variants)))
            return INVALID
        struct = self.variants.get(kind) if isinstance(kind, str) else None
        if struct is None:
            at.key(value, self.tag).error("unknown %s type '%s' (one of %s)%s" % (self.what, kind, ", ".join(self.variants), suggest(kind, self.variants)))
            return INVALID
        return struct.parse(value, at)
