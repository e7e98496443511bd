"""Convolution, pooling, padding, resampling and im2col (unfold/fold).

Convolution, unfold/fold and the fixed-window pools are thin front ends over the core
ops of ``ember._ops.conv`` (Note [im2col] there): one recorded op per call, with
Cython kernels for the windows and BLAS for the products.
"""
from __future__ import annotations

import math

import numpy as np

import ember
from ember._ops import conv as _core

from ._utils import index_tensor, ntuple

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold", "max_pool1d", "max_pool2d",
           "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d", "pad", "interpolate",
           "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]


def _batchify(input, nd, name):
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    if input.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    return input, False


def _zero_pad(x, pads, value=0.0):
    """`x` with (low, high) padding (>= 0) on its last len(pads) dims, filled with `value`."""
    if not any(lo or hi for lo, hi in pads):
        return x
    nd = len(pads)
    shape = list(x.shape)
    key = [slice(None)] * (x.ndim - nd)
    for i, (lo, hi) in enumerate(pads):
        shape[x.ndim - nd + i] += lo + hi
        key.append(slice(lo, lo + x.shape[x.ndim - nd + i]))
    out = ember.full(shape, value, dtype=x.dtype, device=x.device)
    out[tuple(key)] = x
    return out


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd, name):
    input, unbatched = _batchify(input, nd, name)
    out = _core.convolution(input, weight, bias, stride, padding, dilation, False, 0, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over (N, C, L) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.conv1d(ember.ones(1, 1, 4), ember.ones(1, 1, 2))
    tensor([[[2., 2., 2.]]])
    """
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over (N, C, H, W) input.

    `padding` is an int, a pair, 'valid' or 'same'.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2), padding=0)
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) input."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, nd,
                       name):
    input, unbatched = _batchify(input, nd, name)
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{name}: expected a {nd + 2}-D weight, got {list(weight.shape)}")
    out = _core.convolution(input, weight, bias, stride, padding, dilation, True, output_padding,
                            groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution ("deconvolution") over (N, C, L) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.conv_transpose1d(ember.ones(1, 1, 2), ember.ones(1, 1, 2))
    tensor([[[1., 2., 1.]]])
    """
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution over (N, C, H, W) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.conv_transpose2d(ember.ones(1, 1, 1, 1), ember.ones(1, 1, 2, 2), stride=2).shape
    ember.Size([1, 1, 2, 2])
    """
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution over (N, C, D, H, W) input."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 3, "conv_transpose3d")


# --- im2col / col2im -------------------------------------------------------------------
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) as columns: (N, C * kh * kw, L).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.unfold(ember.ones(1, 2, 3, 3), 2).shape
    ember.Size([1, 8, 4])
    """
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                                  f"{input.ndim}D)")
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)
    kernel, dilation = ntuple(kernel_size, 2, "kernel_size"), ntuple(dilation, 2, "dilation")
    padding, stride = ntuple(padding, 2, "padding"), ntuple(stride, 2, "stride")
    sizes = [_core.window_count(x.shape[2 + i], kernel[i], stride[i], padding[i], padding[i],
                           dilation[i]) for i in range(2)]
    if any(o <= 0 for o in sizes):
        padded = [x.shape[2 + i] + 2 * padding[i] for i in range(2)]
        raise RuntimeError(f"Given input with spatial size {padded}, kernel_size="
                           f"{kernel}, dilation={dilation}, padding={padding}, calculated shape of "
                           f"the array of sliding blocks as {sizes}, but its components must be "
                           "at least one.")
    cols = _core.im2col(x, kernel, stride, padding, dilation, tuple(sizes))
    return cols.squeeze(0) if unbatched else cols


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding-block columns (N, C * kh * kw, L) back into (N, C, H, W); the adjoint
    of `unfold`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.fold(ember.ones(1, 4, 4), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors "
                                  f"are supported (got {input.ndim}D)")
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    size = ntuple(output_size, 2, "output_size")
    kernel, dilation = ntuple(kernel_size, 2, "kernel_size"), ntuple(dilation, 2, "dilation")
    padding, stride = ntuple(padding, 2, "padding"), ntuple(stride, 2, "stride")
    n, ck, length = x.shape
    k = kernel[0] * kernel[1]
    if ck % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={ck} and kernel_size={kernel}")
    blocks = [_core.window_count(size[i], kernel[i], stride[i], padding[i], padding[i], dilation[i])
              for i in range(2)]
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={length}.")
    out = _core.col2im(x, size, kernel, stride, padding, dilation, tuple(blocks))
    return out.squeeze(0) if unbatched else out


# --- pooling --------------------------------------------------------------------------
def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, name):
    values, indices = _core.max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, nd,
                                     name)
    return (values, indices) if return_indices else values


