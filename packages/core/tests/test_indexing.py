"""Indexing (``t[key]``, ``t[key] = v``) and the index ops, against numpy and PyTorch."""
import warnings

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(0)
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
          "bool"]


def values(shape, dtype="float32", rng=RNG):
    """Random numpy values of an ember dtype name (bfloat16 as exactly representable float32)."""
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype in ("float32", "float64", "float16", "bfloat16"):
        a = rng.integers(-50, 50, size=shape) / 4  # exact in every float dtype
        return a.astype("float32" if dtype == "bfloat16" else dtype)
    return rng.integers(0 if dtype == "uint8" else -50, 50, size=shape).astype(dtype)


def make(a, dtype=None):
    """(ember tensor, numpy copy) of `a`, the tensor in ember dtype `dtype`."""
    dtype = dtype or str(a.dtype)
    t = ember.tensor(a, dtype=getattr(ember, dtype))
    return t, np.asarray(t).copy()


def tt(torch, a, dtype):
    t = torch.tensor(np.ascontiguousarray(a))
    return t.to(getattr(torch, dtype))


def same(e, expected):
    """`e` (ember tensor) holds exactly `expected` (numpy array or torch tensor)."""
    if hasattr(expected, "detach"):  # torch
        assert list(e.shape) == list(expected.shape)
        if str(expected.dtype) == "torch.bfloat16":
            expected = expected.float()
        assert str(e.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1] or \
            e.dtype is ember.bfloat16
        expected = expected.numpy()
    got = np.asarray(e)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_array_equal(got, expected)


def both(run_ember, run_torch):
    """Same values, or the same exception type, from ember and torch."""
    try:
        expected = run_torch()
    except Exception as exc:  # noqa: BLE001 - whatever torch raises, ember must too
        with pytest.raises(type(exc)):
            run_ember()
        return
    same(run_ember(), expected)


LAYOUTS = {
    "contiguous": lambda t: t,
    "transposed": lambda t: t.transpose(0, 1),
    "sliced": lambda t: t[:, ::2],
}


