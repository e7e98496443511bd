"""The public API on every registered device.

Each test builds its inputs on the CPU, moves them to the device under test, runs the
same public calls on both and compares (exactly for integers and booleans, to a tight
tolerance for floats). The `device` fixture runs every test on:

* ``cpu``: always;
* ``toy``: the numpy-backed test plugin (tests/plugins/ember_toydevice), skipped with the
  reason when it is not installed. Its memory is numpy, so it proves the device plumbing
  (transfers, device propagation, the ``device=`` arguments, error checks) but cannot catch
  a kernel that calls ``np.`` instead of ``self.xp.``: only a GPU run can;
* ``cuda``: skipped with ``ember.cuda.unavailable_reason()`` where CUDA is unusable, or
  failed instead when ``EMBER_REQUIRE_CUDA`` is set (the tox ``cuda`` env sets it).
"""
import copy
import importlib
import importlib.util
import io
import os
import re

import numpy as np
import pytest

import ember
from ember._device import known_device_types

CPU = ember.device("cpu")
DEVICE_TYPES = ["cpu", "toy", "cuda"]


# --- devices -------------------------------------------------------------------------------
def _flag(name):
    return os.environ.get(name, "") not in ("", "0")


def _cuda_unusable():
    """Why CUDA cannot be used here, or None."""
    try:
        cuda = importlib.import_module("ember.cuda")
    except ImportError as exc:
        return f"ember-cuda is not installed ({exc})"
    return cuda.unavailable_reason()


def _unusable(type_name):
    """Why `type_name` cannot be tested here (None when it can)."""
    if type_name == "toy" and importlib.util.find_spec("ember_toydevice") is None:
        return "the test plugin ember_toydevice is not installed " \
               "(pip install -e tests/plugins/ember_toydevice)"
    if type_name == "cuda":
        reason = _cuda_unusable()
        if reason is not None:
            return reason
    if type_name not in known_device_types():
        return f"no '{type_name}' device is registered (EMBER_DEVICE_AUTOLOAD=0?)"
    return None


@pytest.fixture(params=DEVICE_TYPES)
def device(request):
    """The device under test, with its index resolved (cpu, toy:0, cuda:0)."""
    reason = _unusable(request.param)
    if reason is not None:
        if request.param == "cuda" and _flag("EMBER_REQUIRE_CUDA"):
            pytest.fail(f"EMBER_REQUIRE_CUDA is set but CUDA is unusable: {reason}")
        pytest.skip(f"{request.param} device unusable: {reason}")
    return ember.zeros(0, device=request.param).device


@pytest.fixture
def second_unit(device):
    """Another unit of the same device type (toy:1, cuda:1)."""
    if device.type == "cpu":
        pytest.skip("cpu has a single unit")
    if device.type == "cuda" and ember.cuda.device_count() < 2:
        pytest.skip("this machine has a single CUDA device")
    return ember.device(device.type, 1 - device.index if device.index in (0, 1) else 0)


def off_cpu(device, what="mixing devices"):
    """Tests that need a device other than the CPU say so on the cpu param."""
    if device.type == "cpu":
        pytest.skip(f"{what} is tested from the non-cpu side (the toy/cuda params)")


def needs(module):
    return pytest.importorskip(module, reason=f"{module} is not installed")


# --- comparing -----------------------------------------------------------------------------
def move(obj, device):
    """`obj` with every tensor in it (nested in tuples/lists/dicts) copied to `device`."""
    if isinstance(obj, ember.Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(move(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: move(v, device) for k, v in obj.items()}
    return obj


_TOL = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-6), "float16": (2e-3, 1e-3),
        "bfloat16": (1e-2, 1e-2)}


def values(t):
    """A tensor's values as a host numpy array (works for 0-d and bfloat16)."""
    return np.asarray(t.cpu().tolist()).reshape(tuple(t.shape))


def assert_same(got, expected, device, tol=None):
    """`got` (computed on `device`) equals `expected` (computed on the CPU)."""
    if isinstance(expected, ember.Tensor):
        assert isinstance(got, ember.Tensor), type(got)
        assert got.device == device, f"result on {got.device}, expected {device}"
        assert got.dtype == expected.dtype
        assert got.shape == expected.shape
        g, e = values(got), values(expected)
        if expected.dtype.is_floating_point:
            rtol, atol = tol or _TOL[expected.dtype.name]
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, e)
    elif isinstance(expected, (tuple, list)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e, device, tol)
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=(tol or _TOL["float32"])[0])
    else:
        assert got == expected


def check(fn, device, *inputs, tol=None):
    """Run `fn` on CPU inputs and on copies on `device`; the results must agree."""
    expected = fn(*inputs)
    moved = move(inputs, device)
    got = fn(*moved)
    assert_same(got, expected, device, tol)
    return got, moved


def same_error(fn, device, *inputs):
    """`fn` fails on `device` with the CPU's exception type and message (the checks are in the
    front end, before any kernel)."""
    with pytest.raises(Exception) as on_cpu:
        fn(*inputs)
    with pytest.raises(on_cpu.type) as on_device:
        fn(*move(inputs, device))
    assert str(on_device.value) == str(on_cpu.value)


