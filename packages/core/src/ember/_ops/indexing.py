"""Indexing: ``t[key]``, ``t[key] = value`` and the index ops (gather, scatter,
index_select/add/copy/fill/put, take, put, masked_*, nonzero).

Note [Indexing semantics]
    A key is resolved as PyTorch does, in two steps. The *basic* entries (ints,
    slices, None, Ellipsis, 0-d integer tensors) select a view of the tensor. The
    *advanced* entries (integer tensors and lists, bool masks, and Python bools,
    which index a new unit dim) then index that view as numpy would: when they are
    adjacent their broadcast dims take their place, otherwise they move to the front.
    Because ints are basic here (numpy counts them as advanced), ``x[0, :, [1, 2]]``
    has shape (n1, 2) as in PyTorch, not (2, n1) as in numpy.

    Every index is checked here (dtype, shape, range) and made non-negative before a
    kernel sees it; kernels run without bounds checks.

Note [What autograd records]
    Keys recorded in params are backend keys whose numpy meaning equals their
    PyTorch meaning (so ``t[key]`` and ``index_put(t, key, v)`` accept them back)::

      getitem   (input,)                     {"key", "shape"}   a view: ints/slices/None
      index     (input,)                     {"key"}            slice(None)s and int64 arrays
      index_put (input, values)              {"key", "accumulate"}

    The other ops record their public name with inputs ``(input, index, src...)``
    and params as the kernel takes them; a scalar operand (a fill value, a scatter
    value) is passed in params under the name its tensor form would have.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import _autograd_seam as seam
from .. import _dtype as D
from .._device import get_backend
from .._dispatch import (_type_name, apply, broadcast_shapes, common_device, compute_array,
                         compute_dtype, needs_grad, store, view, wrap_dim)
from .._tensor import Tensor, _new_tensor

_FULL = slice(None)
_INDEX_TYPES = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables " \
               "are valid indices (got {})"
_NOT_INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"
_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")


# --- helpers shared by the ops below ---------------------------------------------------
def _kernels(t):
    return get_backend(t._device.type).kernels


def _on_device(array, t):
    """`array` (numpy or another backend's) as an array of `t`'s backend."""
    xp = _kernels(t).xp
    if isinstance(array, np.ndarray) and xp is np:
        return array
    if not isinstance(array, np.ndarray) and xp is not np:
        return xp.asarray(array)
    if xp is np:
        return np.asarray(array.get())  # a device array indexing a CPU tensor
    return xp.asarray(array)


def _in_range(idx, size, prefix, dim=None, negative=True, error=IndexError):
    """`idx` (int64 array) made non-negative, after checking each value is in
    [-size, size) (or [0, size) without `negative`)."""
    if idx.size == 0:
        return idx
    lo, hi = int(idx.min()), int(idx.max())
    low = -size if negative else 0
    if lo < low or hi >= size:
        bad = hi if hi >= size else lo
        where = f"dimension {dim} with size {size}" if dim is not None else f"size {size}"
        raise error(f"{prefix}index {bad} is out of bounds for {where}")
    if lo < 0:
        idx = idx + (idx < 0) * size
    return idx


def _index_arg(index, op, dtypes=(D.int64, D.int32), error=RuntimeError, message=None,
               argname="index"):
    """Check that `index` is a tensor of an accepted integer dtype."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument '{argname}' must be Tensor, not {type(index).__name__}")
    if index._dtype not in dtypes:
        raise error(message or f"{op}(): Expected dtype int64 for index, but got "
                                f"{_type_name(index._dtype)}")
    return index


def _as_long(index, array):
    """An int64 tensor over `array` (the normalised values of `index`); `index` itself
    when nothing changed."""
    if array is index._data and index._dtype is D.int64:
        return index
    return _new_tensor(array.astype(np.int64, copy=False), D.int64, index._device)


def _checked_index(index, size, dim=None, negative=False, error=RuntimeError, prefix=""):
    """`index` as a non-negative int64 tensor, every value checked against `size`
    (`prefix` starts the error message, e.g. "gather(): ")."""
    arr = _in_range(index._data.astype(np.int64, copy=False), size, prefix, dim, negative, error)
    return _as_long(index, arr)


def _checked_scalar(value, dtype, op):
    """A Python number for a write into `dtype`, refusing values that overflow it."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, (numbers.Number, np.generic)):
        raise TypeError(f"{op}(): value must be a Number, not {type(value).__name__}")
    if dtype is D.bool:
        return bool(value)
    if dtype.is_floating_point:
        return float(value)  # too large for the dtype: stored as inf, as PyTorch does
    info = np.iinfo(dtype.np)
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        raise RuntimeError(f"value cannot be converted to type {dtype.name}_t without overflow")
    value = int(value)
    low = -info.max if dtype is D.uint8 else info.min  # uint8 accepts negatives that wrap
    if not low <= value <= info.max:
        raise RuntimeError(f"value cannot be converted to type {dtype.name}_t without overflow")
    return np.array(value).astype(dtype.np)[()] if value < 0 and dtype is D.uint8 else value


_FLOAT_MAX = {}  # dtype -> its largest finite value (finfo is slow to build)


def _kernel_scalar(value, dtype):
    """A scalar as the kernel's compute dtype expects it (bfloat16 computes in float32)."""
    return value if dtype is not D.bfloat16 else float(value)


def _check_writable(self, op):
    if not getattr(self._data.flags, "writeable", True):
        raise RuntimeError(f"{op}(): {_OVERLAP}")


