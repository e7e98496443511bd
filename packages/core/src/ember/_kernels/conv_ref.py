"""Reference convolution and pooling kernels over N-d windows (numpy or cupy via `xp`).

The window geometry is the same for every kernel here: along spatial dim i, window
``o`` (0 <= o < blocks[i]) meets input positions ``o * stride[i] - padding[i] +
t * dilation[i]`` for taps ``t < kernel[i]``; positions outside the input are padding
(zero for im2col and average pooling, skipped by max pooling). The front end
(`_ops/conv.py`) has checked every size, and gives the window counts (`blocks`)
itself, so padding on the high side (ceil_mode, 'same') needs no parameter.

Layouts follow PyTorch's unfold: columns are ``(N, C * K, L)`` with K = prod(kernel)
taps (channel-major) and L = prod(blocks) windows; max-pool indices are flat over the
input's spatial dims.
"""
from __future__ import annotations

import itertools
import math


class ConvKernels:
    def _window_slices(self, kernel, stride, dilation, blocks, tap):
        """The slices of the padded input that tap `tap` of every window reads."""
        return tuple(slice(t * d, t * d + (b - 1) * s + 1, s)
                     for t, d, s, b in zip(tap, dilation, stride, blocks))

    def _padded(self, x, kernel, stride, padding, dilation, blocks, value=0):
        """`x` inside a `value`-filled array spanning every window (position 0 of the
        result is input position -padding); windows never reach past its end."""
        nd = len(kernel)
        lead = x.shape[:x.ndim - nd]
        shape = tuple(max(p + size, (b - 1) * s + (k - 1) * d + 1)
                      for size, k, s, p, d, b in zip(x.shape[-nd:], kernel, stride, padding,
                                                     dilation, blocks))
        out = self.xp.full(lead + shape, value, x.dtype)
        out[(Ellipsis,) + tuple(slice(p, p + size) for p, size in zip(padding, x.shape[-nd:]))] = x
        return out

    def im2col(self, x, kernel, stride, padding, dilation, blocks):
        """Windows of x (N, C, *spatial) as columns (N, C * K, L), zero outside the input."""
        n, c = x.shape[:2]
        padded = self._padded(x, kernel, stride, padding, dilation, blocks)
        cols = self.xp.empty((n, c) + tuple(kernel) + tuple(blocks), x.dtype)
        for tap in itertools.product(*(range(k) for k in kernel)):
            cols[(slice(None), slice(None)) + tap] = \
                padded[(Ellipsis,) + self._window_slices(kernel, stride, dilation, blocks, tap)]
        return cols.reshape(n, c * math.prod(kernel), math.prod(blocks))

    def col2im(self, cols, size, kernel, stride, padding, dilation, blocks):
        """The adjoint of `im2col`: columns (N, C * K, L) summed into (N, C, *size)."""
        n = cols.shape[0]
        c = cols.shape[1] // math.prod(kernel)
        cols = cols.reshape((n, c) + tuple(kernel) + tuple(blocks))
        out = self._padded(self.xp.zeros((n, c) + tuple(size), cols.dtype), kernel, stride,
                           padding, dilation, blocks)
        for tap in itertools.product(*(range(k) for k in kernel)):
            out[(Ellipsis,) + self._window_slices(kernel, stride, dilation, blocks, tap)] += \
                cols[(slice(None), slice(None)) + tap]
        return out[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(padding, size))].copy()

    def convolution(self, x, w, b=None, *, stride, padding, dilation, transposed, groups,
                    size):
        """(output, columns): the convolution of x (N, C, *spatial) with w as one GEMM
        per group over the im2col columns of x, which come back too (the weight's
        gradient reuses them); `size` is the output's spatial size. Transposed, the GEMM
        comes first and col2im scatters its columns (the adjoint of the plain
        convolution); the columns returned are then empty."""
        xp = self.xp
        n, g = x.shape[0], groups
        kernel = w.shape[2:]
        if not transposed:
            cols = self.im2col(x, kernel, stride, padding, dilation, size)
            out = xp.matmul(w.reshape(g, w.shape[0] // g, -1),
                            cols.reshape(n, g, cols.shape[1] // g, cols.shape[2]))
            out = out.reshape((n, w.shape[0]) + tuple(size))
        else:
            wg = w.reshape(g, w.shape[0] // g, -1)
            spread = xp.matmul(wg.transpose(0, 2, 1), x.reshape(n, g, w.shape[0] // g, -1))
            out = self.col2im(spread.reshape(n, -1, spread.shape[-1]), size, kernel, stride,
                              padding, dilation, x.shape[2:])
            cols = xp.empty((0,), x.dtype)
        if b is not None:
            out += b.reshape((-1,) + (1,) * len(kernel))
        return out, cols

    def max_pool(self, x, kernel, stride, padding, dilation, blocks):
        """(values, int64 indices) of each window's maximum over x (N, C, *spatial).

        Ties go to the first position in window order and NaN wins (the last NaN), as
        in PyTorch; the index is flat over the spatial dims of the input."""
        xp = self.xp
        nd = len(kernel)
        spatial = x.shape[-nd:]
        padded = self._padded(x, kernel, stride, padding, dilation, blocks)
        inside = self._padded(xp.ones(spatial, bool), kernel, stride, padding, dilation, blocks,
                              False)
        best = seen = arg = None
        for k, tap in enumerate(itertools.product(*(range(k) for k in kernel))):
            key = self._window_slices(kernel, stride, dilation, blocks, tap)
            value, valid = padded[(Ellipsis,) + key], inside[key]
            if best is None:
                best, seen = value.copy(), xp.broadcast_to(valid, value.shape).copy()
                arg = xp.zeros(value.shape, xp.int64)
                continue
            better = value > best
            if x.dtype.kind == "f":
                better |= xp.isnan(value)
            better = valid & (better | ~seen)
            best = xp.where(better, value, best)
            arg = xp.where(better, k, arg)
            seen |= valid
        # tap number -> flat input position
        index = xp.zeros(arg.shape, xp.int64)
        rest = arg
        for i in reversed(range(nd)):
            tap, rest = rest % kernel[i], rest // kernel[i]
            start = (xp.arange(blocks[i]) * stride[i] - padding[i]).reshape(
                (-1,) + (1,) * (nd - 1 - i))
            index += (start + tap * dilation[i]) * math.prod(spatial[i + 1:])
        return best, index

    def max_pool_backward(self, g, index, size):
        """Gradient of `max_pool`: each g lands (summed) on the input position `index`
        names in its own (n, c) plane of an input of spatial `size`."""
        xp = self.xp
        planes, area = math.prod(g.shape[:-len(size)]), math.prod(size)
        flat = index.reshape(planes, -1) + xp.arange(planes)[:, None] * area
        out = xp.bincount(flat.reshape(-1), weights=g.reshape(-1), minlength=planes * area)
        return out.astype(g.dtype).reshape(g.shape[:-len(size)] + tuple(size))

    def _pool_divisors(self, size, kernel, stride, padding, blocks, count_include_pad, dtype):
        """Per-window divisor of average pooling: the window's area, counting padding
        only where `count_include_pad` and never past the high padding."""
        xp, nd = self.xp, len(kernel)
        total = xp.ones(tuple(blocks), dtype)
        for i in range(nd):
            start = xp.arange(blocks[i]) * stride[i] - padding[i]
            end = xp.minimum(start + kernel[i], size[i] + padding[i])
            if not count_include_pad:
                start, end = xp.maximum(start, 0), xp.minimum(end, size[i])
            total = total * (end - start).astype(dtype).reshape((-1,) + (1,) * (nd - 1 - i))
        return total

    def avg_pool(self, x, kernel, stride, padding, blocks, count_include_pad, divisor_override):
        """Mean of each window of x (N, C, *spatial) (see `_pool_divisors`)."""
        n, c = x.shape[:2]
        ones = (1,) * len(kernel)
        cols = self.im2col(x, kernel, stride, padding, ones, blocks)
        total = cols.reshape(n, c, math.prod(kernel), -1).sum(2).reshape((n, c) + tuple(blocks))
        if divisor_override:
            return total / x.dtype.type(divisor_override)
        return total / self._pool_divisors(x.shape[2:], kernel, stride, padding, blocks,
                                           count_include_pad, x.dtype)

    def avg_pool_backward(self, g, size, kernel, stride, padding, blocks, count_include_pad,
                          divisor_override):
        """Gradient of `avg_pool` for an input of spatial `size`: each window's share of
        g spread over the window."""
        n, c = g.shape[:2]
        if divisor_override:
            share = g / g.dtype.type(divisor_override)
        else:
            share = g / self._pool_divisors(size, kernel, stride, padding, blocks,
                                            count_include_pad, g.dtype)
        k = math.prod(kernel)
        cols = self.xp.broadcast_to(share.reshape(n, c, 1, -1), (n, c, k, share[0, 0].size))
        return self.col2im(cols.reshape(n, c * k, -1), size, kernel, stride, padding,
                           (1,) * len(kernel), blocks)
