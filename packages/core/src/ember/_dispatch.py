"""The dispatcher: the one path every op takes.

    check and promote arguments -> broadcast shape -> pick the device backend ->
    allocate the output -> call the kernel -> bump version counters (in-place, out=)
    -> let autograd record.

`pointwise` and `reduction` are the two front ends with shared rules (promotion,
broadcasting, dims); `apply` is the general tail every op family ends in, including
ops whose output shape only the kernel knows (sort, nonzero, unique...).

Kernels see backend arrays (numpy on the CPU, cupy on CUDA): strided views of the
tensors' storages, already broadcast and converted to the compute dtype. bfloat16
has no numpy type, so it is widened to float32 here and narrowed on store.

The compiled fast paths (`_fastpath.pyx`) decide the commonest small-op cases in C and
hand every other case to the functions here, which are also their reference.
"""
from __future__ import annotations

import sys

import numpy as np

from . import _autograd_seam as seam
from . import _dtype as D
from ._device import get_backend
from ._grad_mode import state as grad_state
from ._tensor import Tensor, VersionCounter, _array_ptr, _new_tensor, _new_view, _root

_EMPTY = {}


class Op:
    """A named op: its kernel name, dtype rule, and the name autograd keys its derivative on.

    rule: 'promote' (result type of the inputs), 'float' (integers become the default
    float), 'compare' (computed in the promoted type, bool out), 'logical' (bool out),
    'integral' (bool/int only), 'same' (unary, keeps the dtype; not bool), 'where' (the
    first operand is a condition outside promotion).
    """

    __slots__ = ("name", "kernel", "rule")

    def __init__(self, name, rule="promote", kernel=None):
        self.name, self.rule, self.kernel = name, rule, kernel or name

    def __repr__(self):
        return f"Op({self.name})"


# --- argument helpers (one set, used by every op family) ---------------------------
def wrap_dim(dim, ndim, op="", allow_scalar=True):
    """Normalise a possibly negative dim, with PyTorch's IndexError wording."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        if isinstance(dim, np.integer):
            dim = int(dim)
        else:
            raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    n = ndim if ndim > 0 or not allow_scalar else 1
    if not -n <= dim < n:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def wrap_dims(dims, ndim, op=""):
    """A sorted tuple of distinct non-negative dims from an int, a sequence, or None (all)."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = tuple(wrap_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}(): dim {list(dims)} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def check_shape(size, op="size"):
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(torch.Size)``; checks ints >= 0."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = size[0]
        if isinstance(size, Tensor):
            size = size.tolist()
    try:
        shape = tuple(size)
    except TypeError:
        raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, "
                        f"but found element of type {type(size).__name__}") from None
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, "
                            f"but found element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    return tuple(int(s) for s in shape)


def broadcast_shapes(*shapes):
    """PyTorch's broadcasting, with its error wording.

    >>> from ember._dispatch import broadcast_shapes
    >>> broadcast_shapes((3, 1), (4,))
    (3, 4)
    """
    first = shapes[0]
    if all(s == first for s in shapes):
        return first
    ndim = max(len(s) for s in shapes)
    result = [1] * ndim
    for shape in shapes:
        offset = ndim - len(shape)
        for i, size in enumerate(shape):
            j = i + offset
            if size != 1 and size != result[j]:
                if result[j] != 1:
                    raise RuntimeError(
                        f"The size of tensor a ({result[j]}) must match the size of tensor b "
                        f"({size}) at non-singleton dimension {i}")
                result[j] = size
    return tuple(result)


def common_device(tensors, op, cpu_scalars=False):
    """The one device of `tensors`. With `cpu_scalars` (pointwise ops), zero-dim CPU
    tensors may join tensors of another device, as PyTorch allows."""
    device = tensors[0]._device
    for t in tensors:
        if t is None:  # an optional operand left out (apply)
            continue
        d = t._device
        if d is not device and d != device:
            if cpu_scalars and (d.type == "cpu" and not t._data.ndim):
                continue
            if cpu_scalars and device.type == "cpu" and not tensors[0]._data.ndim:
                device = d
                continue
            raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                               f"two devices, {device} and {d}! (in {op})")
    return device


