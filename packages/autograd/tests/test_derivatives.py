"""Every derivative formula against finite differences (float64), second derivatives of
the smooth ones, parity with PyTorch's gradients, and a check that every op core
records has a formula."""
import ast
import pathlib

import numpy as np
import pytest

import ember as E
from ember.autograd import gradcheck, gradgradcheck
from ember.autograd.engine import NODES, PICK

RNG = np.random.default_rng(1234)


def T(*shape, lo=-1.0, hi=1.0, requires_grad=True):
    """A float64 leaf with values in [lo, hi] (away from kinks where a formula has one)."""
    return E.tensor(RNG.uniform(lo, hi, shape), dtype=E.float64, requires_grad=requires_grad)


def P(*shape):
    return T(*shape, lo=0.3, hi=1.5)


def _leaf(values):
    return E.tensor(values, dtype=E.float64, requires_grad=True)


def I(values):
    return E.tensor(values, dtype=E.int64)


def SPD(n, *batch):
    """A float64 leaf: symmetric positive-definite, well conditioned (distinct eigenvalues)."""
    a = RNG.uniform(-1.0, 1.0, batch + (n, n))
    return _leaf(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))


def WC(n, *batch):
    """A float64 leaf: a well-conditioned square matrix (batch)."""
    return _leaf(RNG.uniform(-1.0, 1.0, batch + (n, n)) + 3 * np.eye(n))


def _sym(a):
    """The symmetric part: what the symmetric decompositions see (they read one triangle)."""
    return (a + a.mT) / 2


