"""The compiled fast paths (ember._fastpath) agree with the general dispatcher in every
case, including the ones they hand back to it (grad recording, promotion, broadcasting,
subclasses, errors)."""
import numpy as np
import pytest

import ember

fastpath = pytest.importorskip("ember._fastpath", reason="compiled fast paths not built")
pytestmark = pytest.mark.skipif(ember.Tensor.__add__ is not fastpath.add,
                                reason="fast paths not installed (pure-Python mode)")

OPS = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
       "__rtruediv__"]
RNG = np.random.default_rng(0)


def general(name):
    return fastpath._general[name]


def same(a, b):
    assert type(a) is type(b)
    if isinstance(a, ember.Tensor):
        assert a.dtype is b.dtype and a.shape == b.shape and a.device == b.device
        assert a.requires_grad == b.requires_grad
        assert (a.grad_fn is None) == (b.grad_fn is None)
        np.testing.assert_array_equal(a.detach()._host_values(), b.detach()._host_values())


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "float16", "uint8"])
@pytest.mark.parametrize("other", ["same", "broadcast", "float", "int", "bool", "other_dtype"])
def test_binary_matches_general(name, dtype, other):
    a = ember.tensor(RNG.uniform(1, 5, (3, 4))).to(getattr(ember, dtype))
    b = {"same": lambda: ember.tensor(RNG.uniform(1, 5, (3, 4))).to(a.dtype),
         "broadcast": lambda: ember.tensor(RNG.uniform(1, 5, (4,))).to(a.dtype),
         "float": lambda: 2.5, "int": lambda: 3, "bool": lambda: True,
         "other_dtype": lambda: ember.tensor(RNG.uniform(1, 5, (3, 4)))}[other]()
    if name.startswith("__r") and isinstance(b, ember.Tensor):
        return  # reflected methods only ever see numbers
    try:
        expected = general(name)(a, b)
    except Exception as exc:  # the fast path must raise the same
        with pytest.raises(type(exc)):
            getattr(ember.Tensor, name)(a, b)
        return
    same(getattr(ember.Tensor, name)(a, b), expected)


@pytest.mark.parametrize("name", OPS)
def test_recording_matches_the_general_path(name):
    pytest.importorskip("ember.autograd")
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    result = getattr(ember.Tensor, name)(a, 4.0)
    assert result.grad_fn.name() == general(name)(a, 4.0).grad_fn.name()
    result.sum().backward()
    sign = {"__sub__": 1, "__rsub__": -1, "__add__": 1, "__radd__": 1, "__mul__": 4, "__rmul__": 4,
            "__truediv__": 0.25}
    if name in sign:
        assert a.grad.tolist() == [sign[name]] * 2
    else:  # d(4/a)/da = -4/a^2
        assert a.grad.tolist() == [-4.0, -1.0]
    with ember.no_grad():
        assert getattr(ember.Tensor, name)(a, 4.0).grad_fn is None


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "relu", "__neg__"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "float16"])
def test_unary_matches_general(name, dtype):
    a = ember.tensor(RNG.uniform(-3, 3, (5, 2))).to(getattr(ember, dtype))
    try:
        expected = general(name)(a)
    except Exception as exc:
        with pytest.raises(type(exc)):
            getattr(ember.Tensor, name)(a)
        return
    same(getattr(ember.Tensor, name)(a), expected)


def test_sum_view_reshape_getitem_matmul_match_general():
    x = ember.tensor(RNG.standard_normal((4, 6)), dtype=ember.float32)
    same(x.sum(), general("sum")(x))
    same(x.sum(1), general("sum")(x, 1))
    for shape in [(24,), (-1,), (2, -1), ((3, 8),), (ember.Size([6, 4]),)]:
        same(x.view(*shape), general("view")(x, *shape))
        same(x.t().reshape(*shape), general("reshape")(x.t(), *shape))
    for key in [slice(1, 3), (slice(None), slice(2, None, 2)), slice(None, None, 3), 1, (1, 2)]:
        same(x[key], general("__getitem__")(x, key))
    same(x @ x.t(), general("__matmul__")(x, x.t()))
    v = x[1:3]
    v.add_(1)  # a fast view writes through to its base and shares its counter
    assert x._version == 1 and v._base is x


