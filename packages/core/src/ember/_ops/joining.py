"""Joining and rearranging: cat/stack and friends, repeat/tile, flip/roll/rot90,
triangles and diagonals, meshgrid, atleast_nd, block_diag, cartesian_prod.

Kernel-backed ops go through `_dispatch.apply` and are recorded under their own name
(``cat`` {dim}, ``flip`` {dims}, ``roll`` {shifts, dims}, ``repeat`` {repeats},
``repeat_interleave`` {repeats (an int) or a repeats tensor input, dim}, ``tril``/
``triu`` {diagonal}, ``diag_embed`` {offset, dim1, dim2}); everything else is built
from those and from views, so autograd needs no formula of its own for it.
"""
from __future__ import annotations

import functools
import itertools
import numbers
import warnings

import numpy as np

from .. import _autograd_seam as seam
from .. import _dtype as D
from .._dispatch import (apply, common_device, compute_array, compute_dtype, needs_grad, store,
                         wrap_dim, wrap_dims)
from .._tensor import Tensor
from . import shape as _shape
from .shape import _size_args, reshape, unsqueeze


def _tensor_list(tensors, op, empty_error=None):
    """`tensors` (a list or tuple of Tensors) checked, as a list."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if not tensors and empty_error:
        raise empty_error
    return list(tensors)


def _varargs(tensors):
    """``f(a, b)`` and ``f([a, b])`` alike."""
    return tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors


def _promoted(tensors):
    dtype = functools.reduce(D.promote_types, (t._dtype for t in tensors))
    return dtype, [t if t._dtype is dtype else t.to(dtype) for t in tensors]


def _inplace_from(name, self, compute):
    """In-place op from its out-of-place form: ``self.op_()`` writes ``compute(self)``."""
    if needs_grad((self,)):
        return seam.require(name).apply_inplace(name, self, compute)
    if not getattr(self._data.flags, "writeable", True):
        raise RuntimeError(f"{name}(): unsupported operation: more than one element of the "
                           "written-to tensor refers to a single memory location. Please clone() "
                           "the tensor before performing the operation.")
    result = compute(self)
    store(self, compute_array(result, compute_dtype(self._dtype)))
    self._version_counter.bump(name)
    return self


# --- cat and stack -----------------------------------------------------------------
def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (dtypes promote; the legacy 1-D empty tensor
    is skipped whatever the others' shapes).

    >>> import ember
    >>> ember.cat([ember.tensor([[1, 2]]), ember.tensor([[3.5, 4]])])
    tensor([[1.0000, 2.0000],
            [3.5000, 4.0000]])
    """
    tensors = _tensor_list(tensors, "cat", ValueError("cat(): expected a non-empty list of Tensors"))
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    common_device(tensors, "cat")
    dtype, tensors = _promoted(tensors)
    kept = [t for t in tensors if t.shape != (0,)]  # legacy: 1-D empty tensors join anything
    if not kept:
        return apply("cat", tuple(tensors), {"dim": 0}, out=out)
    first = kept[0]
    dim = wrap_dim(dim, first.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.shape == (0,):
            continue
        if t.ndim != first.ndim:
            raise RuntimeError(f"cat(): Tensors must have same number of dimensions: got "
                               f"{first.ndim} and {t.ndim}")
        for d in range(first.ndim):
            if d != dim and t.shape[d] != first.shape[d]:
                raise RuntimeError(f"cat(): Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {first.shape[d]} but got size {t.shape[d]} for "
                                   f"tensor number {i} in the list.")
    return apply("cat", tuple(kept), {"dim": dim}, out=out, result_dtype=dtype)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join equal-shaped tensors along a new dim.

    >>> import ember
    >>> ember.stack([ember.tensor([1, 2]), ember.tensor([3, 4])], dim=1)
    tensor([[1, 3],
            [2, 4]])
    """
    tensors = _tensor_list(tensors, "stack", RuntimeError("stack expects a non-empty TensorList"))
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry {i}")
    dim = wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, dim) for t in tensors], dim, out=out)


def hstack(tensors, *, out=None):
    """Join along dim 1 (dim 0 for 1-D tensors).

    >>> import ember
    >>> ember.hstack([ember.tensor([1, 2]), ember.tensor([3])])
    tensor([1, 2, 3])
    """
    tensors = atleast_1d(*_tensor_list(tensors, "hstack",
                                       RuntimeError("hstack expects a non-empty TensorList")))
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Join along dim 0 after making every tensor at least 2-D.

    >>> import ember
    >>> ember.vstack([ember.tensor([1, 2]), ember.tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])
    """
    tensors = atleast_2d(*_tensor_list(tensors, "vstack",
                                       RuntimeError("vstack expects a non-empty TensorList")))
    return cat(tensors if isinstance(tensors, tuple) else (tensors,), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Join along dim 2 after making every tensor at least 3-D.

    >>> import ember
    >>> ember.dstack([ember.tensor([1, 2]), ember.tensor([3, 4])]).shape
    ember.Size([1, 2, 2])
    """
    tensors = atleast_3d(*_tensor_list(tensors, "dstack",
                                       RuntimeError("dstack expects a non-empty TensorList")))
    return cat(tensors if isinstance(tensors, tuple) else (tensors,), 2, out=out)


def column_stack(tensors, *, out=None):
    """Join as columns: 0-D and 1-D tensors become (n, 1) columns, then ``hstack``.

    >>> import ember
    >>> ember.column_stack([ember.tensor([1, 2]), ember.tensor([3, 4])])
    tensor([[1, 3],
            [2, 4]])
    """
    tensors = _tensor_list(tensors, "column_stack",
                           RuntimeError("column_stack expects a non-empty TensorList"))
    return cat([reshape(t, t.numel(), 1) if t.ndim <= 1 else t for t in tensors], 1, out=out)


# --- repeating ---------------------------------------------------------------------
def repeat(input, *sizes):
    """Tile `input` ``sizes[i]`` times along each dim (extra leading sizes add dims).

    >>> import ember
    >>> ember.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    sizes = _size_args(sizes, "repeat")
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat(): Number of dimensions of repeat dims can not be smaller than "
                           f"number of dimensions of tensor ({len(sizes)} < {input.ndim})")
    padded = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    target = [n * s for n, s in zip(padded, sizes)]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat(): Trying to create tensor with negative dimension "
                           f"{min(target)}: {target}")
    return apply("repeat", (input,), {"repeats": sizes})


