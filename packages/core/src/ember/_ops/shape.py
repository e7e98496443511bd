"""View ops (no copies) and reshaping. Views share storage and version counter.

Each view is made by the backend's array module over the tensor's own array, so the
same code serves numpy and cupy storages; `_dispatch.view` records it for autograd.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._dispatch import check_shape, view, wrap_dim, wrap_dims
from .._tensor import Tensor, _root


def _infer_size(shape, numel, op="view"):
    shape = list(shape)
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


def _size_args(size, op):
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        try:
            size = tuple(size[0])
        except TypeError:
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of "
                            f"type {type(size[0]).__name__}") from None
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of "
                            f"type {type(s).__name__}")
    return tuple(int(s) for s in size)


def view_(input, *shape):
    """Same data, new shape, never a copy (raises where strides make that impossible).

    >>> import ember
    >>> ember.arange(6).view(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(input, shape[0])
    shape = _infer_size(_size_args(shape, "view"), input.numel())
    array = input._data
    if array.shape == shape:
        result = array.view()
    else:
        from .._device import get_backend
        result = _reshape_view(input, array, shape)
        if result is None:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                               "least one dimension spans across two contiguous subspaces). Use "
                               ".reshape(...) instead.")
    return view("view", input, result, {"shape": input.shape})


def _view_dtype(input, dtype):
    if dtype.itemsize != input.dtype.itemsize:
        raise RuntimeError(f"view(dtype): itemsize of {dtype} ({dtype.itemsize}) differs from "
                           f"{input.dtype} ({input.dtype.itemsize}); only equal sizes are supported")
    t = view("view_dtype", input, input._data.view(dtype.np))
    t._dtype = dtype
    return t


def reshape(input, *shape):
    """Like `view`, but copies when the strides require it.

    >>> import ember
    >>> ember.arange(6).view(2, 3).t().reshape(-1)
    tensor([0, 3, 1, 4, 2, 5])
    """
    shape = _infer_size(_size_args(shape, "reshape"), input.numel(), "reshape")
    from .._device import get_backend
    array = _reshape_view(input, input._data, shape)
    if array is not None:
        return view("view", input, array, {"shape": input.shape})
    from .creation import clone
    return view_(clone(input), *shape)


