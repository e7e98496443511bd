"""The Cython kernels against the pure reference kernels, called directly on the same
arrays: Hypothesis draws shapes, dtypes, values and layouts (permuted, sliced, reversed,
broadcast, zero-size, overlapping). Integers and bools must match exactly; float
results of the same arithmetic must match exactly too, transcendental functions to a
few ulp, and sums must be at least as accurate as the reference's.

Plus a fuzz test that bad shapes, dims and indices through the public API raise Python
exceptions (never crash), and checks of the thread-count setting.
"""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from ember._kernels import make

try:
    CY = make("cython")
except ImportError:  # pure-Python install: nothing to compare
    CY = None
REF = make("pure")

pytestmark = pytest.mark.skipif(CY is None, reason="Cython kernels not built")

FLOATS = [np.float32, np.float64]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8]
NUMERIC = FLOATS + INTS
ALL = NUMERIC + [np.bool_]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True)
def _once(kernels):
    # these tests call both tables themselves: run them once, not once per table
    if kernels == "pure":
        pytest.skip("compares both kernel tables directly")


# --- drawing arrays ------------------------------------------------------------------
def _elements(dtype, lo=None, hi=None, special=True):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        width = 32 if dtype == np.float32 else 64
        lo, hi = (-1e6, 1e6) if lo is None else (lo, hi)
        finite = st.floats(lo, hi, width=width)
        if not special:
            return finite
        return finite | st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan])
    if dtype == np.bool_:
        return st.booleans()
    info = np.iinfo(dtype)
    return st.integers(max(info.min, lo) if lo is not None else info.min,
                       min(info.max, hi) if hi is not None else info.max)


@st.composite
def arrays(draw, dtype, shape, elements=None):
    """An array of `shape` in one of several memory layouts (values drawn first)."""
    elements = elements if elements is not None else _elements(dtype)
    layout = draw(st.sampled_from(["contiguous", "permuted", "strided", "reversed"]))
    nd = len(shape)
    if layout == "permuted" and nd > 1:
        perm = draw(st.permutations(range(nd)))
        base = draw(hnp.arrays(dtype, tuple(shape[p] for p in perm), elements=elements))
        return base.transpose(np.argsort(perm))
    if layout == "strided":
        base = draw(hnp.arrays(dtype, tuple(2 * s for s in shape), elements=elements))
        return base[(...,) + tuple(slice(None, None, 2) for _ in shape)]  # `...`: 0-d stays an array
    base = draw(hnp.arrays(dtype, shape, elements=elements))
    if layout == "reversed":
        return base[(...,) + tuple(slice(None, None, -1) for _ in shape)]
    return base


shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


@st.composite
def broadcast_to(draw, shape):
    """A shape that broadcasts to `shape`: leading dims dropped, some dims set to 1."""
    drop = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else s for s in shape[drop:])


def _operand(draw, dtype, shape, elements=None, allow_scalar=True):
    """An array broadcastable to `shape`, or (sometimes) a Python scalar."""
    if allow_scalar and draw(st.integers(0, 4)) == 0:
        value = draw(elements if elements is not None else _elements(dtype))
        return value.item() if isinstance(value, np.generic) else value
    return draw(arrays(dtype, draw(broadcast_to(shape)), elements))


def _run(kernels, name, out, *args, **params):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        getattr(kernels, name)(out, *args, **params)
    return out


def _out(draw, dtype, shape):
    """An output array in a random layout (its initial values do not matter)."""
    return draw(arrays(dtype, shape, _elements(dtype, special=False)))


def _both(name, out, *args, **params):
    """Run a pointwise kernel of each table on its own copy of `out` (keeping its layout).
    Where the reference raises (numpy refusing a scalar the dtype cannot hold, say), the
    Cython table must raise the same exception; the test then stops quietly."""
    out_cy, out_ref = _like(out), _like(out)
    try:
        ref = _run(REF, name, out_ref, *args, **params)
    except Exception as exc:
        with pytest.raises(type(exc)):
            _run(CY, name, out_cy, *args, **params)
        assume(False)
    return _run(CY, name, out_cy, *args, **params), ref


def _like(a):
    """An array with the values and the strides pattern of `a` (a fresh transposed copy)."""
    order = sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))
    base = np.array(a.transpose(order), order="C")
    return base.transpose(np.argsort(order).astype(np.intp))


def _same(x, y):
    assert x.dtype == y.dtype and x.shape == y.shape
    np.testing.assert_array_equal(x, y, strict=True)


def _close(x, y, ulps=4):
    assert x.dtype == y.dtype and x.shape == y.shape
    eps = np.finfo(x.dtype).eps
    np.testing.assert_allclose(x, y, rtol=ulps * eps, atol=np.finfo(x.dtype).tiny, equal_nan=True)


# --- pointwise ------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), name=st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum"]),
       dtype=st.sampled_from(ALL), shape=shapes)