def _inplace(name, self, inputs, params, compute):
    """Run the write kernel ``name`` on `self`'s memory; `inputs` are the other tensor
    operands (their arrays follow `self`'s in the kernel call). With autograd
    recording, `compute(old)` (the out-of-place op) goes through the engine."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{name}(): self must be a Tensor, not {type(self).__name__}")
    if needs_grad((self,) + inputs):
        return seam.require(name).apply_inplace(name, self, compute)
    _check_writable(self, name)
    common_device((self,) + inputs, name)
    kernels = _kernels(self)
    compute_t = compute_dtype(self._dtype)
    arrays = []
    for t in inputs:
        a = compute_array(t, compute_dtype(t._dtype))
        if a is t._data and _overlaps(kernels, a, self._data):
            a = a.copy()  # reading what we write would see half-written values
        arrays.append(a)
    if compute_t is self._dtype:
        getattr(kernels, name)(self._data, *arrays, **params)
    else:
        tmp = compute_array(self, compute_t)
        getattr(kernels, name)(tmp, *arrays, **params)
        store(self, tmp)
    self._version_counter.bump(name)
    return self


def _overlaps(kernels, a, b):
    share = getattr(kernels.xp, "may_share_memory", None)
    return share is not None and bool(share(a, b))


def _dim_size(t, dim):
    return t.shape[dim] if t.ndim else 1


# --- keys: parsing ``t[key]`` --------------------------------------------------------
def _sequence_as_tuple(key):
    """PyTorch's legacy rule: a short list holding slices, None, ..., sequences or
    tensors is read as a tuple of indices (with a deprecation warning)."""
    if not isinstance(key, list) or len(key) >= 32:
        return False
    return any(k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor, np.ndarray))
               for k in key)


def _entry_array(k, t):
    """A list/array index entry as an int64 or bool backend array."""
    if isinstance(k, (list, tuple, range)):
        try:
            arr = np.asarray(k)
        except ValueError:
            raise IndexError(_NOT_INDEX_DTYPE) from None
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)  # [] indexes nothing
    else:
        arr = k
    kind = arr.dtype.kind
    if kind == "b":
        return _on_device(arr, t)
    if kind not in "iu":
        raise IndexError(_NOT_INDEX_DTYPE)
    return _on_device(arr.astype(np.int64, copy=False), t)


def _classify(t, key):
    """[(kind, payload)] for the entries of a user key, and the dims they consume."""
    if isinstance(key, tuple):
        entries = key
    elif _sequence_as_tuple(key):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use "
                      "x[tuple(seq)] instead of x[seq]. A later version will read it as a tensor "
                      "index, x[ember.tensor(seq)].", UserWarning, stacklevel=4)
        entries = tuple(key)
    else:
        entries = (key,)
    items, consumed, ellipsis = [], 0, False
    for k in entries:
        kind = type(k)
        if kind is int or kind is slice:  # the common cases first: abc checks are slow
            items.append(("int" if kind is int else "slice", k))
            consumed += 1
        elif k is None:
            items.append(("none", None))
        elif k is Ellipsis:
            if ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            ellipsis = True
            items.append(("ellipsis", None))
        elif isinstance(k, (bool, np.bool_)):
            items.append(("bool", bool(k)))
        elif isinstance(k, (numbers.Integral, np.integer)):
            items.append(("int", int(k)))
            consumed += 1
        elif isinstance(k, slice):
            items.append(("slice", k))
            consumed += 1
        elif isinstance(k, Tensor):
            dt = k._dtype
            if dt.is_floating_point:
                raise IndexError(_NOT_INDEX_DTYPE)
            if dt is D.uint8:
                warnings.warn("indexing with dtype ember.uint8 is now deprecated, please use a "
                              "dtype ember.bool instead.", UserWarning, stacklevel=4)
            if k.ndim == 0:
                items.append(("bool", bool(k.item())) if dt in (D.bool, D.uint8)
                             else ("int", int(k.item())))
                consumed += dt not in (D.bool, D.uint8)
                continue
            arr = k._data.astype(bool) if dt is D.uint8 else k._data
            if k._device != t._device:
                if k._device.type != "cpu":  # CPU indices may index any device, as in PyTorch
                    raise RuntimeError("indices should be either on cpu or on the same device as "
                                       f"the indexed tensor ({t._device})")
                arr = _on_device(get_backend(k._device.type).to_host(arr), t)
            items.append(("array", arr))
            consumed += arr.ndim if dt in (D.bool, D.uint8) else 1
        elif isinstance(k, (list, tuple, range)) or (hasattr(k, "dtype") and hasattr(k, "ndim")):
            arr = _entry_array(k, t)
            items.append(("array", arr))
            consumed += arr.ndim if arr.dtype.kind == "b" else 1
        else:
            name = "float" if isinstance(k, float) else type(k).__name__
            raise IndexError(_INDEX_TYPES.format(name))
    return items, consumed


def _slice_bound(v):
    if v is None:
        return None
    if isinstance(v, Tensor):
        return int(v.item())
    if not isinstance(v, (numbers.Integral, np.integer)) and not hasattr(v, "__index__"):
        raise TypeError(f"slice indices must be integers or None or have an __index__ method, "
                        f"got {type(v).__name__}")
    return int(v.__index__())


def _parse(t, key):
    """(basic, adv) for a user key: `basic` a tuple numpy key of ints (>= 0), slices
    and None (ending in Ellipsis) giving a view; `adv` None, or a tuple of slice(None) and int64 arrays
    (>= 0, in range) indexing that view."""
    items, consumed = _classify(t, key)
    shape, ndim = t.shape, t.ndim
    if ndim == 0 and any(kind in ("int", "slice") for kind, _ in items):
        if items[0][0] == "slice":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    xp = _kernels(t).xp
    basic, adv = [], {}
    dim = vdim = 0  # dim of `t`, dim of the basic view
    for kind, k in items:
        if kind == "none":
            basic.append(None)
            vdim += 1
        elif kind == "ellipsis":
            n = ndim - consumed
            basic.extend([_FULL] * n)
            dim, vdim = dim + n, vdim + n
        elif kind == "bool":  # a new unit dim, indexed by [0] (True) or [] (False)
            basic.append(None)
            adv[vdim] = xp.zeros(1 if k else 0, xp.int64)
            vdim += 1
        elif kind == "int":
            size = shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            basic.append(k + size if k < 0 else k)
            dim += 1
        elif kind == "slice":
            step = 1 if k.step is None else _slice_bound(k.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            basic.append(slice(_slice_bound(k.start), _slice_bound(k.stop), step))
            dim, vdim = dim + 1, vdim + 1
        elif k.dtype.kind == "b":  # a mask: its True positions, one array per dim it covers
            m = k.ndim
            covered = tuple(shape[dim:dim + m])
            for j in range(m):
                if k.shape[j] != covered[j]:
                    raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does not "
                                     f"match the shape of the indexed tensor {list(shape)} at index "
                                     f"{dim + j}")
            for j, coords in enumerate(xp.nonzero(k)):
                basic.append(_FULL)
                adv[vdim + j] = coords.astype(xp.int64, copy=False)
            dim, vdim = dim + m, vdim + m
        else:
            adv[vdim] = _in_range(k, shape[dim], "", dim)
            basic.append(_FULL)
            dim, vdim = dim + 1, vdim + 1
    basic.append(Ellipsis)  # numpy gives a 0-d view, not a scalar, when every dim gets an int
    if not adv:
        return tuple(basic), None
    shapes = [a.shape for a in adv.values()]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         f"shapes {', '.join(str(list(s)) for s in shapes)}") from None
    return tuple(basic), tuple(adv.get(i, _FULL) for i in range(max(adv) + 1))


def _trivial(basic):
    return all(k is Ellipsis or k == _FULL or k == slice(None, None, 1) for k in basic)


def _indexed_shape(shape, adv):
    """The shape of ``array[adv]`` for an array of `shape` (numpy's placement rule)."""
    where = [i for i, k in enumerate(adv) if not isinstance(k, slice)]
    if not where:
        return tuple(shape)
    broadcast = tuple(np.broadcast_shapes(*[adv[i].shape for i in where]))
    rest = [n for i, n in enumerate(shape) if i not in where]
    if where == list(range(where[0], where[-1] + 1)):
        return tuple(rest[:where[0]]) + broadcast + tuple(rest[where[0]:])
    return broadcast + tuple(rest)


# --- getitem / setitem / index_put ---------------------------------------------------
def getitem(self, key):
    """``t[key]``: basic keys give views; index tensors, lists and masks give copies.

    >>> import ember
    >>> x = ember.arange(6).view(2, 3)
    >>> x[:, 1]
    tensor([1, 4])
    >>> x[x > 3]
    tensor([4, 5])
    >>> x[1, [0, 2]]
    tensor([3, 5])
    """
    basic, adv = _parse(self, key)
    result = self
    if adv is None or not _trivial(basic):
        result = view("getitem", self, self._data[basic], {"key": basic, "shape": self.shape})
    if adv is not None:
        result = apply("index", (result,), {"key": adv})
    return result


def _value_tensor(self, value, op):
    """A value for ``t[key] = value``: a tensor, or a number as a 0-d tensor of t's dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (numbers.Number, np.generic)):
        v = _checked_scalar(value, self._dtype, op)
        array = np.asarray(D.f32_to_bf16(np.float32(v)) if self._dtype is D.bfloat16 else v,
                           dtype=self._dtype.np)
        return _new_tensor(_on_device(array, self), self._dtype, self._device)
    from .creation import LEGACY_NAMES
    raise TypeError(f"can't assign a {type(value).__name__} to a ember.{LEGACY_NAMES[self._dtype.name]}")


def _fit_values(values, result_shape, copy_rule):
    """`values` with the leading unit dims PyTorch ignores dropped, after checking it
    broadcasts to `result_shape` (copy_'s wording for basic keys, index_put's else)."""
    shape = tuple(values.shape)
    while len(shape) > len(result_shape) and shape[0] == 1:
        shape = shape[1:]
    ok = len(shape) <= len(result_shape)
    offset = len(result_shape) - len(shape)
    for i, s in enumerate(shape if ok else ()):
        target = result_shape[i + offset]
        if s != 1 and s != target:
            if copy_rule:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target}) must match the existing size ({s}) "
                    f"at non-singleton dimension {i + offset}.  Target sizes: {list(result_shape)}.  "
                    f"Tensor sizes: {list(values.shape)}")
            ok = False
    if not ok:
        if copy_rule:
            raise RuntimeError(f"expand({list(values.shape)}, size={list(result_shape)}): the number "
                               f"of sizes provided ({len(result_shape)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({len(shape)})")
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(result_shape)}")
    return values if shape == tuple(values.shape) else values.reshape(shape)


def _check_same_dtype_put(self, values):
    if values._dtype is not self._dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_name(self._dtype)} for the destination and "
                           f"{_type_name(values._dtype)} for the source.")


def setitem(self, key, value):
    """``t[key] = value`` with broadcasting; value is a number or a tensor (cast for
    basic keys; for index keys it must have t's dtype, as in PyTorch).

    >>> import ember
    >>> x = ember.zeros(2, 3)
    >>> x[0, [0, 2]] = 5
    >>> x[1:] = ember.tensor([1., 2., 3.])
    >>> x
    tensor([[5., 0., 5.],
            [1., 2., 3.]])
    """
    if not isinstance(value, (Tensor, numbers.Number, np.generic)):
        _value_tensor(self, value, "__setitem__")  # raises PyTorch's TypeError
    basic, adv = _parse(self, key)
    if adv is None and not self._data[basic].size:  # an empty selection: nothing to write
        self._version_counter.bump("__setitem__")
        return
    if adv is None and not isinstance(value, Tensor) and not needs_grad((self,)):
        # a number into a view: one fill, no temporary tensor
        _check_writable(self, "__setitem__")
        v = _checked_scalar(value, self._dtype, "__setitem__")
        _kernels(self).fill(self._data[basic], D.f32_to_bf16(np.float32(v))
                            if self._dtype is D.bfloat16 else v)
        self._version_counter.bump("__setitem__")
        return
    values = _value_tensor(self, value, "__setitem__")
    if adv is not None:
        _check_same_dtype_put(self, values)
    if needs_grad((self, values)):
        return seam.require("__setitem__").apply_inplace(
            "__setitem__", self, lambda old: _put(old, basic, adv, values, False))
    _check_writable(self, "__setitem__")
    if adv is None:  # a copy_ into a view, which may cross devices as copy_ does
        values = values.to(self._device)
        target = self._data[basic]
        src = compute_array(_fit_values(values, target.shape, True), compute_dtype(self._dtype))
        if self._dtype is D.bfloat16:
            src = D.f32_to_bf16(np.asarray(src, np.float32))
        _kernels(self).copy(target, src)
        self._version_counter.bump("__setitem__")
    else:
        common_device((self, values), "__setitem__")
        _write_at(self, basic, adv, values, False, "__setitem__")


def _write_at(self, basic, key, values, accumulate, op):
    """In place: ``self[basic][key] = values`` (``+=`` when accumulating)."""
    kernels = _kernels(self)
    target = self._data[basic]
    values = _fit_values(values, _indexed_shape(target.shape, key), False)
    if self._dtype is D.bfloat16 and accumulate:  # sums need float32, not raw bits
        tmp = D.bf16_to_f32(target)
        kernels.index_put_(tmp, compute_array(values, D.float32), key, True)
        target[...] = D.f32_to_bf16(tmp)
    else:
        src = values._data  # same dtype as self
        if _overlaps(kernels, src, self._data):
            src = src.copy()
        kernels.index_put_(target, src, key, accumulate)
    self._version_counter.bump(op)
    return self


def _put(input, basic, adv, values, accumulate):
    """Out-of-place ``input[basic][adv] = values``, built from recorded pieces."""
    if adv is None:
        fitted = _fit_values(values, input._data[basic].shape, True)
        return _index_put(input, basic, fitted.to(input._dtype), False)
    if _trivial(basic):
        return _index_put(input, adv, values, accumulate)
    part = getitem(input, basic)
    return _index_put(input, basic, _index_put(part, adv, values, accumulate), False)


def _index_put(input, key, values, accumulate):
    """Out-of-place write of `values` (input's dtype) at a parsed `key` (basic, or
    advanced), recorded as 'index_put'."""
    _check_same_dtype_put(input, values)
    if any(hasattr(k, "dtype") for k in key):
        shape = _indexed_shape(input.shape, key)
    else:
        shape = input._data[key].shape
    values = _fit_values(values, shape, False)
    return apply("index_put", (input, values), {"key": key, "accumulate": bool(accumulate)})


def _indices_key(self, indices, op):
    """index_put's `indices` (index tensors, None meaning a whole dim) as a user key."""
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    key = tuple(_FULL if k is None else k for k in indices)
    consumed = sum(k.ndim if isinstance(k, Tensor) and k._dtype in (D.bool, D.uint8) else 1
                   for k in key)
    if consumed > self.ndim or (key and self.ndim == 0):  # PyTorch: even a 0-d mask
        raise IndexError(f"{op}(): too many indices for tensor of dimension {self.ndim} "
                         f"(got {len(key)})")
    return key


def _index_put_args(self, indices, values, op, position):
    if not isinstance(values, Tensor):
        raise TypeError(f"{op}(): argument 'values' (position {position}) must be Tensor, not "
                        f"{type(values).__name__}")
    basic, adv = _parse(self, _indices_key(self, indices, op))
    _check_same_dtype_put(self, values)
    return basic, adv if adv is not None else (_FULL,) * min(self.ndim, 1)


def index_put_(self, indices, values, accumulate=False):
    """``self[indices] = values`` in place (`indices` a tuple of index tensors, None
    meaning a whole dim); with ``accumulate=True`` repeated indices add up.

    >>> import ember
    >>> ember.zeros(3).index_put_((ember.tensor([0, 0, 2]),), ember.tensor(1.), accumulate=True)
    tensor([2., 0., 1.])
    """
    basic, adv = _index_put_args(self, indices, values, "index_put_", 2)
    if needs_grad((self, values)):
        return seam.require("index_put_").apply_inplace(
            "index_put_", self, lambda old: _put(old, basic, adv, values, accumulate))
    _check_writable(self, "index_put_")
    common_device((self, values), "index_put_")
    return _write_at(self, basic, adv, values, bool(accumulate), "index_put_")


def index_put(input, indices, values, accumulate=False):
    """Out-of-place `index_put_`.

    >>> import ember
    >>> ember.index_put(ember.zeros(3), (ember.tensor([1]),), ember.tensor(5.))
    tensor([0., 5., 0.])
    """
    basic, adv = _index_put_args(input, indices, values, "index_put", 3)
    return _put(input, basic, adv, values, accumulate)


# --- gathers ------------------------------------------------------------------------
def _with_out(result, out, op, inputs):
    """Honour ``out=`` for a result computed through other recorded ops."""
    if out is None:
        return result
    from .._dispatch import check_out, write_out
    check_out(out, op, inputs)
    return write_out(out, result.detach(), op)


def index_select(input, dim, index, *, out=None):
    """The slices ``index`` (a 1-D int tensor) of `input` along `dim`.

    >>> import ember
    >>> ember.arange(6).view(2, 3).index_select(1, ember.tensor([2, 0]))
    tensor([[2, 0],
            [5, 3]])
    """
    _index_arg(index, "index_select",
               message="index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = wrap_dim(dim, input.ndim, "index_select")
    index = _checked_index(index.reshape(-1), _dim_size(input, dim), dim, error=IndexError,
                           prefix="index_select(): index out of range in self: ")
    if input.ndim == 0:  # a 0-d input reads as shape (1,) and gives a 0-d result
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{index.numel()} value(s)")
        return _with_out(index_select(input.reshape(1), 0, index).reshape(()), out,
                         "index_select", (input,))
    return apply("index_select", (input, index), {"dim": dim}, out=out)


def _check_gather_shapes(input, index, dim, op):
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input "
                           f"tensor ({index.ndim} vs {input.ndim})")
    for d in range(index.ndim):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be no larger than self {list(input.shape)} "
                               f"apart from dimension {dim}")


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (index no larger than input
    outside `dim`).

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    _index_arg(index, "gather", message="gather(): Expected dtype int32/int64 for index")
    common_device((input, index), "gather")
    dim = wrap_dim(dim, input.ndim, "gather")
    if index.numel():
        _check_gather_shapes(input, index, dim, "gather")
    index = _checked_index(index, _dim_size(input, dim), dim, prefix="gather(): ")
    if (input.ndim <= 1 and index.ndim <= 1) or index.numel() == 0:  # a plain 1-D lookup
        result = apply("index", (input.reshape(-1),), {"key": (index._data.reshape(-1),)})
        return _with_out(result.reshape(index.shape), out, "gather", (input,))
    return apply("gather", (input, index), {"dim": dim}, out=out)


def take(input, index, *, out=None):
    """`input` read as 1-D (C order) at `index`; the result has index's shape.

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).take(ember.tensor([3, -4]))
    tensor([4, 1])
    """
    _index_arg(index, "take", (D.int64,), message="take(): Expected a long tensor for index, but "
               f"got {_type_name(index._dtype) if isinstance(index, Tensor) else ''}")
    n = input.numel()
    index = _checked_index(index, n, negative=True, error=IndexError,
                           prefix=f"take(): out of range: tried to access an element of a tensor "
                                  f"of {n} elements: ")
    return apply("take", (input, index), {}, out=out)


def take_along_dim(input, indices, dim=None, *, out=None):
    """Values of `input` at `indices` along `dim` (other dims broadcast; negative
    indices count from the end); with ``dim=None`` both are read flat.

    >>> import ember
    >>> x = ember.tensor([[10, 30, 20], [60, 40, 50]])
    >>> x.take_along_dim(ember.tensor([[1], [0]]), 1)
    tensor([[30],
            [60]])
    """
    _index_arg(indices, "take_along_dim", (D.int64,), argname="indices",
               message="take_along_dim(): dtype of indices should be Long but got "
                       f"{_type_name(indices._dtype) if isinstance(indices, Tensor) else ''}")
    if dim is None:  # PyTorch reads flat through gather, so negatives are refused here
        return gather(input.reshape(-1), 0, indices.reshape(-1), out=out)
    dim = wrap_dim(dim, input.ndim, "take_along_dim")
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    shape_in, shape_idx = list(input.shape), list(indices.shape)
    shape_in[dim] = shape_idx[dim] = 1
    common = list(broadcast_shapes(tuple(shape_in), tuple(shape_idx)))
    indices = _normalized(indices, _dim_size(input, dim), "take_along_dim", dim)
    a_shape, i_shape = list(common), list(common)
    a_shape[dim], i_shape[dim] = input.shape[dim], indices.shape[dim]
    return gather(input.expand(*a_shape), dim, indices.expand(*i_shape), out=out)


def _normalized(index, size, op, dim):
    """An index tensor whose negative values (allowed by `op`) count from the end."""
    return _checked_index(index, size, dim, negative=True, error=IndexError, prefix=f"{op}(): ")


def _check_mask(mask, op, message):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._dtype is not D.bool:
        raise RuntimeError(message.format(dtype=_type_name(mask._dtype)))


def masked_select(input, mask, *, out=None):
    """The elements of `input` where `mask` is True (both broadcast), as 1-D.

    >>> import ember
    >>> x = ember.tensor([[1, 2], [3, 4]])
    >>> x.masked_select(ember.tensor([True, False]))
    tensor([1, 3])
    """
    _check_mask(mask, "masked_select", "masked_select: expected BoolTensor for mask, got {dtype}")
    shape = broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return apply("masked_select", (input.expand(*shape), mask.expand(*shape)), {}, out=out)


def nonzero(input, *, out=None, as_tuple=False):
    """Coordinates of the non-zero elements: an (n, ndim) int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dim (a 0-d input counts as 1-D).

    >>> import ember
    >>> ember.tensor([[0, 1], [2, 0]]).nonzero()
    tensor([[0, 1],
            [1, 0]])
    >>> ember.tensor([0, 5, 7]).nonzero(as_tuple=True)
    (tensor([1, 2]),)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"nonzero(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not as_tuple:
        return apply("nonzero", (input,), {}, out=out, result_dtype=D.int64, differentiable=False)
    src = input.reshape(1) if input.ndim == 0 else input
    coords = apply("nonzero", (src,), {}, result_dtype=D.int64, differentiable=False)
    return tuple(coords[:, d].contiguous() for d in range(src.ndim))


def argwhere(input):
    """``nonzero(input)``: an (n, ndim) tensor of coordinates.

    >>> import ember
    >>> ember.argwhere(ember.tensor([0, 3, 4]))
    tensor([[1],
            [2]])
    """
    return nonzero(input)


# --- writes -------------------------------------------------------------------------
def _write(op, self, operands, params, out, inplace, compute):
    """Tail of every write op: in place on self's memory, or on a copy via `apply`."""
    if inplace:
        return _inplace(op + "_", self, operands, params, compute)
    return apply(op, (self,) + operands, params, out=out)


def _through_1d(self, out, inplace, op, run):
    """A write on a 0-d tensor, run on its (1,) view (kernels see one dim)."""
    result = run(self.reshape(1))
    if inplace:
        return self
    return _with_out(result.reshape(()), out, op, (self,))


def _flat(t):
    return t.reshape(-1) if isinstance(t, Tensor) else t


def _scatter_args(self, dim, index, src, value, op):
    """Checked (dim, index, src, value) for the scatter family; exactly one of src
    (a tensor of self's dtype) and value (a number) is set."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(self).__name__}")
    _index_arg(index, op, message=f"{op}(): Expected dtype int32/int64 for index")
    dim = wrap_dim(dim, self.ndim, op)
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 2.0): the value given positionally
    if isinstance(src, Tensor):
        if src._dtype is not self._dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                               f"({_type_name(self._dtype)} vs {_type_name(src._dtype)})")
    elif value is None:
        raise TypeError(f"{op}(): expected a 'src' tensor or a 'value' number")
    if index.numel():
        if max(index.ndim, 1) != max(self.ndim, 1):
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                               f"self tensor ({index.ndim} vs {self.ndim})")
        if isinstance(src, Tensor) and max(src.ndim, 1) != max(index.ndim, 1):
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                               f"src tensor ({index.ndim} vs {src.ndim})")
        too_big = any(index.shape[d] > self.shape[d] for d in range(index.ndim) if d != dim)
        if isinstance(src, Tensor):
            too_big = too_big or any(index.shape[d] > _flat(src).shape[0] if src.ndim == 0 else
                                     index.shape[d] > src.shape[d] for d in range(index.ndim))
        if too_big:
            extra = f" and to be no larger size than src {list(src.shape)}" \
                if isinstance(src, Tensor) else ""
            raise RuntimeError(f"{op}(): Expected index {list(index.shape)} to be no larger than "
                               f"self {list(self.shape)} apart from dimension {dim}{extra}")
    index = _checked_index(index, _dim_size(self, dim), dim, prefix=f"{op}(): ")
    if self.ndim and index.ndim == 0:  # one index into a 1-D self: read as shape (1,)
        index = index.reshape(1)
        src = src.reshape(1) if isinstance(src, Tensor) and src.ndim == 0 else src
    if value is not None:
        value = _checked_scalar(value, self._dtype, op)
    return dim, index, src, value


def _scatter_operands(self, index, src, value, params):
    """(tensor operands, params): a number goes in params under 'src', as the kernel takes it."""
    if isinstance(src, Tensor):
        return (index, src), params
    return (index,), dict(params, src=_kernel_scalar(value, self._dtype))


def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    """Write `src` (or the number `value`) into a copy of `input` at `index` along
    `dim`: ``out[i][index[i][j]] = src[i][j]`` for dim=1; ``reduce='add'|'multiply'``
    combines instead.

    >>> import ember
    >>> ember.zeros(2, 3).scatter(1, ember.tensor([[2], [0]]), ember.tensor([[1.], [2.]]))
    tensor([[0., 0., 1.],
            [2., 0., 0.]])
    """
    return _scatter(input, dim, index, src, value, reduce, out, False)


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    """In-place `scatter`.

    >>> import ember
    >>> ember.zeros(3).scatter_(0, ember.tensor([1]), 7.0)
    tensor([0., 7., 0.])
    """
    return _scatter(self, dim, index, src, value, reduce, None, True)


def _scatter(self, dim, index, src, value, reduce, out, inplace):
    op = "scatter"
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"{op}(): reduce argument must be either add or multiply, got {reduce!r}")
    dim, index, src, value = _scatter_args(self, dim, index, src, value, op)
    if reduce is not None and isinstance(src, Tensor):
        warnings.warn("The reduce argument of scatter with Tensor src is deprecated; use "
                      "scatter_reduce instead for more reduction options.", UserWarning,
                      stacklevel=3)
    if self.ndim == 0:
        return _through_1d(self, out, inplace, op, lambda flat: _scatter(
            flat, 0, index.reshape(-1), _flat(src), value, reduce, None, inplace))
    operands, params = _scatter_operands(self, index, src, value, {"dim": dim, "reduce": reduce})
    return _write(op, self, operands, params, out, inplace,
                  lambda old: scatter(old, dim, index, src, value=value, reduce=reduce))


def scatter_add(input, dim, index, src, *, out=None):
    """Add `src` into a copy of `input` at `index` along `dim`; repeats sum.

    >>> import ember
    >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
    tensor([3., 0., 3.])
    """
    return _scatter_add(input, dim, index, src, out, False)


def scatter_add_(self, dim, index, src):
    """In-place `scatter_add`.

    >>> import ember
    >>> ember.ones(2).scatter_add_(0, ember.tensor([1, 1]), ember.tensor([2., 3.]))
    tensor([1., 6.])
    """
    return _scatter_add(self, dim, index, src, None, True)


def _scatter_add(self, dim, index, src, out, inplace):
    op = "scatter_add"
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")
    dim, index, src, _ = _scatter_args(self, dim, index, src, None, op)
    if self.ndim == 0:
        return _through_1d(self, out, inplace, op, lambda flat: _scatter_add(
            flat, 0, index.reshape(-1), _flat(src), None, inplace))
    return _write(op, self, (index, src), {"dim": dim}, out, inplace,
                  lambda old: scatter_add(old, dim, index, src))


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """Reduce `src` into a copy of `input` at `index` along `dim` with ``reduce`` one of
    'sum', 'prod', 'mean', 'amax', 'amin'; ``include_self=False`` leaves the old values
    of written positions out. Integer means round down.

    >>> import ember
    >>> x = ember.tensor([1., 2., 3.])
    >>> x.scatter_reduce(0, ember.tensor([0, 0, 1]), ember.tensor([4., 5., 6.]), 'amax')
    tensor([5., 6., 3.])
    """
    return _scatter_reduce(input, dim, index, src, reduce, include_self, out, False)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """In-place `scatter_reduce`.

    >>> import ember
    >>> ember.ones(2).scatter_reduce_(0, ember.tensor([0, 0]), ember.tensor([2., 3.]), 'prod')
    tensor([6., 1.])
    """
    return _scatter_reduce(self, dim, index, src, reduce, include_self, None, True)


def _scatter_reduce(self, dim, index, src, reduce, include_self, out, inplace):
    op = "scatter_reduce"
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"{op}(): reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")
    dim, index, src, _ = _scatter_args(self, dim, index, src, None, op)
    if self.ndim == 0:
        return _through_1d(self, out, inplace, op, lambda flat: _scatter_reduce(
            flat, 0, index.reshape(-1), _flat(src), reduce, include_self, None, inplace))
    params = {"dim": dim, "reduce": reduce, "include_self": bool(include_self)}
    return _write(op, self, (index, src), params, out, inplace,
                  lambda old: scatter_reduce(old, dim, index, src, reduce,
                                             include_self=include_self))


def _index_vector(index, op, dtypes, dtype_error, dtype_message, ndim_error, ndim_message):
    """A 1-D view of an index tensor of an accepted dtype with at most one dim."""
    _index_arg(index, op, dtypes, dtype_error, dtype_message)
    if index.ndim > 1:
        raise ndim_error(ndim_message.format(ndim=index.ndim, shape=list(index.shape)))
    return index.reshape(-1)


def _check_source(self, source, dim, index, op, count_error, count_message):
    """index_add/index_copy: one source slice per index, of self's dtype."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    n, have = index.numel(), _dim_size(source, dim) if source.ndim > dim else 1
    if have != n:
        raise count_error(count_message.format(n=n, have=have, dim=dim))


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """A copy of `input` with ``alpha * source`` added at the slices `index` along
    `dim` (repeated indices add up).

    >>> import ember
    >>> ember.zeros(3, 2).index_add(0, ember.tensor([0, 2]), ember.ones(2, 2), alpha=2)
    tensor([[2., 2.],
            [0., 0.],
            [2., 2.]])
    """
    return _index_add(input, dim, index, source, alpha, out, False)


def index_add_(self, dim, index, source, *, alpha=1):
    """In-place `index_add`.

    >>> import ember
    >>> ember.zeros(3).index_add_(0, ember.tensor([2, 2]), ember.tensor([1., 2.]))
    tensor([0., 0., 3.])
    """
    return _index_add(self, dim, index, source, alpha, None, True)


def _index_add(self, dim, index, source, alpha, out, inplace):
    op = "index_add"
    dim = wrap_dim(dim, self.ndim, op)
    index = _index_vector(index, op, (D.int64, D.int32), RuntimeError,
                          f"{op}_(): Expected dtype int32/int64 for index", IndexError,
                          f"{op}_(): Index is supposed to be a vector, but got dim: {{ndim}} with "
                          f"size: {{shape}}")
    _check_source(self, source, dim, index, op, RuntimeError,
                  op + "_(): Number of indices ({n}) should be equal to source.size(dim): ({have}), "
                  "for dim: {dim}")
    if source.ndim and (not self.ndim or [s for d, s in enumerate(self.shape) if d != dim] !=
                        [s for d, s in enumerate(source.shape) if d != dim]):
        raise RuntimeError(f"{op}_(): source tensor shape must match self tensor shape, excluding "
                           f"the specified dimension. Got self.shape = {list(self.shape)} "
                           f"source.shape = {list(source.shape)}")
    if source._dtype is not self._dtype:
        raise RuntimeError(f"{op}_(): self ({_type_name(self._dtype)}) and source "
                           f"({_type_name(source._dtype)}) must have the same scalar type")
    if not self._dtype.is_floating_point and isinstance(alpha, float):
        alpha = int(alpha)  # PyTorch truncates a float alpha for integer tensors
    index = _checked_index(index, _dim_size(self, dim), dim, prefix=f"{op}_(): ")
    if self.ndim == 0:
        return _through_1d(self, out, inplace, op, lambda flat: _index_add(
            flat, 0, index, _flat(source), alpha, None, inplace))
    return _write(op, self, (index, source), {"dim": dim, "alpha": alpha}, out, inplace,
                  lambda old: index_add(old, dim, index, source, alpha=alpha))


def index_copy(input, dim, index, source, *, out=None):
    """A copy of `input` whose slices `index` along `dim` are the slices of `source`.

    >>> import ember
    >>> ember.zeros(3).index_copy(0, ember.tensor([2, 0]), ember.tensor([5., 6.]))
    tensor([6., 0., 5.])
    """
    return _index_copy(input, dim, index, source, out, False)


def index_copy_(self, dim, index, source):
    """In-place `index_copy`.

    >>> import ember
    >>> ember.zeros(3).index_copy_(0, ember.tensor([1]), ember.tensor([9.]))
    tensor([0., 9., 0.])
    """
    return _index_copy(self, dim, index, source, None, True)


def _index_copy(self, dim, index, source, out, inplace):
    op = "index_copy"
    dim = wrap_dim(dim, self.ndim, op)
    index = _index_vector(
        index, op, (D.int64,), RuntimeError,
        f"{op}_(): Expected a long tensor for index, but got "
        f"{_type_name(index._dtype) if isinstance(index, Tensor) else type(index).__name__}",
        IndexError, f"{op}_(): Index should have dimension 1 or 0 (got {{ndim}})")
    _check_source(self, source, dim, index, op, IndexError,
                  op + "_(): Number of indices ({n}) should be equal to source.size(dim) ({have})")
    for d in range(max(self.ndim, source.ndim)):
        if d != dim and (self.shape[d] if d < self.ndim else 1) != \
                (source.shape[d] if d < source.ndim else 1):
            raise RuntimeError(f"{op}_(): Source/destination tensor must have same slice shapes. "
                               f"Destination slice shape: {list(self.shape)} at dimension {dim} and "
                               f"source slice shape: {list(source.shape)} at dimension {dim}.")
    if source._dtype is not self._dtype:
        raise RuntimeError(f"{op}_(): self and source expected to have the same dtype, but got "
                           f"(self) {_type_name(self._dtype)} and (source) "
                           f"{_type_name(source._dtype)}")
    index = _checked_index(index, _dim_size(self, dim), dim, error=IndexError, prefix=f"{op}_(): ")
    if self.ndim == 0:
        return _through_1d(self, out, inplace, op, lambda flat: _index_copy(
            flat, 0, index, _flat(source), None, inplace))
    return _write(op, self, (index, source), {"dim": dim}, out, inplace,
                  lambda old: index_copy(old, dim, index, source))


def index_fill(input, dim, index, value):
    """A copy of `input` whose slices `index` along `dim` are set to `value` (a number or
    0-d tensor); negative indices count from the end.

    >>> import ember
    >>> ember.zeros(2, 3).index_fill(1, ember.tensor([0, -1]), 4)
    tensor([[4., 0., 4.],
            [4., 0., 4.]])
    """
    return _index_fill(input, dim, index, value, False)


def index_fill_(self, dim, index, value):
    """In-place `index_fill`.

    >>> import ember
    >>> ember.zeros(3).index_fill_(0, ember.tensor([-1]), 2.0)
    tensor([0., 0., 2.])
    """
    return _index_fill(self, dim, index, value, True)


def _index_fill(self, dim, index, value, inplace):
    op = "index_fill"
    dim = wrap_dim(dim, self.ndim, op)
    index = _index_vector(index, op, (D.int64,), IndexError,
                          f"{op}_(): Expected dtype int64 for index.", RuntimeError,
                          f"{op}_(): Index has to be a vector/scalar (got {{ndim}} dims)")
    index = _checked_index(index, _dim_size(self, dim), dim, negative=True, error=IndexError,
                           prefix=f"{op}_(): ")
    if self.ndim == 0:
        return _through_1d(self, None, inplace, op, lambda flat: _index_fill(
            flat, 0, index, value, inplace))
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{op}_ only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.ndim} dimension(s).")
        operands, params = (index, value.to(self._dtype)), {"dim": dim}
    else:
        value = _checked_scalar(value, self._dtype, op)
        operands, params = (index,), {"dim": dim, "value": _kernel_scalar(value, self._dtype)}
    return _write(op, self, operands, params, None, inplace,
                  lambda old: index_fill(old, dim, index, value))