def _kernel_arg(a, compute, device):
    """What a pointwise kernel gets for operand `a`: an array, or a Python scalar for
    numbers and for zero-dim CPU tensors joining another device's tensors."""
    if not isinstance(a, Tensor):
        return _scalar(a, compute)
    if a._device is device or a._device == device:
        return compute_array(a, compute)
    return _scalar(a.item(), compute)


def compute_array(t: Tensor, dtype: D.dtype):
    """The kernel's view of `t` in the compute dtype (a cast copy only where needed)."""
    if t._dtype is dtype:
        return t._data
    arr = t._data
    if t._dtype is D.bfloat16:
        arr = D.bf16_to_f32(arr)
        return arr if dtype is D.float32 else arr.astype(dtype.np)
    return arr.astype(compute_dtype(dtype).np)


def compute_dtype(dtype):
    """Half types compute in float32 and round once on store, as PyTorch does on the CPU."""
    return D.float32 if dtype is D.bfloat16 or dtype is D.float16 else dtype


def store(dst: Tensor, array):
    """Write `array` (compute dtype, broadcastable) into `dst`, casting like PyTorch."""
    if dst._dtype is D.bfloat16:
        array = D.f32_to_bf16(np.asarray(array, np.float32))
    get_backend(dst._device.type).kernels.copy(writable(dst, "copy_"), array)


def result_from(array, dtype, device):
    """A new tensor owning `array` (the kernel's fresh result, in compute dtype)."""
    if isinstance(array, np.generic):  # numpy's whole-array reductions give scalars
        array = np.asarray(array)
    if dtype is D.bfloat16:
        array = D.f32_to_bf16(array)
    elif array.dtype != dtype.np:
        array = array.astype(dtype.np)
    if not array.flags.c_contiguous:
        array = array.copy()
    return _new_tensor(array, dtype, device)


# --- autograd hooks --------------------------------------------------------------
def needs_grad(tensors):
    if not grad_state.enabled:
        return False
    for t in tensors:
        if t is not None and t._requires_grad:
            return True
    return False


def record(op_name, inputs, outputs, params):
    seam.require(op_name).record(op_name, inputs, outputs, params)


def check_out(out, op_name, inputs):
    if not isinstance(out, Tensor):
        raise TypeError(f"{op_name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if needs_grad(inputs) or (grad_state.enabled and out._requires_grad):
        raise RuntimeError(f"{op_name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


# --- writes through aliased memory -------------------------------------------------
_INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers "
                     "to a single memory location. Please clone() the tensor before performing the "
                     "operation.")
_PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to "
                    "tensor refer to a single memory location. Please clone() the tensor before "
                    "performing the operation.")


def check_overlap(dst: Tensor, inputs, op_name, xp=np):
    """PyTorch's rules for an elementwise write into `dst` (in-place op, ``out=``, copy_).

    Refused: `dst` has a broadcast (stride-0) dim, or an input is a dense view covering
    some but not exactly the same elements of `dst` (``a[1:] += a[:-1]``, ``x.add_(x.t())``);
    PyTorch raises for these rather than give an order-dependent result. An input that
    is `dst` itself, or a layout too irregular to tell, is let through as PyTorch does
    (the kernels read such inputs as if copied first).
    """
    a = dst._data
    if a.size == 0:
        return
    if 0 in a.strides and any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape)):
        raise RuntimeError(f"{op_name}(): {_INTERNAL_OVERLAP}")
    for t in inputs:
        if isinstance(t, Tensor) and t._data is not a and _partial_overlap(a, t._data, xp):
            raise RuntimeError(f"{op_name}(): {_PARTIAL_OVERLAP}")


def _partial_overlap(a, b, xp):
    if a.size == 0 or b.size == 0 or type(a) is not type(b) or not xp.may_share_memory(a, b):
        return False
    extent_a, extent_b = _dense_extent(a), _dense_extent(b)
    if extent_a is None or extent_b is None:
        return False  # not dense: PyTorch calls this too hard to tell and allows it
    if extent_a == extent_b:  # the same bytes: fine only if element i is element i in both
        return a.ndim != b.ndim or _layout(a) != _layout(b)
    return extent_a[0] < extent_b[1] and extent_b[0] < extent_a[1]


