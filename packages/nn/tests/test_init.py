"""ember.nn.init: distributions, bounds, gains and errors as in PyTorch."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init


def test_calculate_gain_matches_pytorch(torch):
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                        ("selu", None)]:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def _stats(t):
    a = t.detach().numpy().reshape(-1)
    return a.min(), a.max(), a.mean(), a.std()


def test_uniform_normal_constant():
    ember.manual_seed(0)
    t = ember.empty(200, 100)
    assert init.uniform_(t, -2.0, 3.0) is t
    lo, hi, mean, _ = _stats(t)
    assert -2.0 <= lo and hi <= 3.0 and abs(mean - 0.5) < 0.05
    _, _, mean, std = _stats(init.normal_(t, 1.5, 0.5))
    assert abs(mean - 1.5) < 0.02 and abs(std - 0.5) < 0.02
    assert init.constant_(ember.empty(3), 0.25).tolist() == [0.25] * 3
    assert init.ones_(ember.empty(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(ember.empty(2)).tolist() == [0.0, 0.0]


def test_init_does_not_record_history():
    p = nn.Parameter(ember.empty(3, 4))
    init.xavier_uniform_(p)
    init.normal_(p)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_trunc_normal_bounds_and_moments():
    ember.manual_seed(1)
    t = init.trunc_normal_(ember.empty(100000), mean=0.5, std=1.0, a=-1.0, b=2.0)
    lo, hi, mean, _ = _stats(t)
    assert -1.0 <= lo and hi <= 2.0
    # the mean of N(0.5, 1) truncated to [-1, 2] is 0.5 (symmetric interval)
    assert abs(mean - 0.5) < 0.02


def test_eye_and_dirac():
    assert init.eye_(ember.empty(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2))
    w = init.dirac_(ember.empty(2, 2, 3))
    x = ember.randn(1, 2, 5)
    out = nn.functional.conv1d(x, w, padding=1)
    np.testing.assert_allclose(out.numpy(), x.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(30, 50), (20, 10, 3, 3)])
def test_xavier_and_kaiming_bounds_and_std(shape):
    ember.manual_seed(2)
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    lo, hi, _, std = _stats(init.xavier_uniform_(ember.empty(shape)))
    assert -bound <= lo and hi <= bound and abs(std - bound / math.sqrt(3)) < 0.1 * bound
    _, _, _, std = _stats(init.xavier_normal_(ember.empty(shape), gain=2.0))
    assert abs(std - 2.0 * math.sqrt(2.0 / (fan_in + fan_out))) < 0.1 * std
    bound = math.sqrt(2.0) * math.sqrt(3.0 / fan_in)
    lo, hi, _, _ = _stats(init.kaiming_uniform_(ember.empty(shape), nonlinearity="relu"))
    assert -bound <= lo and hi <= bound and hi > 0.8 * bound
    _, _, _, std = _stats(init.kaiming_normal_(ember.empty(shape), mode="fan_out"))
    expected = math.sqrt(2.0 / (1 + 0.01 ** 2)) / math.sqrt(fan_out)
    assert abs(std - expected) < 0.1 * expected


def test_fan_errors_and_zero_element_warning():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with "
                                         "fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (4, 2, 2)])
def test_orthogonal(shape):
    w = init.orthogonal_(ember.empty(shape), gain=2.0)
    flat = w.numpy().reshape(shape[0], -1)
    gram = flat @ flat.T if shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-5)
