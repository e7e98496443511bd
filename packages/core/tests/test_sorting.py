"""sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique,
unique_consecutive: values and indices against numpy and PyTorch 2.13, ties and NaN,
layouts (non-contiguous, zero-size, 0-d), and errors."""
import math

import numpy as np
import pytest

import ember

NAN = math.nan
DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


def make(shape, dtype, seed=0, distinct=False):
    """Random data of an ember dtype name; few distinct values (many ties) unless `distinct`."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    if distinct:
        return (rng.permutation(n).reshape(shape) % 250).astype(dtype) if dtype == "uint8" \
            else rng.permutation(n).reshape(shape).astype(dtype)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    return rng.integers(0, 4, shape).astype(dtype)


def layouts(shape, dtype, seed=0, distinct=False):
    yield "contiguous", make(shape, dtype, seed, distinct)
    yield "transposed", make(shape[::-1], dtype, seed, distinct).T
    yield "sliced", make(shape[:-1] + (shape[-1] * 2,), dtype, seed, distinct)[..., ::2]


def pair(array, torch):
    return ember.from_numpy(array), torch.from_numpy(array)


def same(e, t):
    assert isinstance(e, ember.Tensor), type(e)
    assert e.dtype.name == str(t.dtype).replace("torch.", ""), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    got, want = np.asarray(e), t.numpy()
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def same_pair(got, want, name, indices=True):
    assert type(got) is getattr(ember.return_types, name)
    assert got._fields == ("values", "indices")
    same(got.values, want.values)
    if indices:
        same(got.indices, want.indices)
    else:
        assert got.indices.dtype is ember.int64 and got.indices.shape == got.values.shape


WITH_NAN = [[3.0, NAN, 1.0, 2.0, NAN], [NAN, NAN, NAN, NAN, NAN], [2.0, 2.0, -1.0, 5.0, 2.0]]


# --- sort / argsort / msort ----------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch_stable(torch, dtype, descending):
    for layout, array in layouts((4, 9, 3), dtype):
        e, t = pair(array, torch)
        for dim in (0, 1, -1):
            want = torch.sort(t, dim=dim, descending=descending, stable=True)
            same_pair(ember.sort(e, dim, descending), want, "sort")
            same_pair(e.sort(dim=dim, descending=descending, stable=True), want, "sort")
            same(ember.argsort(e, dim, descending), want.indices)
            same(e.argsort(dim=dim, descending=descending, stable=True), want.indices)


def test_sort_matches_numpy():
    array = make((5, 8), "float64", seed=3)
    got = ember.sort(ember.from_numpy(array))
    np.testing.assert_array_equal(np.asarray(got.values), np.sort(array, axis=-1))
    np.testing.assert_array_equal(np.asarray(got.indices), np.argsort(array, axis=-1, kind="stable"))
    np.testing.assert_array_equal(np.asarray(ember.msort(ember.from_numpy(array))), np.sort(array, 0))


def test_sort_nan_and_signed_zero(torch):
    e, t = ember.tensor(WITH_NAN), torch.tensor(WITH_NAN)
    for descending in (False, True):
        for dim in (0, 1):
            same_pair(e.sort(dim, descending), t.sort(dim=dim, descending=descending, stable=True),
                      "sort")
    zeros = [0.0, -0.0, 0.0, -0.0]
    same_pair(ember.tensor(zeros).sort(), torch.tensor(zeros).sort(stable=True), "sort")


def test_sort_edge_layouts(torch):
    same_pair(ember.sort(ember.zeros(0, 3), 0), torch.sort(torch.zeros(0, 3), 0), "sort")
    same_pair(ember.sort(ember.zeros(2, 0)), torch.sort(torch.zeros(2, 0)), "sort")
    same_pair(ember.sort(ember.tensor(3.0)), torch.sort(torch.tensor(3.0)), "sort")
    same(ember.argsort(ember.tensor(3.0)), torch.argsort(torch.tensor(3.0)))
    array = make((4, 3), "int64", seed=5)
    same(ember.msort(ember.from_numpy(array.T)), torch.msort(torch.from_numpy(array.T)))
    same(ember.from_numpy(array).msort(), torch.from_numpy(array).msort())


def test_sort_out_and_errors():
    t = ember.tensor([[3, 1, 2]])
    values, indices = ember.empty(1, 3, dtype=ember.int64), ember.empty(1, 3, dtype=ember.int64)
    result = ember.sort(t, out=(values, indices))
    assert result.values is values and values.tolist() == [[1, 2, 3]] and indices.tolist() == [[1, 2, 0]]
    with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of "
                                         "\\[-2, 1\\], but got 2\\)"):
        t.sort(2)
    with pytest.raises(TypeError, match="sort\\(\\): argument 'input' \\(position 1\\) must be "
                                        "Tensor, not list"):
        ember.sort([3, 1])
    with pytest.raises(TypeError, match="argument 'out' must be tuple of two Tensors"):
        ember.sort(t, out=values)


# --- topk / kthvalue -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(torch, dtype, largest):
    for layout, array in layouts((5, 6, 4), dtype, distinct=True):
        e, t = pair(array, torch)
        for dim in (0, 1, -1):
            for k in (0, 1, 3):
                same_pair(ember.topk(e, k, dim, largest), torch.topk(t, k, dim, largest), "topk")
        same_pair(e.topk(2), t.topk(2), "topk")
    # with ties PyTorch leaves the choice of index open: the values still agree
    e, t = pair(make((6, 8), dtype), torch)
    got, want = e.topk(3, largest=largest), t.topk(3, largest=largest)
    same_pair(got, want, "topk", indices=False)
    np.testing.assert_array_equal(np.take_along_axis(np.asarray(e), np.asarray(got.indices), 1),
                                  np.asarray(got.values))


def test_topk_nan_and_edges(torch):
    e, t = ember.tensor(WITH_NAN), torch.tensor(WITH_NAN)
    rows = ember.tensor([[3.0, NAN, 1.0, 2.0], [0.0, 5.0, NAN, 4.0]])
    trows = torch.tensor([[3.0, NAN, 1.0, 2.0], [0.0, 5.0, NAN, 4.0]])
    same_pair(rows.topk(2), trows.topk(2), "topk")  # NaN counts as the largest
    same_pair(rows.topk(2, largest=False), trows.topk(2, largest=False), "topk")
    same_pair(e.topk(1, 0), t.topk(1, 0), "topk", indices=False)
    same_pair(ember.topk(ember.tensor(3.0), 1), torch.topk(torch.tensor(3.0), 1), "topk")
    same_pair(ember.topk(ember.zeros(0, 4), 2), torch.topk(torch.zeros(0, 4), 2), "topk")
    unsorted = ember.topk(ember.tensor([2, 1, 2, 1, 3]), 3, sorted=False)
    assert sorted(unsorted.values.tolist()) == [2, 2, 3]


def test_topk_errors():
    t = ember.ones(2, 3)
    for k in (4, -1):
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            t.topk(k)
    with pytest.raises(RuntimeError, match="topk does not support bool dtypes"):
        ember.tensor([True, False]).topk(1)
    with pytest.raises(TypeError, match="topk\\(\\): argument 'k' must be int, not float"):
        t.topk(1.5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.topk(1, dim=2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
def test_kthvalue_matches_torch(torch, dtype):
    for layout, array in layouts((5, 6, 4), dtype, distinct=True):
        e, t = pair(array, torch)
        for dim in (0, 1, -1):
            for k in (1, 3):
                for keepdim in (False, True):
                    same_pair(ember.kthvalue(e, k, dim, keepdim), torch.kthvalue(t, k, dim, keepdim),
                              "kthvalue")
    e, t = pair(make((6, 8), dtype), torch)  # ties: values agree, indices point at them
    got = e.kthvalue(4)
    same_pair(got, t.kthvalue(4), "kthvalue", indices=False)
    np.testing.assert_array_equal(np.take_along_axis(np.asarray(e), np.asarray(got.indices)[:, None], 1)[:, 0],
                                  np.asarray(got.values))


def test_kthvalue_nan_and_errors(torch):
    rows = [[3.0, NAN, 1.0], [NAN, 5.0, 1.0]]
    for k in (1, 2, 3):
        same_pair(ember.tensor(rows).kthvalue(k), torch.tensor(rows).kthvalue(k), "kthvalue")
    same_pair(ember.tensor(2.0).kthvalue(1), torch.tensor(2.0).kthvalue(1), "kthvalue")
    for k in (0, 4):
        with pytest.raises(RuntimeError, match="kthvalue\\(\\): selected number k out of range for "
                                               "dimension 1"):
            ember.tensor(rows).kthvalue(k)
    with pytest.raises(NotImplementedError, match="\"kthvalue_cpu\" not implemented for 'Bool'"):
        ember.tensor([True]).kthvalue(1)


# --- median / nanmedian / mode ---------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_matches_torch(torch, dtype, name):
    for layout, array in layouts((5, 6, 4), dtype, distinct=True):
        e, t = pair(array, torch)
        same(getattr(ember, name)(e), getattr(torch, name)(t))
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                same_pair(getattr(ember, name)(e, dim, keepdim), getattr(torch, name)(t, dim, keepdim),
                          name)
    # ties: PyTorch breaks them by position, so the indices agree too
    e, t = pair(make((7, 4), dtype), torch)
    same(getattr(e, name)(), getattr(t, name)())
    same_pair(getattr(e, name)(0), getattr(t, name)(0), name)
    same_pair(getattr(e.t(), name)(1, True), getattr(t.t(), name)(1, True), name)


def test_median_lower_middle_and_numpy():
    assert ember.tensor([4, 1, 3, 2]).median().item() == 2
    array = make((6, 7), "float64", distinct=True, seed=2)
    got = ember.from_numpy(array).median(dim=1)
    np.testing.assert_array_equal(np.asarray(got.values), np.median(array, axis=1))  # odd count
    np.testing.assert_array_equal(np.asarray(got.values),
                                  array[np.arange(6), np.asarray(got.indices)])


def test_median_nan(torch):
    e, t = ember.tensor(WITH_NAN), torch.tensor(WITH_NAN)
    for name in ("median", "nanmedian"):
        same(getattr(e, name)(), getattr(t, name)())
        same_pair(getattr(e, name)(0), getattr(t, name)(0), name)
    same_pair(e.median(1), t.median(1), "median")
    # an all-NaN row has no defined nanmedian index in PyTorch: check the others
    got, want = e.nanmedian(1), t.nanmedian(1)
    same_pair(got, want, "nanmedian", indices=False)
    assert got.indices.tolist()[::2] == want.indices.tolist()[::2]
    cols = [[NAN, 1.0], [NAN, NAN]]
    same_pair(ember.tensor(cols).median(0), torch.tensor(cols).median(0), "median")
    assert math.isnan(ember.tensor([NAN, NAN]).nanmedian().item())


def test_median_edges_and_errors(torch):
    same(ember.zeros(0, 3).median(), torch.zeros(0, 3).median())
    same(ember.zeros(0, 3).nanmedian(), torch.zeros(0, 3).nanmedian())
    same_pair(ember.zeros(0, 3).median(1), torch.zeros(0, 3).median(1), "median")
    same_pair(ember.tensor(2.0).median(0), torch.tensor(2.0).median(0), "median")
    with pytest.raises(IndexError, match="median\\(\\): Expected reduction dim 0 to have non-zero size"):
        ember.zeros(0, 3).median(0)
    with pytest.raises(NotImplementedError, match="\"median_cpu\" not implemented for 'Bool'"):
        ember.tensor([True]).median()
    with pytest.raises(RuntimeError, match="empty"):
        ember.zeros(0, dtype=ember.int64).median()


@pytest.mark.parametrize("dtype", DTYPES)
def test_mode_matches_torch(torch, dtype):
    # rows of at most 16 elements: there PyTorch's ordering of equal values is stable, so
    # its index (the last occurrence of the mode) is well defined
    for layout, array in layouts((6, 9, 5), dtype):
        e, t = pair(array, torch)
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                same_pair(ember.mode(e, dim, keepdim), torch.mode(t, dim, keepdim), "mode")
    for data in ([1, 2, 2, 1, 3], [2, 1, 1, 2, 3], [5], [3, 3, 3]):
        same_pair(ember.tensor(data).mode(), torch.tensor(data).mode(), "mode")
    same_pair(ember.tensor(3).mode(), torch.tensor(3).mode(), "mode")
    same_pair(ember.zeros(0, 3).mode(1), torch.zeros(0, 3).mode(1), "mode")
    with pytest.raises(IndexError, match="mode\\(\\): Expected reduction dim 0 to have non-zero size"):
        ember.zeros(0, 3).mode(0)


# --- unique / unique_consecutive -------------------------------------------------------
def _same_tuple(got, want):
    if isinstance(want, tuple):
        assert type(got) is tuple and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
    else:
        same(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["unique", "unique_consecutive"])
def test_unique_matches_torch(torch, dtype, name):
    for layout, array in layouts((5, 3, 4), dtype):
        e, t = pair(array, torch)
        for inverse in (False, True):
            for counts in (False, True):
                for dim in (None, 0, 1, -1):
                    got = getattr(ember, name)(e, return_inverse=inverse, return_counts=counts, dim=dim)
                    want = getattr(torch, name)(t, return_inverse=inverse, return_counts=counts,
                                                dim=dim)
                    _same_tuple(got, want)
        _same_tuple(getattr(e, name)(), getattr(t, name)())


def test_unique_against_numpy():
    array = make((4, 6), "int64", seed=9)
    values, inverse, counts = ember.unique(ember.from_numpy(array), return_inverse=True,
                                           return_counts=True)
    want_values, want_inverse, want_counts = np.unique(array, return_inverse=True,
                                                       return_counts=True)
    np.testing.assert_array_equal(np.asarray(values), want_values)
    np.testing.assert_array_equal(np.asarray(inverse), want_inverse.reshape(array.shape))
    np.testing.assert_array_equal(np.asarray(counts), want_counts)
    rows = ember.unique(ember.from_numpy(array[:, :2]), dim=0)
    np.testing.assert_array_equal(np.asarray(rows), np.unique(array[:, :2], axis=0))


def test_unique_nan_and_edges(torch):
    data = [NAN, 1.0, NAN, 1.0, -0.0, 0.0]
    for name in ("unique", "unique_consecutive"):
        _same_tuple(getattr(ember, name)(ember.tensor(data), return_counts=True, return_inverse=True),
                    getattr(torch, name)(torch.tensor(data), return_counts=True, return_inverse=True))
        _same_tuple(getattr(ember, name)(ember.tensor(3), return_inverse=True),
                    getattr(torch, name)(torch.tensor(3), return_inverse=True))
        _same_tuple(getattr(ember, name)(ember.zeros(0, 3), return_counts=True),
                    getattr(torch, name)(torch.zeros(0, 3), return_counts=True))
        _same_tuple(getattr(ember, name)(ember.zeros(0, 3), dim=0, return_inverse=True),
                    getattr(torch, name)(torch.zeros(0, 3), dim=0, return_inverse=True))
    _same_tuple(ember.unique(ember.tensor([3, 1, 3, 2]), sorted=False),
                torch.unique(torch.tensor([3, 1, 3, 2]), sorted=False))


def test_unique_errors():
    with pytest.raises(RuntimeError, match="There are 0 sized dimensions, and they aren't selected"):
        ember.unique(ember.zeros(0, 3), dim=1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.unique(ember.zeros(2, 3), dim=2)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        ember.unique(ember.tensor(3), dim=0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        ember.unique_consecutive([1, 1])


# --- exports --------------------------------------------------------------------------
def test_methods_and_exports():
    for name in ("sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
                 "unique", "unique_consecutive"):
        assert callable(getattr(ember, name)) and callable(getattr(ember.Tensor, name)), name
    got = ember.tensor([[2, 1]]).sort()
    assert repr(got).startswith("ember.return_types.sort(\nvalues=tensor([[1, 2]]),\nindices=")
