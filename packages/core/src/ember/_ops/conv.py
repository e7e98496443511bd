"""Convolution and pooling: `convolution` (torch.convolution) and the window ops that
``ember.nn.functional`` builds its conv, pool, unfold and fold functions on.

Note [im2col]
    A convolution is one matrix product per group: the kernel `im2col` copies each
    window of the input into a column (N, C * K, L) and the weight (O, C * K) multiplies
    the columns. Its backward is two more products and `col2im`, the adjoint of
    `im2col` (columns summed back into the image). A transposed convolution is that
    backward run forwards: a product, then `col2im`; its backward is `im2col` and two
    products. So the whole convolution is one recorded op (``convolution``) whose
    derivative is written with `im2col`, `col2im` and matmul, all differentiable. The
    op also outputs the columns of its input, kept for the weight's gradient rather
    than copied out again (a second-order backward recomputes them, to record them).

Every function here checks sizes and arguments before any kernel runs (the Cython
kernels trust them); window geometry is passed to the kernels as per-dim tuples
(kernel, stride, padding, dilation) plus `blocks`, the number of windows per dim,
computed here (so ceil_mode and asymmetric 'same' padding need nothing more).
Ops recorded: ``convolution``, ``im2col``, ``col2im``, ``max_pool`` (values, indices),
``max_pool_backward``, ``avg_pool``, ``avg_pool_backward``.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._dispatch import _type_name, apply
from .._tensor import Tensor


def ntuple(value, n, name="argument"):
    """`value` repeated n times if it is a single int, else checked to be n ints."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1 and n > 1:
            return tuple(int(v) for v in value) * n
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def window_count(size, k, s, p_lo, p_hi, d):
    """How many windows fit along one dim."""
    return (size + p_lo + p_hi - d * (k - 1) - 1) // s + 1


def _check_geometry(shape, kernel, stride, padding, dilation, blocks, op):
    """The invariants every window kernel relies on, for an image of `shape` (callers
    give PyTorch's errors first)."""
    nd = len(kernel)
    if len(shape) != nd + 2 or not all(len(t) == nd for t in (stride, padding, dilation, blocks)):
        raise RuntimeError(f"{op}: expected a {nd + 2}-D input and {nd} values for each window "
                           f"argument, got input of size {list(shape)}")
    if min(kernel + stride + dilation, default=1) <= 0 or min(padding + blocks, default=0) < 0:
        raise RuntimeError(f"{op}: kernel {kernel}, stride {stride} and dilation {dilation} must "
                           f"be positive, padding {padding} and windows {blocks} non-negative")


# --- convolution ------------------------------------------------------------------------
def _conv_padding(padding, kernel, dilation, stride, nd):
    """(low, high) padding per dim from an int, a tuple, 'same' or 'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                    for k, d in zip(kernel, dilation)]
        raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    padding = ntuple(padding, nd, "padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    return [(p, p) for p in padding]


def _check_same_types(input, weight, bias):
    if weight._dtype is not input._dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input._dtype)} but found "
                           f"{_type_name(weight._dtype)}")
    if bias is not None and bias._dtype is not input._dtype:
        raise RuntimeError(f"Input type ({_type_name(input._dtype).lower()}) and bias type "
                           f"({_type_name(bias._dtype).lower()}) should be the same")


def convolution(input, weight, bias=None, stride=1, padding=0, dilation=1, transposed=False,
                output_padding=0, groups=1):
    """N-d convolution (cross-correlation) of batched input (N, C, *spatial) with
    `weight` (O, C / groups, *kernel), or with `transposed` its transpose (weight
    (C, O / groups, *kernel)). `padding` may also be 'same' or 'valid' (not transposed).

    >>> import ember
    >>> ember.convolution(ember.ones(1, 1, 4), ember.ones(1, 1, 2), None, 1, 0, 1, False, 0, 1)
    tensor([[[2., 2., 2.]]])
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"convolution(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    nd = input.ndim - 2
    if nd < 1:
        raise RuntimeError(f"Expected 3D, 4D or 5D input to convolution, but got input of size: "
                           f"{list(input.shape)}")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"weight should have at least three dimensions, got {weight.ndim}"
                           if weight.ndim < 3 else f"Expected {nd + 2}-dimensional weight for "
                           f"{nd + 2}-dimensional input {list(input.shape)}, but got "
                           f"{weight.ndim}-dimensional weight of size {list(weight.shape)}")
    stride = ntuple(stride, nd, "stride")
    dilation = ntuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    kernel = tuple(weight.shape[2:])
    spatial = tuple(input.shape[2:])
    c = input.shape[1]
    if transposed:
        size, pads = _transposed_size(input, weight, stride, padding, output_padding, dilation,
                                      groups, nd)
        out_c = weight.shape[1] * groups
    else:
        out_c, c_per_group = weight.shape[:2]
        if c != c_per_group * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                               f"expected input{list(input.shape)} to have "
                               f"{c_per_group * groups} channels, but got {c} channels instead")
        if out_c % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of size "
                               f"{list(weight.shape)} instead")
        both = _conv_padding(padding, kernel, dilation, stride, nd)
        padded = [spatial[i] + both[i][0] + both[i][1] for i in range(nd)]
        effective = [dilation[i] * (kernel[i] - 1) + 1 for i in range(nd)]
        if any(p < e for p, e in zip(padded, effective)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, padded))}). Kernel size: "
                               f"({' x '.join(map(str, effective))}). Kernel size can't be "
                               "greater than actual input size")
        pads = tuple(lo for lo, _ in both)
        size = tuple(window_count(spatial[i], kernel[i], stride[i], lo, hi, dilation[i])
                     for i, (lo, hi) in enumerate(both))
    if bias is not None and (not isinstance(bias, Tensor) or bias.ndim != 1
                             or bias.shape[0] != out_c):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_c} elements, but got bias of size "
                           f"{list(getattr(bias, 'shape', ()))} instead")
    _check_same_types(input, weight, bias)
    inputs = (input, weight) if bias is None else (input, weight, bias)
    out, _ = apply("convolution", inputs, {"stride": stride, "padding": pads,
                                           "dilation": dilation, "transposed": bool(transposed),
                                           "groups": groups, "size": size},
                   result_dtype=(input._dtype, input._dtype))
    return out  # (the columns live on only as the saved input of the weight's gradient)