def _layout(a):
    return [(n, s) for n, s in zip(a.shape, a.strides) if n > 1]


def _dense_extent(a):
    """(first byte, end byte) of `a` if its elements tile that range exactly, else None."""
    expected = a.itemsize
    for step, n in sorted((abs(s), n) for n, s in zip(a.shape, a.strides) if n > 1):
        if step != expected:
            return None
        expected *= n
    low = _array_ptr(a) + sum(s * (n - 1) for n, s in zip(a.shape, a.strides) if s < 0)
    return low, low + expected


def writable(t: Tensor, op_name):
    """`t`'s array, fit to be written through.

    ``expand`` gives read-only numpy views (numpy's broadcast arrays); PyTorch writes
    through them, so this returns a writable alias of the same memory. Memory that is
    read-only underneath (a non-writable numpy array given to ``from_numpy``) is refused
    here: the compiled kernels do not look at numpy's flag.
    """
    a = t._data
    flags = getattr(a, "flags", None)
    if flags is None or getattr(flags, "writeable", True):
        return a
    root = _root(a)
    if not root.flags.writeable or not (root.flags.c_contiguous or root.flags.f_contiguous):
        # (a root that is not contiguous would be copied by reshape: the write would be lost)
        raise RuntimeError(f"{op_name}(): cannot write in place into a tensor whose memory is a "
                           "read-only numpy array; clone() it first")
    flat = root.reshape(-1, order="A")  # a contiguous root: a 1-D view in memory order
    return np.ndarray(a.shape, a.dtype, buffer=flat, offset=_array_ptr(a) - _array_ptr(flat),
                      strides=a.strides)


def write_out(out: Tensor, result: Tensor, op_name):
    """Copy `result` into the user's `out=` tensor, resizing it as PyTorch does."""
    if out._device != result._device:
        raise RuntimeError(f"{op_name}(): Expected out tensor to have device {result._device}, but "
                           f"got {out._device} instead")
    if not D.can_cast(result._dtype, out._dtype):
        raise RuntimeError(f"{op_name}(): result type {_type_name(result._dtype)} can't be cast to "
                           f"the desired output type {_type_name(out._dtype)}")
    if out.shape != result.shape:
        if out.numel() != 0:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated.", UserWarning,
                          stacklevel=3)
        fresh = result.to(out._dtype) if out._dtype is not result._dtype else result.clone()
        out._data = fresh._data
    else:
        store(out, compute_array(result, compute_dtype(out._dtype)))
    out._version_counter.bump(op_name)
    return out


def _type_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[d.name]


# --- pointwise front end ---------------------------------------------------------
def _result_dtypes(op, args):
    rule = op.rule
    dtype = D.result_type(*args) if rule != "where" else D.result_type(*args[1:])
    if rule == "where":
        return dtype, dtype
    if rule == "promote":
        return dtype, dtype
    if rule == "float":
        if not dtype.is_floating_point:
            dtype = D.get_default_dtype()
        return dtype, dtype
    if rule == "compare" or rule == "logical":
        return dtype, D.bool
    if rule == "integral":
        if dtype.is_floating_point:
            raise RuntimeError(f"\"{op.name}_cpu\" not implemented for '{_type_name(dtype)}'")
        return dtype, dtype
    if rule == "same":
        if dtype is D.bool:
            raise RuntimeError(f"{op.name}: the operation is not supported on bool tensors; "
                               "use logical_not() or ~ instead")
        return dtype, dtype
    raise AssertionError(rule)


