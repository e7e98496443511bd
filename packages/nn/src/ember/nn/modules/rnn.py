"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional) and their cells.

The input projection of every time step is one matrix product per layer and
direction; only the recurrence (``h @ W_hh.T``) runs step by step. Packed
sequences run padded, with each sequence's state frozen once its length is reached.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import ember

from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _rnn_step(mode, x_gates, h, w_hh, b_hh):
    """One step of a plain RNN cell from the precomputed input projection."""
    pre = x_gates + F.linear(h, w_hh, b_hh)
    return ember.tanh(pre) if mode == "RNN_TANH" else ember.relu(pre)


def _lstm_step(x_gates, h, c, w_hh, b_hh, w_hr):
    gates = x_gates + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = ember.sigmoid(f) * c + ember.sigmoid(i) * ember.tanh(g)
    h = ember.sigmoid(o) * ember.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(x_gates, h, w_hh, b_hh):
    xr, xz, xn = x_gates.chunk(3, -1)
    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = ember.sigmoid(xr + hr)
    z = ember.sigmoid(xz + hz)
    n = ember.tanh(xn + r * hn)
    return (h - n) * z + n  # (1 - z) * n + z * h


class RNNBase(Module):
    """Shared parameters, checks and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                          stacklevel=2)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias = num_layers, bias
        self.batch_first, self.dropout = batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size else hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(ember.empty(shape, **kw)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in self._layer_names(layer, d)]
                for layer in range(self.num_layers) for d in range(1 + self.bidirectional)]

    def flatten_parameters(self):
        """A no-op kept for API compatibility (weights are never flattened here)."""

    def _layer_names(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        names = ["weight_ih" + suffix, "weight_hh" + suffix]
        if self.bias:
            names += ["bias_ih" + suffix, "bias_hh" + suffix]
        if self.proj_size:
            names.append("weight_hr" + suffix)
        return names

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")

        def get(name):
            return getattr(self, name + suffix, None)
        return (get("weight_ih"), get("weight_hh"), get("bias_ih") if self.bias else None,
                get("bias_hh") if self.bias else None,
                get("weight_hr") if self.proj_size else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- forward ----------------------------------------------------------------------
    def _check_hidden(self, hx, expected, what="hidden"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(f"Expected {what} size {tuple(expected)}, got {list(hx.shape)}")

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            padded, lengths = pad_packed_sequence(input)
            lengths = [int(v) for v in lengths.tolist()]
            x, batched = padded, True
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                                 f"{input.ndim}D instead")
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
            lengths = None
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        is_lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        n = x.shape[1]
        real_hidden = self.proj_size if self.proj_size else self.hidden_size
        h_shape = (self.num_layers * directions, n, real_hidden)
        c_shape = (self.num_layers * directions, n, self.hidden_size)
        if hx is None:
            h0 = ember.zeros(h_shape, dtype=x.dtype, device=x.device)
            c0 = ember.zeros(c_shape, dtype=x.dtype, device=x.device) if is_lstm else None
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError("LSTM: expected hx to be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if not batched:
                if h0.ndim != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                       f"{h0.ndim}-D tensor")
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            elif h0.ndim != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                                   f"{h0.ndim}-D tensor")
            self._check_hidden(h0, h_shape)
            if c0 is not None:
                self._check_hidden(c0, c_shape, "cell")
        output, h_n, c_n = self._run(x, h0, c0, lengths)
        if packed:
            output = pack_padded_sequence(output, lengths, enforce_sorted=False)
            if input.sorted_indices is None:
                output = PackedSequence(output.data, output.batch_sizes, None, None)
        else:
            if self.batch_first and batched:
                output = output.transpose(0, 1)
            if not batched:
                output = output.squeeze(1)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if c_n is not None else None
        return output, ((h_n, c_n) if is_lstm else h_n)

    def _run(self, x, h0, c0, lengths):
        steps, n = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        masks = reverse = None
        if lengths is not None and any(l != steps for l in lengths):
            # per step, which sequences are still running; frozen states keep their value
            alive = np.arange(steps)[:, None] < np.asarray(lengths)[None, :]
            masks = [ember.tensor(alive[t][:, None], device=x.device) for t in range(steps)]
            # reversing each sequence within its own length (an involution)
            rev = np.where(alive, np.asarray(lengths)[None, :] - 1 - np.arange(steps)[:, None],
                           np.arange(steps)[:, None])
            reverse = (ember.tensor(rev, dtype=ember.int64, device=x.device),
                       ember.tensor(np.arange(n), dtype=ember.int64, device=x.device))
        h_finals, c_finals = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                seq = layer_input
                if direction == 1:
                    seq = seq[reverse] if reverse is not None else _flip0(seq)
                x_gates = F.linear(seq, w_ih, b_ih)  # every step's input projection at once
                h = h0[k]
                c = c0[k] if c0 is not None else None
                hs = []
                for t in range(steps):
                    if self.mode == "LSTM":
                        h_new, c_new = _lstm_step(x_gates[t], h, c, w_hh, b_hh, w_hr)
                    elif self.mode == "GRU":
                        h_new, c_new = _gru_step(x_gates[t], h, w_hh, b_hh), None
                    else:
                        h_new, c_new = _rnn_step(self.mode, x_gates[t], h, w_hh, b_hh), None
                    if masks is not None:
                        h_new = ember.where(masks[t], h_new, h)
                        if c_new is not None:
                            c_new = ember.where(masks[t], c_new, c)
                        hs.append(h_new * masks[t])  # padded steps output zeros
                    else:
                        hs.append(h_new)
                    h, c = h_new, c_new
                out = ember.stack(hs, 0) if hs else ember.zeros(
                    (0, n, h.shape[-1]), dtype=x.dtype, device=x.device)
                if direction == 1:
                    out = out[reverse] if reverse is not None else _flip0(out)
                outputs.append(out)
                h_finals.append(h)
                if c is not None:
                    c_finals.append(c)
            layer_input = outputs[0] if directions == 1 else ember.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = ember.stack(h_finals, 0)
        c_n = ember.stack(c_finals, 0) if c_finals else None
        return layer_input, h_n, c_n


def _flip0(x):
    index = ember.arange(x.shape[0] - 1, -1, -1, device=x.device)
    return x[index]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    >>> import ember
    >>> from ember import nn
    >>> out, h = nn.RNN(3, 4, num_layers=2)(ember.ones(5, 2, 3))
    >>> out.shape, h.shape
    (ember.Size([5, 2, 4]), ember.Size([2, 2, 4]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n)).

    >>> import ember
    >>> from ember import nn
    >>> out, (h, c) = nn.LSTM(3, 4, batch_first=True)(ember.ones(2, 5, 3))
    >>> out.shape, h.shape, c.shape
    (ember.Size([2, 5, 4]), ember.Size([1, 2, 4]), ember.Size([1, 2, 4]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit.

    >>> import ember
    >>> from ember import nn
    >>> out, h = nn.GRU(3, 4, bidirectional=True)(ember.ones(5, 2, 3))
    >>> out.shape, h.shape
    (ember.Size([5, 2, 8]), ember.Size([2, 2, 4]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)


class RNNCellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"device": device, "dtype": dtype}
        gate_size = self._gates * hidden_size
        self.weight_ih = Parameter(ember.empty((gate_size, input_size), **kw))
        self.weight_hh = Parameter(ember.empty((gate_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty(gate_size, **kw))
            self.bias_hh = Parameter(ember.empty(gate_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, name):
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        if tuple(hx.shape) != (x.shape[0], self.hidden_size):
            raise RuntimeError(f"hidden has inconsistent shape: got {list(hx.shape)} expected "
                               f"{[x.shape[0], self.hidden_size]}")
        return x, hx, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step.

    >>> import ember
    >>> from ember import nn
    >>> nn.RNNCell(3, 4)(ember.ones(2, 3)).shape
    ember.Size([2, 4])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, h, batched = self._prepare(input, hx, "RNNCell")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _rnn_step(mode, F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c').

    >>> import ember
    >>> from ember import nn
    >>> h, c = nn.LSTMCell(3, 4)(ember.ones(2, 3))
    >>> h.shape
    ember.Size([2, 4])
    """

    _gates = 4

    def forward(self, input, hx=None):
        x, h, batched = self._prepare(input, None if hx is None else hx[0], "LSTMCell")
        c = ember.zeros_like(h) if hx is None else (hx[1] if batched else hx[1].unsqueeze(0))
        h, c = _lstm_step(F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step.

    >>> import ember
    >>> from ember import nn
    >>> nn.GRUCell(3, 4)(ember.ones(2, 3)).shape
    ember.Size([2, 4])
    """

    _gates = 3

    def forward(self, input, hx=None):
        x, h, batched = self._prepare(input, hx, "GRUCell")
        h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