def _stride_of(spatial, i):
    return math.prod(spatial[i + 1:])


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 1,
                     "max_pool1d")


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 2,
                     "max_pool2d")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over sliding windows of (N, C, L) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.max_pool1d(ember.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1,
                     "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over sliding windows of (N, C, H, W) input; with `return_indices` also
    the flat (h * W + w) input position of each maximum.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.max_pool2d(ember.arange(16.0).view(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                     "max_pool2d")


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 3,
                     "max_pool3d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over sliding windows of (N, C, D, H, W) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.max_pool3d(ember.arange(8.0).view(1, 1, 2, 2, 2), 2)
    tensor([[[[[7.]]]]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3,
                     "max_pool3d")


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
              nd, name):
    return _core.avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override, nd, name)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over sliding windows of (N, C, L) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.avg_pool1d(ember.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[2., 1.]]])
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1,
                     "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows of (N, C, H, W) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.avg_pool2d(ember.ones(1, 1, 2, 2), 2)
    tensor([[[[1.]]]])
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows of (N, C, D, H, W) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.avg_pool3d(ember.arange(8.0).view(1, 1, 2, 2, 2), 2)
    tensor([[[[[3.5000]]]]])
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over windows of x ** p) ** (1 / p)."""
    k = ntuple(kernel_size, 1)[0]
    out = avg_pool1d(input ** norm_type, k, stride, 0, ceil_mode)
    return (ember.sign(out) * ember.relu(ember.abs(out)) * k) ** (1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    kh, kw = ntuple(kernel_size, 2)
    out = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return (ember.sign(out) * ember.relu(ember.abs(out)) * (kh * kw)) ** (1.0 / norm_type)


def _adaptive_bounds(size, out):
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_sizes(input, output_size, nd, name):
    if input.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{name}: Expected {nd + 1}D or {nd + 2}D tensor, but got "
                         f"{input.ndim}D input of size {list(input.shape)}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise ValueError(f"{name}: output_size must be {nd} values, got {list(output_size)}")
        sizes = output_size
    else:
        sizes = (output_size,) * nd
    spatial = input.shape[-nd:]
    sizes = [spatial[i] if s is None else int(s) for i, s in enumerate(sizes)]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {sizes}")
    for d in range(input.ndim - nd, input.ndim):
        if input.shape[d] == 0 and d >= 1:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    return spatial, sizes


def _adaptive_avg(input, output_size, nd, name):
    spatial, sizes = _adaptive_sizes(input, output_size, nd, name)
    x = input
    # averaging along one dim is a product with a (out, in) matrix of window weights
    for i in range(nd):
        start, end = _adaptive_bounds(spatial[i], sizes[i])
        if spatial[i] == sizes[i]:
            continue
        m = np.zeros((sizes[i], spatial[i]))
        for o in range(sizes[i]):
            m[o, start[o]:end[o]] = 1.0 / (end[o] - start[o])
        mat = ember.tensor(m, dtype=input.dtype, device=input.device)
        dim = x.ndim - nd + i
        x = ember.matmul(x.movedim(dim, -1), mat.t()).movedim(-1, dim)
    return x if x is not input else input.clone()


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a given output length (windows chosen to cover the input).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_avg_pool1d(ember.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[2., 1.]]])
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) to a given (oh, ow) (None keeps that size).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_avg_pool2d(ember.ones(1, 1, 5, 7), (2, 3)).shape
    ember.Size([1, 1, 2, 3])
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def _adaptive_max(input, output_size, return_indices, nd, name):
    spatial, sizes = _adaptive_sizes(input, output_size, nd, name)
    # every window gathered at the largest window's size; short windows repeat their
    # last element, which leaves their maximum (and its first index) unchanged
    flat_index = None
    widths = []
    for i in range(nd):
        start, end = _adaptive_bounds(spatial[i], sizes[i])
        width = int((end - start).max()) if sizes[i] else 1
        widths.append(width)
        pos = np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)  # (out, width)
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = sizes[i], width
        pos = pos.reshape(shape) * _stride_of(spatial, i)
        flat_index = pos if flat_index is None else flat_index + pos
    lead = tuple(input.shape[:input.ndim - nd])
    idx = flat_index.reshape(tuple(sizes) + (math.prod(widths),))
    x = input.reshape(lead + (math.prod(spatial),))
    windows = x[(Ellipsis, index_tensor(idx, input.device))]
    values, arg = windows.max(-1)
    if not return_indices:
        return values
    table = index_tensor(idx.reshape(-1, idx.shape[-1]), input.device)  # (L, K)
    cell = index_tensor(np.arange(math.prod(sizes)).reshape(sizes), input.device)
    return values, table[cell, arg]


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, True, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, True, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a given output length.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_max_pool1d(ember.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) to a given (oh, ow).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_max_pool2d(ember.arange(16.0).view(1, 1, 4, 4), 1)
    tensor([[[[15.]]]])
    """
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