def test_binary(data, name, dtype, shape):
    assume(dtype is not np.bool_ or name in ("maximum", "minimum"))
    assume(name != "div" or dtype in FLOATS)
    a = _operand(data.draw, dtype, shape, allow_scalar=False)
    b = _operand(data.draw, dtype, shape)
    params = {}
    if name in ("add", "sub") and data.draw(st.booleans()):
        params["alpha"] = data.draw(st.integers(-3, 3) if dtype in INTS else
                                    st.sampled_from([0.5, -2.0, 3]))
    cy, ref = _both(name, _out(data.draw, dtype, shape), a, b, **params)
    _same(cy, ref)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
       dtype=st.sampled_from(ALL), shape=shapes)
def test_compare(data, name, dtype, shape):
    small = _elements(dtype, -3, 3)  # small values: plenty of equal pairs
    a = _operand(data.draw, dtype, shape, small if dtype is not np.bool_ else None)
    b = _operand(data.draw, dtype, shape, small if dtype is not np.bool_ else None,
                 allow_scalar=not np.isscalar(a))
    cy, ref = _both(name, _out(data.draw, np.bool_, shape), a, b)
    _same(cy, ref)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(["neg", "relu", "sqrt", "exp", "log", "tanh", "sigmoid"]),
       dtype=st.sampled_from(NUMERIC), shape=shapes)
def test_unary(data, name, dtype, shape):
    assume(name in ("neg", "relu") or dtype in FLOATS)
    elements = _elements(dtype, -100, 100) if name in ("exp", "sigmoid", "tanh") else None
    a = data.draw(arrays(dtype, data.draw(broadcast_to(shape)), elements))
    cy, ref = _both(name, _out(data.draw, dtype, shape), a)
    if name in ("exp", "log", "tanh", "sigmoid"):
        _close(cy, ref)  # numpy's own loops: exact in practice, a few ulp allowed
    else:
        _same(cy, ref)


def _same_signs(x, y):
    """Also the sign of zeros (assert_array_equal takes -0.0 == 0.0)."""
    _same(x, y)
    if x.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(x), np.signbit(y))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC), shape=shapes)
def test_relu_keeps_nan_and_signed_zeros(data, dtype, shape):
    a = data.draw(arrays(dtype, shape, _elements(dtype, -2, 2)))
    _same_signs(*_both("relu", _out(data.draw, dtype, shape), a))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC), shape=shapes)
def test_clamp(data, dtype, shape):
    bound = _elements(dtype, -50, 50, special=False)
    if dtype in FLOATS:
        bound = bound | st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf])
    lo = data.draw(st.none() | bound)
    hi = data.draw(bound) if lo is None else data.draw(st.none() | bound)
    lo, hi = (v.item() if isinstance(v, np.generic) else v for v in (lo, hi))
    a = data.draw(arrays(dtype, shape))
    cy, ref = _both("clamp", _out(data.draw, dtype, shape), a, min=lo, max=hi)
    _same_signs(cy, ref)


def _ulps(got, x):
    """Distance of float32 results `got` from the exact exp(x), in units of the last place
    of the correctly rounded result (inf must be exactly inf)."""
    exact = np.exp(x.astype(np.float64))
    rounded = exact.astype(np.float32)
    finite = np.isfinite(rounded)
    assert np.array_equal(got[~finite], rounded[~finite], equal_nan=True)
    return np.abs(got[finite] - exact[finite]) / np.spacing(np.abs(rounded[finite]))


def test_exp_float32_accuracy():
    """Within 1.05 ulp of the exact exp (1.014 at worst over all 2^32 inputs), on a sample
    of every exponent, subnormal results, the overflow and underflow thresholds and the
    special values."""
    bits = np.arange(0, 2**32, 1021, dtype=np.uint64).astype(np.uint32)  # all exponents
    x = np.concatenate([
        bits.view(np.float32),
        np.linspace(-104.5, -85, 200_001, dtype=np.float32),  # subnormal results, underflow
        np.linspace(85, 89.5, 100_001, dtype=np.float32),     # overflow
        np.linspace(-1, 1, 100_001, dtype=np.float32),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 88.72283, 88.72284, -103.97208,
                  -103.97209, np.finfo(np.float32).tiny, -np.finfo(np.float32).smallest_subnormal],
                 np.float32)])
    got = np.empty_like(x)
    with np.errstate(all="ignore"):
        CY.exp(got, x)
        assert _ulps(got, x).max() <= 1.05
    assert np.isnan(got[np.isnan(x)]).all() and got[x == -np.inf].tolist() == [0.0]


def test_exp_float32_row_ends():
    """Rows of every length up to three vectors, at every float offset within a cache line:
    the vector loops' remainders (masked in the AVX-512 loop) compute every element and
    write nothing past the row."""
    x = np.random.default_rng(3).uniform(-90, 90, 80).astype(np.float32)
    for start in range(16):
        for n in range(49):
            got = np.full(80, 7.0, np.float32)
            CY.exp(got[start:start + n], x[start:start + n])
            with np.errstate(all="ignore"):
                assert _ulps(got[start:start + n], x[start:start + n]).max(initial=0) <= 1.05
            assert (got[:start] == 7).all() and (got[start + n:] == 7).all(), (start, n)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC), shape=shapes,
       threshold=st.sampled_from([0, 0.5, -1, -0.0, np.nan]))
