# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# cython: language_level=3
"""Cython window kernels: im2col, col2im, max pooling (and its backward) and average
pooling (and its backward), with `conv_ref.ConvKernels`' interface and results.

They cover float32/float64 with 1 or 2 spatial dims (1-d runs as 2-d with a height
of 1); anything else goes to the reference method. Every (n, c) plane is independent
(its own columns, its own image), so planes run in parallel under ``prange`` when the
work is large enough, with no two threads writing the same memory. The front end
(`_ops/conv.py`) checked the geometry and the max-pool indices; the loops here test
each position against the input's bounds themselves, so padding needs no copy.
"""
cimport numpy as cnp
from cython.parallel cimport prange

import numpy as np

from .._threads import get_num_threads
from .conv_ref import ConvKernels as _Ref

cnp.import_array()

ctypedef cnp.npy_intp intp

ctypedef fused real:
    float
    double

# window geometry of one plane: input h x w, kernel, stride, padding, dilation, windows
ctypedef struct Geo:
    intp h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow

cdef intp PAR_MIN = 1 << 16  # elements of work below which one thread does it all


cdef bint _geometry(Geo *g, size, kernel, stride, padding, dilation, blocks):
    """Fill `g` for 1 or 2 spatial dims (1-d as a plane of height 1); False otherwise."""
    if len(kernel) == 1:
        g.h = g.kh = g.sh = g.dh = g.oh = 1
        g.ph = 0
        g.w, g.kw, g.sw, g.pw, g.dw, g.ow = size[0], kernel[0], stride[0], padding[0], \
            dilation[0], blocks[0]
        return True
    if len(kernel) == 2:
        g.h, g.w = size
        g.kh, g.kw = kernel
        g.sh, g.sw = stride
        g.ph, g.pw = padding
        g.dh, g.dw = dilation
        g.oh, g.ow = blocks
        return True
    return False


cdef int _team(intp work):
    return 1 if work < PAR_MIN else max(1, get_num_threads())


cdef bint _covered(a):
    return a.dtype == np.float32 or a.dtype == np.float64


# --- window bounds --------------------------------------------------------------------------
cdef inline intp _ceil_div(intp a, intp b) noexcept nogil:
    """ceil(a / b) for b > 0 and any sign of a (C division truncates toward zero)."""
    return (a + b - 1) // b if a >= 0 else -((-a) // b)


cdef inline void _inside(intp offset, intp step, intp size, intp count, intp *lo,
                         intp *hi) noexcept nogil:
    """The range [lo, hi) of o < count with 0 <= o * step + offset < size: the windows
    whose tap at `offset` (its position in window 0) lands in the input."""
    if offset >= 0 and offset + (count - 1) * step < size:  # the common case, no division
        lo[0], hi[0] = 0, count
        return
    lo[0] = max(<intp>0, _ceil_div(-offset, step))
    hi[0] = max(lo[0], min(count, _ceil_div(size - offset, step)))


# --- im2col / col2im ---------------------------------------------------------------------
# (the geometry comes by value: with the aliasing rules extensions are built under, fields
# read through a pointer would be reloaded after every store to the output)
cdef void _im2col_plane(const real *x, real *col, Geo g) noexcept nogil:
    cdef intp i, j, y, o, iy, t0, t1, o0, o1, area = g.oh * g.ow
    cdef real *row
    cdef const real *src
    for i in range(g.kh):
        for j in range(g.kw):
            _inside(j * g.dw - g.pw, g.sw, g.w, g.ow, &t0, &t1)
            for y in range(g.oh):
                row = col + (i * g.kw + j) * area + y * g.ow
                iy = y * g.sh - g.ph + i * g.dh
                o0, o1 = (t0, t1) if 0 <= iy < g.h else (g.ow, g.ow)  # a padding row: zeros
                src = x + iy * g.w + j * g.dw - g.pw
                for o in range(o0):
                    row[o] = 0
                if g.sw == 1:
                    for o in range(o0, o1):
                        row[o] = src[o]
                else:
                    for o in range(o0, o1):
                        row[o] = src[o * g.sw]
                for o in range(o1, g.ow):
                    row[o] = 0


