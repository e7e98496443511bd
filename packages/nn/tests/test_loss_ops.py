"""The losses that are single ops (nll_loss, and cross_entropy through it, mse_loss,
binary_cross_entropy with and without logits, smooth_l1_loss, huber_loss): values, node
names, first and second derivatives against PyTorch 2.13, and finite differences, in
every reduction mode and option."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from nn_parity import RNG, close, randn

REDUCTIONS = ["none", "mean", "sum"]
X, T = randn(4, 5), randn(4, 5)
PROB, SOFT = RNG.uniform(0.05, 0.95, (4, 5)), RNG.uniform(0.0, 1.0, (4, 5))
CLASSES = np.array([0, 4, 2, 4])
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, 5)

# (function, [input, target], options, node name); float arrays get gradients
CASES = [
    ("mse_loss", [X, T], {}, "MseLossBackward0"),
    ("huber_loss", [X, T], {"delta": 0.7}, "HuberLossBackward0"),
    ("smooth_l1_loss", [X, T], {"beta": 0.5}, "SmoothL1LossBackward0"),
    ("binary_cross_entropy", [PROB, SOFT], {}, "BinaryCrossEntropyBackward0"),
    ("binary_cross_entropy", [PROB, SOFT], {"weight": RNG.uniform(0.5, 2.0, 5)},
     "BinaryCrossEntropyBackward0"),
    ("binary_cross_entropy_with_logits", [X, SOFT], {}, "BinaryCrossEntropyWithLogitsBackward0"),
    ("binary_cross_entropy_with_logits", [X, SOFT],
     {"weight": RNG.uniform(0.5, 2.0, (4, 5)), "pos_weight": RNG.uniform(0.5, 3.0, 5)},
     "BinaryCrossEntropyWithLogitsBackward0"),
    ("nll_loss", [X, CLASSES], {}, "NllLossBackward0"),
    ("nll_loss", [X, CLASSES], {"weight": CLASS_WEIGHT, "ignore_index": 2}, "NllLossBackward0"),
    ("nll_loss", [randn(3, 5, 2, 2), RNG.integers(0, 5, (3, 2, 2))], {"weight": CLASS_WEIGHT},
     "NllLoss2DBackward0"),
    ("nll_loss", [randn(5), np.array(3)], {}, "NllLossBackward0"),
    ("cross_entropy", [X, CLASSES], {}, "NllLossBackward0"),
    ("cross_entropy", [X, CLASSES], {"weight": CLASS_WEIGHT, "ignore_index": 4},
     "NllLossBackward0"),
]
IDS = [f"{name}-{'-'.join(options) or 'plain'}" for name, _, options, _ in CASES]


def _inputs(lib, arrays, options, dtype):
    """Tensors of `lib` for the case (float arrays as leaves needing gradients)."""
    tensors = []
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind == "f":
            tensors.append(lib.tensor(a.astype(dtype)).requires_grad_())
        else:
            tensors.append(lib.tensor(a))
    kwargs = {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
              for k, v in options.items()}
    return tensors, kwargs


def _leaves(tensors):
    return [t for t in tensors if t.requires_grad]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, arrays, options, node", CASES, ids=IDS)
def test_values_gradients_and_node_match_torch(name, arrays, options, node, reduction, dtype,
                                               torch):
    e_in, e_kw = _inputs(ember, arrays, options, dtype)
    t_in, t_kw = _inputs(torch, arrays, options, dtype)
    e_out = getattr(F, name)(*e_in, reduction=reduction, **e_kw)
    t_out = getattr(torch.nn.functional, name)(*t_in, reduction=reduction, **t_kw)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    close(e_out, t_out, tol)
    assert e_out.dtype == getattr(ember, str(t_out.dtype).split(".")[1])
    assert type(e_out.grad_fn).__name__ == type(t_out.grad_fn).__name__ == node
    g = RNG.standard_normal(tuple(t_out.shape)).astype(dtype)
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))
    for e, t in zip(_leaves(e_in), _leaves(t_in)):
        close(e.grad, t.grad, tol)


@pytest.mark.parametrize("shape", [(2, 4, 3), (2, 4, 3, 2, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_beyond_4d_runs_as_4d_like_torch(shape, reduction, torch):
    x, target = randn(*shape), RNG.integers(0, 4, shape[:1] + shape[2:])
    e_x, t_x = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e = F.nll_loss(e_x, ember.tensor(target), reduction=reduction)
    t = torch.nn.functional.nll_loss(t_x, torch.tensor(target), reduction=reduction)
    close(e, t, 1e-12)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    e.sum().backward()
    t.sum().backward()
    close(e_x.grad, t_x.grad, 1e-12)


def test_smooth_l1_with_zero_beta_is_l1_loss(torch):
    x, y = ember.randn(3, requires_grad=True), ember.randn(3)
    assert type(F.smooth_l1_loss(x, y, beta=0.0).grad_fn).__name__ == "MeanBackward0"
    close(F.smooth_l1_loss(x, y, beta=0.0), F.l1_loss(x, y))


def test_cross_entropy_is_log_softmax_then_nll_loss(torch):
    x = ember.randn(3, 4, requires_grad=True)
    out = F.cross_entropy(x, ember.tensor([0, 3, 1]))
    t_out = torch.nn.functional.cross_entropy(torch.randn(3, 4, requires_grad=True),
                                              torch.tensor([0, 3, 1]))
    names = [type(out.grad_fn).__name__, type(out.grad_fn.next_functions[0][0]).__name__]
    assert names == [type(t_out.grad_fn).__name__,
                     type(t_out.grad_fn.next_functions[0][0]).__name__]
    assert names == ["NllLossBackward0", "LogSoftmaxBackward0"]


def _is_zero_tensor(t):
    """PyTorch's symbolic zeros (which refuse numpy())."""
    return getattr(t, "_is_zerotensor", lambda: False)()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, arrays, options, node", CASES, ids=IDS)
