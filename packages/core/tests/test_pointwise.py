"""Pointwise ops against numpy (always) and PyTorch (when installed), on random,
broadcast, non-contiguous and zero-size layouts."""
import math

import numpy as np
import pytest

import ember
from ember._ops.pointwise import _TABLE

RNG = np.random.default_rng(0)

# inputs inside each op's domain
DOMAIN = {"log": (0.1, 5), "log2": (0.1, 5), "log10": (0.1, 5), "log1p": (-0.5, 5), "sqrt": (0.1, 5),
          "rsqrt": (0.1, 5), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9),
          "acosh": (1.1, 5), "erfinv": (-0.9, 0.9), "reciprocal": (0.5, 3)}
NUMPY = {"neg": np.negative, "abs": np.abs, "sign": np.sign, "reciprocal": lambda a: 1 / a,
         "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
         "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda a: 1 / np.sqrt(a),
         "square": np.square, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin,
         "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
         "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
         "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "erf": np.vectorize(math.erf, otypes=[float]),
         "erfc": np.vectorize(math.erfc, otypes=[float]), "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
         "frac": lambda a: a - np.trunc(a), "relu": lambda a: np.maximum(a, 0),
         "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "signbit": np.signbit,
         "logical_not": np.logical_not}
UNARY = sorted(n for n, (rule, arity) in _TABLE.items() if arity == 1 and n in NUMPY)
BINARY_NUMPY = {"mul": np.multiply, "div": np.true_divide, "maximum": np.maximum,
                "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin, "atan2": np.arctan2,
                "hypot": np.hypot, "copysign": np.copysign, "eq": np.equal, "ne": np.not_equal,
                "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                "logical_and": np.logical_and, "logical_or": np.logical_or,
                "logical_xor": np.logical_xor, "remainder": np.remainder, "fmod": np.fmod}


def _values(shape, lo=-3.0, hi=3.0, dtype=np.float64):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def _layouts(array):
    """The same values as a contiguous, a transposed and a sliced ember tensor."""
    yield ember.tensor(array)
    if array.ndim >= 2:
        yield ember.tensor(np.ascontiguousarray(array.T)).t() if array.ndim == 2 else \
            ember.tensor(np.ascontiguousarray(array.transpose(2, 1, 0))).permute(2, 1, 0)
    padded = np.zeros(array.shape[:-1] + (array.shape[-1] * 2,), array.dtype) if array.ndim else None
    if padded is not None:
        padded[..., ::2] = array
        yield ember.tensor(padded)[..., ::2]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (0, 3), ()])
def test_unary_matches_numpy(name, shape):
    lo, hi = DOMAIN.get(name, (-3, 3))
    x = _values(shape, lo, hi)
    expected = NUMPY[name](x)
    for t in _layouts(x):
        assert t.tolist() == x.tolist()
        result = getattr(ember, name)(t)
        np.testing.assert_allclose(np.asarray(result.tolist(), dtype=float).reshape(shape),
                                   np.asarray(expected, dtype=float), rtol=1e-12, atol=1e-12)
        assert result.shape == shape


@pytest.mark.parametrize("name", sorted(BINARY_NUMPY))
def test_binary_broadcasting_matches_numpy(name):
    a, b = _values((3, 1, 4)), _values((5, 1))
    if name in ("remainder", "fmod", "div"):
        b = np.where(np.abs(b) < 0.5, 1.5, b)
    expected = BINARY_NUMPY[name](a, b)
    result = getattr(ember, name)(ember.tensor(a), ember.tensor(b))
    assert result.shape == expected.shape
    np.testing.assert_allclose(np.asarray(result.tolist(), float), expected.astype(float), rtol=1e-12)


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(torch, name):
    lo, hi = DOMAIN.get(name, (-3, 3))
    x = _values((4, 5), lo, hi, np.float32)
    expected = getattr(torch, name)(torch.from_numpy(x)).numpy()
    result = getattr(ember, name)(ember.from_numpy(x)).numpy()
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(BINARY_NUMPY))
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "float32"), ("int32", "int64"),
                                    ("uint8", "int8"), ("bool", "int16"), ("float64", "float16")])
def test_binary_promotion_matches_torch(torch, name, dtypes):
    if name == "hypot" and "float32" not in dtypes:
        pytest.skip("PyTorch has no integer hypot; ember computes it in floating point")
    a = (RNG.uniform(1, 5, (3, 4)) * 3).astype(dtypes[0])
    b = (RNG.uniform(1, 5, (4,)) * 2).astype(dtypes[1])
    tt = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    et = getattr(ember, name)(ember.from_numpy(a), ember.from_numpy(b))
    assert str(et.dtype).split(".")[1] == str(tt.dtype).split(".")[1]
    np.testing.assert_allclose(np.asarray(et.tolist(), float), np.asarray(tt.tolist(), float),
                               rtol=1e-3)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float64", "bool"])
