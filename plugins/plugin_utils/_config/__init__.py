# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Load a maestro-ng style ships file: the one entry point the rest of the collection uses.

    from ansible_collections.maestro.docker.plugins.plugin_utils import _config

    config = _config.load("maestro.yaml")        # or "-" for stdin; environ= for Jinja2's env
    config.instances["web-1"].spec               # everything a module needs for one container
    config.ships["host1"].connection()           # community.docker-style connection options
    config.start_levels()                        # [["db"], ["web"]]
    config.expand(["web"], with_dependencies=True, ship_filter="host*")
    config.deptree()                             # maestro-ng's deptree picture

Loading = Jinja2 rendering and safe YAML parsing of each layer (``_config.source``), layering with
``__maestro.extends`` (``_config.layers``), validation of every key against the schema
(``_config.schema``), and the model with each instance's spec (``_config.model``). Any problem in
the file raises :class:`ConfigError` listing every issue as ``FILE:LINE: KEYPATH: MESSAGE``; no
other exception escapes for bad input. Without PyYAML or Jinja2 on the controller,
:class:`MissingLibraryError` is raised; modules should check :func:`missing_libraries` first and
fail with ``missing_required_lib``.
"""

from __future__ import annotations

import os
import sys

from ansible_collections.maestro.docker.plugins.plugin_utils._config.errors import ConfigError, Issue, MissingLibraryError, SelectionError
from ansible_collections.maestro.docker.plugins.plugin_utils._config.layers import read_layers
from ansible_collections.maestro.docker.plugins.plugin_utils._config.limits import TooLarge, read_text
from ansible_collections.maestro.docker.plugins.plugin_utils._config.model import Builder, Config, Instance, Service, Ship
from ansible_collections.maestro.docker.plugins.plugin_utils._config.source import JINJA2_IMPORT_ERROR, YAML_IMPORT_ERROR, check_libraries
from ansible_collections.maestro.docker.plugins.plugin_utils._config.types import Vaulted

STDIN = "-"
STDIN_NAME = "<stdin>"

__all__ = [
    "STDIN",
    "Config",
    "ConfigError",
    "Instance",
    "Issue",
    "MissingLibraryError",
    "SelectionError",
    "Service",
    "Ship",
    "Vaulted",
    "load",
    "load_text",
    "missing_libraries",
]


def missing_libraries() -> list[tuple[str, BaseException]]:
    """``[(library name, import error)]`` for PyYAML/Jinja2 if they are missing (else empty)."""
    return [(name, err) for name, err in (("PyYAML", YAML_IMPORT_ERROR), ("Jinja2", JINJA2_IMPORT_ERROR)) if err is not None]


def load(path: str, environ=None, vault=None) -> Config:
    """Load a ships file (``"-"`` reads stdin, with the current directory as its base).

    ``vault(ciphertext) -> plaintext`` decrypts the file's ``!vault`` values (without it, each is an issue)."""
    check_libraries()
    if path == STDIN:
        try:
            text = read_text(sys.stdin)
        except TooLarge as exc:
            raise ConfigError([Issue(STDIN_NAME, None, "", str(exc))]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([Issue(STDIN_NAME, None, "", "cannot read: %s" % exc)]) from None
        return load_text(text, STDIN_NAME, os.getcwd(), environ, vault)
    try:
        with open(path, encoding="utf-8") as handle:
            text = read_text(handle)
    except TooLarge as exc:
        raise ConfigError([Issue(path, None, "", str(exc))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([Issue(path, None, "", "cannot read: %s" % reason)]) from None
    return _load(text, path, os.path.dirname(os.path.abspath(path)), environ, path, vault=vault)


def load_text(text: str, name: str, base_dir: str, environ=None, vault=None) -> Config:
    """Load a ships file given as text; ``name`` is used in messages, ``base_dir`` for relative
    paths (Jinja2 includes, ``extends``, env files)."""
    check_libraries()
    return _load(text, name, base_dir, environ, None, vault=vault)


def _load(text, name, base_dir, environ, path, *, vault=None) -> Config:
    environ = dict(os.environ if environ is None else environ)
    issues = []
    layers = read_layers(text, name, os.path.abspath(base_dir), environ=environ, issues=issues, path=path, vault=vault)
    if layers.data is None:
        raise ConfigError(issues)
    builder = Builder(layers.data, layers.files, environ)
    builder.issues.extend(issues)
    return builder.build()
