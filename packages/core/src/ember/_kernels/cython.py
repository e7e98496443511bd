"""The Cython kernel table: the reference `Kernels` with the methods `_cy` speeds up.

The `_cy` functions take the table as their first argument (they are installed as
methods) and hand any case they do not cover back to the reference method.
"""
from __future__ import annotations

import os

# Note [OpenMP wait policy]: after a parallel region libgomp's threads spin, by default,
# waiting for more work. numpy's BLAS keeps its own spinning threads; on a machine with
# few cores the two pools starve each other, and an MLP step measured 40x slower. Passive
# waiting costs a few microseconds per parallel region, which only large arrays enter.
# It must be set before libgomp loads (with `_cy`); a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _cy, _cy_conv  # noqa: E402  (ImportError here means an extension was not built)
from .reference import Kernels

# kernels `_cy` implements, by name; each is a method with the reference's signature
_OVERRIDES = (
    "add", "sub", "mul", "div", "maximum", "minimum",
    "eq", "ne", "lt", "le", "gt", "ge",
    "neg", "relu", "sqrt", "clamp", "where",
    "copy", "fill", "contiguous",
    "sum", "mean", "amax", "amin",
)
# and those `_cy_conv` implements (window kernels of convolution and pooling)
_CONV_OVERRIDES = ("im2col", "col2im", "max_pool", "max_pool_backward", "avg_pool",
                   "avg_pool_backward")


class CythonKernels(Kernels):
    name = "cython"
    locals().update({_name: getattr(_cy, _name) for _name in _OVERRIDES})
    locals().update({_name: getattr(_cy_conv, _name) for _name in _CONV_OVERRIDES})