# name -> (function, inputs factory, check second derivatives?)
CASES = {
    # arithmetic, with broadcasting (3,1) x (4,)
    "add": (lambda a, b: E.add(a, b, alpha=2), lambda: (T(3, 1), T(4)), True),
    "add_scalar": (lambda a: a + 2, lambda: (T(3),), True),
    "sub": (lambda a, b: E.sub(a, b, alpha=3), lambda: (T(3, 1), T(4)), True),
    "rsub": (lambda a: 1 - a, lambda: (T(3),), True),
    "mul": (lambda a, b: a * b, lambda: (T(3, 1), T(4)), True),
    "div": (lambda a, b: a / b, lambda: (T(3, 1), P(4)), True),
    "rdiv": (lambda a: 2 / a, lambda: (P(3),), True),
    "pow": (lambda a, b: a ** b, lambda: (P(3, 1), T(4)), True),
    "pow_scalar": (lambda a: a ** 3, lambda: (T(2, 3),), True),
    "rpow": (lambda a: 2 ** a, lambda: (T(3),), True),
    "atan2": (E.atan2, lambda: (T(3), P(3)), True),
    "maximum": (E.maximum, lambda: (T(3, 1), T(4)), False),
    "minimum": (E.minimum, lambda: (T(3, 1), T(4)), False),
    "fmax": (E.fmax, lambda: (T(5), T(5)), False),
    "fmin": (E.fmin, lambda: (T(5), T(5)), False),
    "hypot": (E.hypot, lambda: (P(3), P(3)), True),
    "xlogy": (E.xlogy, lambda: (P(3), P(3)), True),
    "remainder": (lambda a, b: E.remainder(a, b), lambda: (T(4, lo=1, hi=3), P(4)), False),
    "fmod": (lambda a, b: E.fmod(a, b), lambda: (T(4, lo=1, hi=3), P(4)), False),
    "copysign": (E.copysign, lambda: (P(4), T(4)), False),
    # unary
    **{name: (getattr(E, name), lambda: (T(2, 3, lo=0.2, hi=0.9),), True) for name in [
        "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
        "reciprocal", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
        "tanh", "asinh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "logit", "frac"]},
    "acosh": (E.acosh, lambda: (T(4, lo=1.2, hi=3),), True),
    "abs": (E.abs, lambda: (_leaf([0.5, -0.2, 1.5, -3.0]),), False),
    "relu": (E.relu, lambda: (_leaf([0.5, -0.2, 1.5, -3.0]),), False),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda: (E.tensor([-0.9, -0.2, 0.3, 0.8], dtype=E.float64,
                                                             requires_grad=True),), False),
    "clamp_tensor": (lambda a, lo: a.clamp(min=lo), lambda: (T(4), T(4)), False),
    "logit_eps": (lambda a: E.logit(a, eps=0.25), lambda: (E.tensor([0.1, 0.5, 0.6, 0.9], dtype=E.float64,
                                                                   requires_grad=True),), False),
    "nan_to_num": (E.nan_to_num, lambda: (T(4),), False),
    "floor": (E.floor, lambda: (T(4, lo=-3, hi=3),), False),
    "round": (lambda a: E.round(a, decimals=1), lambda: (T(4, lo=-3, hi=3),), False),
    "sign": (E.sign, lambda: (T(4),), False),
    "div_floor": (lambda a, b: E.div(a, b, rounding_mode="floor"), lambda: (T(4, lo=-3, hi=3), P(4)),
                  False),
    "lerp": (E.lerp, lambda: (T(3), T(3), 0.3), True),
    "lerp_tensor": (E.lerp, lambda: (T(3), T(3), T(3)), True),
    "addcmul": (lambda a, b, c: E.addcmul(a, b, c, value=0.5), lambda: (T(3, 1), T(4), T(3, 4)), True),
    "addcdiv": (lambda a, b, c: E.addcdiv(a, b, c, value=2), lambda: (T(3), T(3), P(3)), True),
    "where": (lambda a, b: E.where(a > 0, a, b), lambda: (T(3, 4), T(4)), True),
    # reductions
    "sum": (lambda a: a.sum(), lambda: (T(2, 3),), True),
    "sum_dim": (lambda a: a.sum((0, 2), keepdim=True), lambda: (T(2, 3, 2),), True),
    "mean": (lambda a: a.mean(1), lambda: (T(2, 3),), True),
    "prod": (lambda a: a.prod(), lambda: (T(2, 3),), True),
    "prod_dim": (lambda a: a.prod(1), lambda: (T(2, 3),), True),
    "prod_zero": (lambda a: a.prod(1), lambda: (E.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]],
                                                         dtype=E.float64, requires_grad=True),), False),
    "amax": (lambda a: a.amax(1), lambda: (T(3, 4),), False),
    "amin": (lambda a: a.amin(), lambda: (T(3, 4),), False),
    "amax_ties": (lambda a: a.amax(), lambda: (E.tensor([1.0, 3.0, 3.0], dtype=E.float64,
                                                        requires_grad=True),), False),
    # views
    "view": (lambda a: a.view(3, 2), lambda: (T(2, 3),), True),
    "reshape_copy": (lambda a: a.t().reshape(6), lambda: (T(2, 3),), True),
    "permute": (lambda a: a.permute(2, 0, 1), lambda: (T(2, 3, 4),), True),
    "t": (lambda a: a.t(), lambda: (T(2, 3),), True),
    "expand": (lambda a: a.expand(2, 3, 4), lambda: (T(3, 1),), True),
    "squeeze": (lambda a: a.squeeze(1), lambda: (T(2, 1, 3),), True),
    "unsqueeze": (lambda a: a.unsqueeze(-1), lambda: (T(2, 3),), True),
    "narrow": (lambda a: a.narrow(1, 1, 2), lambda: (T(2, 4),), True),
    "select": (lambda a: a.select(0, 1), lambda: (T(3, 2),), True),
    "getitem_basic": (lambda a: a[1:, None, ::2], lambda: (T(3, 4),), True),
    "getitem_index": (lambda a: a[[0, 2, 0]], lambda: (T(3, 2),), True),
    "getitem_mask": (lambda a: a[a > 0], lambda: (T(3, 2),), True),
    "getitem_mixed": (lambda a: a[1:, [1, 1]], lambda: (T(3, 3),), True),
    "diagonal": (lambda a: a.diagonal(1), lambda: (T(3, 4),), True),
    "unfold": (lambda a: a.unfold(0, 2, 1), lambda: (T(4),), True),
    "as_strided": (lambda a: a.as_strided((2, 2), (1, 2), 1), lambda: (T(2, 3),), True),
    "split": (lambda a: a.split(2)[1], lambda: (T(5),), True),
    "unbind": (lambda a: a.unbind(1)[0] * a.unbind(1)[1], lambda: (T(3, 2),), True),
    "clone": (lambda a: a.clone(), lambda: (T(3),), True),
    "contiguous": (lambda a: a.t().contiguous(), lambda: (T(2, 3),), True),
    "index_put": (lambda a, v: E.index_put(a, (I([0, 2]),), v) if hasattr(E, "index_put")
                  else a.index_put((I([0, 2]),), v), lambda: (T(3, 2), T(2)), True),
}


def _optional(name, fn, inputs, double=True):
    CASES[name] = (fn, inputs, double)