def put_(self, index, source, accumulate=False):
    """Write `source` at the flat (C order) positions `index` of `self`; with
    ``accumulate=True`` repeated positions add up.

    >>> import ember
    >>> ember.zeros(2, 2).put_(ember.tensor([3, 0]), ember.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 1.]])
    """
    return _put_flat(self, index, source, accumulate, True)


def put(input, index, source, accumulate=False):
    """Out-of-place `put_`.

    >>> import ember
    >>> ember.zeros(3).put(ember.tensor([0, 0]), ember.tensor([1., 2.]), accumulate=True)
    tensor([3., 0., 0.])
    """
    return _put_flat(input, index, source, accumulate, False)


def _put_flat(self, index, source, accumulate, inplace):
    op = "put_"
    _index_arg(index, op, (D.int64,), message=f"{op}(): Expected a long tensor for index, but got "
               f"{_type_name(index._dtype) if isinstance(index, Tensor) else ''}")
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source.numel() != index.numel():
        raise IndexError(f"{op}(): Expected source and index to have the same number of elements, "
                         f"but got source.numel() = {source.numel()}, index.numel() = "
                         f"{index.numel()}")
    if source._dtype is not self._dtype:
        raise RuntimeError(f"{op}(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_type_name(self._dtype)} and source.dtype = "
                           f"{_type_name(source._dtype)}")
    n = self.numel()
    index = _checked_index(index.reshape(-1), n, negative=True, error=IndexError,
                           prefix=f"{op}(): out of range: tried to access an element of a tensor of "
                                  f"{n} elements: ")
    source = source.reshape(-1)
    return _write("put", self, (index, source), {"accumulate": bool(accumulate)}, None, inplace,
                  lambda old: put(old, index, source, accumulate))