def _transposed_size(input, weight, stride, padding, output_padding, dilation, groups, nd):
    padding = ntuple(padding, nd, "padding")
    output_padding = ntuple(output_padding, nd, "output_padding")
    c_in = input.shape[1]
    if weight.shape[0] != c_in or c_in % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but got "
                           f"{c_in} channels instead")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    for op, s, d in zip(output_padding, stride, dilation):
        if op < 0 or op >= s and op >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={list(output_padding)}, stride="
                               f"{list(stride)}, dilation={list(dilation)}")
    size = tuple((input.shape[2 + i] - 1) * stride[i] - 2 * padding[i]
                 + dilation[i] * (weight.shape[2 + i] - 1) + output_padding[i] + 1
                 for i in range(nd))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: {list(input.shape[2:])}. Calculated "
                           f"output size per channel: {list(size)}. Output size is too small")
    return size, padding


# --- im2col / col2im ----------------------------------------------------------------------
def im2col(input, kernel, stride, padding, dilation, blocks):
    """The windows of `input` (N, C, *spatial) as columns (N, C * K, L) (Note [im2col]);
    `blocks` windows along each dim, zeros where a window covers padding."""
    _check_geometry(input.shape, kernel, stride, padding, dilation, blocks, "im2col")
    return apply("im2col", (input,), {"kernel": kernel, "stride": stride, "padding": padding,
                                      "dilation": dilation, "blocks": blocks})


