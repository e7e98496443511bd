"""The legacy ``Variable``: today a Variable is just a Tensor."""
from __future__ import annotations

from ember._grad_mode import warn_volatile
from ember._tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=True)`` returns a tensor sharing `t`'s data (old code keeps
    working); ``isinstance(t, Variable)`` holds for every tensor.

    >>> import ember
    >>> from ember.autograd import Variable
    >>> v = Variable(ember.ones(2), requires_grad=True)
    >>> v.requires_grad, isinstance(v, Variable)
    (True, True)
    """

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            import ember
            data = ember.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()
        if volatile:
            warn_volatile()
            return t  # volatile meant "no graph": nothing requires grad
        if requires_grad:
            t.requires_grad_(True)
        return t
