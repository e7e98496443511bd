"""Reference reductions, scans, sorting and softmax.

* reductions: ``op(a, dims, keepdim, **params) -> array``; `dims` is a sorted tuple of
  non-negative ints (empty only when `a` is 0-d).
* ops along one dim (scans, sort, max with dim...): ``op(a, dim, ...) -> array | tuple``.

Arrays arrive in the compute dtype and every argument has been checked by the op's
front end. Index outputs are int64. numpy's floating-point warnings are silenced:
PyTorch returns inf/nan quietly (0/0 in a mean of nothing, log(0), ...).
"""
from __future__ import annotations

import functools
import math

import numpy as np

_QUIET = dict(all="ignore")


def _along_dim(kernel):
    """Let a kernel that works along one `dim` take a 0-d array (as one element on dim 0).

    Such kernels take their arguments by keyword: ``kernel(a, dim=..., **params)``.
    """
    @functools.wraps(kernel)
    def wrapper(self, a, **params):
        if a.ndim:
            return kernel(self, a, **params)
        out = kernel(self, a.reshape(1), **dict(params, dim=0))
        if isinstance(out, tuple):
            return tuple(o.reshape(()) for o in out)
        return out.reshape(())
    return wrapper


def _count(a, dims):
    """How many elements each reduction over `dims` sees."""
    return math.prod(a.shape[d] for d in dims)