def test_threshold_backward(data, dtype, shape, threshold):
    assume(dtype in FLOATS or threshold in (0, -1))
    grad = _operand(data.draw, dtype, shape)
    output = _operand(data.draw, dtype, shape, _elements(dtype, -2, 2))  # ties with the threshold
    cy, ref = _both("threshold_backward", _out(data.draw, dtype, shape), grad, output, threshold)
    _same_signs(cy, ref)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=shapes)
def test_where(data, dtype, shape):
    cond = _operand(data.draw, np.bool_, shape, allow_scalar=False)
    a = _operand(data.draw, dtype, shape)
    b = _operand(data.draw, dtype, shape, allow_scalar=not np.isscalar(a))  # as the front end
    cy, ref = _both("where", _out(data.draw, dtype, shape), cond, a, b)
    _same(cy, ref)


@SETTINGS
@given(data=st.data(), src=st.sampled_from(ALL), dst=st.sampled_from(ALL), shape=shapes)
def test_copy_casts(data, src, dst, shape):
    # float -> int is only defined (in C and in numpy) for values in the target's range
    if np.dtype(src).kind == "f" and np.dtype(dst).kind in "iu":
        elements = _elements(src, 0 if dst == np.uint8 else -100, 100, special=False)
    else:
        elements = None
    a = _operand(data.draw, src, shape, elements, allow_scalar=False)
    cy, ref = _both("copy", _out(data.draw, dst, shape), a)
    _same(cy, ref)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=shapes)
def test_fill_and_contiguous(data, dtype, shape):
    value = data.draw(_elements(dtype, -100, 100))
    value = value.item() if isinstance(value, np.generic) else value
    cy, ref = _both("fill", _out(data.draw, dtype, shape), value)
    _same(cy, ref)
    a = data.draw(arrays(dtype, shape))
    result = CY.contiguous(a)
    assert result.flags.c_contiguous
    _same(result, REF.contiguous(a))


@SETTINGS
@given(data=st.data(), name=st.sampled_from(["add", "mul", "maximum", "neg", "copy", "sigmoid",
                                             "threshold_backward"]),
       dtype=st.sampled_from([np.float32, np.int32]), n=st.integers(2, 40),
       shift=st.integers(-3, 3))
def test_output_overlapping_input(data, name, dtype, n, shift):
    """`out` and an input share memory: same view (in place), shifted, or transposed."""
    assume(name != "sigmoid" or dtype is np.float32)
    base = data.draw(hnp.arrays(dtype, 2 * n + 8, elements=_elements(dtype, -50, 50, special=False)))
    kind = data.draw(st.sampled_from(["same", "shifted", "transposed"]))

    def views(buffer):
        if kind == "transposed":
            square = buffer[:9].reshape(3, 3)
            return square, square.T
        a = buffer[4:4 + n]
        out = a if kind == "same" else buffer[4 + shift:4 + shift + n]
        return out, a

    results = []
    for kernels in (CY, REF):
        buffer = base.copy()
        out, a = views(buffer)
        args = {"add": (a, a[::-1]), "mul": (a, 3), "maximum": (a, a), "neg": (a,),
                "copy": (a,), "sigmoid": (a,), "threshold_backward": (a[::-1], a, 1)}[name]
        _run(kernels, name, out, *args)
        results.append(buffer)
    _same(*results)


