"""Tensor printing: character-for-character parity with PyTorch 2.13's repr.

Every parity case builds the same values in ember and torch and compares
``repr(ember_tensor)`` with ``repr(torch_tensor).replace('torch.', 'ember.')``.
"""
import math

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(1234)
FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.fixture(autouse=True)
def _restore_options(torch_if_any):
    """Every test starts (and leaves) both libraries with the default print options."""
    ember.set_printoptions(profile="default")
    if torch_if_any is not None:
        torch_if_any.set_printoptions(profile="default")
    yield
    ember.set_printoptions(profile="default")
    ember.set_default_dtype(ember.float32)
    if torch_if_any is not None:
        torch_if_any.set_printoptions(profile="default")
        torch_if_any.set_default_dtype(torch_if_any.float32)


@pytest.fixture
def torch_if_any():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _pair(torch, values, dtype):
    """The same values as an ember and a torch tensor of dtype `dtype` (a name).

    Floats are rounded by torch first and ember gets the exact results, so the test
    compares printing alone (torch rounds float64 -> float16 through float32).
    """
    array = np.asarray(values, dtype=np.float64 if dtype in FLOATS else None)
    if dtype == "bool":
        array = array.astype(bool)
    data = array.tolist() if array.ndim else array.item()
    t = torch.tensor(data, dtype=getattr(torch, dtype))
    if dtype in FLOATS:
        data = t.double().tolist()
    e = ember.tensor(data, dtype=getattr(ember, dtype))
    assert e.shape == tuple(t.shape)
    return e, t


def _torch_repr(t):
    return repr(t).replace("torch.", "ember.")


def _check(torch, values, dtype="float32"):
    e, t = _pair(torch, values, dtype)
    assert repr(e) == _torch_repr(t), f"values={values!r} dtype={dtype}"
    return repr(e)


# --- seeds and hand-picked cases --------------------------------------------------

SEEDS = [
    ([[0.9216, 0.0812, 0.3326, 0.1223], [0.4754, 0.1876, 0.8705, 0.0348],
      [0.8547, 0.2323, 0.1879, 0.7196], [0.0683, 0.3799, 0.8813, 0.9155]],
     "tensor([[0.9216, 0.0812, 0.3326, 0.1223],\n"
     "        [0.4754, 0.1876, 0.8705, 0.0348],\n"
     "        [0.8547, 0.2323, 0.1879, 0.7196],\n"
     "        [0.0683, 0.3799, 0.8813, 0.9155]])"),
    ([0.3089, 0.8028, 0.2625, 0.4179], "tensor([0.3089, 0.8028, 0.2625, 0.4179])"),
    ([[5.0, 12.0], [15.0, 24.0]], "tensor([[ 5., 12.],\n        [15., 24.]])"),
    (83.0, "tensor(83.)"),
]


@pytest.mark.parametrize("values,expected", SEEDS)
def test_seed_outputs(values, expected):
    assert repr(ember.tensor(values)) == expected
    assert str(ember.tensor(values)) == expected


def test_seed_outputs_match_torch(torch):
    for values, expected in SEEDS:
        assert _check(torch, values) == expected


