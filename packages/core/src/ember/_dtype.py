"""dtypes and PyTorch's type-promotion rules.

An ember dtype names a numpy *storage* dtype. bfloat16 has no numpy equivalent,
so it is stored as raw uint16 bits and computed in float32 (see `bf16_to_f32`).
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["dtype", "float16", "float32", "float64", "bfloat16", "uint8", "int8",
           "int16", "int32", "int64", "bool", "half", "float", "double", "short",
           "int", "long", "get_default_dtype", "set_default_dtype", "promote_types",
           "result_type", "can_cast", "finfo", "iinfo"]

_BOOL, _INT, _FLOAT = 0, 1, 2  # promotion categories, in order


class dtype:
    """A tensor element type, e.g. ``ember.float32``.

    >>> import ember
    >>> ember.float32.is_floating_point, ember.int64.itemsize
    (True, 8)
    """

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "_category", "_rank")

    def __init__(self, name, np_dtype, category, rank, itemsize=None):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = itemsize or self.np.itemsize
        self.is_floating_point = category == _FLOAT
        self.is_signed = name not in ("uint8", "bool")
        self._category = category
        self._rank = rank

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):  # dtypes are singletons, also through pickle
        return (_by_name.__getitem__, (self.name,))


bool = dtype("bool", np.bool_, _BOOL, 0)
uint8 = dtype("uint8", np.uint8, _INT, 1)
int8 = dtype("int8", np.int8, _INT, 2)
int16 = dtype("int16", np.int16, _INT, 3)
int32 = dtype("int32", np.int32, _INT, 4)
int64 = dtype("int64", np.int64, _INT, 5)
float16 = dtype("float16", np.float16, _FLOAT, 6)
bfloat16 = dtype("bfloat16", np.uint16, _FLOAT, 6, itemsize=2)
float32 = dtype("float32", np.float32, _FLOAT, 7)
float64 = dtype("float64", np.float64, _FLOAT, 8)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_by_name = {d.name: d for d in ALL}
_by_numpy = {d.np: d for d in ALL if d is not bfloat16}


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype for a numpy dtype; raises TypeError for unsupported ones."""
    try:
        return _by_numpy[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def as_dtype(value) -> dtype:
    """Accept an ember dtype, a numpy dtype, a Python type, or a name like 'float32'."""
    if isinstance(value, dtype):
        return value
    if value is builtins_float:
        return get_default_dtype()
    if value is builtins_int:
        return int64
    if value is builtins_bool:
        return bool
    if isinstance(value, str) and value in _by_name:
        return _by_name[value]
    try:
        return from_numpy_dtype(value)
    except TypeError:
        raise TypeError(f"dtype must be an ember.dtype, got {value!r}") from None


import builtins as _builtins  # noqa: E402  (names above shadow float/int/bool)

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool

# --- default dtype ---------------------------------------------------------------
_default = threading.local()


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors created from Python floats (float32 at start).

    >>> import ember
    >>> ember.get_default_dtype()
    ember.float32
    """
    return getattr(_default, "dtype", float32)


def set_default_dtype(d) -> None:
    """Set the default floating-point dtype (float16, float32 or float64 only)."""
    d = as_dtype(d)
    if d not in (float16, float32, float64, bfloat16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default.dtype = d


# --- promotion -----------------------------------------------------------------
def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both `a` and `b` can be cast to, as in PyTorch.

    >>> import ember
    >>> ember.promote_types(ember.uint8, ember.int8)
    ember.int16
    """
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    if {a, b} == {float16, bfloat16}:
        return float32
    if {a, b} == {uint8, int8}:
        return int16
    return a if a._rank > b._rank else b


def scalar_category(value):
    t = type(value)
    if t is builtins_bool or isinstance(value, np.bool_):
        return _BOOL
    if t is builtins_int or isinstance(value, np.integer):
        return _INT
    if t is builtins_float or isinstance(value, np.floating):
        return _FLOAT
    if isinstance(value, complex):
        raise TypeError("complex numbers are not supported by ember")
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


_CATEGORY_DEFAULT = {_BOOL: bool, _INT: int64}


def result_type(*operands) -> dtype:
    """PyTorch's result type: tensors with dims beat zero-dim tensors, which beat Python
    scalars, unless a lower priority operand is of a higher category (bool < int < float).

    >>> import ember
    >>> ember.result_type(ember.tensor([1, 2]), 1.5)
    ember.float32
    """
    dims = zero_dim = None
    scalar_cat = -1
    for x in operands:
        d = getattr(x, "_dtype", None)  # a Tensor
        if d is not None:
            if x._data.ndim:
                dims = d if dims is None or dims is d else promote_types(dims, d)
            else:
                zero_dim = d if zero_dim is None or zero_dim is d else promote_types(zero_dim, d)
        elif isinstance(x, dtype):
            dims = x if dims is None else promote_types(dims, x)
        else:
            scalar_cat = max(scalar_cat, scalar_category(x))
    result = dims
    if zero_dim is not None:
        if result is None or zero_dim._category > result._category:
            result = zero_dim
    if scalar_cat >= 0 and (result is None or scalar_cat > result._category):
        result = get_default_dtype() if scalar_cat == _FLOAT else _CATEGORY_DEFAULT[scalar_cat]
    if result is None:
        raise TypeError("result_type needs at least one operand")
    return result


def can_cast(from_: dtype, to: dtype) -> _builtins.bool:
    """Whether an in-place op may write a `from_` result into a `to` tensor (same-kind rule).

    >>> import ember
    >>> ember.can_cast(ember.float32, ember.int32)
    False
    """
    return from_._category <= to._category


# --- finfo / iinfo -------------------------------------------------------------
class finfo:
    """Machine limits of a floating-point dtype, as ``torch.finfo``.

    >>> import ember
    >>> ember.finfo(ember.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type=None):
        type = as_dtype(type) if type is not None else get_default_dtype()
        if not type.is_floating_point:
            raise TypeError(f"finfo requires a floating point dtype, got {type}")
        self.dtype = type.name
        if type is bfloat16:
            self.bits, self.eps, self.max = 16, 0.0078125, 3.3895313892515355e38
            self.tiny = self.smallest_normal = 1.1754943508222875e-38
            self.resolution = 0.01
        else:
            info = np.finfo(type.np)
            self.bits = info.bits
            self.eps, self.max = _builtins.float(info.eps), _builtins.float(info.max)
            self.tiny = self.smallest_normal = _builtins.float(info.smallest_normal)
            self.resolution = _builtins.float(info.resolution)
        self.min = -self.max

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:e}, max={self.max:e}, "
                f"eps={self.eps:e}, smallest_normal={self.smallest_normal:e}, "
                f"tiny={self.tiny:e}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype, as ``torch.iinfo``.

    >>> import ember
    >>> ember.iinfo(ember.int8).max
    127
    """

    def __init__(self, type):
        type = as_dtype(type)
        if type.is_floating_point:
            raise TypeError(f"iinfo requires an integer dtype, got {type}")
        info = np.iinfo(np.uint8 if type is bool else type.np)
        self.bits, self.min, self.max = info.bits, _builtins.int(info.min), _builtins.int(info.max)
        self.dtype = type.name
        if type is bool:
            self.bits, self.max = 8, 1

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# --- bfloat16 bit conversion (round to nearest even, as PyTorch) ------------------
def _array_module(x):
    """numpy, or the numpy-like module (cupy) that owns array `x`."""
    if isinstance(x, (np.ndarray, np.generic, _builtins.float, _builtins.int)):
        return np
    import sys
    return sys.modules[type(x).__module__.split(".")[0]]


def f32_to_bf16(x):
    xp = _array_module(x)
    values = xp.asarray(x, dtype=xp.float32)
    # ascontiguousarray makes a 0-d array 1-d: reshape keeps 0-d tensors 0-d
    bits = xp.ascontiguousarray(values).reshape(values.shape).view(xp.uint32)
    rounded = bits + (xp.uint32(0x7FFF) + ((bits >> 16) & xp.uint32(1)))
    out = (rounded >> 16).astype(xp.uint16)
    return xp.asarray(xp.where(xp.isnan(bits.view(xp.float32)), xp.uint16(0x7FC0), out))


def bf16_to_f32(x):
    xp = _array_module(x)
    # 0-d inputs come back from shifts as scalars: keep arrays arrays
    return xp.asarray((xp.asarray(x, dtype=xp.uint16).astype(xp.uint32) << 16)).view(xp.float32)
