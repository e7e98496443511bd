# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# cython: language_level=3
"""Cython loss kernels: the methods of `loss_ref.LossKernels`, with the same interface.

One pass per loss computes each element's loss and, under 'mean' or 'sum', adds it up
in double precision (the binary cross entropies only up to `LOG_LOOP_MAX` elements).
Covered: C-contiguous float32/float64 operands of one dtype, with input and target of
one shape and weights whose shape is a trailing part of it (a per-class ``pos_weight``);
class indices as int64 beside ``(N, C)`` scores. Every other case goes to the reference
method. The op's front end checked the arguments (shapes, reductions, and targets in
range with `bad_class_target`, which reads nothing but the targets): the loss kernels
check nothing.
"""
cimport numpy as cnp
from cython cimport floating
from libc.math cimport exp, expf, fabs, log, log1p, log1pf, logf

import numpy as np

from .reference import Kernels as _Ref

cnp.import_array()

ctypedef cnp.npy_intp intp
ctypedef cnp.int64_t i64

cdef enum:
    NONE, MEAN, SUM

cdef enum:
    MSE, HUBER, SMOOTH_L1, BCE, BCE_LOGITS

cdef enum:
    # above this many elements numpy's vectorised log and exp (the reference) beat a loop of
    # scalar libm calls; below it the reference's dozen array passes cost more
    LOG_LOOP_MAX = 128


cdef int _reduction_code(str reduction):
    return NONE if reduction == "none" else MEAN if reduction == "mean" else SUM


cdef int _typenum(object a):
    """numpy's type number of `a` if it is a C-contiguous, aligned, native-order array, else -1
    (type numbers, not dtype objects: comparing those costs more than a small loss)."""
    if type(a) is not np.ndarray:
        return -1
    cdef cnp.ndarray arr = a
    if not (cnp.PyArray_IS_C_CONTIGUOUS(arr) and cnp.PyArray_ISALIGNED(arr)
            and cnp.PyArray_ISNOTSWAPPED(arr)):
        return -1
    return cnp.PyArray_TYPE(arr)


cdef inline bint _floating(int typenum) noexcept:
    return typenum == cnp.NPY_FLOAT or typenum == cnp.NPY_DOUBLE


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
                         intp n, intp c, i64 ignore, double divisor, floating *out) noexcept nogil:
    """out (zeroed, (n, c)) gets -w[t_i] g_i / divisor at [i, t_i]; g_step is 0 for one g.
    (A division, not a reciprocal: 1 / a subnormal total weight overflows to inf.)"""
    cdef intp i
    cdef i64 k
    for i in range(n):
        k = t[i]
        if k != ignore:
            out[i * c + k] = <floating>(-(1 if w == NULL else w[k]) * g[i * g_step] / divisor)


cdef int _nll_typenum(input, target, weight):
    """The float type number of a covered (N, C) case, else -1."""
    cdef int code = _typenum(input)
    if not _floating(code) or input.ndim != 2 or _typenum(target) != cnp.NPY_INT64:
        return -1
    return code if weight is None or _typenum(weight) == code else -1


def bad_class_target(self, target, n_classes, ignore_index):
    if _typenum(target) != cnp.NPY_INT64:
        return _Ref.bad_class_target(self, target, n_classes, ignore_index)
    cdef const i64 *t = <const i64 *>_data(target)
    cdef intp i, n = target.size
    cdef i64 k, classes = n_classes, ignore = ignore_index
    for i in range(n):
        k = t[i]
        if (k < 0 or k >= classes) and k != ignore:
            return k
    return None


def nll_loss(self, input, target, weight=None, *, reduction, ignore_index):
    cdef int code = _nll_typenum(input, target, weight)
    if code < 0:
        return _Ref.nll_loss(self, input, target, weight, reduction=reduction,
                             ignore_index=ignore_index)
    cdef intp n = input.shape[0], c = input.shape[1]
    cdef int how = _reduction_code(reduction)
    cdef double sums[2]
    cdef i64 ignore = ignore_index
    cdef cnp.ndarray loss = np.empty(n, input.dtype) if how == NONE else None
    cdef void *out = NULL if loss is None else cnp.PyArray_DATA(loss)
    cdef const void *x = _data(input)
    cdef const void *t = _data(target)
    cdef const void *w = _data(weight)
    if code == cnp.NPY_FLOAT:
        with nogil:
            _nll_rows(<const float *>x, <const i64 *>t, <const float *>w, n, c, ignore,
                      <float *>out, sums)
    else:
        with nogil:
            _nll_rows(<const double *>x, <const i64 *>t, <const double *>w, n, c, ignore,
                      <double *>out, sums)
    if how == NONE:
        return loss
    return input.dtype.type(sums[0] / sums[1] if how == MEAN else sums[0])


def nll_loss_backward(self, grad, input, target, weight=None, *, reduction, ignore_index):
    cdef int code = _nll_typenum(input, target, weight)
    if code < 0 or _typenum(grad) != code:
        return _Ref.nll_loss_backward(self, grad, input, target, weight, reduction=reduction,
                                      ignore_index=ignore_index)
    cdef intp n = input.shape[0], c = input.shape[1]
    cdef int how = _reduction_code(reduction)
    cdef double sums[2]
    cdef double divisor = 1
    cdef i64 ignore = ignore_index
    cdef intp g_step = 1 if how == NONE else 0
    cdef cnp.ndarray out = np.zeros((n, c), input.dtype)
    cdef void *o = cnp.PyArray_DATA(out)
    cdef const void *g = _data(grad)
    cdef const void *x = _data(input)
    cdef const void *t = _data(target)
    cdef const void *w = _data(weight)
    if code == cnp.NPY_FLOAT:
        with nogil:
            if how == MEAN:  # the total weight, from the loss pass without storing losses
                _nll_rows(<const float *>x, <const i64 *>t, <const float *>w, n, c, ignore,
                          <float *>NULL, sums)
                divisor = sums[1]
            _nll_grad_rows(<const float *>g, g_step, <const i64 *>t, <const float *>w, n, c,
                           ignore, divisor, <float *>o)
    else:
        with nogil:
            if how == MEAN:
                _nll_rows(<const double *>x, <const i64 *>t, <const double *>w, n, c, ignore,
                          <double *>NULL, sums)
                divisor = sums[1]
            _nll_grad_rows(<const double *>g, g_step, <const i64 *>t, <const double *>w, n, c,
                           ignore, divisor, <double *>o)
    return out


