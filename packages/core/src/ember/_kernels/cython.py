"""The Cython kernel table: the reference `Kernels` with the methods `_cy` speeds up."""
from __future__ import annotations

from . import _cy  # noqa: F401  (ImportError here means the extension was not built)
from .reference import Kernels


class CythonKernels(Kernels):
    name = "cython"