def pointwise(op: Op, args: tuple, out=None, params=_EMPTY):
    """Elementwise op over tensors and Python scalars, with broadcasting and promotion."""
    tensors = [a for a in args if isinstance(a, Tensor)]
    device = common_device(tensors, op.name, cpu_scalars=True)
    shape = tensors[0]._data.shape
    for t in tensors:
        if t._data.shape != shape:
            shape = broadcast_shapes(*[t._data.shape for t in tensors])
            break
    compute, result_dtype = _result_dtypes(op, args)
    compute = compute_dtype(compute)
    kernels = get_backend(device.type).kernels
    arrays = [_kernel_arg(a, compute, device) for a in args]
    if op.rule == "where":  # the condition stays bool: it takes no part in promotion
        arrays[0] = _kernel_arg(args[0], D.bool, device)
    result_compute = compute_dtype(result_dtype)
    if out is not None and isinstance(out, Tensor) and out._dtype is result_compute \
            and out._data.shape == shape and out._device == device:
        # the kernel writes straight into `out` (no temporary, no second pass) unless
        # `out` overlaps an input: multi-step reference kernels may not allow that
        check_out(out, op.name, tensors)
        check_overlap(out, tensors, op.name, kernels.xp)
        dst = writable(out, op.name)
        if not any(isinstance(a, kernels.xp.ndarray) and kernels.xp.may_share_memory(dst, a)
                   for a in arrays):
            getattr(kernels, op.kernel)(dst, *arrays, **params)
            out._version_counter.bump(op.name)
            return out
    result_array = kernels.xp.empty(shape, result_compute.np)
    getattr(kernels, op.kernel)(result_array, *arrays, **params)
    result = _new_tensor(result_array, result_dtype, device) if result_compute is result_dtype \
        else result_from(result_array, result_dtype, device)
    if out is not None:
        check_out(out, op.name, tensors)
        if isinstance(out, Tensor) and out._data.shape == shape:  # else out is resized: fresh memory
            check_overlap(out, tensors, op.name, kernels.xp)
        return write_out(out, result, op.name)
    if grad_state.enabled:
        for t in tensors:
            if t._requires_grad:
                record(op.name, args, result, params)
                break
    return result


def pointwise_(op: Op, self: Tensor, args: tuple, params=_EMPTY):
    """In-place pointwise op: ``self.op_(*args)``; `self` is args[0]."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{op.name}_(): self must be a Tensor")
    tensors = [a for a in args if isinstance(a, Tensor)]
    check_overlap(self, tensors, op.name + "_", get_backend(self._device.type).xp)
    if needs_grad(tensors):
        return seam.require(op.name).apply_inplace(
            op.name + "_", self, lambda old: pointwise(op, (old,) + args[1:], params=params))
    device = common_device(tensors, op.name + "_", cpu_scalars=True)
    if device != self._device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {self._device} and {device}! (in {op.name}_)")
    shape = broadcast_shapes(*[t._data.shape for t in tensors])
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    compute, result_dtype = _result_dtypes(op, args)
    if not D.can_cast(result_dtype, self._dtype):
        raise RuntimeError(f"result type {_type_name(result_dtype)} can't be cast to the desired "
                           f"output type {_type_name(self._dtype)}")
    compute = compute_dtype(compute)
    kernels = get_backend(self._device.type).kernels
    arrays = [_kernel_arg(a, compute, device) for a in args]
    if self._dtype is compute_dtype(result_dtype):
        getattr(kernels, op.kernel)(writable(self, op.name + "_"), *arrays, **params)
    else:
        tmp = kernels.xp.empty(shape, compute_dtype(result_dtype).np)
        getattr(kernels, op.kernel)(tmp, *arrays, **params)
        store(self, tmp)
    self._version_counter.bump(op.name + "_")
    return self


def _scalar(value, dtype):
    """A Python scalar in the kernel's compute dtype (integers wrap as in a C cast)."""
    if dtype.is_floating_point:
        return float(value)
    if isinstance(value, (bool, np.bool_)) or dtype is D.bool:
        return bool(value)
    value = int(value)
    info = np.iinfo(dtype.np)
    if info.min <= value <= info.max:
        return value
    return np.array(value).astype(dtype.np)[()]