def masked_fill(input, mask, value):
    """A copy of `input` (broadcast with `mask`) with `value` where `mask` is True.

    >>> import ember
    >>> ember.zeros(2, 2).masked_fill(ember.tensor([True, False]), 3.0)
    tensor([[3., 0.],
            [3., 0.]])
    """
    return _masked_fill(input, mask, value, False)


def masked_fill_(self, mask, value):
    """In-place `masked_fill`; `mask` must broadcast to self's shape.

    >>> import ember
    >>> ember.zeros(3).masked_fill_(ember.tensor([False, True, False]), 1.0)
    tensor([0., 1., 0.])
    """
    return _masked_fill(self, mask, value, True)


def _mask_shape(self, mask, op, inplace):
    shape = broadcast_shapes(tuple(self.shape), tuple(mask.shape))
    if inplace and shape != tuple(self.shape):
        raise RuntimeError(f"{op}_(): output with shape {list(self.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    return shape


def _masked_fill(self, mask, value, inplace):
    op = "masked_fill"
    _check_mask(mask, op, op + "_ only supports boolean masks, but got mask with dtype {dtype}")
    shape = _mask_shape(self, mask, op, inplace)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{op}_ only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.ndim} dimension(s).")
        operands, params = (mask.expand(*shape), value.to(self._dtype)), {}
    else:
        value = _checked_scalar(value, self._dtype, op)
        operands, params = (mask.expand(*shape),), {"value": _kernel_scalar(value, self._dtype)}
    return _write(op, self if inplace else self.expand(*shape), operands, params, None, inplace,
                  lambda old: masked_fill(old, mask, value))