def test_scalar_promotion_matches_torch(torch, scalar, dtype):
    a = np.arange(1, 7).reshape(2, 3).astype(dtype)
    for op in ("add", "mul", "sub", "div"):
        if op == "sub" and (dtype == "bool" or scalar is True):
            continue
        expected = getattr(torch, op)(torch.from_numpy(a), scalar)
        result = getattr(ember, op)(ember.from_numpy(a), scalar)
        assert result.dtype.name == str(expected.dtype).split(".")[1], (op, dtype, scalar)
        np.testing.assert_allclose(np.asarray(result.tolist(), float), expected.double().numpy())
        # reflected operators take the same path
        np.testing.assert_allclose(np.asarray((scalar * ember.from_numpy(a)).tolist(), float),
                                   (scalar * torch.from_numpy(a)).double().numpy())


def test_zero_dim_tensor_does_not_promote_dims_tensor():
    a = ember.tensor([1, 2], dtype=ember.int32)
    assert (a + ember.tensor(5)).dtype is ember.int32
    assert (a + ember.tensor(5.0)).dtype is ember.float32
    assert (ember.tensor([1.0], dtype=ember.float16) + ember.tensor(1.0, dtype=ember.float64)).dtype \
        is ember.float16


def test_add_sub_alpha():
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([10.0, 20.0])
    assert ember.add(a, b, alpha=2).tolist() == [21.0, 42.0]
    assert ember.sub(a, b, alpha=0.5).tolist() == [-4.0, -8.0]
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        ember.add(ember.tensor([1]), ember.tensor([2]), alpha=0.5)


def test_div_rounding_modes_match_python():
    a = ember.tensor([7, -7, 7, -7])
    b = ember.tensor([2, 2, -2, -2])
    assert ember.div(a, b).tolist() == [3.5, -3.5, -3.5, 3.5]
    assert ember.div(a, b, rounding_mode="floor").tolist() == [x // y for x, y in
                                                              zip([7, -7, 7, -7], [2, 2, -2, -2])]
    assert ember.div(a, b, rounding_mode="trunc").tolist() == [3, -3, -3, 3]
    assert (a // b).tolist() == [3, -4, -4, 3]
    assert (a % b).tolist() == [1, 1, -1, -1]
    assert ember.fmod(a, b).tolist() == [1, -1, 1, -1]
    with pytest.raises(ValueError, match="rounding_mode"):
        ember.div(a, b, rounding_mode="up")
    with pytest.raises(ZeroDivisionError):
        ember.div(a, 0, rounding_mode="floor")
    assert ember.div(ember.tensor([1.0]), 0).tolist() == [math.inf]


def test_pow_rules():
    assert (ember.tensor([1, 2, 3]) ** 2).tolist() == [1, 4, 9]
    assert (2 ** ember.tensor([1, 2])).tolist() == [2, 4]
    assert (ember.tensor([4.0]) ** 0.5).tolist() == [2.0]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ember.tensor([2]) ** -1


def test_broadcast_error_message():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        ember.ones(2, 3) + ember.ones(2, 4)


def test_inplace_ops_write_through_views_and_bump_version():
    base = ember.zeros(2, 3)
    row = base[1]
    v0 = base._version_counter.value
    row.add_(5)
    assert base.tolist() == [[0, 0, 0], [5, 5, 5]]
    assert base._version_counter.value == v0 + 1 and row._version_counter is base._version_counter
    base.mul_(2)
    assert row.tolist() == [10, 10, 10]
    x = ember.ones(3)
    x += 1
    x *= ember.tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [2.0, 4.0, 6.0]


def test_inplace_refuses_lossy_cast_and_broadcast_growth():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.tensor([1, 2]).add_(1.5)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        ember.ones(3).add_(ember.ones(2, 3))


def test_out_argument_writes_and_resizes():
    out = ember.empty(2)
    r = ember.add(ember.tensor([1.0, 2.0]), 1, out=out)
    assert r is out and out.tolist() == [2.0, 3.0]
    out = ember.empty(0)
    ember.mul(ember.ones(2, 2), 3, out=out)
    assert out.shape == (2, 2) and out.tolist() == [[3, 3], [3, 3]]
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.add(ember.ones(2), 1, out=ember.empty(2, dtype=ember.int64))
    with pytest.warns(UserWarning, match="resized"):
        ember.add(ember.ones(3), 1, out=ember.empty(2))


def test_overlapping_inplace_matches_numpy():
    a = ember.arange(6.0)
    a[1:] += a[:-1].clone()
    expected = np.arange(6.0)
    expected[1:] += expected[:-1].copy()
    assert a.tolist() == expected.tolist()
    x = ember.arange(9.0).view(3, 3)
    y = x.clone()
    with pytest.raises(RuntimeError, match="refer to a single memory location"):  # as PyTorch
        x.add_(x.t())
    assert x.tolist() == y.tolist()


def test_bad_operands_raise_type_error():
    with pytest.raises(TypeError, match="must be Tensor or Number"):
        ember.add(ember.ones(2), "a")
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.exp([1.0, 2.0])
    assert (ember.ones(2).__add__("x")) is NotImplemented


def test_bool_and_bitwise_operators():
    a, b = ember.tensor([True, False, True]), ember.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True]
    assert (~a).tolist() == [False, True, False]
    assert (~ember.tensor([0, 1])).tolist() == [-1, -2]
    assert (ember.tensor([1, 2]) << 2).tolist() == [4, 8]
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        ember.ones(2) & ember.ones(2)
    with pytest.raises(RuntimeError, match="bool"):
        -a