# ops other families add: checked when they exist
_optional("cat", lambda a, b: E.cat([a, b], 1), lambda: (T(2, 1), T(2, 3)))
_optional("stack", lambda a, b: E.stack([a, b]), lambda: (T(2), T(2)))
_optional("flip", lambda a: a.flip(0), lambda: (T(3, 2),))
_optional("roll", lambda a: a.roll(1, 0), lambda: (T(3, 2),))
_optional("repeat", lambda a: a.repeat(2, 1, 3), lambda: (T(2, 2),))
_optional("tril", lambda a: a.tril(), lambda: (T(3, 3),))
_optional("triu", lambda a: a.triu(1), lambda: (T(3, 3),))
_optional("diag_embed", lambda a: E.diag_embed(a), lambda: (T(2, 3),))
_optional("trace", lambda a: E.trace(a), lambda: (T(3, 3),))
_optional("softmax", lambda a: E.softmax(a, 1), lambda: (T(2, 3),))
_optional("log_softmax", lambda a: E.log_softmax(a, 0), lambda: (T(2, 3),))
_optional("logsumexp", lambda a: E.logsumexp(a, 1), lambda: (T(2, 3),))
_optional("cumsum", lambda a: a.cumsum(1), lambda: (T(2, 3),))
_optional("cumprod", lambda a: a.cumprod(0), lambda: (P(3, 2),))
_optional("var", lambda a: a.var(1), lambda: (T(2, 4),))
_optional("std", lambda a: a.std(), lambda: (T(2, 4),))
_optional("norm", lambda a: a.norm(), lambda: (T(2, 3),))
_optional("vector_norm", lambda a: E.linalg.vector_norm(a, 3, dim=1), lambda: (P(2, 3),))
_optional("nansum", lambda a: E.nansum(a, 0), lambda: (T(2, 3),))
_optional("nanmean", lambda a: E.nanmean(a), lambda: (T(2, 3),))
_optional("max_dim", lambda a: a.max(1).values, lambda: (T(3, 4),), False)
_optional("min_dim", lambda a: a.min(0, keepdim=True).values, lambda: (T(3, 4),), False)
_optional("sort", lambda a: a.sort(1).values, lambda: (T(3, 4),), False)
_optional("topk", lambda a: a.topk(2).values, lambda: (T(3, 4),), False)
_optional("cummax", lambda a: a.cummax(0).values, lambda: (T(4),), False)
_optional("gather", lambda a: a.gather(1, I([[0, 0], [1, 0]])), lambda: (T(2, 3),))
_optional("index_select", lambda a: a.index_select(0, I([2, 0, 2])), lambda: (T(3, 2),))
_optional("take", lambda a: E.take(a, I([0, 5, 5])), lambda: (T(2, 3),))
_optional("masked_select", lambda a: E.masked_select(a, a > 0), lambda: (T(2, 3),))
_optional("masked_fill", lambda a: a.masked_fill(a > 0, 2.0), lambda: (T(2, 3),))
_optional("scatter", lambda a, s: a.scatter(1, I([[0], [2]]), s), lambda: (T(2, 3), T(2, 1)))
_optional("scatter_add", lambda a, s: a.scatter_add(0, I([[0, 1], [0, 0]]), s),
          lambda: (T(2, 2), T(2, 2)))
_optional("index_add", lambda a, s: a.index_add(0, I([0, 0]), s, alpha=2), lambda: (T(2, 2), T(2, 2)))
_optional("index_copy", lambda a, s: a.index_copy(0, I([1]), s), lambda: (T(2, 2), T(1, 2)))
_optional("mm", lambda a, b: a @ b, lambda: (T(2, 3), T(3, 2)))
_optional("matmul_batch", lambda a, b: E.matmul(a, b), lambda: (T(2, 2, 3), T(3, 2)))
_optional("matmul_vec", lambda a, b: E.matmul(a, b), lambda: (T(3), T(2, 3, 2)))
_optional("mv", lambda a, b: E.mv(a, b), lambda: (T(2, 3), T(3)))
_optional("dot", lambda a, b: E.dot(a, b), lambda: (T(3), T(3)))
_optional("bmm", lambda a, b: E.bmm(a, b), lambda: (T(2, 2, 3), T(2, 3, 2)))
_optional("outer", lambda a, b: E.outer(a, b), lambda: (T(2), T(3)))
_optional("inner", lambda a, b: E.inner(a, b), lambda: (T(2, 3), T(4, 3)))
_optional("addmm", lambda i, a, b: E.addmm(i, a, b, beta=0.5, alpha=2), lambda: (T(2), T(2, 3), T(3, 2)))
_optional("addmv", lambda i, a, b: E.addmv(i, a, b, alpha=2), lambda: (T(2), T(2, 3), T(3)))
_optional("addr", lambda i, a, b: E.addr(i, a, b), lambda: (T(2, 3), T(2), T(3)))
_optional("baddbmm", lambda i, a, b: E.baddbmm(i, a, b), lambda: (T(2, 2), T(3, 2, 2), T(3, 2, 2)))
_optional("addbmm", lambda i, a, b: E.addbmm(i, a, b), lambda: (T(2, 2), T(3, 2, 2), T(3, 2, 2)))
_optional("einsum", lambda a, b: E.einsum("ij,jk->ik", a, b), lambda: (T(2, 3), T(3, 2)))
_optional("tensordot", lambda a, b: E.tensordot(a, b, dims=([1, 0], [0, 2])),
          lambda: (T(2, 3, 2), T(3, 2, 2)))