def masked_scatter(input, mask, source):
    """A copy of `input` (broadcast with `mask`) whose True positions, in order, take
    the leading elements of `source`.

    >>> import ember
    >>> ember.zeros(2, 2).masked_scatter(ember.tensor([[True, False], [True, True]]),
    ...                                  ember.tensor([1., 2., 3.]))
    tensor([[1., 0.],
            [2., 3.]])
    """
    return _masked_scatter(input, mask, source, False)


def masked_scatter_(self, mask, source):
    """In-place `masked_scatter`.

    >>> import ember
    >>> ember.zeros(3).masked_scatter_(ember.tensor([True, False, True]), ember.tensor([4., 5.]))
    tensor([4., 0., 5.])
    """
    return _masked_scatter(self, mask, source, True)


def _masked_scatter(self, mask, source, inplace):
    op = "masked_scatter"
    _check_mask(mask, op, op + "_ only supports boolean masks, but got mask with dtype {dtype}")
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._dtype is not self._dtype:
        raise RuntimeError(f"{op}: expected self and source to have same dtypes but got "
                           f"{_type_name(self._dtype)} and {_type_name(source._dtype)}")
    shape = _mask_shape(self, mask, op, inplace)
    mask = mask.expand(*shape)
    count = int(mask._data.sum())
    if source.numel() < count:
        raise RuntimeError(f"{op}(): Number of elements of source < number of ones in mask "
                           f"({source.numel()} < {count})")
    return _write(op, self if inplace else self.expand(*shape), (mask, source), {}, None, inplace,
                  lambda old: masked_scatter(old, mask, source))


__all__ = ["index_select", "gather", "take", "take_along_dim", "masked_select", "nonzero",
           "argwhere", "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy",
           "index_fill", "index_put", "masked_fill", "masked_scatter"]
METHODS = {"__getitem__": getitem, "__setitem__": setitem,
           **{n: globals()[n] for n in __all__},
           **{n: globals()[n] for n in ("scatter_", "scatter_add_", "scatter_reduce_", "index_add_",
                                         "index_copy_", "index_fill_", "index_put_", "put_", "put",
                                         "masked_fill_", "masked_scatter_")}}