# --- reductions -------------------------------------------------------------------------
@st.composite
def reduction_case(draw, dtypes):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6))
    dims = tuple(sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
    a = draw(arrays(dtype, shape, _elements(dtype, -1000, 1000, special=False)))
    return a, dims, draw(st.booleans())


def _exact_sum(a, dims, keepdim):
    return np.sum(a.astype(np.longdouble), axis=dims, keepdims=keepdim)


def _as_accurate(name, a, dims, keepdim):
    """The Cython sum (or mean) is as accurate as the reference's: its largest error
    against an extended-precision sum is within four times the reference's largest error,
    beyond twice the rounding of each result (numpy's pairwise sum is sometimes lucky by
    a small factor, and by how much differs between numpy versions)."""
    cy, ref = getattr(CY, name)(a, dims, keepdim), getattr(REF, name)(a, dims, keepdim)
    assert cy.dtype == a.dtype and cy.shape == np.shape(ref)
    exact = _exact_sum(a, dims, keepdim)
    if name == "mean":
        exact = exact / (a.size // max(exact.size, 1))
    eps, tiny = np.finfo(a.dtype).eps, np.finfo(a.dtype).tiny
    err_cy, err_ref = np.abs(cy - exact), np.abs(ref - exact)
    assert np.max(err_cy - 2 * eps * np.abs(exact)) <= 4 * np.max(err_ref) + tiny, (err_cy, err_ref)
    return cy


@SETTINGS
@given(case=reduction_case(FLOATS), name=st.sampled_from(["sum", "mean"]))
def test_float_sums_as_accurate_as_reference(case, name):
    _as_accurate(name, *case)


def test_float32_sum_over_outer_dims_found_by_hypothesis():
    """30 equal float32 values summed over dims whose kept dim is innermost with stride 2:
    staged in float32 one row at a time, the sum drifted 5 ulp (past the bound above)."""
    a = np.full((3, 5, 2, 2), 1.7547816, np.float32).transpose(0, 3, 2, 1)
    assert a.strides == (80, 4, 8, 16)
    _as_accurate("sum", a, (0, 1, 3), False)


@SETTINGS
@given(case=reduction_case(NUMERIC), name=st.sampled_from(["sum", "amax", "amin"]))
def test_exact_reductions(case, name):
    a, dims, keepdim = case
    assume(name != "sum" or a.dtype.kind != "f")  # float sums: see the accuracy test
    _same(np.asarray(getattr(CY, name)(a, dims, keepdim)),
          np.asarray(getattr(REF, name)(a, dims, keepdim)))


@SETTINGS
@given(case=reduction_case(FLOATS), name=st.sampled_from(["amax", "amin"]), data=st.data())
def test_extremes_propagate_nan(case, name, data):
    a, dims, keepdim = case
    a = a.copy()
    flat = a.reshape(-1)
    for i in data.draw(st.sets(st.integers(0, flat.size - 1), max_size=3)):
        flat[i] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    _same(np.asarray(getattr(CY, name)(a, dims, keepdim)),
          np.asarray(getattr(REF, name)(a, dims, keepdim)))


@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_large_reductions_parallel_and_deterministic(dims, dtype):
    rng = np.random.default_rng(1)
    # above the parallel threshold; 703 rows: ten blocks of 64, then 63 (15 fours and a 3)
    a = (rng.standard_normal((703, 300)) * 100).astype(dtype)
    saved = ember.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            ember.set_num_threads(threads)
            results.append(CY.sum(a, dims, False))
        for r in results[1:]:
            _same(r, results[0])  # fixed chunking: the thread count never changes a sum
    finally:
        ember.set_num_threads(saved)
    if dtype is np.int64:
        _same(results[0], _exact_sum(a, dims, False).astype(np.int64))
    else:
        _same(results[0], _as_accurate("sum", a, dims, False))
    _same(CY.amax(a, dims, True), REF.amax(a, dims, True))


def test_large_pointwise_matches_on_every_thread_count():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((300, 500)).astype(np.float32)
    b = rng.standard_normal(500).astype(np.float32)
    ref = np.empty_like(a)
    REF.add(ref, a, b, alpha=2)
    saved = ember.get_num_threads()
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            out = np.empty_like(a)
            CY.add(out, a, b, alpha=2)
            _same(out, ref)
            out_t = np.empty((500, 300), np.float32).T  # a transposed output
            CY.add(out_t, a, b, alpha=2)
            _same(out_t, ref)
            CY.exp(out, a)
            CY.exp(out_t, a)
            _same(out_t, out)
            _close(out, np.exp(a))
            CY.threshold_backward(out_t, a, b, 0.5)  # a broadcast operand
            _same(out_t, np.where(b <= 0.5, 0, a))
    finally:
        ember.set_num_threads(saved)


# --- index ops ----------------------------------------------------------------------------
index_shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)


def _indices(draw, shape, high):
    """An int64 index array of `shape` in a random layout, values in [0, high) (few
    distinct values, so that writes repeat)."""
    return draw(arrays(np.int64, shape, st.integers(0, max(high - 1, 0))))


def _index_case(draw, shape, along):
    """(dim, index shape): the index is no larger than `shape` outside `dim` and has
    `along` elements along it (none where `shape` has none)."""
    dim = draw(st.integers(0, len(shape) - 1))
    ishape = [draw(st.integers(0, s)) for s in shape]
    ishape[dim] = along if shape[dim] else 0
    return dim, tuple(ishape)


def _write_both(name, out, *args, **params):
    """Run a write kernel of each table on its own copy of `out` (its layout kept)."""
    out_cy, out_ref = _like(out), _like(out)
    getattr(REF, name)(out_ref, *args, **params)
    getattr(CY, name)(out_cy, *args, **params)
    _same(out_cy, out_ref)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=index_shapes, along=st.integers(0, 6))
def test_gather_and_index_select(data, dtype, shape, along):
    a = data.draw(arrays(dtype, shape))
    dim, ishape = _index_case(data.draw, shape, along)
    index = _indices(data.draw, ishape, shape[dim])
    _same(CY.gather(a, index, dim), REF.gather(a, index, dim))
    vector = _indices(data.draw, (ishape[dim],), shape[dim])
    _same(CY.index_select(a, vector, dim), REF.index_select(a, vector, dim))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=index_shapes, along=st.integers(0, 6),
       reduce=st.sampled_from([None, "add", "multiply"]))
