"""Attention and Transformer layers against PyTorch (same weights, eval mode / no dropout)."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_parity import RNG, backward_both, close, copy_weights, grads_close, module_grads_close, \
    pair, randn


def both(torch, cls, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = getattr(nn, cls)(*args, **kwargs).double()
        t = getattr(torch.nn, cls)(*args, **kwargs).double()
    copy_weights(e, t)
    return e, t


@pytest.mark.parametrize("is_causal", [False, True])
def test_scaled_dot_product_attention(is_causal, torch):
    q, k, v = randn(2, 3, 4, 8), randn(2, 3, 4, 8), randn(2, 3, 4, 6)
    pairs = [pair(a, torch) for a in (q, k, v)]
    e = F.scaled_dot_product_attention(*[p[0] for p in pairs], is_causal=is_causal)
    t = torch.nn.functional.scaled_dot_product_attention(*[p[1] for p in pairs],
                                                         is_causal=is_causal)
    close(e, t)
    backward_both(e, t, torch)
    grads_close([p[0] for p in pairs], [p[1] for p in pairs])


def test_scaled_dot_product_attention_masks_and_scale(torch):
    q, k, v = randn(2, 4, 8), randn(2, 5, 8), randn(2, 5, 3)
    bool_mask = RNG.random((4, 5)) > 0.3
    bool_mask[:, 0] = True
    float_mask = randn(2, 4, 5)
    for mask in (bool_mask, float_mask):
        e = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v),
                                           attn_mask=ember.tensor(mask), scale=0.3)
        t = torch.nn.functional.scaled_dot_product_attention(
            torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(mask),
            scale=0.3)
        close(e, t)


MHA_CONFIGS = [
    {},
    {"batch_first": True},
    {"bias": False},
    {"kdim": 5, "vdim": 3},
    {"add_bias_kv": True, "add_zero_attn": True},
]


@pytest.mark.parametrize("config", MHA_CONFIGS)
def test_multihead_attention_matches_pytorch(config, torch):
    e, t = both(torch, "MultiheadAttention", 8, 2, **config)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    batch_first = config.get("batch_first", False)
    q_shape = (3, 4, 8) if batch_first else (4, 3, 8)
    kv_len = (3, 6) if batch_first else (6, 3)
    q = randn(*q_shape)
    k = randn(*kv_len, config.get("kdim", 8))
    v = randn(*kv_len, config.get("vdim", 8))
    pairs = [pair(a, torch) for a in (q, k, v)]
    (e_out, e_w), (t_out, t_w) = e(*[p[0] for p in pairs]), t(*[p[1] for p in pairs])
    close(e_out, t_out)
    close(e_w, t_w)
    backward_both(e_out, t_out, torch)
    grads_close([p[0] for p in pairs], [p[1] for p in pairs])
    module_grads_close(e, t)


def test_multihead_attention_masks(torch):
    e, t = both(torch, "MultiheadAttention", 8, 4)
    x = randn(5, 2, 8)
    kpm = np.array([[False, False, True, False, True], [False] * 5])
    causal = np.triu(np.ones((5, 5), bool), 1)
    float_mask = randn(8, 5, 5)
    cases = [{"key_padding_mask": kpm}, {"attn_mask": causal},
             {"attn_mask": causal, "key_padding_mask": kpm.astype(np.float64) * -1e9},
             {"attn_mask": float_mask, "average_attn_weights": False},
             {"need_weights": False, "attn_mask": causal, "is_causal": True}]
    for case in cases:
        ek = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.items()}
        tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.items()}
        (e_out, e_w) = e(ember.tensor(x), ember.tensor(x), ember.tensor(x), **ek)
        (t_out, t_w) = t(torch.tensor(x), torch.tensor(x), torch.tensor(x), **tk)
        close(e_out, t_out)
        if t_w is None:
            assert e_w is None
        else:
            close(e_w, t_w)


def test_multihead_attention_unbatched_and_errors(torch):
    e, t = both(torch, "MultiheadAttention", 6, 3)
    x = randn(4, 6)
    (eo, ew), (to, tw) = e(*[ember.tensor(x)] * 3), t(*[torch.tensor(x)] * 3)
    close(eo, to)
    close(ew, tw)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(7, 2)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 6, but got 5"):
        e(ember.ones(2, 1, 5), ember.ones(2, 1, 5), ember.ones(2, 1, 5))


@pytest.mark.parametrize("config", [{}, {"norm_first": True, "activation": "gelu"},
                                    {"batch_first": True, "bias": False}])
def test_transformer_encoder_layer(config, torch):
    e, t = both(torch, "TransformerEncoderLayer", 8, 2, 16, dropout=0.0, **config)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    x = randn(3, 5, 8)
    ex, tx = pair(x, torch)
    mask = np.triu(np.ones((5, 5), bool), 1) if config.get("batch_first") else \
        np.triu(np.ones((3, 3), bool), 1)
    e_out = e(ex, src_mask=ember.tensor(mask))
    t_out = t(tx, src_mask=torch.tensor(mask))
    close(e_out, t_out)
    backward_both(e_out, t_out, torch)
    grads_close([ex], [tx])
    module_grads_close(e, t)


def test_transformer_encoder_and_decoder_stacks(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_enc = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
            norm=torch.nn.LayerNorm(8)).double()
        t_dec = torch.nn.TransformerDecoder(
            torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2).double()
    e_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                                  norm=nn.LayerNorm(8)).double()
    e_dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2).double()
    copy_weights(e_enc, t_enc)
    copy_weights(e_dec, t_dec)
    assert list(e_enc.state_dict()) == list(t_enc.state_dict())
    assert list(e_dec.state_dict()) == list(t_dec.state_dict())
    src, tgt = randn(6, 2, 8), randn(4, 2, 8)
    es, ts = pair(src, torch)
    eg, tg = pair(tgt, torch)
    kpm = np.array([[False] * 5 + [True], [False] * 6])
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4).double()
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(4).double()
    close(tgt_mask, t_mask)
    e_mem = e_enc(es, src_key_padding_mask=ember.tensor(kpm))
    t_mem = t_enc(ts, src_key_padding_mask=torch.tensor(kpm))
    close(e_mem, t_mem)
    e_out = e_dec(eg, e_mem, tgt_mask=tgt_mask, memory_key_padding_mask=ember.tensor(kpm))
    t_out = t_dec(tg, t_mem, tgt_mask=t_mask, memory_key_padding_mask=torch.tensor(kpm))
    close(e_out, t_out)
    backward_both(e_out, t_out, torch)
    grads_close([es, eg], [ts, tg])
    module_grads_close(e_enc, t_enc)
    module_grads_close(e_dec, t_dec)


def test_decoder_layer_norm_first(torch):
    e, t = both(torch, "TransformerDecoderLayer", 8, 2, 16, dropout=0.0, norm_first=True,
                batch_first=True)
    tgt, mem = randn(2, 3, 8), randn(2, 5, 8)
    close(e(ember.tensor(tgt), ember.tensor(mem)), t(torch.tensor(tgt), torch.tensor(mem)))


def test_transformer_model(torch):
    e, t = both(torch, "Transformer", d_model=8, nhead=2, num_encoder_layers=1,
                num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
    src, tgt = randn(5, 2, 8), randn(3, 2, 8)
    close(e(ember.tensor(src), ember.tensor(tgt)), t(torch.tensor(src), torch.tensor(tgt)))