def shares_storage(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def sample(*shape, dtype=ember.float32, seed=0, low=-3, high=3):
    """Deterministic CPU data from numpy (not ember's RNG, which is under test)."""
    rng = np.random.default_rng(seed)
    if dtype.is_floating_point:
        return ember.tensor(rng.uniform(low, high, shape), dtype=dtype)
    if dtype is ember.uint8:
        low = max(low, 0)
    if dtype is ember.bool:
        return ember.tensor(rng.integers(0, 2, shape).astype(bool))
    return ember.tensor(rng.integers(low, high, shape), dtype=dtype)


# --- the device itself -----------------------------------------------------------------------
def test_device_identity(device):
    t = ember.ones(2, device=device)
    assert t.device == device and t.device == str(device)
    assert ember.device(str(device)) == device
    assert t.is_cpu == (device.type == "cpu") and t.is_cuda == (device.type == "cuda")
    assert t.get_device() == (-1 if device.type == "cpu" else device.index)
    assert ember.zeros(1, device=device.type).device == device  # the default unit


# --- creation ------------------------------------------------------------------------------
CREATION = {
    "zeros": lambda d: ember.zeros(2, 3, device=d),
    "zeros_int": lambda d: ember.zeros((2, 0), dtype=ember.int64, device=d),
    "ones": lambda d: ember.ones(4, dtype=ember.float64, device=d),
    "ones_bool": lambda d: ember.ones(3, dtype=ember.bool, device=d),
    "full": lambda d: ember.full((2, 2), 7, device=d),
    "full_float": lambda d: ember.full((3,), -1.5, dtype=ember.float16, device=d),
    "arange": lambda d: ember.arange(10, device=d),
    "arange_float": lambda d: ember.arange(-1, 2, 0.25, device=d),
    "linspace": lambda d: ember.linspace(-2, 3, 7, device=d),
    "linspace_f64": lambda d: ember.linspace(0, 1, 11, dtype=ember.float64, device=d),
    "logspace": lambda d: ember.logspace(0, 3, 4, device=d),
    "eye": lambda d: ember.eye(3, device=d),
    "eye_rect": lambda d: ember.eye(2, 4, dtype=ember.int32, device=d),
    "tensor": lambda d: ember.tensor([[1.5, 2], [3, 4]], device=d),
    "tensor_bf16": lambda d: ember.tensor([1.5, -2.25], dtype=ember.bfloat16, device=d),
    "tensor_scalar": lambda d: ember.tensor(3, device=d),
    "as_tensor": lambda d: ember.as_tensor(np.arange(6).reshape(2, 3), device=d),
    "empty_shape": lambda d: ember.empty(2, 5, device=d).shape,
    "zeros_like": lambda d: ember.zeros_like(ember.ones(2, 3, device=d)),
    "full_like": lambda d: ember.full_like(ember.ones(2, dtype=ember.int64, device=d), 9),
    "new_ones": lambda d: ember.ones(1, device=d).new_ones(2, 2),
    "new_tensor": lambda d: ember.ones(1, device=d).new_tensor([4, 5]),
}


@pytest.mark.parametrize("name", list(CREATION))
def test_creation_with_device(device, name):
    expected, got = CREATION[name](CPU), CREATION[name](device)
    assert_same(got, expected, device)


def test_like_and_new_follow_the_input_device(device):
    base = ember.ones(2, device=device)
    for t in (ember.empty_like(base), ember.rand_like(base), base.new_zeros(3), base.new_empty(1),
              base.new_full((2,), 1.0), ember.randint_like(base, 4)):
        assert t.device == device


RANDOM = {
    "rand": lambda d: ember.rand(257, device=d),
    "rand_f64": lambda d: ember.rand(5, 7, dtype=ember.float64, device=d),
    "randn": lambda d: ember.randn(3, 129, device=d),
    "randn_f64": lambda d: ember.randn(257, dtype=ember.float64, device=d),
    "randint": lambda d: ember.randint(-5, 100, (300,), device=d),
    "randint_i32": lambda d: ember.randint(7, (4, 4), dtype=ember.int32, device=d),
    "randperm": lambda d: ember.randperm(50, device=d),
    "normal": lambda d: ember.normal(2.0, 0.5, (64,), device=d),
    "bernoulli": lambda d: ember.bernoulli(ember.full((100,), 0.3, device=d)),
    "uniform_": lambda d: ember.empty(40, device=d).uniform_(-2, 5),
    "normal_": lambda d: ember.empty(40, dtype=ember.float64, device=d).normal_(1, 3),
    "rand_like": lambda d: ember.rand_like(ember.zeros(3, 3, device=d)),
    "two_draws": lambda d: (ember.rand(5, device=d), ember.randn(6, device=d)),
    "generator": lambda d: ember.rand(9, device=d, generator=ember.Generator(device=d).manual_seed(
        ember.initial_seed() + 1)),  # its own generator, seeded from the global seed
}


@pytest.mark.parametrize("name", list(RANDOM))
def test_same_seed_same_values_on_every_device(device, name):
    # ember's generator is counter-based Philox over the array module: bit-identical
    # uniform words everywhere; transcendental transforms (randn) get a tight tolerance
    ember.manual_seed(1234)
    expected = RANDOM[name](CPU)
    ember.manual_seed(1234)
    got = RANDOM[name](device)
    transformed = "randn" in name or "normal" in name or name == "two_draws"
    assert_same(got, expected, device, tol=None if transformed else (0, 0))
    ember.manual_seed(4321)  # a different seed must change the numbers
    assert _flat(RANDOM[name](device)) != _flat(got)


def _flat(result):
    parts = result if isinstance(result, tuple) else (result,)
    return [v for t in parts for v in values(t).ravel().tolist()]


def test_generator_device_must_match(device):
    off_cpu(device, "a generator of another device type")
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found "
                                           f"'{device.type}'"):
        ember.rand(2, generator=ember.Generator(device=device))


# --- moving between devices ----------------------------------------------------------------
DTYPES = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int64, ember.int32,
          ember.int16, ember.int8, ember.uint8, ember.bool]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided", "empty", "scalar"])
def test_to_and_cpu_round_trip(device, dtype, layout):
    x = sample(4, 6, dtype=dtype, seed=3)
    x = {"contiguous": x, "transposed": x.t(), "strided": x[1::2, ::3], "empty": x[:, 2:2],
         "scalar": x[1, 2]}[layout]
    y = x.to(device)
    assert y.device == device and y.dtype == dtype and y.shape == x.shape
    back = y.cpu()
    assert back.device == CPU and back.dtype == dtype
    assert back.tolist() == x.tolist()
    if device.type != "cpu":  # a real copy: writing the CPU original leaves it alone
        expected = x.tolist()
        x.copy_((x == 0).to(dtype))  # changes every element
        assert y.tolist() == expected and (x.numel() == 0 or x.tolist() != expected)


