"""Reductions, scans, softmax and counting: thin entries into `_dispatch`.

Whole-dim reductions go through `_dispatch.reduction` (it records ``dim`` and
``keepdim`` for autograd); ops along one dim and ops with several outputs (values and
int64 indices) go through `_dispatch.apply` with their parameters as kernel params, so
the recorded params are exactly what a derivative formula needs.
"""
from __future__ import annotations

import builtins
import collections
import math
import numbers
import sys
import types
import warnings

from .. import _dtype as D
from .._dispatch import _type_name, apply, check_out, reduction, wrap_dim, wrap_dims, write_out
from .._tensor import Tensor

# --- named tuples ---------------------------------------------------------------
return_types = types.ModuleType(
    "ember.return_types", "Named tuples returned by ops with several outputs, as "
    "``torch.return_types``: ``values, indices = ember.max(t, 0)`` or ``.values``.")


def _return_type(name, fields):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        items = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"ember.return_types.{name}(\n{items})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": "ember.return_types", "__qualname__": name})


for _name in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode",
              "cummax", "cummin"):
    setattr(return_types, _name, _return_type(_name, ("values", "indices")))
return_types.aminmax = _return_type("aminmax", ("min", "max"))
sys.modules.setdefault("ember.return_types", return_types)  # so the tuples pickle


