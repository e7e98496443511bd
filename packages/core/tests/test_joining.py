"""Joining and rearranging ops (`_ops/joining.py`) against numpy and PyTorch."""
import warnings

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(1)
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int8", "uint8", "bool"]


def values(shape, dtype="float32"):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype in ("float32", "float64", "float16", "bfloat16"):
        return (RNG.integers(-50, 50, size=shape) / 4).astype("float32" if dtype == "bfloat16" else dtype)
    return RNG.integers(0 if dtype == "uint8" else -50, 50, size=shape).astype(dtype)


def pair(torch, a, dtype=None, layout=lambda t: t):
    dtype = dtype or str(a.dtype)
    return (layout(ember.tensor(a, dtype=getattr(ember, dtype))),
            layout(torch.tensor(np.ascontiguousarray(a)).to(getattr(torch, dtype))))


def same(e, t):
    """ember result `e` equals torch result `t` (tensors or tuples): shape, dtype, values."""
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
        return
    if hasattr(t, "numpy"):
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        t = t.float().numpy() if str(t.dtype) == "torch.bfloat16" else t.numpy()
    got = np.asarray(e)
    assert got.shape == np.shape(t), (got.shape, np.shape(t))
    np.testing.assert_array_equal(got, t)


LAYOUTS = {"contiguous": lambda t: t, "transposed": lambda t: t.transpose(0, 1),
           "sliced": lambda t: t[:, ::2]}


# --- cat / stack ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack(torch, dtype, layout, dim):
    e1, t1 = pair(torch, values((4, 6), dtype), dtype, LAYOUTS[layout])
    e2, t2 = pair(torch, values((4, 6), dtype), dtype, LAYOUTS[layout])
    same(ember.cat([e1, e2], dim), torch.cat([t1, t2], dim))
    same(ember.cat((e1, e2, e1), dim=dim), torch.cat((t1, t2, t1), dim=dim))
    same(ember.stack([e1, e2], dim), torch.stack([t1, t2], dim))
    same(ember.concat([e1, e2], dim), torch.concat([t1, t2], dim))
    same(ember.concatenate([e1, e2], dim), np.concatenate([np.asarray(e1), np.asarray(e2)], dim))


def test_cat_promotes_and_skips_legacy_empty(torch):
    cases = [
        lambda m: m.cat([m.zeros(2, dtype=m.int32), m.ones(2, dtype=m.uint8), m.tensor([True])]),
        lambda m: m.cat([m.arange(2), m.ones(2, dtype=m.float16)]),
        lambda m: m.cat([m.ones(2, dtype=m.bfloat16), m.ones(2, dtype=m.float16)]),
        lambda m: m.cat([m.ones(2, 3), m.zeros(0)]),
        lambda m: m.cat([m.zeros(0), m.ones(2, 3)], dim=1),
        lambda m: m.cat([m.zeros(0), m.zeros(0)], dim=5),  # only legacy empties: no dim check
        lambda m: m.cat([m.zeros(0, 3), m.ones(2, 3)]),
        lambda m: m.cat([m.arange(6).view(2, 3).t(), m.arange(3).view(3, 1)], 1),
        lambda m: m.cat([m.arange(3)]),
    ]
    for case in cases:
        same(case(ember), case(torch))
    x = ember.arange(3)
    assert ember.cat([x])._version_counter is not x._version_counter  # always a new tensor


def test_cat_stack_out(torch):
    out = ember.empty(4)
    r = ember.cat([ember.ones(2), ember.zeros(2)], out=out)
    assert r is out and out._version_counter.value == 1
    same(out, np.array([1., 1., 0., 0.]))
    out = ember.empty(0)  # an empty out is resized without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.stack([ember.ones(2), ember.zeros(2)], out=out)
    same(out, np.array([[1., 1.], [0., 0.]]))
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.cat([ember.ones(2)], out=ember.zeros(2, dtype=ember.int64))


