"""Check analytical gradients against finite differences (in float64)."""
from __future__ import annotations

import warnings

import numpy as np

from ember._tensor import Tensor

from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """Raised by `gradcheck`/`gradgradcheck` when gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _numerical_jacobians(func, inputs, diff, outputs, eps):
    """For each differentiable input, a (numel_in, numel_out_total) central-difference Jacobian."""
    sizes = [o.numel() for o in outputs]
    jacobians = []
    for i in diff:
        x = inputs[i]
        jac = np.zeros((x.numel(), sum(sizes)))
        array = x._data  # perturbed in place, element by element (strided views work too)
        for j, idx in enumerate(np.ndindex(*array.shape)):
            orig = array[idx].item()
            # func runs with grad mode as it is: gradgradcheck's func differentiates inside
            array[idx] = orig + eps
            plus = _flat_values(func(*inputs))
            array[idx] = orig - eps
            minus = _flat_values(func(*inputs))
            array[idx] = orig
            jac[j] = (plus - minus) / (2 * eps)
        jacobians.append(jac)
    return jacobians


def _flat_values(outputs):
    outs = _differentiable_outputs(_as_tuple(outputs))
    if not outs:
        return np.zeros(0)
    return np.concatenate([np.asarray(o.detach(), dtype=np.float64).reshape(-1) for o in outs])


def _analytical_jacobians(inputs, diff, outputs):
    """Row by row: the gradient of each output element with respect to every input."""
    import ember
    sizes = [o.numel() for o in outputs]
    jacobians = [np.zeros((inputs[i].numel(), sum(sizes))) for i in diff]
    column = 0
    for o in outputs:
        for k in range(o.numel()):
            if o.requires_grad:
                seed = ember.zeros(o.shape, dtype=o.dtype, device=o.device)
                seed._data.reshape(-1)[k] = 1
                grads = _grad((o,), [inputs[i] for i in diff], (seed,), retain_graph=True,
                              allow_unused=True)
                for jac, g in zip(jacobians, grads):
                    if g is not None:
                        jac[:, column] = np.asarray(g.detach(), dtype=np.float64).reshape(-1)
            column += 1
    return jacobians


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Compare the gradients of `func` at `inputs` with central finite differences.

    Inputs that require grad should be float64. Returns True, or raises `GradcheckError`
    (returns False with ``raise_exception=False``).

    >>> import ember
    >>> from ember.autograd import gradcheck
    >>> x = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    >>> gradcheck(lambda t: (t * t).exp(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none "
                         "of the them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point "
                          "or complex. This check will likely fail if all the inputs are not of double "
                          "precision floating point or complex. ", UserWarning, stacklevel=2)
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    numerical = _numerical_jacobians(func, inputs, diff, outputs, eps)
    analytical = _analytical_jacobians(inputs, diff, outputs)
    sizes = np.cumsum([0] + [o.numel() for o in outputs])
    for n_in, (num, ana) in enumerate(zip(numerical, analytical)):
        for k in range(len(outputs)):
            a, b = ana[:, sizes[k]:sizes[k + 1]], num[:, sizes[k]:sizes[k + 1]]
            if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
                message = (f"Jacobian mismatch for output {k} with respect to input {diff[n_in]},\n"
                           f"numerical:{b}\nanalytical:{a}\n")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Check second derivatives: `gradcheck` of the gradients of `func` (computed with
    ``create_graph=True``) with respect to the inputs and the output gradients.

    >>> import ember
    >>> from ember.autograd import gradgradcheck
    >>> x = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    >>> gradgradcheck(lambda t: t.sin() * t, (x,))
    True
    """
    import ember
    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(ember.tensor(rng.standard_normal(o.shape), dtype=o.dtype,
                                          device=o.device, requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        ins, seeds = args[:n], args[n:]
        outs = [o for o in _differentiable_outputs(_as_tuple(func(*ins))) if o.requires_grad]
        diff = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
        grads = _grad(outs, diff, seeds[:len(outs)], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