def test_scatter(data, dtype, shape, along, reduce):
    assume(reduce is None or dtype is not np.bool_)
    small = _elements(dtype, -3, 3)  # products stay small enough to compare exactly
    out = _out(data.draw, dtype, shape)
    dim, ishape = _index_case(data.draw, shape, along)
    index = _indices(data.draw, ishape, shape[dim])
    if reduce is None:  # which of two writes to one place wins is unspecified: no repeats
        assume(ishape[dim] <= shape[dim])
        order = np.argsort(data.draw(arrays(np.float64, ishape[:dim] + (shape[dim],) + ishape[dim + 1:],
                                            st.floats(0, 1))), axis=dim, kind="stable")
        index = order.take(np.arange(ishape[dim]), dim)
    bigger = tuple(s + data.draw(st.integers(0, 1)) for s in ishape)  # src may be larger
    src = data.draw(arrays(dtype, bigger, small))
    _write_both("scatter_", out, index, src, dim, reduce)
    value = data.draw(small)
    _write_both("scatter_", out, index, value.item() if isinstance(value, np.generic) else value,
                dim, reduce)
    if reduce is None and dtype is not np.bool_:
        _write_both("scatter_add_", out, _indices(data.draw, ishape, shape[dim]), src, dim)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=index_shapes, along=st.integers(0, 6))
def test_index_add_copy_fill(data, dtype, shape, along):
    out = _out(data.draw, dtype, shape)
    dim = data.draw(st.integers(0, len(shape) - 1))
    n = along if shape[dim] else 0
    index = _indices(data.draw, (n,), shape[dim])
    sshape = shape[:dim] + (n,) + shape[dim + 1:]
    source = data.draw(arrays(dtype, sshape, _elements(dtype, -100, 100)))
    if dtype is not np.bool_:
        alpha = data.draw(st.sampled_from([1, 2, -3 if dtype != np.uint8 else 3]) if dtype in INTS else
                          st.sampled_from([1, 0.5, -2.0]))
        _write_both("index_add_", out, index, source, dim, alpha)
    distinct = np.unique(index)  # which source slice a repeated index copies is unspecified
    _write_both("index_copy_", out, distinct, source.take(np.arange(len(distinct)), dim), dim)
    value = data.draw(_elements(dtype, -100, 100))
    _write_both("index_fill_", out, index, value.item() if isinstance(value, np.generic) else value,
                dim)



@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=index_shapes,
       bshape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4),
       accumulate=st.booleans())
def test_index_put(data, dtype, shape, bshape, accumulate):
    """Index arrays (broadcast together, adjacent or apart, in random layouts, with
    repeats) at some dims, slice(None) at the others; values broadcast or a scalar."""
    dims = sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1)))
    assume(all(shape[d] for d in dims))  # no valid index into an empty dim
    key = tuple(_indices(data.draw, data.draw(broadcast_to(bshape)), shape[d]) if d in dims
                else slice(None) for d in range(dims[-1] + 1))
    shape_of_values = REF.index(np.empty(shape, np.int8), key).shape
    values = _operand(data.draw, dtype, shape_of_values, _elements(dtype, -100, 100))
    _write_both("index_put_", _out(data.draw, dtype, shape), values, key, accumulate)

@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=index_shapes)
def test_masked_ops(data, dtype, shape):
    a = data.draw(arrays(dtype, shape))
    mask = data.draw(arrays(np.bool_, shape))
    _same(CY.masked_select(a, mask), REF.masked_select(a, mask))
    source = data.draw(arrays(dtype, (int(mask.sum()) + data.draw(st.integers(0, 3)),)))
    _write_both("masked_scatter_", _out(data.draw, dtype, shape), mask, source)
    value = data.draw(_elements(dtype, -100, 100))
    _write_both("masked_fill_", _out(data.draw, dtype, shape), mask,
                value.item() if isinstance(value, np.generic) else value)


def test_large_index_writes_match_on_every_thread_count():
    """Above the parallel threshold, with many repeated indices: the same result (the
    reference's) whatever the thread count."""
    rng = np.random.default_rng(4)
    out = rng.standard_normal((300, 400)).astype(np.float32)
    src = rng.standard_normal((300, 400)).astype(np.float32)
    saved = ember.get_num_threads()
    try:
        for dim in (0, 1):
            index = rng.integers(0, 5, (300, 400))
            vector = rng.integers(0, 5, out.shape[dim])
            for threads in (1, 2):
                ember.set_num_threads(threads)
                _write_both("scatter_", out, index, src, dim)
                _write_both("scatter_add_", out, index, src, dim)
                _write_both("index_add_", out, vector, src, dim, 0.5)
                _same(CY.gather(src, index, dim), REF.gather(src, index, dim))
                mask = src > 0
                _same(CY.masked_select(src, mask), REF.masked_select(src, mask))
                _write_both("masked_scatter_", out, mask, src.reshape(-1))
                places = rng.integers(0, out.shape[dim], 1000)  # index_put_ along dim
                key = (slice(None),) * dim + (places,)
                values = rng.standard_normal(REF.index(out, key).shape).astype(np.float32)
                _write_both("index_put_", out, values, key, False)
                _write_both("index_put_", out, values, key, True)
    finally:
        ember.set_num_threads(saved)