# --- padding -------------------------------------------------------------------------------
def _pad_index(size, lo, hi, mode):
    """Source positions of a padded dim of length lo + size + hi (non-constant modes)."""
    pos = np.arange(-lo, size + hi)
    if mode == "reflect":
        period = 2 * (size - 1)
        pos = np.abs(pos) % period if period else np.zeros_like(pos)
        pos = np.where(pos >= size, period - pos, pos)
    elif mode == "replicate":
        pos = np.clip(pos, 0, size - 1)
    elif mode == "circular":
        pos = pos % size
    return pos


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims: ``pad = (left, right, top, bottom, ...)`` starting
    from the last dim. Modes: 'constant' (negative pads crop), 'reflect', 'replicate',
    'circular'.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pad(ember.tensor([[1.0, 2.0]]), (1, 2), value=9.0)
    tensor([[9., 1., 2., 9., 9.]])
    >>> F.pad(ember.tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect")
    tensor([[[3., 2., 1., 2., 3., 2.]]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    # pairs from the first padded dim to the last
    pairs = [(pad[2 * (nd - 1 - i)], pad[2 * (nd - 1 - i) + 1]) for i in range(nd)]
    first = input.ndim - nd
    if mode == "constant":
        x = input
        if any(lo < 0 or hi < 0 for lo, hi in pairs):  # negative padding crops
            crop = (slice(None),) * first + tuple(
                slice(max(-lo, 0), x.shape[first + i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pairs))
            x = x[crop]
        return _zero_pad(x, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs],
                         0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode in ("reflect", "replicate") and not (nd + 1 <= input.ndim <= nd + 2) or \
            mode == "circular" and input.ndim < nd + 1:
        raise NotImplementedError(f"Only {nd + 1}D or {nd + 2}D input Tensors are supported for "
                                  f"{mode} padding of {nd} dims (got {input.ndim}D)")
    x = input
    for i, (lo, hi) in enumerate(pairs):
        dim = first + i
        size = x.shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {dim} "
                               f"of input {list(input.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and size == 0 and (lo or hi):
            raise RuntimeError(f"replicate padding: input dimension {dim} is empty")
        if lo == 0 and hi == 0:
            continue
        idx = index_tensor(_pad_index(size, lo, hi, mode), x.device)
        x = x[(slice(None),) * dim + (idx,)]
    return x


# --- resampling ----------------------------------------------------------------------------
def _resample_sizes(input, size, scale_factor, nd, recompute):
    spatial = input.shape[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * nd
        if len(sizes) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {list(spatial)} and output "
                             f"size of {sizes}. Please provide input tensor in (N, C, d1, d2, "
                             "...,dK) format and output size in (o1, o2, ...,oK) format.")
        return [int(s) for s in sizes], [None] * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * nd
    if len(scales) != nd:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of {list(spatial)} "
                         f"and scale_factor of shape {scales}. Please provide input tensor in "
                         "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                         "format.")
    sizes = [int(math.floor(spatial[i] * scales[i])) for i in range(nd)]
    return sizes, [None] * nd if recompute else [float(s) for s in scales]


def _source_scale(in_size, out_size, scale, align_corners):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_size / out_size


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample ``(N, C, *spatial)`` to `size` or by `scale_factor`: modes 'nearest',
    'nearest-exact', 'linear', 'bilinear', 'trilinear' (align_corners as in PyTorch).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.interpolate(ember.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    nd = input.ndim - 2
    if nd < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | "
                         f"trilinear | area | nearest-exact (got {mode})")
    linear_modes = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode in linear_modes:
        if linear_modes[mode] != nd:
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                      f"{linear_modes[mode] + 2}D input")
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: nearest | linear | bilinear | "
                                  f"trilinear | area | nearest-exact (got {mode})")
    if antialias:
        raise NotImplementedError("interpolate(): antialias is not supported by ember")
    sizes, scales = _resample_sizes(input, size, scale_factor, nd, recompute_scale_factor)
    if mode == "area":
        return _adaptive_avg(input, sizes, nd, "interpolate")
    x = input
    for i in range(nd):
        dim = 2 + i
        n_in, n_out = input.shape[dim], sizes[i]
        lead = (slice(None),) * dim
        if mode in ("nearest", "nearest-exact"):
            scale = _source_scale(n_in, n_out, scales[i], False)
            offset = 0.5 if mode == "nearest-exact" else 0.0
            src = np.minimum(np.floor((np.arange(n_out) + offset) * scale).astype(np.int64),
                             n_in - 1)
            x = x[lead + (index_tensor(src, x.device),)]
            continue
        scale = _source_scale(n_in, n_out, scales[i], align_corners)
        dst = np.arange(n_out, dtype=np.float64)
        src = dst * scale if align_corners else np.maximum((dst + 0.5) * scale - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = (src - lo).reshape((n_out,) + (1,) * (nd - 1 - i))
        w = ember.tensor(frac, dtype=x.dtype, device=x.device)
        a = x[lead + (index_tensor(lo, x.device),)]
        b = x[lead + (index_tensor(hi, x.device),)]
        x = a + (b - a) * w
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pixel_shuffle(ember.ones(1, 4, 2, 2), 2).shape
    ember.Size([1, 1, 4, 4])
    """
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    n = len(lead)
    x = x.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W)."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError("pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but got {h}x{w} and {r}")
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    n = len(lead)
    x = x.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))