cdef void _col2im_plane(const real *col, real *x, Geo g) noexcept nogil:
    cdef intp i, j, y, o, iy, o0, o1, area = g.oh * g.ow
    cdef const real *row
    cdef real *dst
    for i in range(g.h * g.w):
        x[i] = 0
    for i in range(g.kh):
        for j in range(g.kw):
            _inside(j * g.dw - g.pw, g.sw, g.w, g.ow, &o0, &o1)
            for y in range(g.oh):
                iy = y * g.sh - g.ph + i * g.dh
                if iy < 0 or iy >= g.h:
                    continue
                row = col + (i * g.kw + j) * area + y * g.ow
                dst = x + iy * g.w + j * g.dw - g.pw
                if g.sw == 1:
                    for o in range(o0, o1):
                        dst[o] += row[o]
                else:
                    for o in range(o0, o1):
                        dst[o * g.sw] += row[o]


cdef void _im2col_all(const real *x, real *col, intp planes, Geo g, int team) noexcept nogil:
    cdef intp p, image = g.h * g.w, cols = g.kh * g.kw * g.oh * g.ow
    for p in prange(planes, num_threads=team, schedule="static"):
        _im2col_plane(x + p * image, col + p * cols, g)


cdef void _col2im_all(const real *col, real *x, intp planes, Geo g, int team) noexcept nogil:
    cdef intp p, image = g.h * g.w, cols = g.kh * g.kw * g.oh * g.ow
    for p in prange(planes, num_threads=team, schedule="static"):
        _col2im_plane(col + p * cols, x + p * image, g)


def im2col(self, x, kernel, stride, padding, dilation, blocks):
    cdef Geo g
    if not _covered(x) or not _geometry(&g, x.shape[2:], kernel, stride, padding, dilation,
                                        blocks):
        return _Ref.im2col(self, x, kernel, stride, padding, dilation, blocks)
    x = np.ascontiguousarray(x)
    n, c = x.shape[:2]
    cols = np.empty((n, c * g.kh * g.kw, g.oh * g.ow), x.dtype)
    cdef intp planes = n * c
    cdef int team = _team(cols.size)
    if x.dtype == np.float32:
        _im2col_all(<float *>cnp.PyArray_DATA(x), <float *>cnp.PyArray_DATA(cols), planes, g,
                    team)
    else:
        _im2col_all(<double *>cnp.PyArray_DATA(x), <double *>cnp.PyArray_DATA(cols), planes, g,
                    team)
    return cols


def col2im(self, cols, size, kernel, stride, padding, dilation, blocks):
    cdef Geo g
    if not _covered(cols) or not _geometry(&g, size, kernel, stride, padding, dilation, blocks):
        return _Ref.col2im(self, cols, size, kernel, stride, padding, dilation, blocks)
    cols = np.ascontiguousarray(cols)
    n, c = cols.shape[0], cols.shape[1] // (g.kh * g.kw)
    out = np.empty((n, c) + tuple(size), cols.dtype)
    cdef intp planes = n * c
    cdef int team = _team(cols.size)
    if cols.dtype == np.float32:
        _col2im_all(<float *>cnp.PyArray_DATA(cols), <float *>cnp.PyArray_DATA(out), planes, g,
                    team)
    else:
        _col2im_all(<double *>cnp.PyArray_DATA(cols), <double *>cnp.PyArray_DATA(out), planes,
                    g, team)
    return out


