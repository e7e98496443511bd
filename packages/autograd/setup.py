"""Compiles the autograd engine (`engine.py`, unchanged source) with Cython when it is
available and EMBER_PURE_PYTHON=1 is not set; otherwise the package is pure Python."""
import os

from setuptools import setup

extensions = []
if os.environ.get("EMBER_PURE_PYTHON", "").lower() not in ("1", "true", "yes"):
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:  # no Cython: the engine runs as the Python source
        pass
    else:
        extensions = cythonize([Extension("ember.autograd.engine", ["src/ember/autograd/engine.py"])],
                               compiler_directives={"language_level": "3"}, quiet=True,
                               force=True, include_path=["src"])  # (finds engine.pxd)

setup(ext_modules=extensions)
