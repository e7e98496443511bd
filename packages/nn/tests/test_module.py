"""Module API: registration, traversal, state_dict, modes, conversion, hooks, repr, containers."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from nn_parity import close


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(ember.ones(1))
        self.register_buffer("steps", ember.zeros(1))
        self.register_buffer("scratch", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


# --- registration ------------------------------------------------------------------
def test_assigning_parameters_modules_and_buffers_registers_them():
    m = Net()
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc.weight", "fc.bias", "bn.weight",
                                                   "bn.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch", "bn.running_mean",
                                                "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in m.named_children()] == ["fc", "bn"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "bn"]
    assert len(list(m.parameters(recurse=False))) == 1
    assert m.fc is m._modules["fc"] and m.scale is m._parameters["scale"]
    with pytest.raises(TypeError, match=r"cannot assign 'ember.nn.modules.linear.Linear' as "
                                        r"parameter 'scale' \(torch.nn.Parameter or None"):
        m.scale = nn.Linear(1, 1)
    # a plain attribute turns into a registered module when a Module is assigned
    m.plain = 3
    m.plain = nn.Linear(1, 1)
    assert "plain" in m._modules and "plain" not in m.__dict__
    del m.scale
    assert not hasattr(m, "scale")


def test_registration_errors_match_pytorch():
    m = nn.Module()
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' object to parameter 'w'"):
        m.register_parameter("w", ember.ones(1))
    with pytest.raises(KeyError, match=r"parameter name can\W*t contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match=r"buffer name can\W*t be empty string"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match=r"buffer name should be a string. Got int"):
        m.register_buffer(3, None)
    m.x = 1
    with pytest.raises(KeyError, match=r"attribute 'x' already exists"):
        m.register_buffer("x", ember.ones(1))
    with pytest.raises(TypeError, match=r"list is not a Module subclass"):
        m.add_module("y", [])
    m.w = nn.Parameter(ember.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' as parameter 'w'"):
        m.w = ember.ones(1)
    m.register_buffer("b", ember.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'int' as buffer 'b'"):
        m.b = 3
    with pytest.raises(AttributeError, match=r"'Module' object has no attribute 'nope'"):
        m.nope

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_non_leaf_parameter_rejected():
    p = nn.Parameter(ember.ones(2))
    p.grad_fn = (ember.ones(2, requires_grad=True) * 2).grad_fn  # pretend it came from an op
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        nn.Module().register_parameter("w", p)


def test_parameter_is_an_alias_that_requires_grad(torch):
    data = ember.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    p.data[0] = 5.0
    assert data.tolist() == [5.0, 2.0]  # same storage
    assert repr(p).startswith("Parameter containing:\n")
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([5.0, 2.0]))).replace("torch", "ember")
    assert not nn.Parameter(ember.ones(1), requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q.data_ptr() != p.data_ptr()
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.tolist() == [5.0, 2.0]


def test_buffer_marker_registers_a_buffer():
    m = nn.Module()
    m.count = nn.Buffer(ember.zeros(2), persistent=False)
    assert "count" in m._buffers and "count" in m._non_persistent_buffers_set
    assert type(m.count) is ember.Tensor
    assert list(m.state_dict()) == []


def test_get_submodule_parameter_buffer():
    m = nn.Sequential(OrderedDict(block=nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))))
    assert m.get_submodule("block.1") is m.block[1]
    assert m.get_parameter("block.0.bias") is m.block[0].bias
    assert m.get_buffer("block.1.running_var") is m.block[1].running_var
    with pytest.raises(AttributeError, match="Sequential has no attribute `nope`"):
        m.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        m.get_submodule("block.0.weight")


def test_shared_modules_and_parameters_are_yielded_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_modules())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


# --- state dict -----------------------------------------------------------------------------
def test_state_dict_round_trip_and_aliasing():
    a, b = Net(), Net()
    with ember.no_grad():
        a.fc.weight.mul_(3.0)
        a.bn.running_mean.fill_(0.5)
    sd = a.state_dict()
    assert list(sd) == ["scale", "steps", "fc.weight", "fc.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert not sd["fc.weight"].requires_grad
    assert sd["fc.weight"].data_ptr() == a.fc.weight.data_ptr()  # detached alias, no copy
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    close(b.fc.weight, a.fc.weight.detach().numpy())
    close(b.bn.running_mean, np.full(4, 0.5))
    assert b.fc.weight.data_ptr() != a.fc.weight.data_ptr()  # copied in place
    assert sd.__class__ is OrderedDict
    assert list(a.state_dict(keep_vars=True).values())[0] is a.scale


def test_load_state_dict_strict_errors_and_non_strict(torch):
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    del sd["bias"]
    sd["extra"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    assert str(err.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in '
                              'state_dict: "bias". \n\tUnexpected key(s) in state_dict: "extra". ')
    # torch words it the same way
    tm = torch.nn.Linear(2, 3)
    tsd = tm.state_dict()
    del tsd["bias"]
    tsd["extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as terr:
        tm.load_state_dict(tsd)
    assert str(err.value) == str(terr.value)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert "IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])" in repr(result)
    bad = {"weight": ember.zeros(4, 4), "bias": ember.zeros(3)}
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape "
                                           r"ember.Size\(\[4, 4\]\) from checkpoint, the shape in "
                                           r"current model is ember.Size\(\[3, 2\]\)"):
        m.load_state_dict(bad, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1])


def test_load_state_dict_assign_replaces_parameters():
    m = nn.Linear(2, 2)
    new = {"weight": ember.ones(2, 2), "bias": ember.zeros(2)}
    m.load_state_dict(new, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.data_ptr() == new["weight"].data_ptr()


def test_nested_state_dict_keys_and_non_persistent_buffers():
    seq = nn.Sequential(Net(), nn.ReLU())
    assert "0.scratch" not in seq.state_dict()
    assert "0.bn.running_var" in seq.state_dict()
    assert [n for n, _ in seq.named_buffers()][:2] == ["0.steps", "0.scratch"]


# --- modes, grads, conversion ------------------------------------------------------------------
def test_train_eval_recurse():
    m = Net()
    assert m.training and m.bn.training
    assert m.eval() is m
    assert not m.training and not m.bn.training
    m.train()
    assert m.bn.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(2, 2)
    m(ember.ones(1, 2)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    m.zero_grad()
    assert m.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_double_half_float_move_params_in_place():
    m = Net()
    weight = m.fc.weight
    assert m.double() is m
    assert m.fc.weight is weight and weight.dtype is ember.float64
    assert m.bn.running_mean.dtype is ember.float64
    assert m.bn.num_batches_tracked.dtype is ember.int64  # integer buffers keep their dtype
    m.half()
    assert weight.dtype is ember.float16
    m.to(ember.float32)
    assert weight.dtype is ember.float32
    m.to("cpu", dtype=ember.float64)
    assert weight.dtype is ember.float64
    m.to(ember.zeros(1, dtype=ember.float32))
    assert weight.dtype is ember.float32
    m.cpu()
    assert weight.device.type == "cpu"
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(ember.int64)


def test_to_converts_existing_grads():
    m = nn.Linear(2, 1)
    m(ember.ones(1, 2)).sum().backward()
    m.double()
    assert m.weight.grad.dtype is ember.float64


def test_apply_visits_children_first():
    order = []
    nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU())).apply(
        lambda mod: order.append(type(mod).__name__))
    assert order == ["Linear", "ReLU", "Sequential", "Sequential"]


# --- hooks ------------------------------------------------------------------------------
def test_forward_hooks_order_replace_and_remove():
    m = nn.Linear(2, 2)
    calls = []

    def pre(mod, args):
        calls.append("pre")
        return (args[0] * 0,)

    def post(mod, args, out):
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    out = m(ember.ones(3, 2))
    assert calls == ["pre", "first", "post"]
    close(out, (m.bias.detach() + 1).expand(3, 2).numpy())
    h1.remove()
    h2.remove()
    calls.clear()
    out = m(ember.ones(3, 2))
    assert calls == ["first"]


def test_forward_hooks_with_kwargs_and_always_call():
    m = nn.Identity()
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out * 10, with_kwargs=True)
    assert m(1) == 20

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    seen = []
    b = Boom()
    b.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        b(1)
    assert seen == [None]


# --- repr ---------------------------------------------------------------------------------
def _torch_repr(m):
    return repr(m).replace("torch.", "ember.")


def test_nested_repr_matches_pytorch(torch):
    tn = torch.nn
    t = tn.Sequential(tn.Conv2d(1, 6, 5), tn.ReLU(), tn.MaxPool2d(2),
                      tn.Sequential(OrderedDict(fc=tn.Linear(4, 2), act=tn.Tanh())),
                      tn.ModuleList([tn.ReLU(), tn.ReLU(), tn.Linear(1, 1)]),
                      tn.ModuleDict({"a": tn.Identity()}))
    e = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Sequential(OrderedDict(fc=nn.Linear(4, 2), act=nn.Tanh())),
                      nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1)]),
                      nn.ModuleDict({"a": nn.Identity()}))
    assert repr(e) == _torch_repr(t)
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_parameter_container_repr_matches_pytorch(torch):
    e = nn.ParameterList([nn.Parameter(ember.ones(2, 3)), ember.zeros(4)])
    t = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3)), torch.zeros(4)])
    assert repr(e) == _torch_repr(t)
    e = nn.ParameterDict({"b": ember.ones(1), "a": ember.ones(2, dtype=ember.float64)})
    t = torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(2, dtype=torch.float64)})
    assert repr(e) == _torch_repr(t)
    assert list(e.keys()) == list(t.keys())


LAYER_REPRS = [
    "Identity()", "Linear(3, 4)", "Linear(3, 4, bias=False)", "Bilinear(2, 3, 4)", "Flatten()",
    "Unflatten(1, (2, 3))", "Conv1d(2, 4, 3)",
    "Conv2d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)",
    "Conv2d(2, 4, (3, 5), padding='same')", "Conv2d(2, 4, 3, padding_mode='reflect')",
    "ConvTranspose1d(2, 4, 3)", "ConvTranspose2d(2, 4, 3, stride=2, output_padding=1)",
    "MaxPool1d(2)", "MaxPool2d(2, 1, 1, ceil_mode=True, return_indices=True)",
    "MaxPool2d((2, 3))", "AvgPool1d(2)", "AvgPool2d(2)", "AvgPool2d(3, 2, 1, True, False, 2)",
    "AdaptiveAvgPool1d(2)", "AdaptiveAvgPool2d((2, None))", "AdaptiveMaxPool2d(3)",
    "BatchNorm1d(3)", "BatchNorm2d(3, momentum=None, affine=False, track_running_stats=False)",
    "LayerNorm(4)", "LayerNorm((2, 3), elementwise_affine=False, bias=False)", "GroupNorm(2, 4)",
    "InstanceNorm2d(3)", "InstanceNorm1d(3, affine=True)", "Dropout()", "Dropout2d(0.3)",
    "Embedding(5, 3)", "Embedding(5, 3, padding_idx=0, max_norm=1.0)", "RNN(3, 4)",
    "RNN(3, 4, 2, nonlinearity='relu', bias=False, batch_first=True, dropout=0.5, "
    "bidirectional=True)", "LSTM(3, 4)", "LSTM(3, 4, proj_size=2)", "GRU(3, 4, 2)",
    "RNNCell(3, 4)", "RNNCell(3, 4, nonlinearity='relu')", "LSTMCell(3, 4)",
    "GRUCell(3, 4, bias=False)", "MultiheadAttention(8, 2)", "ZeroPad2d(1)",
    "ZeroPad2d((1, 2, 3, 4))", "ConstantPad1d(2, 3.5)", "ConstantPad2d(1, 0.)",
    "ReflectionPad1d(2)", "ReflectionPad2d(1)", "ReplicationPad1d(1)",
    "ReplicationPad2d((1, 0, 1, 0))", "ReLU()", "ReLU(True)", "ReLU6()", "LeakyReLU()",
    "LeakyReLU(0.2, True)", "PReLU()", "PReLU(3, 0.1)", "ELU()", "SELU()", "CELU()", "GELU()",
    "GELU('tanh')", "SiLU()", "Mish()", "Sigmoid()", "Tanh()", "Softmax(1)", "Softmax()",
    "LogSoftmax(1)", "Softmin(0)", "Softplus()", "Softplus(2, 10)", "Softsign()", "Hardtanh()",
    "Hardtanh(-2, 2)", "Hardswish()", "Hardsigmoid()", "LogSigmoid()", "Threshold(0.1, 20)",
    "Tanhshrink()", "Softshrink()", "Hardshrink()", "GLU()", "L1Loss()", "MSELoss()",
    "CrossEntropyLoss()", "CTCLoss()", "NLLLoss()", "PoissonNLLLoss()", "GaussianNLLLoss()",
    "KLDivLoss()", "BCELoss()", "BCEWithLogitsLoss()", "MarginRankingLoss()",
    "HingeEmbeddingLoss()", "MultiLabelMarginLoss()", "HuberLoss()", "SmoothL1Loss()",
    "SoftMarginLoss()", "MultiLabelSoftMarginLoss()", "CosineEmbeddingLoss()",
    "MultiMarginLoss()", "TripletMarginLoss()", "TripletMarginWithDistanceLoss()",
    "TransformerEncoderLayer(8, 2, 16)", "TransformerDecoderLayer(8, 2, 16, norm_first=True)",
    "TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)", "Upsample(scale_factor=2)",
    "PixelShuffle(2)", "Fold((4, 4), 2)", "Unfold(2)", "CosineSimilarity()", "PairwiseDistance()",
]


@pytest.mark.parametrize("expr", LAYER_REPRS)
def test_layer_repr_matches_pytorch(expr, torch):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = eval("nn." + expr, {"nn": torch.nn})
        e = eval("nn." + expr, {"nn": nn})
    assert repr(e) == _torch_repr(t)


# --- containers ------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(a, b, c)
    assert seq[0] is a and seq[-1] is c and len(seq) == 3
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the names, as PyTorch
    seq[1] = nn.Identity()
    assert isinstance(seq[1], nn.Identity)
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[1] is c
    seq.append(a)
    assert seq[2] is a
    seq.insert(0, b)
    assert seq[0] is b and len(seq) == 4
    assert seq.pop(0) is b
    with pytest.raises(IndexError, match="index 10 is out of range"):
        seq[10]
    named = nn.Sequential(OrderedDict(first=a, second=b))
    assert named.first is a and list(named._modules) == ["first", "second"]
    x = ember.tensor([-1.0, 2.0])
    close(nn.Sequential(nn.ReLU(), nn.Tanh())(x), np.tanh([0.0, 2.0]))


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    assert isinstance(layers[0], nn.Sigmoid) and isinstance(layers[-1], nn.Tanh)
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(nn.ReLU())
    d = nn.ModuleDict({"a": nn.ReLU()})
    d["b"] = nn.Tanh()
    d.update([("c", nn.Identity())])
    assert list(d.keys()) == ["a", "b", "c"] and "b" in d and len(d) == 3
    assert isinstance(d.pop("a"), nn.ReLU) and list(d) == ["b", "c"]


def test_parameter_list_and_dict_register_parameters():
    pl = nn.ParameterList([ember.ones(2)])
    pl.append(nn.Parameter(ember.zeros(1)))
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"w": ember.ones(2)})
    assert isinstance(pd["w"], nn.Parameter) and "w" in pd
    assert [n for n, _ in pd.named_parameters()] == ["w"]
    m = nn.Module()
    m.plist = pl
    assert [n for n, _ in m.named_parameters()] == ["plist.0", "plist.1"]


def test_deepcopy_module_copies_parameters():
    m = Net()
    c = copy.deepcopy(m)
    assert c.fc.weight is not m.fc.weight
    assert isinstance(c.fc.weight, nn.Parameter)
    close(c.fc.weight, m.fc.weight.detach().numpy())
    assert c.fc.weight.data_ptr() != m.fc.weight.data_ptr()


def test_module_without_forward_raises():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                                                  r'"forward" function'):
        nn.Module()(1)