_optional("cross", lambda a, b: E.cross(a, b, dim=1), lambda: (T(2, 3), T(2, 3)))
_optional("einsum_diagonal", lambda a: E.einsum("ii->i", a), lambda: (T(3, 3),))
_optional("einsum_trace", lambda a: E.einsum("ii", a), lambda: (T(3, 3),))
_optional("einsum_iij", lambda a: E.einsum("iij->j", a), lambda: (T(2, 2, 3),))
_optional("einsum_batch_diagonal", lambda a: E.einsum("bii->bi", a), lambda: (T(2, 3, 3),))
_optional("einsum_diagonal_product", lambda a, b: E.einsum("ii,ij->j", a, b), lambda: (T(3, 3), T(3, 2)))
_optional("einsum_summed_away", lambda a, b: E.einsum("ij,kl->ik", a, b), lambda: (T(2, 3), T(2, 2)))
_optional("einsum_ellipsis", lambda a, b: E.einsum("...ii,...i->...", a, b), lambda: (T(2, 3, 3), T(3)))
_optional("kron", lambda a, b: E.kron(a, b), lambda: (T(2, 3), T(3, 2)))
_optional("kron_padded", lambda a, b: E.kron(a, b), lambda: (T(2), T(2, 1, 3)))
_optional("cdist", lambda a, b: E.cdist(a, b), lambda: (T(4, 3), T(5, 3)))
_optional("cdist_mm", lambda a, b: E.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
          lambda: (T(2, 4, 3), T(5, 3)))
_optional("cdist_p3", lambda a, b: E.cdist(a, b, 3.0), lambda: (T(2, 4, 3), T(2, 5, 3)))
_optional("cdist_p1", lambda a, b: E.cdist(a, b, 1.0), lambda: (T(4, 3), T(5, 3)), False)
_optional("cdist_inf", lambda a, b: E.cdist(a, b, float("inf")), lambda: (T(2, 4, 3), T(5, 3)), False)
_optional("cumprod_zeros", lambda a: a.cumprod(1),
          lambda: (_leaf([[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0], [1.5, 0.0, -2.0, 0.0]]),))
_optional("logcumsumexp", lambda a: a.logcumsumexp(1), lambda: (T(2, 4),))
_optional("logcumsumexp_large", lambda a: (a * 40).logcumsumexp(0), lambda: (T(4, 2),))
_optional("repeat_interleave", lambda a: a.repeat_interleave(2, 1), lambda: (T(2, 3),))
_optional("repeat_interleave_flat", lambda a: a.repeat_interleave(3), lambda: (T(2, 2),))
_optional("repeat_interleave_counts", lambda a: a.repeat_interleave(I([1, 0, 2]), 0),
          lambda: (T(3, 2),))
_SCATTER = [[0, 1, 0], [2, 0, 0]]
for _reduce in ("sum", "mean", "prod", "amax", "amin"):
    for _include in (True, False):
        _optional(f"scatter_reduce_{_reduce}{'' if _include else '_exclude_self'}",
                  lambda a, s, reduce=_reduce, include=_include: a.scatter_reduce(
                      0, I(_SCATTER), s, reduce, include_self=include),
                  lambda: (T(3, 3), T(2, 3)), _reduce not in ("amax", "amin"))
_optional("scatter_reduce_prod_zeros", lambda a, s: a.scatter_reduce(0, I(_SCATTER), s, "prod"),
          lambda: (_leaf([[0.0, 1.5, 2.0], [0.5, 0.4, -1.0], [1.2, 0.7, 0.9]]),
                   _leaf([[0.5, 0.0, 1.1], [0.9, 1.3, 0.0]])))
_optional("scatter_reduce_amax_ties", lambda a, s: a.scatter_reduce(0, I(_SCATTER), s, "amax"),
          lambda: (_leaf([[2.0, 0.1, 0.2], [0.5, 0.3, -1.0], [1.2, 0.7, 0.9]]),
                   _leaf([[2.0, 0.3, 0.2], [1.2, 0.1, -0.5]])), False)
_optional("scatter_reduce_larger_src", lambda a, s: a.scatter_reduce(1, I([[0, 0], [1, 0]]), s, "mean"),
          lambda: (T(2, 2), T(3, 4)))
_optional("matrix_norm_fro", lambda a: E.linalg.matrix_norm(a), lambda: (T(2, 3, 4),))
_optional("matrix_norm_nuc", lambda a: E.linalg.matrix_norm(a, "nuc"), lambda: (T(2, 3, 4),))
_optional("matrix_norm_2", lambda a: E.linalg.matrix_norm(a, 2, keepdim=True), lambda: (T(2, 4, 3),))
_optional("matrix_norm_-2", lambda a: E.linalg.matrix_norm(a, -2, dim=(2, 0)), lambda: (T(3, 2, 4),))
_optional("matrix_norm_1", lambda a: E.linalg.matrix_norm(a, 1), lambda: (T(2, 3, 4),), False)
_optional("matrix_norm_-inf", lambda a: E.linalg.matrix_norm(a, -float("inf"), keepdim=True),
          lambda: (T(2, 3, 4),), False)
_optional("matrix_norm_ties", lambda a: E.linalg.matrix_norm(a, float("inf")),
          lambda: (_leaf([[1.0, -2.0], [-2.0, 1.0]]),), False)
for _n in (-2, -1, 0, 1, 3):
    _optional(f"matrix_power_{_n}", lambda a, n=_n: E.linalg.matrix_power(a, n), lambda: (WC(3, 2),))