# --- elementwise -------------------------------------------------------------------------------
cdef inline floating _log(floating x) noexcept nogil:
    return logf(x) if floating is float else log(x)


cdef inline floating _log1p(floating x) noexcept nogil:
    return log1pf(x) if floating is float else log1p(x)


cdef inline floating _exp(floating x) noexcept nogil:
    return expf(x) if floating is float else exp(x)


cdef inline floating _term(int kind, floating x, floating t, floating pw, floating p) noexcept nogil:
    """The loss of one element, in the input's precision as the reference computes it; p is
    delta (huber) or beta (smooth_l1), pw the pos_weight."""
    cdef floating d
    if kind == MSE:
        d = x - t
        return d * d
    if kind == HUBER:
        d = fabs(x - t)
        return <floating>0.5 * d * d if d < p else p * (d - <floating>0.5 * p)
    if kind == SMOOTH_L1:
        d = fabs(x - t)
        if p == 0:
            return d
        return <floating>0.5 * d * d / p if d < p else d - <floating>0.5 * p
    if kind == BCE:
        return -(t * max(_log(x), <floating>-100) + (1 - t) * max(_log1p(-x), <floating>-100))
    # BCE_LOGITS: -log(sigmoid(x)) = log1p(exp(-|x|)) + max(-x, 0)
    return (1 - t) * x + (1 + (pw - 1) * t) * (_log1p(_exp(-fabs(x))) + max(-x, <floating>0))


cdef inline double _elementwise_rows(int kind, const floating *x, const floating *t,
                                     const floating *w, intp wn, const floating *pw, intp pwn,
                                     intp n, floating p, floating *loss) noexcept nogil:
    """loss[i] (when not NULL) for each element; returns their sum. A weight of wn elements
    repeats along the input (its shape is a trailing part of the input's). Inlined where
    `kind` is a constant, so that each loss gets a loop of its own."""
    cdef intp i
    cdef floating li
    cdef double total = 0
    for i in range(n):
        li = _term(kind, x[i], t[i], 1 if pw == NULL else pw[i % pwn], p)
        if w != NULL:
            li = li * w[i % wn]
        if loss != NULL:
            loss[i] = li
        total += li
    return total


cdef double _elementwise_any(int kind, const floating *x, const floating *t, const floating *w,
                             intp wn, const floating *pw, intp pwn, intp n, floating p,
                             floating *loss) noexcept nogil:
    if kind == MSE:
        return _elementwise_rows(MSE, x, t, w, wn, pw, pwn, n, p, loss)
    if kind == HUBER:
        return _elementwise_rows(HUBER, x, t, w, wn, pw, pwn, n, p, loss)
    if kind == SMOOTH_L1:
        return _elementwise_rows(SMOOTH_L1, x, t, w, wn, pw, pwn, n, p, loss)
    if kind == BCE:
        return _elementwise_rows(BCE, x, t, w, wn, pw, pwn, n, p, loss)
    return _elementwise_rows(BCE_LOGITS, x, t, w, wn, pw, pwn, n, p, loss)


cdef bint _trailing(object w, object x, int code):
    return w is None or (_typenum(w) == code and w.ndim <= x.ndim
                         and w.shape == x.shape[x.ndim - w.ndim:])


cdef object _elementwise(int kind, input, target, weight, pos_weight, str reduction, double p):
    """The loss, or None where the reference must run."""
    cdef int code = _typenum(input)
    if not _floating(code) or _typenum(target) != code or input.shape != target.shape \
            or input.size == 0 or not _trailing(weight, input, code) \
            or not _trailing(pos_weight, input, code):
        return None
    cdef intp n = input.size
    if (kind == BCE or kind == BCE_LOGITS) and n > LOG_LOOP_MAX:
        return None
    cdef int how = _reduction_code(reduction)
    cdef intp wn = 1 if weight is None else weight.size
    cdef intp pwn = 1 if pos_weight is None else pos_weight.size
    cdef double total
    cdef cnp.ndarray loss = np.empty(input.shape, input.dtype) if how == NONE else None
    cdef void *out = NULL if loss is None else cnp.PyArray_DATA(loss)
    cdef const void *x = _data(input)
    cdef const void *t = _data(target)
    cdef const void *w = _data(weight)
    cdef const void *pw = _data(pos_weight)
    if code == cnp.NPY_FLOAT:
        with nogil:
            total = _elementwise_any(kind, <const float *>x, <const float *>t, <const float *>w,
                                      wn, <const float *>pw, pwn, n, p, <float *>out)
    else:
        with nogil:
            total = _elementwise_any(kind, <const double *>x, <const double *>t,
                                      <const double *>w, wn, <const double *>pw, pwn, n, p,
                                      <double *>out)
    if how == NONE:
        return loss
    return input.dtype.type(total / n if how == MEAN else total)


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