# --- shared argument checks --------------------------------------------------------
def _check_tensor(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def _whole(dim):
    """None for "every dim": PyTorch reads an empty dim list that way too."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    return dim


def _check_nonempty(input, dim, op):
    """Ops without an identity (max, argmax, median...) refuse to reduce nothing."""
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return
    for d in wrap_dims(dim, input.ndim, op):
        if input.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _check_out_pair(out, op):
    if out is not None and not (isinstance(out, (tuple, list)) and len(out) == 2
                                and builtins.all(isinstance(o, Tensor) for o in out)):
        raise TypeError(f"{op}(): argument 'out' must be tuple of two Tensors, not "
                        f"{type(out).__name__}")
    return tuple(out) if out is not None else None


def _values_indices(op, input, params, out=None):
    """Run a (values, int64 indices) kernel and name the pair as PyTorch does."""
    out = _check_out_pair(out, op)
    values, indices = apply(op, (input,), params, out=out, result_dtype=(input.dtype, D.int64))
    return getattr(return_types, op)(values, indices)


def _not_implemented(op, dtype):
    return NotImplementedError(f"\"{op}\" not implemented for '{_type_name(dtype)}'")


# --- sums, products, means ------------------------------------------------------------
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over all elements or over `dim` (int or tuple); ints and bools sum to int64.

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).sum(dim=0)
    tensor([4, 6])
    """
    return reduction("sum", input, _whole(dim), keepdim, dtype, out)


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """`sum` counting NaN as zero.

    >>> import ember
    >>> ember.tensor([1.0, float("nan"), 2.5]).nansum().item()
    3.5
    """
    return reduction("nansum", input, _whole(dim), keepdim, dtype, out)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product over all elements or over one `dim`.

    >>> import ember
    >>> ember.tensor([1, 2, 3]).prod()
    tensor(6)
    """
    if dim is not None:
        wrap_dim(dim, getattr(input, "ndim", 0), "prod")  # one int dim only, as PyTorch
    return reduction("prod", input, dim, keepdim, dtype, out)


def _check_float_dtype(dtype, op):
    if dtype is not None and not D.as_dtype(dtype).is_floating_point:
        raise RuntimeError(f"{op}(): could not infer output dtype. Optional dtype must be either a "
                           f"floating point or complex dtype. Got: {_type_name(D.as_dtype(dtype))}")


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over all elements or over `dim`; needs a floating-point input (or `dtype`).

    >>> import ember
    >>> ember.tensor([1.0, 2.0, 6.0]).mean().item()
    3.0
    """
    _check_float_dtype(dtype, "mean")
    return reduction("mean", input, _whole(dim), keepdim, dtype, out, rule="float")


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of the non-NaN elements (NaN where there are none).

    >>> import ember
    >>> ember.tensor([1.0, float("nan"), 2.0]).nanmean().item()
    1.5
    """
    _check_tensor(input, "nanmean")
    if dtype is None and not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but "
                           f"got {_type_name(input.dtype)}")
    _check_float_dtype(dtype, "nanmean")
    return reduction("nanmean", input, _whole(dim), keepdim, dtype, out, rule="float")


# --- spread ------------------------------------------------------------------------
def _correction(op, input, dim, unbiased, correction):
    """PyTorch's std/var arguments: `correction` (new) or `unbiased` (legacy, also as
    the second positional argument ``std(t, False)``)."""
    _check_tensor(input, op)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either 'unbiased' or 'correction', not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if not isinstance(correction, numbers.Real) or isinstance(correction, bool):
        raise TypeError(f"{op}(): argument 'correction' must be Number, not "
                        f"{type(correction).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dim = _whole(dim)
    count = math.prod(input.shape[d] for d in wrap_dims(dim, input.ndim, op))
    if count - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return dim, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance: the mean squared deviation, divided by ``N - correction`` (default 1).

    >>> import ember
    >>> ember.tensor([1.0, 2.0, 3.0, 4.0]).var().item()
    1.6666666269302368
    >>> ember.tensor([1.0, 2.0, 3.0, 4.0]).var(correction=0).item()
    1.25
    """
    dim, correction = _correction("var", input, dim, unbiased, correction)
    return reduction("var", input, dim, keepdim, None, out, rule="float",
                     params={"correction": correction})


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation, the square root of `var` (same arguments).

    >>> import ember
    >>> ember.tensor([[1.0, 3.0], [5.0, 9.0]]).std(dim=1, unbiased=False).tolist()
    [1.0, 2.0]
    """
    dim, correction = _correction("std", input, dim, unbiased, correction)
    return reduction("std", input, dim, keepdim, None, out, rule="float",
                     params={"correction": correction})


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` in one call.

    >>> import ember
    >>> v, m = ember.var_mean(ember.tensor([1.0, 3.0]))
    >>> v.item(), m.item()
    (2.0, 2.0)
    """
    dim, correction = _correction("var_mean", input, dim, unbiased, correction)
    return (reduction("var", input, dim, keepdim, None, rule="float", params={"correction": correction}),
            reduction("mean", input, dim, keepdim, None, rule="float"))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` in one call.

    >>> import ember
    >>> s, m = ember.std_mean(ember.tensor([1.0, 3.0]), correction=0)
    >>> s.item(), m.item()
    (1.0, 2.0)
    """
    dim, correction = _correction("std_mean", input, dim, unbiased, correction)
    return (reduction("std", input, dim, keepdim, None, rule="float", params={"correction": correction}),
            reduction("mean", input, dim, keepdim, None, rule="float"))


# --- extremes --------------------------------------------------------------------
def max(input, dim=None, keepdim=False, *, out=None):
    """The largest element (a 0-d tensor); with `dim`, the named tuple ``(values, indices)``
    of each slice's maximum and its first position; ``max(a, b)`` with a tensor `b` is
    `maximum`. NaN counts as the largest value.

    >>> import ember
    >>> t = ember.tensor([[1, 5], [7, 2]])
    >>> t.max()
    tensor(7)
    >>> values, indices = t.max(dim=1)
    >>> values.tolist(), indices.tolist()
    ([5, 7], [1, 0])
    """
    if isinstance(dim, Tensor):
        from .pointwise import maximum
        return maximum(input, dim, out=out)
    return _extreme("max", "amax", input, dim, keepdim, out)


def min(input, dim=None, keepdim=False, *, out=None):
    """The smallest element, or with `dim` the named tuple ``(values, indices)``;
    ``min(a, b)`` with a tensor `b` is `minimum` (see `max`).

    >>> import ember
    >>> ember.tensor([[1, 5], [7, 2]]).min(dim=0).indices
    tensor([0, 1])
    """
    if isinstance(dim, Tensor):
        from .pointwise import minimum
        return minimum(input, dim, out=out)
    return _extreme("min", "amin", input, dim, keepdim, out)


def _extreme(op, whole_op, input, dim, keepdim, out):
    _check_tensor(input, op)
    if dim is None:  # the whole tensor: same values and gradient as amax/amin
        _check_nonempty(input, None, op)
        return reduction(whole_op, input, None, False, None, out, rule="same")
    dim = wrap_dim(dim, input.ndim, op)
    _check_nonempty(input, dim, op)
    return _values_indices(op, input, {"dim": dim, "keepdim": bool(keepdim)}, out)


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over `dim` (all dims when empty); NaN propagates.

    >>> import ember
    >>> ember.tensor([[1, 5], [3, 2]]).amax(1)
    tensor([5, 3])
    """
    _check_tensor(input, "amax")
    _check_nonempty(input, _whole(dim), "amax")
    return reduction("amax", input, _whole(dim), keepdim, None, out, rule="same")


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over `dim` (all dims when empty); NaN propagates.

    >>> import ember
    >>> ember.tensor([[1, 5], [3, 2]]).amin(1)
    tensor([1, 2])
    """
    _check_tensor(input, "amin")
    _check_nonempty(input, _whole(dim), "amin")
    return reduction("amin", input, _whole(dim), keepdim, None, out, rule="same")


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """The named tuple ``(min, max)``, over everything or over one `dim`.

    >>> import ember
    >>> lo, hi = ember.aminmax(ember.tensor([3, -1, 4]))
    >>> lo.item(), hi.item()
    (-1, 4)
    """
    _check_tensor(input, "aminmax")
    if dim is not None:
        dim = wrap_dim(dim, input.ndim, "aminmax")
    if (input.numel() == 0 and dim is None) or (dim is not None and input.ndim
                                                 and input.shape[dim] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    out = _check_out_pair(out, "aminmax") or (None, None)
    return return_types.aminmax(reduction("amin", input, dim, keepdim, None, out[0], rule="same"),
                                reduction("amax", input, dim, keepdim, None, out[1], rule="same"))


def argmax(input, dim=None, keepdim=False, *, out=None):
    """Index of the first maximum, over the flattened tensor or along `dim` (int64).

    >>> import ember
    >>> ember.tensor([[1, 9], [9, 2]]).argmax()
    tensor(1)
    >>> ember.tensor([[1, 9], [9, 2]]).argmax(dim=0)
    tensor([1, 0])
    """
    return _arg("argmax", input, dim, keepdim, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    """Index of the first minimum, over the flattened tensor or along `dim` (int64).

    >>> import ember
    >>> ember.tensor([4, 1, 1]).argmin()
    tensor(1)
    """
    return _arg("argmin", input, dim, keepdim, out)


def _arg(op, input, dim, keepdim, out):
    _check_tensor(input, op)
    if input.dtype is D.bool:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    else:
        dim = wrap_dim(dim, input.ndim, op)
        if input.ndim and input.shape[dim] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
    return apply(op, (input,), {"dim": dim, "keepdim": bool(keepdim)}, out=out,
                 result_dtype=D.int64, differentiable=False)


# --- logic and counting --------------------------------------------------------------
def all(input, dim=None, keepdim=False, *, out=None):
    """True where every element (over `dim`) is nonzero.

    >>> import ember
    >>> ember.tensor([True, False]).all()
    tensor(False)
    """
    if isinstance(dim, (tuple, list)) and not dim:  # an empty dim list reduces nothing here
        return _reduce_nothing(input, "all", out)
    return reduction("all", input, dim, keepdim, None, out, rule="bool")


def any(input, dim=None, keepdim=False, *, out=None):
    """True where some element (over `dim`) is nonzero.

    >>> import ember
    >>> ember.tensor([[0, 0], [0, 3]]).any(dim=1)
    tensor([False,  True])
    """
    if isinstance(dim, (tuple, list)) and not dim:
        return _reduce_nothing(input, "any", out)
    return reduction("any", input, dim, keepdim, None, out, rule="bool")


def _reduce_nothing(input, op, out):
    """all/any over an empty dim list: each element on its own, as PyTorch computes it."""
    from .pointwise import ne
    result = ne(input, 0) if input.dtype is not D.uint8 else ne(input, 0).to(D.uint8)
    return result if out is None else out.copy_(result)


def count_nonzero(input, dim=None):
    """How many elements are nonzero, over everything or over `dim` (int64).

    >>> import ember
    >>> ember.count_nonzero(ember.tensor([[0, 1], [2, 3]]), dim=1)
    tensor([1, 2])
    """
    _check_tensor(input, "count_nonzero")
    dims = wrap_dims(_whole(dim), input.ndim, "count_nonzero")
    return apply("count_nonzero", (input,), {"dims": dims}, result_dtype=D.int64,
                 differentiable=False)


# --- exponentials and norms ------------------------------------------------------------
def logsumexp(input, dim, keepdim=False, *, out=None):
    """``log(sum(exp(input)))`` over `dim`, computed without overflow; integers give floats.

    >>> import ember
    >>> ember.tensor([1000.0, 1000.0], dtype=ember.float64).logsumexp(0).item()
    1000.6931471805599
    """
    _check_tensor(input, "logsumexp")
    dtype = None if input.dtype.is_floating_point else D.get_default_dtype()
    return reduction("logsumexp", input, _whole(dim), keepdim, dtype, out, rule="float")


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norm over all elements or `dim`: p a number, ``inf``, ``-inf``, 0 (count of
    nonzeros) or 'fro' (the 2-norm).

    >>> import ember
    >>> ember.tensor([[3.0, -4.0]]).norm().item()
    5.0
    >>> ember.tensor([[3.0, -4.0]]).norm(p=1, dim=1).tolist()
    [7.0]
    """
    _check_tensor(input, "norm")
    if p is None or p == "fro":
        if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(str(d) for d in dim))
        p = 2.0
    elif isinstance(p, str):
        if p == "nuc":  # a matrix norm: linalg owns it
            from .linalg import matrix_norm
            result = matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else dim, keepdim=keepdim,
                                 dtype=dtype)
            return result if out is None else out.copy_(result)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    elif not isinstance(p, numbers.Real) or isinstance(p, bool):
        raise TypeError(f"norm(): argument 'p' must be Number or str, not {type(p).__name__}")
    if dtype is not None:
        dtype = D.as_dtype(dtype)
        if not dtype.is_floating_point:
            raise RuntimeError("linalg.vector_norm: dtype should be floating point or complex, but "
                               f"got {_type_name(dtype)}")
    elif not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type_name(input.dtype)}")
    dim = _whole(dim)
    if math.isinf(p):
        dims = wrap_dims(dim, input.ndim, "norm")
        if input.numel() == 0 and (dim is None or builtins.any(input.shape[d] == 0 for d in dims)):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {float(p)} norm on an empty "
                               "tensor because the operation does not have an identity")
    return reduction("norm", input, dim, keepdim, dtype, out, rule="float", params={"p": float(p)})


def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along `dim`, shifted by the max so it cannot overflow;
    `dtype` casts the input first.

    >>> import ember
    >>> ember.softmax(ember.tensor([0.0, 0.0, 0.0, 0.0]), 0).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    return _softmax("softmax", input, dim, dtype)


def log_softmax(input, dim, dtype=None):
    """``log(softmax(x))`` along `dim`, computed directly (no log of a rounded zero).

    >>> import ember
    >>> ember.log_softmax(ember.tensor([0.0, -1000.0]), 0).tolist()
    [0.0, -1000.0]
    """
    return _softmax("log_softmax", input, dim, dtype)


def _softmax(op, input, dim, dtype):
    _check_tensor(input, op)
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if not input.dtype.is_floating_point:
        raise _not_implemented(f"{op}_kernel_impl", input.dtype)
    return apply(op, (input,), {"dim": wrap_dim(dim, input.ndim, op)})


# --- scans -------------------------------------------------------------------------
def cumsum(input, dim, *, dtype=None, out=None):
    """Running sum along `dim`; ints and bools accumulate in int64 unless `dtype` says.

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).cumsum(dim=1)
    tensor([[1, 3],
            [3, 7]])
    """
    return _scan("cumsum", input, dim, dtype, out)


def cumprod(input, dim, *, dtype=None, out=None):
    """Running product along `dim` (ints and bools in int64).

    >>> import ember
    >>> ember.tensor([1, 2, 3, 4]).cumprod(0)
    tensor([ 1,  2,  6, 24])
    """
    return _scan("cumprod", input, dim, dtype, out)


def _scan(op, input, dim, dtype, out):
    _check_tensor(input, op)
    dim = wrap_dim(dim, input.ndim, op)
    if dtype is not None:
        target = D.as_dtype(dtype)
    else:
        target = input.dtype if input.dtype.is_floating_point else D.int64
    source = input if input.dtype is target else input.to(target)
    return apply(op, (source,), {"dim": dim}, out=out)


def logcumsumexp(input, dim, *, out=None):
    """Running ``log(sum(exp(x)))`` along `dim`, without overflow.

    >>> import ember
    >>> [round(v, 4) for v in ember.tensor([0.0, 0.0, 0.0]).logcumsumexp(0).tolist()]
    [0.0, 0.6931, 1.0986]
    """
    _check_tensor(input, "logcumsumexp")
    if not input.dtype.is_floating_point:
        raise _not_implemented("logcumsumexp_out_cpu", input.dtype)
    return apply("logcumsumexp", (input,), {"dim": wrap_dim(dim, input.ndim, "logcumsumexp")},
                 out=out)


def cummax(input, dim, *, out=None):
    """Running maximum along `dim` and where it was (last) reached; NaN propagates.

    >>> import ember
    >>> values, indices = ember.tensor([1, 3, 2, 3]).cummax(0)
    >>> values.tolist(), indices.tolist()
    ([1, 3, 3, 3], [0, 1, 1, 3])
    """
    _check_tensor(input, "cummax")
    return _values_indices("cummax", input, {"dim": wrap_dim(dim, input.ndim, "cummax")}, out)


def cummin(input, dim, *, out=None):
    """Running minimum along `dim` and where it was (last) reached; NaN propagates.

    >>> import ember
    >>> ember.tensor([3, 1, 2, 1]).cummin(0).indices
    tensor([0, 1, 1, 3])
    """
    _check_tensor(input, "cummin")
    return _values_indices("cummin", input, {"dim": wrap_dim(dim, input.ndim, "cummin")}, out)


# --- counting into bins ----------------------------------------------------------------
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in a 1-d non-negative integer tensor (or the
    sum of `weights` at those positions); at least `minlength` bins.

    >>> import ember
    >>> ember.bincount(ember.tensor([1, 1, 3]))
    tensor([0, 2, 0, 1])
    """
    _check_tensor(input, "bincount")
    if input.dtype is D.bool or input.dtype.is_floating_point:
        raise _not_implemented("bincount_cpu", input.dtype)
    if not isinstance(minlength, int) or isinstance(minlength, bool):
        raise TypeError(f"bincount(): argument 'minlength' must be int, not {type(minlength).__name__}")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.ndim != 1 or (input.numel() and bool((input < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return apply("bincount", (input,), {"minlength": minlength}, result_dtype=D.int64,
                     differentiable=False)
    if not isinstance(weights, Tensor):
        raise TypeError(f"bincount(): argument 'weights' must be Tensor, not {type(weights).__name__}")
    if weights.ndim != 1 or weights.shape[0] != input.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    result = D.float32 if weights.dtype is D.float32 else D.float64
    return apply("bincount", (input, weights), {"minlength": minlength}, result_dtype=result,
                 differentiable=False)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of `bins` equal-width bins over ``[min, max]`` (the data's range when both
    are equal); elements outside are ignored, `max` itself falls in the last bin.

    >>> import ember
    >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist()
    [0.0, 2.0, 1.0, 0.0]
    """
    _check_tensor(input, "histc")
    if not input.dtype.is_floating_point:
        raise _not_implemented("histogram_cpu", input.dtype)
    if not isinstance(bins, int) or isinstance(bins, bool):
        raise TypeError(f"histc(): argument 'bins' must be int, not {type(bins).__name__}")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    low, high = float(min), float(max)
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    if low == high and input.numel():
        low, high = float(amin(input).item()), float(amax(input).item())
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low:g}, {high:g}] is not finite")
    return apply("histc", (input,), {"bins": bins, "low": low, "high": high}, out=out,
                 differentiable=False)


__all__ = ["sum", "nansum", "prod", "mean", "nanmean", "var", "std", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "all", "any",
           "count_nonzero", "logsumexp", "norm", "softmax", "log_softmax", "cumsum", "cumprod",
           "logcumsumexp", "cummax", "cummin", "bincount", "histc", "return_types"]
_NOT_METHODS = {"return_types", "var_mean", "std_mean"}
METHODS = {n: globals()[n] for n in __all__ if n not in _NOT_METHODS}