def tile(input, dims):
    """``repeat`` with `dims` padded with leading 1s up to input's number of dims.

    >>> import ember
    >>> ember.tensor([[1, 2]]).tile((2,))
    tensor([[1, 2, 1, 2]])
    """
    dims = _size_args((dims,) if isinstance(dims, (int, np.integer)) else tuple(dims), "tile")
    return repeat(input, *((1,) * (input.ndim - len(dims)) + dims))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or each slice along `dim`) `repeats` times; `repeats` is an
    int or a tensor with one count per slice. Without `dim` the input is flattened.
    ``repeat_interleave(counts)`` alone repeats the indices ``0..n-1``.

    >>> import ember
    >>> ember.tensor([1, 2]).repeat_interleave(ember.tensor([1, 3]))
    tensor([1, 2, 2, 2])
    """
    if repeats is None:  # repeat_interleave(repeats): indices 0..n-1 repeated
        counts = input
        if not isinstance(counts, Tensor) or counts.ndim != 1:
            raise RuntimeError("repeat_interleave(): repeats must be 0-dim or 1-dim tensor")
        from .creation import arange
        return repeat_interleave(arange(counts.shape[0], device=counts.device), counts, 0,
                                 output_size=output_size)
    if dim is None:
        input, dim = reshape(input, -1), 0
    else:
        dim = wrap_dim(dim, input.ndim, "repeat_interleave")
    size = input.shape[dim] if input.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats._dtype.is_floating_point or repeats._dtype is D.bool:
            raise RuntimeError(f"repeat_interleave(): repeats must be an integer tensor, got "
                               f"{repeats._dtype}")
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave(): repeats must be 0-dim or 1-dim tensor")
        counts = repeats._data.reshape(-1).astype(np.int64)
        if counts.size and int(counts.min()) < 0:
            raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got "
                               f"{int(counts.min())}")
        if counts.size == 1:
            repeats = int(counts[0])
        elif counts.size != size:
            raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input "
                               f"along dim, but got repeats.size(0) = {counts.size} and "
                               f"input.size({dim}) = {size}")
    elif isinstance(repeats, (numbers.Integral, np.integer)) and not isinstance(repeats, bool):
        repeats = int(repeats)
        if repeats < 0:
            raise RuntimeError(f"repeat_interleave(): Repeats must be non-negative, got {repeats}")
    else:
        raise TypeError(f"repeat_interleave(): argument 'repeats' must be int or Tensor, not "
                        f"{type(repeats).__name__}")
    total = repeats * size if isinstance(repeats, int) else int(counts.sum())
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave(): Invalid output_size, expected {total} but got "
                           f"{output_size}")
    if input.ndim == 0:
        input = reshape(input, 1)
    if isinstance(repeats, int):
        return apply("repeat_interleave", (input,), {"repeats": repeats, "dim": dim})
    from .creation import from_host
    counts_t = repeats if repeats._dtype is D.int64 and repeats.ndim == 1 else \
        from_host(counts, D.int64, repeats.device)
    return apply("repeat_interleave", (input, counts_t), {"dim": dim})


# --- flips and rotations -------------------------------------------------------------
def flip(input, *dims):
    """Reverse the order of elements along `dims` (a copy).

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).flip(0, 1)
    tensor([[4, 3],
            [2, 1]])
    """
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    dims = wrap_dims(dims, input.ndim, "flip")
    return apply("flip", (input,), {"dims": dims})


def fliplr(input):
    """Flip dim 1 (left/right) of a tensor of at least 2 dims.

    >>> import ember
    >>> ember.tensor([[1, 2]]).fliplr()
    tensor([[2, 1]])
    """
    if input.ndim < 2:
        raise RuntimeError(f"fliplr(): Input must be >= 2-d, got {input.ndim}-d")
    return flip(input, 1)


def flipud(input):
    """Flip dim 0 (up/down) of a tensor of at least 1 dim.

    >>> import ember
    >>> ember.tensor([1, 2]).flipud()
    tensor([2, 1])
    """
    if input.ndim < 1:
        raise RuntimeError("flipud(): Input must be >= 1-d, got 0-d")
    return flip(input, 0)


def roll(input, shifts, dims=None):
    """Rotate elements by `shifts` along `dims` (flattened when `dims` is None).

    >>> import ember
    >>> ember.tensor([1, 2, 3]).roll(1)
    tensor([3, 1, 2])
    """
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims) and not (not dims and len(shifts) == 1):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if input.ndim == 0 and dims:
        raise IndexError(f"roll(): Dimension specified as {dims[0]} but tensor has no dimensions")
    dims = tuple(wrap_dim(d, input.ndim, "roll") for d in dims)
    return apply("roll", (input,), {"shifts": tuple(int(s) for s in shifts), "dims": dims})


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees `k` times in the plane `dims`, from the first dim towards the
    second.

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).rot90()
    tensor([[2, 4],
            [1, 3]])
    """
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90(): expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90(): expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90(): expected rotation dims to be different, but got dim0 = {d0} "
                           f"and dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    from .creation import clone
    return clone(input)