def test_to_is_a_no_op_on_the_same_device_and_copies_on_request(device):
    y = ember.arange(6.0, device=device)
    assert y.to(device) is y and y.to(str(device)) is y and y.to(device.type) is y
    copied = y.to(device, copy=True)
    assert copied is not y and not shares_storage(copied, y) and copied.tolist() == y.tolist()
    converted = ember.arange(6).to(device, ember.float64)
    assert converted.device == device and converted.dtype == ember.float64
    assert converted.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert y.to(dtype=ember.int32).device == device  # a dtype change stays on the device


def test_toy_transfers_really_copy(device):
    if device.type != "toy":
        pytest.skip("transfer counting is a feature of the toy plugin")
    from ember._device import get_backend
    backend = get_backend("toy")
    before = backend.transfers
    y = ember.arange(4.0).to(device)
    y.cpu()
    assert backend.transfers == before + 2


def test_to_other_tensor_takes_its_device_and_dtype(device):
    x = ember.tensor([1, 2, 3])
    other = ember.zeros(1, dtype=ember.float64, device=device)
    y = x.to(other)
    assert y.device == device and y.dtype == ember.float64 and y.tolist() == [1.0, 2.0, 3.0]
    assert y.to(ember.zeros(1, dtype=ember.int64)).device == CPU  # and back


