"""Attention: scaled dot-product attention and the multi-head attention forward."""
from __future__ import annotations

import math

import numpy as np

import ember

from ._activation import softmax
from ._linear import dropout, linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _additive_mask(mask, dtype, device, allowed_if_true):
    """A float mask to add to attention scores: 0 where attending is allowed, -inf elsewhere."""
    if mask is None:
        return None
    if mask.dtype is ember.bool:
        blocked = mask if not allowed_if_true else ~mask
        return ember.where(blocked, -math.inf, 0.0).to(dtype)
    if not mask.dtype.is_floating_point:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, "
                           f"but got attn_mask.dtype: {mask.dtype} and  query.dtype: {dtype} "
                           "instead.")
    return mask.to(dtype)


def _causal_mask(length, source, dtype, device):
    allowed = np.tril(np.ones((length, source), bool))
    return ember.tensor(np.where(allowed, 0.0, -np.inf), dtype=dtype, device=device)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q @ k.T * scale + mask) @ v over (..., L, E) queries and (..., S, E) keys.

    A bool `attn_mask` is True where attending is allowed; a float mask is added.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> q = k = v = ember.ones(1, 2, 4)
    >>> F.scaled_dot_product_attention(q, k, v).shape
    ember.Size([1, 2, 4])
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value to be at "
                           "least 2-D")
    length, source = query.shape[-2], key.shape[-2]
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        reps = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(reps, -3)
        value = value.repeat_interleave(reps, -3)
    factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = ember.matmul(query, key.transpose(-2, -1)) * factor
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                               "when is_causal=True")
        scores = scores + _causal_mask(length, source, scores.dtype, scores.device)
    bias = _additive_mask(attn_mask, scores.dtype, scores.device, allowed_if_true=True)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return ember.matmul(weights, value)


def _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias,
                   q_proj_weight, k_proj_weight, v_proj_weight):
    if in_proj_weight is not None and q_proj_weight is None:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The multi-head attention computation of ``nn.MultiheadAttention`` on (L, N, E)
    query and (S, N, E) key/value (or unbatched (L, E) / (S, E)).

    Returns (output, weights): weights are (N, L, S) averaged over heads, (N, H, L, S)
    with ``average_attn_weights=False``, or None without `need_weights`.
    """
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if query.ndim != 3:
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.ndim}-D query tensor")
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to create "
                           "this mask.")
    dtype, device = query.dtype, query.device
    q, k, v = _in_projection(query, key, value, embed_dim,
                             None if use_separate_proj_weight else in_proj_weight, in_proj_bias,
                             q_proj_weight if use_separate_proj_weight else None,
                             k_proj_weight, v_proj_weight)
    attn_mask = _additive_mask(attn_mask, dtype, device, allowed_if_true=False)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, key.shape[0]):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                                   f"be {(tgt_len, key.shape[0])}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, key.shape[0]):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                                   f"be {(bsz * num_heads, tgt_len, key.shape[0])}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if key_padding_mask is not None and key_padding_mask.dtype is not ember.bool and \
            not key_padding_mask.dtype.is_floating_point:
        raise AssertionError("only bool and floating types of key_padding_mask are supported")
    key_padding_mask = _additive_mask(key_padding_mask, dtype, device, allowed_if_true=False)

    def pad_last(mask):
        return None if mask is None else ember.cat(
            [mask, ember.zeros(tuple(mask.shape[:-1]) + (1,), dtype=dtype, device=device)], -1)

    if bias_k is not None and bias_v is not None:
        k = ember.cat([k, bias_k.reshape(1, 1, embed_dim).expand(1, bsz, embed_dim)], 0)
        v = ember.cat([v, bias_v.reshape(1, 1, embed_dim).expand(1, bsz, embed_dim)], 0)
        attn_mask, key_padding_mask = pad_last(attn_mask), pad_last(key_padding_mask)
    # heads become batch entries: (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (static_k if static_k is not None else
         k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    v = (static_v if static_v is not None else
         v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    if add_zero_attn:
        zeros = ember.zeros((bsz * num_heads, 1, head_dim), dtype=dtype, device=device)
        k, v = ember.cat([k, zeros], 1), ember.cat([v, zeros], 1)
        attn_mask, key_padding_mask = pad_last(attn_mask), pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{key_padding_mask.shape}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    scores = ember.matmul(q * (1 / math.sqrt(head_dim)), k.transpose(1, 2))
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    out = ember.matmul(weights, v)                                   # (N*H, L, hd)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if unbatched:
        weights = weights.squeeze(0)
    return out, weights
