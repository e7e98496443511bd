"""Activation functions, each a short composition of ember ops (autograd derives them).

Note [Masked branches]
    ``where(cond, a, b)`` passes zero gradient to the branch it did not pick, but
    0 * inf is still NaN: a branch that overflows where it is not used (``exp(x)``
    for large x) poisons the gradient. Such branches clamp their input first so
    that they stay finite everywhere.
"""
from __future__ import annotations

import math
import warnings

import ember

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "elu", "elu_",
           "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh",
           "hardtanh_", "hardswish", "hardsigmoid", "logsigmoid", "softplus", "softsign",
           "softmax", "log_softmax", "softmin", "threshold", "threshold_", "tanhshrink",
           "softshrink", "hardshrink", "glu"]


def _inplace(input, result, inplace):
    if inplace:
        return input.copy_(result)
    return result


def relu(input, inplace=False):
    """max(x, 0) elementwise.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.relu(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu_() if inplace else ember.relu(input)


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val].

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.hardtanh(ember.tensor([-3.0, 0.5]))
    tensor([-1.0000,  0.5000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace(input, ember.clamp(input, min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.relu6(ember.tensor([-1.0, 7.0]))
    tensor([0., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.leaky_relu(ember.tensor([-2.0, 3.0]), 0.5)
    tensor([-1.,  3.])
    """
    return _inplace(input, ember.where(input > 0, input, input * negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    """Leaky ReLU with a learned slope per channel (dim 1) or one shared slope.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.prelu(ember.tensor([[-2.0, 2.0]]), ember.tensor([0.25]))
    tensor([[-0.5000,  2.0000]])
    """
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim else 1)
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = {channels}.")
        if input.ndim >= 2:
            weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return ember.where(input > 0, input, input * weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: a uniform random slope in training, the mean slope otherwise."""
    if training:
        slope = ember.rand(input.shape, dtype=input.dtype, device=input.device) * (upper - lower) \
            + lower
        result = ember.where(input >= 0, input, input * slope)
    else:
        result = leaky_relu(input, (lower + upper) / 2)
    return _inplace(input, result, inplace)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.elu(ember.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """
    # expm1 sees only x <= 0 (Note [Masked branches])
    negative = ember.expm1(ember.clamp(input, max=0.0)) * alpha
    return _inplace(input, ember.where(input > 0, input, negative), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.selu(ember.tensor([1.0]))
    tensor([1.0507])
    """
    return _inplace(input, elu(input, _SELU_ALPHA) * _SELU_SCALE, inplace)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.celu(ember.tensor([3.0]))
    tensor([3.])
    """
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    negative = ember.expm1(ember.clamp(input / alpha, max=0.0)) * alpha
    return _inplace(input, ember.where(input > 0, input, negative), inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def gelu(input, approximate="none"):
    """x * Phi(x) (Gaussian CDF), or its tanh approximation with ``approximate='tanh'``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.gelu(ember.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    if approximate == "none":
        return input * (ember.erf(input * (1 / math.sqrt(2))) + 1) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * (ember.tanh(inner) + 1) * 0.5
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """x * sigmoid(x).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.silu(ember.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    return _inplace(input, input * ember.sigmoid(input), inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x)).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.mish(ember.tensor([1.0]))
    tensor([0.8651])
    """
    return _inplace(input, input * ember.tanh(softplus(input)), inplace)


def sigmoid(input):
    """1 / (1 + exp(-x)).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.sigmoid(ember.tensor([0.0]))
    tensor([0.5000])
    """
    return ember.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.tanh(ember.tensor([0.0]))
    tensor([0.])
    """
    return ember.tanh(input)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.hardswish(ember.tensor([-1.0, 1.0, 4.0]))
    tensor([-0.3333,  0.6667,  4.0000])
    """
    return _inplace(input, input * ember.clamp(input + 3, 0.0, 6.0) / 6, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.hardsigmoid(ember.tensor([0.0, 4.0]))
    tensor([0.5000, 1.0000])
    """
    return _inplace(input, ember.clamp(input / 6 + 0.5, 0.0, 1.0), inplace)


def logsigmoid(input):
    """log(sigmoid(x)), computed without overflow: x - log1p(exp(x)) split at 0 so that
    neither branch's exp can overflow (Note [Masked branches]).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.logsigmoid(ember.tensor([0.0, -1000.0]))
    tensor([-6.9315e-01, -1.0000e+03])
    """
    negative = ember.clamp(input, max=0.0)   # branch for x <= 0
    positive = ember.clamp(input, min=0.0)   # branch for x > 0
    return ember.where(input > 0, -ember.log1p(ember.exp(-positive)),
                       negative - ember.log1p(ember.exp(negative)))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.softplus(ember.tensor([0.0, 100.0]))
    tensor([  0.6931, 100.0000])
    """
    scaled = input * beta
    # the log branch sees at most `threshold` (Note [Masked branches])
    smooth = ember.log1p(ember.exp(ember.clamp(scaled, max=threshold)))
    if beta != 1:
        smooth = smooth / beta
    return ember.where(scaled > threshold, input, smooth)


def softsign(input):
    """``x / (1 + abs(x))``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.softsign(ember.tensor([1.0, -3.0]))
    tensor([ 0.5000, -0.7500])
    """
    return input / (ember.abs(input) + 1)


def _softmax_dim(ndim, name):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.softmax(ember.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return ember.softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along `dim`, computed stably.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.log_softmax(ember.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return ember.log_softmax(input, dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.softmin(ember.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmin")
    if dtype is not None:
        input = input.to(dtype)
    return ember.softmax(-input, dim)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else `value`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.threshold(ember.tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    return _inplace(input, ember.where(input > threshold, input, value), inplace)


def threshold_(input, threshold_value, value):
    return threshold(input, threshold_value, value, True)


def tanhshrink(input):
    """x - tanh(x).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.tanhshrink(ember.tensor([0.0]))
    tensor([0.])
    """
    return input - ember.tanh(input)


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.softshrink(ember.tensor([-1.0, 0.2, 1.0]))
    tensor([-0.5000,  0.0000,  0.5000])
    """
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return ember.where(input > lambd, input - lambd, ember.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd=0.5):
    """``x`` where ``abs(x) > lambd``, else 0.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.hardshrink(ember.tensor([-1.0, 0.2]))
    tensor([-1.,  0.])
    """
    return ember.where(ember.abs(input) > lambd, input, 0.0)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.glu(ember.tensor([1.0, 0.0]))
    tensor([0.5000])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = ember.chunk(input, 2, dim)
    return a * ember.sigmoid(b)
