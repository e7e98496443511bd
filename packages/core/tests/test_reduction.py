"""Reductions, scans, softmax, bincount/histc: values against numpy and PyTorch 2.13,
result dtypes, layouts (non-contiguous, zero-size, 0-d), and errors."""
import math
import pickle
import warnings

import numpy as np
import pytest

import ember

NAN, INF = math.nan, math.inf


# --- helpers -------------------------------------------------------------------
def make(shape, dtype, seed=0, low=-5, high=5):
    """Random numpy data of an ember dtype name (bfloat16 data is float32)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("float16", "float32", "float64", "bfloat16"):
        return rng.uniform(low, high, shape).astype("float32" if dtype == "bfloat16" else dtype)
    lo = 0 if dtype == "uint8" else low
    return rng.integers(lo, high, shape).astype(dtype)


def pair(array, torch, dtype=None):
    """The same values as an ember tensor and a torch tensor (keeping numpy's strides)."""
    if dtype == "bfloat16":
        return (ember.tensor(array.tolist(), dtype=ember.bfloat16),
                torch.tensor(array.tolist(), dtype=torch.bfloat16))
    return ember.from_numpy(array), torch.from_numpy(array)


def layouts(shape, dtype, seed=0):
    """(name, numpy array) for a contiguous, a transposed and a sliced layout."""
    base = make(shape, dtype, seed)
    yield "contiguous", base
    yield "transposed", make(shape[::-1], dtype, seed).T
    wide = make(shape[:-1] + (shape[-1] * 2,), dtype, seed)
    yield "sliced", wide[..., ::2]


def values(t):
    """Host values of an ember or torch tensor as numpy (bfloat16 widened to float32)."""
    if isinstance(t, ember.Tensor):
        # through float32 for bfloat16: 0-d bfloat16 arrays do not survive np.asarray yet
        if t.dtype is ember.bfloat16:
            return np.array(t.tolist(), dtype=np.float32)
        return np.asarray(t)
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    return t.detach().numpy()


def same(e, t, rtol=1e-5, atol=1e-6):
    """`e` (ember) equals `t` (torch) in dtype, shape and values (NaN matching NaN)."""
    assert isinstance(e, ember.Tensor), type(e)
    assert e.dtype.name == str(t.dtype).replace("torch.", ""), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    got, want = values(e), values(t)
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                                   atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def tolerance(dtype):
    return {"float16": (2e-3, 2e-3), "bfloat16": (2e-2, 2e-2)}.get(dtype, (1e-5, 1e-5))


DIMS = [None, 0, -1, (0, 2), (-1, 0, 1)]
ALL_DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


# --- whole-dim reductions against PyTorch -------------------------------------------
def _skip_invalid(name, dtype):
    floats_only = {"mean", "nanmean", "std", "var", "norm"}
    return name in floats_only and dtype not in ("float32", "float64", "float16", "bfloat16")


@pytest.mark.parametrize("name", ["sum", "nansum", "mean", "nanmean", "amax", "amin", "all", "any",
                                  "logsumexp", "norm", "var", "std", "count_nonzero"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_match_torch(torch, name, dtype, dim, keepdim):
    if _skip_invalid(name, dtype) or (name in ("amax", "amin", "logsumexp") and dtype == "bool"):
        return
    if name == "logsumexp" and dim is None:
        dim = (0, 1, 2)
    for layout, array in layouts((3, 4, 5), dtype):
        e, t = pair(array, torch)
        if name == "count_nonzero":
            got, want = ember.count_nonzero(e, dim), torch.count_nonzero(t, dim)
        else:
            kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
            kwargs.update({"p": 2} if name == "norm" else {})
            got, want = getattr(ember, name)(e, **kwargs), getattr(torch, name)(t, **kwargs)
        same(got, want, rtol=1e-4 if name in ("var", "std") else 1e-5)
        assert e.is_contiguous() == (layout == "contiguous")


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "prod", "logsumexp", "var", "norm"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_reductions_match_torch(torch, name, dtype):
    array = make((4, 6), dtype, low=0.5, high=1.5)
    e, t = pair(array, torch, dtype)
    for dim in (0, 1):
        same(getattr(ember, name)(e, dim), getattr(torch, name)(t, dim), *tolerance(dtype))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_prod_matches_torch(torch, dtype):
    array = make((3, 4), dtype, low=-2, high=3)
    e, t = pair(array, torch)
    same(ember.prod(e), torch.prod(t))
    same(e.prod(1, keepdim=True), t.prod(1, keepdim=True))
    same(ember.prod(e.t(), -1), torch.prod(t.t(), -1))
    same(ember.prod(e, 0, dtype=ember.float64), torch.prod(t, 0, dtype=torch.float64))


def test_reductions_match_numpy():
    for layout, array in layouts((3, 4, 5), "float64"):
        e = ember.from_numpy(array)
        np.testing.assert_allclose(np.asarray(e.sum((0, 2))), array.sum((0, 2)))
        np.testing.assert_allclose(np.asarray(e.mean(-1, keepdim=True)), array.mean(-1, keepdims=True))
        np.testing.assert_allclose(np.asarray(e.var(1)), array.var(1, ddof=1))
        np.testing.assert_allclose(np.asarray(e.std(None, correction=0)), array.std())
        np.testing.assert_allclose(np.asarray(e.prod(2)), array.prod(2))
        np.testing.assert_allclose(np.asarray(e.amax((0, 1))), array.max((0, 1)))
        np.testing.assert_allclose(np.asarray(e.norm(p=3, dim=0)),
                                   (np.abs(array) ** 3).sum(0) ** (1 / 3))
        np.testing.assert_allclose(np.asarray(e.logsumexp(1)), np.log(np.exp(array).sum(1)))
        np.testing.assert_array_equal(np.asarray(e.argmax(2)), array.argmax(2))


def test_zero_size_reductions(torch):
    e, t = pair(np.zeros((0, 3), np.float32), torch)
    for name in ("sum", "nansum", "prod", "mean", "nanmean", "all", "any", "count_nonzero"):
        for dim in (None, 0, 1):
            args = () if dim is None else (dim,)
            same(getattr(ember, name)(e, *args), getattr(torch, name)(t, *args))
    same(ember.logsumexp(e, 0), torch.logsumexp(t, 0))
    same(ember.amax(e, 1), torch.amax(t, 1))
    same(ember.norm(e), torch.norm(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(ember.var(e, 0), torch.var(t, 0))


def test_zero_dim_reductions(torch):
    e, t = pair(np.array(2.5, np.float32), torch)
    for name in ("sum", "prod", "mean", "amax", "amin", "all", "any", "logsumexp", "norm"):
        args = (0,) if name == "logsumexp" else ()
        same(getattr(ember, name)(e, *args), getattr(torch, name)(t, *args))
        same(getattr(ember, name)(e, dim=0), getattr(torch, name)(t, dim=0))
        same(getattr(ember, name)(e, dim=-1, keepdim=True), getattr(torch, name)(t, dim=-1, keepdim=True))
    same(e.max(), t.max())
    same(e.argmax(), t.argmax())


def test_result_dtypes():
    ints = ember.tensor([[1, 2], [3, 4]], dtype=ember.int32)
    assert ints.sum().dtype is ember.int64
    assert ember.tensor([True, True]).sum().item() == 2
    assert ember.tensor([200, 200], dtype=ember.uint8).sum().item() == 400
    assert ints.sum(dtype=ember.int32).dtype is ember.int32
    assert ints.prod(0).dtype is ember.int64
    assert ints.amax().dtype is ember.int32
    assert ints.mean(dtype=ember.float64).item() == 2.5
    assert ember.tensor([1.0, 2.0]).sum(dtype=ember.float64).dtype is ember.float64
    assert ember.tensor([1, 0], dtype=ember.uint8).all().dtype is ember.uint8
    assert ember.tensor([1.0, 0.0]).any().dtype is ember.bool
    assert ints.logsumexp(0).dtype is ember.float32
    assert ints.count_nonzero().dtype is ember.int64
    assert ints.nansum().dtype is ember.int64


def test_dim_forms():
    t = ember.arange(24.0).reshape(2, 3, 4)
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(np.asarray(t.sum([0, 2])), a.sum((0, 2)))
    np.testing.assert_array_equal(np.asarray(t.sum(())), a.sum())  # empty list: every dim
    np.testing.assert_array_equal(np.asarray(t.sum(dim=-2, keepdim=True)), a.sum(1, keepdims=True))
    assert t.sum((0, 1, 2), keepdim=True).shape == (1, 1, 1)
    assert t.amax(dim=(-1, 0)).tolist() == [15.0, 19.0, 23.0]
    assert t.all(dim=(0, 1)).tolist() == [False, True, True, True]


def test_reduction_errors():
    t = ember.ones(2, 3)
    with pytest.raises(IndexError, match=r"sum\(\): Dimension out of range \(expected to be in "
                                         r"range of \[-2, 1\], but got 5\)"):
        t.sum(5)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        t.sum((0, -2))
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        ember.sum([1, 2])
    with pytest.raises(TypeError, match="prod\\(\\): argument 'dim' must be int, not tuple"):
        t.prod((0, 1))
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input dtype "
                                           "must be either a floating point or complex dtype. Got: Long"):
        ember.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="Optional dtype must be either a floating point or "
                                           "complex dtype. Got: Long"):
        ember.tensor([1, 2]).mean(dtype=ember.int64)
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point "
                                           "or complex dtype but got Int"):
        ember.tensor([1, 2], dtype=ember.int32).nanmean()
    empty = ember.zeros(0, 3)
    for name in ("amax", "amin", "max", "min"):
        with pytest.raises(RuntimeError, match=f"{name}\\(\\): Expected reduction dim to be "
                                               "specified for input.numel\\(\\) == 0"):
            getattr(empty, name)()
    for name in ("amax", "max", "argmax", "argmin"):
        with pytest.raises(IndexError, match=f"{name}\\(\\): Expected reduction dim 0 to have "
                                             "non-zero size"):
            getattr(empty, name)(0)
    with pytest.raises(IndexError, match="argmax\\(\\): Expected reduction dim to be specified"):
        empty.argmax()
    with pytest.raises(RuntimeError, match="argmin\\(\\): does not support bool input"):
        ember.tensor([True]).argmin()


# --- max / min / argmax / aminmax -----------------------------------------------
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_max_min_with_dim_match_torch(torch, name, dtype):
    for layout, array in layouts((4, 6, 5), dtype):
        # a small value range makes ties, where the first occurrence must win
        array = (array % 3).astype(array.dtype) if dtype != "bool" else array
        e, t = pair(array, torch)
        same(getattr(ember, name)(e), getattr(torch, name)(t))
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                got = getattr(ember, name)(e, dim, keepdim)
                want = getattr(torch, name)(t, dim, keepdim)
                assert type(got).__name__ == name and got._fields == ("values", "indices")
                same(got.values, want.values)
                same(got.indices, want.indices)
                assert got[0] is got.values and got[1] is got.indices


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
def test_argmax_argmin_match_torch(torch, name, dtype):
    for layout, array in layouts((4, 3, 5), dtype):
        array = (array % 3).astype(array.dtype)
        e, t = pair(array, torch)
        same(getattr(ember, name)(e), getattr(torch, name)(t))
        same(getattr(ember, name)(e, keepdim=True), getattr(torch, name)(t, keepdim=True))
        for dim in (0, 1, -1):
            same(getattr(e, name)(dim), getattr(t, name)(dim))
            same(getattr(e, name)(dim, True), getattr(t, name)(dim, True))


def test_nan_propagates_with_its_index(torch):
    data = [[1.0, NAN, 3.0, NAN], [2.0, 2.0, 1.0, 1.0], [NAN, 0.0, 9.0, -1.0]]
    e, t = ember.tensor(data), torch.tensor(data)
    for name in ("max", "min"):
        got, want = getattr(e, name)(1), getattr(t, name)(1)
        same(got.values, want.values)
        same(got.indices, want.indices)
        same(getattr(e, name)(), getattr(t, name)())
    for name in ("argmax", "argmin"):
        same(getattr(e, name)(1), getattr(t, name)(1))
        same(getattr(e, name)(), getattr(t, name)())
    same(e.amax(1), t.amax(1))
    same(e.amin(0), t.amin(0))


def test_max_of_two_tensors_is_maximum(torch):
    a, b = [[1.0, 5.0], [NAN, 0.0]], [3.0, 2.0]
    same(ember.max(ember.tensor(a), ember.tensor(b)), torch.max(torch.tensor(a), torch.tensor(b)))
    same(ember.tensor(a).min(ember.tensor(b)), torch.tensor(a).min(torch.tensor(b)))


def test_max_out_and_0d(torch):
    e, t = ember.tensor([[1, 7], [4, 2]]), torch.tensor([[1, 7], [4, 2]])
    values, indices = ember.empty(0, dtype=ember.int64), ember.empty(0, dtype=ember.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ember.max(e, 1, out=(values, indices))
    assert result.values is values and result.indices is indices
    assert values.tolist() == [7, 4] and indices.tolist() == [1, 0]
    with pytest.raises(TypeError, match="max\\(\\): argument 'out' must be tuple of two Tensors"):
        ember.max(e, 1, out=values)
    s = ember.tensor(3.0)
    same(s.max(0).values, torch.tensor(3.0).max(0).values)
    same(s.max(-1, True).indices, torch.tensor(3.0).max(-1, True).indices)
    with pytest.raises(IndexError, match="Dimension out of range"):
        s.max(1)
    with pytest.raises(TypeError, match="max\\(\\): argument 'dim' must be int, not tuple"):
        e.max((0, 1))


def test_aminmax(torch):
    for layout, array in layouts((3, 5), "float32"):
        e, t = pair(array, torch)
        got, want = ember.aminmax(e), torch.aminmax(t)
        assert got._fields == ("min", "max")
        same(got.min, want.min)
        same(got.max, want.max)
        got, want = e.aminmax(dim=-1, keepdim=True), t.aminmax(dim=-1, keepdim=True)
        same(got.min, want.min)
        same(got.max, want.max)
    with pytest.raises(RuntimeError, match="aminmax\\(\\): cannot compute aminmax over an empty "
                                           "dimension as the operation has no identity"):
        ember.aminmax(ember.zeros(0))


def test_return_types_behave_like_named_tuples():
    result = ember.max(ember.tensor([[1.0, 2.0]]), 1)
    assert isinstance(result, tuple) and len(result) == 2
    assert repr(result) == ("ember.return_types.max(\nvalues=tensor([2.]),\n"
                            "indices=tensor([1]))")
    assert type(result) is ember.return_types.max
    values, indices = result
    assert values.tolist() == [2.0] and indices.tolist() == [1]
    assert ember.return_types.aminmax._fields == ("min", "max")
    restored = pickle.loads(pickle.dumps(ember.return_types.sort(1, 2)))
    assert type(restored) is ember.return_types.sort and restored.indices == 2


# --- std / var --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["std", "var"])
def test_std_var_arguments_match_torch(torch, name):
    array = make((4, 5), "float64")
    e, t = pair(array, torch)
    fe, ft = getattr(ember, name), getattr(torch, name)
    same(fe(e), ft(t))
    same(fe(e, False), ft(t, False))  # legacy positional unbiased
    same(fe(e, 0, False), ft(t, 0, False))
    same(fe(e, 1, True, True), ft(t, 1, True, True))
    same(fe(e, dim=(0, 1), correction=0.5), ft(t, dim=(0, 1), correction=0.5))
    same(fe(e, dim=-1, correction=3, keepdim=True), ft(t, dim=-1, correction=3, keepdim=True))
    same(fe(e, unbiased=False), ft(t, unbiased=False))
    same(getattr(e, name)(0), getattr(t, name)(0))
    combined = getattr(ember, name + "_mean")(e, 1, keepdim=True)
    expected = getattr(torch, name + "_mean")(t, 1, keepdim=True)
    assert type(combined) is tuple and len(combined) == 2
    same(combined[0], expected[0])
    same(combined[1], expected[1])


def test_std_var_degrees_of_freedom(torch):
    with pytest.warns(UserWarning, match="var\\(\\): degrees of freedom is <= 0"):
        got = ember.var(ember.tensor([1.0]))
    assert math.isnan(got.item())
    with pytest.warns(UserWarning, match="std\\(\\): degrees of freedom is <= 0"):
        got = ember.tensor([1.0, 2.0]).std(correction=3)
    assert got.item() == INF
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when the count is enough
        ember.tensor([1.0, 2.0]).var()


def test_std_var_errors():
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex dtypes"):
        ember.tensor([1, 2]).std()
    with pytest.raises(TypeError, match="either 'unbiased' or 'correction'"):
        ember.tensor([1.0, 2.0]).var(unbiased=True, correction=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.tensor([1.0, 2.0]).var(2)


# --- logsumexp and norm -------------------------------------------------------------
def test_logsumexp_is_stable(torch):
    data = [[1000.0, 1000.0, -INF], [-INF, -INF, -INF], [INF, 1.0, -INF], [NAN, 1.0, 2.0],
            [-1000.0, -1001.0, -1002.0]]
    e, t = ember.tensor(data), torch.tensor(data)
    same(e.logsumexp(1), t.logsumexp(1))
    same(e.logsumexp(1, keepdim=True), t.logsumexp(1, keepdim=True))
    assert ember.tensor([1000.0, 1000.0]).logsumexp(0).item() == pytest.approx(1000 + math.log(2))


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 0, -1, INF, -INF, "fro"])
@pytest.mark.parametrize("norm", ["public", "reduction"])
def test_norm_matches_torch(torch, p, norm):
    # ember.norm may be the linalg family's; the reduction family's own is checked too
    from ember._ops import reduction
    norm = ember.norm if norm == "public" else reduction.norm
    data = [[1.0, -2.0, 0.0], [3.0, 0.5, -4.0]]
    for layout, array in [("list", np.array(data, np.float32)), ("transposed", np.array(data, np.float32).T)]:
        e, t = pair(array, torch)
        same(norm(e, p), torch.norm(t, p))
        same(norm(e, p, dim=1), t.norm(p, dim=1), rtol=1e-5)
        same(norm(e, p, dim=0, keepdim=True), t.norm(p, dim=0, keepdim=True))
        same(norm(e, p, dim=(0, 1)), t.norm(p, dim=(0, 1)))
        same(norm(e, p, dim=-1, dtype=ember.float64), torch.norm(t, p, dim=-1, dtype=torch.float64))
    same(norm(ember.tensor(2.0), p), torch.norm(torch.tensor(2.0), p))
    same(norm(ember.zeros(0, 2), p, dim=1), torch.norm(torch.zeros(0, 2), p, dim=1))


def test_norm_errors():
    # ember.norm may come from the linalg family; these check the reduction family's own
    from ember._ops.reduction import norm
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or complex "
                                           "tensor as input. Got Long"):
        norm(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="dtype should be floating point or complex, but got Long"):
        norm(ember.tensor([1.0]), dtype=ember.int64)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        norm(ember.zeros(2, 2, 2), dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        norm(ember.tensor([1.0]), "abc")
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        norm(ember.zeros(0), INF)
    with pytest.raises(RuntimeError, match="cannot compute the -inf norm on an empty tensor"):
        norm(ember.zeros(2, 0), -INF, dim=1)
    with pytest.raises(TypeError, match="argument 'p' must be Number or str, not list"):
        norm(ember.zeros(2), [1])
    assert norm(ember.zeros(0)).item() == 0.0


# --- scans -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cumsum_cumprod_match_torch(torch, name, dtype):
    for layout, array in layouts((3, 4, 5), dtype):
        array = array if name == "cumsum" else (array % 3).astype(array.dtype)
        e, t = pair(array, torch)
        for dim in (0, 1, -1):
            same(getattr(ember, name)(e, dim), getattr(torch, name)(t, dim))
        same(getattr(e, name)(1, dtype=ember.float64), getattr(t, name)(1, dtype=torch.float64))
    e, t = pair(np.zeros((0, 3), np.float32), torch)
    same(getattr(ember, name)(e, 1), getattr(torch, name)(t, 1))
    same(getattr(ember, name)(ember.tensor(2.0), 0), getattr(torch, name)(torch.tensor(2.0), 0))


def test_cumsum_dtype_and_out(torch):
    e = ember.tensor([[1.5, 2.5], [3.5, 4.5]])
    same(e.cumsum(0, dtype=ember.int32), torch.tensor([[1.5, 2.5], [3.5, 4.5]]).cumsum(0, dtype=torch.int32))
    out = ember.empty(2, 2)
    assert ember.cumsum(e, 1, out=out) is out
    assert out.tolist() == [[1.5, 4.0], [3.5, 8.0]]
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.tensor([1.0, 2.0]).cumsum(1)
    half = ember.tensor([0.1] * 2000, dtype=ember.float16).cumsum(0)
    assert abs(half[-1].item() - 200.0) < 0.2  # accumulated in float32, rounded once


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_cummax_cummin_match_torch(torch, name, dtype):
    for layout, array in layouts((4, 7, 3), dtype):
        array = (array % 3).astype(array.dtype) if dtype != "bool" else array  # many ties
        e, t = pair(array, torch)
        for dim in (0, 1, -1):
            got, want = getattr(ember, name)(e, dim), getattr(torch, name)(t, dim)
            assert type(got) is getattr(ember.return_types, name)
            same(got.values, want.values)
            same(got.indices, want.indices)


def test_cummax_cummin_nan(torch):
    data = [1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN, 1.0]
    for name in ("cummax", "cummin"):
        got, want = getattr(ember.tensor(data), name)(0), getattr(torch.tensor(data), name)(0)
        same(got.values, want.values)
        same(got.indices, want.indices)
    got = ember.tensor(2.0).cummax(0)
    assert got.values.item() == 2.0 and got.indices.item() == 0 and got.indices.shape == ()
    empty = ember.zeros(2, 0).cummin(1)
    assert empty.values.shape == (2, 0) and empty.indices.dtype is ember.int64


def test_logcumsumexp(torch):
    for layout, array in layouts((3, 6), "float64"):
        e, t = pair(array * 300, torch)
        same(e.logcumsumexp(1), t.logcumsumexp(1))
        same(ember.logcumsumexp(e, 0), torch.logcumsumexp(t, 0))
    data = [-INF, 1.0, -INF, INF, -1000.0]
    same(ember.tensor(data).logcumsumexp(0), torch.tensor(data).logcumsumexp(0))
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        ember.tensor([1, 2]).logcumsumexp(0)


# --- softmax -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_matches_torch(torch, name):
    for layout, array in layouts((3, 4, 5), "float32"):
        e, t = pair(array * 40, torch)
        for dim in (0, 1, -1):
            same(getattr(ember, name)(e, dim), getattr(torch, name)(t, dim))
            same(getattr(e, name)(dim), getattr(t, name)(dim))
        same(getattr(ember, name)(e, 1, dtype=ember.float64), getattr(torch, name)(t, 1, dtype=torch.float64))
    extreme = [[1000.0, 0.0, -1000.0], [-INF, -INF, -INF], [-INF, 0.0, 1.0], [INF, 0.0, 1.0]]
    same(getattr(ember, name)(ember.tensor(extreme), 1), getattr(torch, name)(torch.tensor(extreme), 1))
    same(getattr(ember, name)(ember.tensor(2.0), 0), getattr(torch, name)(torch.tensor(2.0), 0))
    same(getattr(ember, name)(ember.zeros(0, 3), 1), getattr(torch, name)(torch.zeros(0, 3), 1))
    ints = [[1, 2], [3, 5]]
    same(getattr(ember, name)(ember.tensor(ints), 1, ember.float32),
         getattr(torch, name)(torch.tensor(ints), 1, torch.float32))
    half = np.array([[1.0, 2.0, 3.0]], np.float32)
    same(getattr(ember, name)(ember.tensor(half.tolist(), dtype=ember.float16), 1),
         getattr(torch, name)(torch.tensor(half.tolist(), dtype=torch.float16), 1), 2e-3, 2e-3)
    with pytest.raises(NotImplementedError, match=f"\"{name}_kernel_impl\" not implemented for 'Long'"):
        getattr(ember, name)(ember.tensor(ints), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        getattr(ember, name)(ember.tensor([1.0]), 1)


def test_softmax_rows_sum_to_one():
    t = ember.tensor(make((5, 7), "float64", low=-50, high=50))
    np.testing.assert_allclose(np.asarray(t.softmax(1).sum(1)), np.ones(5))
    np.testing.assert_allclose(np.asarray(t.log_softmax(0).exp().sum(0)), np.ones(7))


# --- bincount and histc --------------------------------------------------------------
def test_bincount_matches_torch(torch):
    data = np.array([0, 3, 3, 1, 7, 3], np.int64)
    e, t = pair(data, torch)
    same(ember.bincount(e), torch.bincount(t))
    same(e.bincount(minlength=12), t.bincount(minlength=12))
    for wdtype in ("float32", "float64", "int64"):
        w = np.linspace(-1, 2, 6).astype(wdtype)
        same(ember.bincount(e, ember.from_numpy(w)), torch.bincount(t, torch.from_numpy(w)))
    small = np.array([2, 0, 2], np.uint8)
    same(ember.bincount(ember.from_numpy(small)), torch.bincount(torch.from_numpy(small)))
    same(ember.bincount(ember.tensor([], dtype=ember.int64), minlength=3),
         torch.bincount(torch.tensor([], dtype=torch.int64), minlength=3))
    strided = np.arange(10, dtype=np.int64)[::3]
    same(ember.bincount(ember.from_numpy(strided)), torch.bincount(torch.from_numpy(strided)))


def test_bincount_errors():
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
        ember.bincount(ember.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
        ember.bincount(ember.tensor([[1]]))
    with pytest.raises(NotImplementedError, match="\"bincount_cpu\" not implemented for 'Float'"):
        ember.bincount(ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="weights should be 1-d and have the same length as input"):
        ember.bincount(ember.tensor([1, 2]), ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="minlength should be >= 0"):
        ember.bincount(ember.tensor([1]), minlength=-1)


def test_histc_matches_torch(torch):
    for dtype in ("float32", "float64"):
        for layout, array in layouts((6, 10), dtype):
            e, t = pair(array, torch)
            same(ember.histc(e), torch.histc(t))
            same(e.histc(7), t.histc(7))
            same(ember.histc(e, 5, min=-2, max=3), torch.histc(t, 5, min=-2, max=3))
    data = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    same(ember.histc(ember.tensor(data), 5, 1, 3), torch.histc(torch.tensor(data), 5, 1, 3))
    same(ember.histc(ember.tensor([1.0, 1.0]), 3), torch.histc(torch.tensor([1.0, 1.0]), 3))
    same(ember.histc(ember.zeros(0), 3), torch.histc(torch.zeros(0), 3))


def test_histc_errors():
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Long'"):
        ember.histc(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0"):
        ember.histc(ember.tensor([1.0]), 0)
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        ember.histc(ember.tensor([1.0]), 4, min=3, max=1)
    with pytest.raises(RuntimeError, match="range of \\[1, inf\\] is not finite"):
        ember.histc(ember.tensor([1.0, INF]), 3)


# --- methods, export, out= -------------------------------------------------------------
def test_methods_and_exports():
    names = ["sum", "nansum", "prod", "mean", "nanmean", "std", "var", "max", "min", "amax", "amin",
             "aminmax", "argmax", "argmin", "all", "any", "logsumexp", "norm", "count_nonzero",
             "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "softmax", "log_softmax",
             "bincount", "histc"]
    for name in names:
        assert callable(getattr(ember, name)) and callable(getattr(ember.Tensor, name)), name
    assert callable(ember.std_mean) and callable(ember.var_mean)
    assert not hasattr(ember.Tensor, "std_mean")
    import ember.return_types as rt
    assert rt is ember.return_types


def test_reduction_out_argument():
    t = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = ember.empty(2)
    assert ember.sum(t, 0, out=out) is out and out.tolist() == [4.0, 6.0]
    before = out._version_counter.value
    ember.mean(t, 1, out=out)
    assert out.tolist() == [1.5, 3.5] and out._version_counter.value == before + 1
    idx = ember.empty(2, dtype=ember.int64)
    assert ember.argmax(t, 1, out=idx) is idx and idx.tolist() == [1, 1]