def col2im(cols, size, kernel, stride, padding, dilation, blocks):
    """The adjoint of `im2col`: columns (N, C * K, L) summed into (N, C, *size)."""
    k, length = math.prod(kernel), math.prod(blocks)
    if cols.ndim != 3 or cols.shape[1] % k or cols.shape[2] != length or len(size) != len(kernel):
        raise RuntimeError(f"col2im: expected columns (N, C * {k}, {length}) for an image of size "
                           f"{list(size)}, got {list(cols.shape)}")
    image = (cols.shape[0], cols.shape[1] // k) + tuple(size)
    _check_geometry(image, kernel, stride, padding, dilation, blocks, "col2im")
    return apply("col2im", (cols,), {"size": tuple(size), "kernel": kernel, "stride": stride,
                                     "padding": padding, "dilation": dilation, "blocks": blocks})


# --- pooling ------------------------------------------------------------------------------
def pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, nd, name):
    """(kernel, stride, padding, dilation, blocks) of a pooling call, checked with
    PyTorch's errors; `stride` None (or empty) means the kernel size."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input, but got "
                           f"{input.ndim}D input of size {list(input.shape)}")
    kernel = ntuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else ntuple(stride, nd, "stride")
    padding, dilation = ntuple(padding, nd, "padding"), ntuple(dilation, nd, "dilation")
    blocks = []
    for size, k, s, p, d in zip(input.shape[-nd:], kernel, stride, padding, dilation):
        if k <= 0:
            raise RuntimeError(f"kernel_size should be greater than zero, but got kernel_size={k}")
        if s <= 0:
            raise RuntimeError(f"stride should be greater than zero, but got stride={s}")
        if d <= 0:
            raise RuntimeError(f"dilation should be greater than zero, but got dilation={d}")
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
        span = size + 2 * p - d * (k - 1) - 1
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1  # the last window must start inside the input or the left padding
        blocks.append(out)
    if any(o <= 0 for o in blocks):
        lead = list(input.shape[:input.ndim - nd])
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, input.shape[-nd - 1:]))}). "
                           f"Calculated output size: ({'x'.join(map(str, lead[-1:] + blocks))}). "
                           "Output size is too small")
    return kernel, stride, padding, dilation, tuple(blocks)


def _batched(input, nd):
    return (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)


def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, nd=2,
             name="max_pool2d"):
    """(values, int64 indices) of the maximum of each window of (N, C, *spatial) or
    (C, *spatial) input; indices are flat over the spatial dims, as in PyTorch."""
    kernel, stride, padding, dilation, blocks = pool_geometry(input, kernel_size, stride, padding,
                                                              dilation, ceil_mode, nd, name)
    x, unbatched = _batched(input, nd)
    values, indices = apply("max_pool", (x,), {"kernel": kernel, "stride": stride,
                                               "padding": padding, "dilation": dilation,
                                               "blocks": blocks},
                            result_dtype=(x._dtype, D.int64))
    return (values.squeeze(0), indices.squeeze(0)) if unbatched else (values, indices)


def max_pool_backward(grad, indices, size):
    """The gradient of `max_pool` for an input of spatial `size`: `grad` summed onto the
    positions `indices` names, in each (n, c) plane."""
    area = math.prod(size)
    if grad.shape != indices.shape or indices._dtype is not D.int64 or (
            indices.numel() and not (0 <= int(indices.min()) and int(indices.max()) < area)):
        raise RuntimeError(f"max_pool_backward: expected int64 indices of shape "
                           f"{list(grad.shape)} within an input of spatial size {list(size)}")
    return apply("max_pool_backward", (grad, indices), {"size": tuple(size)})


def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, nd=2, name="avg_pool2d"):
    """The mean of each window of (N, C, *spatial) or (C, *spatial) input; windows of
    ceil_mode that hang past the padding divide by their part inside it."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    kernel, stride, padding, _, blocks = pool_geometry(input, kernel_size, stride, padding, 1,
                                                       ceil_mode, nd, name)
    x, unbatched = _batched(input, nd)
    out = avg_pool_windows(x, kernel, stride, padding, blocks, bool(count_include_pad),
                           divisor_override or None)
    return out.squeeze(0) if unbatched else out


def avg_pool_windows(input, kernel, stride, padding, blocks, count_include_pad, divisor_override):
    """`avg_pool` of batched `input` with its geometry given (`blocks` windows per dim)."""
    _check_geometry(input.shape, kernel, stride, padding, (1,) * len(kernel), blocks, "avg_pool")
    return apply("avg_pool", (input,), {"kernel": kernel, "stride": stride, "padding": padding,
                                        "blocks": blocks, "count_include_pad": count_include_pad,
                                        "divisor_override": divisor_override})


def avg_pool_backward(grad, size, kernel, stride, padding, blocks, count_include_pad,
                      divisor_override):
    """The gradient of `avg_pool` for an input of spatial `size` (the adjoint: each
    window's share of `grad` spread over the window)."""
    if grad.ndim != len(kernel) + 2 or tuple(grad.shape[2:]) != tuple(blocks):
        raise RuntimeError(f"avg_pool_backward: expected a gradient with windows {list(blocks)}, "
                           f"got {list(grad.shape)}")
    _check_geometry(tuple(grad.shape[:2]) + tuple(size), kernel, stride, padding,
                    (1,) * len(kernel), blocks, "avg_pool_backward")
    return apply("avg_pool_backward", (grad,), {
        "size": tuple(size), "kernel": kernel, "stride": stride, "padding": padding,
        "blocks": blocks, "count_include_pad": count_include_pad,
        "divisor_override": divisor_override})


__all__ = ["convolution"]
METHODS = {}
