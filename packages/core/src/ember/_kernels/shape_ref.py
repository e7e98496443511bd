"""Reference shape kernels: views the array module cannot always make, joins and
rearranging copies. Each returns a fresh array (or a view the dispatcher copies);
dims are non-negative and every size has been checked by the front end
(`_ops/shape.py`, `_ops/joining.py`).
"""
from __future__ import annotations


class ShapeKernels:
    def reshape_view(self, a, shape):
        """`a` reshaped without copying, or None when its strides make that impossible."""
        try:
            return self.xp.reshape(a, shape, copy=False)
        except ValueError:
            return None

    def cat(self, *arrays, dim):
        """Join same-dtype arrays along `dim` (all other sizes equal)."""
        return self.xp.concatenate(arrays, axis=dim)

    def flip(self, a, dims):
        """`a` reversed along each dim in the tuple `dims`."""
        return self.xp.flip(a, axis=dims) if dims else a.copy()

    def roll(self, a, shifts, dims):
        """`a` rotated by shifts[i] along dims[i]; with dims == () the flattened array
        rotates by shifts[0] and keeps its shape."""
        if not dims:
            return self.xp.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
        return self.xp.roll(a, shifts, axis=dims)

    def repeat(self, a, repeats):
        """`a` tiled `repeats[i]` times along each dim; len(repeats) >= a.ndim and
        extra leading repeats add dims."""
        return self.xp.tile(a, repeats)

    def repeat_interleave(self, a, repeats, dim):
        """Each slice of `a` along `dim` repeated `repeats` times (an int, or a 1-D
        int64 array with one count per slice)."""
        return self.xp.repeat(a, repeats, axis=dim)

    def tril(self, a, diagonal=0):
        """Zero the elements above `diagonal` of the last two dims."""
        return self.xp.tril(a, diagonal)

    def triu(self, a, diagonal=0):
        """Zero the elements below `diagonal` of the last two dims."""
        return self.xp.triu(a, diagonal)

    def diag_embed(self, a, offset, dim1, dim2):
        """Batched diagonal matrices: the last dim of `a` becomes diagonal `offset` of
        the planes (dim1, dim2) of the result (dims of the result, dim1 != dim2)."""
        xp = self.xp
        n = a.shape[-1]
        size = n + abs(offset)
        out = xp.zeros(a.shape[:-1] + (size, size), a.dtype)
        k = xp.arange(n)
        out[..., k + max(-offset, 0), k + max(offset, 0)] = a
        return xp.moveaxis(out, (-2, -1), (dim1, dim2))
