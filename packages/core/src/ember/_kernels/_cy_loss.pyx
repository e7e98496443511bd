# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# cython: language_level=3
"""Cython loss kernels: the methods of `loss_ref.LossKernels`, with the same interface.

One pass per loss computes each element's loss and, under 'mean' or 'sum', adds it up
in double precision. Covered: C-contiguous float32/float64 operands of one dtype, with
input and target of one shape and weights whose shape is a trailing part of it (a
per-class ``pos_weight``); class indices as int64 beside ``(N, C)`` scores. Every other
case goes to the reference method. The op's front end checked the arguments (targets
in range, shapes, reductions): nothing is checked here.
"""
cimport numpy as cnp
from cython cimport floating
from libc.math cimport exp, fabs, log, log1p

import numpy as np

from .reference import Kernels as _Ref

cnp.import_array()

ctypedef cnp.npy_intp intp
ctypedef cnp.int64_t i64

cdef enum:
    NONE, MEAN, SUM

cdef enum:
    MSE, HUBER, SMOOTH_L1, BCE, BCE_LOGITS


cdef int _reduction_code(str reduction):
    return NONE if reduction == "none" else MEAN if reduction == "mean" else SUM


cdef bint _plain(object a, object dtype):
    """`a` is a C-contiguous, aligned, native-order array of `dtype`."""
    if type(a) is not np.ndarray:
        return False
    cdef cnp.ndarray arr = a
    return (arr.dtype is dtype or arr.dtype == dtype) and cnp.PyArray_IS_C_CONTIGUOUS(arr) \
        and cnp.PyArray_ISALIGNED(arr) and cnp.PyArray_ISNOTSWAPPED(arr)


cdef bint _floating(object a):
    return type(a) is np.ndarray and (a.dtype == np.float32 or a.dtype == np.float64)


