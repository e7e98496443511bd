"""ember.nn.functional against torch.nn.functional: values and gradients, several dtypes,
non-contiguous and zero-size inputs, and error messages."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from nn_parity import RNG, backward_both, close, grads_close, pair, randn


def compare(torch, name, arrays, *args, tol=1e-6, grad=True, **kwargs):
    pairs = [pair(a, torch, grad) for a in arrays]
    e = getattr(F, name)(*[p[0] for p in pairs], *args, **kwargs)
    t = getattr(torch.nn.functional, name)(*[p[1] for p in pairs], *args, **kwargs)
    if isinstance(t, tuple):
        e, t = e[0], t[0]
    close(e, t, tol)
    if grad and t.requires_grad:
        backward_both(e, t, torch)
        grads_close([p[0] for p in pairs], [p[1] for p in pairs], tol)
    return e


ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {"alpha": 2.0}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("sigmoid", {}), ("tanh", {}), ("hardswish", {}), ("hardsigmoid", {}), ("logsigmoid", {}),
    ("softplus", {}), ("softplus", {"beta": 0.5, "threshold": 3.0}), ("softsign", {}),
    ("tanhshrink", {}), ("softshrink", {"lambd": 0.3}), ("hardshrink", {"lambd": 0.3}),
    ("leaky_relu", {"negative_slope": 0.2}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("softmax", {"dim": 1}), ("log_softmax", {"dim": -1}), ("softmin", {"dim": 0}),
    ("glu", {"dim": 1}), ("threshold", {"threshold": 0.2, "value": -3.0}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activation_functions(name, kwargs, torch):
    compare(torch, name, [randn(3, 4, 5) * 3], **kwargs)


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activation_functions_float32_and_extremes(name, kwargs, torch):
    x = np.array([[-1e4, -30.0, -1.0, 0.5, 30.0, 1e4]], dtype=np.float32)
    x = np.concatenate([x, x[:, ::-1]], 0)  # even length along dim 0 for glu(dim=0)
    e = compare(torch, name, [x], tol=1e-5, **kwargs)
    assert e.dtype is ember.float32
    assert np.isfinite(e.detach().numpy()).all() or name in ("softmin", "log_softmax")


def test_activations_on_non_contiguous_and_empty_input(torch):
    x = randn(4, 6)
    ex, tx = pair(x, torch)
    close(F.gelu(ex.t()[::2]), torch.nn.functional.gelu(tx.t()[::2]))
    close(F.softmax(ex.t(), 0), torch.nn.functional.softmax(tx.t(), 0))
    assert F.relu(ember.zeros(0, 3)).shape == (0, 3)
    assert F.softmax(ember.zeros(0, 3), 1).shape == (0, 3)


def test_prelu_and_rrelu(torch):
    compare(torch, "prelu", [randn(2, 3, 4), RNG.random(3)])
    compare(torch, "prelu", [randn(2, 3), np.array([0.1])])
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        F.prelu(ember.ones(2, 3), ember.ones(2))
    close(F.rrelu(ember.tensor([-3.0, 3.0])), np.array([-3.0 * (1 / 8 + 1 / 3) / 2, 3.0]))
    out = F.rrelu(ember.full((1000,), -1.0), training=True)
    assert float(out.amin()) >= -1 / 3 - 1e-6 and float(out.amax()) <= -1 / 8 + 1e-6


def test_softmax_implicit_dim_warns(torch):
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(ember.tensor(randn(2, 3)))
    close(out.sum(1), np.ones(2))


def test_activation_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is "
                                           "size 5"):
        F.glu(ember.ones(2, 5))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(ember.ones(2), 1.5)


def test_linear_and_bilinear(torch):
    compare(torch, "linear", [randn(3, 5), randn(4, 5), randn(4)])
    compare(torch, "linear", [randn(2, 3, 5), randn(4, 5)])
    compare(torch, "linear", [randn(3, 5).astype(np.float32), randn(4, 5).astype(np.float32),
                              randn(4).astype(np.float32)], tol=1e-5)
    compare(torch, "bilinear", [randn(3, 5), randn(3, 2), randn(4, 5, 2), randn(4)])
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x3 and 2x4\)"):
        F.linear(ember.ones(2, 3), ember.ones(4, 2))


@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "padding": 1},
                                    {"dilation": 2, "padding": "same"},
                                    {"groups": 2, "padding": "valid"}])
def test_conv_functions(kwargs, torch):
    compare(torch, "conv1d", [randn(2, 4, 9), randn(6, 4 // kwargs.get("groups", 1), 3),
                              randn(6)], **kwargs)
    compare(torch, "conv2d", [randn(2, 4, 7, 6), randn(6, 4 // kwargs.get("groups", 1), 3, 2),
                              randn(6)], **kwargs)
    if "padding" not in kwargs or not isinstance(kwargs["padding"], str):
        compare(torch, "conv_transpose1d", [randn(2, 4, 5), randn(4, 3, 3), randn(
            3 * kwargs.get("groups", 1))], **kwargs)
        compare(torch, "conv_transpose2d", [randn(2, 4, 5, 4), randn(4, 3, 3, 2)], **kwargs)


def test_conv_float32_and_errors(torch):
    e = compare(torch, "conv2d", [randn(2, 3, 6, 6).astype(np.float32),
                                  randn(4, 3, 3, 3).astype(np.float32)], tol=1e-4)
    assert e.dtype is ember.float32
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(ember.ones(1, 3, 5, 5), ember.ones(4, 3, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="Given groups=1, weight of size"):
        F.conv1d(ember.ones(1, 3, 5), ember.ones(4, 2, 3))


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                          "padding": 1, "ceil_mode": True}])
def test_pool_functions(kwargs, torch):
    x2, x1 = randn(2, 3, 9, 8), randn(2, 3, 9)
    compare(torch, "max_pool1d", [x1], **kwargs)
    compare(torch, "max_pool2d", [x2], **kwargs)
    compare(torch, "avg_pool1d", [x1], **kwargs)
    compare(torch, "avg_pool2d", [x2], **kwargs)
    compare(torch, "avg_pool2d", [x2], count_include_pad=False, **kwargs)
    compare(torch, "lp_pool2d", [np.abs(x2)], 2.0, **{k: v for k, v in kwargs.items()
                                                      if k in ("kernel_size", "ceil_mode")})
    compare(torch, "adaptive_avg_pool1d", [x1], 4)
    compare(torch, "adaptive_avg_pool2d", [x2], (4, 3))
    compare(torch, "adaptive_max_pool1d", [x1], 4)
    compare(torch, "adaptive_max_pool2d", [x2], (4, 3))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes(mode, torch):
    x = randn(2, 3, 5, 6)
    compare(torch, "pad", [x], (1, 2, 2, 1), mode=mode)
    compare(torch, "pad", [x[0]], (2, 0), mode=mode)
    if mode == "constant":
        compare(torch, "pad", [x], (1, -2, 0, 3), value=2.5)
        compare(torch, "pad", [x], (1, 1, 1, 1, 1, 1))


def test_pad_errors():
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(ember.ones(2, 2), (1,))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two "
                                           "times the input dimension"):
        F.pad(ember.ones(2, 2), (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"Padding size should be less than the corresponding "
                                           r"input dimension, but got: padding \(2, 2\) at "
                                           r"dimension 2 of input \[1, 2, 2\]"):
        F.pad(ember.ones(1, 2, 2), (2, 2), mode="reflect")


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 2}, {"scale_factor": 1.7}, {"size": (3, 4)},
    {"size": (7, 9), "mode": "bilinear"}, {"scale_factor": 0.6, "mode": "bilinear"},
    {"size": (7, 9), "mode": "bilinear", "align_corners": True},
    {"scale_factor": (2.5, 1.5), "mode": "bilinear", "align_corners": False},
    {"size": (7, 4), "mode": "nearest-exact"}, {"size": (2, 3), "mode": "area"},
    {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True},
])
def test_interpolate(kwargs, torch):
    compare(torch, "interpolate", [randn(2, 3, 5, 6)], **kwargs)


def test_interpolate_1d_and_errors(torch):
    compare(torch, "interpolate", [randn(2, 3, 5)], size=11, mode="linear")
    compare(torch, "interpolate", [randn(2, 3, 5)], scale_factor=3, mode="linear",
            align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(ember.ones(1, 1, 2), size=3, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners option can only be set with the "
                                         "interpolating modes"):
        F.interpolate(ember.ones(1, 1, 2), size=3, align_corners=True)


def test_unfold_fold(torch):
    x = randn(2, 3, 5, 6)
    compare(torch, "unfold", [x], (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = randn(2, 3 * 4, 12)
    compare(torch, "fold", [cols], (5, 6), 2, padding=1, stride=2)
    compare(torch, "fold", [cols[0]], (5, 6), 2, padding=1, stride=2)
    with pytest.raises(RuntimeError, match="expected size of input's dimension 2 to match"):
        F.fold(ember.ones(1, 12, 7), (5, 6), 2, padding=1, stride=2)


def test_normalisation_functions(torch):
    x = randn(4, 3, 5)
    pairs = [pair(a, torch) for a in (x, RNG.random(3), randn(3))]
    e = F.batch_norm(pairs[0][0], None, None, pairs[1][0], pairs[2][0], training=True)
    t = torch.nn.functional.batch_norm(pairs[0][1], None, None, pairs[1][1], pairs[2][1],
                                       training=True)
    close(e, t)
    backward_both(e, t, torch)
    grads_close([p[0] for p in pairs], [p[1] for p in pairs])
    rm, rv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    F.batch_norm(ember.tensor(x), rm, rv, training=True, momentum=0.2)
    torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.2)
    close(rm, trm)
    close(rv, trv)
    close(F.batch_norm(ember.tensor(x), rm, rv), torch.nn.functional.batch_norm(
        torch.tensor(x), trm, trv))
    pairs = [pair(a, torch) for a in (x, randn(3, 5), randn(3, 5))]
    e = F.layer_norm(pairs[0][0], (3, 5), pairs[1][0], pairs[2][0], eps=1e-3)
    t = torch.nn.functional.layer_norm(pairs[0][1], (3, 5), pairs[1][1], pairs[2][1], eps=1e-3)
    close(e, t)
    backward_both(e, t, torch)
    grads_close([p[0] for p in pairs], [p[1] for p in pairs])
    close(F.group_norm(ember.tensor(x), 3), torch.nn.functional.group_norm(torch.tensor(x), 3))
    close(F.instance_norm(ember.tensor(x)), torch.nn.functional.instance_norm(torch.tensor(x)))
    close(F.local_response_norm(ember.tensor(x), 2),
          torch.nn.functional.local_response_norm(torch.tensor(x), 2))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\], but got input of size\[4, 3, 5\]"):
        F.layer_norm(ember.tensor(x), (3,))
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be "
                                           "divisible by num_groups"):
        F.group_norm(ember.tensor(x), 2)


def test_distances(torch):
    a, b = randn(4, 5), randn(4, 5)
    compare(torch, "normalize", [a])
    compare(torch, "normalize", [a], p=1.0, dim=0)
    compare(torch, "cosine_similarity", [a, b])
    compare(torch, "cosine_similarity", [randn(3, 1, 5), randn(1, 4, 5)], dim=-1)
    compare(torch, "pairwise_distance", [a, b])
    compare(torch, "pairwise_distance", [a, b], p=1.0, keepdim=True)
    compare(torch, "pairwise_distance", [a, b], p=3.0, eps=0.0)
    compare(torch, "pdist", [a])


def test_embedding_and_one_hot(torch):
    idx = np.array([[0, 2, 4], [1, 1, 3]])
    compare(torch, "embedding", [idx, randn(5, 3)])
    compare(torch, "embedding", [idx, randn(5, 3)], padding_idx=1)
    compare(torch, "one_hot", [np.array([0, 3, 1])], grad=False)
    compare(torch, "one_hot", [np.array([[0, 3], [1, 2]])], 5, grad=False)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(ember.tensor([3]), 2)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(ember.tensor([-1]), 2)


def test_functional_dropout_variants():
    ember.manual_seed(0)
    x = ember.ones(4, 6, 5)
    assert F.dropout(x, 0.5, training=False) is x
    out = F.dropout1d(x, 0.5)
    per_channel = out.numpy()
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    out = F.alpha_dropout(ember.randn(10000), 0.2, training=True)
    assert abs(float(out.mean())) < 0.1 and abs(float(out.std()) - 1) < 0.1
    y = ember.ones(10)
    F.dropout(y, 0.5, inplace=True)
    assert set(np.unique(y.numpy()).tolist()) <= {0.0, 2.0}


def test_pixel_shuffle_round_trip(torch):
    compare(torch, "pixel_shuffle", [randn(2, 8, 3, 3)], 2)
    compare(torch, "pixel_unshuffle", [randn(2, 2, 4, 6)], 2)