def test_clamp_where_lerp_addcmul():
    x = ember.tensor([-2.0, 0.5, 3.0])
    assert ember.clamp(x, min=-1, max=1).tolist() == [-1.0, 0.5, 1.0]
    assert x.clamp(min=ember.tensor([0.0, 1.0, 0.0])).tolist() == [0.0, 1.0, 3.0]
    assert ember.clamp(ember.tensor([1, 5]), min=2.5).dtype is ember.float32
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        ember.clamp(x)
    assert ember.where(x > 0, x, ember.zeros(3)).tolist() == [0.0, 0.5, 3.0]
    assert ember.where(x > 0, 1.0, 0.0).tolist() == [0.0, 1.0, 1.0]
    assert ember.lerp(ember.zeros(2), ember.ones(2) * 10, 0.25).tolist() == [2.5, 2.5]
    assert ember.addcmul(ember.ones(2), ember.tensor([2.0, 3.0]), ember.tensor([4.0, 5.0]),
                         value=0.5).tolist() == [5.0, 8.5]
    assert ember.addcdiv(ember.ones(1), ember.tensor([3.0]), ember.tensor([2.0])).tolist() == [2.5]


def test_isclose_allclose_equal_nan_to_num():
    a = ember.tensor([1.0, math.nan, math.inf])
    assert ember.isclose(a, a).tolist() == [True, False, True]
    assert ember.isclose(a, a, equal_nan=True).tolist() == [True, True, True]
    assert ember.allclose(ember.tensor([1.0]), ember.tensor([1.0 + 1e-9]))
    assert ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2]))
    assert not ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2, 3]))
    assert ember.nan_to_num(a, nan=0.0, posinf=9.0).tolist() == [1.0, 0.0, 9.0]


def test_round_half_even_and_decimals():
    assert ember.round(ember.tensor([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]
    np.testing.assert_allclose(ember.round(ember.tensor([1.2345, 2.71828]), decimals=2).tolist(),
                               [1.23, 2.72], rtol=1e-6)


def test_float16_and_bfloat16_arithmetic(torch):
    x = np.linspace(-3, 3, 11).astype(np.float32)
    for name in ("float16", "bfloat16"):
        e = ember.tensor(x).to(getattr(ember, name))
        t = torch.tensor(x).to(getattr(torch, name))
        for op in ("exp", "sigmoid", "tanh"):
            assert getattr(ember, op)(e).float().tolist() == getattr(torch, op)(t).float().tolist(), (name, op)
        assert (e * e + 1).float().tolist() == (t * t + 1).float().tolist()
        assert (e * e + 1).dtype is getattr(ember, name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [7, 1 << 18])  # the large one runs threaded in Cython
def test_threshold_backward_matches_torch(dtype, size, torch):
    from ember._ops.pointwise import threshold_backward
    rng = np.random.default_rng(size)
    y = rng.standard_normal(size).astype(dtype)
    g = rng.standard_normal(size).astype(dtype)
    y[:4], g[:4] = [np.nan, 0.0, -0.0, 0.25], [1.0, np.inf, 2.0, np.nan]
    for threshold in (0, 0.25):
        ours = threshold_backward(ember.tensor(g), ember.tensor(y), threshold)
        theirs = torch.ops.aten.threshold_backward(torch.tensor(g), torch.tensor(y), threshold)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # strided operands take the reference path
    ours = threshold_backward(ember.tensor(g)[::2], ember.tensor(y)[::2], 0)
    np.testing.assert_array_equal(ours.numpy(), np.where(y[::2] <= 0, 0, g[::2]))