cdef inline const void *_data(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


# --- class indices ---------------------------------------------------------------------------
cdef void _nll_rows(const floating *x, const i64 *t, const floating *w, intp n, intp c,
                    i64 ignore, floating *loss, double *sums) noexcept nogil:
    """Per row: loss[i] = -w[t_i] x[i, t_i] (0 if ignored; loss may be NULL); sums gets
    (total loss, total weight)."""
    cdef intp i
    cdef i64 k
    cdef double wi, li, total = 0, weight = 0
    for i in range(n):
        k = t[i]
        if k == ignore:
            wi = 0
            li = 0
        else:
            wi = 1 if w == NULL else w[k]
            li = -wi * x[i * c + k]
        if loss != NULL:
            loss[i] = <floating>li
        total += li
        weight += wi
    sums[0] = total
    sums[1] = weight


cdef void _nll_grad_rows(const floating *g, intp g_step, const i64 *t, const floating *w,
                         intp n, intp c, i64 ignore, double scale, floating *out) noexcept nogil:
    """out (zeroed, (n, c)) gets -w[t_i] g_i scale at [i, t_i]; g_step is 0 for one g."""
    cdef intp i
    cdef i64 k
    for i in range(n):
        k = t[i]
        if k != ignore:
            out[i * c + k] = <floating>(-(1 if w == NULL else w[k]) * g[i * g_step] * scale)


cdef bint _nll_covered(input, target, weight):
    if not _floating(input) or input.ndim != 2 or not _plain(input, input.dtype):
        return False
    return _plain(target, np.int64) and (weight is None or _plain(weight, input.dtype))


def nll_loss(self, input, target, weight=None, *, reduction, ignore_index):
    if not _nll_covered(input, target, weight):
        return _Ref.nll_loss(self, input, target, weight, reduction=reduction,
                             ignore_index=ignore_index)
    cdef intp n = input.shape[0], c = input.shape[1]
    cdef int code = _reduction_code(reduction)
    cdef double sums[2]
    cdef i64 ignore = ignore_index
    cdef cnp.ndarray loss = np.empty(n, input.dtype) if code == NONE else None
    cdef void *out = NULL if loss is None else cnp.PyArray_DATA(loss)
    cdef const void *x = _data(input)
    cdef const void *t = _data(target)
    cdef const void *w = _data(weight)
    if input.dtype == np.float32:
        with nogil:
            _nll_rows(<const float *>x, <const i64 *>t, <const float *>w, n, c, ignore,
                      <float *>out, sums)
    else:
        with nogil:
            _nll_rows(<const double *>x, <const i64 *>t, <const double *>w, n, c, ignore,
                      <double *>out, sums)
    if code == NONE:
        return loss
    return input.dtype.type(sums[0] / sums[1] if code == MEAN else sums[0])


def nll_loss_backward(self, grad, input, target, weight=None, *, reduction, ignore_index):
    if not _nll_covered(input, target, weight) or not _plain(grad, input.dtype):
        return _Ref.nll_loss_backward(self, grad, input, target, weight, reduction=reduction,
                                      ignore_index=ignore_index)
    cdef intp n = input.shape[0], c = input.shape[1]
    cdef int code = _reduction_code(reduction)
    cdef double sums[2]
    cdef double scale = 1
    cdef i64 ignore = ignore_index
    cdef intp g_step = 1 if code == NONE else 0
    cdef cnp.ndarray out = np.zeros((n, c), input.dtype)
    cdef void *o = cnp.PyArray_DATA(out)
    cdef const void *g = _data(grad)
    cdef const void *x = _data(input)
    cdef const void *t = _data(target)
    cdef const void *w = _data(weight)
    if input.dtype == np.float32:
        with nogil:
            if code == MEAN:  # the total weight, from the loss pass without storing losses
                _nll_rows(<const float *>x, <const i64 *>t, <const float *>w, n, c, ignore,
                          <float *>NULL, sums)
                scale = 1 / sums[1]
            _nll_grad_rows(<const float *>g, g_step, <const i64 *>t, <const float *>w, n, c,
                           ignore, scale, <float *>o)
    else:
        with nogil:
            if code == MEAN:
                _nll_rows(<const double *>x, <const i64 *>t, <const double *>w, n, c, ignore,
                          <double *>NULL, sums)
                scale = 1 / sums[1]
            _nll_grad_rows(<const double *>g, g_step, <const i64 *>t, <const double *>w, n, c,
                           ignore, scale, <double *>o)
    return out


# --- elementwise -------------------------------------------------------------------------------
cdef inline double _term(int kind, double x, double t, double pw, double p) noexcept nogil:
    """The loss of one element; p is delta (huber) or beta (smooth_l1), pw the pos_weight."""
    cdef double d
    if kind == MSE:
        d = x - t
        return d * d
    if kind == HUBER:
        d = fabs(x - t)
        return 0.5 * d * d if d < p else p * (d - 0.5 * p)
    if kind == SMOOTH_L1:
        d = fabs(x - t)
        if p == 0:
            return d
        return 0.5 * d * d / p if d < p else d - 0.5 * p
    if kind == BCE:
        return -(t * max(log(x), -100.0) + (1 - t) * max(log1p(-x), -100.0))
    # BCE_LOGITS: -log(sigmoid(x)) = log1p(exp(-|x|)) + max(-x, 0)
    return (1 - t) * x + (1 + (pw - 1) * t) * (log1p(exp(-fabs(x))) + max(-x, 0.0))


cdef double _elementwise_rows(int kind, const floating *x, const floating *t, const floating *w,
                              intp wn, const floating *pw, intp pwn, intp n, double p,
                              floating *loss) noexcept nogil:
    """loss[i] (when not NULL) for each element; returns their sum. A weight of wn elements
    repeats along the input (its shape is a trailing part of the input's)."""
    cdef intp i
    cdef double li, total = 0
    for i in range(n):
        li = _term(kind, x[i], t[i], 1 if pw == NULL else pw[i % pwn], p)
        if w != NULL:
            li = li * w[i % wn]
        if loss != NULL:
            loss[i] = <floating>li
        total += li
    return total


cdef bint _trailing(object w, object x):
    return w is None or (_plain(w, x.dtype) and w.ndim <= x.ndim
                         and w.shape == x.shape[x.ndim - w.ndim:])


cdef object _elementwise(int kind, input, target, weight, pos_weight, str reduction, double p):
    """The loss, or None where the reference must run."""
    if not _floating(input) or not _plain(input, input.dtype) or not _plain(target, input.dtype) \
            or input.shape != target.shape or input.size == 0:
        return None
    if not _trailing(weight, input) or not _trailing(pos_weight, input):
        return None
    cdef int code = _reduction_code(reduction)
    cdef intp n = input.size
    cdef intp wn = 1 if weight is None else weight.size
    cdef intp pwn = 1 if pos_weight is None else pos_weight.size
    cdef double total
    cdef cnp.ndarray loss = np.empty(input.shape, input.dtype) if code == NONE else None
    cdef void *out = NULL if loss is None else cnp.PyArray_DATA(loss)
    cdef const void *x = _data(input)
    cdef const void *t = _data(target)
    cdef const void *w = _data(weight)
    cdef const void *pw = _data(pos_weight)
    if input.dtype == np.float32:
        with nogil:
            total = _elementwise_rows(kind, <const float *>x, <const float *>t, <const float *>w,
                                      wn, <const float *>pw, pwn, n, p, <float *>out)
    else:
        with nogil:
            total = _elementwise_rows(kind, <const double *>x, <const double *>t,
                                      <const double *>w, wn, <const double *>pw, pwn, n, p,
                                      <double *>out)
    if code == NONE:
        return loss
    return input.dtype.type(total / n if code == MEAN else total)


def mse_loss(self, input, target, *, reduction):
    out = _elementwise(MSE, input, target, None, None, reduction, 0)
    return _Ref.mse_loss(self, input, target, reduction=reduction) if out is None else out


def huber_loss(self, input, target, *, reduction, delta):
    out = _elementwise(HUBER, input, target, None, None, reduction, delta)
    return _Ref.huber_loss(self, input, target, reduction=reduction, delta=delta) \
        if out is None else out


def smooth_l1_loss(self, input, target, *, reduction, beta):
    out = _elementwise(SMOOTH_L1, input, target, None, None, reduction, beta)
    return _Ref.smooth_l1_loss(self, input, target, reduction=reduction, beta=beta) \
        if out is None else out


def binary_cross_entropy(self, input, target, weight=None, *, reduction):
    out = _elementwise(BCE, input, target, weight, None, reduction, 0)
    return _Ref.binary_cross_entropy(self, input, target, weight, reduction=reduction) \
        if out is None else out


def binary_cross_entropy_with_logits(self, input, target, weight=None, pos_weight=None, *,
                                     reduction):
    out = _elementwise(BCE_LOGITS, input, target, weight, pos_weight, reduction, 0)
    return _Ref.binary_cross_entropy_with_logits(self, input, target, weight, pos_weight,
                                                 reduction=reduction) if out is None else out