# --- getitem -------------------------------------------------------------------------
KEYS = [
    0, -1, (1, 2), slice(1, None), (slice(None), slice(0, 3, 2)), (Ellipsis, 1), (None, 1),
    (1, None, slice(None), None), Ellipsis, (),
    [0, 2], [[0, 1], [1, 0]], (slice(None), [1, 0, 1]), ([0, 1], [1, 2]), ([0, 1], slice(None), [0, 1]),
    (0, slice(None), [1, 2]),  # the int is basic: shape (n1, 2), not numpy's (2, n1)
    (slice(None), [0, 1], 0), ([[0], [1]], [[0, 1, 2]]), ([0, 1], None, [0, 1]),
    (True,), (False,), ([0, 1], True, [0, 1]), (Ellipsis, [1, -1]), ([-1, 0], Ellipsis),
    (slice(None), slice(None), [3, 0]), ([], slice(None)), (slice(10, 20),), (slice(-100, 2),),
]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_getitem_matches_torch(torch, key, layout):
    a = values((3, 4, 5))
    e = LAYOUTS[layout](ember.tensor(a))
    t = LAYOUTS[layout](torch.tensor(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about list keys read as tuples
        both(lambda: e[key], lambda: t[key])


def test_getitem_numpy_values():
    a = np.arange(60).reshape(3, 4, 5)
    x = ember.tensor(a)
    same(x[1], a[1])
    same(x[:, 1:3, ::2], a[:, 1:3, ::2])
    same(x[[0, 2], :, [1, 3]], a[[0, 2], :, [1, 3]])  # separated: broadcast dims go first
    same(x[0, :, [1, 3]], a[0][:, [1, 3]])  # PyTorch: the int is applied first
    same(x[:, [0, 1], [2, 3]], a[:, [0, 1], [2, 3]])  # adjacent: they stay in place
    same(x[x > 50], a[a > 50])
    same(x[ember.tensor(a[:, 0, 0] > 10)], a[a[:, 0, 0] > 10])
    same(x[ember.tensor([[True, False, True, False]] * 3)], a[np.array([[True, False, True, False]] * 3)])
    same(x[ember.tensor([2, 0], dtype=ember.int32)], a[[2, 0]])
    same(x[ember.tensor(1)], a[1])  # a 0-d integer tensor selects


def test_mask_then_index_and_bool_tensor_scalar(torch):
    a = values((3, 4))
    e, t = ember.tensor(a), torch.tensor(a)
    same(e[e[:, 0] > 0, [1]], t[t[:, 0] > 0, [1]])
    same(e[ember.tensor(True)], t[torch.tensor(True)])
    same(e[ember.zeros(3, 4, dtype=ember.bool)], t[torch.zeros(3, 4, dtype=torch.bool)])


def test_basic_getitem_is_a_view():
    x = ember.arange(24.).view(2, 3, 4)
    v = x[1, :, ::2]
    assert v._base is x._base and v._version_counter is x._version_counter
    v[0, 0] = 100.0
    assert x[1, 0, 0].item() == 100.0
    assert x._version_counter.value == 1
    w = x[ember.tensor(0)]
    w[0, 0] = -1.0
    assert x[0, 0, 0].item() == -1.0


def test_advanced_getitem_copies():
    x = ember.arange(6.)
    y = x[[0, 1]]
    y[0] = 50.0
    assert x[0].item() == 0.0
    assert y._base is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_dtypes(dtype):
    a = values((4, 3), dtype)
    x, ref = make(a, dtype)
    same(x[[3, 1]], ref[[3, 1]])
    same(x[1:, 2], ref[1:, 2])
    same(x[ref[:, 0] == ref[0, 0]], ref[ref[:, 0] == ref[0, 0]])
    assert x[[0]].dtype is getattr(ember, dtype)


def test_getitem_zero_size():
    x = ember.zeros(0, 3)
    assert x[:, 1].shape == (0,)
    assert x[[]].shape == (0, 3)
    assert x[x > 0].shape == (0,)
    y = ember.arange(6).view(2, 3)
    assert y[[], [], ].shape == (0,)
    assert y[1:1].shape == (0, 3)


def test_sequence_as_tuple_warns():
    x = ember.arange(12).view(3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        r = x[[[0, 1], [1, 2]]]
    same(r, np.arange(12).reshape(3, 4)[(0, 1), (1, 2)])


def test_uint8_mask_warns():
    x = ember.arange(3)
    with pytest.warns(UserWarning, match="uint8"):
        r = x[ember.tensor([1, 0, 1], dtype=ember.uint8)]
    same(r, np.array([0, 2]))


@pytest.mark.parametrize("key, error, match", [
    (5, IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ((slice(None), -5), IndexError, "index -5 is out of bounds for dimension 1 with size 4"),
    ([0, 3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    ((slice(None), [0, 7]), IndexError, "index 7 is out of bounds for dimension 1 with size 4"),
    (1.5, IndexError, r"only integers, slices .* \(got float\)"),
    ("a", IndexError, r"\(got str\)"),
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
    ((Ellipsis, Ellipsis), IndexError, "single ellipsis"),
    ([0.5, 1.0], IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    (([0, 1], [0, 1, 2]), IndexError, r"could not be broadcast together with shapes \[2\], \[3\]"),
])
def test_getitem_errors(key, error, match):
    x = ember.arange(12.).view(3, 4)
    with pytest.raises(error, match=match):
        x[key]


def test_getitem_tensor_errors():
    x = ember.arange(12.).view(3, 4)
    with pytest.raises(IndexError, match="tensors used as indices"):
        x[ember.tensor([1.0])]
    with pytest.raises(IndexError, match=r"The shape of the mask \[4\] at index 0 does not match "
                                         r"the shape of the indexed tensor \[3, 4\] at index 0"):
        x[ember.ones(4, dtype=ember.bool)]
    with pytest.raises(IndexError, match=r"mask \[3, 3\] at index 1"):
        x[ember.ones(3, 3, dtype=ember.bool)]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        ember.tensor(5.)[0]
    with pytest.raises(IndexError, match="slice\\(\\) cannot be applied to a 0-dim tensor"):
        ember.tensor(5.)[0:1]
    assert ember.tensor(5.)[None].shape == (1,)
    assert ember.tensor(5.)[...].item() == 5.0


# --- setitem -------------------------------------------------------------------------
SET_KEYS = [0, (slice(None), 1), (Ellipsis, slice(0, 4, 2)), [0, 2], ([0, 2], [1, 0]),
            (0, slice(None), [1, 2]), (slice(None), [0, 1], 0), (None, 1), ([-1, 0], Ellipsis)]


@pytest.mark.parametrize("key", SET_KEYS, ids=[repr(k) for k in SET_KEYS])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_setitem_matches_torch(torch, key, layout):
    a = values((3, 4, 5))
    base_e, base_t = ember.tensor(a), torch.tensor(a)
    e, t = LAYOUTS[layout](base_e), LAYOUTS[layout](base_t)
    shape = t[key].shape
    v = values(tuple(shape[-1:]))  # broadcasts along the leading dims
    e[key] = ember.tensor(v)
    t[key] = torch.tensor(v)
    same(base_e, base_t)  # writes go through the view into the base
    e[key] = 7
    t[key] = 7
    same(base_e, base_t)


def test_setitem_versions_and_scalar_dtypes():
    x = ember.zeros(3, dtype=ember.int64)
    x[0] = 2.7  # a number is cast (truncated) to the tensor's dtype
    x[1:] = ember.tensor([1.5, -1.5])  # basic keys copy with a cast, like copy_
    same(x, np.array([2, 1, -1]))
    assert x._version_counter.value == 2
    b = ember.zeros(2, dtype=ember.bool)
    b[[1]] = True
    same(b, np.array([False, True]))
    h = ember.zeros(3, dtype=ember.bfloat16)
    h[[0, 2]] = 1.5
    h[1] = ember.tensor(2.25)
    same(h, np.array([1.5, 2.25, 1.5], np.float32))


def test_setitem_mask_and_broadcast(torch):
    a = values((4, 3))
    e, t = ember.tensor(a), torch.tensor(a)
    e[e > 0] = 0.0
    t[t > 0] = 0.0
    same(e, t)
    e[[0, 1]] = ember.tensor([[1.0, 2.0, 3.0]])  # leading unit dims of the value are ignored
    t[[0, 1]] = torch.tensor([[1.0, 2.0, 3.0]])
    same(e, t)
    e[0] = ember.ones(1, 1, 3)
    t[0] = torch.ones(1, 1, 3)
    same(e, t)


def test_setitem_aliasing_value():
    x = ember.arange(5.)
    x[1:] = x[:-1].clone()
    same(x, np.array([0., 0., 1., 2., 3.]))
    y = ember.arange(5.)
    y[[0, 1]] = y[3:]
    same(y, np.array([3., 4., 2., 3., 4.]))


def test_setitem_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the "
                                           r"existing size \(3\) at non-singleton dimension 1"):
        x[0:2] = ember.ones(3)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be "
                                           r"broadcast to indexing result of shape \[2, 4\]"):
        x[[0, 1]] = ember.ones(3)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes "
                                           "match, got Float for the destination and Long"):
        x[[0]] = ember.tensor(1)
    with pytest.raises(TypeError, match="can't assign a list to a ember.FloatTensor"):
        x[0] = [1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="without overflow"):
        ember.zeros(2, dtype=ember.uint8)[0] = 300
    with pytest.raises(RuntimeError, match="without overflow"):
        ember.zeros(2, dtype=ember.int64)[0] = float("inf")
    with pytest.raises(RuntimeError, match="single memory location"):
        ember.zeros(3).expand(2, 3)[0] = 1.0
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3] = 1.0
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-2] = 1.0
    assert x._version_counter.value == 0  # failed writes change nothing


def test_setitem_uint8_wraps_negative_number(torch):
    e, t = ember.zeros(2, dtype=ember.uint8), torch.zeros(2, dtype=torch.uint8)
    e[0], t[0] = -1, -1
    same(e, t)


# --- index_put ---------------------------------------------------------------------
def test_index_put(torch):
    a = values((4, 3))
    idx = np.array([0, 0, 2, 3])
    v = values((4, 3))
    for acc in (False, True):
        e = ember.tensor(a).index_put((ember.tensor(idx),), ember.tensor(v), accumulate=acc)
        t = torch.tensor(a).index_put((torch.tensor(idx),), torch.tensor(v), accumulate=acc)
        if acc:
            same(e, t)
        else:  # repeated index without accumulation: some write wins; check the others
            same(e[1:], t[1:])
    x = ember.zeros(3)
    r = x.index_put_((ember.tensor([0, 0, 2]),), ember.tensor(1.), accumulate=True)
    assert r is x and x._version_counter.value == 1
    same(x, np.array([2., 0., 1.]))
    m = ember.zeros(2, 3).index_put_((None, ember.tensor([2, 0])), ember.tensor(5.))
    same(m, np.array([[5., 0., 5.], [5., 0., 5.]]))
    b = ember.zeros(3, dtype=ember.bfloat16).index_put_((ember.tensor([1, 1]),),
                                                         ember.tensor([0.5, 0.25], dtype=ember.bfloat16),
                                                         accumulate=True)
    same(b, np.array([0., 0.75, 0.], np.float32))
    mask = ember.tensor([True, False, True])
    same(ember.zeros(3).index_put_((mask,), ember.tensor([1., 2.])), np.array([1., 0., 2.]))


def test_index_put_errors():
    x = ember.zeros(3)
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        x.index_put_((ember.tensor([0]),), 1.0)
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 1"):
        x.index_put_((ember.tensor([0]), ember.tensor([0])), ember.tensor(1.))
    with pytest.raises(RuntimeError, match="dtypes match"):
        x.index_put_((ember.tensor([0]),), ember.tensor(1., dtype=ember.float64))
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x.index_put_((ember.tensor([5]),), ember.tensor(1.))
    with pytest.raises(TypeError, match="tuple of Tensors"):
        x.index_put_(ember.tensor([0]), ember.tensor(1.))


# --- gathers ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select(torch, dtype, dim):
    a = values((4, 5), dtype)
    idx = RNG.integers(0, a.shape[dim], size=6)
    for layout in LAYOUTS.values():
        e, t = layout(make(a, dtype)[0]), layout(tt(torch, a, dtype))
        i = RNG.integers(0, t.shape[dim], size=6)
        same(e.index_select(dim, ember.tensor(i)), t.index_select(dim, torch.tensor(i)))
    e, _ = make(a, dtype)
    same(ember.index_select(e, dim, ember.tensor(idx, dtype=ember.int32)),
         np.take(np.asarray(e), idx, axis=dim))
    same(e.index_select(dim, ember.tensor([], dtype=ember.int64)),
         np.take(np.asarray(e), np.array([], np.int64), axis=dim))


def test_index_select_out_and_scalar():
    out = ember.empty(2, 3)
    r = ember.index_select(ember.arange(12.).view(4, 3), 0, ember.tensor([3, 0]), out=out)
    assert r is out
    same(out, np.array([[9., 10., 11.], [0., 1., 2.]]))
    same(ember.tensor(5.).index_select(0, ember.tensor([0])), np.array(5.0, np.float32))


def test_index_select_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        x.index_select(0, ember.tensor([0.]))
    with pytest.raises(IndexError, match="index out of range in self: index 5 is out of bounds "
                                         "for dimension 0 with size 3"):
        x.index_select(0, ember.tensor([5]))
    with pytest.raises(IndexError, match="index out of range in self: index -1"):
        x.index_select(0, ember.tensor([-1]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, ember.tensor([[0]]))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 3\)"):
        x.index_select(3, ember.tensor([0]))
    with pytest.raises(TypeError, match="argument 'index' must be Tensor, not list"):
        x.index_select(0, [0])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "bfloat16"])