# --- reductions ------------------------------------------------------------------
def reduction(name, input: Tensor, dim, keepdim, dtype=None, out=None, rule="promote_int",
              params=_EMPTY):
    """A reduction over `dim` (int, tuple, or None for all dims).

    rule: 'promote_int' (bool/int sum to int64, like sum/prod), 'float' (mean),
    'same' (amax), 'bool' (all/any).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    dims = wrap_dims(dim, input.ndim, name)
    if dtype is not None:
        result_dtype = D.as_dtype(dtype)
    elif rule == "promote_int":
        result_dtype = input._dtype if input._dtype.is_floating_point else D.int64
    elif rule == "float":
        result_dtype = input._dtype
        if not result_dtype.is_floating_point:
            raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a "
                               f"floating point or complex dtype. Got: {_type_name(result_dtype)}")
    elif rule == "bool":
        result_dtype = D.uint8 if input._dtype is D.uint8 else D.bool
    else:
        result_dtype = input._dtype
    kernels = get_backend(input._device.type).kernels
    compute = compute_dtype(result_dtype if rule != "same" else input._dtype)
    array = compute_array(input, compute)
    result_array = getattr(kernels, name)(array, dims, keepdim, **params)
    result = result_from(result_array, result_dtype, input._device)
    if out is not None:
        check_out(out, name, (input,))
        return write_out(out, result, name)
    if needs_grad((input,)):
        record(name, (input,), result, dict(params, dim=dims, keepdim=keepdim))
    return result


# --- general tail ------------------------------------------------------------------
def apply(name, inputs: tuple, params: dict, kernel_args=(), out=None, result_dtype=None,
          differentiable=True):
    """Run kernel `name` on the inputs' arrays and wrap what it returns.

    `inputs` are the tensors autograd sees (None for an optional one left out, which the
    kernel gets as None); the kernel gets their arrays followed by `kernel_args` and `params`. A kernel returns one array or a tuple of arrays
    (tuples become tuples of tensors; integer outputs such as indices keep their dtype).
    `result_dtype` may be a tuple giving each output's dtype (e.g. values, int64 indices).
    """
    device = common_device(inputs, name)
    kernels = get_backend(device.type).kernels
    arrays = [None if t is None else compute_array(t, compute_dtype(t._dtype)) for t in inputs]
    raw = getattr(kernels, name)(*arrays, *kernel_args, **params)
    dtype = result_dtype or (inputs[0]._dtype if inputs else D.get_default_dtype())
    if isinstance(dtype, tuple):
        result = tuple(result_from(r, d, device) for r, d in zip(raw, dtype))
    elif isinstance(raw, tuple):
        result = tuple(result_from(r, dtype if r.dtype.kind == "f" or r.dtype.kind == dtype.np.kind
                                   else D.from_numpy_dtype(r.dtype), device) for r in raw)
    else:
        result = result_from(raw, dtype, device)
    if out is not None:
        check_out(out if not isinstance(out, tuple) else out[0], name, inputs)
        if isinstance(out, tuple):
            return tuple(write_out(o, r, name) for o, r in zip(out, result))
        return write_out(out, result, name)
    if differentiable and needs_grad(inputs):
        record(name, inputs, result, params)
    return result


def view(name, base: Tensor, array, params=_EMPTY):
    """A tensor over the same storage as `base` (shares its version counter)."""
    if not hasattr(array, "strides"):  # a numpy scalar is a copy: views must stay arrays
        raise AssertionError(f"{name}: view kernel returned a scalar, not a view")
    result = _new_view(base, array)
    if needs_grad((base,)):
        record(name, (base,), result, params)
    return result


_ember_code = {}  # code object -> whether it is ember's own (the lookup runs per recorded op)


def user_frame():
    """Where the first caller outside ember is, as (code object, instruction offset): cheap
    enough to take on every recorded op, while a frame's line number is not (it decodes the
    line table). `resolve_site` finds the line when a message needs it."""
    f = sys._getframe(0)
    while f is not None:
        code = f.f_code
        inside = _ember_code.get(code)
        if inside is None:
            inside = _ember_code[code] = _is_ember_file(code.co_filename)
        if not inside:
            return (code, f.f_lasti)
        f = f.f_back
    return None


def resolve_site(site):
    """(file, line) of a site taken by `user_frame` (None stays None)."""
    if site is None:
        return None
    code, offset = site
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return code.co_filename, line
    return code.co_filename, code.co_firstlineno


def _is_ember_file(path):
    return "/ember/" in path.replace("\\", "/")


VersionCounter.frame_of_caller = staticmethod(user_frame)