def view_as(input, other):
    return view_(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims `start_dim`..`end_dim` into one.

    >>> import ember
    >>> ember.zeros(2, 3, 4).flatten(1).shape
    ember.Size([2, 12])
    """
    if input.ndim == 0:
        return reshape(input, 1)
    start, end = wrap_dim(start_dim, input.ndim, "flatten"), wrap_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dim `dim` into `sizes` (one may be -1)."""
    dim = wrap_dim(dim, input.ndim, "unflatten")
    sizes = _infer_size(tuple(sizes), input.shape[dim], "unflatten")
    return view_(input, input.shape[:dim] + sizes + input.shape[dim + 1:])


def permute(input, *dims):
    """Reorder dims (a view).

    >>> import ember
    >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
    ember.Size([4, 2, 3])
    """
    dims = _size_args(dims, "permute")
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {input.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, input.ndim, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view("permute", input, input._data.transpose(dims), {"dims": dims})


def transpose(input, dim0, dim1):
    """Swap two dims (a view).

    >>> import ember
    >>> ember.zeros(2, 3).transpose(0, 1).shape
    ember.Size([3, 2])
    """
    n = input.ndim
    d0, d1 = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    if n < 2:
        return view("permute", input, input._data.view(), {"dims": tuple(range(n))})
    axes = list(range(n))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return view("permute", input, input._data.transpose(axes), {"dims": tuple(axes)})


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims.

    >>> import ember
    >>> ember.tensor([[1, 2]]).t()
    tensor([[1],
            [2]])
    """
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else transpose(input, 0, 0)


def movedim(input, source, destination):
    """Move dims from `source` to `destination` positions (a view)."""
    n = max(input.ndim, 1)  # a 0-d tensor has one dim to name, as in PyTorch
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should "
                           f"contain the same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, n, "movedim") for d in src]
    dst = [wrap_dim(d, n, "movedim") for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    if input.ndim == 0:
        return permute(input, ())
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def expand(input, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a dim).

    >>> import ember
    >>> ember.tensor([[1], [2]]).expand(2, 3)
    tensor([[1, 1, 1],
            [2, 2, 2]])
    """
    sizes = _size_args(sizes, "expand")
    n = input.ndim
    if len(sizes) < n:
        raise RuntimeError(f"expand({list(input.shape)}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({n})")
    shape = list(sizes)
    offset = len(sizes) - n
    for i, s in enumerate(input.shape):
        target = sizes[i + offset]
        if target == -1:
            shape[i + offset] = s
        elif s != 1 and s != target:
            raise RuntimeError(f"The expanded size of the tensor ({target}) must match the existing "
                               f"size ({s}) at non-singleton dimension {i + offset}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(input.shape)}")
    if any(s < 0 for s in shape[:offset]):
        raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
    shape = tuple(shape)
    if shape == input.shape:
        return view("expand", input, input._data.view(), {"shape": input.shape})
    try:
        array = _xp(input).broadcast_to(input._data, shape)  # read-only: writes must not alias
    except (MemoryError, ValueError) as exc:
        raise _too_large("expand", shape, exc) from None
    return view("expand", input, array, {"shape": input.shape})


def _reshape_view(input, array, shape):
    """The kernel's no-copy reshape of `input`'s `array` (None when strides forbid it),
    with numpy's size limits reported as PyTorch-style errors."""
    from .._device import get_backend
    try:
        return get_backend(input._device.type).kernels.reshape_view(array, shape)
    except MemoryError as exc:
        raise _too_large("view", shape, exc) from None


def _too_large(op, shape, exc):
    return RuntimeError(f"{op}(): shape {list(shape)} is too large for this platform's arrays "
                        f"({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})")


def _xp(t):
    from .._device import get_backend
    return get_backend(t._device.type).xp


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, size):
    """``input.expand(size)``."""
    return expand(input, *size)


def broadcast_tensors(*tensors):
    """Expand tensors to their common broadcast shape.

    >>> import ember
    >>> [t.shape for t in ember.broadcast_tensors(ember.zeros(3, 1), ember.zeros(2))]
    [ember.Size([3, 2]), ember.Size([3, 2])]
    """
    from .._dispatch import broadcast_shapes
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    """The broadcast shape of several shapes.

    >>> import ember
    >>> ember.broadcast_shapes((2, 1), (3,))
    ember.Size([2, 3])
    """
    from .._dispatch import broadcast_shapes as bs
    from .._tensor import Size
    return Size(bs(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


def squeeze(input, dim=None):
    """Remove dims of size 1 (all, or those in `dim`).

    >>> import ember
    >>> ember.zeros(1, 2, 1).squeeze().shape
    ember.Size([2])
    """
    dims = wrap_dims(dim, input.ndim, "squeeze") if dim is not None else None
    shape = input.shape
    axes = tuple(d for d in (dims if dims is not None else range(input.ndim)) if shape[d] == 1)
    return view("squeeze", input, input._data.squeeze(axes) if axes else input._data.view(),
                {"shape": shape})


def unsqueeze(input, dim):
    """Insert a dim of size 1 at `dim`.

    >>> import ember
    >>> ember.zeros(3).unsqueeze(0).shape
    ember.Size([1, 3])
    """
    dim = wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return view("unsqueeze", input, input._data.reshape(shape[:dim] + (1,) + shape[dim:]),
                {"dim": dim})


def narrow(input, dim, start, length):
    """``input`` restricted to ``start:start+length`` along `dim` (a view).

    >>> import ember
    >>> ember.arange(5).narrow(0, 1, 2)
    tensor([1, 2])
    """
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, input.ndim, "narrow")
    size = input.shape[dim]
    if isinstance(start, Tensor):
        start = int(start.item())
    if start < 0:
        start += size
    if not 0 <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    key = (slice(None),) * dim + (slice(start, start + length),)
    return view("slice", input, input._data[key], {"key": key})


def select(input, dim, index):
    """The slice at `index` along `dim`, with that dim removed (a view)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, input.ndim, "select")
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    # the trailing Ellipsis keeps a 0-d result a view (a bare int index gives a copy)
    key = (slice(None),) * dim + (index + size if index < 0 else index, Ellipsis)
    return view("slice", input, input._data[key], {"key": key})


def unbind(input, dim=0):
    """All slices along `dim`, as a tuple of views."""
    dim = wrap_dim(dim, input.ndim, "unbind")
    return tuple(select(input, dim, i) for i in range(input.shape[dim]))


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of a size (the last may be smaller) or of the given sizes.

    >>> import ember
    >>> [t.tolist() for t in ember.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    """
    dim = wrap_dim(dim, tensor.ndim, "split")
    size = tensor.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                               f"size of {size}")
        sizes = [min(step, size - i) for i in range(0, size, step)] if step and size else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                               f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, dim, start, s))
        start += s
    return tuple(out)


