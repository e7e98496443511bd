"""Indexing: ``t[key]``, ``t[key] = value`` and the index ops.

A key is checked and converted to the backend's index form here (ints, slices,
None, Ellipsis, integer or bool index arrays), so kernels only ever see indices that
are in range.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as D
from .._device import get_backend
from .._dispatch import apply, needs_grad, record, view
from .._grad_mode import state as grad_state
from .._tensor import Tensor, _new_tensor


def _index_array(t: Tensor, dim_size, dim):
    """An index tensor as a backend int64/bool array, bounds-checked."""
    if t.dtype is D.bool or t.dtype is D.uint8:
        return t._data.astype(bool) if t.dtype is D.uint8 else t._data
    if t.dtype.is_floating_point:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return _check_bounds(t._data, dim_size, dim)


def _check_bounds(idx, dim_size, dim):
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -dim_size or hi >= dim_size:
            bad = hi if hi >= dim_size else lo
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {dim_size}")
    return idx


def _normalize_key(t: Tensor, key):
    """(backend key, is_basic) for a user key; raises PyTorch's errors."""
    if not isinstance(key, tuple):
        key = (key,)
    xp = get_backend(t._device.type).xp
    # count dims consumed, to map each entry to its dim for error messages
    consumed = sum(1 if not (k is None or k is Ellipsis or isinstance(k, (bool, np.bool_))) else 0
                   for k in key if not (isinstance(k, Tensor) and k.dtype is D.bool)) + \
        sum(k.ndim for k in key if isinstance(k, Tensor) and k.dtype is D.bool)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    out, basic, dim = [], True, 0
    for k in key:
        if k is Ellipsis:
            out.append(k)
            dim = t.ndim - (consumed - dim)
        elif k is None:
            out.append(None)
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))
            basic = False
        elif isinstance(k, (numbers.Integral, np.integer)):
            k = int(k)
            size = t.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            out.append(k)
            dim += 1
        elif isinstance(k, slice):
            step = 1 if k.step is None else _as_int(k.step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(_as_int(k.start), _as_int(k.stop), step))
            dim += 1
        elif isinstance(k, Tensor):
            out.append(_index_array(k, t.shape[dim] if dim < t.ndim else 0, dim))
            basic = False
            dim += k.ndim if k.dtype is D.bool else 1
        elif isinstance(k, (list, tuple, np.ndarray, range)):
            arr = np.asarray(k)
            if arr.dtype == object or (arr.size and arr.dtype.kind not in "iub"):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if arr.dtype.kind != "b":
                arr = _check_bounds(arr.astype(np.int64), t.shape[dim], dim)
            out.append(xp.asarray(arr) if xp is not np else arr)
            basic = False
            dim += arr.ndim if arr.dtype.kind == "b" else 1
        elif isinstance(k, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got float)")
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(k).__name__})")
    return tuple(out), basic


def _as_int(v):
    if v is None:
        return None
    if isinstance(v, Tensor):
        return int(v.item())
    if not isinstance(v, (numbers.Integral, np.integer)):
        raise TypeError(f"slice indices must be integers or None, got {type(v).__name__}")
    return int(v)


def getitem(self, key):
    """``t[key]``: basic keys give views; index tensors/lists/masks give copies.

    >>> import ember
    >>> x = ember.arange(6).view(2, 3)
    >>> x[:, 1]
    tensor([1, 4])
    >>> x[x > 3]
    tensor([4, 5])
    """
    np_key, basic = _normalize_key(self, key)
    if basic:
        return view("getitem", self, self._data[np_key], {"key": np_key, "shape": self.shape})
    result = _new_tensor(self._data[np_key], self._dtype, self._device)
    if needs_grad((self,)):
        record("getitem", (self,), result, {"key": np_key, "shape": self.shape})
    return result


def setitem(self, key, value):
    """``t[key] = value`` with broadcasting; value may be a number or a tensor."""
    if grad_state.enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
        from .. import _autograd_seam as seam
        return seam.require("__setitem__").apply_inplace(
            "__setitem__", self, lambda old: index_put(old, key, value))
    np_key, _ = _normalize_key(self, key)
    _write(self, np_key, value)
    self._version.bump("__setitem__")


def _write(self, np_key, value):
    from .._dispatch import compute_array
    if isinstance(value, Tensor):
        if value._device != self._device:
            value = value.to(self._device)
        src = compute_array(value, self._dtype if self._dtype is not D.bfloat16 else D.float32)
    elif isinstance(value, (numbers.Number, np.generic)):
        src = value
    else:
        src = np.asarray(value)
    if self._dtype is D.bfloat16:
        src = D.f32_to_bf16(np.asarray(src, np.float32))
    try:
        self._data[np_key] = src
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                               "written-to tensor refer to a single memory location. Please clone() "
                               "the tensor before performing the operation.") from None
        raise RuntimeError(f"shape mismatch: value tensor of shape "
                           f"{list(getattr(value, 'shape', ()))} cannot be broadcast to indexing "
                           f"result ({exc})") from None


def index_put(input, key, value):
    """Out-of-place ``t[key] = value`` (the differentiable form autograd uses)."""
    result = input.clone()
    with _no_grad():
        setitem(result, key, value)
    if needs_grad((input,) + ((value,) if isinstance(value, Tensor) else ())):
        np_key, _ = _normalize_key(input, key)
        record("index_put", (input, value) if isinstance(value, Tensor) else (input,), result,
               {"key": np_key})
    return result


def _no_grad():
    from .._grad_mode import no_grad
    return no_grad()


__all__ = []
METHODS = {"__getitem__": getitem, "__setitem__": setitem}