# --- triangles and diagonals -----------------------------------------------------------
def _triangle(name, input, diagonal, out):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return apply(name, (input,), {"diagonal": int(diagonal)}, out=out)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims (elements above `diagonal` zeroed).

    >>> import ember
    >>> ember.ones(2, 3).tril()
    tensor([[1., 0., 0.],
            [1., 1., 0.]])
    """
    return _triangle("tril", input, diagonal, out)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims (elements below `diagonal` zeroed).

    >>> import ember
    >>> ember.ones(2, 3).triu(1)
    tensor([[0., 1., 1.],
            [0., 0., 1.]])
    """
    return _triangle("triu", input, diagonal, out)


def tril_(self, diagonal=0):
    """In-place `tril`.

    >>> import ember
    >>> ember.ones(2, 2).tril_()
    tensor([[1., 0.],
            [1., 1.]])
    """
    if self.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _inplace_from("tril_", self, lambda old: tril(old, diagonal))


def triu_(self, diagonal=0):
    """In-place `triu`.

    >>> import ember
    >>> ember.ones(2, 2).triu_()
    tensor([[1., 1.],
            [0., 1.]])
    """
    if self.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _inplace_from("triu_", self, lambda old: triu(old, diagonal))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims `dim1`, `dim2` of the result) whose diagonal `offset` holds the
    last dim of `input`.

    >>> import ember
    >>> ember.diag_embed(ember.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    """
    n = input.ndim + 1  # a 0-d input fails here: no two dims to embed into
    d1, d2 = wrap_dim(dim1, n, "diag_embed"), wrap_dim(dim2, n, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply("diag_embed", (input,), {"offset": int(offset), "dim1": d1, "dim2": d2})


def diag(input, diagonal=0, *, out=None):
    """A 1-D tensor to a diagonal matrix, or a matrix's `diagonal` as 1-D (a copy).

    >>> import ember
    >>> ember.diag(ember.tensor([1, 2]), 1)
    tensor([[0, 1, 0],
            [0, 0, 2],
            [0, 0, 0]])
    """
    if input.ndim == 1:
        result = diag_embed(input, diagonal, 0, 1)
    elif input.ndim == 2:
        from .creation import clone
        result = clone(_shape.diagonal(input, diagonal))
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    if out is None:
        return result
    from .._dispatch import check_out, write_out
    check_out(out, "diag", (input,))
    return write_out(out, result, "diag")


def diagflat(input, offset=0):
    """`input` flattened onto diagonal `offset` of a square matrix.

    >>> import ember
    >>> ember.diagflat(ember.tensor([[1, 2]]))
    tensor([[1, 0],
            [0, 2]])
    """
    return diag_embed(reshape(input, -1), offset, 0, 1)


# --- grids and products ----------------------------------------------------------------
def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (views). ``indexing='ij'`` gives shape
    (n0, n1, ...); ``'xy'`` swaps the first two dims. Without `indexing` it warns and
    uses 'ij', as PyTorch does.

    >>> import ember
    >>> gx, gy = ember.meshgrid(ember.tensor([1, 2]), ember.tensor([3, 4, 5]), indexing='ij')
    >>> gx.shape, gy[0]
    (ember.Size([2, 3]), tensor([3, 4, 5]))
    """
    tensors = _varargs(tensors)
    if indexing is None:
        warnings.warn("ember.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid(): indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    tensors = _tensor_list(tensors, "meshgrid",
                           RuntimeError("meshgrid expects a non-empty TensorList"))
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid(): Expected 0D or 1D tensor in the tensor list but got a "
                               f"{t.ndim}D tensor of shape {list(t.shape)} at position {i}")
        if t._dtype is not tensors[0]._dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype, got "
                               f"{tensors[0]._dtype} and {t._dtype}")
        if t._device != tensors[0]._device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    sizes = [t.numel() for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:  # x varies along columns: dims 0 and 1 swap
        order[0], order[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for t, position in zip(tensors, order):
        shape = [1] * len(tensors)
        shape[position] = -1
        grids.append(reshape(t, *shape).expand(*sizes))
    return tuple(grids)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d tensors become shape (1,)); one tensor in,
    one out.

    >>> import ember
    >>> ember.atleast_1d(ember.tensor(5))
    tensor([5])
    """
    return _atleast_apply(tensors, lambda t: reshape(t, 1) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (shape (n,) becomes (1, n)).

    >>> import ember
    >>> ember.atleast_2d(ember.tensor([1, 2]))
    tensor([[1, 2]])
    """
    return _atleast_apply(tensors, lambda t: reshape(t, 1, 1) if t.ndim == 0 else
                          unsqueeze(t, 0) if t.ndim == 1 else t)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: () -> (1, 1, 1), (n,) -> (1, n, 1),
    (m, n) -> (m, n, 1).

    >>> import ember
    >>> ember.atleast_3d(ember.ones(2, 3)).shape
    ember.Size([2, 3, 1])
    """
    def three(t):
        if t.ndim == 0:
            return reshape(t, 1, 1, 1)
        if t.ndim == 1:
            return unsqueeze(unsqueeze(t, 0), 2)
        return unsqueeze(t, 2) if t.ndim == 2 else t
    return _atleast_apply(tensors, three)


def _atleast_apply(tensors, fn):
    """One tensor gives one tensor; several (or a list) give a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    items = _varargs(tensors)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"atleast_nd(): expected Tensor, got {type(t).__name__}")
    return tuple(fn(t) for t in items)


