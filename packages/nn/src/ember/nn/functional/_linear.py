"""Linear maps, dropout, embeddings and one-hot encoding."""
from __future__ import annotations

import ember

__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "one_hot"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.linear(ember.ones(1, 2), ember.tensor([[1.0, 2.0]]), ember.tensor([0.5]))
    tensor([[3.5000]])
    """
    if input.ndim == 0 or weight.ndim not in (1, 2):
        raise RuntimeError(f"linear(): expected input of at least 1 dim and a 1-D or 2-D weight, "
                           f"got input {list(input.shape)} and weight {list(weight.shape)}")
    if input.shape[-1] != weight.shape[-1]:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {'x'.join(str(s) for s in reversed(weight.shape))})")
    if input.ndim == 2 and bias is not None and weight.ndim == 2:
        return ember.addmm(bias, input, weight.t())  # one BLAS call plus the bias
    out = ember.matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = x1[..., i] W[o, i, j] x2[..., j] + b[o]``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.bilinear(ember.ones(1, 2), ember.ones(1, 2), ember.ones(1, 2, 2)).tolist()
    [[4.0]]
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or \
            input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {list(input1.shape)} and {list(input2.shape)} "
                           f"do not match weight {list(weight.shape)}")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out_f, in1, in2 = weight.shape
    # (B, in1) @ (in1, out*in2) -> (B, out, in2), then contract in2 with x2
    t = ember.matmul(x1, weight.permute(1, 0, 2).reshape(in1, out_f * in2)).view(-1, out_f, in2)
    out = ember.matmul(t, x2.unsqueeze(-1)).squeeze(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(tuple(lead) + (out_f,))


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape, p, like):
    """Scaled Bernoulli(1 - p) mask: 1/(1-p) where kept, 0 where dropped."""
    keep = ember.rand(shape, device=like.device) >= p
    return keep.to(like.dtype) * (1.0 / (1.0 - p))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability `p` (training only), scaling the rest by 1/(1-p).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.dropout(ember.ones(3), 0.5, training=False)
    tensor([1., 1., 1.])
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        result = input * 0.0
    else:
        result = input * _keep_mask(input.shape, p, input)
    return input.copy_(result) if inplace else result


def _feature_dropout(input, p, training, inplace, spatial, name):
    _check_p(p)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received "
                           f"a {input.ndim}D input")
    if not training or p == 0.0:
        return input
    # one draw per (sample, channel), broadcast over the spatial dims
    shape = tuple(input.shape[:input.ndim - spatial]) + (1,) * spatial
    result = input * 0.0 if p == 1.0 else input * _keep_mask(shape, p, input)
    return input.copy_(result) if inplace else result


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability `p`."""
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability `p`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.dropout2d(ember.ones(1, 2, 1, 1), training=False).shape
    ember.Size([1, 2, 1, 1])
    """
    if input.ndim == 3:
        import warnings
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", UserWarning, stacklevel=2)
        return _feature_dropout(input, p, training, inplace, 1, "dropout2d")
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) input with probability `p`."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


_SELU_NEG = -1.7580993408473766  # -scale * alpha of SELU: where dropped units are sent


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's zero mean and unit variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (ember.rand(input.shape, device=input.device) >= p).to(input.dtype)
    a = (1.0 / ((1 - p) * (1 + p * _SELU_NEG ** 2))) ** 0.5
    b = -a * _SELU_NEG * p
    result = (input * keep + (1 - keep) * _SELU_NEG) * a + b
    return input.copy_(result) if inplace else result


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = (ember.rand(shape, device=input.device) >= p).to(input.dtype)
    a = (1.0 / ((1 - p) * (1 + p * _SELU_NEG ** 2))) ** 0.5
    b = -a * _SELU_NEG * p
    result = (input * keep + (1 - keep) * _SELU_NEG) * a + b
    return input.copy_(result) if inplace else result


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` picked by the integer `input` (any shape).

    `padding_idx`'s row gets no gradient; with `max_norm` the picked rows are
    renormalised in place first, as in PyTorch.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.embedding(ember.tensor([1, 0]), ember.tensor([[0.0, 1.0], [2.0, 3.0]]))
    tensor([[2., 3.],
            [0., 1.]])
    """
    if input.dtype not in (ember.int64, ember.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.type()} instead (while "
                           "checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if input.numel():
        lo, hi = int(input.amin().item()), int(input.amax().item())
        if lo < 0 or hi >= n:
            raise IndexError("index out of range in self")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(): scale_grad_by_freq and sparse are not supported "
                                  "by ember")
    rows = weight[input]
    if padding_idx is not None and weight.requires_grad:
        # same values, but the padding row's lookups are cut from the graph
        rows = ember.where((input != padding_idx).unsqueeze(-1), rows, rows.detach())
    return rows


def _renorm_rows(weight, input, max_norm, norm_type):
    """Scale the rows of `weight` used by `input` down to norm <= max_norm (in place)."""
    with ember.no_grad():
        import numpy as np
        idx = np.unique(np.asarray(input.detach().cpu().numpy()).reshape(-1))
        if idx.size == 0:
            return
        index = ember.tensor(idx, dtype=ember.int64, device=weight.device)
        rows = weight[index]
        norms = (rows.abs() ** norm_type).sum(1, keepdim=True) ** (1.0 / norm_type)
        scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[index] = rows * scale


def one_hot(tensor, num_classes=-1):
    """(..., num_classes) int64 tensor with a 1 at each value's position.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.one_hot(ember.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype is not ember.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel():
        lo, hi = int(tensor.amin().item()), int(tensor.amax().item())
        if lo < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    classes = ember.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(ember.int64)