def test_gather(torch, dtype):
    a = values((4, 5, 3), dtype)
    for dim in (0, 1, 2, -2):
        shape = [3, 4, 2]
        shape[dim] = 6
        idx = RNG.integers(0, a.shape[dim], size=shape)
        e = make(a, dtype)[0].gather(dim, ember.tensor(idx))
        t = tt(torch, a, dtype).gather(dim, torch.tensor(idx))
        same(e, t)
    idx = RNG.integers(0, 4, size=(5, 6, 3))
    e = make(a, dtype)[0].transpose(0, 1).gather(1, ember.tensor(idx))
    t = tt(torch, a, dtype).transpose(0, 1).gather(1, torch.tensor(idx))
    same(e, t)


def test_gather_numpy_and_edges():
    a = np.arange(12).reshape(3, 4)
    idx = np.array([[3, 0], [1, 1], [0, 2]])
    same(ember.tensor(a).gather(1, ember.tensor(idx)), np.take_along_axis(a, idx, 1))
    same(ember.tensor(a).gather(1, ember.tensor(idx, dtype=ember.int32)), np.take_along_axis(a, idx, 1))
    assert ember.tensor(a).gather(0, ember.zeros(0, dtype=ember.int64)).shape == (0,)
    same(ember.arange(3.).gather(0, ember.tensor(1)), np.array(1.0, np.float32))
    out = ember.empty(3, 2, dtype=ember.int64)
    assert ember.gather(ember.tensor(a), 1, ember.tensor(idx), out=out) is out
    same(out, np.take_along_axis(a, idx, 1))