def tensor_split(input, indices_or_sections, dim=0):
    dim = wrap_dim(dim, input.ndim, "tensor_split")
    size = input.shape[dim]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, got {n}")
        base, extra = divmod(size, n)
        sizes = [base + 1] * extra + [base] * (n - extra)
        return split(input, sizes, dim)
    # indices cut like Python slices: negative ones count from the end, unsorted ones give
    # empty pieces
    bounds = [0] + [int(i) for i in indices_or_sections] + [size]
    pieces = []
    for a, b in zip(bounds, bounds[1:]):
        lo, hi, _ = slice(a, b).indices(size)
        pieces.append(narrow(input, dim, lo, max(hi - lo, 0)))
    return tuple(pieces)


def chunk(input, chunks, dim=0):
    """Split into `chunks` nearly equal views (fewer when the dim is small).

    >>> import ember
    >>> [t.tolist() for t in ember.arange(5).chunk(2)]
    [[0, 1, 2], [3, 4]]
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, input.ndim, "chunk")
    size = input.shape[dim]
    return split(input, max(-(-size // chunks), 1) if size else 1, dim) if size else \
        tuple(narrow(input, dim, 0, 0) for _ in range(chunks))


def _strided(input, shape, strides, offset, op, params):
    """A view with explicit element strides, starting `offset` elements past `input`'s start."""
    array = input._data
    item = array.itemsize
    base = array.reshape(-1)[offset:] if array.flags.c_contiguous else None
    if base is None:
        root = _root(array)
        if not root.flags.c_contiguous:
            raise RuntimeError(f"{op}: tensors over non-contiguous foreign memory are not supported")
        flat = root.reshape(-1)
        base = flat[input.storage_offset() + offset:]
    return view(op, input, _over(base, shape, tuple(s * item for s in strides), input), params)


def _over(flat, shape, byte_strides, input):
    """An array of `shape` and `byte_strides` over `flat`'s memory whose ``.base`` chain
    still leads to the storage (numpy's as_strided hides it, which would break
    ``untyped_storage()`` and ``storage_offset()``)."""
    if isinstance(flat, np.ndarray):
        return np.ndarray(shape, flat.dtype, buffer=flat, strides=byte_strides)
    return _xp(input).lib.stride_tricks.as_strided(flat, shape, byte_strides)