def block_diag(*tensors):
    """A block-diagonal matrix of the given tensors (0-D and 1-D count as one row).

    >>> import ember
    >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3))
    tensor([[1, 2, 0],
            [0, 0, 3]])
    """
    from .creation import zeros
    tensors = _tensor_list(list(tensors), "block_diag")
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag(): Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return zeros(1, 0)
    device = common_device(tensors, "block_diag")
    dtype, tensors = _promoted(tensors)
    blocks = [reshape(t, 1, 1) if t.ndim == 0 else reshape(t, 1, -1) if t.ndim == 1 else t
              for t in tensors]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        h, w = b.shape
        rows.append(cat([zeros(h, left, dtype=dtype, device=device), b,
                         zeros(h, width - left - w, dtype=dtype, device=device)], 1))
        left += w
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """All combinations of one element from each 1-D tensor, one per row (a 1-D tensor
    on its own is returned as is).

    >>> import ember
    >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
    tensor([[1, 3],
            [1, 4],
            [2, 3],
            [2, 4]])
    """
    tensors = _tensor_list(list(_varargs(tensors)), "cartesian_prod",
                           RuntimeError("cartesian_prod expects a non-empty TensorList"))
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod(): Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-`r` combinations of the elements of a 1-D tensor, one per row (as
    ``itertools.combinations``, or ``combinations_with_replacement``).

    >>> import ember
    >>> ember.combinations(ember.tensor([1, 2, 3]), 2)
    tensor([[1, 2],
            [1, 3],
            [2, 3]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"combinations(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim != 1:
        raise RuntimeError(f"combinations(): Expect a 1D vector, but got shape {list(input.shape)}")
    if not isinstance(r, (numbers.Integral, np.integer)) or r < 0:
        raise RuntimeError(f"combinations(): Expect a non-negative number, but got {r}")
    from .creation import from_host
    from .indexing import getitem
    if r == 0:
        return getitem(input, slice(0, 0))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), int(r))), np.int64).reshape(-1, int(r))
    return getitem(input, from_host(rows, D.int64, input.device))


__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll",
           "rot90", "tril", "triu", "diag", "diag_embed", "diagflat", "meshgrid", "atleast_1d",
           "atleast_2d", "atleast_3d", "block_diag", "cartesian_prod", "combinations"]
METHODS = {n: globals()[n] for n in ("repeat", "repeat_interleave", "tile", "flip", "fliplr",
                                      "flipud", "roll", "rot90", "tril", "triu", "tril_", "triu_",
                                      "diag", "diag_embed", "diagflat")}
