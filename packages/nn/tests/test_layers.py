"""Layers against PyTorch 2.13: same weights, same inputs -> same outputs and gradients
(inputs and parameters)."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from nn_parity import check_module, close, copy_weights, pair, randn


def both(torch, expr, **names):
    """Build the same layer from ember.nn and torch.nn."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = eval(expr, {"nn": nn, **names})
        t = eval(expr, {"nn": torch.nn, **names})
    return e.double(), t.double()


LAYERS = [
    ("nn.Identity()", (3, 4)),
    ("nn.Linear(5, 4)", (3, 5)),
    ("nn.Linear(5, 4)", (2, 3, 5)),
    ("nn.Linear(5, 4)", (5,)),
    ("nn.Linear(5, 4, bias=False)", (3, 5)),
    ("nn.Linear(5, 4)", (0, 5)),
    ("nn.Flatten()", (2, 3, 4)),
    ("nn.Flatten(0, 1)", (2, 3, 4)),
    ("nn.Unflatten(1, (2, 3))", (4, 6)),
    ("nn.Conv1d(3, 4, 3)", (2, 3, 9)),
    ("nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)", (2, 4, 11)),
    ("nn.Conv1d(3, 4, 4, padding='same')", (2, 3, 9)),
    ("nn.Conv1d(3, 4, 3, padding='valid', bias=False)", (3, 9)),
    ("nn.Conv1d(3, 4, 3, padding=2, padding_mode='reflect')", (2, 3, 9)),
    ("nn.Conv2d(3, 4, 3)", (2, 3, 8, 7)),
    ("nn.Conv2d(1, 6, 5)", (4, 1, 28, 28)),
    ("nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)",
     (2, 4, 9, 8)),
    ("nn.Conv2d(3, 4, 3, padding='same', dilation=2)", (2, 3, 7, 6)),
    ("nn.Conv2d(3, 4, 3, padding=1, padding_mode='replicate')", (2, 3, 5, 6)),
    ("nn.Conv2d(3, 4, 3, padding=1, padding_mode='circular')", (2, 3, 5, 6)),
    ("nn.Conv2d(3, 6, 3, groups=3, bias=False)", (3, 5, 6)),
    ("nn.ConvTranspose1d(3, 4, 3)", (2, 3, 5)),
    ("nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)", (2, 4, 5)),
    ("nn.ConvTranspose2d(3, 4, 3)", (2, 3, 5, 4)),
    ("nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 3), padding=(1, 2), output_padding=(1, 0), "
     "dilation=(2, 1), groups=2, bias=False)", (2, 4, 5, 4)),
    ("nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1)", (3, 5, 4)),
    ("nn.MaxPool1d(3, 2, 1)", (2, 3, 9)),
    ("nn.MaxPool1d(2, ceil_mode=True)", (2, 3, 9)),
    ("nn.MaxPool2d(2)", (2, 3, 8, 6)),
    ("nn.MaxPool2d(3, 2, 1, dilation=1, ceil_mode=True)", (2, 3, 8, 7)),
    ("nn.MaxPool2d((3, 2), (2, 1), (1, 0), dilation=(2, 1))", (2, 3, 9, 7)),
    ("nn.MaxPool2d(2)", (3, 6, 4)),
    ("nn.AvgPool1d(3, 2, 1)", (2, 3, 9)),
    ("nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False)", (2, 3, 8)),
    ("nn.AvgPool2d(2)", (2, 3, 8, 6)),
    ("nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)", (2, 3, 8, 7)),
    ("nn.AvgPool2d(3, 2, 1, ceil_mode=True)", (2, 3, 8, 7)),
    ("nn.AvgPool2d(3, 1, 1, divisor_override=2)", (2, 3, 5, 4)),
    ("nn.AdaptiveAvgPool1d(3)", (2, 3, 8)),
    ("nn.AdaptiveAvgPool2d((3, 4))", (2, 3, 8, 7)),
    ("nn.AdaptiveAvgPool2d((None, 2))", (2, 3, 5, 7)),
    ("nn.AdaptiveAvgPool2d(1)", (3, 5, 7)),
    ("nn.AdaptiveMaxPool1d(3)", (2, 3, 8)),
    ("nn.AdaptiveMaxPool2d((3, 4))", (2, 3, 8, 7)),
    ("nn.AdaptiveMaxPool2d(2)", (3, 5, 5)),
    ("nn.LayerNorm(5)", (2, 3, 5)),
    ("nn.LayerNorm((3, 5), elementwise_affine=False)", (2, 3, 5)),
    ("nn.LayerNorm(5, bias=False, eps=1e-3)", (4, 5)),
    ("nn.GroupNorm(2, 4)", (3, 4, 5)),
    ("nn.GroupNorm(3, 6, affine=False)", (2, 6, 3, 2)),
    ("nn.InstanceNorm1d(3)", (2, 3, 6)),
    ("nn.InstanceNorm2d(3, affine=True)", (2, 3, 4, 5)),
    ("nn.InstanceNorm2d(3, affine=True)", (3, 4, 5)),
    ("nn.Dropout(0.3)", (4, 5)),
    ("nn.Dropout2d(0.3)", (2, 3, 4, 4)),
    ("nn.ZeroPad2d((1, 2, 0, 3))", (2, 3, 4, 4)),
    ("nn.ConstantPad1d((2, 1), 3.5)", (2, 3, 4)),
    ("nn.ConstantPad2d(1, -1.0)", (2, 3, 4)),
    ("nn.ReflectionPad1d((2, 3))", (2, 3, 5)),
    ("nn.ReflectionPad2d((1, 2, 3, 0))", (2, 3, 4, 5)),
    ("nn.ReplicationPad1d((2, 3))", (2, 3, 5)),
    ("nn.ReplicationPad2d(2)", (2, 3, 4, 5)),
    ("nn.CircularPad1d(2)", (2, 3, 5)),
    ("nn.Upsample(scale_factor=2)", (2, 3, 4, 5)),
    ("nn.Upsample(size=(7, 3), mode='bilinear')", (2, 3, 4, 5)),
    ("nn.Upsample(scale_factor=1.5, mode='bilinear', align_corners=True)", (2, 3, 4, 5)),
    ("nn.Upsample(size=9, mode='linear')", (2, 3, 4)),
    ("nn.PixelShuffle(2)", (2, 8, 3, 3)),
    ("nn.PixelUnshuffle(2)", (2, 2, 4, 6)),
    ("nn.Fold((5, 6), 2, padding=1, stride=2)", (2, 12, 12)),
    ("nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))", (2, 3, 5, 6)),
]