# --- scans and softmax ------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(ALL), shape=index_shapes,
       name=st.sampled_from(["cumsum", "cumprod", "cummax", "cummin"]))
def test_scans(data, dtype, shape, name):
    assume(dtype is not np.bool_ or name in ("cummax", "cummin"))
    small = _elements(dtype, -3, 3) if name == "cumprod" or name.startswith("cumm") else None
    a = data.draw(arrays(dtype, shape, small))
    dim = data.draw(st.integers(0, len(shape) - 1))
    cy, ref = getattr(CY, name)(a, dim=dim), getattr(REF, name)(a, dim=dim)
    for x, y in zip(cy, ref) if name.startswith("cumm") else [(cy, ref)]:
        _same(x, y)


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS),
       shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=40),
       name=st.sampled_from(["softmax", "log_softmax"]), spread=st.sampled_from([1, 30, 1e4]))
def test_softmax_as_accurate_as_reference(data, dtype, shape, name, spread):
    assume(np.prod(shape) <= 5000)
    a = data.draw(arrays(dtype, shape, _elements(dtype, -spread, spread)))
    dim = data.draw(st.integers(0, len(shape) - 1))
    with np.errstate(all="ignore"):
        cy, ref = getattr(CY, name)(a, dim=dim), getattr(REF, name)(a, dim=dim)
        exact = getattr(REF, name)(a.astype(np.longdouble), dim=dim)
    assert cy.dtype == ref.dtype and cy.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(cy), np.isnan(ref))
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(cy[~finite], ref[~finite])
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    err_cy, err_ref = (np.abs(r[finite] - exact[finite]) for r in (cy, ref))
    # log_softmax: x - max - log(sum); a relative error d of the sum is an absolute error d
    # of its log, whatever the size of the result (hence the 1)
    scale = np.abs(exact[finite]) + (np.abs(a[finite]) + 1 if name == "log_softmax" else 0)
    # a few roundings, plus the row sum's: about log2(n) roundings whatever its order
    ulps = 4 + np.log2(max(a.shape[dim], 1))
    assert np.all(err_cy <= 2 * err_ref + ulps * eps * scale + tiny), (err_cy, err_ref)


def test_large_softmax_matches_on_every_thread_count():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((700, 300)).astype(np.float32) * 10
    saved = ember.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            ember.set_num_threads(threads)
            results.append([CY.softmax(a, dim=d) for d in (0, 1)] + [CY.log_softmax(a, dim=1)])
        for x, y in zip(*results):
            _same(x, y)
        np.testing.assert_allclose(results[0][1], REF.softmax(a, dim=1), rtol=1e-6, atol=1e-12)
    finally:
        ember.set_num_threads(saved)


_INDEX_OPS = {
    "gather": lambda lib, x, d, i, s, m: lib.gather(x, d, i),
    "index_select": lambda lib, x, d, i, s, m: lib.index_select(x, d, i),
    "scatter": lambda lib, x, d, i, s, m: x.scatter(d, i, s),
    "scatter value": lambda lib, x, d, i, s, m: x.scatter(d, i, 2.5),
    "scatter_add": lambda lib, x, d, i, s, m: x.scatter_add(d, i, s),
    "index_add": lambda lib, x, d, i, s, m: x.index_add(d, i, s, alpha=2),
    "index_copy": lambda lib, x, d, i, s, m: x.index_copy(d, i, s),
    "index_fill": lambda lib, x, d, i, s, m: x.index_fill(d, i, -1.0),
    "index_put": lambda lib, x, d, i, s, m: x.index_put((i,), s),
    "masked_fill": lambda lib, x, d, i, s, m: x.masked_fill(m, 4.0),
    "masked_select": lambda lib, x, d, i, s, m: x.masked_select(m),
    "masked_scatter": lambda lib, x, d, i, s, m: x.masked_scatter(m, s),
    "cumsum": lambda lib, x, d, i, s, m: x.cumsum(d),
    "cummax": lambda lib, x, d, i, s, m: x.cummax(d)[1],
    "softmax": lambda lib, x, d, i, s, m: x.softmax(d),
}
_small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(sorted(_INDEX_OPS)), shape=_small_shapes, dim=st.integers(-4, 4),
       ishape=_small_shapes, idtype=st.sampled_from(["int64", "int32", "float32", "bool"]),
       sshape=_small_shapes, mshape=_small_shapes, data=st.data())