class ReductionKernels:
    def _acc(self, a):
        # float16 accumulates in float32, as PyTorch's CPU kernels do (bfloat16 already is)
        return a.astype(np.float32) if a.dtype == np.float16 else a

    def _squeeze(self, a, dims, keepdim):
        return a if keepdim else self.xp.squeeze(a, axis=dims)

    # --- sums and products ------------------------------------------------------
    def sum(self, a, dims, keepdim):
        a = self._acc(a)
        return self.xp.sum(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def nansum(self, a, dims, keepdim):
        a = self._acc(a)
        if a.dtype.kind == "f":
            a = self.xp.where(self.xp.isnan(a), 0, a)
        return self.xp.sum(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def prod(self, a, dims, keepdim):
        a = self._acc(a)
        return self.xp.prod(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def mean(self, a, dims, keepdim):
        with np.errstate(**_QUIET):  # the mean of nothing is nan
            return self.sum(a, dims, keepdim) / a.dtype.type(_count(a, dims))

    def nanmean(self, a, dims, keepdim):
        total = self.nansum(a, dims, keepdim)
        valid = self.xp.sum(~self.xp.isnan(a), axis=dims, keepdims=keepdim, dtype=total.dtype)
        with np.errstate(**_QUIET):
            return total / valid

    def var(self, a, dims, keepdim, correction=1):
        xp = self.xp
        a = self._acc(a)
        with np.errstate(**_QUIET):
            centred = a - self.mean(a, dims, True)
            squares = xp.sum(centred * centred, axis=dims, keepdims=keepdim, dtype=a.dtype)
            # dividing by a non-positive count gives inf or nan, as in PyTorch
            return squares / a.dtype.type(max(_count(a, dims) - correction, 0))

    def std(self, a, dims, keepdim, correction=1):
        return self.xp.sqrt(self.var(a, dims, keepdim, correction))

    # --- extremes ---------------------------------------------------------------
    def amax(self, a, dims, keepdim):
        return self.xp.amax(a, axis=dims, keepdims=keepdim)

    def amin(self, a, dims, keepdim):
        return self.xp.amin(a, axis=dims, keepdims=keepdim)

    @_along_dim
    def max(self, a, dim, keepdim):
        return self._pick(a, self.xp.argmax(a, axis=dim, keepdims=True), dim, keepdim)

    @_along_dim
    def min(self, a, dim, keepdim):
        return self._pick(a, self.xp.argmin(a, axis=dim, keepdims=True), dim, keepdim)

    def _pick(self, a, index, dim, keepdim):
        """(values, int64 indices) of `a` at `index` (kept dim of size 1) along `dim`."""
        xp = self.xp
        values = xp.take_along_axis(a, index, axis=dim)
        index = index.astype(np.int64)
        if not keepdim:
            values, index = xp.squeeze(values, axis=dim), xp.squeeze(index, axis=dim)
        return values, index

    def argmax(self, a, dim, keepdim):
        return self._arg(self.xp.argmax, a, dim, keepdim)

    def argmin(self, a, dim, keepdim):
        return self._arg(self.xp.argmin, a, dim, keepdim)

    def _arg(self, fn, a, dim, keepdim):
        # numpy's argmax/argmin return the first occurrence and treat NaN as the extreme
        if dim is None or a.ndim == 0:
            index = fn(a.reshape(-1)).astype(np.int64)
            return index.reshape((1,) * a.ndim if keepdim else ())
        return fn(a, axis=dim, keepdims=keepdim).astype(np.int64)

    # --- logic and counting -----------------------------------------------------
    def all(self, a, dims, keepdim):
        return self.xp.all(a, axis=dims, keepdims=keepdim)

    def any(self, a, dims, keepdim):
        return self.xp.any(a, axis=dims, keepdims=keepdim)

    def count_nonzero(self, a, dims):
        return self.xp.sum(a != 0, axis=dims, dtype=np.int64)

    # --- exponentials and norms -------------------------------------------------
    def logsumexp(self, a, dims, keepdim):
        xp = self.xp
        a = self._acc(a)
        with np.errstate(**_QUIET):
            if a.size == 0:  # log(0) = -inf for every empty slice
                return xp.log(xp.sum(xp.exp(a), axis=dims, keepdims=keepdim))
            # shift by the max for stability; an infinite max is not subtracted (inf - inf)
            shift = xp.amax(a, axis=dims, keepdims=True)
            shift = xp.where(xp.isinf(shift), 0, shift)
            total = xp.log(xp.sum(xp.exp(a - shift), axis=dims, keepdims=True)) + shift
        return self._squeeze(total, dims, keepdim)

    def norm(self, a, dims, keepdim, p=2.0):
        xp = self.xp
        x = xp.abs(self._acc(a))
        with np.errstate(**_QUIET):
            if p == math.inf:
                return xp.amax(x, axis=dims, keepdims=keepdim)
            if p == -math.inf:
                return xp.amin(x, axis=dims, keepdims=keepdim)
            if p == 0:
                return xp.sum(x != 0, axis=dims, keepdims=keepdim, dtype=x.dtype)
            if p == 1:
                return xp.sum(x, axis=dims, keepdims=keepdim, dtype=x.dtype)
            if p == 2:
                return xp.sqrt(xp.sum(x * x, axis=dims, keepdims=keepdim, dtype=x.dtype))
            total = xp.sum(x ** x.dtype.type(p), axis=dims, keepdims=keepdim, dtype=x.dtype)
            return total ** x.dtype.type(1.0 / p)

    @_along_dim
    def softmax(self, a, dim):
        # each step through the kernel table, in place: the Cython table runs them threaded
        xp = self.xp
        if a.size == 0:
            return a.copy()
        a = self._acc(a)
        out = xp.empty(a.shape, a.dtype)
        self.sub(out, a, xp.amax(a, axis=dim, keepdims=True))
        self.exp(out, out)
        self.div(out, out, self.sum(out, (dim,), True))
        return out

    @_along_dim
    def log_softmax(self, a, dim):
        xp = self.xp
        if a.size == 0:
            return a.copy()
        a = self._acc(a)
        shifted = xp.empty(a.shape, a.dtype)
        self.sub(shifted, a, xp.amax(a, axis=dim, keepdims=True))
        e = xp.empty(a.shape, a.dtype)
        self.exp(e, shifted)
        self.sub(shifted, shifted, xp.log(self.sum(e, (dim,), True)))
        return shifted

    # --- scans ------------------------------------------------------------------
    @_along_dim
    def cumsum(self, a, dim):
        a = self._acc(a)
        return self.xp.cumsum(a, axis=dim, dtype=a.dtype)

    @_along_dim
    def cumprod(self, a, dim):
        a = self._acc(a)
        return self.xp.cumprod(a, axis=dim, dtype=a.dtype)

    @_along_dim
    def logcumsumexp(self, a, dim):
        with np.errstate(**_QUIET):
            return self.xp.logaddexp.accumulate(self._acc(a), axis=dim)

    @_along_dim
    def cummax(self, a, dim):
        return self._cumulative(self.xp.maximum, a, dim)

    @_along_dim
    def cummin(self, a, dim):
        return self._cumulative(self.xp.minimum, a, dim)

    def _cumulative(self, ufunc, a, dim):
        """Running extreme and the index where it was last reached (ties and NaN move it)."""
        xp = self.xp
        values = ufunc.accumulate(a, axis=dim)
        reached = a == values
        if a.dtype.kind == "f":
            reached |= xp.isnan(a)  # NaN propagates, so every later NaN is a new extreme
        shape = [1] * a.ndim
        shape[dim] = a.shape[dim]
        positions = xp.arange(a.shape[dim], dtype=np.int64).reshape(shape)
        marks = xp.where(reached, positions, 0)
        return values, xp.maximum.accumulate(marks, axis=dim)

    # --- counting into bins -----------------------------------------------------
    def bincount(self, a, weights=None, minlength=0):
        return self.xp.bincount(a, weights=weights, minlength=minlength)

    def histc(self, a, bins, low, high):
        xp = self.xp
        x = a.reshape(-1)
        x = x[(x >= low) & (x <= high)]
        # the bin of x, computed in the input's precision; `high` itself falls in the last bin
        position = ((x - low) * bins / (high - low)).astype(np.int64)
        position = xp.minimum(position, bins - 1)
        return xp.bincount(position, minlength=bins).astype(a.dtype)

    # --- sorting ----------------------------------------------------------------
    @_along_dim
    def argsort(self, a, dim, descending=False):
        """A stable order: equal values keep their order, NaN sorts above everything."""
        xp = self.xp
        if not descending:
            return xp.argsort(a, axis=dim, kind="stable").astype(np.int64)
        # sorting the reversed array and reversing back keeps ties in their original order
        order = xp.argsort(xp.flip(a, axis=dim), axis=dim, kind="stable")
        return (a.shape[dim] - 1 - xp.flip(order, axis=dim)).astype(np.int64)

    @_along_dim
    def sort(self, a, dim, descending=False):
        order = self.argsort(a, dim=dim, descending=descending)
        return self.xp.take_along_axis(a, order, axis=dim), order

    @_along_dim
    def topk(self, a, dim, k, largest=True):
        order = self.argsort(a, dim=dim, descending=largest)
        first = [slice(None)] * a.ndim
        first[dim] = slice(0, k)
        order = order[tuple(first)]
        return self.xp.take_along_axis(a, order, axis=dim), order

    @_along_dim
    def kthvalue(self, a, dim, k, keepdim=False):
        order = self.argsort(a, dim=dim)
        return self._pick(a, self.xp.take(order, [k - 1], axis=dim), dim, keepdim)

    @_along_dim
    def median(self, a, dim, keepdim=False):
        return self._median(a, dim, keepdim, skip_nan=False)

    @_along_dim
    def nanmedian(self, a, dim, keepdim=False):
        return self._median(a, dim, keepdim, skip_nan=True)

    def _median(self, a, dim, keepdim, skip_nan):
        """The lower median; with NaN present, median() gives the first NaN and
        nanmedian() the median of the other values (the first NaN if all are)."""
        xp = self.xp
        n = a.shape[dim]
        order = self.argsort(a, dim=dim)  # stable, NaNs last in their original order
        if a.dtype.kind == "f":
            nans = xp.sum(xp.isnan(a), axis=dim, keepdims=True)
            if skip_nan:
                position = xp.maximum((n - nans - 1) // 2, 0)
            else:
                position = xp.where(nans > 0, n - nans, (n - 1) // 2)
        else:
            shape = list(a.shape)
            shape[dim] = 1
            position = xp.full(shape, (n - 1) // 2, dtype=np.int64)
        return self._pick(a, xp.take_along_axis(order, position, axis=dim), dim, keepdim)

    @_along_dim
    def mode(self, a, dim, keepdim=False):
        """The most frequent value (the smallest on ties) and its last position."""
        xp = self.xp
        order = self.argsort(a, dim=dim)
        ordered = xp.take_along_axis(a, order, axis=dim)
        s, o = xp.moveaxis(ordered, dim, -1), xp.moveaxis(order, dim, -1)
        n = s.shape[-1]
        positions = xp.arange(n, dtype=np.int64)
        starts = xp.ones(s.shape, dtype=bool)
        starts[..., 1:] = s[..., 1:] != s[..., :-1]
        ends = xp.ones(s.shape, dtype=bool)
        ends[..., :-1] = starts[..., 1:]
        run_start = xp.maximum.accumulate(xp.where(starts, positions, 0), axis=-1)
        run_length = xp.where(ends, positions - run_start + 1, 0)
        best = xp.argmax(run_length, axis=-1)[..., None]  # first longest run: smallest value
        index = xp.moveaxis(xp.take_along_axis(o, best, axis=-1), -1, dim)
        return self._pick(a, index, dim, keepdim)

    def unique(self, a, dim=None):
        return self._unique(a, dim, True)

    def unique_consecutive(self, a, dim=None):
        return self._unique(a, dim, False)

    def _unique(self, a, dim, sort):
        """(values, inverse, counts) of the distinct elements, or slices along `dim`.

        Slices are compared as rows of their flattened values; NaNs never compare equal,
        so each NaN is its own value (as in PyTorch).
        """
        xp = self.xp
        moved = a.reshape(-1, 1) if dim is None else xp.moveaxis(a, dim, 0)
        n = moved.shape[0]
        rows = moved.reshape(n, math.prod(moved.shape[1:]))
        if sort and n:
            if rows.shape[1] == 1:
                order = xp.argsort(rows[:, 0], kind="stable")
            else:  # lexicographic: lexsort's last key is the primary one
                order = xp.lexsort(rows.T[::-1])
        else:
            order = xp.arange(n)
        rows = rows[order]
        starts = xp.ones(n, dtype=bool)
        if n > 1:
            starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        first = xp.flatnonzero(starts)
        counts = xp.diff(xp.append(first, n)).astype(np.int64)
        inverse = xp.empty(n, dtype=np.int64)
        inverse[order] = xp.cumsum(starts) - 1
        if dim is None:
            return rows[first, 0], inverse.reshape(a.shape), counts
        values = rows[first].reshape((len(first),) + moved.shape[1:])
        return xp.moveaxis(values, 0, dim), inverse, counts
