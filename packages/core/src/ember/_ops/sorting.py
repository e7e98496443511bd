"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, unique, unique_consecutive.

Every sort is stable (equal values keep their order) and NaN sorts above every number,
as in PyTorch. Ops returning ``(values, indices)`` go through `_dispatch.apply` with
their dim/k/... as recorded params; the index outputs are int64.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._dispatch import _type_name, apply, check_out, wrap_dim, write_out
from .reduction import _check_nonempty, _check_tensor, _not_implemented, _values_indices

_LAST = -1


def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    """The named tuple ``(values, indices)`` of `input` sorted along `dim`.

    The sort is always stable, so `stable` changes nothing; NaN sorts last ascending
    and first descending.

    >>> import ember
    >>> values, indices = ember.tensor([3, 1, 2, 1]).sort()
    >>> values.tolist(), indices.tolist()
    ([1, 1, 2, 3], [1, 3, 2, 0])
    """
    _check_tensor(input, "sort")
    if stable is not None and not isinstance(stable, bool):
        raise TypeError(f"sort(): argument 'stable' must be bool, not {type(stable).__name__}")
    dim = wrap_dim(dim, input.ndim, "sort")
    return _values_indices("sort", input, {"dim": dim, "descending": bool(descending)}, out)


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort `input` along `dim` (see `sort`).

    >>> import ember
    >>> ember.tensor([3, 1, 2]).argsort(descending=True)
    tensor([0, 2, 1])
    """
    _check_tensor(input, "argsort")
    dim = wrap_dim(dim, input.ndim, "argsort")
    return apply("argsort", (input,), {"dim": dim, "descending": bool(descending)},
                 result_dtype=D.int64, differentiable=False)


def msort(input, *, out=None):
    """`input` sorted along dim 0 (the values only).

    >>> import ember
    >>> ember.msort(ember.tensor([[3, 1], [2, 4]]))
    tensor([[2, 1],
            [3, 4]])
    """
    values = sort(input, 0).values
    if out is not None:
        check_out(out, "msort", (input,))
        return write_out(out, values, "msort")
    return values


def topk(input, k, dim=None, largest=True, sorted=True, *, out=None):
    """The `k` largest (or smallest, ``largest=False``) elements along `dim` (the last by
    default) and their indices, as the named tuple ``(values, indices)``.

    Results always come sorted; among equal values the earliest positions are taken
    (PyTorch leaves the choice among ties unspecified).

    >>> import ember
    >>> values, indices = ember.tensor([1, 5, 3, 4]).topk(2)
    >>> values.tolist(), indices.tolist()
    ([5, 4], [1, 3])
    """
    _check_tensor(input, "topk")
    dim = wrap_dim(_LAST if dim is None else dim, input.ndim, "topk")
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= (input.shape[dim] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if input.dtype is D.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    return _values_indices("topk", input, {"dim": dim, "k": k, "largest": bool(largest)}, out)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The `k`-th smallest element along `dim` (k counts from 1) and its index.

    >>> import ember
    >>> ember.tensor([[5, 1, 4], [2, 8, 6]]).kthvalue(2).values
    tensor([4, 6])
    """
    _check_tensor(input, "kthvalue")
    if input.dtype is D.bool:
        raise _not_implemented("kthvalue_cpu", input.dtype)
    dim = wrap_dim(dim, input.ndim, "kthvalue")
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' must be int, not {type(k).__name__}")
    if not 1 <= k <= (input.shape[dim] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _values_indices("kthvalue", input, {"dim": dim, "k": k, "keepdim": bool(keepdim)}, out)


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median: of all elements (a 0-d tensor), or along `dim` as the named tuple
    ``(values, indices)``. NaN anywhere in a slice makes its median NaN.

    >>> import ember
    >>> ember.tensor([4, 1, 3, 2]).median()
    tensor(2)
    >>> ember.tensor([[4, 1, 3], [9, 7, 8]]).median(dim=1).indices
    tensor([2, 2])
    """
    return _median("median", input, dim, keepdim, out)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """`median` of the non-NaN values (NaN only where a slice is all NaN).

    >>> import ember
    >>> ember.tensor([float("nan"), 3.0, 1.0]).nanmedian().item()
    1.0
    """
    return _median("nanmedian", input, dim, keepdim, out)


def _median(op, input, dim, keepdim, out):
    _check_tensor(input, op)
    if input.dtype is D.bool:
        raise _not_implemented(f"{op}_cpu", input.dtype)
    if dim is None:
        if input.numel() == 0:
            if not input.dtype.is_floating_point:
                raise RuntimeError(f"{op}(): the median of an empty {_type_name(input.dtype)} "
                                   "tensor is undefined")
            from .creation import full
            return full((), math.nan, dtype=input.dtype, device=input.device)
        # the flattened dim-0 median records its index, which autograd needs
        return _median(op, input.reshape(-1), 0, False, None).values
    dim = wrap_dim(dim, input.ndim, op)
    _check_nonempty(input, dim, op)
    return _values_indices(op, input, {"dim": dim, "keepdim": bool(keepdim)}, out)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along `dim` (the smallest among equally frequent ones) and
    the index of its last occurrence, as the named tuple ``(values, indices)``.

    >>> import ember
    >>> values, indices = ember.tensor([1, 2, 2, 1, 3]).mode()
    >>> values.item(), indices.item()
    (1, 3)
    """
    _check_tensor(input, "mode")
    dim = wrap_dim(dim, input.ndim, "mode")
    _check_nonempty(input, dim, "mode")
    return _values_indices("mode", input, {"dim": dim, "keepdim": bool(keepdim)}, out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or distinct slices along `dim`) in ascending order, with
    optionally where each input element went (`return_inverse`) and how often each
    occurs (`return_counts`). NaNs are all distinct. The result is always sorted.

    >>> import ember
    >>> ember.unique(ember.tensor([3, 1, 3, 2]))
    tensor([1, 2, 3])
    >>> values, counts = ember.unique(ember.tensor([3, 1, 3]), return_counts=True)
    >>> counts
    tensor([1, 2])
    """
    return _unique("unique", input, return_inverse, return_counts, dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (or slices along `dim`) to one.

    >>> import ember
    >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 1]))
    tensor([1, 2, 1])
    """
    return _unique("unique_consecutive", input, return_inverse, return_counts, dim)


def _unique(op, input, return_inverse, return_counts, dim):
    _check_tensor(input, op)
    if dim is not None:
        if input.ndim == 0:
            raise IndexError(f"{op}(): Dimension specified as {dim} but tensor has no dimensions")
        dim = wrap_dim(dim, input.ndim, op)
        if input.numel() == 0 and input.shape[dim] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                               "cannot be applied")
    values, inverse, counts = apply(op, (input,), {"dim": dim},
                                    result_dtype=(input.dtype, D.int64, D.int64),
                                    differentiable=False)
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "unique", "unique_consecutive"]
METHODS = {n: globals()[n] for n in __all__}
