"""Reference reductions: ``op(a, dims, keepdim, **params) -> array``."""
from __future__ import annotations


class ReductionKernels:
    def sum(self, a, dims, keepdim):
        return self.xp.sum(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def prod(self, a, dims, keepdim):
        return self.xp.prod(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def mean(self, a, dims, keepdim):
        return self.xp.mean(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def amax(self, a, dims, keepdim):
        return self.xp.amax(a, axis=dims, keepdims=keepdim)

    def amin(self, a, dims, keepdim):
        return self.xp.amin(a, axis=dims, keepdims=keepdim)

    def all(self, a, dims, keepdim):
        return self.xp.all(a, axis=dims, keepdims=keepdim)

    def any(self, a, dims, keepdim):
        return self.xp.any(a, axis=dims, keepdims=keepdim)