@pytest.mark.parametrize("expr,shape", LAYERS)
def test_layer_matches_pytorch(expr, shape, torch):
    e, t = both(torch, expr)
    if "Dropout" in expr:  # compared in eval mode; training is random (tested below)
        e.eval(), t.eval()
    check_module(e, t, torch, randn(*shape))


ACTIVATIONS = [
    "ReLU()", "ReLU6()", "LeakyReLU(0.2)", "PReLU()", "PReLU(4, 0.1)", "ELU(0.7)", "SELU()",
    "CELU(1.3)", "GELU()", "GELU('tanh')", "SiLU()", "Mish()", "Sigmoid()", "Tanh()",
    "Softmax(1)", "Softmax(-1)", "LogSoftmax(1)", "Softmin(2)", "Softplus()",
    "Softplus(2, 1)", "Softsign()", "Hardtanh()", "Hardtanh(-0.5, 2)", "Hardswish()",
    "Hardsigmoid()", "LogSigmoid()", "Threshold(0.1, 20)", "Tanhshrink()", "Softshrink(0.3)",
    "Hardshrink(0.7)", "GLU(1)", "Softmax2d()",
]


@pytest.mark.parametrize("expr", ACTIVATIONS)
def test_activation_module_matches_pytorch(expr, torch):
    e, t = both(torch, "nn." + expr)
    x = randn(3, 4, 5) * 3
    check_module(e, t, torch, x)


@pytest.mark.parametrize("expr", ["ReLU(inplace=True)", "LeakyReLU(0.1, inplace=True)",
                                  "ELU(inplace=True)", "Hardtanh(inplace=True)",
                                  "Threshold(0.5, 1.0, inplace=True)", "SiLU(inplace=True)"])
def test_inplace_activations_write_their_input(expr, torch):
    e, t = both(torch, "nn." + expr)
    x = randn(4, 5)
    ex, tx = ember.tensor(x), torch.tensor(x)
    assert e(ex) is ex
    t(tx)
    close(ex, tx)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_and_conv_keep_dtype(dtype, torch):
    e, t = both(torch, "nn.Conv2d(2, 3, 3, padding=1)")
    e.to(getattr(ember, dtype)), t.to(getattr(torch, dtype))
    out, _ = check_module(e, t, torch, randn(2, 2, 5, 5).astype(dtype), tol=1e-4)
    assert out.dtype is getattr(ember, dtype)
    lin = nn.Linear(3, 2).to(getattr(ember, dtype))
    assert lin(ember.ones(1, 3, dtype=getattr(ember, dtype))).dtype is getattr(ember, dtype)


