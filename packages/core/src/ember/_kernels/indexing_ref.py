"""Reference indexing kernels.

Every index array arrives as int64, non-negative and in range, and every shape has
been checked by the op's front end (`_ops/indexing.py`); kernels never validate.

Two kinds of kernel:

* reads return a fresh array: ``index(a, key)``, ``index_select(a, index, dim)``,
  ``gather(a, index, dim)``, ``take(a, index)``, ``masked_select(a, mask)``,
  ``nonzero(a)``;
* writes mutate their first argument ``out`` in place and return nothing:
  ``index_put_``, ``scatter_``, ``scatter_add_``, ``scatter_reduce_``, ``index_add_``,
  ``index_copy_``, ``index_fill_``, ``put_``, ``masked_fill_``, ``masked_scatter_``.
  Each has an out-of-place twin without the underscore (same arguments, first one
  ``a`` instead of ``out``) that copies ``a`` and runs the write on the copy, so a
  faster implementation only needs to override the write.

A "value" argument (``src`` of scatter, ``value`` of fills, ``values`` of index_put)
is either an array or a Python scalar, both already in ``out``'s dtype.
"""
from __future__ import annotations


def _copying(write_name):
    def kernel(self, a, *args, **params):
        out = self.xp.array(a, copy=True, order="C")
        getattr(self, write_name)(out, *args, **params)
        return out
    kernel.__name__ = write_name[:-1]
    kernel.__doc__ = f"Out-of-place ``{write_name}``: a copy of `a` with the write applied."
    return kernel