@pytest.mark.parametrize("call, error, match", [
    (lambda: ember.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (lambda: ember.cat([ember.zeros(2), ember.tensor(1.)]), RuntimeError,
     r"zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    (lambda: ember.cat([ember.zeros(2, 3), ember.zeros(2, 3, 1)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 3"),
    (lambda: ember.cat([ember.zeros(2, 3), ember.zeros(3, 3)], dim=1), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
     "tensor number 1 in the list"),
    (lambda: ember.cat([ember.zeros(2, 3)], dim=2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda: ember.cat([ember.zeros(2), 1]), TypeError, "expected Tensor as element 1"),
    (lambda: ember.cat(ember.zeros(2, 2)), TypeError, "must be tuple of Tensors, not Tensor"),
    (lambda: ember.stack([ember.zeros(2), ember.zeros(3)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"),
    (lambda: ember.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda: ember.stack([ember.zeros(2)], dim=3), IndexError, "Dimension out of range"),
    (lambda: ember.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda: ember.vstack([]), RuntimeError, "vstack expects a non-empty TensorList"),
])
def test_cat_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_hstack_vstack_dstack_column_stack(torch):
    cases = [
        lambda m: m.hstack([m.tensor(1), m.tensor([2, 3])]),
        lambda m: m.hstack([m.zeros(2, 1), m.ones(2, 3)]),
        lambda m: m.vstack([m.tensor([1, 2]), m.tensor([[3, 4]])]),
        lambda m: m.row_stack([m.tensor([1, 2]), m.tensor([3, 4])]),
        lambda m: m.dstack([m.tensor([1, 2]), m.tensor([[3, 4]])]),
        lambda m: m.dstack([m.zeros(2, 3, 1), m.ones(2, 3)]),
        lambda m: m.column_stack([m.tensor(1), m.tensor([2])]),
        lambda m: m.column_stack([m.zeros(2, 3), m.tensor([2, 3]), m.ones(2, 1, dtype=m.int64)]),
    ]
    for case in cases:
        same(case(ember), case(torch))


# --- repeat / tile / repeat_interleave -----------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat_tile(torch, dtype, layout):
    e, t = pair(torch, values((3, 4), dtype), dtype, LAYOUTS[layout])
    for reps in [(1, 1), (2, 3), (2, 1, 3), (0, 2), (1, 2, 1, 1)]:
        same(e.repeat(*reps), t.repeat(*reps))
        same(e.repeat(reps), t.repeat(reps))
    for reps in [(2,), (2, 3), (2, 1, 2), ()]:
        same(e.tile(reps), t.tile(reps))
        same(ember.tile(e, reps), np.tile(np.asarray(e), reps))
    same(ember.tensor(1).repeat(2, 3), torch.tensor(1).repeat(2, 3))
    same(ember.tile(ember.tensor(1), (2,)), torch.tile(torch.tensor(1), (2,)))


def test_repeat_errors():
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller"):
        ember.zeros(2, 3).repeat(2)
    with pytest.raises(RuntimeError, match=r"negative dimension -3: \[4, -3\]"):
        ember.zeros(2, 3).repeat(2, -1)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        ember.zeros(2).repeat(1.5)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_repeat_interleave(torch, dtype):
    e, t = pair(torch, values((2, 3), dtype), dtype)
    same(e.repeat_interleave(2), t.repeat_interleave(2))
    same(e.t().repeat_interleave(2, dim=-1), t.t().repeat_interleave(2, dim=-1))
    reps = np.array([1, 0, 3])
    same(e.repeat_interleave(ember.tensor(reps), dim=1), t.repeat_interleave(torch.tensor(reps), dim=1))
    same(e.repeat_interleave(ember.tensor([2]), dim=0), t.repeat_interleave(torch.tensor([2]), dim=0))
    same(ember.repeat_interleave(ember.tensor([1, 2, 0])), torch.repeat_interleave(torch.tensor([1, 2, 0])))
    same(ember.tensor(1).repeat_interleave(2), torch.tensor(1).repeat_interleave(2))
    same(e.repeat_interleave(2, dim=0, output_size=4), np.repeat(np.asarray(e), 2, axis=0))
    same(e.repeat_interleave(ember.tensor(reps, dtype=ember.int32), dim=1),
         np.repeat(np.asarray(e), reps, axis=1))
    same(ember.zeros(0, 3).repeat_interleave(2, dim=0), np.zeros((0, 3), np.float32))


@pytest.mark.parametrize("call, match", [
    (lambda: ember.arange(3).repeat_interleave(-1), "Repeats must be non-negative"),
    (lambda: ember.arange(3).repeat_interleave(ember.tensor([1, 2])),
     r"repeats.size\(0\) = 2 and input.size\(0\) = 3"),
    (lambda: ember.arange(3).repeat_interleave(ember.tensor([[1, 2, 1]])), "0-dim or 1-dim"),
    (lambda: ember.arange(3).repeat_interleave(ember.tensor([1, -2, 1])), "can not be negative"),
    (lambda: ember.arange(3).repeat_interleave(ember.tensor([1., 2, 1])), "integer tensor"),
    (lambda: ember.tensor([1, 2]).repeat_interleave(2, dim=0, output_size=3),
     "Invalid output_size, expected 4 but got 3"),
])
def test_repeat_interleave_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


# --- flip / roll / rot90 ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16", "uint8"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_flip_roll_rot90(torch, dtype, layout):
    e, t = pair(torch, values((4, 6, 3), dtype), dtype, LAYOUTS[layout])
    for dims in [(0,), (0, 2), (-1,), (), (2, 0, 1)]:
        same(e.flip(dims), t.flip(dims))
    same(e.flip(0, 1), t.flip(0, 1))
    same(ember.flip(e, [1]), np.flip(np.asarray(e), 1))
    same(e.fliplr(), t.fliplr())
    same(e.flipud(), t.flipud())
    for shifts, dims in [(1, 0), ((1, -2), (0, 2)), (7, None), (-3, -1), ((2,), None), (0, 1)]:
        same(e.roll(shifts, dims), t.roll(shifts, dims))
    same(ember.roll(e, 5), np.roll(np.asarray(e), 5))
    for k in range(-5, 6):
        for dims in [(0, 1), (2, 0), (-1, -2)]:
            same(e.rot90(k, dims), t.rot90(k, dims))
    same(ember.rot90(e), np.rot90(np.asarray(e)))


def test_flip_roll_edges(torch):
    for case in [lambda m: m.tensor(1.).flip(0), lambda m: m.tensor(1.).roll(1),
                 lambda m: m.zeros(0, 3).roll(1, 0), lambda m: m.zeros(0, 3).flip(0),
                 lambda m: m.arange(5).roll(12)]:
        same(case(ember), case(torch))
    x = ember.arange(3)
    y = x.flip(0)
    y[0] = 10
    assert x[2].item() == 2  # flip copies


@pytest.mark.parametrize("call, error, match", [
    (lambda: ember.zeros(2, 3).flip(0, 0), RuntimeError, "appears multiple times"),
    (lambda: ember.zeros(2, 3).flip(2), IndexError, "Dimension out of range"),
    (lambda: ember.arange(6).fliplr(), RuntimeError, "Input must be >= 2-d"),
    (lambda: ember.tensor(6).flipud(), RuntimeError, "Input must be >= 1-d"),
    (lambda: ember.zeros(2, 3).roll((1, 2), (0,)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda: ember.arange(3).roll((1, 2)), RuntimeError, "shifts and dimensions must align"),
    (lambda: ember.tensor(1.).roll(1, 0), IndexError, "Dimension specified as 0 but tensor has no"),
    (lambda: ember.zeros(2, 3).rot90(1, (0, 0)), RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0"),
    (lambda: ember.zeros(2, 3).rot90(1, (0,)), RuntimeError, "expected total rotation dims == 2"),
    (lambda: ember.zeros(2).rot90(), RuntimeError, "expected total dims >= 2"),
    (lambda: ember.zeros(2, 3).rot90(1, (0, 2)), IndexError, "Dimension out of range"),
])
def test_flip_roll_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- triangles and diagonals ----------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_tril_triu(torch, dtype, layout):
    e, t = pair(torch, values((3, 8, 5), dtype), dtype, LAYOUTS[layout])
    for k in range(-5, 6):
        same(e.tril(k), t.tril(k))
        same(ember.triu(e, k), torch.triu(t, k))
    same(ember.tril(ember.zeros(0, 3)), torch.tril(torch.zeros(0, 3)))


def test_tril_triu_inplace_and_out():
    x = ember.ones(3, 3)
    v = x.t()
    assert v.tril_(-1) is v  # in place through a transposed view
    same(x, np.triu(np.ones((3, 3)), 1))
    assert x._version_counter.value == 1
    out = ember.empty(2, 2)
    assert ember.triu(ember.ones(2, 2), out=out) is out
    same(out, np.triu(np.ones((2, 2))))
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        ember.zeros(2).tril()
    with pytest.raises(RuntimeError, match="triu: input tensor must have at least 2 dimensions"):
        ember.zeros(2).triu_()
    with pytest.raises(RuntimeError, match="single memory location"):
        ember.ones(3).expand(3, 3).tril_()


def test_diag_family(torch):
    cases = [lambda m, k=k: m.diag(m.tensor([1, 2, 3]), k) for k in range(-3, 4)]
    cases += [lambda m, k=k: m.diag(m.arange(12).view(3, 4).t(), k) for k in range(-4, 6)]
    cases += [lambda m: m.diagflat(m.tensor([[1, 2], [3, 4]]), 1),
              lambda m: m.diagflat(m.tensor([1., 2.]), -1),
              lambda m: m.arange(6).view(2, 3).diag_embed(),
              lambda m: m.tensor([True, False]).diag_embed()]
    cases += [lambda m, o=o, d=d: m.arange(6.).view(2, 3).t().diag_embed(o, *d)
              for o in (-2, 0, 1) for d in ((0, 1), (-1, 0), (2, 0), (0, 2))]
    for case in cases:
        same(case(ember), case(torch))
    same(ember.diag(ember.tensor([1, 2]), 1), np.diag([1, 2], 1))
    d = ember.arange(9).view(3, 3)
    c = ember.diag(d)
    c[0] = 100
    assert d[0, 0].item() == 0  # diag of a matrix copies (diagonal() is the view)
    out = ember.empty(2, 2)
    assert ember.diag(ember.ones(2), out=out) is out
    same(out, np.eye(2))


@pytest.mark.parametrize("call, error, match", [
    (lambda: ember.zeros(2, 2, 2).diag(), RuntimeError, "Supports 1D or 2D tensors. Got 3D"),
    (lambda: ember.tensor(1.).diag(), RuntimeError, "Supports 1D or 2D tensors. Got 0D"),
    (lambda: ember.zeros(2, 2).diag_embed(0, 1, 1), RuntimeError,
     "diagonal dimensions cannot be identical 1, 1"),
    (lambda: ember.zeros(2).diag_embed(0, 0, 2), IndexError, "Dimension out of range"),
    (lambda: ember.tensor(1.).diag_embed(), IndexError, "Dimension out of range"),
])
def test_diag_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- meshgrid, atleast, block_diag, cartesian_prod, combinations --------------------------
def test_meshgrid(torch):
    for indexing in ("ij", "xy"):
        for n in (1, 2, 3):
            args = [values((k + 2,)) for k in range(n)]
            e = ember.meshgrid(*[ember.tensor(a) for a in args], indexing=indexing)
            t = torch.meshgrid(*[torch.tensor(a) for a in args], indexing=indexing)
            same(e, t)
            same(e, np.meshgrid(*args, indexing=indexing))
    a, b = ember.arange(2), ember.tensor(5)
    same(ember.meshgrid([a, b], indexing="ij"), torch.meshgrid([torch.arange(2), torch.tensor(5)],
                                                                indexing="ij"))
    gx, gy = ember.meshgrid(a, ember.arange(3), indexing="ij")
    assert gx._version_counter is a._version_counter  # grids are views of the inputs
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        same(ember.meshgrid(a, a), torch.meshgrid(torch.arange(2), torch.arange(2), indexing="ij"))


@pytest.mark.parametrize("call, match", [
    (lambda: ember.meshgrid(ember.zeros(2), indexing="foo"), 'indexing must be one of "xy" or "ij"'),
    (lambda: ember.meshgrid(ember.zeros(2, 2), indexing="ij"), "Expected 0D or 1D tensor"),
    (lambda: ember.meshgrid(ember.zeros(2), ember.zeros(2, dtype=ember.int64), indexing="ij"),
     "same dtype"),
    (lambda: ember.meshgrid(indexing="ij"), "non-empty TensorList"),
    (lambda: ember.block_diag(ember.zeros(2, 2, 2)), "Input 0 has 3 dimensions"),
    (lambda: ember.cartesian_prod(ember.tensor([[1, 2]]), ember.tensor([1])),
     r"Expect a 1D vector, but got shape \[1, 2\]"),
    (lambda: ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([1.])), "same dtype"),
    (lambda: ember.combinations(ember.tensor([[1, 2, 3]])), "Expect a 1D vector"),
    (lambda: ember.combinations(ember.tensor([1, 2]), -1), "Expect a non-negative number, but got -1"),
])
def test_grid_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_atleast(torch):
    inputs = [lambda m: m.tensor(1.), lambda m: m.arange(2), lambda m: m.zeros(2, 3),
              lambda m: m.zeros(1, 2, 3, 4)]
    for make in inputs:
        for fn in ("atleast_1d", "atleast_2d", "atleast_3d"):
            e, t = getattr(ember, fn)(make(ember)), getattr(torch, fn)(make(torch))
            same(e, t)
    x = ember.zeros(2, 3)
    assert ember.atleast_1d(x) is x
    assert ember.atleast_3d(x)._version_counter is x._version_counter
    same(ember.atleast_2d(ember.tensor(1), ember.tensor([1, 2])),
         torch.atleast_2d(torch.tensor(1), torch.tensor([1, 2])))
    same(ember.atleast_1d([ember.tensor(1), ember.tensor([1, 2])]),
         torch.atleast_1d([torch.tensor(1), torch.tensor([1, 2])]))


def test_block_diag_cartesian_combinations(torch):
    cases = [
        lambda m: m.block_diag(m.tensor(1), m.tensor([2., 3]), m.ones(2, 2, dtype=m.int32)),
        lambda m: m.block_diag(m.zeros(0, 2), m.ones(2, 0), m.ones(1, 1)),
        lambda m: m.block_diag(m.arange(6).view(2, 3).t()),
        lambda m: m.block_diag(),
        lambda m: m.cartesian_prod(m.tensor([1, 2])),
        lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3]), m.tensor([4, 5, 6])),
        lambda m: m.combinations(m.tensor([1, 2, 3, 4]), 3),
        lambda m: m.combinations(m.tensor([1., 2, 3]), 2, with_replacement=True),
        lambda m: m.combinations(m.tensor([1, 2, 3]), 0),
        lambda m: m.combinations(m.tensor([1, 2, 3]), 5),
    ]
    for case in cases:
        same(case(ember), case(torch))


def test_functions_and_methods_installed():
    for name in ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
                 "column_stack", "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll",
                 "rot90", "tril", "triu", "diag", "diag_embed", "diagflat", "meshgrid", "atleast_1d",
                 "atleast_2d", "atleast_3d", "block_diag", "cartesian_prod", "combinations"]:
        assert callable(getattr(ember, name)), name
    for name in ["repeat", "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "rot90",
                 "tril", "triu", "tril_", "triu_", "diag", "diag_embed", "diagflat"]:
        assert callable(getattr(ember.Tensor, name)), name