def test_bilinear_matches_pytorch(torch):
    e, t = both(torch, "nn.Bilinear(5, 2, 4)")
    check_module(e, t, torch, randn(3, 5), randn(3, 2))
    e, t = both(torch, "nn.Bilinear(5, 2, 4, bias=False)")
    check_module(e, t, torch, randn(2, 3, 5), randn(2, 3, 2))


def test_conv_transpose_output_size(torch):
    e, t = both(torch, "nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)")
    copy_weights(e, t)
    x = randn(1, 2, 4, 4)
    out_e = e(ember.tensor(x), output_size=[8, 8])
    out_t = t(torch.tensor(x), output_size=[8, 8])
    close(out_e, out_t)
    with pytest.raises(ValueError, match="requested an output size of"):
        e(ember.tensor(x), output_size=[20, 20])


def test_conv_errors_match_pytorch():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(4, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match=r"expected input\[1, 2, 5, 5\] to have 3 channels, "
                                           r"but got 2 channels instead"):
        conv(ember.ones(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        conv(ember.ones(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           r"to conv2d, but got input of size: \[3, 5\]"):
        conv(ember.ones(3, 5))


def test_maxpool_return_indices_match_pytorch(torch):
    x = randn(2, 3, 9, 8)
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1,
                                        "ceil_mode": True},
                   {"kernel_size": (2, 3), "dilation": 2}):
        e = nn.MaxPool2d(return_indices=True, **kwargs)
        t = torch.nn.MaxPool2d(return_indices=True, **kwargs)
        (ev, ei), (tv, ti) = e(ember.tensor(x)), t(torch.tensor(x))
        close(ev, tv)
        assert ei.dtype is ember.int64
        assert ei.tolist() == ti.tolist()
    ev, ei = nn.MaxPool1d(3, 2, 1, return_indices=True)(ember.tensor(x[0]))
    tv, ti = torch.nn.MaxPool1d(3, 2, 1, return_indices=True)(torch.tensor(x[0]))
    assert ei.tolist() == ti.tolist()
    ev, ei = nn.AdaptiveMaxPool2d((3, 4), return_indices=True)(ember.tensor(x))
    tv, ti = torch.nn.AdaptiveMaxPool2d((3, 4), return_indices=True)(torch.tensor(x))
    close(ev, tv)
    assert ei.tolist() == ti.tolist()


def test_maxpool_ties_and_nan_follow_pytorch(torch):
    # ties (e.g. all-zero windows after a ReLU) send the gradient to the first maximum
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 3, 3] = -1.0
    ex, tx = pair(x, torch)
    eo, ei = nn.MaxPool2d(2, return_indices=True)(ex)
    to, ti = torch.nn.MaxPool2d(2, return_indices=True)(tx)
    close(eo, to)
    assert ei.tolist() == ti.tolist()
    eo.sum().backward(), to.sum().backward()
    close(ex.grad, tx.grad)