@pytest.mark.parametrize("call,error", [
    (lambda x: x.view(5, 5), "shape '\\[5, 5\\]' is invalid"),
    (lambda x: x.view(-2, 12), "invalid shape dimension -2"),
    (lambda x: x.t().view(24), "view size is not compatible"),
    (lambda x: x[0][1][2:], "slice\\(\\) cannot be applied to a 0-dim tensor|too many indices"),
    (lambda x: x[1:2, 1:2, 1:2], "too many indices"),
    (lambda x: x @ ember.ones(5, 2), "cannot be multiplied"),
])
def test_errors_come_from_the_general_path(call, error):
    x = ember.zeros(4, 6)
    with pytest.raises((RuntimeError, IndexError), match=error):
        call(x)


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
                                lambda a, b: a / b, lambda a, b: a @ b.t(), lambda a, b: (a * b).sum(),
                                lambda a, b: (a - b).exp().tanh().sigmoid().relu().neg().sum()])
def test_fast_recorded_graphs_give_general_gradients(torch, op):
    pytest.importorskip("ember.autograd")
    x = RNG.standard_normal((3, 3))
    y = RNG.standard_normal((3, 3))
    a, b = ember.tensor(x, requires_grad=True), ember.tensor(y, requires_grad=True)
    ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    op(a, b).sum().backward()
    op(ta, tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_"])
@pytest.mark.parametrize("other", ["same", "scalar", "int_scalar", "broadcast", "alias", "overlap",
                                   "other_dtype", "expanded_self", "requires_grad"])
def test_inplace_matches_general(name, other):
    if other == "requires_grad":
        pytest.importorskip("ember.autograd")

    def make():
        base = ember.tensor(RNG.uniform(1, 5, (3, 4)), dtype=ember.float32)
        return base, {"same": lambda: ember.tensor(RNG.uniform(1, 5, (3, 4)), dtype=ember.float32),
                      "scalar": lambda: 2.5, "int_scalar": lambda: 2,
                      "broadcast": lambda: ember.ones(4),
                      "alias": lambda: base, "overlap": lambda: base.t().contiguous().t(),
                      "other_dtype": lambda: ember.ones(3, 4, dtype=ember.float64),
                      "expanded_self": lambda: 1.5, "requires_grad": lambda: 1.5}[other]()
    state = RNG.bit_generator.state
    a1, b1 = make()
    RNG.bit_generator.state = state
    a2, b2 = make()
    if other == "expanded_self":
        a1, a2 = ember.ones(4).expand(3, 4), ember.ones(4).expand(3, 4)
    if other == "requires_grad":
        a1, a2 = a1.requires_grad_() * 1, a2.requires_grad_() * 1
    outcomes = []
    for a, b, method in ((a1, b1, getattr(ember.Tensor, name)), (a2, b2, general(name))):
        try:
            before = a._version
            result = method(a, b)
            outcomes.append((result is a, a.detach().tolist(), a._version - before, a.grad_fn is None))
        except Exception as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]


def test_inplace_alpha_and_rounding_mode():
    a = ember.ones(3)
    a.add_(ember.ones(3), alpha=2)
    a.sub_(1.0, alpha=0.5)
    assert a.tolist() == [2.5, 2.5, 2.5]
    b = ember.tensor([7, -7])
    b.div_(2, rounding_mode="floor")
    assert b.tolist() == [3, -4]
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        ember.tensor([1]).add_(ember.tensor([1]), alpha=0.5)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("other", ["same", "broadcast", "float", "int", "other_dtype"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "float16"])
def test_functions_without_keywords_match_the_general_path(name, other, dtype):
    """``ember.add(a, b)`` and its kin take the operators' fast path; `general` is the
    dispatcher path they fall back to (a missed case must not loop back into them)."""
    from ember._ops import pointwise
    a = ember.tensor(RNG.uniform(1, 5, (3, 4))).to(getattr(ember, dtype))
    b = {"same": lambda: ember.tensor(RNG.uniform(1, 5, (3, 4))).to(a.dtype),
         "broadcast": lambda: ember.tensor(RNG.uniform(1, 5, (4,))).to(a.dtype),
         "float": lambda: 2.5, "int": lambda: 3,
         "other_dtype": lambda: ember.tensor(RNG.uniform(1, 5, (3, 4)))}[other]()
    assert pointwise._fast is fastpath.function
    same(getattr(ember, name)(a, b), pointwise._GENERAL[name](a, b))
    same(getattr(ember, name)(2, a), pointwise._GENERAL[name](2, a))  # a number first


def test_functions_record_like_the_operators():
    pytest.importorskip("ember.autograd")
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    ember.div(ember.mul(ember.sub(ember.add(a, a), 1.0), a), 2.0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), (4 * a.detach().numpy() - 1) / 2)