_optional("cholesky", lambda a: E.linalg.cholesky(_sym(a)), lambda: (SPD(3, 2),))
_optional("cholesky_upper", lambda a: E.linalg.cholesky(_sym(a), upper=True), lambda: (SPD(3),))
# decompositions through losses their sign/basis choices cannot change (U S Vh, |U|)
_optional("qr", lambda a: E.cat([t.reshape(-1) for t in E.linalg.qr(a)]), lambda: (T(4, 3),))
_optional("qr_wide", lambda a: E.cat([t.reshape(-1) for t in E.linalg.qr(a)]), lambda: (T(2, 3, 4),))
_optional("svd", lambda a: (lambda u, s, vh: E.cat([(u * s.unsqueeze(-2) @ vh).reshape(-1),
                                                   u.abs().reshape(-1), vh.abs().reshape(-1)]))(
    *E.linalg.svd(a, full_matrices=False)), lambda: (T(2, 4, 3),))
_optional("svd_wide", lambda a: (lambda u, s, vh: E.cat([s, u.abs().reshape(-1), vh.abs().reshape(-1)]))(
    *E.linalg.svd(a, full_matrices=False)), lambda: (T(3, 5),))
_optional("svd_full", lambda a: (lambda u, s, vh: u[:, :3].abs() * s)(*E.linalg.svd(a)),
          lambda: (T(4, 3),))
_optional("svdvals", lambda a: E.linalg.svdvals(a), lambda: (T(2, 3, 4),))
_optional("eigh", lambda a: (lambda w, v: E.cat([w.reshape(-1), v.abs().reshape(-1)]))(
    *E.linalg.eigh(_sym(a))), lambda: (T(2, 3, 3),))
_optional("eigh_upper", lambda a: (lambda w, v: (v * w.unsqueeze(-2)) @ v.mT)(
    *E.linalg.eigh(_sym(a), UPLO="U")), lambda: (T(3, 3),))
_optional("eigvalsh", lambda a: E.linalg.eigvalsh(_sym(a)), lambda: (T(2, 3, 3),))
_optional("pinv", lambda a: E.linalg.pinv(a), lambda: (T(2, 3, 4),))
_optional("pinv_tall", lambda a: E.linalg.pinv(a), lambda: (T(4, 3),))
_optional("pinv_hermitian", lambda a: E.linalg.pinv(_sym(a), hermitian=True), lambda: (SPD(3),))
_optional("lstsq", lambda a, b: E.linalg.lstsq(a, b).solution, lambda: (T(5, 3), T(5, 2)))
_optional("lstsq_vectors", lambda a, b: E.linalg.lstsq(a, b).solution, lambda: (T(2, 5, 3), T(2, 5)))
_optional("lstsq_residuals", lambda a, b: E.linalg.lstsq(a, b, driver="gelsd").residuals,
          lambda: (T(2, 5, 3), T(1, 5, 2)))
_optional("inv", lambda a: E.linalg.inv(a), lambda: (T(3, 3) + E.eye(3, dtype=E.float64) * 3,))
_optional("det", lambda a: E.linalg.det(a), lambda: (T(3, 3) + E.eye(3, dtype=E.float64) * 3,))
_optional("solve", lambda a, b: E.linalg.solve(a, b),
          lambda: (T(3, 3) + E.eye(3, dtype=E.float64) * 3, T(3, 2)))


def _available(name):
    try:
        fn, inputs, _ = CASES[name]
        fn(*inputs())
    except (AttributeError, NotImplementedError) as exc:
        pytest.skip(f"{name}: not in core yet ({exc})")


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    _available(name)
    fn, inputs, _ = CASES[name]
    assert gradcheck(fn, inputs(), eps=1e-6, atol=1e-6, rtol=1e-4)


SMOOTH = sorted(n for n, (_, _, double) in CASES.items() if double)


@pytest.mark.parametrize("name", SMOOTH)
def test_gradgradcheck(name, kernels):
    if kernels == "cython":
        pytest.skip("second derivatives are kernel-independent: checked once (pure kernels)")
    _available(name)
    fn, inputs, _ = CASES[name]
    assert gradgradcheck(fn, inputs(), atol=1e-5, rtol=1e-3)


def test_gradcheck_catches_a_wrong_formula(monkeypatch):
    """gradcheck itself must be able to fail: break exp's formula on purpose."""
    from ember.autograd import GradcheckError
    cls = NODES["exp"]
    monkeypatch.setattr(cls, "formula", staticmethod(lambda node, g, saved: (g * 2,)))
    x = T(3)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(E.exp, (x,))
    assert gradcheck(E.exp, (x,), raise_exception=False) is False