def test_fuzz_index_ops_raise_where_torch_does(torch, op, shape, dim, ishape, idtype, sshape,
                                               mshape, data):
    """Bad indices (out of range, negative, wrong dtype), shapes and dims thrown at every
    index op through the public API: a Python exception from the front end where PyTorch
    refuses; where both accept, the same values. (ember may refuse more: PyTorch lets
    some malformed arguments through when a tensor is empty.)"""
    index = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(-5, 5))).astype(idtype)
    mask = data.draw(hnp.arrays(np.bool_, mshape))
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    src = -np.arange(1, np.prod(sshape) + 1, dtype=np.float32).reshape(sshape)
    fn = _INDEX_OPS[op]
    try:
        expected = fn(torch, *(torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v
                               for v in (x, dim, index, src, mask)))
    except Exception:  # noqa: BLE001 -- any refusal by PyTorch
        expected = None
    try:
        got = fn(ember, *(ember.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v
                          for v in (x, dim, index, src, mask)))
    except (IndexError, RuntimeError, TypeError, ValueError):
        return
    assert expected is not None, f"{op}: ember accepted what PyTorch refuses"
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)  # softmax: to an ulp


# --- threads -------------------------------------------------------------------------------
def test_set_num_threads_changes_parallel_team():
    from ember._kernels import _cy
    if not _cy.OPENMP:
        pytest.skip("built without OpenMP")
    saved = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1 and _cy.team_size(10 ** 7) == 1
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2 and _cy.team_size(10 ** 7) == 2
        assert _cy.team_size(100) == 1  # small work stays on one thread
    finally:
        ember.set_num_threads(saved)


@pytest.mark.parametrize("bad, message", [(0, "positive integer"), (-2, "positive integer"),
                                          (1.5, "expects an int"), ("2", "expects an int")])
def test_set_num_threads_rejects_bad_values(bad, message):
    with pytest.raises(RuntimeError, match=message):
        ember.set_num_threads(bad)


def test_set_num_threads_matches_torch(torch):
    saved_torch, saved = torch.get_num_threads(), ember.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ember.set_num_threads(n)
            assert ember.get_num_threads() == torch.get_num_threads() == n
    finally:
        torch.set_num_threads(saved_torch)
        ember.set_num_threads(saved)


# --- fallbacks and the public API -------------------------------------------------------------
def test_uncovered_cases_fall_back_to_the_reference():
    half = np.arange(6, dtype=np.float16).reshape(2, 3)
    out = np.empty((2, 3), np.float16)
    CY.add(out, half, half)
    _same(out, half + half)
    out8 = np.empty(3, np.int8)
    with pytest.raises(OverflowError):  # numpy's error for a scalar the dtype cannot hold
        CY.add(out8, np.arange(3, dtype=np.int8), 300)
    with pytest.raises(RuntimeError, match="Subtraction"):
        CY.sub(np.empty(2, bool), np.ones(2, bool), np.ones(2, bool))
    _same(CY.sum(np.ones((0, 3), np.float32), (0,), False), np.zeros(3, np.float32))
    expanded = np.broadcast_to(np.zeros(3, np.float32), (2, 3))  # read-only, overlapping rows
    with pytest.raises(ValueError, match="read-only"):
        CY.add(expanded, expanded, 1.0)


def test_public_api_through_cython_matches_torch(torch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 33)).astype(np.float32)
    y = rng.standard_normal(33).astype(np.float32)
    ex, ey = ember.tensor(x), ember.tensor(y)
    tx, ty = torch.tensor(x), torch.tensor(y)
    pairs = [(ember.add(ex, ey, alpha=2), torch.add(tx, ty, alpha=2)),
             (ember.sigmoid(ex.t()), torch.sigmoid(tx.t())),
             (ember.clamp(ex, -0.5, 0.5), torch.clamp(tx, -0.5, 0.5)),
             (ex.sum(dim=0), tx.sum(dim=0)), (ex.amax(dim=1), tx.amax(dim=1)),
             (ember.where(ex > 0, ex, ey), torch.where(tx > 0, tx, ty))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    out = ember.empty(64, 33)
    version = out._version
    assert ember.mul(ex, ey, out=out) is out  # written in place by the kernel
    np.testing.assert_array_equal(out.numpy(), (tx * ty).numpy())
    assert out._version > version


@settings(max_examples=80, deadline=None)
@given(s1=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       s2=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       dim=st.integers(-5, 5), index=st.integers(-6, 6))
def test_fuzz_bad_shapes_dims_and_indices_raise(s1, s2, dim, index):
    """Bad input reaches Python exceptions in the front ends, never a kernel crash."""
    a, b = ember.ones(*s1), ember.ones(*s2)
    try:
        np.broadcast_shapes(s1, s2)
    except ValueError:
        with pytest.raises(RuntimeError, match="must match the size"):
            ember.add(a, b)
        with pytest.raises(RuntimeError):
            ember.where(a > 0, a, b)
    else:
        assert tuple(ember.add(a, b).shape) == np.broadcast_shapes(s1, s2)
    n = max(a.ndim, 1)
    if -n <= dim < n:
        assert tuple(a.sum(dim=dim).shape) == np.sum(np.ones(s1), axis=dim % n if s1 else None).shape
    else:
        with pytest.raises(IndexError, match="Dimension out of range"):
            a.sum(dim=dim)
        with pytest.raises(IndexError, match="Dimension out of range"):
            a.amax(dim=dim)
    if a.ndim and hasattr(ember, "index_select"):
        idx = ember.tensor([index])
        d = dim % a.ndim if -n <= dim < n else 0
        if -a.shape[d] <= index < a.shape[d] and index >= 0:
            ember.index_select(a, d, idx)
        else:
            with pytest.raises((IndexError, RuntimeError)):
                ember.index_select(a, d, idx)


# --- losses ----------------------------------------------------------------------------
def _layout(data, a):
    """`a` as drawn: contiguous, transposed (same values, other strides) or a strided slice."""
    kind = data.draw(st.sampled_from(["contiguous", "transposed", "sliced"]))
    if kind == "transposed" and a.ndim > 1:
        return np.ascontiguousarray(a.T).T
    if kind == "sliced":
        return np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a
    return a


def _loss_close(cy, ref, dtype):
    tol = 2e-5 if dtype == np.float32 else 1e-12
    scale = np.max(np.abs(ref)) if np.size(ref) else 1.0
    np.testing.assert_allclose(cy, ref, rtol=tol, atol=tol * (1 + scale) * max(np.size(ref), 1))
    assert np.asarray(cy).dtype == np.asarray(ref).dtype and np.shape(cy) == np.shape(ref)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(["mse_loss", "huber_loss", "smooth_l1_loss",
                                             "binary_cross_entropy",
                                             "binary_cross_entropy_with_logits"]),
       dtype=st.sampled_from(FLOATS), target_dtype=st.sampled_from(FLOATS),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
       reduction=st.sampled_from(["none", "mean", "sum"]))
