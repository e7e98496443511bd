"""Convolution and pooling as core ops: parity with torch (values, gradients, indices,
second derivatives) over stride/padding/dilation/groups/ceil_mode variants, gradcheck
in float64, one autograd node per call, and argument errors before any kernel runs."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._ops import conv as core
from ember.autograd import gradcheck, gradgradcheck
from nn_parity import RNG, backward_both, close, grads_close, pair, randn


def both(torch, name, arrays, *args, tol=1e-6, **kwargs):
    """Run F.name on ember and torch; compare values, input gradients and indices."""
    pairs = [pair(a, torch) for a in arrays]
    e = getattr(F, name)(*[p[0] for p in pairs], *args, **kwargs)
    t = getattr(torch.nn.functional, name)(*[p[1] for p in pairs], *args, **kwargs)
    if isinstance(t, tuple):
        assert np.array_equal(e[1].numpy(), t[1].numpy())  # max-pool indices
        e, t = e[0], t[0]
    close(e, t, tol)
    backward_both(e, t, torch)
    grads_close([p[0] for p in pairs], [p[1] for p in pairs], tol)
    return e


CONV_CASES = [
    {}, {"stride": 2}, {"padding": 2}, {"dilation": 2}, {"stride": (2, 1), "padding": (1, 0),
                                                         "dilation": (1, 2)},
    {"groups": 2}, {"groups": 4, "stride": 2, "padding": 1}, {"padding": "same", "dilation": 3},
]


@pytest.mark.parametrize("kwargs", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_parity(kwargs, bias, torch):
    groups = kwargs.get("groups", 1)
    b = [randn(8)] if bias else []
    two = {k: v for k, v in kwargs.items()}
    one = {k: v[0] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    both(torch, "conv1d", [randn(2, 4, 11), randn(8, 4 // groups, 3)] + b, **one)
    both(torch, "conv2d", [randn(2, 4, 9, 8), randn(8, 4 // groups, 3, 2)] + b, **two)
    both(torch, "conv3d", [randn(1, 4, 5, 6, 5), randn(8, 4 // groups, 2, 3, 2)] + b, **one)


@pytest.mark.parametrize("kwargs", [{}, {"stride": 2}, {"stride": 2, "padding": 1,
                                                         "output_padding": 1},
                                    {"dilation": 2, "padding": 1}, {"groups": 2, "stride": 3},
                                    {"stride": (2, 1), "output_padding": (1, 0)}])
def test_conv_transpose_parity(kwargs, torch):
    groups = kwargs.get("groups", 1)
    one = {k: v[0] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    both(torch, "conv_transpose1d", [randn(2, 4, 6), randn(4, 3, 3), randn(3 * groups)], **one)
    both(torch, "conv_transpose2d", [randn(2, 4, 5, 4), randn(4, 3, 3, 2)], **kwargs)
    both(torch, "conv_transpose3d", [randn(1, 4, 3, 4, 3), randn(4, 2, 2, 3, 2)], **one)


def test_conv_float32_unbatched_and_noncontiguous(torch):
    x = randn(2, 3, 10, 9).astype(np.float32)
    w = randn(5, 3, 3, 3).astype(np.float32)
    e = both(torch, "conv2d", [x, w, randn(5).astype(np.float32)], padding=1, tol=1e-4)
    assert e.dtype is ember.float32
    both(torch, "conv2d", [x[0], w], stride=2, tol=1e-4)
    xt = ember.tensor(x).transpose(2, 3)  # strided input
    expected = torch.nn.functional.conv2d(torch.tensor(x).transpose(2, 3), torch.tensor(w))
    close(F.conv2d(xt, ember.tensor(w)), expected, 1e-4)


POOL_CASES = [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": (1, 2), "ceil_mode": True},
]


@pytest.mark.parametrize("kwargs", POOL_CASES)
def test_max_pool_parity(kwargs, torch):
    one = {k: v[0] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    for dtype in (np.float64, np.float32):
        both(torch, "max_pool1d", [randn(2, 3, 11, dtype=dtype)], return_indices=True, **one)
        both(torch, "max_pool2d", [randn(2, 3, 9, 8, dtype=dtype)], return_indices=True, **kwargs)
        both(torch, "max_pool2d", [randn(2, 3, 9, 8, dtype=dtype)], dilation=2, **kwargs)
        both(torch, "max_pool3d", [randn(1, 2, 5, 6, 7, dtype=dtype)], return_indices=True, **one)


def test_max_pool_ties_nan_and_unbatched(torch):
    x = np.zeros((1, 2, 4, 4))                  # every window a tie: the first position wins
    x[0, 1, 1, 2] = np.nan                      # NaN wins its window
    x[0, 1, 2, 2] = x[0, 1, 3, 3] = -np.inf
    both(torch, "max_pool2d", [x], 2, return_indices=True)
    both(torch, "max_pool2d", [x], 3, 1, 1, return_indices=True)
    both(torch, "max_pool2d", [x[0]], 2, return_indices=True)
    both(torch, "max_pool1d", [randn(3, 10)], 3, return_indices=True)


@pytest.mark.parametrize("kwargs", POOL_CASES + [
    {"kernel_size": 3, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 3, "padding": 1, "divisor_override": 2}])
def test_avg_pool_parity(kwargs, torch):
    three = {k: v[0] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    one = {k: v for k, v in three.items() if k != "divisor_override"}
    for dtype in (np.float64, np.float32):
        tol = 1e-6 if dtype == np.float64 else 1e-5
        both(torch, "avg_pool1d", [randn(2, 3, 11, dtype=dtype)], tol=tol, **one)
        both(torch, "avg_pool2d", [randn(2, 3, 9, 8, dtype=dtype)], tol=tol, **kwargs)
        both(torch, "avg_pool3d", [randn(1, 2, 5, 6, 7, dtype=dtype)], tol=tol, **three)
    both(torch, "avg_pool2d", [randn(3, 9, 8)], **kwargs)


def test_unfold_fold_variants(torch):
    x = randn(2, 3, 7, 8)
    for kwargs in ({}, {"stride": 2}, {"padding": 2, "dilation": 2}, {"stride": (2, 3)}):
        both(torch, "unfold", [x], (3, 2), **kwargs)
    cols = randn(2, 12, 20)
    both(torch, "fold", [cols], (9, 10), 2, stride=2, padding=(0, 0))
    both(torch, "fold", [randn(2, 12, 25)], (8, 8), 2, stride=2, padding=1)
    both(torch, "fold", [randn(12, 9)], (8, 8), 2, stride=(2, 3), dilation=(3, 1))


def test_one_node_per_call_named_as_torch():
    x = ember.randn(2, 3, 8, 8, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, ember.zeros(4, requires_grad=True), padding=1)
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    assert len(y.grad_fn.next_functions) == 3
    assert type(F.conv_transpose2d(x, w.transpose(0, 1)).grad_fn).__name__ == \
        "ConvolutionBackward0"
    assert type(F.max_pool2d(x, 2).grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
    assert type(F.max_pool3d(x.unsqueeze(2), 1).grad_fn).__name__ == \
        "MaxPool3DWithIndicesBackward0"
    assert type(F.avg_pool2d(x, 2).grad_fn).__name__ == "AvgPool2DBackward0"
    assert type(F.unfold(x, 2).grad_fn).__name__ == "Im2ColBackward0"
    assert type(F.fold(F.unfold(x, 2), (8, 8), 2).grad_fn).__name__ == "Col2ImBackward0"
    (gx,) = ember.autograd.grad(F.max_pool2d(x, 2).sum(), x, create_graph=True)
    assert type(gx.grad_fn).__name__ == "MaxPool2DWithIndicesBackwardBackward0"
    (gx,) = ember.autograd.grad((F.avg_pool2d(x, 2) ** 2).sum(), x, create_graph=True)
    assert type(gx.grad_fn).__name__ == "AvgPool2DBackwardBackward0"


def _leaves(*shapes):
    return [ember.tensor(RNG.standard_normal(s), requires_grad=True) for s in shapes]


@pytest.mark.parametrize("transposed", [False, True])
def test_convolution_gradcheck(transposed):
    if transposed:
        x, w, b = _leaves((2, 4, 4, 3), (4, 3, 2, 2), (6,))
        f = lambda x, w, b: core.convolution(x, w, b, 2, 1, (1, 2), True, 1, 2)  # noqa: E731
    else:
        x, w, b = _leaves((2, 4, 6, 5), (6, 2, 3, 2), (6,))
        f = lambda x, w, b: core.convolution(x, w, b, (2, 1), 1, (1, 2), False, 0, 2)  # noqa: E731
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


def test_window_ops_gradcheck():
    (x,) = _leaves((2, 3, 6, 5))
    geometry = ((3, 2), (2, 1), (1, 0), (1, 2), (3, 3))
    assert gradcheck(lambda x: core.im2col(x, *geometry), (x,))
    (cols,) = _leaves((2, 18, 9))
    assert gradcheck(lambda c: core.col2im(c, (6, 5), *geometry), (cols,))
    for f in (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
              lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
              lambda x: F.avg_pool1d(x[0], 2, 1, 1),
              lambda x: F.max_pool1d(x[0], 2, dilation=2)):
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


def test_conv_double_backward_matches_torch(torch):
    (ex, tx), (ew, tw) = pair(randn(2, 3, 7, 6), torch), pair(randn(4, 3, 3, 2), torch)
    results = []
    for lib, fn, x, w in ((ember, F.conv2d, ex, ew),
                          (torch, torch.nn.functional.conv2d, tx, tw)):
        y = fn(x, w, stride=2, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        results.append(lib.autograd.grad((gx * gx).sum() + (gw ** 3).sum(), (x, w)))
    for e, t in zip(*results):
        close(e, t, 1e-6)


def test_errors_come_before_kernels():
    x = ember.ones(1, 3, 5, 5)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(x, ember.ones(4, 3, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(x, ember.ones(4, 3, 6, 6))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.conv2d(x, ember.ones(4, 3, 3, 3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\)"):
        F.conv2d(x, ember.ones(4, 3, 3, 3), ember.ones(4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 4 elements"):
        F.conv2d(x, ember.ones(4, 3, 3, 3), ember.ones(3))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(x, ember.ones(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(x, 6)
    with pytest.raises(RuntimeError, match="kernel_size should be greater than zero"):
        F.max_pool1d(ember.ones(1, 2, 5), 0)
    with pytest.raises(RuntimeError, match="col2im: expected columns"):
        core.col2im(ember.ones(1, 5, 4), (3, 3), (2, 2), (1, 1), (0, 0), (1, 1), (2, 2))
    with pytest.raises(RuntimeError, match="max_pool_backward: expected int64 indices"):
        core.max_pool_backward(ember.ones(1, 1, 2), ember.tensor([[[0, 9]]]), (4,))


def test_large_inputs_split_planes_across_threads(torch):
    saved = ember.get_num_threads()
    ember.set_num_threads(2)  # planes split over threads above the kernels' threshold
    try:
        x = randn(8, 16, 32, 32).astype(np.float32)
        both(torch, "conv2d", [x, randn(4, 16, 3, 3).astype(np.float32)], padding=1, tol=1e-3)
        both(torch, "max_pool2d", [x], 3, 2, 1, return_indices=True)
        both(torch, "avg_pool2d", [x], 3, 2, 1, tol=1e-5)
    finally:
        ember.set_num_threads(saved)
