"""Gradient clipping."""
from __future__ import annotations

import math
import warnings

import ember
from ember import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm"]


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _norm(t, norm_type):
    t = t.detach()
    if norm_type == math.inf:
        return t.abs().amax() if t.numel() else ember.zeros((), dtype=t.dtype, device=t.device)
    if norm_type == -math.inf:
        return t.abs().amin()
    if norm_type == 2:
        return (t * t).sum().sqrt()
    if norm_type == 1:
        return t.abs().sum()
    return (t.abs() ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type` norm of all `tensors` taken together (as if concatenated).

    >>> import ember
    >>> from ember.nn.utils import get_total_norm
    >>> get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])])
    tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return ember.tensor(0.0)
    norms = ember.stack([_norm(t, norm_type).to(tensors[0].device) for t in tensors])
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not bool(ember.isfinite(total).all()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return total


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` in place so that their total norm is at most
    `max_norm`; returns the total norm before clipping.

    >>> import ember
    >>> from ember import nn
    >>> p = nn.Parameter(ember.zeros(2)); p.grad = ember.tensor([3.0, 4.0])
    >>> nn.utils.clip_grad_norm_([p], 1.0)
    tensor(5.)
    >>> p.grad
    tensor([0.6000, 0.8000])
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if not grads:
        return total
    coef = ember.clamp(float(max_norm) / (total + 1e-6), max=1.0)
    with ember.no_grad():
        for g in grads:
            g.mul_(coef.to(g.device, g.dtype))
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of `clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` to [-clip_value, clip_value] in place.

    >>> import ember
    >>> from ember import nn
    >>> p = nn.Parameter(ember.zeros(2)); p.grad = ember.tensor([-3.0, 0.5])
    >>> nn.utils.clip_grad_value_([p], 1.0); p.grad
    tensor([-1.0000,  0.5000])
    """
    clip_value = float(clip_value)
    with ember.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
