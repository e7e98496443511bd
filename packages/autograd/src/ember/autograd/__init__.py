"""ember.autograd: reverse-mode automatic differentiation for Ember.

Importing this package installs the engine into core's seam (``ember._autograd_seam``);
core imports it through the ``ember.autograd`` entry point the first time a tensor asks
for gradients.

>>> import ember
>>> x = ember.tensor(1., requires_grad=True); w = ember.tensor(2., requires_grad=True)
>>> (w * x + 3).backward(); x.grad, w.grad
(tensor(2.), tensor(1.))
"""
from __future__ import annotations

from ember import _autograd_seam, _compiled
from ember._grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                              set_grad_enabled)

from . import engine
from . import derivatives  # noqa: F401  (fills the derivative table)
from . import graph
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import ENGINE
from .engine import grad as _grad
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "once_differentiable",
           "gradcheck", "gradgradcheck", "GradcheckError", "set_detect_anomaly", "detect_anomaly",
           "is_anomaly_enabled", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "graph"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulate the gradients of `tensors` into the ``.grad`` of the leaves (or of `inputs`).

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> ember.autograd.backward([(x * 3).sum()]); x.grad
    tensor([3., 3.])
    """
    if grad_tensors is None:
        grad_tensors = grad_variables
    ENGINE.backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (not accumulated).

    >>> import ember
    >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> ember.autograd.grad((x ** 2).sum(), x)
    (tensor([2., 4.]),)
    """
    return _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                 is_grads_batched, materialize_grads)


_compiled.check_compiled(engine)  # Note [compiled modules] in ember._compiled
_autograd_seam.install(ENGINE)
