"""``Parameter``: a tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

import ember
from ember import Tensor


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning it as a Module attribute registers it.

    It shares storage with `data` and requires grad unless told otherwise.

    >>> import ember
    >>> from ember.nn import Parameter
    >>> p = Parameter(ember.ones(2))
    >>> p.requires_grad, type(p).__name__
    (True, 'Parameter')
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = ember.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        # an alias of `data` (same storage and version counter), retyped as a Parameter
        param = data.detach()
        param.__class__ = cls
        if requires_grad:
            param.requires_grad_(True)
        return param

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self.requires_grad)
        result.__dict__.update(self.__dict__)
        if self._grad is not None:
            result._grad = self._grad.detach().clone()
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    >>> import ember
    >>> from ember import nn
    >>> m = nn.Module(); m.steps = nn.Buffer(ember.zeros(1))
    >>> list(dict(m.named_buffers()))
    ['steps']
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = ember.empty(0)
        buf = data.detach()
        buf.__class__ = cls
        buf.persistent = persistent
        return buf

    def __init__(self, data=None, *, persistent=True):
        pass
