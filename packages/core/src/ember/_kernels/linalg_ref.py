"""Reference linalg kernels: ``op(*arrays, *args, **params) -> array | tuple``.

BLAS/LAPACK through the array module (``xp.matmul``, ``xp.linalg``) does the work;
these methods only arrange arguments. Inputs are strided views passed straight in
(matmul handles any strides itself, so no contiguous copies are made here). The op
front ends in ``_ops/linalg.py`` have already checked shapes, dtypes and arguments.
"""
from __future__ import annotations

import numpy as np

from . import blas


def _wide(a):
    # float16 products accumulate in float32, as PyTorch's CPU kernels do
    return a.astype(np.float32) if a.dtype == np.float16 else a


class LinalgKernels:
    # --- products ------------------------------------------------------------------
    def matmul(self, a, b, out=None):
        """``a @ b`` with matmul's broadcasting; writes into `out` when given."""
        threads = blas.limit(a.size * b.shape[-1]) if self.xp is np and b.ndim > 1 else None
        try:
            if out is not None:  # the front end sends out= only for dtypes BLAS takes as is
                return self.xp.matmul(a, b, out=out)
            return self.xp.asarray(self.xp.matmul(_wide(a), _wide(b)))  # 1-D @ 1-D: a scalar
        finally:
            blas.restore(threads)

    mm = mv = bmm = dot = vdot = matmul

    def inner(self, a, b):
        return self.xp.asarray(self.xp.inner(_wide(a), _wide(b)))

    def outer(self, a, b, dtype):
        return self.xp.multiply.outer(a.astype(dtype, copy=False), b.astype(dtype, copy=False))

    def _scaled_add(self, product, input, beta, alpha):
        """``beta * input + alpha * product``; beta == 0 ignores input (NaN included)."""
        xp = self.xp
        if product.dtype == bool:  # bool scalars act as logical and/or
            product = product & bool(alpha)
            return product | (input & bool(beta)) if beta else product
        if alpha != 1:
            product *= alpha
        if beta == 0:
            return product
        if beta != 1:
            input = input * beta
        product += input.astype(product.dtype, copy=False)
        return product

    def addmm(self, input, m1, m2, beta=1, alpha=1):
        return self._scaled_add(self.matmul(m1, m2), _wide(input), beta, alpha)

    addmv = baddbmm = addmm

    def addr(self, input, v1, v2, dtype, beta=1, alpha=1):
        return self._scaled_add(self.outer(v1, v2, dtype), input.astype(dtype, copy=False),
                                beta, alpha)

    def addbmm(self, input, b1, b2, beta=1, alpha=1):
        # sum_b b1[b] @ b2[b] is one GEMM: (n, B*k) @ (B*k, p)
        xp = self.xp
        batch, n, k = b1.shape
        left = xp.moveaxis(_wide(b1), 0, 1).reshape(n, batch * k)
        right = _wide(b2).reshape(batch * k, b2.shape[2])
        return self._scaled_add(self.xp.asarray(xp.matmul(left, right)), _wide(input), beta, alpha)

    def einsum(self, *operands, equation):
        xp = self.xp
        operands = [_wide(o) for o in operands]
        # optimize picks a contraction order and routes pairs through BLAS
        return xp.asarray(xp.einsum(equation, *operands, optimize=len(operands) > 1))

    def tensordot(self, a, b, dims_a, dims_b):
        return self.xp.asarray(self.xp.tensordot(_wide(a), _wide(b), axes=(dims_a, dims_b)))

    def kron(self, a, b, dtype):
        return self.xp.kron(a.astype(dtype, copy=False), b.astype(dtype, copy=False))

    def trace(self, a, dtype):
        return self.xp.asarray(self.xp.trace(a, dtype=dtype))

    def cross(self, a, b, dim):
        xp = self.xp
        a, b = xp.broadcast_arrays(a, b)
        # componentwise formula: xp.cross would reorder dims and promote small ints
        a0, a1, a2 = (xp.take(a, i, axis=dim) for i in range(3))
        b0, b1, b2 = (xp.take(b, i, axis=dim) for i in range(3))
        return xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=dim)

    def cdist(self, x1, x2, dtype, p, use_mm):
        xp = self.xp
        if use_mm:  # |x - y|^2 = |x|^2 + |y|^2 - 2 x.y, one GEMM for the cross term
            sq = (x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :]
            sq -= 2 * xp.matmul(x1, xp.swapaxes(x2, -1, -2))
            return xp.sqrt(xp.maximum(sq, 0))
        diff = xp.abs(x1[..., :, None, :] - x2[..., None, :, :])
        return self.vector_norm(diff, dtype, p, (diff.ndim - 1,), False)

    # --- decompositions and solvers ----------------------------------------------------
    def det(self, a):
        return self.xp.asarray(self.xp.linalg.det(a))

    def logdet(self, a):
        sign, logabs = self.xp.linalg.slogdet(a)
        return self.xp.asarray(self.xp.where(sign < 0, np.nan, logabs))

    def slogdet(self, a):
        sign, logabs = self.xp.linalg.slogdet(a)
        return self.xp.asarray(sign), self.xp.asarray(logabs)

    def inv(self, a):
        return self.xp.linalg.inv(a)

    def solve(self, a, b, vector):
        xp = self.xp
        if vector:  # b is a (batch of) vector(s): solve against a column
            return xp.linalg.solve(a, b[..., None])[..., 0]
        return xp.linalg.solve(a, b)

    def cholesky(self, a, upper):
        low = self.xp.linalg.cholesky(a)
        return self.xp.ascontiguousarray(self.xp.swapaxes(low, -1, -2)) if upper else low

    def qr(self, a, mode):
        xp = self.xp
        if mode == "r":
            return xp.empty((0,), a.dtype), xp.linalg.qr(a, mode="r")
        return tuple(xp.linalg.qr(a, mode=mode))

    def svd(self, a, full_matrices):
        u, s, vh = self.xp.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh

    def svdvals(self, a):
        return self.xp.linalg.svd(a, compute_uv=False)

    def eigh(self, a, uplo):
        w, v = self.xp.linalg.eigh(a, UPLO=uplo)
        return w, v

    def eigvalsh(self, a, uplo):
        return self.xp.linalg.eigvalsh(a, UPLO=uplo)

    def _cutoff(self, s, atol, rtol):
        """The singular-value threshold max(atol, rtol * largest), per matrix."""
        xp = self.xp
        largest = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
        return xp.maximum(xp.asarray(atol)[..., None], xp.asarray(rtol)[..., None] * largest)

    def matrix_rank(self, a, atol, rtol, hermitian):
        xp = self.xp
        s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
        return xp.asarray((s > self._cutoff(s, atol, rtol)).sum(axis=-1), dtype=np.int64)

    def pinv(self, a, atol, rtol, hermitian):
        xp = self.xp
        if hermitian:  # A = V diag(w) V^T, and |w| are the singular values
            w, v = xp.linalg.eigh(a)
            keep = xp.abs(w) > self._cutoff(xp.abs(w), atol, rtol)
            winv = xp.where(keep, 1 / xp.where(keep, w, 1), 0)
            return xp.matmul(v * winv[..., None, :], xp.swapaxes(v, -1, -2))
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        keep = s > self._cutoff(s, atol, rtol)
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        return xp.matmul(xp.swapaxes(vh, -1, -2) * sinv[..., None, :], xp.swapaxes(u, -1, -2))

    def matrix_power(self, a, n):
        xp = self.xp
        if n < 0:
            a, n = xp.linalg.inv(a), -n
        if n == 0:
            return xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        a = _wide(a)
        result = None
        while n:  # square-and-multiply: log2(n) products
            if n & 1:
                result = a.copy() if result is None else xp.matmul(result, a)
            n >>= 1
            if n:
                a = xp.matmul(a, a)
        return result

    def lstsq(self, a, b, rcond, vector):
        xp = self.xp
        if vector:
            b = b[..., None]
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        m, n = a.shape[-2:]
        x = xp.empty(batch + (n, b.shape[-1]), a.dtype)
        rank = xp.empty(batch, np.int64)
        sv = xp.empty(batch + (min(m, n),), a.dtype)
        for i in np.ndindex(*batch):  # LAPACK gelsd takes one matrix at a time
            x[i], _, rank[i], sv[i] = xp.linalg.lstsq(a[i], b[i], rcond=rcond)
        residuals = xp.empty((0,), a.dtype)
        if m > n and x.size and bool((rank == n).all()):
            residuals = (xp.abs(xp.matmul(a, x) - b) ** 2).sum(axis=-2)
            if vector:
                residuals = residuals[..., 0]
        return (x[..., 0] if vector else x), residuals, rank, sv

    # --- norms --------------------------------------------------------------------------
    def vector_norm(self, a, dtype, ord, dims, keepdim):
        xp = self.xp
        a = xp.abs(_wide(a.astype(dtype, copy=False)))
        dims = tuple(dims)
        if ord == 2:
            return xp.sqrt(xp.asarray(xp.sum(a * a, axis=dims, keepdims=keepdim)))
        if ord == 1:
            return xp.asarray(xp.sum(a, axis=dims, keepdims=keepdim))
        if ord == float("inf"):
            return xp.asarray(xp.amax(a, axis=dims, keepdims=keepdim))
        if ord == float("-inf"):
            return xp.asarray(xp.amin(a, axis=dims, keepdims=keepdim))
        if ord == 0:
            return xp.asarray(xp.sum(a != 0, axis=dims, keepdims=keepdim, dtype=dtype))
        with np.errstate(divide="ignore"):  # negative orders: 0 ** -p is inf, as intended
            powered = xp.sum(a ** ord, axis=dims, keepdims=keepdim)
            return xp.asarray(powered ** (1.0 / ord))

    def matrix_norm(self, a, dtype, ord, dims, keepdim):
        xp = self.xp
        a = _wide(a.astype(dtype, copy=False))
        d0, d1 = dims
        if ord == "fro":
            return self.vector_norm(a, dtype, 2, dims, keepdim)
        if ord in (1, -1, float("inf"), float("-inf")):
            # 1: largest column sum (sum over rows d0); inf: largest row sum
            summed, over = (d0, d1) if ord in (1, -1) else (d1, d0)
            sums = xp.abs(a).sum(axis=summed, keepdims=True)
            if sums.shape[over] == 0:  # max of no |values| is 0 (the front end rejects min)
                result = xp.zeros(sums.shape[:over] + (1,) + sums.shape[over + 1:], sums.dtype)
            else:
                pick = xp.amax if ord > 0 else xp.amin
                result = pick(sums, axis=over, keepdims=True)
        else:  # 2, -2, nuc: from the singular values of the matrices moved last
            s = xp.linalg.svd(xp.moveaxis(a, (d0, d1), (-2, -1)), compute_uv=False)
            if s.shape[-1] == 0:  # empty matrices: 0 (the front end rejects ord=-2)
                s = xp.zeros(s.shape[:-1] + (1,), s.dtype)
            if ord == "nuc":
                result = s.sum(axis=-1)
            else:
                result = s.max(axis=-1) if ord == 2 else s.min(axis=-1)
            result = xp.expand_dims(result, (-2, -1))
            result = xp.moveaxis(result, (-2, -1), (d0, d1))
        return result if keepdim else xp.squeeze(result, axis=(d0, d1))