# --- max pooling ---------------------------------------------------------------------------
cdef void _max_pool_plane(const real *x, real *out, cnp.int64_t *index, Geo g) noexcept nogil:
    # the first in-bounds element starts the window, a later one wins if greater, and the
    # last NaN, if any, beats them all (the reference's and PyTorch's order). Kept as
    # selects the compiler can make branch-free: random data mispredicts any branch.
    cdef intp y, o, i, j, i0, i1, j0, j1, at, best_at, nan_at
    cdef real v, best
    cdef bint greater
    for y in range(g.oh):
        _inside(y * g.sh - g.ph, g.dh, g.h, g.kh, &i0, &i1)
        for o in range(g.ow):
            _inside(o * g.sw - g.pw, g.dw, g.w, g.kw, &j0, &j1)
            best_at = (y * g.sh - g.ph + i0 * g.dh) * g.w + o * g.sw - g.pw + j0 * g.dw
            best = x[best_at]
            nan_at = -1
            for i in range(i0, i1):
                at = (y * g.sh - g.ph + i * g.dh) * g.w + o * g.sw - g.pw
                for j in range(j0, j1):
                    v = x[at + j * g.dw]
                    greater = v > best
                    best_at = at + j * g.dw if greater else best_at
                    best = v if greater else best
                    nan_at = at + j * g.dw if v != v else nan_at
            if nan_at >= 0:
                best_at, best = nan_at, x[nan_at]
            out[y * g.ow + o] = best
            index[y * g.ow + o] = best_at


cdef void _max_pool_all(const real *x, real *out, cnp.int64_t *index, intp planes, Geo g,
                        int team) noexcept nogil:
    cdef intp p, image = g.h * g.w, area = g.oh * g.ow
    for p in prange(planes, num_threads=team, schedule="static"):
        _max_pool_plane(x + p * image, out + p * area, index + p * area, g)


def max_pool(self, x, kernel, stride, padding, dilation, blocks):
    cdef Geo g
    if not _covered(x) or not _geometry(&g, x.shape[2:], kernel, stride, padding, dilation,
                                        blocks):
        return _Ref.max_pool(self, x, kernel, stride, padding, dilation, blocks)
    x = np.ascontiguousarray(x)
    shape = tuple(x.shape[:2]) + tuple(blocks)
    out = np.empty(shape, x.dtype)
    index = np.empty(shape, np.int64)
    cdef intp planes = x.shape[0] * x.shape[1]
    cdef int team = _team(out.size * g.kh * g.kw)
    if x.dtype == np.float32:
        _max_pool_all(<float *>cnp.PyArray_DATA(x), <float *>cnp.PyArray_DATA(out),
                      <cnp.int64_t *>cnp.PyArray_DATA(index), planes, g, team)
    else:
        _max_pool_all(<double *>cnp.PyArray_DATA(x), <double *>cnp.PyArray_DATA(out),
                      <cnp.int64_t *>cnp.PyArray_DATA(index), planes, g, team)
    return out, index


cdef void _max_unpool_all(const real *grad, const cnp.int64_t *index, real *out, intp planes,
                          intp area, intp image, int team) noexcept nogil:
    cdef intp p, i
    cdef real *plane
    for p in prange(planes, num_threads=team, schedule="static"):
        plane = out + p * image
        for i in range(image):
            plane[i] = 0
        for i in range(area):
            plane[index[p * area + i]] += grad[p * area + i]


def max_pool_backward(self, g, index, size):
    if not _covered(g) or g.ndim != len(size) + 2:  # (flat indices: any number of dims)
        return _Ref.max_pool_backward(self, g, index, size)
    g = np.ascontiguousarray(g)
    index = np.ascontiguousarray(index)
    out = np.empty(tuple(g.shape[:2]) + tuple(size), g.dtype)
    cdef intp planes = g.shape[0] * g.shape[1]
    cdef intp image = out.size // planes if planes else 0
    cdef intp area = g.size // planes if planes else 0
    cdef int team = _team(out.size + g.size)
    if g.dtype == np.float32:
        _max_unpool_all(<float *>cnp.PyArray_DATA(g), <cnp.int64_t *>cnp.PyArray_DATA(index),
                        <float *>cnp.PyArray_DATA(out), planes, area, image, team)
    else:
        _max_unpool_all(<double *>cnp.PyArray_DATA(g), <cnp.int64_t *>cnp.PyArray_DATA(index),
                        <double *>cnp.PyArray_DATA(out), planes, area, image, team)
    return out