def test_gather_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="gather\\(\\): index 5 is out of bounds for dimension 1 "
                                           "with size 4"):
        x.gather(1, ember.tensor([[5]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.gather(1, ember.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="same number of dimensions as input"):
        x.gather(1, ember.tensor([1]))
    with pytest.raises(RuntimeError, match=r"Size does not match at dimension 0 expected index "
                                           r"\[4, 1\] to be no larger than self \[3, 4\] apart "
                                           r"from dimension 1"):
        x.gather(1, ember.zeros(4, 1, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(1, ember.zeros(3, 1))


def test_take_and_take_along_dim(torch):
    a = values((3, 4))
    idx = np.array([[0, -1], [11, 5]])
    same(ember.tensor(a).t().take(ember.tensor(idx)), torch.tensor(a).t().take(torch.tensor(idx)))
    same(ember.tensor(a).take(ember.tensor(idx)), np.take(a, idx))
    for dim in (None, 0, 1, -1):
        i = RNG.integers(-3, 3, size=(3, 2) if dim in (1, -1) else (2, 4)) if dim is not None \
            else RNG.integers(0, 12, size=(5,))
        same(ember.tensor(a).take_along_dim(ember.tensor(i), dim),
             torch.tensor(a).take_along_dim(torch.tensor(i), dim))
    bi = RNG.integers(0, 4, size=(1, 2))  # broadcast along dim 0
    same(ember.tensor(a).take_along_dim(ember.tensor(bi), 1),
         torch.tensor(a).take_along_dim(torch.tensor(bi), 1))
    with pytest.raises(IndexError, match="tried to access an element of a tensor of 12 elements: "
                                         "index 12 is out of bounds"):
        ember.tensor(a).take(ember.tensor([12]))
    with pytest.raises(IndexError, match="index -13"):
        ember.tensor(a).take(ember.tensor([-13]))
    with pytest.raises(RuntimeError, match="take\\(\\): Expected a long tensor for index, but got Int"):
        ember.tensor(a).take(ember.tensor([0], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ember.tensor(a).take_along_dim(ember.tensor([0]), 1)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):  # flat: no negatives
        ember.tensor(a).take_along_dim(ember.tensor([-1]))
    with pytest.raises(RuntimeError, match="dtype of indices should be Long but got Int"):
        ember.tensor(a).take_along_dim(ember.tensor([[0]], dtype=ember.int32), 1)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        ember.tensor(a).take_along_dim(ember.tensor([[4]]), 1)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16"])
def test_masked_select_and_nonzero(torch, dtype):
    a = values((3, 4), dtype)
    m = RNG.random((4,)) > 0.5
    e, t = make(a, dtype)[0].t(), tt(torch, a, dtype).t()
    same(e.masked_select(ember.tensor(m[:3])), t.masked_select(torch.tensor(m[:3])))
    same(ember.masked_select(make(a, dtype)[0], ember.tensor(m)),
         tt(torch, a, dtype).masked_select(torch.tensor(m)))
    same(e.nonzero(), t.nonzero())
    same(ember.argwhere(e), torch.argwhere(t))
    for ee, te in zip(e.nonzero(as_tuple=True), t.nonzero(as_tuple=True)):
        same(ee, te)
    same(make(a, dtype)[0].nonzero(), np.argwhere(np.asarray(make(a, dtype)[0])))


def test_nonzero_edges(torch):
    for v in (5.0, 0.0):
        same(ember.tensor(v).nonzero(), torch.tensor(v).nonzero())
        (e,), (t,) = ember.tensor(v).nonzero(as_tuple=True), torch.tensor(v).nonzero(as_tuple=True)
        same(e, t)
    assert ember.zeros(0, 3).nonzero().shape == (0, 2)
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        ember.zeros(2).masked_select(ember.tensor([1, 0]))


# --- scatter family ------------------------------------------------------------------------
def _unique_index(shape, dim, size):
    """An index with distinct values along `dim` (so plain scatter is deterministic)."""
    dim %= len(shape)
    idx = np.empty(shape, np.int64)
    for pos in np.ndindex(*[s for d, s in enumerate(shape) if d != dim]):
        perm = RNG.permutation(size)[:shape[dim]]
        sl = list(pos)
        sl.insert(dim, slice(None))
        idx[tuple(sl)] = perm
    return idx


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bfloat16"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter(torch, dtype, dim):
    a = values((4, 5), dtype)
    shape = [3, 4]
    shape[dim] = 3
    idx = _unique_index(tuple(shape), dim, a.shape[dim])
    src = values((4, 5), dtype)  # larger than index: only its leading block is read
    e = make(a, dtype)[0].scatter(dim, ember.tensor(idx), make(src, dtype)[0])
    t = tt(torch, a, dtype).scatter(dim, torch.tensor(idx), tt(torch, src, dtype))
    same(e, t)
    same(make(a, dtype)[0].scatter(dim, ember.tensor(idx), 3), tt(torch, a, dtype).scatter(dim, torch.tensor(idx), 3))
    # in place on a transposed view writes through to its base
    base_e, base_t = make(a, dtype)[0], tt(torch, a, dtype)
    ie = _unique_index((2, 3), dim, 5 if dim == 0 else 4)
    r = base_e.t().scatter_(dim, ember.tensor(ie), make(src, dtype)[0][:2, :3])
    base_t.t().scatter_(dim, torch.tensor(ie), tt(torch, src, dtype)[:2, :3])
    assert r._base is base_e and base_e._version_counter.value == 1
    same(base_e, base_t)
    # repeated indices with a reduction
    rep = RNG.integers(0, a.shape[dim], size=tuple(shape))
    for reduce in ("add", "multiply"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = make(a, dtype)[0].scatter(dim, ember.tensor(rep), make(src, dtype)[0], reduce=reduce)
            t = tt(torch, a, dtype).scatter(dim, torch.tensor(rep), tt(torch, src, dtype), reduce=reduce)
        same(e, t)
        same(make(a, dtype)[0].scatter(dim, ember.tensor(rep), 2, reduce=reduce),
             tt(torch, a, dtype).scatter(dim, torch.tensor(rep), 2, reduce=reduce))


def test_scatter_numpy_and_zero_size():
    x = ember.zeros(2, 3)
    r = x.scatter(1, ember.tensor([[2], [0]]), ember.tensor([[1.], [2.]]))
    same(r, np.array([[0., 0., 1.], [2., 0., 0.]]))
    same(x, np.zeros((2, 3)))  # out of place leaves the input alone
    same(x.scatter(0, ember.zeros(0, 3, dtype=ember.int64), 5.0), np.zeros((2, 3)))
    same(ember.tensor(1.).scatter_(0, ember.tensor(0), ember.tensor(5.)), np.array(5., np.float32))
    same(ember.zeros(3, dtype=ember.int64).scatter(0, ember.tensor([1]), 5.7), np.array([0, 5, 0]))
    out = ember.empty(2, 3)
    assert ember.scatter(x, 1, ember.tensor([[0], [1]]), 1.0, out=out) is out
    same(out, np.array([[1., 0., 0.], [0., 1., 0.]]))


def test_scatter_errors():
    x = ember.zeros(3, 4)
    i = ember.zeros(3, 1, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="scatter\\(\\): index 5 is out of bounds for dimension 1 "
                                           "with size 4"):
        x.scatter(1, ember.tensor([[5]]), 1.0)
    with pytest.raises(RuntimeError, match=r"Expected index \[3, 2\] to be no larger than self "
                                           r"\[3, 4\] apart from dimension 1 and to be no larger "
                                           r"size than src \[3, 1\]"):
        x.scatter(1, ember.zeros(3, 2, dtype=ember.int64), ember.ones(3, 1))
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(1, i, ember.ones(3, 1, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(1, i, 1.0, reduce="max")
    with pytest.raises(RuntimeError, match="same number of dimensions as self"):
        x.scatter(1, ember.tensor([0]), 1.0)
    with pytest.raises(RuntimeError, match="same number of dimensions as src"):
        x.scatter(1, i, ember.tensor(5.))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.scatter(1, ember.zeros(3, 1), 1.0)
    with pytest.raises(TypeError, match="'src' tensor or a 'value'"):
        x.scatter(1, i)
    with pytest.raises(RuntimeError, match="without overflow"):
        ember.zeros(2, dtype=ember.uint8).scatter(0, ember.tensor([0]), 1000)
    with pytest.warns(UserWarning, match="reduce argument of scatter"):
        x.scatter(1, i, ember.ones(3, 1), reduce="add")
    assert x._version_counter.value == 0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(torch, dtype, reduce, include_self):
    a = values((4, 5), dtype)
    src = values((6, 5), dtype)
    idx = RNG.integers(0, 4, size=(6, 5))
    e = make(a, dtype)[0].scatter_reduce(0, ember.tensor(idx), make(src, dtype)[0], reduce,
                                         include_self=include_self)
    t = tt(torch, a, dtype).scatter_reduce(0, torch.tensor(idx), tt(torch, src, dtype), reduce,
                                           include_self=include_self)
    if dtype.startswith("float") and reduce == "mean":
        np.testing.assert_allclose(np.asarray(e), t.numpy(), rtol=1e-6)
    else:
        same(e, t)
    x = make(a, dtype)[0]
    x.t().scatter_reduce_(1, ember.tensor(idx[:3].T.copy()), make(src, dtype)[0][:3].t(), reduce,
                          include_self=include_self)
    y = tt(torch, a, dtype)
    y.t().scatter_reduce_(1, torch.tensor(idx[:3].T.copy()), tt(torch, src, dtype)[:3].t(), reduce,
                          include_self=include_self)
    np.testing.assert_allclose(np.asarray(x), y.numpy(), rtol=1e-6)


def test_scatter_add(torch):
    a, src = values((3, 4)), values((5, 4))
    idx = RNG.integers(0, 3, size=(5, 4))
    same(ember.tensor(a).scatter_add(0, ember.tensor(idx), ember.tensor(src)),
         torch.tensor(a).scatter_add(0, torch.tensor(idx), torch.tensor(src)))
    x = ember.zeros(3)
    assert x.scatter_add_(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.])) is x
    same(x, np.array([3., 0., 3.]))
    with pytest.raises(RuntimeError, match="scatter_reduce\\(\\): reduce argument must be either "
                                           "sum, prod, mean, amax or amin, got add"):
        x.scatter_reduce(0, ember.tensor([0]), ember.ones(1), "add")
    with pytest.raises(RuntimeError, match="no larger size than src"):
        x.scatter_add(0, ember.tensor([0, 1]), ember.ones(1))
    with pytest.raises(TypeError, match="argument 'src' must be Tensor"):
        x.scatter_add(0, ember.tensor([0]), 1.0)


# --- index_add / index_copy / index_fill ------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bfloat16"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_copy_fill(torch, dtype, dim):
    a = values((4, 5, 3), dtype)
    n = a.shape[dim]
    src_shape = list(a.shape)
    src_shape[dim] = 6
    src = values(tuple(src_shape), dtype)
    rep = RNG.integers(0, n, size=6)
    alpha = 2 if dtype.startswith("int") else 0.5
    same(make(a, dtype)[0].index_add(dim, ember.tensor(rep), make(src, dtype)[0], alpha=alpha),
         tt(torch, a, dtype).index_add(dim, torch.tensor(rep), tt(torch, src, dtype), alpha=alpha))
    uniq = RNG.permutation(n)[:3]
    src_shape[dim] = 3
    src3 = values(tuple(src_shape), dtype)
    same(make(a, dtype)[0].index_copy(dim, ember.tensor(uniq), make(src3, dtype)[0]),
         tt(torch, a, dtype).index_copy(dim, torch.tensor(uniq), tt(torch, src3, dtype)))
    neg = np.array([-1, 0])
    same(make(a, dtype)[0].index_fill(dim, ember.tensor(neg), 3),
         tt(torch, a, dtype).index_fill(dim, torch.tensor(neg), 3))
    same(make(a, dtype)[0].index_fill(dim, ember.tensor(neg), ember.tensor(2)),
         tt(torch, a, dtype).index_fill(dim, torch.tensor(neg), torch.tensor(2)))
    # in place through a permuted view
    ex, tx = make(a, dtype)[0], tt(torch, a, dtype)
    ev, tv = ex.permute(2, 0, 1), tx.permute(2, 0, 1)
    s2 = values(tuple(tv.shape), dtype)
    i2 = RNG.permutation(tv.shape[dim])
    ev.index_copy_(dim, ember.tensor(i2), make(s2, dtype)[0])
    tv.index_copy_(dim, torch.tensor(i2), tt(torch, s2, dtype))
    ev.index_add_(dim, ember.tensor(i2), make(s2, dtype)[0])
    tv.index_add_(dim, torch.tensor(i2), tt(torch, s2, dtype))
    ev.index_fill_(dim, ember.tensor([0]), 1)
    tv.index_fill_(dim, torch.tensor([0]), 1)
    same(ex, tx)
    assert ex._version_counter.value == 3


def test_index_add_numpy_and_bool():
    x = ember.zeros(3, 2)
    same(x.index_add(0, ember.tensor([0, 2, 0]), ember.ones(3, 2), alpha=2),
         np.array([[4., 4.], [0., 0.], [2., 2.]]))
    same(ember.tensor([1, 2]).index_add(0, ember.tensor([1]), ember.tensor([3]), alpha=2.5),
         np.array([1, 8]))  # a float alpha is truncated for integer tensors, as in PyTorch
    same(ember.tensor([True, False]).index_add(0, ember.tensor([1]), ember.tensor([True])),
         np.array([True, True]))
    same(ember.tensor(1.).index_add(0, ember.tensor([0]), ember.tensor(5.)), np.array(6., np.float32))
    same(ember.zeros(3).index_copy(0, ember.tensor([2, 0]), ember.tensor([5., 6.])),
         np.array([6., 0., 5.]))


def test_index_add_copy_fill_errors():
    x = ember.zeros(3, 4)
    i = ember.tensor([0])
    with pytest.raises(RuntimeError, match=r"Number of indices \(1\) should be equal to "
                                           r"source.size\(dim\): \(2\), for dim: 0"):
        x.index_add(0, i, ember.ones(2, 4))
    with pytest.raises(RuntimeError, match="must have the same scalar type"):
        x.index_add(0, i, ember.ones(1, 4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="source tensor shape must match self tensor shape"):
        x.index_add(0, i, ember.ones(1, 3))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x.index_add(0, ember.tensor([3]), ember.ones(1, 4))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_add(0, ember.tensor([[0]]), ember.ones(1, 4))
    with pytest.raises(IndexError, match=r"index_copy_\(\): Number of indices \(1\) should be "
                                         r"equal to source.size\(dim\) \(2\)"):
        x.index_copy(0, i, ember.ones(2, 4))
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Int"):
        x.index_copy(0, ember.tensor([0], dtype=ember.int32), ember.ones(1, 4))
    with pytest.raises(IndexError, match="index -1 is out of bounds for dimension 0 with size 3"):
        x.index_copy(0, ember.tensor([-1]), ember.ones(1, 4))
    with pytest.raises(RuntimeError, match="same slice shapes"):
        x.index_copy(0, i, ember.ones(1, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        x.index_copy(0, i, ember.ones(1, 4, dtype=ember.float64))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.index_copy(2, i, ember.ones(1, 4))
    with pytest.raises(IndexError, match="index_fill_\\(\\): Expected dtype int64 for index"):
        x.index_fill(0, ember.tensor([0], dtype=ember.int32), 1.0)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 3"):
        x.index_fill(0, ember.tensor([4]), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.index_fill(0, i, ember.tensor([1.]))
    with pytest.raises(RuntimeError, match="Index has to be a vector/scalar"):
        x.index_fill(0, ember.tensor([[0]]), 1.0)
    assert x._version_counter.value == 0


# --- put ---------------------------------------------------------------------------------
def test_put(torch):
    a = values((3, 4))
    idx = np.array([0, -1, 5, 5])
    src = values((4,))
    same(ember.tensor(a).put(ember.tensor(idx), ember.tensor(src), accumulate=True),
         torch.tensor(a).put(torch.tensor(idx), torch.tensor(src), accumulate=True))
    e, t = ember.tensor(a), torch.tensor(a)
    e.t().put_(ember.tensor(idx[:3]), ember.tensor(src[:3]))  # flat positions of the view
    t.t().put_(torch.tensor(idx[:3]), torch.tensor(src[:3]))
    same(e, t)
    x = ember.zeros(2, 2)
    assert x.put_(ember.tensor([3, 0]), ember.tensor([1., 2.])) is x
    same(x, np.array([[2., 0.], [0., 1.]]))
    with pytest.raises(IndexError, match="tensor of 12 elements: index 12 is out of bounds"):
        ember.tensor(a).put_(ember.tensor([12]), ember.tensor([1.]))
    with pytest.raises(IndexError, match=r"source.numel\(\) = 2, index.numel\(\) = 1"):
        ember.tensor(a).put_(ember.tensor([1]), ember.tensor([1., 2.]))
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.tensor(a).put_(ember.tensor([1]), ember.tensor([1]))
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Int"):
        ember.tensor(a).put_(ember.tensor([1], dtype=ember.int32), ember.tensor([1.]))


# --- masked_fill / masked_scatter --------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8", "bfloat16", "float16"])
def test_masked_fill_and_scatter(torch, dtype):
    a = values((3, 4), dtype)
    m = RNG.random((3, 4)) > 0.5
    src = values((12,), dtype)
    for layout in LAYOUTS.values():
        e, t = layout(make(a, dtype)[0]), layout(tt(torch, a, dtype))
        me, mt = layout(ember.tensor(m)), layout(torch.tensor(m))
        same(e.masked_fill(me, 1), t.masked_fill(mt, 1))
        same(e.masked_fill(me, ember.tensor(1)), t.masked_fill(mt, torch.tensor(1)))
        same(e.masked_scatter(me, make(src, dtype)[0]), t.masked_scatter(mt, tt(torch, src, dtype)))
    row = ember.tensor(m[0])  # broadcast masks
    same(make(a, dtype)[0].masked_fill(row, 0), tt(torch, a, dtype).masked_fill(torch.tensor(m[0]), 0))
    ex, tx = make(a, dtype)[0], tt(torch, a, dtype)
    ex.t().masked_fill_(ember.tensor(m.T.copy()), 1)
    tx.t().masked_fill_(torch.tensor(m.T.copy()), 1)
    ex.masked_scatter_(row, make(src, dtype)[0])
    tx.masked_scatter_(torch.tensor(m[0]), tt(torch, src, dtype))
    same(ex, tx)
    assert ex._version_counter.value == 2


def test_masked_broadcasts_self_out_of_place():
    r = ember.zeros(3).masked_fill(ember.ones(2, 3, dtype=ember.bool), 1.0)
    same(r, np.ones((2, 3)))
    r = ember.zeros(3).masked_scatter(ember.ones(2, 3, dtype=ember.bool), ember.arange(6.))
    same(r, np.arange(6.).reshape(2, 3))


def test_masked_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask "
                                           "with dtype Long"):
        x.masked_fill(ember.ones(3, 4, dtype=ember.int64), 1.)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor, but got tensor with 1 "
                                           "dimension"):
        x.masked_fill(x > 1, ember.ones(2))
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        x.masked_fill(ember.ones(3, dtype=ember.bool), 1.)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        ember.zeros(3).masked_fill_(ember.ones(2, 3, dtype=ember.bool), 1.)
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask"):
        x.masked_scatter(x == 0, ember.ones(3))
    with pytest.raises(RuntimeError, match="same dtypes but got Float and Double"):
        x.masked_scatter(x > 1, ember.ones(20, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="masked_scatter_ only supports boolean masks"):
        x.masked_scatter(ember.ones(3, 4, dtype=ember.uint8), ember.ones(12))
    with pytest.raises(RuntimeError, match="without overflow"):
        ember.zeros(2, dtype=ember.uint8).masked_fill(ember.tensor([True, False]), 300)
    with pytest.raises(RuntimeError, match="single memory location"):
        ember.zeros(3).expand(2, 3).masked_fill_(ember.ones(2, 3, dtype=ember.bool), 1.0)


# --- cross-cutting --------------------------------------------------------------------------
def test_index_tensor_not_modified_and_inplace_alias():
    idx = ember.tensor([-1, 0])
    ember.zeros(3).index_fill_(0, idx, 1.0)
    same(idx, np.array([-1, 0]))  # normalising negatives never writes into the user's index
    x = ember.arange(4.)
    x.index_copy_(0, ember.tensor([1, 0, 3, 2]), x)  # the source aliases self
    same(x, np.array([1., 0., 3., 2.]))


def test_methods_and_functions_are_installed():
    for name in ["index_select", "gather", "take", "take_along_dim", "masked_select", "nonzero",
                 "argwhere", "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy",
                 "index_fill", "index_put", "masked_fill", "masked_scatter"]:
        assert callable(getattr(ember, name)), name
    for name in ["scatter_", "scatter_add_", "scatter_reduce_", "index_add_", "index_copy_",
                 "index_fill_", "index_put_", "put_", "put", "masked_fill_", "masked_scatter_",
                 "gather", "index_select"]:
        assert callable(getattr(ember.Tensor, name)), name


# --- the autograd seam: what gets recorded, and in-place ops under recording -------------
class RecordingEngine:
    """A stand-in for ember-autograd: notes records and runs in-place ops through
    `compute(old)` as the engine contract says."""

    def __init__(self):
        self.records, self.inplace = [], []

    def set_requires_grad(self, t, flag):
        t._requires_grad = flag

    def record(self, name, inputs, outputs, params):
        self.records.append((name, inputs, outputs, params))
        for out in outputs if isinstance(outputs, tuple) else (outputs,):
            out._requires_grad = out.dtype.is_floating_point

    def apply_inplace(self, name, target, compute):
        self.inplace.append(name)
        old = ember.tensor(np.asarray(target).copy(), dtype=target.dtype)
        result = compute(old)
        target._data[...] = result._data
        target._version_counter.bump(name)
        target._requires_grad = True
        return target


@pytest.fixture
def engine():
    from ember import _autograd_seam as seam
    saved, seam.engine = seam.engine, RecordingEngine()
    try:
        yield seam.engine
    finally:
        seam.engine = saved


def test_getitem_records_keys_with_numpy_meaning(engine):
    a = np.arange(60.).reshape(3, 4, 5)
    x = ember.tensor(a).requires_grad_()
    for key in [(1, slice(None), [0, -1]), ([0, 2], slice(None), [1, 3]), (x.detach() > 30,),
                (None, 1, Ellipsis, slice(1, 3))]:
        engine.records.clear()
        out = x[key]
        arr = a
        for name, inputs, output, params in engine.records:
            assert name in ("getitem", "index")
            if name == "getitem":
                assert params["shape"] == arr.shape
            arr = arr[params["key"]]  # each recorded key means the same to numpy
            np.testing.assert_array_equal(np.asarray(output.detach()), arr)
        np.testing.assert_array_equal(np.asarray(out.detach()), arr)


def test_index_ops_record_their_inputs_and_params(engine):
    x = ember.ones(3, 4).requires_grad_()
    idx = ember.tensor([[2, -1 + 4]])
    x.gather(1, idx)
    name, inputs, _, params = engine.records[-1]
    assert name == "gather" and inputs[0] is x and params == {"dim": 1}
    x.index_select(0, ember.tensor([2, 0]))
    assert engine.records[-1][0] == "index_select" and engine.records[-1][3] == {"dim": 0}
    x.masked_fill(x.detach() > 0, 2.0)
    assert engine.records[-1][0] == "masked_fill" and engine.records[-1][3] == {"value": 2.0}
    x.scatter(0, ember.tensor([[1, 0, 2, 1]]), 5.0)
    assert engine.records[-1][0] == "scatter"
    assert engine.records[-1][3] == {"dim": 0, "reduce": None, "src": 5.0}
    ember.cat([x, x], 1)
    assert engine.records[-1][0] == "cat" and engine.records[-1][3] == {"dim": 1}


def test_inplace_ops_go_through_the_engine(engine):
    x = ember.zeros(3, 4).requires_grad_()
    y = x * 1  # a non-leaf: in-place ops on it are allowed
    y.scatter_(1, ember.tensor([[0], [1], [2]]), 1.0)
    y.index_fill_(0, ember.tensor([2]), 3.0)
    y.masked_fill_(ember.tensor([True, False, False, False]), -1.0)
    y[0, [1, 2]] = ember.tensor(7.0)
    y.index_put_((ember.tensor([1]),), ember.tensor(4.0), accumulate=True)
    assert engine.inplace == ["scatter_", "index_fill_", "masked_fill_", "__setitem__", "index_put_"]
    expected = np.zeros((3, 4), np.float32)
    expected[[0, 1, 2], [0, 1, 2]] = 1.0
    expected[2] = 3.0
    expected[:, 0] = -1.0
    expected[0, [1, 2]] = 7.0
    expected[1] += 4.0
    np.testing.assert_array_equal(np.asarray(y.detach()), expected)
    assert y._version_counter.value == 5


def test_scatter_with_a_0d_index_writes_one_element():
    x = ember.tensor([0.0, 1.0])
    assert x.scatter(0, ember.tensor(0), ember.tensor(-1.0)).tolist() == [-1.0, 1.0]
    assert x.scatter_add(0, ember.tensor(1), ember.tensor(2.0)).tolist() == [0.0, 3.0]
    assert x.scatter(0, ember.tensor(1), 5.0).tolist() == [0.0, 5.0]