class IndexingKernels:
    # --- reads ---------------------------------------------------------------------
    def index(self, a, key):
        """``a[key]`` (numpy semantics); key holds slice(None) and int64 index arrays."""
        return a[key]

    def index_select(self, a, index, dim):
        """Slices `index` (1-D) of `a` along `dim`."""
        return self.xp.take(a, index, axis=dim)

    def gather(self, a, index, dim):
        """out[i][j][k] = a[i][index[i][j][k]][k] (for dim=1); index.ndim == a.ndim and
        index is no larger than `a` outside `dim`."""
        head = tuple(slice(0, n) if d != dim else slice(None) for d, n in enumerate(index.shape))
        return self.xp.take_along_axis(a[head], index, axis=dim)

    def take(self, a, index):
        """``a.flatten()[index]`` with the shape of `index`."""
        return self.xp.take(a, index)

    def masked_select(self, a, mask):
        """The elements of `a` where `mask` (same shape) is True, as 1-D."""
        return a[mask]

    def nonzero(self, a):
        """(n, ndim) int64 coordinates of the non-zero elements, in C order."""
        xp = self.xp
        if a.ndim == 0:
            return xp.zeros((int(a != 0), 0), xp.int64)
        return xp.stack(xp.nonzero(a), axis=1).astype(xp.int64, copy=False)

    # --- writes (in place into `out`) ----------------------------------------------
    def index_put_(self, out, values, key, accumulate=False):
        """``out[key] = values`` (or ``+=`` with repeats summed when accumulate)."""
        if accumulate:
            self.xp.add.at(out, key, values)
        else:
            out[key] = values

    def _scatter_key(self, index, dim):
        """Full coordinates for scatter/gather-style writes: index along `dim`,
        position elsewhere."""
        xp = self.xp
        n = index.ndim
        return tuple(index if d == dim else
                     xp.arange(index.shape[d]).reshape((-1,) + (1,) * (n - d - 1))
                     for d in range(n))

    def _src_part(self, src, index):
        """The leading block of `src` that `index` addresses (src may be larger)."""
        if not hasattr(src, "shape") or src.ndim == 0:
            return src
        return src[tuple(slice(0, n) for n in index.shape)]

    def scatter_(self, out, index, src, dim, reduce=None):
        """out[i][index[i][j]] = src[i][j] (dim=1); reduce 'add'/'multiply' combines."""
        if index.size == 0:
            return
        key = self._scatter_key(index, dim)
        src = self._src_part(src, index)
        if reduce is None:
            out[key] = src
        elif reduce == "add":
            self.xp.add.at(out, key, self.xp.broadcast_to(src, index.shape))
        else:
            self.xp.multiply.at(out, key, self.xp.broadcast_to(src, index.shape))

    def scatter_add_(self, out, index, src, dim):
        """out[i][index[i][j]] += src[i][j] (dim=1), repeats summed."""
        self.scatter_(out, index, src, dim, reduce="add")

    def scatter_reduce_(self, out, index, src, dim, reduce, include_self=True):
        """Reduce src into out at index along dim: 'sum', 'prod', 'mean', 'amax', 'amin'.
        Without include_self, the old values of the written positions do not take part.
        Integer means round down (floor), as PyTorch does."""
        if index.size == 0:
            return
        xp = self.xp
        key = self._scatter_key(index, dim)
        src = xp.broadcast_to(self._src_part(src, index), index.shape)
        if not include_self:
            out[key] = self._identity(reduce, out.dtype)
        ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
                 "amin": xp.minimum}[reduce]
        ufunc.at(out, key, src)
        if reduce == "mean":
            count = xp.zeros(out.shape, xp.int64)
            xp.add.at(count, key, 1)
            hit = count > 0
            if include_self:
                count += 1
            count = xp.maximum(count, 1)
            if out.dtype.kind in "fc":
                xp.divide(out, count, out=out, where=hit)
            else:
                xp.floor_divide(out, count, out=out, where=hit, casting="unsafe")

    def _identity(self, reduce, dtype):
        xp = self.xp
        if reduce in ("sum", "mean"):
            return 0
        if reduce == "prod":
            return 1
        if dtype.kind == "f":
            return -xp.inf if reduce == "amax" else xp.inf
        if dtype.kind == "b":
            return reduce == "amin"
        info = xp.iinfo(dtype)
        return info.min if reduce == "amax" else info.max

    def _along(self, dim, index):
        return (slice(None),) * dim + (index,)

    def index_add_(self, out, index, source, dim, alpha=1):
        """out[..., index[k], ...] += alpha * source[..., k, ...] along dim, repeats summed."""
        xp = self.xp
        if alpha != 1:
            source = xp.multiply(source, alpha).astype(out.dtype, copy=False)
        xp.add.at(out, self._along(dim, index), source)

    def index_copy_(self, out, index, source, dim):
        """out[..., index[k], ...] = source[..., k, ...] along dim."""
        out[self._along(dim, index)] = source

    def index_fill_(self, out, index, value, dim):
        """out[..., index[k], ...] = value along dim."""
        out[self._along(dim, index)] = value

    def put_(self, out, index, source, accumulate=False):
        """Flat (C order) positions `index` of out take source (1-D, same length)."""
        xp = self.xp
        key = xp.unravel_index(index, out.shape) if out.ndim else ()
        if accumulate:
            if out.ndim == 0:
                out[...] += source.sum(dtype=out.dtype)
            else:
                xp.add.at(out, key, source)
        elif out.ndim == 0:
            if index.size:
                out[...] = source[-1]
        else:
            out[key] = source

    def masked_fill_(self, out, mask, value):
        """out[mask] = value; mask has out's shape."""
        self.xp.copyto(out, value, where=mask, casting="unsafe")

    def masked_scatter_(self, out, mask, source):
        """The True positions of mask (out's shape), in C order, take source's leading
        elements (source has at least that many)."""
        count = int(mask.sum())
        out[mask] = source.reshape(-1)[:count]

    index_put = _copying("index_put_")
    scatter = _copying("scatter_")
    scatter_add = _copying("scatter_add_")
    scatter_reduce = _copying("scatter_reduce_")
    index_add = _copying("index_add_")
    index_copy = _copying("index_copy_")
    index_fill = _copying("index_fill_")
    put = _copying("put_")
    masked_fill = _copying("masked_fill_")
    masked_scatter = _copying("masked_scatter_")
