"""Creation ops, conversions and copies."""
from __future__ import annotations

import builtins
import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .._device import CPU, as_device, get_backend
from .._dispatch import (check_overlap, check_shape, check_out, compute_array, needs_grad, record,
                         store, writable, write_out)
from .._grad_mode import state as grad_state
from .._tensor import Tensor, _new_tensor

LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                "bfloat16": "BFloat16Tensor", "uint8": "ByteTensor", "int8": "CharTensor",
                "int16": "ShortTensor", "int32": "IntTensor", "int64": "LongTensor",
                "bool": "BoolTensor"}


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_host(array: np.ndarray, dtype: D.dtype, device) -> Tensor:
    """A new tensor on `device` holding a copy of (or, on the CPU, exactly) `array`."""
    if dtype is D.bfloat16:
        array = D.f32_to_bf16(array) if array.dtype != np.uint16 else array
    elif array.dtype != dtype.np:
        array = array.astype(dtype.np)
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    if device.type != "cpu":
        array = get_backend(device.type).from_host(array, device.index)
    return _new_tensor(array, dtype, device)


# --- from data ------------------------------------------------------------------
def _infer_dtype(data):
    """(dtype, numpy values) for nested Python data, numpy arrays and tensors."""
    if isinstance(data, Tensor):
        return data.dtype, data._host_values()
    if isinstance(data, np.ndarray):
        return D.from_numpy_dtype(data.dtype), data
    if isinstance(data, np.generic):
        return D.from_numpy_dtype(data.dtype), np.asarray(data)
    flat_kinds = set()

    def convert(x, depth):
        if isinstance(x, Tensor):
            if x.numel() != 1 and x.ndim:
                return x.tolist()
            flat_kinds.add(x.dtype)
            return x.item()
        if isinstance(x, (list, tuple)):
            return [convert(v, depth + 1) for v in x]
        if isinstance(x, np.ndarray):
            flat_kinds.add(D.from_numpy_dtype(x.dtype))
            return x.tolist()
        if isinstance(x, (bool, np.bool_)):
            flat_kinds.add(D.bool)
        elif isinstance(x, (numbers.Integral,)):
            flat_kinds.add(D.int64)
        elif isinstance(x, numbers.Real):
            flat_kinds.add(D.get_default_dtype())
        elif isinstance(x, complex):
            raise TypeError("complex tensors are not supported by ember")
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
        return x

    values = convert(data, 0)
    dtype = D.bool
    for k in flat_kinds:
        dtype = D.promote_types(dtype, D.int64 if k._category == 1 and not k.is_floating_point else
                                (D.get_default_dtype() if k.is_floating_point and k not in (
                                    D.float64, D.float16, D.bfloat16) else k)) \
            if k._category else dtype
    if not flat_kinds:
        dtype = D.get_default_dtype()
    try:
        array = np.array(values, dtype=np.float64 if dtype.is_floating_point else None)
    except ValueError as exc:
        raise ValueError(f"expected sequence of equal-length lists: {exc}") from None
    if array.dtype == object:
        raise ValueError("expected a rectangular nested sequence of numbers")
    return dtype, array


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor copied from `data` (nested lists, numbers, numpy arrays).

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]])
    >>> ember.tensor(3.5)
    tensor(3.5000)
    """
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than ember.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    inferred, array = _infer_dtype(data)
    dtype = D.as_dtype(dtype) if dtype is not None else inferred
    if array.dtype.kind in "iub" and dtype.is_floating_point is False and array.size:
        info = D.iinfo(dtype) if dtype is not D.bool else None
        if info and (array.max() > info.max or array.min() < info.min):
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    if dtype is D.bfloat16:
        array = array.astype(np.float32)
    t = from_host(np.array(array, copy=True) if array.dtype == (dtype.np if dtype is not D.bfloat16
                                                                  else np.float32) else array,
                  dtype, as_device(device))
    return _finish(t, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a numpy array or tensor when it can.

    >>> import ember, numpy as np
    >>> a = np.zeros(2); t = ember.as_tensor(a); a[0] = 1; t
    tensor([1., 0.], dtype=ember.float64)
    """
    device = as_device(device) if device is not None else None
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and (device is None or device == CPU):
        t = from_numpy(data)
        return t if dtype is None else t.to(D.as_dtype(dtype))
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``torch.asarray``: share memory where possible unless ``copy=True``."""
    if copy:
        t = tensor(obj, dtype=dtype, device=device) if not isinstance(obj, Tensor) else \
            obj.detach().clone().to(dtype=dtype, device=device)
    else:
        if hasattr(obj, "__dlpack__") and not isinstance(obj, (Tensor, np.ndarray)):
            obj = from_dlpack(obj)
        t = as_tensor(obj, dtype=dtype, device=device)
        if copy is False and isinstance(obj, (Tensor, np.ndarray)) and t.data_ptr() != (
                obj.data_ptr() if isinstance(obj, Tensor) else obj.__array_interface__["data"][0]):
            raise ValueError("asarray(): copy=False but a copy is needed")
    return _finish(t, requires_grad)


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray`: writes to either show in the other.

    >>> import ember, numpy as np
    >>> a = np.arange(3); t = ember.from_numpy(a); t[0] = 7; a
    array([7, 1, 2])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtype = D.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with "
                         "negative strides are not currently supported. (You can probably work around "
                         "this by making a copy of your array  with array.copy().) ")
    if any(s % ndarray.itemsize for s in ndarray.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and ember does not support "
                      "non-writable tensors. Writing to this tensor will fail.", UserWarning,
                      stacklevel=2)
    if ndarray.dtype.byteorder not in "=|":
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")
    return _new_tensor(ndarray, dtype, CPU)


def from_dlpack(ext_tensor):
    """Zero-copy import of any object with ``__dlpack__`` (numpy, torch, cupy...).

    >>> import ember, numpy as np
    >>> ember.from_dlpack(np.arange(3.0))
    tensor([0., 1., 2.], dtype=ember.float64)
    """
    device_type, index = ext_tensor.__dlpack_device__()
    if device_type == 1:  # kDLCPU
        array = np.from_dlpack(ext_tensor)
        return from_numpy(array)
    if device_type == 2:  # kDLCUDA
        backend = get_backend("cuda")
        array = backend.xp.from_dlpack(ext_tensor)
        return _new_tensor(array, D.from_numpy_dtype(array.dtype), as_device(f"cuda:{index}"))
    raise RuntimeError(f"from_dlpack: unsupported DLPack device type {device_type}")


# --- from shape ---------------------------------------------------------------------
def _alloc(size, dtype, device, op):
    shape = check_shape(size, op)
    dtype = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    device = as_device(device)
    numel = math.prod(shape)
    try:
        if device.type == "cpu":
            array = np.empty(shape, dtype.np)
        else:
            array = get_backend(device.type).empty(numel, dtype.np, device.index).reshape(shape)
    except (MemoryError, ValueError) as exc:
        raise RuntimeError(f"{op}(): can't allocate memory: you tried to allocate "
                           f"{numel * dtype.itemsize} bytes for a tensor of shape {list(shape)} "
                           f"({exc})") from None
    return _new_tensor(array, dtype, device)


def _filled(size, value, dtype, device, requires_grad, out, op):
    if out is not None:
        t = _alloc(size, out.dtype if dtype is None else dtype, out.device, op)
        t._data.fill(0 if value is None else _fill_value(value, t._dtype))
        return write_out(out, t, op)
    t = _alloc(size, dtype, device, op)
    if value is not None:
        value = _fill_value(value, t._dtype)
        if t._dtype is D.bfloat16:
            t._data[...] = D.f32_to_bf16(np.float32(value)) if t._data.ndim == 0 else \
                D.f32_to_bf16(np.full(t._data.shape, value, np.float32))
        else:
            t._data.fill(value)
    return _finish(t, requires_grad)


# the C type names PyTorch's overflow message uses
_C_TYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float32": "float", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16"}


def _fill_value(value, dtype):
    """`value` as a fill of `dtype`, range-checked as PyTorch checks scalar fills.

    Integers must fit (unsigned types also take -max..-1, wrapping as in C); floats
    truncate into integer types; finite floats beyond a float type's range and NaN
    for an integer type are refused. (PyTorch skips the check when filling exactly one
    element; ember always checks.)
    """
    if dtype is D.bool or isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return value
    if dtype.is_floating_point:
        if dtype is not D.float64 and math.isfinite(value) and \
                builtins.abs(value) > D.finfo(dtype).max:
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dtype.name]} without "
                               "overflow")
        return value
    info = np.iinfo(dtype.np)
    low = -info.max if info.min == 0 else info.min
    if (isinstance(value, numbers.Integral) or not math.isnan(value)) and low <= value <= info.max:
        value = int(value)  # floats truncate toward zero
        return value % (info.max + 1) if value < 0 and info.min == 0 else value
    raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dtype.name]} without overflow")


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, pin_memory=False,
          layout=None, memory_format=None):
    """An uninitialised tensor of the given shape.

    >>> import ember
    >>> ember.empty(2, 3).shape
    ember.Size([2, 3])
    """
    return _filled(size, None, dtype, device, requires_grad, out, "empty")


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of zeros.

    >>> import ember
    >>> ember.zeros(2, 2)
    tensor([[0., 0.],
            [0., 0.]])
    """
    return _filled(size, 0, dtype, device, requires_grad, out, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of ones.

    >>> import ember
    >>> ember.ones(3, dtype=ember.int64)
    tensor([1, 1, 1])
    """
    return _filled(size, 1, dtype, device, requires_grad, out, "ones")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor filled with `fill_value` (dtype inferred from it, as in PyTorch).

    >>> import ember
    >>> ember.full((2,), 7)
    tensor([7, 7])
    """
    if dtype is None:
        dtype = D.result_type(fill_value)
    return _filled((size,) if isinstance(size, (tuple, list)) else (size,), fill_value, dtype,
                   device, requires_grad, out, "full")


def _like(input, dtype, device):
    return (input.dtype if dtype is None else dtype), (input.device if device is None else device)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """An uninitialised tensor with the shape (and by default dtype, device) of `input`."""
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """Zeros shaped like `input`.

    >>> import ember
    >>> ember.zeros_like(ember.ones(2, dtype=ember.int32))
    tensor([0, 0], dtype=ember.int32)
    """
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """Ones shaped like `input`."""
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None):
    """`fill_value` shaped like `input` (with `input`'s dtype by default)."""
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    """The n x m identity matrix.

    >>> import ember
    >>> ember.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    m = n if m is None else m
    check_shape((n, m), "eye")
    dtype = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    t = from_host(np.eye(n, m, dtype=np.float32 if dtype is D.bfloat16 else dtype.np), dtype,
                  as_device(device))
    return write_out(out, t, "eye") if out is not None else _finish(t, requires_grad)


def _range_dtype(values, dtype):
    if dtype is not None:
        return D.as_dtype(dtype)
    if all(isinstance(v, (int, np.integer)) or (isinstance(v, Tensor) and not v.is_floating_point())
           for v in values):
        return D.int64
    return D.get_default_dtype()


def _number(v, name, op):
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Real):
        raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")
    if isinstance(v, float) and not math.isfinite(v):
        raise RuntimeError(f"{op}(): unsupported range: {name} is {v}")
    return v


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None,
           layout=None):
    """Values from `start` up to (not including) `end` spaced by `step`.

    >>> import ember
    >>> ember.arange(5)
    tensor([0, 1, 2, 3, 4])
    >>> ember.arange(1, 2.5, 0.5)
    tensor([1.0000, 1.5000, 2.0000])
    """
    if end is None:
        start, end = 0, start
    dtype = _range_dtype((start, end, step), dtype)
    start, end, step = (_number(start, "start", "arange"), _number(end, "end", "arange"),
                        _number(step, "step", "arange"))
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, (int, np.integer)) and not -2 ** 63 <= v < 2 ** 63:
            raise RuntimeError(f"arange(): value cannot be converted to type int64_t without "
                               f"overflow ({name}={v})")
    if (end - start) / step < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
        n = builtins.max(0, -((start - end) // step))
    else:
        n = builtins.max(0, math.ceil((end - start) / step))
    _check_size(n, dtype, "arange")
    values = start + np.arange(n, dtype=np.float64 if dtype.is_floating_point else np.int64) * step
    t = from_host(values, dtype, as_device(device))
    return write_out(out, t, "arange") if out is not None else _finish(t, requires_grad)


def _check_size(n, dtype, op):
    if n > 2 ** 48:
        raise RuntimeError(f"{op}(): would create a tensor of {n} elements "
                           f"({n * dtype.itemsize} bytes): too large to allocate")


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Deprecated inclusive range: values from `start` to `end` *including* `end`.

    >>> import ember, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     ember.range(1, 4)
    tensor([1., 2., 3., 4.])
    """
    warnings.warn("ember.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use ember.arange, "
                  "which produces values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("range(): step must be nonzero")
    n = builtins.max(0, int(math.floor((end - start) / step)) + 1)
    dtype = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    values = start + np.arange(n, dtype=np.float64) * step
    t = from_host(values, dtype, as_device(device))
    return write_out(out, t, "range") if out is not None else _finish(t, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    """`steps` evenly spaced values from `start` to `end` inclusive.

    >>> import ember
    >>> ember.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be a non-negative int, got {steps!r}")
    dtype = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    start, end = _number(start, "start", "linspace"), _number(end, "end", "linspace")
    values = _linspace(start, end, steps, dtype.np if dtype in (D.float32, D.float64) else np.dtype(np.float64))
    if not dtype.is_floating_point:
        values = np.trunc(values)
    t = from_host(values, dtype, as_device(device))
    return write_out(out, t, "linspace") if out is not None else _finish(t, requires_grad)


def _linspace(start, end, steps, np_dtype):
    # stepped from both ends toward the middle, with the step rounded to the output
    # precision and each value a fused multiply-add, as PyTorch's kernel computes it:
    # both endpoints are exact and the values agree bit for bit
    if steps <= 1:
        return np.full(steps, start, np_dtype)
    step = float(np_dtype.type((end - start) / (steps - 1)))
    index = np.arange(steps, dtype=np.float64)
    half = steps // 2
    values = np.concatenate([start + step * index[:half], end - step * (steps - 1 - index[half:])])
    return values.astype(np_dtype)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, out=None):
    """``base ** linspace(start, end, steps)``.

    >>> import ember
    >>> ember.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    dtype = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    values = np.power(float(base), _linspace(start, end, steps, np.dtype(np.float64)))
    t = from_host(values, dtype, as_device(device))
    return write_out(out, t, "logspace") if out is not None else _finish(t, requires_grad)


# --- the legacy constructors --------------------------------------------------------
def legacy_dtype(value):
    """A dtype from ``'ember.FloatTensor'``-style names, legacy classes or dtypes."""
    if isinstance(value, type) and issubclass(value, Tensor):
        return value._legacy_dtype or D.get_default_dtype()
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1]
        for dname, legacy in LEGACY_NAMES.items():
            if legacy == name:
                return getattr(D, dname)
        return D.as_dtype(name)
    return D.as_dtype(value)


def legacy_new(cls, dtype, args, device):
    """``Tensor(5, 3)`` (uninitialised), ``Tensor([[1, 2]])`` (data), ``Tensor()`` (empty)."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src.dtype is not dtype:
            raise TypeError(f"expected {dtype} (got {src.dtype})")
        t = src.detach()
    elif len(args) == 1 and not isinstance(args[0], (int, np.integer)) and args[0] is not None:
        data = args[0]
        if isinstance(data, (tuple, list, np.ndarray)) or hasattr(data, "__len__"):
            t = tensor(data, dtype=dtype, device=device)
        else:
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    else:
        t = empty(*args, dtype=dtype, device=device) if args else empty(0, dtype=dtype, device=device)
        if t._data.size:
            t._data[...] = 0  # our "uninitialised" memory is deterministic
    if cls is not Tensor and cls._legacy_dtype is None:  # a user subclass
        t.__class__ = cls
    return t


def _legacy_class(dtype):
    return type(LEGACY_NAMES[dtype.name], (Tensor,), {"_legacy_dtype": dtype, "__slots__": (),
                                                      "__module__": "ember"})


LEGACY_CLASSES = {dt.name: _legacy_class(dt) for dt in D.ALL}


# --- conversions and copies ------------------------------------------------------------
def convert(t: Tensor, dtype, device, copy=False):
    """`Tensor.to`: a new tensor only when dtype or device change (or copy=True)."""
    if dtype is t._dtype and device == t._device and not copy:
        return t
    if device == t._device:
        src = D.bf16_to_f32(t._data) if t._dtype is D.bfloat16 else t._data
        array = D.f32_to_bf16(src) if dtype is D.bfloat16 else src.astype(dtype.np, order="C")
        result = _new_tensor(array, dtype, device)
    else:
        host = get_backend(t._device.type).to_host(t._data)
        if dtype is not t._dtype:
            host = (D.bf16_to_f32(host) if t._dtype is D.bfloat16 else host)
        result = from_host(np.array(host, copy=True) if device.type == "cpu" else host, dtype, device)
    if needs_grad((t,)):
        record("to", (t,), result, {"dtype": t._dtype, "device": t._device})
    return result


def clone(input, *, memory_format=None):
    """A copy with its own storage (recorded by autograd).

    >>> import ember
    >>> a = ember.ones(2); b = a.clone(); b[0] = 5; a
    tensor([1., 1.])
    """
    kernels = get_backend(input._device.type).kernels
    array = input._data.copy() if input._data.flags.c_contiguous else kernels.contiguous(input._data)
    result = _new_tensor(array, input._dtype, input._device)
    if needs_grad((input,)):
        record("clone", (input,), result, {})
    return result


def contiguous(input, memory_format=None):
    """`input` itself if C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def copy_(self, src, non_blocking=False):
    """Copy `src` into `self` (broadcast, cast, across devices); bumps the version.

    >>> import ember
    >>> a = ember.zeros(2, 2); _ = a.copy_(ember.tensor([1, 2])); a
    tensor([[1., 2.],
            [1., 2.]])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if grad_state.enabled and (src._requires_grad or self._requires_grad):
        from .. import _autograd_seam as seam
        return seam.require("copy_").apply_inplace(
            "copy_", self, lambda old: _copy_result(old, src))
    from .._dispatch import broadcast_shapes
    if src._data is not self._data:
        check_overlap(self, (src,), "copy_", get_backend(self._device.type).xp)
    if broadcast_shapes(self.shape, src.shape) != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(broadcast_shapes(self.shape, src.shape))}")
    if src._device != self._device:
        src = src.to(self._device)
    from .._dispatch import compute_dtype
    array = compute_array(src, compute_dtype(self._dtype))
    xp = get_backend(self._device.type).xp
    if array is src._data and xp.may_share_memory(self._data, array):
        array = array.copy()  # overlap PyTorch allows (strided views): read all, then write
    store(self, array)
    self._version_counter.bump("copy_")
    return self


def _copy_result(old, src):
    # the out-of-place value of old.copy_(src): gradients flow to src only
    return src.to(dtype=old.dtype, device=old.device).expand(old.shape)


def fill_(self, value):
    """Fill with a number (or a one-element tensor) in place."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()
    if grad_state.enabled and self._requires_grad:
        from .. import _autograd_seam as seam
        return seam.require("fill_").apply_inplace("fill_", self, lambda old: old * 0 + value)
    if not isinstance(value, numbers.Number):
        raise TypeError(f"fill_(): argument 'value' must be Number, not {type(value).__name__}")
    value = _fill_value(value, self._dtype)
    dst = writable(self, "fill_")  # PyTorch fills expanded tensors too
    if self._dtype is D.bfloat16:
        dst[...] = D.f32_to_bf16(np.full(self._data.shape, value, np.float32))
    else:
        dst[...] = value
    self._version_counter.bump("fill_")
    return self


def zero_(self):
    return fill_(self, 0)


def _new_factory(factory):
    def new(self, *size, dtype=None, device=None, requires_grad=False):
        return factory(*size, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad)
    new.__name__ = "new_" + factory.__name__
    return new


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "from_dlpack", "empty", "zeros", "ones",
           "full", "empty_like", "zeros_like", "ones_like", "full_like", "eye", "arange", "range",
           "linspace", "logspace", "clone"] + [cls.__name__ for cls in LEGACY_CLASSES.values()]
globals().update({cls.__name__: cls for cls in LEGACY_CLASSES.values()})
METHODS = {"clone": clone, "contiguous": contiguous, "copy_": copy_, "fill_": fill_, "zero_": zero_,
           "new_tensor": new_tensor, "new_full": new_full,
           **{f"new_{k}": _new_factory(globals()[k]) for k in ("empty", "zeros", "ones")}}