def test_between_units_of_one_device_type(device, second_unit):
    y = ember.arange(5.0, device=device)
    z = y.to(second_unit)
    assert z.device == second_unit and z.tolist() == y.tolist()
    assert y.to(ember.ones(1, device=second_unit)).device == second_unit
    assert ember.zeros(2, device=second_unit).device == second_unit
    assert repr(z) == f"tensor([0., 1., 2., 3., 4.], device='{second_unit}')"
    with pytest.raises(RuntimeError, match=re.escape(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{device} and {second_unit}!")):
        y + z


def test_copy_between_devices(device):
    # copy_ is the one op that crosses devices, both ways
    dst = ember.zeros(2, 3, device=device)
    src = sample(3, 2, seed=1)
    dst.copy_(src.t())
    assert dst.device == device and dst.tolist() == src.t().tolist()
    host = ember.zeros(3, dtype=ember.float64)
    host.copy_(ember.tensor([1, 2, 3], device=device))
    assert host.tolist() == [1.0, 2.0, 3.0]


# --- pointwise -----------------------------------------------------------------------------
def _pw_inputs():
    return {"f": sample(4, 3, seed=1).t()[:, None, :],      # (3, 1, 4) non-contiguous float32
            "g": sample(4, seed=2, low=0.5, high=2.0),      # (4,) positive float32
            "d": sample(1, 4, dtype=ember.float64, seed=3),
            "m": sample(2, 3, dtype=ember.float64, seed=9),
            "i": sample(3, 4, dtype=ember.int64, seed=4, low=-9, high=9),
            "j": sample(4, dtype=ember.int32, seed=5, low=1, high=5),
            "u": sample(4, dtype=ember.uint8, seed=6, low=0, high=250),
            "b": sample(3, 4, dtype=ember.bool, seed=7),
            "h": sample(3, 4, dtype=ember.float16, seed=8)}


POINTWISE = {
    "add_broadcast": lambda t: t["f"] + t["g"],
    "add_promote_f64": lambda t: t["f"] + t["d"],
    "add_alpha": lambda t: ember.add(t["i"], t["j"], alpha=3),
    "sub_int_float": lambda t: t["i"] - t["g"],
    "mul_scalar_int": lambda t: t["i"] * 3,
    "mul_scalar_float": lambda t: t["i"] * 0.5,
    "div_true": lambda t: t["i"] / t["j"],
    "div_floor": lambda t: ember.div(t["i"], t["j"], rounding_mode="floor"),
    "floor_divide": lambda t: t["i"] // t["j"],
    "remainder": lambda t: t["i"] % t["j"],
    "fmod_float": lambda t: ember.fmod(t["f"], 0.7),
    "pow_tensor": lambda t: t["g"] ** t["d"],
    "pow_int": lambda t: t["i"] ** 2,
    "rpow": lambda t: 2 ** t["f"],
    "maximum": lambda t: ember.maximum(t["f"], t["d"]),
    "minimum_int": lambda t: ember.minimum(t["i"], t["j"]),
    "atan2": lambda t: ember.atan2(t["f"], t["g"]),
    "compare": lambda t: (t["f"] > t["g"], t["i"] == t["j"], t["i"] <= 0),
    "logical": lambda t: (t["b"] & (t["i"] > 0), t["b"] | t["b"][0], ~t["b"], t["b"] ^ True),
    "bitwise": lambda t: (t["i"] & 6, t["i"] | t["j"], t["u"] ^ 0x5A, t["i"] << 2, t["u"] >> 1),
    "uint8_wraps": lambda t: t["u"] + t["u"],
    "uint8_int8_promote": lambda t: t["u"] + t["j"].to(ember.int8),
    "bool_add": lambda t: t["b"] + t["b"],
    "half": lambda t: t["h"] * 2 + 1,
    "half_plus_float": lambda t: t["h"] + t["f"][0, 0],
    "where": lambda t: ember.where(t["b"], t["f"], t["d"][0]),
    "where_scalar": lambda t: ember.where(t["i"] > 0, t["i"], -1),
    "clamp": lambda t: (t["f"].clamp(-1, 1), t["i"].clamp(min=0), t["f"].clamp(max=t["g"])),
    "lerp_addcmul": lambda t: (t["f"].lerp(t["g"], 0.25),
                               ember.addcmul(t["f"], t["g"], t["g"], value=2)),
    "unary_float": lambda t: tuple(getattr(t["f"], op)() for op in (
        "exp", "sin", "cos", "tanh", "sigmoid", "abs", "neg", "floor", "ceil", "round", "trunc",
        "sign", "relu", "square", "expm1", "erf")),
    "unary_positive": lambda t: tuple(getattr(t["g"], op)() for op in (
        "log", "log2", "log1p", "sqrt", "rsqrt", "reciprocal", "atan")),
    "unary_int": lambda t: (t["i"].abs(), -t["i"], t["i"].sign(), t["i"].sqrt(), t["i"].exp()),
    "nan_inf": lambda t: ((t["f"] / 0).nan_to_num(), (t["f"] * 0 / 0).isnan(),
                          (t["f"] / 0).isinf()),
    "isclose": lambda t: ember.isclose(t["f"], t["f"] + 1e-7),
    "zero_size": lambda t: t["f"][:0] * t["g"],
    "scalar_tensors": lambda t: t["f"][0, 0, 0] * t["g"][1] + 1,
}


@pytest.mark.parametrize("name", list(POINTWISE))
def test_pointwise(device, name):
    check(POINTWISE[name], device, _pw_inputs())


def test_pointwise_errors_are_the_same(device):
    same_error(lambda a, b: a + b, device, ember.ones(3), ember.ones(4))
    same_error(lambda a: a.sqrt_(), device, ember.tensor([4, 9]))  # result type can't go in place
    same_error(lambda a, b: a.add_(b), device, ember.ones(3), ember.ones(2, 3))


def test_inplace_on_device(device):
    def run(t):
        a, i = t["f"].clone(), t["i"].clone()
        a.add_(t["g"]).mul_(2).clamp_(-3, 3)
        i.mul_(3).sub_(1)
        view = a[:, 0, 1:3]           # in place through a view writes its base
        view.sub_(100)
        b = t["b"].clone()
        b.logical_not_()
        return a, i, b
    check(run, device, _pw_inputs())


def test_inplace_bumps_version_on_device(device):
    a = ember.zeros(3, device=device)
    v = a[1:]
    before = a._version
    v.add_(1)
    assert a._version == v._version == before + 1
    assert a.tolist() == [0.0, 1.0, 1.0]


def test_out_argument_on_device(device):
    def run(t):
        out = ember.empty(3, 1, 4, device=t["f"].device)
        result = ember.add(t["f"], t["g"], out=out)
        assert result is out
        total = ember.empty(0, device=t["f"].device)  # an empty out= is resized silently
        ember.sum(t["i"], 1, out=total)
        mm = ember.empty(3, 3, dtype=ember.float64, device=t["f"].device)
        ember.matmul(t["m"].t(), t["m"], out=mm)
        return out, total, mm
    check(run, device, _pw_inputs())


# --- reductions ----------------------------------------------------------------------------
REDUCTIONS = {
    "sum": lambda x, i: (x.sum(), x.sum(1), x.sum((0, 2), keepdim=True),
                         x.sum(-1, dtype=ember.float64)),
    "sum_int": lambda x, i: (i.sum(), i.sum(0), i.to(ember.uint8).sum(1), (i > 0).sum()),
    "mean": lambda x, i: (x.mean(), x.mean(0), x.mean((1, 2), keepdim=True)),
    "prod_cumsum": lambda x, i: (x.prod(2), x.cumsum(1), i.cumsum(0), x.cumprod(-1)),
    "max_min": lambda x, i: (x.max(), x.min(), x.max(1), x.min(-1, keepdim=True), i.max(0)),
    "amax_aminmax": lambda x, i: (x.amax((0, 1)), ember.aminmax(i, dim=1)),
    "argmax": lambda x, i: (x.argmax(), x.argmax(1), i.argmax(1, keepdim=True), i.argmin(0)),
    "std_var": lambda x, i: (x.std(), x.std(1), x.var(0, correction=0), x.std(2, keepdim=True),
                             ember.var_mean(x, 1)),
    "logsumexp": lambda x, i: (x.logsumexp(1), (x * 50).logsumexp((0, 2))),
    "softmax": lambda x, i: (x.softmax(1), x.log_softmax(-1),
                             ember.softmax(i, 0, dtype=ember.float64)),
    "all_any": lambda x, i: ((i > 0).all(), (i > 0).any(1), (x > 0).all(2),
                             ember.count_nonzero(i, 0)),
    "norm": lambda x, i: (x.norm(), x.norm(p=1, dim=1)),
    "empty": lambda x, i: (x[:, :0].sum(1), x[:0].sum(0), i[:0].sum(), x[:0].amax(1)),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions(device, name):
    x = sample(5, 4, 3, seed=11).permute(1, 0, 2)   # (4, 5, 3) non-contiguous
    i = sample(4, 6, dtype=ember.int64, seed=12, low=-3, high=3)  # many ties
    check(REDUCTIONS[name], device, x, i)


def test_reduction_errors_are_the_same(device):
    same_error(lambda x: x.max(0), device, ember.ones(0, 3))
    same_error(lambda x: x.sum(3), device, ember.ones(2, 2))
    same_error(lambda x: x.argmax(), device, ember.ones(0))


# --- sorting -------------------------------------------------------------------------------
SORTING = {
    "sort": lambda x, i: (x.sort(1), x.sort(0, descending=True)),
    "sort_stable_ties": lambda x, i: (i.sort(1, stable=True),
                                      i.sort(0, descending=True, stable=True)),
    "argsort": lambda x, i: (x.argsort(-1), i.argsort(1, stable=True)),
    "topk": lambda x, i: (x.topk(3), x.topk(2, dim=0, largest=False)),
    "kthvalue_median": lambda x, i: (x.kthvalue(2, 1), x.median(1), x.median()),
    "unique": lambda x, i: (ember.unique(i),
                            ember.unique(i, return_inverse=True, return_counts=True)),
    "empty": lambda x, i: (x[:0].sort(0), x[:, :0].topk(0)),
}


@pytest.mark.parametrize("name", list(SORTING))
def test_sorting(device, name):
    x = sample(6, 5, seed=21).t()  # distinct values, non-contiguous
    i = sample(4, 7, dtype=ember.int32, seed=22, low=0, high=4)
    check(SORTING[name], device, x, i)


# --- indexing ------------------------------------------------------------------------------
GETITEM = {
    "int": lambda y, k: (y[1], y[-1, 2], y[0, 0, 0]),
    "slices": lambda y, k: (y[:, 1:3], y[..., ::2], y[1:, None, -2:], y[::2, 1::2]),
    "advanced": lambda y, k: (y[k["idx"]], y[:, k["idx"]], y[k["idx"], k["idx2"]], y[[0, 2, 2]]),
    "advanced_2d_index": lambda y, k: y[k["idx2d"]],
    "bool_mask": lambda y, k: (y[k["mask"]], y[k["row_mask"]], y[:, k["row_mask2"]]),
    "mixed": lambda y, k: y[1:, k["idx2"], ..., None],
    "empty": lambda y, k: (y[k["idx"][:0]], y[k["mask"] & False]),
}


def _indexing_inputs():
    y = sample(4, 5, 3, seed=31)
    keys = {"idx": ember.tensor([3, 0, -1]), "idx2": ember.tensor([4, 0, 2]),
            "idx2d": ember.tensor([[0, 1], [3, 3]]), "mask": y > 0.5,
            "row_mask": ember.tensor([True, False, True, True]),
            "row_mask2": ember.tensor([False, True, True, False, True])}
    return y, keys


@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem(device, name):
    check(GETITEM[name], device, *_indexing_inputs())


def test_basic_index_is_a_view_on_device(device):
    y = ember.arange(12.0, device=device).view(3, 4)
    v = y[1:, ::2]
    assert v.device == device and shares_storage(v, y)
    v.fill_(-1)
    assert y.tolist() == [[0, 1, 2, 3], [-1, 5, -1, 7], [-1, 9, -1, 11]]


def test_device_tensor_indexed_by_cpu_indices(device):
    # PyTorch accepts CPU index tensors for any device
    y = ember.arange(10.0, device=device)
    got = y[ember.tensor([7, 1])]
    assert got.device == device and got.tolist() == [7.0, 1.0]


def _setitem_cases(y, k):
    out = []
    for assign in (
            lambda z: z.__setitem__(0, 5.0),
            lambda z: z.__setitem__((slice(None), slice(1, 3)), k["block"]),
            lambda z: z.__setitem__((Ellipsis, 0), k["row"]),
            lambda z: z.__setitem__(k["idx"], -2.0),
            lambda z: z.__setitem__((k["idx"], k["idx2"]), k["vals"]),
            lambda z: z.__setitem__(k["mask"], 0.0),
            lambda z: z.__setitem__(k["row_mask"], k["row"][0]),
            lambda z: z.__setitem__(k["idx"][:0], 1.0)):
        z = y.clone()
        assign(z)
        out.append(z)
    return tuple(out)


def test_setitem(device):
    y, keys = _indexing_inputs()
    keys.update(block=sample(4, 2, 3, seed=32), row=sample(5, seed=33), vals=sample(3, seed=34))
    check(_setitem_cases, device, y, keys)


def test_indexing_errors_are_the_same(device):
    y, keys = _indexing_inputs()
    same_error(lambda t: t[4], device, y)
    same_error(lambda t, i: t[i], device, y, ember.tensor([0, 9]))
    same_error(lambda t: t[0, 0, 0, 0], device, y)
    same_error(lambda t, m: t[m], device, y, ember.tensor([True, False]))


GATHER = {
    "gather": lambda x, k: (x.gather(1, k["gi"]), ember.gather(x, 0, k["g0"])),
    "scatter": lambda x, k: (ember.zeros(3, 5).to(x.device).scatter(1, k["si"], x[:, :2]),
                             x.scatter(1, k["si"], 7.5)),
    "scatter_add": lambda x, k: ember.zeros(3, 5).to(x.device).scatter_add(1, k["dup"], x[:, :3]),
    "scatter_reduce": lambda x, k: (
        x.scatter_reduce(1, k["dup"], x[:, :3] * 3, "amax"),
        x.scatter_reduce(1, k["dup"], x[:, :3], "mean", include_self=False)),
    "index_select": lambda x, k: (x.index_select(1, k["ii"]),
                                  ember.index_select(x, 0, k["ii"][:2])),
    "index_add": lambda x, k: (x.index_add(1, k["ii"], x[:, :3]),
                               x.index_add(0, k["ii"][:2], x[:2], alpha=-2)),
    "index_copy_fill": lambda x, k: (x.index_copy(1, k["uniq"], x[:, :2]),
                                     x.index_fill(1, k["ii"], -1.0)),
    "masked": lambda x, k: (x.masked_fill(k["m"], 0.0), x.masked_fill(k["m"][0], -3.0),
                            x.masked_select(k["m"]), x.masked_scatter(k["m"], x * 10)),
    "masked_fill_tensor": lambda x, k: x.masked_fill(k["m"], k["zero_d"]),
    "take_nonzero": lambda x, k: (x.take(k["ii"]), k["m"].nonzero(),
                                  ember.nonzero(k["m"], as_tuple=True),
                                  ember.take_along_dim(x, k["gi"], 1)),
    "int_data": lambda x, k: (k["n"].gather(1, k["gi"]),
                              k["n"].index_add(1, k["ii"], k["n"][:, :3]),
                              k["n"].scatter_add(1, k["dup"], k["n"][:, :3]),
                              k["n"].masked_fill(k["m"], 9)),
    "inplace": lambda x, k: (x.clone().index_add_(1, k["ii"], x[:, :3]),
                             x.clone().scatter_(1, k["si"], 1.0),
                             x.clone().masked_fill_(k["m"], 2.0),
                             x.clone().index_put_((k["ii"][:2],), x[0], accumulate=True)),
}


@pytest.mark.parametrize("name", list(GATHER))
def test_gather_scatter_index_family(device, name):
    keys = {"gi": ember.tensor([[4, 0], [1, 1], [2, 3]]),
            "si": ember.tensor([[4, 0], [1, 2], [3, 0]]),
            "dup": ember.tensor([[0, 0, 1], [2, 2, 2], [4, 1, 4]]), "ii": ember.tensor([2, 0, 2]),
            "uniq": ember.tensor([4, 1]), "g0": ember.tensor([[2, 0, 1, 1, 0]]),
            "zero_d": ember.tensor(-5.0),
            "n": sample(3, 5, dtype=ember.int64, seed=41)}
    x = sample(5, 3, seed=42).t()  # (3, 5) non-contiguous
    keys["m"] = x > 0
    check(GATHER[name], device, x, keys)


def test_gather_scatter_errors_are_the_same(device):
    x = ember.ones(3, 4)
    same_error(lambda a, i: a.gather(1, i), device, x, ember.tensor([[0, 4]]))
    same_error(lambda a, i: a.index_select(0, i), device, x, ember.tensor([3]))
    same_error(lambda a, i: a.scatter(0, i, 1.0), device, x, ember.tensor([[5]]))
    same_error(lambda a, i: a.index_add(1, i, ember.ones(3, 2, device=a.device)), device, x,
               ember.tensor([0, -9]))
    same_error(lambda a, m: a.masked_fill(m, 1.0), device, x, ember.ones(3, 4))  # not a bool mask


# --- joining and rearranging -------------------------------------------------------------------
JOINING = {
    "cat": lambda x, i: (ember.cat([x, x[:1]]), ember.cat([x, x.flip(1)], 1), ember.cat([i, x]),
                         ember.cat([x[:0], x])),
    "stack": lambda x, i: (ember.stack([x, x * 2]), ember.stack([x, x], dim=-1),
                           ember.hstack([x, x]), ember.vstack([x, x[0]])),
    "flip": lambda x, i: (x.flip(0), x.flip((0, 1)), ember.fliplr(x), i.flip(-1)),
    "roll": lambda x, i: (x.roll(1), x.roll(-2, 1), x.roll((1, 2), (0, 1))),
    "tril_triu": lambda x, i: (x.tril(), x.tril(-1), x.triu(2), i.tril(1)),
    "repeat_tile": lambda x, i: (x.repeat(2, 1), x.tile((1, 2)), x.repeat_interleave(2, 0),
                                 x.repeat_interleave(ember.tensor([1, 0, 2]).to(x.device), dim=0)),
    "rot90_diag": lambda x, i: (x.rot90(1, (0, 1)), ember.diag(x[0]), ember.diag(x, 1),
                                ember.diag_embed(x)),
    "split": lambda x, i: (x.split(2, 1), x.chunk(2, 0), x.unbind(1), x.tensor_split([1, 3], 1)),
}


@pytest.mark.parametrize("name", list(JOINING))
def test_joining_and_rearranging(device, name):
    x = sample(4, 3, seed=51).t()  # (3, 4) non-contiguous
    i = sample(3, 4, dtype=ember.int64, seed=52)
    check(JOINING[name], device, x, i)


# --- views -----------------------------------------------------------------------------------
VIEWS = {
    "view": lambda y: y.view(4, 6),
    "view_flat": lambda y: y.view(-1),
    "reshape": lambda y: y.reshape(2, 2, 6),
    "permute": lambda y: y.permute(2, 0, 1),
    "transpose": lambda y: y.transpose(0, 2),
    "t": lambda y: y[0].t(),
    "expand": lambda y: y[:, :1].expand(2, 5, 4),
    "narrow": lambda y: y.narrow(1, 1, 2),
    "unfold": lambda y: y.unfold(2, 2, 1),
    "as_strided": lambda y: y.as_strided((3, 2), (4, 1), 2),
    "diagonal": lambda y: y.diagonal(offset=1, dim1=1, dim2=2),
    "select": lambda y: y.select(1, 2),
    "squeeze_unsqueeze": lambda y: y[:, :1].squeeze(1).unsqueeze(0),
    "slice": lambda y: y[1:, ::2, 1:3],
    "flatten": lambda y: y.flatten(0, 1),
    "unflatten": lambda y: y.unflatten(2, (2, 2)),
    "movedim": lambda y: y.movedim(0, -1),
    "split": lambda y: y.split(1, 0)[1],
    "detach": lambda y: y.detach(),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_storage_on_device(device, name):
    x = ember.arange(24.0).view(2, 3, 4)
    y = x.to(device, copy=True)
    v = VIEWS[name](y)
    assert_same(v, VIEWS[name](x), device)
    assert shares_storage(v, y)
    y.add_(100)  # a write to the base shows through the view, on the device
    assert_same(v, VIEWS[name](x + 100), device)


def test_reshape_of_non_contiguous_copies_on_device(device):
    y = ember.arange(6.0, device=device).view(2, 3).t()
    r = y.reshape(-1)
    assert r.device == device and r.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert not shares_storage(r, y)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        y.view(-1)
    c = y.contiguous()
    assert c.is_contiguous() and c.device == device and c.tolist() == y.tolist()


# --- linear algebra ----------------------------------------------------------------------------
LINALG = {
    "matmul": lambda a, b, s: (a[0] @ b[0], a[0] @ b[0, :, 0], b[0, :, 1] @ b[1], a @ b,
                               a[:, None] @ b),
    "mm_bmm": lambda a, b, s: (ember.mm(a[1], b[1]), ember.bmm(a, b),
                               ember.matmul(a[0, 0], b[0, :, 0])),
    "einsum": lambda a, b, s: (ember.einsum("bij,bjk->bik", a, b), ember.einsum("ii->i", s[0]),
                               ember.einsum("bij->", a), ember.einsum("i,j->ij", a[0, 0], b[0, 0])),
    "dot_outer_addmm": lambda a, b, s: (ember.dot(a[0, 0], a[1, 1]), ember.outer(a[0, 0], b[0, 0]),
                                         ember.addmm(s[0], a[0], b[0][:, :3], beta=0.5, alpha=2)),
    "solve": lambda a, b, s: (ember.linalg.solve(s[0], b[0][:3]),
                              ember.linalg.solve(s, b[:, :3, 0])),
    "solve_broadcast": lambda a, b, s: ember.linalg.solve(s, b[0][:3]),
    "float64": lambda a, b, s: (a.double() @ b.double(),
                                ember.linalg.solve(s.double(), s[1].double())),
    "empty": lambda a, b, s: (a[..., :0] @ b[:, :0], a[:, :0] @ b[:, :, :0][:, :4]),
}


@pytest.mark.parametrize("name", list(LINALG))
def test_linear_algebra(device, name):
    a = sample(2, 3, 4, seed=61)
    b = sample(2, 5, 4, seed=62).transpose(1, 2)  # (2, 4, 5) non-contiguous
    s = sample(2, 3, 3, seed=63) + 4 * ember.eye(3)  # well conditioned
    check(LINALG[name], device, a, b, s, tol=(1e-4, 1e-5))


def test_linear_algebra_errors_are_the_same(device):
    same_error(lambda a, b: a @ b, device, ember.ones(2, 3), ember.ones(2, 3))
    same_error(lambda a, b: ember.bmm(a, b), device, ember.ones(2, 3), ember.ones(3, 2))
    same_error(lambda a, b: ember.linalg.solve(a, b), device, ember.zeros(2, 2), ember.ones(2))


# --- printing ----------------------------------------------------------------------------------
def test_printing_names_the_device(device):
    at = "" if device.type == "cpu" else f", device='{device}'"
    assert repr(ember.tensor([1.0, 2.5], device=device)) == f"tensor([1.0000, 2.5000]{at})"
    assert repr(ember.tensor([1, 2], dtype=ember.int32, device=device)) == \
        f"tensor([1, 2]{at}, dtype=ember.int32)"
    assert repr(ember.arange(4.0, device=device).view(2, 2)) == \
        f"tensor([[0., 1.],\n        [2., 3.]]{at})"
    assert repr(ember.zeros(0, 3, device=device)) == f"tensor([]{at}, size=(0, 3))"
    assert repr(ember.tensor(True, device=device)) == f"tensor(True{at})"
    assert str(ember.ones(2, device=device).bfloat16()) == \
        f"tensor([1., 1.]{at}, dtype=ember.bfloat16)"
    assert repr(ember.ones(2, device=device, requires_grad=True)) == \
        f"tensor([1., 1.]{at}, requires_grad=True)"


def test_printing_matches_torch_apart_from_the_device(device, torch):
    x = sample(3, 4, seed=71) * 1000
    t = torch.tensor(x.tolist())
    expected = repr(t)[:-1] + ("" if device.type == "cpu" else f", device='{device}'") + ")"
    assert repr(x.to(device)) == expected


# --- mixing devices ------------------------------------------------------------------------------
def _mixing_message(first, second):
    return re.escape("Expected all tensors to be on the same device, but found at least two "
                     f"devices, {first} and {second}!")


MIXED = {
    "add": lambda y, x: y + x,
    "add_reversed": lambda y, x: x.mul(y),
    "matmul": lambda y, x: ember.matmul(y, x),
    "cat": lambda y, x: ember.cat([y, x]),
    "stack": lambda y, x: ember.stack([y, x]),
    "where": lambda y, x: ember.where(y > 0, y, x),
    "index_select": lambda y, x: y.index_select(0, x.long()[0]),
    "gather_2d": lambda y, x: y.gather(1, x.long()),
    "masked_fill": lambda y, x: y.masked_fill(x > 0, 1.0),
    "add_": lambda y, x: y.add_(x),
    "einsum": lambda y, x: ember.einsum("ij,ij->", y, x),
    "solve": lambda y, x: ember.linalg.solve(y, x),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixing_devices_raises(device, name):
    off_cpu(device)
    x = ember.zeros(2, 2)
    y = x.to(device)
    first, second = (CPU, device) if name == "add_reversed" else (device, CPU)
    with pytest.raises(RuntimeError, match=_mixing_message(first, second)):
        MIXED[name](y, x)


def test_inplace_on_cpu_with_device_operand_raises(device):
    off_cpu(device)
    with pytest.raises(RuntimeError, match=_mixing_message(CPU, device)):
        ember.zeros(2).add_(ember.ones(2, device=device))


def test_gather_1d_with_cpu_index_raises(request, device):
    off_cpu(device)
    with pytest.raises(RuntimeError, match=_mixing_message(device, CPU)):
        ember.arange(4.0, device=device).gather(0, ember.tensor([1, 2]))


def test_out_on_another_device_raises(request, device):
    off_cpu(device)
    y = ember.ones(2, device=device)
    with pytest.raises(RuntimeError, match=f"Expected out tensor to have device {device}, but got "
                                           "cpu instead"):
        ember.add(y, 1, out=ember.empty(2))
    with pytest.raises(RuntimeError, match=f"Expected out tensor to have device {device}, but got "
                                           "cpu instead"):
        ember.sum(y, 0, out=ember.empty(()))


def test_cpu_scalar_tensor_combines_with_device_tensor(request, device):
    # PyTorch lets a 0-d CPU tensor take part in a pointwise op on any device, like a number
    off_cpu(device, "a CPU scalar with a device tensor")
    y = ember.arange(3.0, device=device)
    got = y * ember.tensor(2.0) + ember.tensor(1)
    assert got.device == device and got.tolist() == [1.0, 3.0, 5.0]


def test_slice_assignment_copies_across_devices(request, device):
    # t[slice] = value is a copy_, which crosses devices in PyTorch
    off_cpu(device)
    z = ember.zeros(3, device=device)
    z[:2] = ember.tensor([4.0, 5.0])
    assert z.device == device and z.tolist() == [4.0, 5.0, 0.0]
    host = ember.zeros(3)
    host[1:] = ember.tensor([6.0, 7.0], device=device)
    assert host.tolist() == [0.0, 6.0, 7.0]


def test_cpu_tensor_indexed_by_device_indices_raises(request, device):
    off_cpu(device)
    with pytest.raises(RuntimeError, match=re.escape(
            "indices should be either on cpu or on the same device as the indexed tensor (cpu)")):
        ember.arange(3.0)[ember.tensor([0, 2], device=device)]


# --- autograd ------------------------------------------------------------------------------------
def _small_graph(w, x, idx):
    h = (x @ w).tanh()
    h = h * h.softmax(1) + h.logsumexp(1, keepdim=True)
    picked = h.gather(1, idx) + h[:, 1:].sum(1, keepdim=True)
    return picked.pow(2).mean() + w.narrow(0, 1, 2).abs().sum() / 7


def test_autograd_on_device_matches_cpu(device):
    needs("ember.autograd")
    w0, x0 = sample(4, 3, seed=81), sample(5, 4, seed=82)
    idx = ember.tensor([[0], [2], [1], [1], [0]])
    leaves = []
    for d in (CPU, device):
        w = w0.to(d, copy=True).requires_grad_()
        loss = _small_graph(w, x0.to(d), idx.to(d))
        assert loss.device == d and loss.grad_fn is not None
        loss.backward()
        leaves.append((loss, w))
    (loss_c, w_c), (loss_d, w_d) = leaves
    assert loss_d.item() == pytest.approx(loss_c.item(), rel=1e-5)
    assert w_d.grad.device == device
    assert_same(w_d.grad, w_c.grad, device, tol=(1e-4, 1e-6))


def test_autograd_through_to_reaches_the_cpu_leaf(device):
    needs("ember.autograd")
    x = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.to(device)
    assert y.requires_grad and (device.type == "cpu" or not y.is_leaf)
    (y * y).sum().backward()
    assert x.grad.device == CPU and x.grad.tolist() == [2.0, -4.0, 6.0]


def test_backward_with_device_gradient(device):
    needs("ember.autograd")
    w = ember.ones(3, device=device, requires_grad=True)
    y = w * ember.tensor([1.0, 2.0, 3.0], device=device)
    y.backward(ember.full((3,), 2.0, device=device))
    assert w.grad.device == device and w.grad.tolist() == [2.0, 4.0, 6.0]


def test_backward_gradient_on_wrong_device_raises(request, device):
    needs("ember.autograd")
    off_cpu(device)
    w = ember.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"invalid gradient at index 0 - expected device "
                                           f"{device} but got cpu"):
        (w * 2).backward(ember.ones(3))


def test_backward_moves_a_0d_cpu_gradient(request, device):
    needs("ember.autograd")
    off_cpu(device, "a CPU gradient for a device tensor")
    w = ember.ones(3, device=device, requires_grad=True)
    (w * 2).sum().backward(ember.tensor(1.0))
    assert w.grad.device == device and w.grad.tolist() == [2.0, 2.0, 2.0]


# --- nn ------------------------------------------------------------------------------------------
def _train_and_compare(device, make_model, x, target, loss_fn, make_optimizer):
    nn = needs("ember.nn")
    needs("ember.optim")
    ember.manual_seed(0)
    model = make_model(nn)
    cpu_model = copy.deepcopy(model)
    assert model.to(device) is model
    assert all(p.device == device for p in model.parameters())
    assert all(b.device == device for b in model.buffers())
    results = []
    for m, d in ((cpu_model, CPU), (model, device)):
        opt = make_optimizer(m.parameters())
        for _ in range(2):  # two steps: the optimizer state (momentum, moments) is used too
            opt.zero_grad()
            out = m(x.to(d))
            loss = loss_fn(nn, out, target.to(d))
            loss.backward()
            opt.step()
        results.append((out, loss, m))
    (out_c, loss_c, m_c), (out_d, loss_d, m_d) = results
    assert_same(out_d.detach(), out_c.detach(), device, tol=(1e-4, 1e-5))
    assert loss_d.item() == pytest.approx(loss_c.item(), rel=1e-5)
    for (name, p_d), p_c in zip(m_d.named_parameters(), m_c.parameters()):
        assert p_d.grad.device == device, name
        assert_same(p_d.grad, p_c.grad, device, tol=(1e-4, 1e-5))
        assert_same(p_d.detach(), p_c.detach(), device, tol=(1e-4, 1e-5))
    for b_d, b_c in zip(m_d.buffers(), m_c.buffers()):
        assert_same(b_d, b_c, device, tol=(1e-4, 1e-5))
    return m_d


def test_mlp_forward_backward_step(device):
    _train_and_compare(
        device,
        lambda nn: nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.ReLU(),
                                 nn.Linear(8, 3)),
        sample(12, 5, seed=91), sample(12, 3, seed=92),
        lambda nn, out, target: nn.functional.mse_loss(out, target),
        lambda params: ember.optim.SGD(params, lr=0.1, momentum=0.9))


def test_cnn_forward_backward_step(device):
    _train_and_compare(
        device,
        # no bias before BatchNorm: its gradient is rounding noise, which Adam would amplify
        lambda nn: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                                 nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 3, 2, stride=2),
                                 nn.Flatten(), nn.Linear(12, 3)),
        sample(6, 2, 8, 8, seed=93), ember.tensor([0, 1, 2, 2, 1, 0]),
        lambda nn, out, target: nn.functional.cross_entropy(out, target),
        lambda params: ember.optim.Adam(params, lr=1e-2))


def test_state_dict_round_trip_through_save(device, tmp_path):
    nn = needs("ember.nn")
    ember.manual_seed(0)
    model = nn.Linear(3, 2).to(device)
    path = tmp_path / "model.pt"
    ember.save(model.state_dict(), path)
    on_cpu = nn.Linear(3, 2)
    on_cpu.load_state_dict(ember.load(path, map_location="cpu"))
    x = sample(4, 3, seed=94)
    assert_same(model(x.to(device)).detach(), on_cpu(x).detach(), device)


# --- save / load ---------------------------------------------------------------------------------
def test_save_load_with_map_location(device):
    y = sample(3, 4, seed=101).to(device)
    payload = {"w": y, "i": ember.arange(5, device=device).to(ember.int32), "nested": [y.t(), 3]}
    buffer = io.BytesIO()
    ember.save(payload, buffer)

    def load(**kwargs):
        buffer.seek(0)
        return ember.load(buffer, **kwargs)

    same_place = load()  # no map_location: back where it was saved
    assert_same(same_place["w"], y.cpu(), device)
    assert_same(same_place["nested"][0], y.t().cpu(), device)
    assert same_place["nested"][1] == 3 and same_place["i"].dtype == ember.int32
    for loc in ("cpu", CPU, {str(device): "cpu"}):
        host = load(map_location=loc)
        assert host["w"].device == CPU and host["w"].tolist() == y.tolist()
        assert host["i"].device == CPU and host["i"].tolist() == [0, 1, 2, 3, 4]

    buffer = io.BytesIO()
    ember.save({"w": y.cpu()}, buffer)
    for loc in (str(device), device, {"cpu": str(device)}):
        moved = load(map_location=loc)["w"]
        assert moved.device == device and moved.tolist() == y.tolist()