def test_known_strings_without_torch():
    # the formats PyTorch users see most, written out so they are checked even without torch
    nan, inf = math.nan, math.inf
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1e-5, 1e5])) == "tensor([1.0000e-05, 1.0000e+05])"
    assert repr(ember.tensor([inf, -inf, nan])) == "tensor([inf, -inf, nan])"
    assert repr(ember.tensor([1.5, nan, -inf])) == "tensor([1.5000,    nan,   -inf])"
    assert repr(ember.tensor([1, -1])) == "tensor([ 1, -1])"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ember.tensor(True)) == "tensor(True)"
    assert repr(ember.tensor([1.0, 2.0], dtype=ember.float64)) == \
        "tensor([1., 2.], dtype=ember.float64)"
    assert repr(ember.tensor([0.5], dtype=ember.float16)) == \
        "tensor([0.5000], dtype=ember.float16)"
    assert repr(ember.tensor([1, 2], dtype=ember.int32)) == "tensor([1, 2], dtype=ember.int32)"
    assert repr(ember.tensor([])) == "tensor([])"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ember.zeros(0, dtype=ember.int64)) == "tensor([], dtype=ember.int64)"
    assert repr(ember.tensor(-0.0)) == "tensor(-0.)"
    assert repr(ember.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"


HAND_PICKED = [
    0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 1e8, 1.5e8, 123456789.0, math.inf, -math.inf, math.nan,
    [], [0.0], [0.0, -0.0], [0.0, 0.0, 0.0], [1.0, 2.0], [-1.0, 2.0], [0.5, -0.25],
    [1e-4, 1.0], [9.9e-5, 1.0], [1.0, 1000.0], [1.0, 1001.0], [1.0, 1e8], [1.0, 1.1e8],
    [1e-5, 1e5], [1e-30, 1e30], [1e-300, 1.0], [1e300, -1e-300], [123.456, 0.001],
    [math.inf, 1.0], [math.nan, 1.0], [-math.inf, 0.5], [math.nan, math.inf, -math.inf],
    [math.nan, 0.0], [1e-5, math.nan], [1e10, math.inf], [3.0, -0.0], [12345.678],
    [[1.0, -2.0], [3.5, 100.25]], [[[1.0]]], [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
    [[[[1.5, 2.0]]], [[[3.0, 4.0]]]], [0.1, 0.2, 0.3] * 20, [1e-5] * 30, list(range(40)),
    [[0.001, 0.01], [0.1, 1.0]], [65504.0, -65504.0], [1.0 / 3.0, 2.0 / 3.0],
]


@pytest.mark.parametrize("dtype", FLOATS)
def test_hand_picked_floats(torch, dtype):
    for values in HAND_PICKED:
        _check(torch, values, dtype)


INT_CASES = [0, 7, -3, [], [0], [1, -1], [100, 2, -30], list(range(-50, 50)),
             [[1, 2, 3], [4, 5, 6]], [[[1]], [[-100]]], [127, -128]]


@pytest.mark.parametrize("dtype", INTS)
def test_hand_picked_ints(torch, dtype):
    for values in INT_CASES:
        if dtype == "uint8" and np.min(values, initial=0) < 0:
            continue
        _check(torch, values, dtype)


def test_int64_extremes(torch):
    _check(torch, [2**63 - 1, -2**63, 0], "int64")
    _check(torch, [2**31 - 1, -2**31], "int32")


def test_bools(torch):
    for values in [True, False, [], [True], [False], [True, False], [[True], [True]],
                   [[False, True], [True, True]], [True] * 30]:
        _check(torch, values, "bool")


# --- random parity ---------------------------------------------------------------

SHAPES = [(), (1,), (4,), (17,), (3, 5), (1, 1), (2, 3, 4), (2, 1, 3, 2), (30, 30), (7, 11, 13),
          (1001,), (2, 600), (5, 6, 7, 8), (0,), (0, 3), (2, 0, 4)]


def _random_values(shape, kind):
    if kind == "uniform":
        return RNG.random(shape)
    if kind == "normal":
        return RNG.standard_normal(shape) * 10.0 ** RNG.integers(-3, 4)
    if kind == "wide":  # many decades: scientific notation
        return RNG.standard_normal(shape) * 10.0 ** RNG.uniform(-12, 12, shape)
    if kind == "integral":
        return RNG.integers(-1000, 1000, shape).astype(np.float64)
    if kind == "special":  # nan/inf/zeros sprinkled in
        x = RNG.standard_normal(shape)
        mask = RNG.random(shape)
        x = np.where(mask < 0.1, np.nan, x)
        x = np.where((mask >= 0.1) & (mask < 0.2), np.inf, x)
        x = np.where((mask >= 0.2) & (mask < 0.3), -np.inf, x)
        return np.where((mask >= 0.3) & (mask < 0.4), 0.0, x)
    raise AssertionError(kind)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind", ["uniform", "normal", "wide", "integral", "special"])
def test_random_floats(torch, dtype, kind):
    for shape in SHAPES:
        values = np.asarray(_random_values(shape, kind))
        if dtype in ("float16", "bfloat16"):
            values = np.clip(values, -6e4, 6e4)
        _check(torch, values, dtype)


@pytest.mark.parametrize("dtype", INTS + ["bool"])
def test_random_ints(torch, dtype):
    info = np.iinfo(dtype) if dtype != "bool" else None
    for shape in SHAPES:
        for hi in (10, 1000, None):
            if dtype == "bool":
                values = RNG.random(shape) < 0.5
            else:
                top = info.max if hi is None else min(hi, info.max)
                bottom = max(-top, info.min)
                values = RNG.integers(bottom, top, shape, endpoint=True)
            _check(torch, values, dtype)


def test_non_contiguous_layouts(torch):
    x = RNG.standard_normal((6, 8))
    e, t = ember.tensor(x.tolist()), torch.tensor(x.tolist())
    assert not e.t().is_contiguous()
    for view_e, view_t in [(e.t(), t.t()), (e[::2, 1::3], t[::2, 1::3]), (e[:, 5], t[:, 5]),
                           (e[2], t[2]), (e[1, 1], t[1, 1])]:
        assert repr(view_e) == _torch_repr(view_t)
    big = RNG.standard_normal((40, 50))
    e, t = ember.tensor(big.tolist()), torch.tensor(big.tolist())
    assert repr(e.t()) == _torch_repr(t.t())  # summarised through a transposed view
    cube = RNG.random((3, 4, 5))
    e, t = ember.tensor(cube.tolist()), torch.tensor(cube.tolist())
    assert repr(e.permute(2, 0, 1)) == _torch_repr(t.permute(2, 0, 1))
    assert repr(ember.zeros(3, 1).expand(3, 4)) == _torch_repr(torch.zeros(3, 1).expand(3, 4))


def test_line_wrapping(torch):
    # widths that land exactly on and around the 80-column limit, at several nestings
    for width_digits in range(1, 12):
        for n in (5, 9, 10, 11, 13, 26, 27, 40):
            values = [10 ** (width_digits - 1) + i for i in range(n)]
            _check(torch, values, "int64")
            _check(torch, [values], "int64")
            _check(torch, [[values]], "int64")
    for n in range(1, 30):
        _check(torch, RNG.random(n), "float32")
        _check(torch, RNG.random((2, n)), "float64")


# --- summarisation ------------------------------------------------------------------

def test_summarised_shapes(torch):
    for shape in [(1001,), (1000,), (10, 101), (101, 10), (7, 200), (2, 3, 200), (20, 20, 20),
                  (3, 3, 3, 40), (1, 1001), (6, 2000)]:
        values = RNG.standard_normal(shape)
        _check(torch, values, "float32")
        _check(torch, np.round(values * 100), "int32")


def test_summary_picks_format_from_shown_values_only(torch):
    # the hidden middle holds a huge value and a nan: the shown edges are plain floats
    x = RNG.random(2000)
    x[1000], x[1001] = 1e20, np.nan
    text = _check(torch, x)
    assert "e+" not in text and "nan" not in text and "..." in text


# --- print options ---------------------------------------------------------------

def test_get_printoptions_defaults(torch):
    assert ember.get_printoptions() == torch._tensor_str.get_printoptions()
    assert ember.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                        "linewidth": 80, "sci_mode": None}


OPTIONS = [
    {"precision": 2}, {"precision": 0}, {"precision": 8}, {"threshold": 5}, {"threshold": 0},
    {"edgeitems": 1}, {"edgeitems": 0}, {"edgeitems": 0, "threshold": 5}, {"linewidth": 20},
    {"linewidth": 200}, {"linewidth": 1}, {"sci_mode": True}, {"sci_mode": False},
    {"profile": "short"}, {"profile": "full"}, {"profile": "full", "precision": 6},
    {"threshold": 10, "edgeitems": 2, "linewidth": 40, "sci_mode": True},
    {"profile": "no-such-profile"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_set_printoptions(torch, options):
    ember.set_printoptions(**options)
    torch.set_printoptions(**options)
    assert ember.get_printoptions() == torch._tensor_str.get_printoptions()
    cases = [(RNG.random(20), "float32"), (RNG.random((4, 5)) * 1000, "float64"),
             ([1e-5, 1.0], "float32"), ([1.0, 2.0, 3.0], "float32"), (3.25, "float32"),
             ([0.0, math.nan], "float32"), (list(range(30)), "int64"), ([1, 2], "int16"),
             ([True, False] * 8, "bool"), (RNG.standard_normal((3, 4, 5)), "float16"),
             (RNG.random(1200), "float32"), (RNG.random((50, 50)), "bfloat16"), ([], "float32"),
             (np.zeros((0, 2)), "int32"), (2.0, "float64")]
    for values, dtype in cases:
        _check(torch, values, dtype)


def test_set_printoptions_keeps_unnamed_options_but_resets_sci_mode():
    ember.set_printoptions(precision=2, sci_mode=True)
    ember.set_printoptions(linewidth=60)
    assert ember.get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 3,
                                        "linewidth": 60, "sci_mode": None}
    ember.set_printoptions(**{**ember.get_printoptions(), "threshold": math.inf})
    assert ember.get_printoptions()["threshold"] == math.inf
    assert "..." not in repr(ember.zeros(2000))
    ember.set_printoptions(profile="default")
    assert ember.get_printoptions()["linewidth"] == 80
    assert "..." in repr(ember.zeros(2000))


# --- suffixes -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS + INTS + ["bool"])
def test_dtype_suffix_and_empty(torch, dtype):
    for values in ([], np.zeros((0, 3)), np.zeros((2, 0, 1)), [1, 0], 1):
        _check(torch, values, dtype)


def test_default_dtype_changes_the_suffix(torch):
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for dtype in ("float32", "float64", "int64"):
        for values in ([1.5, 2.0], [], np.zeros((0, 2))):
            _check(torch, values, dtype)
    assert repr(ember.tensor([1.5], dtype=ember.float32)) == "tensor([1.5000], dtype=ember.float32)"


class _Node:
    """A stand-in autograd node: printing only asks for its name()."""

    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


def _with_grad(e, *, grad_fn=None):
    # white box: ember-core alone has no autograd engine to set these through
    e._requires_grad = True
    e.grad_fn = _Node(grad_fn) if grad_fn else None
    return e


def test_requires_grad_and_grad_fn_suffixes(torch):
    for values in ([1.0, 2.0], [[0.25, 0.5]] * 3, 2.5, [], RNG.random(30), RNG.random((3, 11))):
        e, t = _pair(torch, values, "float64")
        t.requires_grad_()
        assert repr(_with_grad(e)) == _torch_repr(t)
        e, t = _pair(torch, values, "float32")
        t.requires_grad_()
        t = t * 2
        assert repr(_with_grad(e * 2, grad_fn="MulBackward0")) == _torch_repr(t)
    e = _with_grad(ember.tensor([1.0]), grad_fn="torch::autograd::AccumulateGrad")
    assert repr(e) == "tensor([1.], grad_fn=<AccumulateGrad>)"


def test_suffix_wraps_past_the_line_width(torch):
    # rows whose last line leaves too little room for the suffixes put them on new lines
    for n in range(4, 12):
        values = RNG.random((2, n)) * 10
        e, t = _pair(torch, values, "float64")
        t = t.requires_grad_() * 3
        assert repr(_with_grad(e * 3, grad_fn="MulBackward0")) == _torch_repr(t)
    ember.set_printoptions(linewidth=30)
    torch.set_printoptions(linewidth=30)
    e, t = _pair(torch, [1.0, 2.0], "float16")
    assert repr(_with_grad(e)) == _torch_repr(t.requires_grad_())


def _on_fake_cuda(monkeypatch, e, index=0):
    # white box: no GPU backend is needed to print, only the device and the host values
    values = e._host_values()
    e._device = ember.device("cuda", index)
    monkeypatch.setattr(e, "_host_values", lambda: values)
    return e


def test_device_suffix(monkeypatch):
    e = _on_fake_cuda(monkeypatch, ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64))
    assert repr(e) == ("tensor([[1., 2.],\n        [3., 4.]], device='cuda:0', "
                       "dtype=ember.float64)")
    _with_grad(e)
    assert repr(e) == ("tensor([[1., 2.],\n        [3., 4.]], device='cuda:0', "
                       "dtype=ember.float64, requires_grad=True)")
    e = _on_fake_cuda(monkeypatch, ember.tensor([[1.5, 2.0], [3.0, 4.0]], dtype=ember.float16))
    assert repr(_with_grad(e, grad_fn="AddBackward0")) == (
        "tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]], device='cuda:0', "
        "dtype=ember.float16,\n       grad_fn=<AddBackward0>)")
    empty = _on_fake_cuda(monkeypatch, ember.zeros(0), index=1)
    assert repr(empty) == "tensor([], device='cuda:1')"


def test_device_suffix_wrapping_like_torch(torch, monkeypatch):
    # torch (CPU build) cannot make a CUDA tensor: its own suffix joiner builds the oracle
    from torch._tensor_str import _add_suffixes, _tensor_str
    for n in range(1, 12):
        values = RNG.random((2, n)) * 100
        e, t = _pair(torch, values, "float64")
        _on_fake_cuda(monkeypatch, _with_grad(e))
        body = "tensor(" + _tensor_str(t, 7)
        expected = _add_suffixes(body, ["device='cuda:0'", "dtype=ember.float64",
                                        "requires_grad=True"], 7, False)
        assert repr(e) == expected


def test_subclass_prefix(torch):
    # a user subclass prints its own name as the prefix, and the rows indent under it
    Mine = type("Mine", (ember.Tensor,), {})
    MineT = type("Mine", (torch.Tensor,), {})
    e = Mine([[1.0, 2.5], [3.0, 4.0]])
    assert type(e) is Mine
    assert repr(e) == "Mine([[1.0000, 2.5000],\n      [3.0000, 4.0000]])"
    assert repr(e) == _torch_repr(MineT([[1.0, 2.5], [3.0, 4.0]]))


def test_tensor_contents_override():
    from ember._printing import tensor_repr
    e = ember.tensor([1, 2], dtype=ember.int32)
    assert tensor_repr(e, tensor_contents="[...]") == "tensor([...], dtype=ember.int32)"


def test_format_and_str():
    e = ember.tensor([[1.0, 2.0]])
    assert str(e) == repr(e) == f"{e}"
    assert f"{ember.tensor(2.5):.1f}" == "2.5"


def test_real_autograd_suffixes(torch):
    pytest.importorskip("ember.autograd")  # only with ember-autograd installed
    for values in ([1.5, 2.0], 3.0, RNG.random((3, 9))):
        e, t = _pair(torch, values, "float32")
        e.requires_grad_()
        t.requires_grad_()
        assert repr(e) == _torch_repr(t)
        assert repr(e * 2) == _torch_repr(t * 2)
        assert repr((e * 2).sum()) == _torch_repr((t * 2).sum())
        assert repr(e.detach()) == _torch_repr(t.detach())


def test_parameter_prints_as_tensor(torch):
    nn = pytest.importorskip("ember.nn")  # only with ember-nn installed
    p = nn.Parameter(ember.tensor([[1.0, 2.0], [3.0, 4.5]]))
    q = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.5]]))
    assert repr(p) == _torch_repr(q)
    assert repr(p).startswith("Parameter containing:\ntensor([[")
    # a subclass of Parameter shows both names, as in PyTorch
    Mine = type("Mine", (nn.Parameter,), {})
    MineT = type("Mine", (torch.nn.Parameter,), {})
    assert repr(Mine(ember.tensor([1.0, 2.0]))) == _torch_repr(MineT(torch.tensor([1.0, 2.0])))