# --- parity with PyTorch ----------------------------------------------------------------
PARITY = ["mul", "div", "pow", "atan2", "maximum", "hypot", "xlogy", "abs", "clamp", "sigmoid",
          "tanh", "erfinv", "logit_eps", "lerp_tensor", "addcdiv", "where", "sum_dim", "prod_zero",
          "amax_ties", "getitem_index", "getitem_mixed", "diagonal", "unfold", "as_strided",
          "remainder", "fmax", "softmax", "log_softmax", "mm", "matmul_vec", "std", "cumprod",
          "sort", "gather", "masked_fill", "index_add", "norm", "cumprod_zeros", "logcumsumexp_large",
          "repeat_interleave_flat", "repeat_interleave_counts", "kron_padded", "cdist", "cdist_mm",
          "cdist_p1", "cdist_inf",
          # (not scatter_reduce_larger_src: PyTorch's backward rejects a src larger than index)
          *[n for n in CASES if n.startswith(("einsum_", "matrix_", "scatter_reduce_"))
            and n != "scatter_reduce_larger_src"],
          "cholesky", "cholesky_upper", "qr", "qr_wide", "svd", "svd_wide", "svd_full", "svdvals",
          "eigh", "eigh_upper", "eigvalsh", "pinv", "pinv_tall", "pinv_hermitian", "lstsq",
          "lstsq_vectors", "lstsq_residuals"]
# decompositions go through LAPACK in both libraries, by different routes
LOOSE = ("matrix_", "cholesky", "qr", "svd", "eig", "pinv", "lstsq", "cdist_mm")


def _to_torch(torch, x):
    if isinstance(x, E.Tensor):
        t = torch.tensor(np.asarray(x.detach()), dtype=torch.float64 if x.dtype is E.float64
                         else torch.int64)
        return t.requires_grad_(x.requires_grad)
    return x


@pytest.mark.parametrize("name", [n for n in PARITY if n in CASES])
def test_gradients_match_torch(name, torch):
    _available(name)
    fn, inputs, _ = CASES[name]
    ins = inputs()
    tins = [_to_torch(torch, x) for x in ins]
    # the same program on both libraries: ember's functions take torch tensors through the
    # `E` -> `torch` substitution below
    tfn = _torch_version(name, torch)
    out = fn(*ins)
    tout = tfn(*tins)
    seed = RNG.standard_normal(tuple(out.shape))
    out.backward(E.tensor(seed, dtype=out.dtype))
    tout.backward(torch.tensor(seed, dtype=tout.dtype))
    for x, tx in zip(ins, tins):
        if isinstance(x, E.Tensor) and x.requires_grad:
            tol = dict(rtol=1e-8, atol=1e-10) if name.startswith(LOOSE) else dict(rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), **tol)


def _torch_version(name, torch):
    """CASES[name]'s function evaluated with `torch` in place of ember."""
    import types
    fn = CASES[name][0]
    if fn.__module__ != __name__:  # an ember function itself: torch's namesake
        return getattr(torch, fn.__name__)
    glob = dict(fn.__globals__, E=torch,
                I=lambda v: torch.tensor(v, dtype=torch.int64))
    return types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, fn.__closure__)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0], [1.5, 0.0, 0.0, -2.0],
                                    [0.0, 2.0, 0.0, 3.0], [2.0, 3.0, 4.0, 0.0], [0.5, 2.0, 3.0, 4.0]])
