"""Matrix products and ember.linalg: values against numpy and PyTorch, layouts, dtypes,
out=, and PyTorch's errors."""
import math
import warnings

import numpy as np
import pytest

import ember
from ember import linalg as LA

RTOL = {np.float32: 1e-4, np.float64: 1e-10, np.int64: 0, np.int32: 0}


def arr(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-4, 5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def laid_out(values, layout):
    """An ember tensor holding `values` with the given memory layout."""
    if layout == "contig" or values.ndim == 0:
        return ember.tensor(values)
    if layout == "T":  # transposed storage (last two dims swapped), or reversed 1-D
        if values.ndim == 1:  # a column of a 2-D tensor: stride 2
            return ember.tensor(np.stack([values, values], 1))[:, 0]
        t = ember.tensor(np.ascontiguousarray(np.swapaxes(values, -1, -2)))
        return t.transpose(-1, -2)
    if layout == "step":  # every other element of a wider tensor
        wide = np.repeat(values, 2, axis=-1)
        return ember.tensor(wide)[..., ::2]
    raise ValueError(layout)


def check(result, expected, dtype=np.float32):
    assert isinstance(result, ember.Tensor)
    expected = np.asarray(expected)
    assert tuple(result.shape) == expected.shape
    tol = RTOL.get(np.dtype(dtype).type, 1e-3)
    np.testing.assert_allclose(result.numpy(), expected, rtol=tol, atol=tol)


def T(torch, x):
    return torch.from_numpy(np.array(x))  # a C-contiguous copy (keeps 0-d arrays 0-d)


# --- matmul family -------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3,)),
    ((3,), (5, 3, 2)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 5)),
    ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((2, 3), (3, 0)), ((0, 2, 3), (3, 4)), ((1, 1), (1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
@pytest.mark.parametrize("layout", ["contig", "T", "step"])
def test_matmul_values(torch, shapes, dtype, layout):
    a, b = arr(shapes[0], dtype, 1), arr(shapes[1], dtype, 2)
    ta, tb = laid_out(a.copy(), layout), laid_out(b.copy(), "contig" if layout == "T" else layout)
    result = ember.matmul(ta, tb)
    assert result.dtype == ember.tensor(a).dtype
    check(result, np.matmul(a, b), dtype)
    check(result, torch.matmul(T(torch, a), T(torch, b)).numpy(), dtype)
    check(ta @ tb, np.matmul(a, b), dtype)
    check(ta.matmul(tb), np.matmul(a, b), dtype)


def test_matmul_broadcast_expanded_operand(torch):
    a = arr((4, 2, 3))
    b = arr((1, 3, 5))
    tb = ember.tensor(b).expand(4, 3, 5)  # zero batch stride
    expected = torch.matmul(T(torch, a), T(torch, b).expand(4, 3, 5)).numpy()
    check(ember.matmul(ember.tensor(a), tb), expected)
    check(ember.bmm(ember.tensor(a), tb), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_mm_mv_bmm_dot(torch, dtype):
    a, b, v = arr((4, 3), dtype, 1), arr((3, 5), dtype, 2), arr((3,), dtype, 3)
    check(ember.mm(ember.tensor(a), ember.tensor(b)), a @ b, dtype)
    check(ember.tensor(a).mm(ember.tensor(b)), torch.mm(T(torch, a), T(torch, b)).numpy(), dtype)
    check(ember.mv(ember.tensor(a), ember.tensor(v)), a @ v, dtype)
    check(ember.tensor(a).mv(ember.tensor(v)), torch.mv(T(torch, a), T(torch, v)).numpy(), dtype)
    x, y = arr((2, 4, 3), dtype, 4), arr((2, 3, 6), dtype, 5)
    check(ember.bmm(ember.tensor(x), ember.tensor(y)), x @ y, dtype)
    check(ember.dot(ember.tensor(v), ember.tensor(v)), np.dot(v, v), dtype)
    check(ember.vdot(ember.tensor(v), ember.tensor(v)), torch.vdot(T(torch, v), T(torch, v)).numpy(),
          dtype)
    assert ember.dot(ember.tensor(v), ember.tensor(v)).shape == ()


def test_integer_matmul_wraps_like_torch(torch):
    a = np.full((2, 3), 100, np.int8)
    b = np.ones((3, 2), np.int8)
    result = ember.mm(ember.tensor(a), ember.tensor(b))
    assert result.dtype is ember.int8
    np.testing.assert_array_equal(result.numpy(), torch.mm(T(torch, a), T(torch, b)).numpy())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_matmul(torch, dtype):
    a, b = arr((8, 16)), arr((16, 4))
    ea = ember.tensor(a).to(getattr(ember, dtype))
    eb = ember.tensor(b).to(getattr(ember, dtype))
    result = ember.matmul(ea, eb)
    assert result.dtype is getattr(ember, dtype)
    expected = torch.matmul(T(torch, a).to(getattr(torch, dtype)), T(torch, b).to(getattr(torch, dtype)))
    np.testing.assert_allclose(result.float().numpy(), expected.float().numpy(), rtol=2e-2, atol=2e-2)


def test_mm_zero_inner_dim_gives_zeros():
    result = ember.mm(ember.ones(2, 0), ember.ones(0, 3))
    np.testing.assert_array_equal(result.numpy(), np.zeros((2, 3), np.float32))


def test_matmul_out_written_in_place():
    a, b = arr((4, 3)), arr((3, 5))
    out = ember.empty(4, 5)
    ptr, version = out.data_ptr(), out._version_counter.value
    result = ember.matmul(ember.tensor(a), ember.tensor(b), out=out)
    assert result is out and out.data_ptr() == ptr and out._version_counter.value == version + 1
    check(out, a @ b)
    # a transposed (non-contiguous) out is written through its strides
    base = ember.empty(5, 4)
    out_t = base.t()
    ember.mm(ember.tensor(a), ember.tensor(b), out=out_t)
    check(base, (a @ b).T)
    # 1-D @ 1-D into a 0-d out, and bmm / mv / dot with out=
    v = arr((3,))
    o = ember.empty(())
    ember.dot(ember.tensor(v), ember.tensor(v), out=o)
    check(o, v @ v)
    o = ember.empty(4)
    ember.mv(ember.tensor(a), ember.tensor(v), out=o)
    check(o, a @ v)


def test_matmul_out_aliasing_input():
    a = arr((3, 3))
    t = ember.tensor(a)
    ember.mm(t, t, out=t)
    check(t, a @ a)


def test_matmul_out_resized_and_checked(torch):
    a, b = arr((2, 3)), arr((3, 2))
    out = ember.empty(0)
    ember.mm(ember.tensor(a), ember.tensor(b), out=out)
    check(out, a @ b)
    out = ember.empty(3, 3)
    with pytest.warns(UserWarning, match="was resized"):
        ember.matmul(ember.tensor(a), ember.tensor(b), out=out)
    check(out, a @ b)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double "
                                           "instead"):
        ember.mm(ember.tensor(a), ember.tensor(b), out=ember.empty(2, 2, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got long int"):
        ember.matmul(ember.tensor(a), ember.tensor(b), out=ember.empty(2, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="result dtype Double does not match input dtype Float"):
        ember.dot(ember.ones(2), ember.ones(2), out=ember.empty((), dtype=ember.float64))
    # float16 out= goes through the general path
    h = ember.empty(2, 2, dtype=ember.float16)
    ember.mm(ember.tensor(a).half(), ember.tensor(b).half(), out=h)
    np.testing.assert_allclose(h.float().numpy(), a @ b, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("call, exc, message", [
    (lambda: ember.mm(ember.ones(2, 3), ember.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: ember.mm(ember.ones(2, 3), ember.ones(3, 3, dtype=ember.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: ember.matmul(ember.ones(2, 3, dtype=ember.int64), ember.ones(3, 3, dtype=ember.int32)),
     RuntimeError, "expected m1 and m2 to have the same dtype, but got: long int != int"),
    (lambda: ember.mm(ember.ones(2, 2, dtype=ember.bool), ember.ones(2, 2, dtype=ember.bool)),
     NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: ember.mm(ember.ones(3), ember.ones(3)), RuntimeError, "self must be a matrix"),
    (lambda: ember.mm(ember.ones(2, 3), ember.ones(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: ember.mm(ember.ones(2, 3), [[1.0]]), TypeError,
     r"mm\(\): argument 'mat2' \(position 2\) must be Tensor, not list"),
    (lambda: ember.matmul(ember.ones(3), ember.ones(4)), RuntimeError,
     r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of "
     r"elements, but got 3 and 4 elements respectively"),
    (lambda: ember.matmul(ember.ones(3), ember.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    (lambda: ember.matmul(ember.ones(2, 3, 4), ember.ones(5, 6)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)"),
    (lambda: ember.matmul(ember.ones(2, 3, 4), ember.ones(5)), RuntimeError,
     r"size mismatch, got input \(6\), mat \(6x4\), vec \(5\)"),
    (lambda: ember.matmul(ember.ones(2, 3, 4), ember.ones(5, 4, 2)), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(5\) at non-singleton dimension 0"),
    (lambda: ember.matmul(ember.ones(2, 1, 3, 4), ember.ones(7, 5, 6)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[14, 4\] but got: \[14, 5\]."),
    (lambda: ember.matmul(ember.ones(3), ember.ones(2, 5, 6)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 5\]."),
    (lambda: ember.matmul(ember.tensor(1.0), ember.ones(3)), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda: ember.matmul(ember.ones(2, dtype=ember.bool), ember.ones(2, dtype=ember.bool)),
     NotImplementedError, "\"dot\" not implemented for 'Bool'"),
    (lambda: ember.mv(ember.ones(2, 3), ember.ones(4)), RuntimeError,
     r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda: ember.mv(ember.ones(3), ember.ones(3)), RuntimeError,
     "vector \\+ matrix @ vector expected, got 1, 1, 1"),
    (lambda: ember.mv(ember.ones(2, 3), ember.ones(3, dtype=ember.float64)), RuntimeError,
     "addmv input tensors must have the same dtype, but got Float, Float, and Double"),
    (lambda: ember.bmm(ember.ones(2, 3, 4), ember.ones(2, 5, 6)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\]."),
    (lambda: ember.bmm(ember.ones(3, 4), ember.ones(4, 5)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: ember.bmm(ember.ones(2, 3, 4), ember.ones(2, 4, 6, dtype=ember.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: ember.dot(ember.ones(2, 3), ember.ones(2, 3)), RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: ember.dot(ember.ones(3), ember.ones(4)), RuntimeError,
     r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"),
    (lambda: ember.dot(ember.ones(3), ember.ones(3, dtype=ember.int64)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Long"),
    (lambda: ember.vdot(ember.ones(2, 2), ember.ones(2, 2)), RuntimeError, "1D tensors expected"),
])
def test_matmul_errors(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_matmul_errors_match_torch_messages(torch):
    for fn in ("mm", "matmul"):
        with pytest.raises(RuntimeError) as mine:
            getattr(ember, fn)(ember.ones(2, 3), ember.ones(4, 5))
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch, fn)(torch.ones(2, 3), torch.ones(4, 5))
        assert str(mine.value) == str(theirs.value)


def test_matmul_operators():
    a, b = arr((2, 3)), arr((3, 4))
    ta, tb = ember.tensor(a), ember.tensor(b)
    check(ta @ tb, a @ b)
    check(tb.__rmatmul__(ta), a @ b)
    with pytest.raises(TypeError):
        ta @ [[1.0]]
    with pytest.raises(TypeError):
        [[1.0, 2.0]] @ ta
    # `@=` rebinds to the product (PyTorch has no in-place matmul): shape may change
    x = ta
    x @= tb
    assert x is not ta and tuple(x.shape) == (2, 4)
    check(x, a @ b)
    check(ta, a)


# --- products with an added term --------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, 3.0), (2, 0)])
def test_addmm_family(torch, dtype, beta, alpha):
    m1, m2, inp = arr((3, 4), dtype, 1), arr((4, 5), dtype, 2), arr((5,), dtype, 3)
    b1, b2 = arr((2, 3, 4), dtype, 4), arr((2, 4, 5), dtype, 5)
    v, w = arr((4,), dtype, 6), arr((5,), dtype, 7)
    kw = dict(beta=beta, alpha=alpha)
    check(ember.addmm(ember.tensor(inp), ember.tensor(m1), ember.tensor(m2), **kw),
          torch.addmm(T(torch, inp), T(torch, m1), T(torch, m2), **kw).numpy(), dtype)
    check(ember.addmm(ember.tensor(inp), ember.tensor(m1), ember.tensor(m2), **kw),
          beta * inp + alpha * (m1 @ m2), dtype)
    check(ember.addmv(ember.tensor(inp[:3]), ember.tensor(m1), ember.tensor(v), **kw),
          torch.addmv(T(torch, inp[:3]), T(torch, m1), T(torch, v), **kw).numpy(), dtype)
    check(ember.addr(ember.tensor(m1[:, :1]), ember.tensor(inp[:3]), ember.tensor(w), **kw),
          torch.addr(T(torch, m1[:, :1]), T(torch, inp[:3]), T(torch, w), **kw).numpy(), dtype)
    check(ember.baddbmm(ember.tensor(inp), ember.tensor(b1), ember.tensor(b2), **kw),
          torch.baddbmm(T(torch, inp), T(torch, b1), T(torch, b2), **kw).numpy(), dtype)
    check(ember.addbmm(ember.tensor(inp), ember.tensor(b1), ember.tensor(b2), **kw),
          torch.addbmm(T(torch, inp), T(torch, b1), T(torch, b2), **kw).numpy(), dtype)


def test_addmm_beta_zero_ignores_nan_and_layouts(torch):
    m1, m2 = arr((3, 4)), arr((4, 2))
    nan = ember.full((3, 2), float("nan"))
    check(ember.addmm(nan, ember.tensor(m1), ember.tensor(m2), beta=0), m1 @ m2)
    check(ember.addmm(nan, laid_out(m1.copy(), "T"), laid_out(m2.copy(), "step"), beta=0), m1 @ m2)
    check(ember.addmm(ember.tensor(2.0), ember.tensor(m1), ember.tensor(m2)), 2 + m1 @ m2)


def test_addmm_integers(torch):
    ones = np.ones((2, 2), np.int64)
    for kw in (dict(alpha=0.5), dict(beta=2.5), dict(beta=3, alpha=2)):
        mine = ember.addmm(ember.tensor(ones), ember.tensor(ones), ember.tensor(ones), **kw)
        theirs = torch.addmm(T(torch, ones), T(torch, ones), T(torch, ones), **kw)
        assert mine.dtype is ember.int64
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="For integral input tensors, argument beta must not be a "
                                           "floating point number."):
        ember.addr(ember.tensor(ones), ember.ones(2, dtype=ember.int64),
                   ember.ones(2, dtype=ember.int64), beta=1.5)


def test_addr_promotes_and_bool(torch):
    inp, v = np.ones((2, 3), np.float32), np.arange(2)
    w = np.array([1.0, 2.0, 3.0], np.float32)
    mine = ember.addr(ember.tensor(inp), ember.tensor(v), ember.tensor(w))
    assert mine.dtype is ember.float32
    check(mine, torch.addr(T(torch, inp), T(torch, v), T(torch, w)).numpy())
    b = ember.addr(ember.zeros(2, 2, dtype=ember.bool), ember.tensor([True, False]),
                   ember.tensor([True, True]))
    assert b.dtype is ember.bool
    assert b.tolist() == [[True, True], [False, False]]


def test_addmm_inplace_variants(torch):
    m1, m2, inp = arr((3, 4), seed=1), arr((4, 5), seed=2), arr((3, 5), seed=3)
    t = ember.tensor(inp)
    ptr, version = t.data_ptr(), t._version_counter.value
    assert t.addmm_(ember.tensor(m1), ember.tensor(m2), beta=0.5, alpha=2) is t
    assert t.data_ptr() == ptr and t._version_counter.value == version + 1
    check(t, 0.5 * inp + 2 * (m1 @ m2))
    t = ember.tensor(inp[:, 0].copy())
    t.addmv_(ember.tensor(m1), ember.tensor(m2[:, 0].copy()))
    check(t, inp[:, 0] + m1 @ m2[:, 0])
    t = ember.tensor(inp)
    t.addr_(ember.tensor(inp[:, 0].copy()), ember.tensor(inp[0].copy()))
    check(t, inp + np.outer(inp[:, 0], inp[0]))
    b1, b2 = arr((2, 3, 4)), arr((2, 4, 5))
    t = ember.tensor(np.stack([inp, inp]))
    t.baddbmm_(ember.tensor(b1), ember.tensor(b2))
    check(t, inp + b1 @ b2)
    t = ember.tensor(inp)
    t.addbmm_(ember.tensor(b1), ember.tensor(b2), alpha=2)
    check(t, inp + 2 * (b1 @ b2).sum(0))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.ones(5).addmm_(ember.ones(3, 4), ember.ones(4, 5))


@pytest.mark.parametrize("call, message", [
    (lambda: ember.addmm(ember.ones(3, 5), ember.ones(2, 4), ember.ones(4, 5)),
     r"The expanded size of the tensor \(2\) must match the existing size \(3\) at non-singleton "
     r"dimension 0.  Target sizes: \[2, 5\].  Tensor sizes: \[3, 5\]"),
    (lambda: ember.addmm(ember.ones(2, 5), ember.ones(2, 4), ember.ones(4, 5, dtype=ember.float64)),
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: ember.addmm(ember.ones(2, 5, dtype=ember.float64), ember.ones(2, 4), ember.ones(4, 5)),
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda: ember.addmm(ember.ones(2, 2), ember.ones(3), ember.ones(2, 2)),
     "mat1 must be a matrix, got 1-D tensor"),
    (lambda: ember.addmv(ember.ones(3), ember.ones(2, 4), ember.ones(4)),
     r"size mismatch, got input \(3\), mat \(2x4\), vec \(4\)"),
    (lambda: ember.addmv(ember.ones(2, 2), ember.ones(2, 2), ember.ones(2)),
     "vector \\+ matrix @ vector expected, got 2, 2, 1"),
    (lambda: ember.addr(ember.ones(2, 3), ember.ones(2, 1), ember.ones(3)),
     "addr: Expected 1-D argument vec1, but got 2-D"),
    (lambda: ember.addr(ember.ones(2, 3), ember.ones(2), ember.ones(4)),
     r"The expanded size of the tensor \(4\) must match the existing size \(3\)"),
    (lambda: ember.baddbmm(ember.ones(2, 3, 5), ember.ones(2, 3, 4), ember.ones(2, 4, 6)),
     r"The expanded size of the tensor \(6\) must match the existing size \(5\)"),
    (lambda: ember.baddbmm(ember.ones(2, 3, 5, dtype=ember.float64), ember.ones(2, 3, 4),
                           ember.ones(2, 4, 5)),
     "Input dtypes must be the same, got: input double, batch1: float, batch2: float"),
    (lambda: ember.addbmm(ember.ones(3, 5), ember.ones(2, 3, 4), ember.ones(3, 4, 5)),
     "batch1 and batch2 must have same number of batches, got 2 and 3"),
    (lambda: ember.addbmm(ember.ones(2, 2), ember.ones(2, 2, 3), ember.ones(2, 2, 2)),
     r"Incompatible matrix sizes for bmm \(2x3 and 2x2\)"),
])
def test_addmm_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


# --- inner, outer, kron, tensordot, trace, cross, cdist ---------------------------------------
@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 3)), ((3,), (3,)), ((), (2, 3)), ((2, 3), ()),
                                    ((2, 2, 3), (3,)), ((0, 3), (2, 3))])
def test_inner(torch, sa, sb):
    a, b = arr(sa, seed=1), arr(sb, seed=2)
    check(ember.inner(ember.tensor(a), ember.tensor(b)), np.inner(a, b))
    check(ember.tensor(a).inner(ember.tensor(b)), torch.inner(T(torch, a), T(torch, b)).numpy())


def test_outer_ger_kron(torch):
    a, b = arr((3,), seed=1), arr((4,), np.float64, 2)
    result = ember.outer(ember.tensor(a), ember.tensor(b))
    assert result.dtype is ember.float64  # promotes, as PyTorch
    check(result, np.outer(a, b), np.float64)
    check(ember.ger(ember.tensor(a), ember.tensor(b)), np.outer(a, b), np.float64)
    check(ember.tensor(a).outer(ember.tensor(a)), np.outer(a, a))
    ints = ember.outer(ember.tensor([1, 2]), ember.tensor([3, 4]))
    assert ints.dtype is ember.int64 and ints.tolist() == [[3, 4], [6, 8]]
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        ember.outer(ember.ones(2, 2), ember.ones(2))
    x, y = arr((2, 3), seed=3), arr((4,), seed=4)
    check(ember.kron(ember.tensor(x), ember.tensor(y)), np.kron(x, y))
    check(ember.kron(ember.tensor(x), ember.tensor(y)), torch.kron(T(torch, x), T(torch, y)).numpy())
    k = ember.kron(ember.tensor([1, 2]), ember.tensor(y))
    assert k.dtype is ember.float32
    check(k, torch.kron(torch.tensor([1, 2]), T(torch, y)).numpy())
    check(ember.kron(laid_out(arr((3, 2)), "T"), ember.tensor(x)), np.kron(arr((3, 2)), x))


@pytest.mark.parametrize("sa, sb, dims", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
    ((2, 3, 4), (4, 3), ([1, 2], [1, 0])), ((3, 2), (3, 4), ([0], [0])), ((2, 3), (3, 2), [[-1], [0]]),
    ((0, 3), (3, 2), 1),
])
def test_tensordot(torch, sa, sb, dims):
    a, b = arr(sa, seed=1), arr(sb, seed=2)
    np_dims = dims if isinstance(dims, int) else (list(dims[0]), list(dims[1]))
    check(ember.tensordot(ember.tensor(a), ember.tensor(b), dims), np.tensordot(a, b, np_dims))
    check(ember.tensordot(ember.tensor(a), ember.tensor(b), dims=dims),
          torch.tensordot(T(torch, a), T(torch, b), dims=dims).numpy())


def test_tensordot_errors_and_out():
    a, b = ember.ones(2, 3), ember.ones(3, 4)
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has size 3 "
                                           "in dim 1 and second has size 4 in dim 0"):
        ember.tensordot(a, ember.ones(4, 4), 1)
    with pytest.raises(RuntimeError, match="tensordot expects dims >= 0, but got dims=-1"):
        ember.tensordot(a, b, -1)
    with pytest.raises(RuntimeError, match="both dimension lists should have same length"):
        ember.tensordot(a, b, ([1], [0, 1]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.tensordot(a, b, ([5], [0]))
    with pytest.raises(RuntimeError, match="both inputs should have same dtype"):
        ember.tensordot(a, b.double(), 1)
    out = ember.empty(2, 4)
    assert ember.tensordot(a, b, 1, out=out) is out
    check(out, np.full((2, 4), 3.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
def test_trace(torch, dtype):
    a = np.abs(arr((3, 4), dtype)) if dtype == np.uint8 else arr((3, 4), dtype)
    result = ember.trace(ember.tensor(a))
    theirs = torch.trace(T(torch, a))
    assert str(result.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    check(result, theirs.numpy(), dtype)
    check(laid_out(arr((3, 3), dtype), "T").trace(), np.trace(arr((3, 3), dtype)), dtype)
    assert ember.trace(ember.zeros(0, 0)).item() == 0
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        ember.trace(ember.ones(3))
    with pytest.raises(NotImplementedError, match="\"trace\" not implemented for 'Bool'"):
        ember.trace(ember.ones(2, 2, dtype=ember.bool))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_cross(torch, dtype):
    a, b = arr((4, 3), dtype, 1), arr((4, 3), dtype, 2)
    check(ember.linalg.cross(ember.tensor(a), ember.tensor(b)), np.cross(a, b), dtype)
    check(ember.cross(ember.tensor(a.T.copy()), ember.tensor(b.T.copy()), dim=0),
          np.cross(a, b).T, dtype)
    check(ember.tensor(a).cross(ember.tensor(b), dim=-1),
          torch.cross(T(torch, a), T(torch, b), dim=-1).numpy(), dtype)
    c = arr((1, 3), dtype, 3)  # broadcasting
    check(LA.cross(ember.tensor(a), ember.tensor(c)), np.cross(a, c), dtype)
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        check(ember.cross(ember.tensor(a.T.copy()), ember.tensor(b.T.copy())), np.cross(a, b).T, dtype)


def test_cross_errors():
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension -1 must have length 3. "
                                           "Got 4 and 4"):
        LA.cross(ember.ones(3, 4), ember.ones(3, 4))
    with pytest.raises(RuntimeError, match="inputs must have the same number of dimensions"):
        LA.cross(ember.ones(5, 3), ember.ones(3))
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        LA.cross(ember.ones(2, 3), ember.ones(4, 3))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        LA.cross(ember.ones(3, dtype=ember.int64), ember.ones(3))
    with pytest.raises(RuntimeError, match="no dimension of size 3 in input"):
        ember.cross(ember.ones(4, 2), ember.ones(4, 2))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, math.inf])
@pytest.mark.parametrize("rows", [4, 30])
def test_cdist(torch, p, rows):
    x1, x2 = arr((2, rows, 3), np.float64, 1), arr((5, 3), np.float64, 2)
    expected = torch.cdist(T(torch, x1), T(torch, x2), p=p).numpy()
    check(ember.cdist(ember.tensor(x1), ember.tensor(x2), p=p), expected, np.float64)
    direct = np.linalg.norm(x1[:, :, None, :] - x2[None, None], ord=p, axis=-1)
    np.testing.assert_allclose(ember.cdist(ember.tensor(x1), ember.tensor(x2), p=p).numpy(), direct,
                               rtol=1e-8, atol=1e-8)
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns"):
        ember.cdist(ember.ones(2, 3), ember.ones(4, 2))
    with pytest.raises(RuntimeError, match="cdist only supports non-negative p values"):
        ember.cdist(ember.ones(2, 3), ember.ones(4, 3), p=-1)


# --- einsum ---------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (1, 3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]), ("...i,...i->...", [(4, 1, 3), (5, 3)]),
    ("a...b,...b", [(2, 3), (4, 3)]), ("i...->...", [(2, 3)]), ("...", [(2, 3)]),
    ("i j -> j i", [(2, 3)]), ("iJ", [(2, 3)]), ("ab,cd->", [(2, 3), (4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("bi,bi->b", [(1, 3), (4, 3)]), ("->", [()]),
    ("ij,jk->ik", [(0, 3), (3, 4)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("i...->i", [(2, 3, 4)]), ("...i,...j->ij", [(5, 2), (4, 1, 3)]), ("i...,i...->i", [(2, 3), (2, 1)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM_CASES)
def test_einsum(torch, equation, shapes):
    ops = [arr(s, np.float64, i) for i, s in enumerate(shapes)]
    expected = torch.einsum(equation, *[T(torch, o) for o in ops]).numpy()
    check(ember.einsum(equation, *[ember.tensor(o) for o in ops]), expected, np.float64)
    check(ember.einsum(equation, [ember.tensor(o) for o in ops]), expected, np.float64)


def test_einsum_layouts_ints_and_sublists(torch):
    a, b = arr((3, 4), seed=1), arr((4, 2), seed=2)
    check(ember.einsum("ij,jk->ik", laid_out(a.copy(), "T"), laid_out(b.copy(), "step")), a @ b)
    i = arr((2, 3), np.int64)
    check(ember.einsum("ij->j", ember.tensor(i)), i.sum(0), np.int64)
    assert ember.einsum("ij->j", ember.tensor(i)).dtype is ember.int64
    check(ember.einsum(ember.tensor(a), [0, 1], ember.tensor(b), [1, 2], [0, 2]), a @ b)
    check(ember.einsum(ember.tensor(a), [0, 1], [1]),
          torch.einsum(T(torch, a), [0, 1], [1]).numpy())
    check(ember.einsum(ember.tensor(a), [Ellipsis, 1], ember.tensor(b), [1, 2]), a @ b)


@pytest.mark.parametrize("args, message", [
    (("ij,jk->ik", (2, 3), (4, 4)),
     "einsum\\(\\): subscript j has size 4 for operand 1 which does not broadcast with previously "
     "seen size 3"),
    (("ij,jk->ik", (2, 3)), "einsum\\(\\): fewer operands were provided than specified in the equation"),
    (("i", (2,), (2,)), "einsum\\(\\): more operands were provided than specified in the equation"),
    (("ii", (2, 3)), "einsum\\(\\): subscript i is repeated for operand 0 but the sizes don't match, "
                     "3 != 2"),
    (("ij->k", (2, 3)), "einsum\\(\\): output subscript k does not appear in the equation for any "
                        "input operand"),
    (("ij->jj", (2, 3)), "einsum\\(\\): output subscript j appears more than once in the output"),
    (("ijk->", (2, 3)), "einsum\\(\\): the number of subscripts in the equation \\(3\\) does not match "
                        "the number of dimensions \\(2\\) for operand 0 and no ellipsis was given"),
    (("...ij", (2,)), "einsum\\(\\): the number of subscripts in the equation \\(2\\) is more than the "
                      "number of dimensions \\(1\\) for operand 0"),
    (("i1", (2, 3)), "einsum\\(\\): invalid subscript given at index 1 in the equation string, "
                     "subscripts must be in \\[a-zA-Z\\]"),
    (("ij,jk-", (2, 3), (3, 3)), "invalid subscript given at index 5"),
    (("i.j", (2, 2)), "einsum\\(\\): found '.' for operand 0 that is not part of any ellipsis"),
])
def test_einsum_errors_match_torch(torch, args, message):
    equation, shapes = args[0], args[1:]
    with pytest.raises(RuntimeError, match=message):
        ember.einsum(equation, *[ember.ones(*s) for s in shapes])
    with pytest.raises(RuntimeError, match=message):
        torch.einsum(equation, *[torch.ones(*s) for s in shapes])


def test_einsum_type_errors():
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        ember.einsum("i,i->", ember.ones(3), ember.ones(3, dtype=ember.float64))
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 1, but got list"):
        ember.einsum("i,i", ember.ones(2), [1, 2])
    with pytest.raises(TypeError, match="argument 'equation' \\(position 1\\) must be str, not int"):
        ember.einsum(1, ember.ones(2))


# --- chains -----------------------------------------------------------------------------------
def test_multi_dot_and_chain_matmul(torch):
    mats = [arr((2, 30), np.float64, 1), arr((30, 3), np.float64, 2), arr((3, 40), np.float64, 3),
            arr((40, 5), np.float64, 4)]
    expected = mats[0] @ mats[1] @ mats[2] @ mats[3]
    check(LA.multi_dot([ember.tensor(m) for m in mats]), expected, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(ember.chain_matmul(*[ember.tensor(m) for m in mats]),
              torch.chain_matmul(*[T(torch, m) for m in mats]).numpy(), np.float64)
    v, m, w = arr((3,), seed=1), arr((3, 4), seed=2), arr((4,), seed=3)
    result = LA.multi_dot([ember.tensor(v), ember.tensor(m), ember.tensor(w)])
    assert result.shape == ()
    check(result, v @ m @ w)
    check(LA.multi_dot([ember.tensor(m.T.copy()), ember.tensor(v)]), m.T @ v)
    out = ember.empty(4)
    LA.multi_dot([ember.tensor(v), ember.tensor(m)], out=out)
    check(out, v @ m)
    with pytest.raises(RuntimeError, match="multi_dot\\(\\): expected at least 2 tensors but got 1"):
        LA.multi_dot([ember.ones(3)])
    with pytest.raises(RuntimeError, match=r"multi_dot\(\): tensors 0 and 1 with shapes \[2, 3\] and "
                                           r"\[4, 4\] cannot be multiplied"):
        LA.multi_dot([ember.ones(2, 3), ember.ones(4, 4)])
    with pytest.raises(RuntimeError, match="the first tensor must be 1D or 2D but got 3D"):
        LA.multi_dot([ember.ones(2, 3, 3), ember.ones(3, 4)])
    with pytest.raises(RuntimeError, match="all tensors must have be the same dtype but tensor 0 is "
                                           "float and tensor 1 double"):
        LA.multi_dot([ember.ones(2, 3), ember.ones(3, 4, dtype=ember.float64)])
    with pytest.raises(RuntimeError, match="Tensor dimension is 1, expected 2 instead."):
        ember.chain_matmul(ember.ones(2, 3), ember.ones(3))


# --- decompositions ----------------------------------------------------------------------------
def spd(n, batch=(), dtype=np.float64, seed=0):
    a = arr(batch + (n, n), dtype, seed)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_det_slogdet_inv(torch, dtype, batch):
    a = arr(batch + (4, 4), dtype, 1)
    ta, tt = ember.tensor(a), T(torch, a)
    check(LA.det(ta), torch.linalg.det(tt).numpy(), dtype)
    check(ember.det(ta), np.linalg.det(a), dtype)
    sign, logabs = LA.slogdet(ta)
    check(sign, np.linalg.slogdet(a)[0], dtype)
    check(logabs, torch.linalg.slogdet(tt).logabsdet.numpy(), dtype)
    assert LA.slogdet(ta)._fields == ("sign", "logabsdet")
    check(ember.logdet(ta), torch.logdet(tt).numpy(), dtype)  # NaN where det < 0
    check(LA.inv(ta), torch.linalg.inv(tt).numpy(), dtype)
    check(ember.inverse(laid_out(a.copy(), "T")), np.linalg.inv(a), dtype)
    check(ta.inverse(), np.linalg.inv(a), dtype)


def test_det_inv_zero_size_and_out(torch):
    assert LA.det(ember.zeros(0, 0)).item() == 1.0
    assert tuple(LA.det(ember.zeros(0, 3, 3)).shape) == (0,)
    assert tuple(LA.inv(ember.zeros(2, 0, 0)).shape) == (2, 0, 0)
    out = ember.empty(2, 2)
    LA.inv(ember.tensor([[2.0, 0.0], [0.0, 4.0]]), out=out)
    assert out.tolist() == [[0.5, 0.0], [0.0, 0.25]]
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double"):
        LA.inv(ember.eye(2), out=ember.empty(2, 2, dtype=ember.float64))
    sign, logabs = LA.slogdet(ember.zeros(2, 2))
    assert sign.item() == 0 and logabs.item() == -math.inf


@pytest.mark.parametrize("call, exc, message", [
    (lambda: LA.inv(ember.zeros(2, 2)), LA.LinAlgError,
     "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed because the "
     "input matrix is singular."),
    (lambda: LA.inv(ember.tensor([[1.0, 2.0], [2.0, 4.0]])), LA.LinAlgError,
     "linalg.inv: The diagonal element 2 is zero"),
    (lambda: ember.inverse(ember.tensor([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]])), LA.LinAlgError,
     "The diagonal element 3 is zero"),
    (lambda: LA.inv(ember.tensor([np.eye(2), np.zeros((2, 2))], dtype=ember.float32)),
     LA.LinAlgError, r"linalg.inv: \(Batch element 1\): The diagonal element 1 is zero"),
    (lambda: LA.inv(ember.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.inv(ember.ones(2, 2, dtype=ember.int64)), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: LA.inv(ember.ones(2, 2, dtype=ember.float16)), RuntimeError,
     "linalg.inv: Low precision dtypes not supported. Got Half"),
    (lambda: LA.det(ember.ones(3)), RuntimeError,
     "linalg.det: The input tensor A must have at least 2 dimensions."),
    (lambda: LA.cholesky(-ember.eye(3)), LA.LinAlgError,
     r"linalg.cholesky: The factorization could not be completed because the input is not "
     r"positive-definite \(the leading minor of order 1 is not positive-definite\)."),
    (lambda: LA.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]])), LA.LinAlgError,
     r"the leading minor of order 2 is not positive-definite"),
    (lambda: LA.cholesky(-ember.eye(3).expand(2, 3, 3)), LA.LinAlgError,
     r"linalg.cholesky: \(Batch element 0\): The factorization"),
    (lambda: LA.solve(ember.zeros(2, 2), ember.ones(2)), LA.LinAlgError,
     "torch.linalg.solve: The solver failed because the input matrix is singular."),
    (lambda: LA.solve(ember.eye(2), ember.ones(3)), RuntimeError,
     r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(2x2 and 3x1\)"),
    (lambda: LA.solve(ember.eye(2), ember.ones(2, dtype=ember.float64)), RuntimeError,
     "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of "
     "type Double instead"),
    (lambda: LA.eigh(ember.ones(2, 3)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.eigvalsh(ember.eye(3), UPLO="X"), RuntimeError,
     "Expected UPLO argument to be 'L' or 'U', but got X"),
    (lambda: LA.qr(ember.ones(4, 3), mode="x"), RuntimeError,
     "qr received unrecognized mode 'x' but expected one of 'reduced' \\(default\\), 'r', or "
     "'complete'"),
    (lambda: LA.svd(ember.ones(3)), RuntimeError,
     "linalg.svd: The input tensor A must have at least 2 dimensions."),
    (lambda: LA.matrix_power(ember.ones(2, 3), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.matrix_power(ember.eye(2), 1.5), TypeError,
     "linalg_matrix_power\\(\\): argument 'n' \\(position 2\\) must be int, not float"),
    (lambda: LA.matrix_power(ember.ones(2, 2, dtype=ember.int64), -1), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: LA.matrix_power(ember.zeros(2, 2), -1), LA.LinAlgError,
     "linalg.inv: The diagonal element 1 is zero"),
    (lambda: LA.matrix_rank(ember.ones(3)), RuntimeError,
     "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions."),
])
def test_decomposition_errors(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
    assert issubclass(LA.LinAlgError, RuntimeError)


def test_singular_inverse_message_matches_torch(torch):
    for m in ([[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [2.0, 4.0]]):
        with pytest.raises(RuntimeError) as mine:
            LA.inv(ember.tensor(m))
        with pytest.raises(RuntimeError) as theirs:
            torch.linalg.inv(torch.tensor(m))
        assert str(mine.value) == str(theirs.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_solve(torch, dtype):
    a, b = arr((4, 4), dtype, 1), arr((4, 3), dtype, 2)
    check(LA.solve(ember.tensor(a), ember.tensor(b)), np.linalg.solve(a, b), dtype)
    v = arr((4,), dtype, 3)
    check(LA.solve(ember.tensor(a), ember.tensor(v)), np.linalg.solve(a, v), dtype)
    ab = arr((5, 4, 4), dtype, 4)
    for B in (arr((4,), dtype, 5), arr((5, 4), dtype, 6), arr((4, 2), dtype, 7), arr((2, 5, 4, 3), dtype, 8)):
        expected = torch.linalg.solve(T(torch, ab), T(torch, B)).numpy()
        check(LA.solve(ember.tensor(ab), ember.tensor(B)), expected, dtype)
    c = arr((3, 4), dtype, 9)
    check(LA.solve(ember.tensor(a), ember.tensor(c), left=False),
          torch.linalg.solve(T(torch, a), T(torch, c), left=False).numpy(), dtype)
    check(LA.solve(laid_out(a.copy(), "T"), ember.tensor(b)), np.linalg.solve(a, b), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(torch, dtype, upper):
    a = spd(4, (2,), dtype)
    check(LA.cholesky(ember.tensor(a), upper=upper),
          torch.linalg.cholesky(T(torch, a), upper=upper).numpy(), dtype)
    low = LA.cholesky(ember.tensor(a)).numpy()
    np.testing.assert_allclose(low @ np.swapaxes(low, -1, -2), a, rtol=1e-4)
    assert tuple(LA.cholesky(ember.zeros(0, 0)).shape) == (0, 0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (0, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(torch, shape, mode):
    a = arr(shape, np.float64, 1)
    Q, R = LA.qr(ember.tensor(a), mode=mode)
    tQ, tR = torch.linalg.qr(T(torch, a), mode=mode)
    assert tuple(Q.shape) == tuple(tQ.shape) and tuple(R.shape) == tuple(tR.shape)
    np.testing.assert_allclose(np.abs(R.numpy()), np.abs(tR.numpy()), atol=1e-10)
    if mode != "r":
        np.testing.assert_allclose(Q.numpy() @ R.numpy(), a, atol=1e-10)
    assert LA.qr(ember.tensor(a))._fields == ("Q", "R")


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (0, 3)])
@pytest.mark.parametrize("full", [True, False])
def test_svd(torch, shape, full):
    a = arr(shape, np.float64, 1)
    U, S, Vh = LA.svd(ember.tensor(a), full_matrices=full)
    tU, tS, tVh = torch.linalg.svd(T(torch, a), full_matrices=full)
    assert (tuple(U.shape), tuple(S.shape), tuple(Vh.shape)) == (tuple(tU.shape), tuple(tS.shape),
                                                                 tuple(tVh.shape))
    assert LA.svd(ember.tensor(a))._fields == ("U", "S", "Vh")
    check(S, tS.numpy(), np.float64)
    check(LA.svdvals(ember.tensor(a)), tS.numpy(), np.float64)
    k = S.shape[-1]
    recon = (U.numpy()[..., :k] * S.numpy()[..., None, :]) @ Vh.numpy()[..., :k, :]
    np.testing.assert_allclose(recon, a, atol=1e-10)
    # legacy torch.svd: V instead of Vh
    if len(shape) == 2 and 0 not in shape:
        U2, S2, V2 = ember.svd(ember.tensor(a))
        np.testing.assert_allclose((U2.numpy() * S2.numpy()) @ V2.numpy().T, a, atol=1e-10)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(torch, uplo):
    a = arr((3, 4, 4), np.float64, 1)
    if uplo == "L":
        a = np.tril(a) + 7 * np.triu(a, 1)  # upper garbage must be ignored
    w, v = LA.eigh(ember.tensor(a), UPLO=uplo)
    tw, _ = torch.linalg.eigh(T(torch, a), UPLO=uplo)
    check(w, tw.numpy(), np.float64)
    check(LA.eigvalsh(ember.tensor(a), UPLO=uplo), tw.numpy(), np.float64)
    sym = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2) if uplo == "L" else \
        np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
    np.testing.assert_allclose(sym @ v.numpy(), v.numpy() * w.numpy()[..., None, :], atol=1e-10)
    assert LA.eigh(ember.tensor(a))._fields == ("eigenvalues", "eigenvectors")


def test_matrix_rank_pinv(torch):
    a = arr((3, 5, 4), np.float64, 1)
    a[1, :, 3] = a[1, :, 0]  # rank 3
    check(LA.matrix_rank(ember.tensor(a)), torch.linalg.matrix_rank(T(torch, a)).numpy(), np.int64)
    assert LA.matrix_rank(ember.tensor(a)).dtype is ember.int64
    for kw in (dict(atol=1.0), dict(rtol=0.5), dict(atol=0.5, rtol=0.1)):
        check(LA.matrix_rank(ember.tensor(a), **kw),
              torch.linalg.matrix_rank(T(torch, a), **kw).numpy(), np.int64)
    check(LA.pinv(ember.tensor(a)), torch.linalg.pinv(T(torch, a)).numpy(), np.float64)
    check(LA.pinv(ember.tensor(a)), np.linalg.pinv(a), np.float64)
    s = spd(4)
    check(LA.pinv(ember.tensor(s), hermitian=True), np.linalg.inv(s), np.float64)
    check(LA.matrix_rank(ember.tensor(s), hermitian=True), 4, np.int64)
    check(ember.pinverse(ember.tensor(a[0])), np.linalg.pinv(a[0]), np.float64)
    assert tuple(LA.pinv(ember.zeros(0, 3)).shape) == (3, 0)
    assert LA.matrix_rank(ember.zeros(2, 0, 3)).tolist() == [0, 0]


def test_matrix_power(torch):
    a = arr((2, 3, 3), np.float64, 1)
    for n in (0, 1, 2, 5, -1, -3):
        check(LA.matrix_power(ember.tensor(a), n),
              torch.linalg.matrix_power(T(torch, a), n).numpy(), np.float64)
    i = arr((3, 3), np.int64)
    result = ember.matrix_power(ember.tensor(i), 3)
    assert result.dtype is ember.int64
    check(result, i @ i @ i, np.int64)
    check(ember.tensor(i).matrix_power(0), np.eye(3), np.int64)


def test_lstsq(torch):
    a, b = arr((2, 6, 3), np.float64, 1), arr((2, 6, 2), np.float64, 2)
    result = LA.lstsq(ember.tensor(a), ember.tensor(b))
    theirs = torch.linalg.lstsq(T(torch, a), T(torch, b))
    check(result.solution, theirs.solution.numpy(), np.float64)
    check(result.rank, theirs.rank.numpy(), np.int64)
    assert tuple(result.residuals.shape) == tuple(theirs.residuals.shape)
    gelsd = LA.lstsq(ember.tensor(a), ember.tensor(b), driver="gelsd")
    tg = torch.linalg.lstsq(T(torch, a), T(torch, b), driver="gelsd")
    check(gelsd.singular_values, tg.singular_values.numpy(), np.float64)
    check(gelsd.residuals, tg.residuals.numpy(), np.float64)
    v = arr((6,), np.float64, 3)
    check(LA.lstsq(ember.tensor(a[0]), ember.tensor(v)).solution,
          np.linalg.lstsq(a[0], v, rcond=None)[0], np.float64)


# --- norms -----------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [2, 1, 0, math.inf, -math.inf, 3.5, -1])
@pytest.mark.parametrize("dim", [None, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_vector_norm(torch, ord, dim, keepdim):
    x = arr((2, 3, 4), np.float64, 1)
    expected = torch.linalg.vector_norm(T(torch, x), ord=ord, dim=dim, keepdim=keepdim).numpy()
    check(LA.vector_norm(ember.tensor(x), ord=ord, dim=dim, keepdim=keepdim), expected, np.float64)
    check(LA.vector_norm(laid_out(x.copy(), "T"), ord, dim, keepdim), expected, np.float64)


def test_vector_norm_dtypes_and_empty(torch):
    x = arr((3, 4))
    r = LA.vector_norm(ember.tensor(x), dtype=ember.float64)
    assert r.dtype is ember.float64
    check(r, np.linalg.norm(x.astype(np.float64)), np.float64)
    h = LA.vector_norm(ember.tensor(x).half())
    assert h.dtype is ember.float16
    np.testing.assert_allclose(h.item(), np.linalg.norm(x), rtol=1e-3)
    b = LA.vector_norm(ember.tensor(x).bfloat16())
    assert b.dtype is ember.bfloat16
    assert LA.vector_norm(ember.zeros(0, 3)).item() == 0
    assert tuple(LA.vector_norm(ember.zeros(0, 3), ord=math.inf, dim=1).shape) == (0,)
    with pytest.raises(RuntimeError, match="linalg.vector_norm cannot compute the inf norm on an empty "
                                           "tensor because the operation does not have an identity"):
        LA.vector_norm(ember.zeros(0, 3), ord=math.inf)
    with pytest.raises(RuntimeError, match="cannot compute the -1 norm on the dimension 1"):
        LA.vector_norm(ember.zeros(3, 0), ord=-1, dim=1)
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or complex "
                                           "tensor as input. Got Long"):
        LA.vector_norm(ember.ones(3, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="the dtype of the input \\(Double\\) should be convertible "
                                           "without narrowing to the specified dtype \\(Float\\)"):
        LA.vector_norm(ember.ones(3, dtype=ember.float64), dtype=ember.float32)
    with pytest.raises(TypeError, match="argument 'ord' must be Number, not str"):
        LA.vector_norm(ember.ones(3), ord="fro")
    with pytest.raises(RuntimeError, match="appears multiple times"):
        LA.vector_norm(ember.ones(2, 3), dim=(0, 0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        LA.vector_norm(ember.ones(2, 3), dim=2)
    out = ember.empty(())
    assert LA.vector_norm(ember.tensor([3.0, 4.0]), out=out) is out and out.item() == 5.0
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double"):
        LA.vector_norm(ember.ones(2), out=ember.empty((), dtype=ember.float64))


@pytest.mark.parametrize("ord", ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2])
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(torch, ord, dim, keepdim):
    a = arr((3, 4, 5), np.float64, 1)
    expected = torch.linalg.matrix_norm(T(torch, a), ord=ord, dim=dim, keepdim=keepdim).numpy()
    check(LA.matrix_norm(ember.tensor(a), ord=ord, dim=dim, keepdim=keepdim), expected, np.float64)
    check(LA.matrix_norm(laid_out(a.copy(), "T"), ord, dim, keepdim), expected, np.float64)


def test_matrix_norm_empty_and_errors(torch):
    for ord in (2, 1, -1, math.inf, "nuc", "fro"):
        check(LA.matrix_norm(ember.zeros(0, 3), ord=ord),
              torch.linalg.matrix_norm(torch.zeros(0, 3), ord=ord).numpy())
    check(LA.matrix_norm(ember.zeros(2, 3, 0), ord=2), [0.0, 0.0])
    with pytest.raises(IndexError, match="amin\\(\\): Expected reduction dim 0 to have non-zero size."):
        LA.matrix_norm(ember.zeros(3, 0), ord=-1)
    with pytest.raises(IndexError, match="amin\\(\\): Expected reduction dim -1 to have non-zero size."):
        LA.matrix_norm(ember.zeros(3, 0), ord=-2)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported."):
        LA.matrix_norm(ember.ones(3, 3), ord=3)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dims must be different. Got \\(0, 0\\)"):
        LA.matrix_norm(ember.ones(2, 3, 3), dim=(0, 0))
    with pytest.raises(RuntimeError, match="The input tensor A must have at least 2 dimensions."):
        LA.matrix_norm(ember.ones(3))
    with pytest.raises(RuntimeError, match="Low precision dtypes not supported. Got Half"):
        LA.matrix_norm(ember.ones(2, 2, dtype=ember.float16), ord=2)
    assert LA.matrix_norm(ember.ones(3, 3), dtype=ember.float64).dtype is ember.float64


@pytest.mark.parametrize("kwargs", [
    {}, {"ord": 2}, {"ord": "nuc"}, {"ord": 1}, {"dim": 1}, {"dim": (0, 1)}, {"ord": 3, "dim": 0},
    {"ord": "fro", "dim": (1, 0), "keepdim": True}, {"ord": -math.inf},
])
def test_linalg_norm(torch, kwargs):
    a = arr((3, 4), np.float64, 1)
    expected = torch.linalg.norm(T(torch, a), **kwargs).numpy()
    check(LA.norm(ember.tensor(a), **kwargs), expected, np.float64)


def test_linalg_norm_higher_dims_and_errors(torch):
    a = arr((2, 3, 4), np.float64, 1)
    check(LA.norm(ember.tensor(a)), np.linalg.norm(a.ravel()), np.float64)
    check(LA.norm(ember.tensor(a), ord="fro", dim=(0, 1)),
          torch.linalg.norm(T(torch, a), ord="fro", dim=(0, 1)).numpy(), np.float64)
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must be 1D or "
                                           "2D. Got 3D."):
        LA.norm(ember.tensor(a), ord=2)
    with pytest.raises(RuntimeError, match="If dim is specified, it must be of length 1 or 2."):
        LA.norm(ember.tensor(a), dim=(0, 1, 2))


def test_vecdot(torch):
    x, y = arr((2, 3), seed=1), arr((3,), seed=2)
    check(LA.vecdot(ember.tensor(x), ember.tensor(y)),
          torch.linalg.vecdot(T(torch, x), T(torch, y)).numpy())