def test_elementwise_losses(data, name, dtype, target_dtype, shape, reduction):
    probabilities = name == "binary_cross_entropy"
    lo, hi = (0.0, 1.0) if probabilities else (-1e3, 1e3)
    x = _layout(data, data.draw(hnp.arrays(dtype, shape, elements=_elements(dtype, lo, hi, False))))
    t = data.draw(hnp.arrays(target_dtype, shape, elements=_elements(target_dtype, 0.0, 1.0, False)))
    t = _layout(data, t)
    args, params = [x, t], {"reduction": reduction}
    if name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        # a weight of the input's shape, of its trailing dims, broadcast along rows, or none
        for _ in range(1 if probabilities else 2):
            w_shape = data.draw(st.sampled_from([None, shape, shape[-1:], shape[:1] + (1,) * (len(shape) - 1)]))
            args.append(None if w_shape is None else data.draw(
                hnp.arrays(dtype, w_shape, elements=_elements(dtype, 0.0, 3.0, False))))
    elif name != "mse_loss":
        params["delta" if name == "huber_loss" else "beta"] = data.draw(st.sampled_from([0.5, 1.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cy, ref = getattr(CY, name)(*args, **params), getattr(REF, name)(*args, **params)
    _loss_close(cy, ref, np.result_type(dtype, target_dtype))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOATS),
       shape=st.sampled_from([(5,), (1, 4), (6, 3), (3, 4, 2, 2)]),
       weighted=st.booleans(), ignore_index=st.sampled_from([-100, 1]),
       reduction=st.sampled_from(["none", "mean", "sum"]))
def test_nll_loss_and_its_backward(data, dtype, shape, weighted, ignore_index, reduction):
    x = _layout(data, data.draw(hnp.arrays(dtype, shape, elements=_elements(dtype, -50, 0, False))))
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = data.draw(hnp.arrays(np.int64, target_shape,
                                  elements=st.integers(0, n_classes - 1) | st.just(ignore_index)))
    weight = data.draw(hnp.arrays(dtype, n_classes, elements=_elements(dtype, 0.0, 2.0, False))) \
        if weighted else None
    for classes in (n_classes, n_classes - 1):  # the front end's check: the first bad target
        assert CY.bad_class_target(target, classes, ignore_index) == \
            REF.bad_class_target(target, classes, ignore_index)
    params = {"reduction": reduction, "ignore_index": ignore_index}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when every target is ignored
        loss = CY.nll_loss(x, target, weight, **params)
        _loss_close(loss, REF.nll_loss(x, target, weight, **params), dtype)
        grad = data.draw(hnp.arrays(dtype, np.shape(loss), elements=_elements(dtype, -2, 2, False)))
        _loss_close(CY.nll_loss_backward(grad, x, target, weight, **params),
               REF.nll_loss_backward(grad, x, target, weight, **params), dtype)


def test_nll_loss_backward_with_a_subnormal_total_weight():
    # 1 / 2.2e-313 overflows: the mean's gradient must divide by the total weight instead
    x, target = np.zeros((1, 4)), np.array([0])
    weight, grad = np.full(4, 2.2250738585e-313), np.array(0.0)
    params = {"reduction": "mean", "ignore_index": -100}
    got = CY.nll_loss_backward(grad, x, target, weight, **params)
    np.testing.assert_array_equal(got, REF.nll_loss_backward(grad, x, target, weight, **params))
    assert not np.isnan(got).any()