# --- average pooling -----------------------------------------------------------------------
cdef inline intp _window(intp o, intp s, intp p, intp k, intp size, bint include_pad,
                         intp *lo, intp *hi) noexcept nogil:
    """Clip window `o` to the input ([lo, hi)); returns its divisor's extent."""
    cdef intp start = o * s - p
    cdef intp end = min(start + k, size + p)
    cdef intp extent = end - start
    lo[0], hi[0] = max(start, 0), min(end, size)
    return extent if include_pad else hi[0] - lo[0]


cdef void _avg_pool_plane(real *x, real *out, Geo g, bint include_pad,
                          intp divisor, bint backward) noexcept nogil:
    # forward: out[window] = mean of x over it; backward: x += out[window] / divisor
    # over the window (x is then the gradient being written, out the incoming one)
    cdef intp y, o, iy, ix, y0, y1, x0, x1, rows, cols
    cdef real total, share
    for y in range(g.oh):
        rows = _window(y, g.sh, g.ph, g.kh, g.h, include_pad, &y0, &y1)
        for o in range(g.ow):
            cols = _window(o, g.sw, g.pw, g.kw, g.w, include_pad, &x0, &x1)
            share = <real>(divisor if divisor else rows * cols)
            if backward:
                share = out[y * g.ow + o] / share
                for iy in range(y0, y1):
                    for ix in range(x0, x1):
                        x[iy * g.w + ix] += share
            else:
                total = 0
                for iy in range(y0, y1):
                    for ix in range(x0, x1):
                        total = total + x[iy * g.w + ix]
                out[y * g.ow + o] = total / share


cdef void _avg_pool_all(real *x, real *out, intp planes, Geo g, bint include_pad,
                        intp divisor, bint backward, int team) noexcept nogil:
    cdef intp p, i, image = g.h * g.w, area = g.oh * g.ow
    for p in prange(planes, num_threads=team, schedule="static"):
        if backward:
            for i in range(image):
                x[p * image + i] = 0
        _avg_pool_plane(x + p * image, out + p * area, g, include_pad, divisor, backward)


cdef _avg_pool_run(image, windows, Geo g, bint include_pad, divisor, bint backward):
    cdef intp planes = image.shape[0] * image.shape[1]
    cdef int team = _team(image.size + windows.size * g.kh * g.kw)
    cdef intp d = int(divisor) if divisor else 0
    if image.dtype == np.float32:
        _avg_pool_all(<float *>cnp.PyArray_DATA(image), <float *>cnp.PyArray_DATA(windows),
                      planes, g, include_pad, d, backward, team)
    else:
        _avg_pool_all(<double *>cnp.PyArray_DATA(image), <double *>cnp.PyArray_DATA(windows),
                      planes, g, include_pad, d, backward, team)


def avg_pool(self, x, kernel, stride, padding, blocks, count_include_pad, divisor_override):
    cdef Geo g
    ones = (1,) * len(kernel)
    if not _covered(x) or not _geometry(&g, x.shape[2:], kernel, stride, padding, ones, blocks) \
            or (divisor_override and divisor_override != int(divisor_override)):
        return _Ref.avg_pool(self, x, kernel, stride, padding, blocks, count_include_pad,
                             divisor_override)
    x = np.ascontiguousarray(x)
    out = np.empty(tuple(x.shape[:2]) + tuple(blocks), x.dtype)
    _avg_pool_run(x, out, g, count_include_pad, divisor_override, False)
    return out


def avg_pool_backward(self, grad, size, kernel, stride, padding, blocks, count_include_pad,
                      divisor_override):
    cdef Geo g
    ones = (1,) * len(kernel)
    if not _covered(grad) or not _geometry(&g, size, kernel, stride, padding, ones, blocks) \
            or (divisor_override and divisor_override != int(divisor_override)):
        return _Ref.avg_pool_backward(self, grad, size, kernel, stride, padding, blocks,
                                      count_include_pad, divisor_override)
    grad = np.ascontiguousarray(grad)
    out = np.empty(tuple(grad.shape[:2]) + tuple(size), grad.dtype)
    _avg_pool_run(out, grad, g, count_include_pad, divisor_override, True)
    return out
