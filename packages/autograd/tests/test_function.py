"""Custom Functions, gradcheck's own behaviour, anomaly mode, graph printing, the seam."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember as E
from ember.autograd import (Function, GradcheckError, detect_anomaly, gradcheck, gradgradcheck,
                            once_differentiable, set_detect_anomaly)
from ember.autograd.graph import format_graph, print_graph, to_dot


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class MulConst(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad):
        assert ctx.needs_input_grad == (True, False)
        return grad * ctx.k, None


def test_custom_function_forward_backward():
    x = E.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward" and y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), np.exp([0.0, 1.0]), rtol=1e-6)
    z = MulConst.apply(x, 3.0)
    assert z.tolist() == [0.0, 3.0]
    x.grad = None
    z.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with E.no_grad():
        assert not Exp.apply(x).requires_grad


def test_custom_function_gradcheck_and_double_backward():
    x = E.tensor([0.2, -0.4], dtype=E.float64, requires_grad=True)
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))  # the backward is made of ember ops: differentiable


def test_saved_tensor_version_check_names_the_function():
    x = E.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x * 1)
    with E.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_wrong_gradient_shape_names_the_function():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return E.ones(3)

    x = E.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function BadBackward returned an invalid gradient at "
                                           r"index 0 - got \[3\] but expected shape compatible with \[2\]"):
        Bad.apply(x).sum().backward()


def test_wrong_number_of_gradients():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = E.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function TooManyBackward returned an incorrect number of "
                                           r"gradients \(expected 1, got 2\)"):
        TooMany.apply(x).sum().backward()


def test_mark_dirty_non_differentiable_and_materialize():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class ValueAndIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = E.tensor([0.0, 1.0])
            ctx.mark_non_differentiable(idx)
            ctx.set_materialize_grads(False)
            return x * 2, idx

        @staticmethod
        def backward(ctx, grad, grad_idx):
            assert grad_idx is None  # not materialized as zeros
            return grad * 2

    leaf = E.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an "
                                           "in-place operation."):
        AddOneInPlace.apply(leaf)
    assert leaf.tolist() == [2.0, 2.0]  # the forward ran before the check, as in PyTorch
    h = leaf * 1
    out = AddOneInPlace.apply(h)
    assert out is h and h.grad_fn.name() == "AddOneInPlaceBackward" and h.tolist() == [3.0, 3.0]
    out.sum().backward()
    assert leaf.grad.tolist() == [1.0, 1.0]
    v, i = ValueAndIndex.apply(leaf)
    assert v.requires_grad and not i.requires_grad
    v.sum().backward()
    assert leaf.grad.tolist() == [3.0, 3.0]


def test_once_differentiable():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = E.tensor([2.0], requires_grad=True)
    (g,) = E.autograd.grad(Cube.apply(x), x, create_graph=True)
    assert g.tolist() == [12.0] and not g.requires_grad  # the backward ran without recording
    v = E.ones(1, requires_grad=True)  # a gradient that requires grad itself
    (g,) = E.autograd.grad(Cube.apply(x), x, grad_outputs=v, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "DelayedError"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked "
                                           "with @once_differentiable"):
        g.backward()


def test_legacy_function_call_raises():
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method "
                                           "is deprecated"):
        Exp()(E.ones(1))


def test_custom_function_matches_torch(torch):
    class TExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    x = E.tensor([0.5, -1.0], requires_grad=True)
    tx = torch.tensor([0.5, -1.0], requires_grad=True)
    (Exp.apply(x) * x).sum().backward()
    (TExp.apply(tx) * tx).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-6)


# --- gradcheck ---------------------------------------------------------------------------------
def test_gradcheck_arguments():
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to require "
                                         "gradient"):
        gradcheck(E.exp, (E.ones(2, dtype=E.float64),))
    x32 = E.tensor([0.5], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        gradcheck(E.exp, (x32,), atol=1e-2, rtol=1e-2, eps=1e-3)

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 x grad

    x = E.tensor([1.5, 2.0], dtype=E.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(Wrong.apply, (x,))
    assert gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    assert isinstance(GradcheckError("x"), RuntimeError)


# --- anomaly mode ------------------------------------------------------------------------------
def test_anomaly_mode_points_at_the_forward():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("boom")

    x = E.ones(1, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with detect_anomaly():
            y = Boom.apply(x)  # this line shows up in the warning
            with pytest.warns(UserWarning, match="Error detected in BoomBackward. Traceback of forward "
                                                 "call that caused the error"):
                with pytest.raises(ValueError, match="boom"):
                    y.sum().backward()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_anomaly_mode_checks_nan():
    x = E.tensor([0.0], requires_grad=True)
    with set_detect_anomaly(True):
        y = x.sqrt() * 0
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its "
                                               "0th output."):
            y.sum().backward()
    assert not E.autograd.is_anomaly_enabled()


# --- graph utilities -----------------------------------------------------------------------------
def test_format_graph_and_dot():
    a = E.ones(2, requires_grad=True)
    b = E.ones(2, requires_grad=True)
    y = (a * b + a).sum()
    text = format_graph(y)
    assert text.splitlines() == [
        "SumBackward0",
        "└── AddBackward0",
        "    ├── MulBackward0",
        "    │   ├── AccumulateGrad  (leaf [2] float32)",
        "    │   └── AccumulateGrad  (leaf [2] float32)",
        "    └── AccumulateGrad  (leaf [2] float32)  (see above)",
    ]
    assert "test_function.py" in format_graph(y, show_sites=True)
    dot = to_dot(y)
    assert dot.startswith("digraph autograd {") and dot.count("->") == 5 and dot.endswith("}")
    assert 'label="MulBackward0"' in dot
    with pytest.raises(RuntimeError, match="this tensor has no graph"):
        format_graph(a)


def test_print_graph(capsys):
    x = E.ones(1, requires_grad=True)
    print_graph(x.exp())
    assert capsys.readouterr().out == "ExpBackward0\n└── AccumulateGrad  (leaf [1] float32)\n"


# --- the seam ------------------------------------------------------------------------------------
def test_engine_is_loaded_through_the_entry_point():
    code = ("import ember, ember._autograd_seam as s; assert s.engine is None; "
            "x = ember.ones(2, requires_grad=True); (x * 2).sum().backward(); "
            "assert s.engine is not None; print(x.grad.tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[2.0, 2.0]"


def test_core_without_autograd_names_the_package():
    code = ("import importlib.metadata as m\n"
            "m.entry_points = lambda **kw: []\n"  # as if ember-autograd were not installed
            "import ember\n"
            "try:\n    ember.ones(2, requires_grad=True)\n"
            "except RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ember-autograd" in out.stdout
