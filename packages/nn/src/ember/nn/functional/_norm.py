"""Normalisation: batch, layer, group, instance and local response norm; vector norms."""
from __future__ import annotations

import math

import ember

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm",
           "rms_norm", "normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def _channel_shape(input):
    """(1, C, 1, ...) so that per-channel vectors broadcast over ``(N, C, *)``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _normalize_over(input, dims, eps):
    """(x - mean) / sqrt(var + eps) over `dims` (biased variance), and the mean and var."""
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * ember.rsqrt(var + eps), mean, var


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by batch statistics (training) or by the running
    statistics (eval). In training the running statistics are updated in place with
    `momentum` (and the unbiased variance), as PyTorch does.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> x = ember.tensor([[1.0], [3.0]])
    >>> F.batch_norm(x, None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm(): expected at least 2D input (got {input.ndim}D input)")
    c = input.shape[1]
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.numel() // max(c, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        out, mean, var = _normalize_over(input, dims, eps)
        if running_mean is not None or running_var is not None:
            with ember.no_grad():
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean.reshape(c) * momentum)
                if running_var is not None:
                    unbiased = var.reshape(c) * (count / (count - 1))
                    running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm(): running_mean and running_var must be defined in "
                               "evaluation mode")
        shape = _channel_shape(input)
        out = (input - running_mean.reshape(shape)) * ember.rsqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(_channel_shape(input))
    if bias is not None:
        out = out + bias.reshape(_channel_shape(input))
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) over its spatial dims.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.instance_norm(ember.tensor([[[1.0, 3.0]]]))
    tensor([[[-1.0000,  1.0000]]])
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm(): expected at least 3D input (got {input.ndim}D input)")
    dims = tuple(range(2, input.ndim))
    shape = _channel_shape(input)
    if use_input_stats:
        count = math.prod(input.shape[2:])
        if count <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{input.shape}")
        out, mean, var = _normalize_over(input, dims, eps)
        if running_mean is not None or running_var is not None:
            with ember.no_grad():
                c = input.shape[1]
                if running_mean is not None:
                    batch_mean = mean.reshape(-1, c).mean(0)
                    running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
                if running_var is not None:
                    batch_var = (var * (count / (count - 1))).reshape(-1, c).mean(0)
                    running_var.mul_(1 - momentum).add_(batch_var * momentum)
    else:
        out = (input - running_mean.reshape(shape)) * ember.rsqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing `normalized_shape` dims, then scale and shift.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.layer_norm(ember.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    nd = len(shape)
    if nd == 0 or tuple(input.shape[input.ndim - nd:]) != shape or input.ndim < nd:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    out, _, _ = _normalize_over(input, tuple(range(input.ndim - nd, input.ndim)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x ** 2) + eps) over the trailing dims, times `weight`."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = ember.finfo(input.dtype).eps
    out = input * ember.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise groups of channels of ``(N, C, *)`` over the group's channels and ``*``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.group_norm(ember.tensor([[[1.0], [3.0]]]), 1)
    tensor([[[-1.0000],
             [ 1.0000]]])
    """
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    grouped = input.reshape(n, num_groups, -1)
    out, _, _ = _normalize_over(grouped, (2,), eps)
    out = out.reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise each channel by the squared activity of its `size` neighbours."""
    from ._conv import avg_pool2d, pad
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    sq = (input * input).unsqueeze(1)
    n, c = input.shape[:2]
    sq = sq.reshape(n, 1, c, -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k) ** beta


def _vector_norm(x, p, dim, keepdim):
    if p == 2:
        return ember.sqrt((x * x).sum(dim, keepdim=keepdim))
    if p == 1:
        return ember.abs(x).sum(dim, keepdim=keepdim)
    if p == math.inf:
        return ember.abs(x).amax(dim, keepdim=keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
    return (ember.abs(x) ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(norm(x, p), eps)`` along `dim`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.normalize(ember.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    denom = ember.clamp(_vector_norm(input, p, dim, True), min=eps)
    result = input / denom
    return out.copy_(result) if out is not None else result


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between x1 and x2 along `dim` (norms clamped below by eps).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    x1, x2 = ember.broadcast_tensors(x1, x2)
    n1 = ember.clamp(_vector_norm(x1, 2, dim, True), min=eps)
    n2 = ember.clamp(_vector_norm(x2, 2, dim, True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pairwise_distance(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    ndim = max(x1.ndim, x2.ndim)
    return _vector_norm(x1 - x2 + eps, p, -1 if ndim else 0, keepdim)


def pdist(input, p=2.0):
    """Distances between every pair of rows of (N, M) input (upper triangle, row-major)."""
    n = input.shape[0]
    i, j = [], []
    for a in range(n):
        for b in range(a + 1, n):
            i.append(a)
            j.append(b)
    from ._utils import index_tensor
    rows_i = input[index_tensor(i, input.device)]
    rows_j = input[index_tensor(j, input.device)]
    return _vector_norm(rows_i - rows_j, p, -1, False)