def as_strided(input, size, stride, storage_offset=None):
    """A view with explicit sizes, strides and storage offset (checked against the storage).

    >>> import ember
    >>> ember.arange(4).as_strided((2, 2), (1, 1))
    tensor([[0, 1],
            [1, 2]])
    """
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape ({len(stride)} vs {len(size)})")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: negative sizes or strides are not supported, got "
                           f"size={list(size)}, stride={list(stride)}")
    root = _root(input._data)
    current = input.storage_offset()
    offset = current if storage_offset is None else storage_offset
    extent = offset + (sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0)
    if extent > root.size or offset < 0:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{offset}, and itemsize {input.element_size()} requiring a storage size of "
                           f"{extent * input.element_size()} are out of bounds for storage of size "
                           f"{root.size * input.element_size()}")
    if not root.flags.c_contiguous:
        raise RuntimeError("as_strided: tensors over non-contiguous foreign memory are not supported")
    flat = root.reshape(-1)[offset:]
    item = flat.itemsize
    result = _over(flat, size, tuple(s * item for s in stride), input)
    return view("as_strided", input, result, {"size": size, "stride": stride, "offset": offset,
                                              "input_shape": input.shape,
                                              "input_stride": input.stride(),
                                              "input_offset": current})


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims `dim1`, `dim2` (a view), appended as the last dim.

    >>> import ember
    >>> ember.arange(9).view(3, 3).diagonal(1)
    tensor([1, 5])
    """
    n = input.ndim
    d1, d2 = wrap_dim(dim1, n, "diagonal"), wrap_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shape, strides = input.shape, input.stride()
    if offset >= 0:
        length = max(min(shape[d1], shape[d2] - offset), 0)
        start = offset * strides[d2] if length else 0
    else:
        length = max(min(shape[d1] + offset, shape[d2]), 0)
        start = -offset * strides[d1] if length else 0
    keep = [d for d in range(n) if d not in (d1, d2)]
    new_shape = tuple(shape[d] for d in keep) + (length,)
    new_strides = tuple(strides[d] for d in keep) + (strides[d1] + strides[d2],)
    return _strided(input, new_shape, new_strides, start, "diagonal",
                    {"offset": offset, "dim1": d1, "dim2": d2})


def unfold(input, dimension, size, step):
    """All windows of length `size` along `dimension`, `step` apart, as a new last dim (a view).

    >>> import ember
    >>> ember.arange(5).unfold(0, 2, 2)
    tensor([[0, 1],
            [2, 3]])
    """
    dim = wrap_dim(dimension, input.ndim, "unfold")
    length = input.shape[dim] if input.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    shape, strides = list(input.shape), list(input.stride())
    if input.ndim == 0:
        shape, strides = [], []
        new_shape, new_strides = (size,), (1,)
    else:
        shape[dim] = (length - size) // step + 1
        new_strides = tuple(strides[:dim]) + (strides[dim] * step,) + tuple(strides[dim + 1:]) + \
            (strides[dim],)
        new_shape = tuple(shape) + (size,)
    return _strided(input, new_shape, new_strides, 0, "unfold",
                    {"dimension": dim, "size": size, "step": step})


__all__ = ["reshape", "view_as", "reshape_as", "flatten", "unflatten", "permute", "transpose",
           "swapaxes", "swapdims", "t", "movedim", "moveaxis", "expand", "expand_as", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes", "squeeze", "unsqueeze", "narrow", "select",
           "unbind", "split", "tensor_split", "chunk", "as_strided", "diagonal"]
_NOT_METHODS = {"broadcast_tensors", "broadcast_shapes"}
METHODS = {n: globals()[n] for n in __all__ if n not in _NOT_METHODS}


def _T(self):
    if self.ndim != 2:
        import warnings
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape "
                      "is deprecated and it will throw an error in a future release. Consider `x.mT` "
                      "to transpose batches of matrices or `x.permute(*range(x.ndim - 1, -1, -1))` "
                      "to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute(self, tuple(reversed(range(self.ndim))))


def _H(self):
    if self.ndim > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor. For batches of matrices, consider using tensor.mH")
    return permute(self, tuple(reversed(range(self.ndim))))


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self.ndim}-D tensor.")
    return transpose(self, -2, -1)


METHODS.update(view=view_, unfold=unfold, T=property(_T), H=property(_H), mT=property(_mT),
               mH=property(_mT))  # real dtypes only: the conjugate is the tensor itself
