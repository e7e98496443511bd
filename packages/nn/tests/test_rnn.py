"""RNN, LSTM, GRU and their cells against PyTorch; packed and padded sequences."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import rnn as rnn_utils
from nn_parity import (RNG, backward_both, close, copy_weights, grads_close, module_grads_close,
                       pair, randn)


def both(torch, cls, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = getattr(nn, cls)(*args, **kwargs).double()
        t = getattr(torch.nn, cls)(*args, **kwargs).double()
    copy_weights(e, t)
    return e, t


CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False},
]


def _compare_outputs(e_out, t_out, tol=1e-6):
    e_seq, e_h = e_out
    t_seq, t_h = t_out
    close(e_seq, t_seq, tol)
    if isinstance(t_h, tuple):
        close(e_h[0], t_h[0], tol)
        close(e_h[1], t_h[1], tol)
    else:
        close(e_h, t_h, tol)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CONFIGS)
def test_recurrent_layers_match_pytorch(cls, config, torch):
    e, t = both(torch, cls, 3, 4, **config)
    shape = (2, 5, 3) if config.get("batch_first") else (5, 2, 3)
    ex, tx = pair(randn(*shape), torch)
    e_out, t_out = e(ex), t(tx)
    _compare_outputs(e_out, t_out)
    # the gradient of the output and of the final state together
    e_h = e_out[1][0] if cls == "LSTM" else e_out[1]
    t_h = t_out[1][0] if cls == "LSTM" else t_out[1]
    g1, g2 = RNG.standard_normal(tuple(t_out[0].shape)), RNG.standard_normal(tuple(t_h.shape))
    ((e_out[0] * ember.tensor(g1)).sum() + (e_h * ember.tensor(g2)).sum()).backward()
    ((t_out[0] * torch.tensor(g1)).sum() + (t_h * torch.tensor(g2)).sum()).backward()
    grads_close([ex], [tx])
    module_grads_close(e, t)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_initial_state_and_unbatched_input(cls, torch):
    e, t = both(torch, cls, 3, 4, num_layers=2)
    h0 = randn(2, 2, 4)
    hx_e = (ember.tensor(h0), ember.tensor(h0 * 0.5)) if cls == "LSTM" else ember.tensor(h0)
    hx_t = (torch.tensor(h0), torch.tensor(h0 * 0.5)) if cls == "LSTM" else torch.tensor(h0)
    x = randn(5, 2, 3)
    _compare_outputs(e(ember.tensor(x), hx_e), t(torch.tensor(x), hx_t))
    hx1_e = (ember.tensor(h0[:, 0]), ember.tensor(h0[:, 1])) if cls == "LSTM" \
        else ember.tensor(h0[:, 0])
    hx1_t = (torch.tensor(h0[:, 0]), torch.tensor(h0[:, 1])) if cls == "LSTM" \
        else torch.tensor(h0[:, 0])
    _compare_outputs(e(ember.tensor(x[:, 0]), hx1_e), t(torch.tensor(x[:, 0]), hx1_t))


def test_rnn_relu_and_lstm_projection(torch):
    e, t = both(torch, "RNN", 3, 4, nonlinearity="relu", num_layers=2)
    x = randn(5, 2, 3)
    _compare_outputs(e(ember.tensor(x)), t(torch.tensor(x)))
    e, t = both(torch, "LSTM", 3, 5, proj_size=2, num_layers=2, bidirectional=True)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    ex, tx = pair(x, torch)
    e_out, t_out = e(ex), t(tx)
    _compare_outputs(e_out, t_out)
    backward_both(e_out[0], t_out[0], torch)
    module_grads_close(e, t)


def test_parameter_names_shapes_and_init_bounds(torch):
    e, t = both(torch, "GRU", 3, 4, num_layers=2, bidirectional=True)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    fresh = nn.LSTM(3, 16)
    assert all(float(p.abs().amax()) <= 0.25 for p in fresh.parameters())


def test_dropout_between_layers_only_in_training():
    ember.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = ember.randn(5, 2, 3)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    close(a, b.detach().numpy())
    m.train()
    c, _ = m(x)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_recurrent_errors():
    m = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):
        m(ember.ones(2, 2, 5))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(ember.ones(2, 2, 2, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        m(ember.ones(5, 2, 3), (ember.zeros(1, 3, 4), ember.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.RNNBase("GRU", 3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_pytorch(cls, torch):
    e, t = both(torch, cls, 3, 4)
    x = randn(2, 3)
    h = randn(2, 4)
    ex, tx = pair(x, torch)
    eh, th = pair(h, torch)
    if cls == "LSTMCell":
        c = randn(2, 4)
        e_out, t_out = e(ex, (eh, ember.tensor(c))), t(tx, (th, torch.tensor(c)))
        close(e_out[1], t_out[1])
        e_out, t_out = e_out[0], t_out[0]
    else:
        e_out, t_out = e(ex, eh), t(tx, th)
    close(e_out, t_out)
    backward_both(e_out, t_out, torch)
    grads_close([ex, eh], [tx, th])
    module_grads_close(e, t)
    # no state given, and unbatched input
    e_out = e(ember.tensor(x[0]))
    t_out = t(torch.tensor(x[0]))
    close(e_out[0] if isinstance(e_out, tuple) else e_out,
          t_out[0] if isinstance(t_out, tuple) else t_out)


# --- packed sequences --------------------------------------------------------------------
def test_pad_sequence_matches_pytorch(torch):
    seqs = [randn(4, 2), randn(2, 2), randn(3, 2)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            e = rnn_utils.pad_sequence([ember.tensor(s) for s in seqs], batch_first, -1.0, side)
            t = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first,
                                                -1.0, side)
            close(e, t)


def test_pack_and_unpack_round_trip(torch):
    x = randn(4, 3, 2)
    lengths = [2, 4, 3]
    e = rnn_utils.pack_padded_sequence(ember.tensor(x), lengths, enforce_sorted=False)
    t = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    close(e.data, t.data)
    assert e.batch_sizes.tolist() == t.batch_sizes.tolist()
    assert e.sorted_indices.tolist() == t.sorted_indices.tolist()
    assert e.unsorted_indices.tolist() == t.unsorted_indices.tolist()
    ep, el = rnn_utils.pad_packed_sequence(e, batch_first=True, total_length=5)
    tp, tl = torch.nn.utils.rnn.pad_packed_sequence(t, batch_first=True, total_length=5)
    close(ep, tp)
    assert el.tolist() == tl.tolist()
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(ember.tensor(x), lengths)
    seqs = rnn_utils.unpack_sequence(rnn_utils.pack_sequence(
        [ember.tensor([1, 2, 3]), ember.tensor([4])]))
    assert [s.tolist() for s in seqs] == [[1, 2, 3], [4]]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_input_matches_pytorch(cls, torch):
    e, t = both(torch, cls, 2, 3, num_layers=2, bidirectional=True)
    x = randn(4, 3, 2)
    lengths = [2, 4, 3]
    ex, tx = pair(x, torch)
    ep = rnn_utils.pack_padded_sequence(ex, lengths, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=False)
    e_out, e_h = e(ep)
    t_out, t_h = t(tp)
    close(e_out.data, t_out.data)
    close(e_h[0] if cls == "LSTM" else e_h, t_h[0] if cls == "LSTM" else t_h)
    assert e_out.batch_sizes.tolist() == t_out.batch_sizes.tolist()
    backward_both(e_out.data, t_out.data, torch)
    grads_close([ex], [tx])
    module_grads_close(e, t)
