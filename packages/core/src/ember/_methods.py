"""Tensor methods and operators.

Each op family module (`_ops/*.py`) lists its methods in ``METHODS`` (name ->
function taking the tensor first); every method, operator and in-place form is thus
the same function as the public op, entering the same dispatcher path.
"""
from __future__ import annotations

import numbers

from . import _dtype as D
from ._ops import FAMILIES, pointwise
from ._tensor import Tensor


def _reflected(fn):
    def method(self, other):
        if not isinstance(other, (Tensor, numbers.Number)):
            return NotImplemented
        return fn(other, self)
    return method


def _forward(fn):
    def method(self, other):
        if not isinstance(other, (Tensor, numbers.Number)):
            return NotImplemented
        return fn(self, other)
    return method


def _invert(self):
    return pointwise.logical_not(self) if self.dtype is D.bool else pointwise.bitwise_not(self)


def _install():
    for module in FAMILIES:
        for name, fn in module.METHODS.items():
            setattr(Tensor, name, fn)
    p = pointwise
    binary = {"add": p.add, "sub": p.sub, "mul": p.mul, "truediv": p.div, "floordiv": p.floor_divide,
              "mod": p.remainder, "pow": p.pow, "and": p.bitwise_and, "or": p.bitwise_or,
              "xor": p.bitwise_xor, "lshift": p.bitwise_left_shift, "rshift": p.bitwise_right_shift}
    for name, fn in binary.items():
        setattr(Tensor, f"__{name}__", _forward(fn))
        setattr(Tensor, f"__r{name}__", _reflected(fn))
        setattr(Tensor, f"__i{name}__", _forward(getattr(Tensor, fn.__name__ + "_")))
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        setattr(Tensor, f"__{name}__", _forward(getattr(p, name)))
    Tensor.__neg__ = p.neg
    Tensor.__pos__ = p.positive
    Tensor.__abs__ = p.abs
    Tensor.__invert__ = _invert


def _install_fast_paths():
    """Put the compiled fast paths (ember._fastpath) in front of the general methods they
    fall back to, unless the pure-Python implementation was asked for."""
    from . import _kernels
    if _kernels._flag("EMBER_PURE_PYTHON"):
        return
    try:
        from . import _fastpath
    except ImportError:
        if _kernels._flag("EMBER_REQUIRE_CYTHON"):
            raise
        return
    from . import _dtype as D
    from ._device import CPU, get_backend
    from ._grad_mode import state
    from ._dispatch import record
    from ._tensor import VersionCounter
    _fastpath.install(Tensor, VersionCounter, CPU, get_backend("cpu"), state,
                      (D.float32, D.float64, D.int32, D.int64), record)
    for name, fast in _fastpath.FAST_METHODS.items():
        _fastpath._general[name] = getattr(Tensor, name)
        setattr(Tensor, name, fast)
    pointwise._fast = _fastpath.function


_install()
_install_fast_paths()
