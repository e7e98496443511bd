"""Conversion between a module's parameters and one flat vector."""
from __future__ import annotations

import ember
from ember import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, device):
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one vector.

    >>> import ember
    >>> from ember import nn
    >>> nn.utils.parameters_to_vector([ember.ones(2, 2), ember.zeros(1)])
    tensor([1., 1., 1., 1., 0.])
    """
    device = None
    flat = []
    for p in parameters:
        device = _check_device(p, device)
        flat.append(p.reshape(-1))
    return ember.cat(flat)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of `vec` into the parameters' data (in place)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    offset = 0
    for p in parameters:
        device = _check_device(p, device)
        n = p.numel()
        p.data = vec[offset:offset + n].view_as(p).data
        offset += n
