"""Activation modules (thin wrappers over ``ember.nn.functional``) and MultiheadAttention."""
from __future__ import annotations

import ember

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
           "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin", "Softmax2d", "Softplus",
           "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "LogSigmoid", "Threshold",
           "Tanhshrink", "Softshrink", "Hardshrink", "GLU", "MultiheadAttention"]


class _Inplace(Module):
    """An activation with only an `inplace` flag."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Inplace):
    """max(x, 0).

    >>> import ember
    >>> from ember import nn
    >>> nn.ReLU()(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)


class ReLU6(_Inplace):
    """min(max(x, 0), 6).

    >>> import ember
    >>> from ember import nn
    >>> nn.ReLU6()(ember.tensor([7.0]))
    tensor([6.])
    """

    def forward(self, input):
        return F.relu6(input, self.inplace)


class SELU(_Inplace):
    """Scaled ELU with the self-normalising constants.

    >>> import ember
    >>> from ember import nn
    >>> nn.SELU()(ember.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return F.selu(input, self.inplace)


class SiLU(_Inplace):
    """x * sigmoid(x).

    >>> import ember
    >>> from ember import nn
    >>> nn.SiLU()(ember.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return F.silu(input, self.inplace)


class Mish(_Inplace):
    """x * tanh(softplus(x)).

    >>> import ember
    >>> from ember import nn
    >>> nn.Mish()(ember.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return F.mish(input, self.inplace)


class Hardswish(_Inplace):
    """x * relu6(x + 3) / 6.

    >>> import ember
    >>> from ember import nn
    >>> nn.Hardswish()(ember.tensor([3.0]))
    tensor([3.])
    """

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Hardsigmoid(_Inplace):
    """relu6(x + 3) / 6.

    >>> import ember
    >>> from ember import nn
    >>> nn.Hardsigmoid()(ember.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.

    >>> import ember
    >>> from ember import nn
    >>> nn.LeakyReLU(0.5)(ember.tensor([-2.0]))
    tensor([-1.])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Leaky ReLU with a learned slope (one, or one per channel), initialised to `init`.

    >>> import ember
    >>> from ember import nn
    >>> nn.PReLU()(ember.tensor([-4.0])).tolist()
    [-1.0]
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(ember.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU (random slope in [lower, upper] while training)."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1).

    >>> import ember
    >>> from ember import nn
    >>> nn.ELU()(ember.tensor([1.0]))
    tensor([1.])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    >>> import ember
    >>> from ember import nn
    >>> nn.CELU()(ember.tensor([1.0]))
    tensor([1.])
    """

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """x * Phi(x), exact ('none') or with the tanh approximation.

    >>> import ember
    >>> from ember import nn
    >>> nn.GELU()(ember.tensor([0.0]))
    tensor([0.])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)).

    >>> import ember
    >>> from ember import nn
    >>> nn.Sigmoid()(ember.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return ember.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent.

    >>> import ember
    >>> from ember import nn
    >>> nn.Tanh()(ember.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return ember.tanh(input)


class Softsign(Module):
    """``x / (1 + abs(x))``.

    >>> import ember
    >>> from ember import nn
    >>> nn.Softsign()(ember.tensor([1.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return F.softsign(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable.

    >>> import ember
    >>> from ember import nn
    >>> nn.LogSigmoid()(ember.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Tanhshrink(Module):
    """x - tanh(x).

    >>> import ember
    >>> from ember import nn
    >>> nn.Tanhshrink()(ember.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return F.tanhshrink(input)


class _SoftmaxBase(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """exp(x) / sum(exp(x)) along `dim`.

    >>> import ember
    >>> from ember import nn
    >>> nn.Softmax(dim=0)(ember.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class LogSoftmax(_SoftmaxBase):
    """log(softmax(x)) along `dim`.

    >>> import ember
    >>> from ember import nn
    >>> nn.LogSoftmax(dim=0)(ember.tensor([0.0, 0.0]))
    tensor([-0.6931, -0.6931])
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Softmin(_SoftmaxBase):
    """softmax(-x) along `dim`.

    >>> import ember
    >>> from ember import nn
    >>> nn.Softmin(dim=0)(ember.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        return F.softmin(input, self.dim)


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear above `threshold`.

    >>> import ember
    >>> from ember import nn
    >>> nn.Softplus()(ember.tensor([0.0]))
    tensor([0.6931])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clamped to [min_val, max_val].

    >>> import ember
    >>> from ember import nn
    >>> nn.Hardtanh()(ember.tensor([2.0]))
    tensor([1.])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError("max_val must be greater than min_val")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + \
            (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """x where x > threshold, else `value`.

    >>> import ember
    >>> from ember import nn
    >>> nn.Threshold(1.0, 0.0)(ember.tensor([0.5, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + \
            (", inplace=True" if self.inplace else "")


class Softshrink(Module):
    """Shrink toward zero by `lambd` (zero inside [-lambd, lambd]).

    >>> import ember
    >>> from ember import nn
    >>> nn.Softshrink()(ember.tensor([1.0]))
    tensor([0.5000])
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    """``x`` where ``abs(x) > lambd``, else 0.

    >>> import ember
    >>> from ember import nn
    >>> nn.Hardshrink()(ember.tensor([0.2, 1.0]))
    tensor([0., 1.])
    """

    def forward(self, input):
        return F.hardshrink(input, self.lambd)


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along `dim`.

    >>> import ember
    >>> from ember import nn
    >>> nn.GLU()(ember.tensor([2.0, 0.0]))
    tensor([1.])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al.) with PyTorch's parameters and options.

    Inputs are (L, N, E) (or (N, L, E) with `batch_first`, or unbatched (L, E)).
    Returns (output, attention weights averaged over heads or None).

    >>> import ember
    >>> from ember import nn
    >>> mha = nn.MultiheadAttention(4, 2)
    >>> out, w = mha(ember.ones(3, 1, 4), ember.ones(5, 1, 4), ember.ones(5, 1, 4))
    >>> out.shape, w.shape
    (ember.Size([3, 1, 4]), ember.Size([1, 3, 5]))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads} instead")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        kw = {"device": device, "dtype": dtype}
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ember.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(ember.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(ember.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ember.empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ember.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(ember.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(ember.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        if self.batch_first and batched:
            query, key, value = (t.transpose(1, 0) for t in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, weights