@pytest.mark.parametrize("layout", ["vector", "rows", "columns", "middle"])
def test_cumprod_with_zeros_matches_torch(values, layout, torch):
    """Zeros alone, two and three in a row, first and last: first and second derivatives."""
    v = np.array(values)
    array, dim = {"vector": (v, 0), "rows": (np.stack([v, v[::-1], 2 * v]), 1),
                  "columns": (np.stack([v, v[::-1]], 1), 0),
                  "middle": (np.stack([v, v[::-1], v]).T.reshape(2, 2, 3), 1)}[layout]
    seed = RNG.standard_normal(array.shape)
    weights = RNG.standard_normal(array.shape)  # linear in the gradient: see the prod test
    results = []
    for lib in (E, torch):
        x = lib.tensor(array, dtype=lib.float64, requires_grad=True)
        g = lib.tensor(seed, dtype=lib.float64)
        (plain,) = lib.autograd.grad(x.cumprod(dim), x, g)
        (graphed,) = lib.autograd.grad(x.cumprod(dim), x, g, create_graph=True)
        (second,) = lib.autograd.grad((graphed * lib.tensor(weights)).sum(), x)
        results.append([np.asarray(t.detach()) for t in (plain, graphed, second)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("zeros", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 1, 2])
def test_prod_with_zeros_matches_torch_to_second_order(zeros, dim, torch):
    """prod's gradient is the product of the other elements: with one zero in a slice only
    the zero's own entry is nonzero, yet the second derivative is not zero elsewhere."""
    array = RNG.standard_normal((3, 4, 2))
    array[0, :zeros, 0] = 0.0
    weights = RNG.standard_normal(array.shape)
    seed = RNG.standard_normal(() if dim is None else (3, 4, 2)[:dim] + (3, 4, 2)[dim + 1:])
    results = []
    for lib in (E, torch):
        x = lib.tensor(array, requires_grad=True)
        y = x.prod() if dim is None else x.prod(dim)
        g = lib.tensor(seed)
        (first,) = lib.autograd.grad(y, x, g, create_graph=True)
        # linear in `first`: a square would hide wrong cross terms behind first's zeros
        (second,) = lib.autograd.grad((first * lib.tensor(weights)).sum(), x)
        results.append([np.asarray(t.detach()) for t in (first, second)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# (op, function of ember or torch and a float64 input): node names as PyTorch shows them
NAMED = [
    ("logcumsumexp", lambda L, a: L.logcumsumexp(a, 0)),
    ("cumprod", lambda L, a: a.cumprod(1)),
    ("kron", lambda L, a: L.kron(a, a)),
    ("cdist", lambda L, a: L.cdist(a, a, 1.0)),
    ("cdist_mm", lambda L, a: L.cdist(a, a, compute_mode="use_mm_for_euclid_dist")),
    *[(f"matrix_norm_{o}_{k}", lambda L, a, o=o, k=k: L.linalg.matrix_norm(a, o, keepdim=k))
      for o in ("fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")) for k in (False, True)],
    *[(f"matrix_power_{n}", lambda L, a, n=n: L.linalg.matrix_power(a, n)) for n in (-2, -1, 0, 1, 3)],
    ("cholesky", lambda L, a: L.linalg.cholesky(a)),
    ("cholesky_upper", lambda L, a: L.linalg.cholesky(a, upper=True)),
    ("qr", lambda L, a: L.linalg.qr(a).R),
    ("svd", lambda L, a: L.linalg.svd(a).Vh),
    ("svdvals", lambda L, a: L.linalg.svdvals(a)),
    ("eigh", lambda L, a: L.linalg.eigh(a).eigenvectors),
    ("eigvalsh", lambda L, a: L.linalg.eigvalsh(a)),
    ("pinv", lambda L, a: L.linalg.pinv(a)),
    ("lstsq", lambda L, a: L.linalg.lstsq(a, a).solution),
    ("scatter_reduce", lambda L, a: a.scatter_reduce(1, L.tensor([[0, 0, 1]] * 3), a, "amax")),
    ("repeat_interleave", lambda L, a: a.repeat_interleave(2, 1)),
    ("repeat_interleave_flat", lambda L, a: a.repeat_interleave(2)),
    ("repeat_interleave_counts", lambda L, a: a.repeat_interleave(L.tensor([1, 0, 2]), 0)),
]


@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("name, fn", NAMED, ids=[n for n, _ in NAMED])
def test_node_names_match_torch(name, fn, batch, torch):
    if batch and name.startswith(("scatter_reduce", "repeat_interleave_counts")):
        pytest.skip("a 2-D case")
    a = np.asarray(SPD(3, *batch).detach())
    ours = fn(E, E.tensor(a, dtype=E.float64, requires_grad=True)).grad_fn.name()
    theirs = type(fn(torch, torch.tensor(a, requires_grad=True)).grad_fn).__name__
    assert ours == theirs


def test_scatter_reduce_prod_refuses_double_backward_through_two_zeros():
    """The first derivative is exact; the second is not (each zero's gradient is 0 while the
    other zero is): like PyTorch, recording that backward is an error."""
    x = _leaf([1.0, 2.0])
    src = _leaf([0.0, 0.0, 3.0])
    y = x.scatter_reduce(0, I([0, 0, 1]), src, "prod")
    (g,) = E.autograd.grad(y.sum(), src)
    assert g.tolist() == [0.0, 0.0, 2.0]
    with pytest.raises(RuntimeError, match="Double backward is unsupported"):
        E.autograd.grad(x.scatter_reduce(0, I([0, 0, 1]), src, "prod").sum(), src, create_graph=True)


@pytest.mark.parametrize("mode, shape, message", [
    ("r", (3, 3), "depends on Q, which is not computed when mode='r'"),
    ("complete", (4, 3), "not differentiable when mode='complete' and nrows > ncols")])
def test_qr_modes_without_a_derivative_say_so(mode, shape, message):
    a = T(*shape)
    with pytest.raises(RuntimeError, match=message):
        E.linalg.qr(a, mode=mode).R.sum().backward()


def test_lstsq_singular_values_carry_no_gradient():
    result = E.linalg.lstsq(T(5, 3), T(5, 2), driver="gelsd")
    assert result.solution.requires_grad and not result.singular_values.requires_grad


def test_double_backward_matches_torch(torch):
    x = E.tensor([0.3, -1.2, 2.0], dtype=E.float64, requires_grad=True)
    tx = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    for lib, v in ((E, x), (torch, tx)):
        y = (v.sin() * v.exp() / (v * v + 1)).sum()
        (g,) = (E.autograd if lib is E else torch.autograd).grad(y, v, create_graph=True)
        (gg,) = (E.autograd if lib is E else torch.autograd).grad(g.sum(), v, create_graph=True)
        (ggg,) = (E.autograd if lib is E else torch.autograd).grad((gg * gg).sum(), v)
        if lib is E:
            ours = [np.asarray(t.detach()) for t in (g, gg, ggg)]
        else:
            theirs = [t.detach().numpy() for t in (g, gg, ggg)]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_gradient_dtypes_follow_the_inputs(dtype):
    dt = getattr(E, dtype)
    a = E.tensor([1.0, 2.0], dtype=dt, requires_grad=True)
    b = E.tensor([3.0, 4.0], dtype=E.float64, requires_grad=True)
    (a * b).sum().backward()  # computed in float64, the gradient of `a` comes back as `a`'s dtype
    assert a.grad.dtype is dt and b.grad.dtype is E.float64
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


def test_to_converts_the_gradient_back():
    x = T(3)
    y = x.to(E.float32)
    assert y.grad_fn.name() == "ToCopyBackward0"
    y.backward(E.tensor([1.0, 2.0, 0.5]))
    assert x.grad.dtype is E.float64 and x.grad.tolist() == [1.0, 2.0, 0.5]


def test_zero_size_and_noncontiguous_inputs():
    x = T(0, 3)
    x.sum().backward()
    assert x.grad.shape == (0, 3)
    y = T(3, 4)
    (y.t()[1:] * 2).sum().backward()
    expected = np.zeros((4, 3))
    expected[1:] = 2
    np.testing.assert_array_equal(np.asarray(y.grad), expected.T)


# --- every recorded op has a formula ---------------------------------------------------------
ENTRY = {"pointwise", "pointwise_", "reduction", "apply", "view", "record", "Op"}

# recorded ops whose results carry no gradient (PyTorch refuses to differentiate them, or
# they only produce integers/bools, which are never recorded for autograd)
NON_DIFFERENTIABLE = {
    "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "signbit", "isclose",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "all", "any",
    "argmax", "argmin", "argsort", "nonzero", "count_nonzero", "bincount", "histc", "unique",
    "unique_consecutive", "bernoulli", "multinomial", "matrix_rank", "nextafter", "view_dtype",
}
def recorded_op_names():
    """Every op name core passes to the dispatcher's recording entry points, found by
    parsing core's source: literal first arguments, and literals passed to helpers that
    forward their argument to one of those entry points."""
    root = pathlib.Path(E.__file__).parent
    names = {}
    for path in sorted(root.glob("_ops/*.py")) + [root / "_dispatch.py", root / "linalg.py"]:
        if not path.exists():
            continue
        tree = ast.parse(path.read_text())
        forwarders = {}
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                params = [a.arg for a in fn.args.args]
                for call in ast.walk(fn):
                    if isinstance(call, ast.Call) and _callee(call) in ENTRY and call.args and \
                            isinstance(call.args[0], ast.Name) and call.args[0].id in params:
                        forwarders[fn.name] = params.index(call.args[0].id)
        for call in ast.walk(tree):
            if isinstance(call, ast.Call):
                pos = 0 if _callee(call) in ENTRY else forwarders.get(_callee(call))
                if pos is not None and len(call.args) > pos and \
                        isinstance(call.args[pos], ast.Constant) and isinstance(call.args[pos].value, str):
                    names.setdefault(call.args[pos].value, path.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_TABLE"
                                                    for t in node.targets):
                for key in node.value.keys:
                    names.setdefault(key.value, path.name)
    return names


def _callee(call):
    return getattr(call.func, "id", getattr(call.func, "attr", None))


def test_every_recorded_op_has_a_derivative():
    names = recorded_op_names()
    assert {"mul", "sum", "view", "getitem", "clone", "to"} <= set(names)  # the parser works
    missing = sorted(f"{n} ({f})" for n, f in names.items()
                     if n not in NODES and n not in PICK and n not in NON_DIFFERENTIABLE)
    assert not missing, f"ops recorded by core without a derivative formula: {missing}"


def test_not_yet_ops_fail_clearly_at_backward():
    x = T(3, requires_grad=True)
    y = E.tensor([1.0, 2.0, 3.0], dtype=E.float64)
    from ember.autograd import engine
    out = E.ones(3, dtype=E.float64)
    engine.record("some_future_op", (x, y), out, {})
    assert out.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="the derivative for 'some_future_op' is not implemented"):
        out.sum().backward()


def test_relu_backward_is_threshold_backward_like_torch(torch):
    """NaN outputs pass their gradient (PyTorch's ``output <= 0 ? 0 : grad``); the double
    backward node is ThresholdBackwardBackward0 and is linear in the incoming gradient."""
    array = np.array([[np.nan, -1.0, 0.0, 2.0], [3.0, -0.5, 1e-30, -4.0]])
    weights = RNG.standard_normal(array.shape)
    results = []
    for lib in (E, torch):
        x = lib.tensor(array, requires_grad=True)
        y = lib.relu(x)
        g = lib.tensor(weights, requires_grad=True)
        (first,) = lib.autograd.grad(y, x, g, create_graph=True)
        assert first.grad_fn.name() == "ThresholdBackwardBackward0"
        (second,) = lib.autograd.grad((first * lib.tensor(weights)).sum(), g)
        results.append([np.asarray(t.detach()) for t in (first, second)])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
    x = E.tensor([[0.5, -1.0], [2.0, -3.0]], dtype=E.float64, requires_grad=True)
    assert gradgradcheck(lambda t: E.relu(t) * t, (x,))
