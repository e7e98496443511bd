"""Custom differentiable functions: subclass `Function`, write static ``forward(ctx, ...)``
and ``backward(ctx, *grads)``, call ``MyFn.apply(...)``.

The ``ctx`` both methods receive *is* the graph node (``MyFnBackward``), as in PyTorch.
"""
from __future__ import annotations

import functools

from ember._grad_mode import state as grad_state
from ember._tensor import Tensor, _new_view

from . import engine
from .engine import Node


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function (and its node in the graph)."""

    __slots__ = ("__dict__",)

    def save_for_backward(self, *tensors):
        """Keep tensors for backward; changing them in place afterwards is detected."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(engine._FREED)
        if self._versions is not None:
            saved = engine._unpack(self, saved, grad_state.enabled)
        return tuple(saved)

    def mark_dirty(self, *tensors):
        """Declare the inputs that forward modified in place (and returns)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that carry no gradient (indices, masks...)."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


def _custom_formula(ctx, g, saved):
    grads = (g,) if ctx.n_outputs == 1 else tuple(g)
    if ctx.materialize_grads:
        import ember
        grads = tuple(gi if gi is not None or m is None else
                      ember.zeros(m[0], dtype=m[1], device=m[2])
                      for gi, m in zip(grads, ctx._out_meta))
    result = type(ctx)._forward_cls.backward(ctx, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    n = len(ctx.next_functions)
    if len(result) != n:
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        else:
            raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
    for i, r in enumerate(result):
        if r is None:
            continue
        if not isinstance(r, Tensor):
            raise TypeError(f"function {ctx.name()} returned a gradient of type {type(r).__name__} "
                            f"at position {i + 1}; expected a Tensor or None")
        if ctx._meta[i] is None:
            raise RuntimeError(f"function {ctx.name()} returned a gradient different than None at "
                               f"position {i + 1}, but the corresponding forward input was not a "
                               "Variable")
    return result


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,),
                                 {"__slots__": (), "formula": staticmethod(_custom_formula),
                                  "_forward_cls": cls, "__module__": cls.__module__})


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations.

    >>> import ember
    >>> from ember.autograd import Function
    >>> class Double(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         return grad * 2
    >>> x = ember.ones(2, requires_grad=True)
    >>> Double.apply(x).sum().backward(); x.grad
    tensor([2., 2.])
    """

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = _new_ctx(cls._backward_cls, args)
        recording = grad_state.enabled and any(e[0] is not None for e in ctx.next_functions)
        separate_setup = cls.setup_context is not Function.setup_context
        prev = grad_state.enabled
        grad_state.enabled = False
        try:
            if separate_setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_state.enabled = prev
        if not recording:
            return outputs
        return _connect(ctx, args, outputs)


def _new_ctx(node_cls, args):
    ctx = Node.__new__(node_cls)
    edges, meta = [], []
    for a in args:
        if isinstance(a, Tensor):
            edges.append(engine.edge_of(a) if grad_state.enabled else engine._NO_EDGE)
            meta.append((a._data.shape, a._dtype))
        else:
            edges.append(engine._NO_EDGE)
            meta.append(None)
    ctx.next_functions = tuple(edges)
    ctx._meta = meta
    ctx._saved, ctx._versions, ctx._params, ctx._extra, ctx._ran = (), None, None, None, None
    ctx._site = engine._creation_site()
    ctx.to_save = ctx.dirty_tensors = ctx.non_differentiable = ()
    ctx.materialize_grads = True
    return ctx


def _connect(ctx, args, outputs):
    """Attach the node to the forward's outputs and keep what ctx saved."""
    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else outputs
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    dirty = {id(t) for t in ctx.dirty_tensors}
    non_diff = {id(t) for t in ctx.non_differentiable}
    result, out_meta = [], []
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            result.append(o)
            out_meta.append(None)
            continue
        out_meta.append((o._data.shape, o._dtype, o._device))
        if id(o) in dirty:
            if o._requires_grad and o.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                                   "operation.")
            o._version_counter.bump("mark_dirty")
        elif id(o) in inputs:
            o = _new_view(o, o._data)  # an input returned as is comes back as a view of it
        if id(outs[k]) not in non_diff and o._dtype.is_floating_point:
            engine.set_history(o, ctx, k)
        result.append(o)
    ctx.n_outputs = len(outs)
    ctx._out_meta = out_meta
    _save(ctx, result, outs)
    if engine._anomaly.enabled:
        engine._anomaly.remember(ctx)
    return result[0] if single else tuple(result)


def _save(ctx, result, outs):
    saved, versions, save, out_slots = [], [], [], []
    for t in ctx.to_save:
        k = next((k for k, o in enumerate(outs) if o is t), None)
        if t is None:
            saved.append(None)
            versions.append(None)
            save.append((0, None))
            continue
        if k is not None:  # an output: keep an alias, or output -> ctx -> output is a cycle
            t = engine._alias(result[k])
            out_slots.append(len(saved))
            save.append((-1 - k, None))
        else:
            save.append((0, None))
        t._version_counter.watched = True
        saved.append(t)
        versions.append(t._version_counter.value)
    ctx._saved, ctx._versions = saved, (versions if saved else None)
    ctx.save, ctx.out_slots = tuple(save), tuple(out_slots)
    ctx.to_save = ()


def once_differentiable(backward):
    """Decorate a Function's backward that is not itself differentiable: it runs without
    recording, and differentiating its result again raises an error.

    >>> import ember
    >>> from ember.autograd import Function, once_differentiable
    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     @once_differentiable
    ...     def backward(ctx, grad):
    ...         x, = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    >>> x = ember.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).backward(); x.grad
    tensor([12.])
    """
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        prev = grad_state.enabled
        grad_state.enabled = False
        try:
            outputs = backward(ctx, *grads)
        finally:
            grad_state.enabled = prev
        needing = tuple(g for g in grads if isinstance(g, Tensor) and g._requires_grad)
        if not prev or not needing:
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        for o in outs:
            if isinstance(o, Tensor) and o._dtype.is_floating_point and not o._requires_grad:
                engine.record("once_differentiable", needing, o, {})
        return outputs
    return wrapper