def test_second_derivatives_match_torch(name, arrays, options, node, reduction, torch):
    """d/d(inputs) of <v, d loss / d input>, with the first gradient taken with create_graph."""
    results = []
    for lib in (ember, torch):
        inputs, kwargs = _inputs(lib, arrays, options, np.float64)
        out = getattr(lib.nn.functional, name)(*inputs, reduction=reduction, **kwargs)
        leaves = _leaves(inputs)
        (gx,) = lib.autograd.grad(out.sum(), leaves[:1], create_graph=True)
        v = lib.tensor(np.linspace(-1.0, 1.0, gx.numel()).reshape(tuple(gx.shape)))
        second = lib.autograd.grad((gx * v).sum(), leaves, allow_unused=True)
        results.append([np.zeros(tuple(x.shape)) if s is None or _is_zero_tensor(s)
                        else s.detach().numpy() for s, x in zip(second, leaves)])
    for e, t in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, arrays, options, node", CASES, ids=IDS)
def test_gradcheck(name, arrays, options, node, reduction):
    inputs, kwargs = _inputs(ember, arrays, options, np.float64)
    leaves = _leaves(inputs)

    def loss(*args):
        args = iter(args)
        full = [next(args) if t.requires_grad else t for t in inputs]
        return getattr(F, name)(*full, reduction=reduction, **kwargs)

    assert gradcheck(loss, leaves)
    assert gradgradcheck(loss, leaves)


def test_class_weight_and_pos_weight_are_constants():
    x, y = ember.randn(3, 4), ember.tensor([0, 1, 3])
    w = ember.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="'nll_loss_forward' is not differentiable with "
                                           "respect to argument 'weight'"):
        F.nll_loss(x, y, weight=w)
    with pytest.raises(RuntimeError, match="with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(x, ember.rand(3, 4), pos_weight=w)
    with ember.no_grad():
        F.nll_loss(x, y, weight=w)


def test_bad_arguments_raise_before_any_kernel_runs():
    x = ember.randn(2, 3)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.nll_loss(x, ember.tensor([7, -5]), ignore_index=-5)
    with pytest.raises(IndexError, match="Target -5 is out of bounds."):
        F.nll_loss(x, ember.tensor([0, -5]))
    assert F.nll_loss(x, ember.tensor([0, -5]), ignore_index=-5).item() == -x[0, 0].item()
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Int"):
        F.nll_loss(x, ember.tensor([0, 1], dtype=ember.int32))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.nll_loss(ember.tensor([[0, 1]]), ember.tensor([0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(ember.rand(3), ember.tensor([0.0, 2.0, 1.0]))
    with pytest.raises(RuntimeError, match="Found dtype Long but expected Float"):
        F.binary_cross_entropy(ember.rand(3), ember.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        F.binary_cross_entropy_with_logits(x, ember.rand(2, 3), pos_weight=ember.ones(2))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.mse_loss(ember.tensor([1, 2]), ember.tensor([1, 2]))
    with pytest.raises(ValueError, match="nope is not a valid value for reduction"):
        F.huber_loss(x, x, reduction="nope")


def test_integer_target_promotes_and_empty_mean_is_nan(torch):
    e = F.mse_loss(ember.tensor([1.5, 2.0]), ember.tensor([1, 3]))
    t = torch.nn.functional.mse_loss(torch.tensor([1.5, 2.0]), torch.tensor([1, 3]))
    close(e, t)
    assert e.dtype == ember.float32
    assert F.mse_loss(ember.zeros(0), ember.zeros(0)).isnan().item()
    assert F.nll_loss(ember.zeros(0, 3), ember.zeros(0, dtype=ember.int64)).isnan().item()


def test_top_level_binary_cross_entropy_with_logits(torch):
    x, y = randn(3, 2), RNG.uniform(0, 1, (3, 2))
    for reduction in (0, 1, 2):
        close(ember.binary_cross_entropy_with_logits(ember.tensor(x), ember.tensor(y), None, None,
                                                     reduction),
              torch.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), None, None,
                                                     reduction))
