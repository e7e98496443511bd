"""Note [compiled modules]: the hot pure-Python modules of ember (core's dispatcher and
Tensor, autograd's engine; the lists are in each package's setup.py) are also built,
unchanged, as Cython extensions of the same name, which Python's import prefers: the
interpreter overhead of the small-op path and of the backward loop drops by a quarter,
and the source stays the one readable reference. A ``.pxd`` beside a source (autograd's
``engine.pxd``) gives Cython types for it: there the graph's Node becomes an extension
type with C fields, which the backward loop reads without attribute lookups.

``EMBER_PURE_PYTHON=1`` loads the sources instead (`prefer_sources`), and
``EMBER_REQUIRE_CYTHON=1`` makes a module that should have been compiled and was not
an error (`check_compiled`).
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys


def flag(name):
    """Whether environment variable `name` is set to something true."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds ``ember.*`` modules as their ``.py`` file wherever one exists."""

    def find_spec(self, fullname, path, target=None):
        if path is None or not fullname.startswith("ember."):
            return None
        leaf = fullname.rpartition(".")[2]
        for directory in path:
            source = os.path.join(directory, leaf + ".py")
            if os.path.isfile(source):
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def prefer_sources():
    if not any(isinstance(f, _SourcesFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourcesFirst())


def check_compiled(module):
    if flag("EMBER_REQUIRE_CYTHON") and not is_compiled(module):
        raise ImportError(f"EMBER_REQUIRE_CYTHON=1 but {module.__name__} is not compiled; "
                          "reinstall its package with Cython available")


def is_compiled(module):
    """Whether `module` runs as a compiled extension (see Note [compiled modules])."""
    return not module.__file__.endswith(".py")
