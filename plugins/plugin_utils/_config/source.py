# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Read one layer of a ships file: Jinja2 rendering, then safe YAML parsing that keeps line numbers.

Jinja2 (as maestro-ng does it): the whole text is a template rendered with one context variable,
``env``, bound to the process environment (or the ``environ`` given). The loader is a
``FileSystemLoader`` rooted at the file's directory, so ``{% include %}``, ``{% import %}``,
``{% extends %}`` and ``{% from %}`` resolve relative to the file. Undefined names render as empty
strings (Jinja2's default ``Undefined``, not ``StrictUndefined``). Autoescape is off. A text without
any ``{{``, ``{%`` or ``{#`` is not rendered at all.

YAML: safe loading only (no Python object tags), with these differences from plain PyYAML:

* duplicate keys in a mapping are an error naming both lines (maestro-ng rejected them too);
  keys merged in with ``<<: *anchor`` may be overridden, as YAML intends;
* every mapping and list remembers the line of each of its keys/items (:class:`MDict`,
  :class:`MList`), so that later errors can name the line;
* base-60 numbers are not recognised (YAML 1.2 dropped them): ``8080:80`` is the string
  ``"8080:80"``, not the integer 484880 that YAML 1.1 makes of it;
* the tags ``!reset`` and ``!override`` (from docker compose) are understood, for layering: see
  ``_config.layers``;
* ``!vault`` (a string encrypted with ``ansible-vault encrypt_string``) is decrypted with the ``vault``
  function the caller gives (the inventory plugin passes its DataLoader's vault secrets) into a
  :class:`~_config.types.Vaulted`, a secret; without vault secrets, or when it cannot be decrypted,
  it is an issue at its line;
* aliases may stand for at most ``limits.MAX_ALIAS_NODES`` nodes in all, and an alias may not refer to
  the node it is in: PyYAML shares an aliased node, but the layers and the schema copy it at every
  use, so that a "billion laughs" would expand 9**9 lists. The node graph is measured (each
  distinct node once) before anything is constructed; only when it is over, the events are read
  again to name the line of the alias that went over.

The text is bounded too (``limits.MAX_TEXT``): the rendering stops as soon as it is over.
"""

from __future__ import annotations

import os
import re

from ansible_collections.maestro.docker.plugins.plugin_utils._config import limits
from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import Issue, Loc, MissingLibraryError, Source
from ansible_collections.maestro.docker.plugins.plugin_utils._config.limits import Budget, size_text
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import Vaulted

try:
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    YAML_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's Python
    yaml = None
    YAML_IMPORT_ERROR = exc

try:
    import jinja2

    JINJA2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's Python
    jinja2 = None
    JINJA2_IMPORT_ERROR = exc


def check_libraries() -> None:
    """Raise :class:`MissingLibraryError` naming PyYAML and/or Jinja2 when they are not importable."""
    missing = [name for name, err in (("PyYAML", YAML_IMPORT_ERROR), ("Jinja2", JINJA2_IMPORT_ERROR)) if err is not None]
    if missing:
        raise MissingLibraryError("reading a ships file needs the Python libraries %s on the controller" % " and ".join(missing))


class MDict(dict):
    """A mapping from the YAML text: ``loc`` is where it starts, ``locs[key]`` where each key is."""

    __slots__ = ("loc", "locs", "override")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loc = None
        self.locs = {}
        self.override = False


class MList(list):
    """A list from the YAML text: ``loc`` is where it starts, ``locs[i]`` where each item is."""

    __slots__ = ("loc", "locs", "override")

    def __init__(self, *args):
        super().__init__(*args)
        self.loc = None
        self.locs = []
        self.override = False


class _Reset:
    """The value of a key tagged ``!reset``: remove the key (back to its default)."""

    __slots__ = ()

    def __repr__(self):
        return "!reset"


RESET = _Reset()

_TEMPLATE_MARKERS = ("{{", "{%", "{#")
_STRING_TEMPLATE = "<template>"


def render(text: str, source: Source, environ, issues: list[Issue], budget: Budget | None = None) -> tuple[str | None, bool]:
    """Render ``text`` with Jinja2. Returns (text, changed) or (None, False) after an issue.

    The result may have at most ``budget.text`` characters (what ``limits.MAX_TEXT`` leaves after the
    layers read before), which it uses up: the output is counted as Jinja2 produces it, so that a
    loop is stopped there.
    """
    budget = budget or Budget()
    room = budget.text
    if not any(marker in text for marker in _TEMPLATE_MARKERS):
        if len(text) > room:
            issues.append(Issue(source.name, None, "", _too_much(room)))
            return None, False
        budget.text -= len(text)
        return text, False
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(source.base_dir),
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    try:
        chunks, size = [], 0
        for chunk in environment.from_string(text).generate(env=environ):
            size += len(chunk)
            if size > room:
                issues.append(Issue(source.name, None, "", _too_much(room, rendered=True)))
                return None, False
            chunks.append(chunk)
        out = "".join(chunks)
        budget.text -= size
    except jinja2.TemplateSyntaxError as exc:
        name = source.name if exc.filename in (None, _STRING_TEMPLATE) else exc.filename
        issues.append(Issue(name, exc.lineno, "", "Jinja2 syntax error: %s" % exc.message))
        return None, False
    except jinja2.TemplateNotFound as exc:
        file, line = _template_position(exc, source.name)
        issues.append(Issue(file, line, "", "Jinja2 template not found: %s (looked in %s)" % (exc.name, source.base_dir)))
        return None, False
    except Exception as exc:  # noqa: BLE001 - any error from a template is a problem of the file
        file, line = _template_position(exc, source.name)
        issues.append(Issue(file, line, "", "Jinja2 error: %s" % (exc,)))
        return None, False
    return out, out != text


def _too_much(room: int, rendered: bool = False) -> str:
    what = "the text after Jinja2 rendering" if rendered else "the text"
    if room < limits.MAX_TEXT:
        what += ", with the %s of the layers read before it," % size_text(limits.MAX_TEXT - room)
    return "%s is larger than %s, the most a ships file (all its layers together) may be" % (what, size_text(limits.MAX_TEXT))


def _template_position(exc: BaseException, main_name: str) -> tuple[str, int | None]:
    """The template file and line an exception came from (Jinja2 rewrites traceback frames)."""
    file, line = main_name, None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == _STRING_TEMPLATE:
            file, line = main_name, tb.tb_lineno
        elif not filename.endswith(".py") and not filename.startswith("<") and os.path.isfile(filename):
            file, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return file, line


# --- YAML ------------------------------------------------------------------------------------------

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# PyYAML's int and float patterns without their base-60 (sexagesimal) alternatives.
_INT_RE = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT_RE = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")

_LOADER_CLASS = None


def _loader_class():
    """Build (once) the loader class: PyYAML's safe loader (the C parser when available) + marks."""
    global _LOADER_CLASS
    if _LOADER_CLASS is not None:
        return _LOADER_CLASS

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):
        yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)] for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        yaml_constructors = dict(base.yaml_constructors)

        def __init__(self, stream, source, issues, vault=None):
            super().__init__(stream)
            self.source = source
            self.issues = issues
            self.vault = vault

        def loc(self, node):
            return Loc(self.source, node.start_mark.line + 1)

        def construct_marked_mapping(self, node):
            data = MDict()
            data.loc = self.loc(node)
            yield data
            self.fill_mapping(data, node)

        def fill_mapping(self, data, node):
            if not isinstance(node, MappingNode):
                raise yaml.constructor.ConstructorError(None, None, "expected a mapping node, but found %s" % node.id, node.start_mark)
            explicit = sum(1 for key_node, _value in node.value if key_node.tag != _MERGE_TAG)
            self.flatten_mapping(node)
            pairs = node.value
            first_explicit = len(pairs) - explicit
            seen = {}
            for i, (key_node, value_node) in enumerate(pairs):
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    hash(key)
                except TypeError:
                    self.issues.append(Issue(self.source.name, line, "", "a mapping key must be a scalar, not %s" % key_node.id, self.source.rendered))
                    continue
                if i >= first_explicit:
                    if key in seen:
                        self.issues.append(
                            Issue(self.source.name, line, "", "duplicate key '%s' (first defined on line %d)" % (key, seen[key]), self.source.rendered)
                        )
                        continue
                    seen[key] = line
                data[key] = self.construct_object(value_node, deep=False)
                data.locs[key] = Loc(self.source, line)

        def construct_marked_sequence(self, node):
            data = MList()
            data.loc = self.loc(node)
            yield data
            for item in node.value:
                data.append(self.construct_object(item, deep=False))
                data.locs.append(self.loc(item))

        def construct_reset(self, node):
            return RESET

        def construct_vault(self, node):
            loc = self.loc(node)
            if not isinstance(node, ScalarNode):
                self.issues.append(
                    Issue(self.source.name, loc.line, "", "!vault needs a string (the output of ansible-vault encrypt_string)", self.source.rendered)
                )
                return Vaulted("", "", loc)
            vaulttext = node.value
            if self.vault is None:
                message = (
                    "an encrypted value (!vault) but no vault secrets: give them with --vault-password-file or --vault-id (or ANSIBLE_VAULT_PASSWORD_FILE)"
                )
                self.issues.append(Issue(self.source.name, loc.line, "", message, self.source.rendered))
                return Vaulted("", vaulttext, loc)
            try:
                plaintext = self.vault(vaulttext)
            except Exception as exc:  # noqa: BLE001 - whatever the vault says, it is a problem of this value
                self.issues.append(Issue(self.source.name, loc.line, "", "cannot decrypt the !vault value: %s" % (exc,), self.source.rendered))
                return Vaulted("", vaulttext, loc)
            return Vaulted(plaintext, vaulttext, loc)

        def construct_override(self, node):
            if isinstance(node, MappingNode):
                data = MDict()
                data.loc = self.loc(node)
                data.override = True
                self.fill_mapping(data, node)
                return data
            if isinstance(node, SequenceNode):
                data = MList()
                data.loc = self.loc(node)
                data.override = True
                for item in node.value:
                    data.append(self.construct_object(item, deep=True))
                    data.locs.append(self.loc(item))
                return data
            plain = ScalarNode(self.resolve(ScalarNode, node.value, (True, False)), node.value, node.start_mark, node.end_mark, node.style)
            return self.construct_object(plain, deep=True)

    Loader.yaml_base = base  # for reading the events again (_alias_position)
    Loader.add_implicit_resolver(_INT_TAG, _INT_RE, list("-+0123456789"))
    Loader.add_implicit_resolver(_FLOAT_TAG, _FLOAT_RE, list("-+0123456789."))
    Loader.add_constructor("tag:yaml.org,2002:map", Loader.construct_marked_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", Loader.construct_marked_sequence)
    Loader.add_constructor("!reset", Loader.construct_reset)
    Loader.add_constructor("!override", Loader.construct_override)
    Loader.add_constructor("!vault", Loader.construct_vault)
    _LOADER_CLASS = Loader
    return Loader


class _AliasError(Exception):
    """Aliases that stand for too much (``kind`` "too many"), or an alias inside the node it refers to ("recursive")."""

    def __init__(self, kind: str, line: int | None):
        super().__init__(kind)
        self.kind = kind
        self.line = line


def _children(node):
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return ()


def check_aliases(node, limit: int | None = None) -> int:
    """How many nodes the aliases under ``node`` stand for; :class:`_AliasError` when more than ``limit``, or when one loops.

    PyYAML's composer returns the anchored node itself at every alias, so the node graph is a tree
    with shared branches (or a loop, for an alias inside its own anchor). A walk in document order
    meets each node first where it is anchored, then again at each alias of it: the walk measures
    each distinct node once (what it stands for, aliases inside included) and adds that at every
    later meeting, so its cost is the size of the file, not of what the aliases stand for.
    """
    limit = limits.MAX_ALIAS_NODES if limit is None else limit
    sizes = {}  # id(node) -> how many nodes it stands for, once its walk is done
    walking = {id(node)}  # ids of the nodes on the path from the root
    total = 0
    stack = [[node, iter(_children(node)), 1]]
    while stack:
        frame = stack[-1]
        child = next(frame[1], None)
        if child is None:
            stack.pop()
            walking.discard(id(frame[0]))
            sizes[id(frame[0])] = frame[2]
            if stack:
                stack[-1][2] += frame[2]
            continue
        key = id(child)
        if key in sizes:  # an alias
            total += sizes[key]
            frame[2] += sizes[key]
            if total > limit:
                raise _AliasError("too many", None)
        elif key in walking:
            raise _AliasError("recursive", child.start_mark.line + 1)
        elif isinstance(child, ScalarNode):
            sizes[key] = 1
            frame[2] += 1
        else:
            walking.add(key)
            stack.append([child, iter(_children(child)), 1])
    return total


def _too_many_aliases(limit: int) -> str:
    message = "too many YAML alias references: up to this one, the aliases stand for more than %s nodes" % format(limits.MAX_ALIAS_NODES, ",")
    if limit < limits.MAX_ALIAS_NODES:
        message += " (with those of the layers read before it)"
    return message + ", the most a ships file may expand (a 'billion laughs'?)"


def _recursive_alias(anchor: str | None) -> str:
    return "recursive YAML alias%s: an alias inside the node it refers to" % (" *%s" % anchor if anchor else "")


def _alias_position(text: str, base, limit: int) -> tuple[int | None, str | None]:
    """(line, anchor) of the alias that goes over ``limit`` or refers to a node it is inside of.

    Only called when :func:`check_aliases` failed: the node graph has no marks for the aliases
    themselves, the events do. Counts as :func:`check_aliases` does (an anchor cannot be defined twice
    in one document, PyYAML refuses it).
    """
    sizes, open_anchors, stack, total = {}, set(), [], 0
    for event in yaml.parse(text, Loader=base):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors or event.anchor not in sizes:
                return event.start_mark.line + 1, event.anchor
            total += sizes[event.anchor]
            if stack:
                stack[-1][1] += sizes[event.anchor]
            if total > limit:
                return event.start_mark.line + 1, None
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                sizes[event.anchor] = 1
            if stack:
                stack[-1][1] += 1
        elif isinstance(event, yaml.CollectionStartEvent):
            if event.anchor:
                open_anchors.add(event.anchor)
            stack.append([event.anchor, 1])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            if anchor:
                open_anchors.discard(anchor)
                sizes[anchor] = size
            if stack:
                stack[-1][1] += size
    return None, None


def parse_yaml(text: str, source: Source, issues: list[Issue], budget: Budget | None = None, vault=None):
    """Parse one YAML document with marks. Returns the data, or None after an issue.

    Its aliases may stand for ``budget.alias_nodes`` nodes (``limits.MAX_ALIAS_NODES`` less what the
    layers before used), which they use up. ``vault(ciphertext) -> plaintext`` decrypts ``!vault`` values.
    """
    budget = budget or Budget()
    loader = _loader_class()(text, source, issues, vault)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        budget.alias_nodes -= check_aliases(node, budget.alias_nodes)
        return loader.construct_document(node)
    except _AliasError as exc:
        line, anchor = _alias_position(text, loader.yaml_base, budget.alias_nodes)
        message = _recursive_alias(anchor) if anchor or exc.kind == "recursive" else _too_many_aliases(budget.alias_nodes)
        issues.append(Issue(source.name, line or exc.line, "", message, source.rendered))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = "%s (%s)" % (message, exc.context)
        issues.append(Issue(source.name, mark.line + 1 if mark else None, "", "invalid YAML: %s" % message, source.rendered))
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        issues.append(
            Issue(
                source.name,
                line,
                "",
                "invalid YAML: unacceptable character #x%04x (%s)" % (exc.character if isinstance(exc.character, int) else ord(exc.character), exc.reason),
                source.rendered,
            )
        )
    except yaml.YAMLError as exc:
        issues.append(Issue(source.name, None, "", "invalid YAML: %s" % exc, source.rendered))
    finally:
        loader.dispose()
    return None


def read_source(text: str, name: str, base_dir: str, environ, issues: list[Issue], *, budget: Budget | None = None, vault=None):
    """Render and parse one layer, within what ``budget`` leaves (and using it up). Returns (data, source);
    data is None after an issue. ``vault`` decrypts ``!vault`` values (:func:`parse_yaml`)."""
    check_libraries()
    budget = budget or Budget()
    source = Source(name, base_dir)
    rendered_text, changed = render(text, source, environ, issues, budget)
    if rendered_text is None:
        return None, source
    if changed:
        source = Source(name, base_dir, rendered=True)
    return parse_yaml(rendered_text, source, issues, budget, vault), source
