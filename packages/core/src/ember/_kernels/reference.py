"""The pure-Python reference kernels: numpy (or any numpy-like array module `xp`)
over strided views. Short and obviously right; the Cython kernels (`cython.py`) and
device plugins (ember-cuda) subclass `Kernels` and override what they speed up.

The interface, by family:

* pointwise: ``op(out, *inputs, **params)`` writes into `out` (an array of the result
  shape); inputs are arrays broadcastable to it (any strides) or Python scalars,
  already in the compute dtype. Overlap between `out` and an input is allowed.
* reductions: ``op(a, dims, keepdim, **params) -> array`` with `dims` a sorted tuple.
* everything else: ``op(*arrays, *args, **params) -> array | tuple of arrays``; the
  op's Python front end has checked every index, shape and size before the call.
"""
from __future__ import annotations

import math

from .pointwise_ref import PointwiseKernels
from .reduction_ref import ReductionKernels
from .indexing_ref import IndexingKernels
from .shape_ref import ShapeKernels
from .linalg_ref import LinalgKernels
from .conv_ref import ConvKernels
from .loss_ref import LossKernels


class Kernels(PointwiseKernels, ReductionKernels, IndexingKernels, ShapeKernels, LinalgKernels,
              LossKernels, ConvKernels):
    """The kernel table of one device backend (a reference implementation over `xp`)."""

    name = "pure"

    def __init__(self, xp):
        self.xp = xp

    def copy(self, dst, src):
        """dst[...] = src, broadcasting and casting (float->int truncates, as in C)."""
        self.xp.copyto(dst, src, casting="unsafe")

    def fill(self, dst, value):
        dst[...] = value

    def contiguous(self, a):
        return self.xp.ascontiguousarray(a)

    def cast(self, a, np_dtype):
        return a.astype(np_dtype)


__all__ = ["Kernels", "math"]