def test_pool_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        nn.MaxPool2d(3, padding=2)(ember.ones(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match="Output size is too small"):
        nn.MaxPool2d(3)(ember.ones(1, 1, 2, 2))


# --- normalisation with running statistics ---------------------------------------------------
@pytest.mark.parametrize("expr,shape", [
    ("nn.BatchNorm1d(4)", (6, 4)),
    ("nn.BatchNorm1d(4, momentum=0.3)", (3, 4, 5)),
    ("nn.BatchNorm2d(3)", (2, 3, 4, 5)),
    ("nn.BatchNorm2d(3, momentum=None)", (2, 3, 4, 5)),
    ("nn.BatchNorm2d(3, affine=False)", (2, 3, 4, 5)),
    ("nn.BatchNorm2d(3, track_running_stats=False)", (2, 3, 4, 5)),
    ("nn.InstanceNorm2d(3, track_running_stats=True)", (2, 3, 4, 5)),
])
def test_batchnorm_training_eval_and_running_stats(expr, shape, torch):
    e, t = both(torch, expr)
    for step in range(3):  # training steps update the running statistics
        check_module(e, t, torch, randn(*shape) * 2 + 1)
        for (name, eb), tb in zip(e.named_buffers(), t.buffers()):
            close(eb, tb)
    e.eval(), t.eval()
    check_module(e, t, torch, randn(*shape))
    if e.track_running_stats:  # BatchNorm counts its training steps, InstanceNorm does not
        assert int(e.num_batches_tracked.item()) == int(t.num_batches_tracked.item())
        assert int(e.num_batches_tracked.item()) == (3 if "Batch" in expr else 0)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ember.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(ember.ones(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(ember.ones(1, 3))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)


# --- dropout ------------------------------------------------------------------------------------
def test_dropout_training_zeroes_and_rescales():
    ember.manual_seed(0)
    x = ember.ones(200, 50)
    out = nn.Dropout(0.3)(x)
    values = np.unique(out.numpy())
    assert len(values) == 2 and values[0] == 0.0
    assert abs(values[1] - 1 / 0.7) < 1e-6
    kept = float((out != 0).float().mean())
    assert 0.65 < kept < 0.75
    out2 = nn.Dropout2d(0.5)(ember.ones(10, 40, 3, 3))
    per_channel = out2.numpy().reshape(10, 40, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # whole channels dropped
    assert nn.Dropout(0.0)(x) is x
    close(nn.Dropout(1.0)(x), np.zeros((200, 50)))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got "
                                         "1.5"):
        nn.Dropout(1.5)


def test_dropout_gradient_uses_the_same_mask():
    ember.manual_seed(1)
    x = ember.ones(50, requires_grad=True)
    out = nn.Dropout(0.5)(x)
    out.sum().backward()
    close(x.grad, out.detach().numpy())


# --- embedding ---------------------------------------------------------------------------------
def test_embedding_matches_pytorch_with_padding_idx(torch):
    e, t = both(torch, "nn.Embedding(6, 3, padding_idx=2)")
    copy_weights(e, t)
    idx = np.array([[0, 2, 5], [2, 1, 1]])
    eo, to = e(ember.tensor(idx)), t(torch.tensor(idx))
    close(eo, to)
    g = randn(2, 3, 3)
    eo.backward(ember.tensor(g)), to.backward(torch.tensor(g))
    close(e.weight.grad, t.weight.grad)
    assert e.weight.grad[2].tolist() == [0.0, 0.0, 0.0]


def test_embedding_init_and_max_norm(torch):
    e = nn.Embedding(10, 4, padding_idx=-1)
    assert e.padding_idx == 9 and e.weight[9].tolist() == [0.0] * 4
    t = torch.nn.Embedding(5, 3, max_norm=1.0).double()
    e = nn.Embedding(5, 3, max_norm=1.0).double()
    with torch.no_grad():
        t.weight.mul_(3)
    copy_weights(e, t)
    idx = np.array([0, 3, 3])
    close(e(ember.tensor(idx)), t(torch.tensor(idx)), 1e-6)
    close(e.weight, t.weight, 1e-6)  # referenced rows renormalised in place


def test_embedding_from_pretrained_and_errors():
    w = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and e(ember.tensor([1])).tolist() == [[3.0, 4.0]]
    with pytest.raises(IndexError, match="index out of range in self"):
        e(ember.tensor([2]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_default_initialisation_bounds():
    lin = nn.Linear(16, 8)
    assert float(lin.weight.abs().amax()) <= 0.25 and float(lin.bias.abs().amax()) <= 0.25
    conv = nn.Conv2d(2, 4, 3)  # fan_in = 18
    assert float(conv.weight.abs().amax()) <= 1 / 18 ** 0.5
    assert float(conv.bias.abs().amax()) <= 1 / 18 ** 0.5
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.num_batches_tracked.dtype is ember.int64
    assert nn.PReLU().weight.tolist() == [0.25]
    emb = nn.Embedding(1000, 10)
    assert abs(float(emb.weight.std()) - 1.0) < 0.05


def test_zero_size_batches(torch):
    e, t = both(torch, "nn.Conv2d(2, 3, 3)")
    copy_weights(e, t)
    x = np.zeros((0, 2, 5, 5))
    assert e(ember.tensor(x)).shape == (0, 3, 3, 3)
    assert nn.MaxPool2d(2)(ember.zeros(0, 2, 4, 4)).shape == (0, 2, 2, 2)
    assert nn.LayerNorm(4)(ember.zeros(0, 4)).shape == (0, 4)


def test_non_contiguous_inputs(torch):
    e, t = both(torch, "nn.Conv2d(3, 2, 3, padding=1)")
    copy_weights(e, t)
    x = randn(2, 5, 6, 3)
    ex, tx = pair(x, torch)
    eo = e(ex.permute(0, 3, 1, 2))
    to = t(tx.permute(0, 3, 1, 2))
    close(eo, to)
    eo.sum().backward(), to.sum().backward()
    close(ex.grad, tx.grad)
    e2, t2 = both(torch, "nn.Linear(4, 3)")
    copy_weights(e2, t2)
    y = randn(4, 5)
    close(e2(ember.tensor(y).t()), t2(torch.tensor(y).t()))
