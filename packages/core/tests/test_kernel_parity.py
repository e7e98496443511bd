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


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC), shape=shapes)
def test_clamp(data, dtype, shape):
    bound = _elements(dtype, -50, 50, special=False)
    lo = data.draw(st.none() | bound)
    hi = data.draw(bound) if lo is None else data.draw(st.none() | bound)
    lo, hi = (v.item() if isinstance(v, np.generic) else v for v in (lo, hi))
    a = data.draw(arrays(dtype, shape))
    cy, ref = _both("clamp", _out(data.draw, dtype, shape), a, min=lo, max=hi)
    _same(cy, ref)


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
@given(data=st.data(), name=st.sampled_from(["add", "mul", "maximum", "neg", "copy", "sigmoid"]),
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
                "copy": (a,), "sigmoid": (a,)}[name]
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
    a = (rng.standard_normal((700, 300)) * 100).astype(dtype)  # above the parallel threshold
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
    finally:
        ember.set_num_threads(saved)


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
