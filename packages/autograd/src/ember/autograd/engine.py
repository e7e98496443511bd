"""The graph recorder and the backward engine: the object core's seam calls.

Recording (`record`) runs after every op whose inputs require grad, so it is kept
lean: one node object with slots per op, its edges to the producers of its inputs
(``next_functions``, as in PyTorch), the input shapes/dtypes the gradients must
match, and the operands its formula saves (with their version, to detect in-place
changes). The node class (``MulBackward0``...) carries the formula, from the one
table in `derivatives`.

`backward`/`grad` walk the graph from the roots: dependency counts first, then
each node runs once all the gradients flowing into it have been summed.
"""
from __future__ import annotations

import sys
import weakref

from ember import _dispatch
from ember import _dtype as D
from ember._grad_mode import state as grad_state
from ember._tensor import Tensor, _new_tensor

_NO_EDGE = (None, 0)


# --- nodes -------------------------------------------------------------------------
class Node:
    """One recorded op: turns the gradient of its output(s) into gradients of its inputs.

    ``next_functions`` holds one ``(node, output_nr)`` edge per operand of the op
    (``(None, 0)`` for operands that need no gradient), as in PyTorch.
    """

    # the compiled engine takes these fields from engine.pxd: keep the two lists alike
    __slots__ = ("next_functions", "_saved", "_versions", "_params", "_meta", "_site", "_extra",
                 "_ran", "__weakref__")
    formula = None   # formula(node, grad, saved) -> one gradient (or None) per operand
    save = ()        # ((operand, needed_by), ...): operand >= 0 is an input, -1 the output;
    #                  needed_by: the inputs whose gradient needs it (None: always)
    out_slots = ()   # positions in `save` that are outputs
    n_outputs = 1
    is_view = False

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    def needs(self, i):
        """Whether input `i` needs a gradient (its edge leads somewhere)."""
        return self.next_functions[i][0] is not None

    @property
    def needs_input_grad(self):
        return tuple(e[0] is not None for e in self.next_functions)

    def input_shape(self, i):
        return self._meta[i][0]

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        return _Handle(self._hooks("post"), hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` runs before this node; may return new grad_outputs."""
        return _Handle(self._hooks("pre"), hook)

    @property
    def metadata(self):
        return self._hooks("metadata", dict)

    def _hooks(self, kind, factory=list):
        if self._extra is None:
            self._extra = {}
        return self._extra.setdefault(kind, factory())

    def __call__(self, *grads):
        return _call_formula(self, grads[0] if self.n_outputs == 1 else grads, False)


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the gradient arriving here into ``variable.grad``."""

    __slots__ = ("variable",)


class _Handle:
    """What ``register_hook`` returns: ``.remove()`` takes the hook off again."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        hooks.append(hook)
        self._hooks, self._hook = hooks, hook

    def remove(self):
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def node_class(name, formula, save=(), n_outputs=1, is_view=False):
    """A Node subclass named like PyTorch's (``MulBackward0``) carrying `formula`."""
    save = tuple((s, None) if isinstance(s, int) else
                 (s[0], None if s[1] is None else tuple(s[1])) for s in save)
    return type(name, (Node,), {"__slots__": (), "formula": staticmethod(formula), "save": save,
                                "out_slots": tuple(i for i, (s, _) in enumerate(save) if s < 0),
                                "n_outputs": n_outputs, "is_view": is_view,
                                "__module__": "ember.autograd"})


# op name -> node class, and op name -> function(inputs, params) picking a variant class
NODES: dict = {}
PICK: dict = {}


def _not_implemented(op_name):
    def formula(node, grad, saved):
        raise RuntimeError(f"the derivative for '{op_name}' is not implemented.")
    cls = node_class("NotImplemented", formula)
    NODES[op_name] = cls
    return cls


# --- recording ---------------------------------------------------------------------
_creation_site = _dispatch.user_frame  # where user code created a node, resolved lazily
resolve_site = _dispatch.resolve_site


def _accumulator(t):
    """The leaf's AccumulateGrad node (one per leaf while a graph holds it)."""
    meta = t._grad_meta
    if meta is None:
        meta = t._grad_meta = {}
    ref = meta.get("acc")
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad.__new__(AccumulateGrad)
        acc.variable = t
        acc.next_functions = ()
        acc._saved = acc._versions = acc._params = acc._meta = acc._site = acc._extra = None
        acc._ran = None
        meta["acc"] = weakref.ref(acc)
    return acc


def edge_of(t):
    """The edge a new node takes to `t`'s producer."""
    if not t._requires_grad:
        return _NO_EDGE
    fn = t.grad_fn
    if fn is None:
        return (_accumulator(t), 0)
    meta = t._grad_meta
    return (fn, meta.get("output_nr", 0) if meta else 0)


def record(op_name, inputs, outputs, params):
    """Create the node for an op just run by the dispatcher and attach it to its outputs."""
    if outputs.__class__ is tuple or isinstance(outputs, (tuple, list)):
        for o in outputs:
            if o._dtype.is_floating_point:
                break
        else:
            return None
    elif not outputs._dtype.is_floating_point:
        return None  # comparisons, argmax...: integer and bool results carry no gradient
    pick = PICK.get(op_name)
    cls = pick(inputs, params) if pick is not None else NODES.get(op_name)
    if cls is None:
        cls = _not_implemented(op_name)
    node = Node.__new__(cls)
    edges, meta = [], []
    for x in inputs:
        if isinstance(x, Tensor):
            meta.append((x._data.shape, x._dtype))
            edges.append(edge_of(x) if x._requires_grad else _NO_EDGE)
        else:
            meta.append(None)
            edges.append(_NO_EDGE)
    node.next_functions = tuple(edges)
    node._meta = meta
    node._params = params
    node._extra = node._ran = None
    node._site = _creation_site()
    if cls.save:
        _save(node, cls.save, edges, inputs, outputs)
    else:
        node._saved, node._versions = (), None
    if _anomaly.enabled:
        _anomaly.remember(node)
    if outputs.__class__ is tuple or isinstance(outputs, (tuple, list)):
        for k, o in enumerate(outputs):
            if o._dtype.is_floating_point:
                set_history(o, node, k)
    else:
        outputs.grad_fn = node
        outputs._requires_grad = True
    return node


def _save(node, spec, edges, inputs, outputs):
    saved, versions = [], []
    tensors = False
    for operand, needed_by in spec:
        if needed_by is not None:
            for j in needed_by:
                if edges[j][0] is not None:
                    break
            else:  # no input that needs it requires grad
                saved.append(None)
                versions.append(None)
                continue
        if operand >= 0:
            x = inputs[operand]
            if not isinstance(x, Tensor):
                saved.append(x)  # a Python scalar: nothing to version
                versions.append(None)
                continue
        else:
            out = outputs[-1 - operand] if isinstance(outputs, (tuple, list)) else outputs
            x = _alias(out)  # not `out` itself: out -> node -> out would be a cycle
        x._version_counter.watched = True
        saved.append(x)
        versions.append(x._version_counter.value)
        tensors = True
    node._saved = saved
    node._versions = versions if tensors else None


def _alias(t):
    """A tensor over `t`'s memory and version counter, without its history."""
    a = _new_tensor(t._data, t._dtype, t._device)
    a._version_counter = t._version_counter
    return a


def set_history(t, node, output_nr=0):
    t.grad_fn = node
    t._requires_grad = True
    meta = t._grad_meta
    if output_nr:
        if meta is None:
            meta = t._grad_meta = {}
        meta["output_nr"] = output_nr
    elif meta is not None:
        meta.pop("output_nr", None)


def set_requires_grad(tensor, flag):
    if flag and not tensor._dtype.is_floating_point:
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    if tensor.grad_fn is not None:
        if not flag:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want "
                               "to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        return
    tensor._requires_grad = flag


def detach_(tensor):
    if tensor._base is not None and tensor.grad_fn is not None and tensor.grad_fn.is_view:
        raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                           "DistributedDataParallel (DDP) for training, ...")
    tensor.grad_fn = None
    tensor._requires_grad = False
    if tensor._grad_meta:
        tensor._grad_meta.pop("output_nr", None)


# --- hooks on tensors ----------------------------------------------------------------
def register_hook(tensor, hook):
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    fn = tensor.grad_fn
    if fn is None:
        if tensor._grad_meta is None:
            tensor._grad_meta = {}
        return _Handle(tensor._grad_meta.setdefault("hooks", []), hook)
    nr = tensor._grad_meta.get("output_nr", 0) if tensor._grad_meta else 0
    return _Handle(fn._hooks("tensor", dict).setdefault(nr, []), hook)


def retain_grad(tensor):
    if not tensor._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    fn = tensor.grad_fn
    if fn is None:
        return  # leaves keep their gradient anyway
    if tensor._grad_meta is None:
        tensor._grad_meta = {}
    tensor._grad_meta["retains_grad"] = True
    nr = tensor._grad_meta.get("output_nr", 0)
    fn._hooks("retain", dict)[nr] = weakref.ref(tensor)


# --- in-place ops --------------------------------------------------------------------
# in-place ops whose out-of-place formula never reads `self`: they can skip the clone
_NO_SELF_NEEDED = {"__setitem__", "copy_"}


def apply_inplace(op_name, self, compute):
    """``self.op_(...)`` while recording: compute out of place, write back, rebase history."""
    base = self._base
    fn = self.grad_fn
    is_view = base is not None and self._data is not base._data and (
        (fn is not None and fn.is_view) or (not self._requires_grad and not base._requires_grad))
    if self._requires_grad and fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if is_view and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    old = _current_value(self, op_name)
    result = compute(old)
    if result.shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if result._dtype is not self._dtype:
        if not D.can_cast(result._dtype, self._dtype):
            raise RuntimeError(f"result type {_dispatch._type_name(result._dtype)} can't be cast to "
                               f"the desired output type {_dispatch._type_name(self._dtype)}")
        result = result.to(self._dtype)
    if is_view:
        pos = positions_in(self, base)
        base_old = _with_history(_alias(base), base)
    _dispatch.store(self, _dispatch.compute_array(result, _dispatch.compute_dtype(self._dtype)))
    self._version_counter.bump(op_name)
    retained = self.retains_grad
    node = result.grad_fn
    if node is None:
        detach_(self)
    else:
        set_history(self, node)
        _rebind_saved_output(node, self)
    if is_view:
        _rebase_view(self, base, base_old, result, pos)
    if retained:
        retain_grad(self)
    return self


def _current_value(self, op_name):
    """A tensor holding self's value now and self's history (a copy when the formula reads it)."""
    plain = op_name[:-1] if op_name.endswith("_") else op_name
    cls = NODES.get(plain)
    reads_self = op_name not in _NO_SELF_NEEDED and (
        cls is None or PICK.get(plain) is not None or any(s == 0 for s, _ in cls.save))
    data = self._data
    if reads_self:
        data = data.copy() if data.flags.c_contiguous else _dispatch.get_backend(
            self._device.type).kernels.contiguous(data)
    return _with_history(_new_tensor(data, self._dtype, self._device), self)


def _with_history(t, src):
    if src._requires_grad:
        t._requires_grad = True
        t.grad_fn = src.grad_fn
        nr = src._grad_meta.get("output_nr", 0) if src._grad_meta else 0
        if src.grad_fn is None:  # a leaf that does not require grad has no history to copy
            t._requires_grad = False
        elif nr:
            t._grad_meta = {"output_nr": nr}
    return t


def _rebind_saved_output(node, t):
    """A node that saved its output now finds it in `t` (the in-place target)."""
    if node.out_slots and node._versions is not None:
        for i in node.out_slots:
            if node._saved[i] is not None:
                node._saved[i] = _alias(t)
                node._versions[i] = t._version_counter.value


def _rebase_view(view, base, base_old, value, pos):
    """After an in-place write through `view`, the base's history is: the old base with the
    view's elements replaced by `value` (PyTorch's CopySlices); the view then reads from it."""
    xp = _dispatch.get_backend(base._device.type).xp
    mask = xp.zeros(base.shape, bool)
    mask.reshape(-1)[xp.asarray(pos).reshape(-1)] = True
    params = {"pos": pos, "mask": _new_tensor(mask, D.bool, base._device)}
    record("copy_slices", (base_old, value), base, params)
    if base._grad_meta:
        base._grad_meta.pop("output_nr", None)
    record("view_of", (base,), view, {"pos": pos})


def positions_in(view, base):
    """For each element of `view`, its row-major flat index in `base` (whose memory it shares)."""
    return flat_positions(view.shape, view.stride(), view.storage_offset(), base.shape,
                          base.stride(), base.storage_offset())


def flat_positions(shape, strides, offset, base_shape, base_strides, base_offset):
    """Row-major flat indices into a base layout of the elements of a layout over the same
    storage (both given as shape, element strides, storage offset)."""
    import numpy as np
    pos = _grid(shape, strides, offset)
    if tuple(base_strides) == _contiguous_strides(base_shape):
        return pos - base_offset
    bpos = _grid(base_shape, base_strides, base_offset).reshape(-1)
    order = np.argsort(bpos, kind="stable")
    return order[np.searchsorted(bpos[order], pos)]


def _contiguous_strides(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _grid(shape, strides, start):
    """Storage offsets of every element of a strided layout."""
    import numpy as np
    pos = np.full(tuple(shape), start, np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        pos += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos


# --- backward ------------------------------------------------------------------------
class _Anomaly:
    enabled = False
    check_nan = True

    def remember(self, node):
        import traceback
        node._hooks("trace", lambda: "".join(traceback.format_stack()[:-3]))


_anomaly = _Anomaly()


def backward(tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    tensors = tuple(tensor) if isinstance(tensor, (tuple, list)) else (tensor,)
    if gradient is None:
        grads = (None,) * len(tensors)
    else:
        grads = tuple(gradient) if isinstance(gradient, (tuple, list)) else (gradient,)
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        found = run(tensors, grads, retain_graph, create_graph, inputs, allow_unused=True,
                    check_inputs=False)
        prev, grad_state.enabled = grad_state.enabled, create_graph
        try:
            for t, g in zip(inputs, found):
                if g is not None:
                    _accumulate(t, g, create_graph)
        finally:
            grad_state.enabled = prev
        return
    run(tensors, grads, retain_graph, create_graph, None)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    else:
        grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} "
                           f"grad_outputs for {len(outputs)} outputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    found = run(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused)
    if materialize_grads:
        found = [g if g is not None else _zeros_like(t) for g, t in zip(found, inputs)]
    return tuple(found)


def _zeros_like(t):
    import ember
    return ember.zeros(t.shape, dtype=t._dtype, device=t._device)


def run(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused=False,
        check_inputs=True):
    """The engine: gradients of `outputs` (seeded with `grad_outputs`), accumulated into leaves
    (inputs is None) or returned for `inputs`."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs, grad_outputs, create_graph)
    buffers = {}
    for fn, nr, g in roots:
        _add_to_buffer(buffers, fn, nr, g)
    # dependency counts: how many edges lead into each node
    deps = {}
    stack = [fn for fn, _, _ in roots]
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    stack.append(nxt)
    capture = useful = None
    if inputs is not None:
        capture, results = _capture_points(inputs, check_inputs)
        useful = _useful([fn for fn, _, _ in roots], {fn for fn, _ in capture})
    root = (roots[0][0], roots[0][0]._ran is not None)  # for error messages: a repeated backward?
    ready = []
    for fn, _, _ in roots:
        if fn not in deps and fn not in ready:  # a root no other root leads to
            ready.append(fn)
    prev, grad_state.enabled = grad_state.enabled, create_graph
    try:
        _loop(ready, buffers, deps, capture, results if capture is not None else None, useful,
              retain_graph, create_graph, root)
    finally:
        grad_state.enabled = prev
    if inputs is None:
        return None
    for i, t in enumerate(inputs):
        if results[i] is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used "
                               "in the graph. Set allow_unused=True if this is the desired behavior.")
    return results


def _loop(ready, buffers, deps, capture, results, useful, retain_graph, create_graph, root):
    """Run each ready node, route its input gradients along its edges, release what becomes
    ready. The hot loop of every backward: kept flat."""
    while ready:
        fn = ready.pop()
        gi = grads = None  # no stale reference may keep a gradient from being taken (_accumulate)
        g = buffers.pop(fn, None)
        if fn.__class__ is AccumulateGrad:
            if g is not None:
                var = fn.variable
                if var._grad_meta is not None and "hooks" in var._grad_meta:
                    g = _leaf_hooks(var, g)
                if capture is None:
                    _accumulate(var, g, create_graph)
                else:
                    index = capture.get((fn, 0))
                    if index is not None:
                        results[index] = g
            continue
        if g is not None:
            if fn._extra is not None:
                g = _pre_hooks(fn, g)
            if capture is not None:
                for nr in range(fn.n_outputs):
                    index = capture.get((fn, nr))
                    if index is not None:
                        results[index] = g if fn.n_outputs == 1 else g[nr]
            if useful is None or fn in useful:
                grads = _call_formula(fn, g, create_graph, root)
                if not retain_graph and fn._versions is not None:
                    fn._saved = None  # free what the formula saved
        fn._ran = True
        meta = fn._meta
        i = -1
        for nxt, nr in fn.next_functions:
            i += 1
            if nxt is None:
                continue
            if grads is not None:
                gi = grads[i]
                if gi is not None:
                    m = meta[i]
                    if gi._data.shape != m[0] or gi._dtype is not m[1]:
                        gi = _fit(gi, m, fn, i)
                    if nxt.n_outputs == 1:
                        old = buffers.get(nxt)
                        buffers[nxt] = gi if old is None else old + gi
                    else:
                        _add_to_buffer(buffers, nxt, nr, gi)
            d = deps[nxt] = deps[nxt] - 1
            if d == 0:
                ready.append(nxt)


def _roots(outputs, grad_outputs, create_graph):
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward(): expected a Tensor at index {i}, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            ones = _dispatch.get_backend(t._device.type).xp.empty(t._data.shape, t._data.dtype)
            ones.fill(1)  # (xp.ones is a Python function: twice the time on this hot path)
            g = _new_tensor(ones, t._dtype, t._device)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
        elif g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {t.shape}.")
        elif g._device != t._device:
            if g._device.type != "cpu" or g._data.ndim:  # a 0-d CPU gradient moves, as in PyTorch
                raise RuntimeError(f"invalid gradient at index {i} - expected device {t._device} but "
                                   f"got {g._device}")
            g = g.to(t._device, t._dtype)
        if g._dtype is not t._dtype:
            g = g.to(t._dtype)
        fn, nr = edge_of(t)
        roots.append((fn, nr, g))
    return roots


def _add_to_buffer(buffers, fn, nr, g):
    n = fn.n_outputs
    if n == 1:
        old = buffers.get(fn)
        buffers[fn] = g if old is None else old + g
        return
    slots = buffers.get(fn)
    if slots is None:
        slots = buffers[fn] = [None] * n
    slots[nr] = g if slots[nr] is None else slots[nr] + g


def _fit(g, meta, fn, i):
    """A gradient reshaped to its input: broadcast dims summed away, dtype cast."""
    shape, dtype = meta
    if g._data.shape != shape:
        gs = g._data.shape
        if len(shape) > len(gs) or any(s != 1 and s != n for s, n in zip(shape[::-1], gs[::-1])):
            raise RuntimeError(f"Function {fn.name()} returned an invalid gradient at index {i} - got "
                               f"{list(gs)} but expected shape compatible with {list(shape)}")
        g = sum_to(g, shape)
    if g._dtype is not dtype:
        g = g.to(dtype)
    return g


def sum_to(g, shape):
    """`g` summed down to `shape` (the inverse of broadcasting `shape` up to g's shape)."""
    gs = g._data.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    dims = tuple(range(lead)) + tuple(lead + d for d, s in enumerate(shape)
                                      if s == 1 and gs[lead + d] != 1)
    if dims:
        g = g.sum(dims, keepdim=True)
    return g.reshape(shape) if g._data.shape != shape else g


def _capture_points(inputs, check):
    capture, results = {}, [None] * len(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__} at index {i}")
        if not t._requires_grad:
            if check:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            continue
        capture[edge_of(t)] = i
    return capture, results


def _useful(roots, targets):
    """Nodes worth running: those from which some capture point is reachable below them."""
    reach = {}
    for root in roots:
        if root in reach:
            continue
        reach[root] = False
        stack = [(root, iter(root.next_functions))]
        while stack:  # depth-first, iterative: graphs can be deeper than Python's recursion
            fn, edges = stack[-1]
            for nxt, _ in edges:
                if nxt is None:
                    continue
                if nxt in targets:
                    reach[fn] = True
                if nxt not in reach:
                    reach[nxt] = False
                    stack.append((nxt, iter(nxt.next_functions)))
                    break
                if reach[nxt]:
                    reach[fn] = True
            else:
                stack.pop()
                if stack and reach[fn]:
                    reach[stack[-1][0]] = True
    return {fn for fn, r in reach.items() if r}


def _pre_hooks(fn, g):
    """Tensor hooks of the node's outputs, retain_grad, then the node's own pre-hooks."""
    extra = fn._extra
    single = fn.n_outputs == 1
    grads = [g] if single else list(g)
    for nr, hooks in extra.get("tensor", {}).items():
        for hook in list(hooks):
            if grads[nr] is not None:
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
    for nr, ref in extra.get("retain", {}).items():
        t = ref()
        if t is not None and grads[nr] is not None and t.grad_fn is fn:
            t._grad = grads[nr].clone() if t._grad is None else t._grad + grads[nr]
    for hook in list(extra.get("pre", ())):
        new = hook(tuple(grads))
        if new is not None:
            grads = list(new)
    return grads[0] if single else grads


def _call_formula(fn, g, create_graph, root=None):
    saved = fn._saved
    if saved is None:
        raise RuntimeError(_freed_message(fn, root))
    if fn._versions is not None:
        saved = _unpack(fn, saved, create_graph)
    if _anomaly.enabled:
        return _call_checked(fn, g, saved)
    grads = fn.formula(fn, g, saved)
    if fn._extra is not None and "post" in fn._extra:
        grad_outputs = (g,) if fn.n_outputs == 1 else tuple(g)
        for hook in list(fn._extra["post"]):
            new = hook(tuple(grads), grad_outputs)
            if new is not None:
                grads = tuple(new)
    return grads


def _call_checked(fn, g, saved):
    import warnings
    try:
        grads = fn.formula(fn, g, saved)
    except Exception:
        trace = fn._extra.get("trace") if fn._extra else None
        warnings.warn(f"Error detected in {fn.name()}. Traceback of forward call that caused the "
                      f"error:\n{trace or '(the node was created before anomaly detection was on)'}",
                      UserWarning, stacklevel=2)
        raise
    if _anomaly.check_nan:
        for i, gi in enumerate(grads):
            if gi is not None and bool(gi.isnan().any()):
                raise RuntimeError(f"Function '{fn.name()}' returned nan values in its {i}th output.")
    return grads


def _unpack(fn, saved, create_graph):
    for i, v in enumerate(fn._versions):
        if v is not None and saved[i]._version_counter.value != v:
            raise RuntimeError(_version_message(fn, i, saved[i], v))
    if create_graph and fn.out_slots:
        # a saved output is differentiable again: through this very node
        saved = list(saved)
        for i in fn.out_slots:
            if saved[i] is not None:
                a = saved[i] = _alias(saved[i])
                set_history(a, fn, -1 - fn.save[i][0])  # output -1 is output_nr 0
    return saved


def _where(site):
    """A node's creation site (or a version counter's last write) for messages."""
    site = resolve_site(site)
    return f"{site[0]}:{site[1]}" if site else "an unknown place"


def _version_message(fn, i, t, expected):
    version = t._version_counter
    shape = ", ".join(str(s) for s in t.shape)
    if i in fn.out_slots:
        owner = f", which is output {-1 - fn.save[i][0]} of {fn.name()},"
    elif t.grad_fn is not None:
        owner = f", which is output 0 of {t.grad_fn.name()},"
    else:
        owner = ""
    msg = (f"one of the variables needed for gradient computation has been modified by an inplace "
           f"operation: [{t.type()} [{shape}]]{owner} is at version {version.value}; expected version "
           f"{expected} instead. Hint: enable anomaly detection to find the operation that failed to "
           f"compute its gradient, with ember.autograd.set_detect_anomaly(True).")
    msg += f"\n  It was saved for {fn.name()} (created at {_where(fn._site)})"
    if version.last_write is not None:
        op, site = version.last_write
        msg += f" and then modified in place by {op} at {_where(site)}"
    return msg + ". Use an out-of-place op there, or .clone() the tensor before changing it."


_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after "
          "they have already been freed). Saved intermediate values of the graph are freed when you "
          "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
          "through the graph a second time or if you need to access saved tensors after calling "
          "backward.")


def _freed_message(fn, root):
    where = f"{fn.name()} (created at {_where(fn._site)})"
    root_fn, repeated = root or (None, False)
    if repeated:
        return (f"{_FREED}\n  This backward starts at {root_fn.name()} (created at "
                f"{_where(root_fn._site)}), which an earlier backward() already went through; "
                f"its saved values, e.g. those of {where}, were freed then.")
    return (f"{_FREED}\n  The graph reaches {where}, whose saved values an earlier backward() already "
            f"freed: a tensor computed in an earlier iteration (a carried-over hidden state, a running "
            f"total...) is being reused. Call .detach() on it where it is carried over "
            f"(e.g. `h = h.detach()`); retain_graph=True only if you really mean to backpropagate "
            f"through the old graph again.")


def _leaf_hooks(var, g):
    for hook in list(var._grad_meta["hooks"]):
        new = hook(g)
        if new is not None:
            g = new
    return g


def _accumulate(var, g, create_graph):
    """Add `g` into ``var.grad`` (PyTorch's AccumulateGrad rules)."""
    old = var._grad
    if old is None:
        # take `g` as the new .grad only when nothing else can see it: not a view, owning its
        # memory, referenced only by the engine (the caller's name, this argument, and the
        # getrefcount argument); otherwise a copy, so that later in-place accumulation never
        # writes into someone else's tensor
        if g._base is None and g._data.flags.owndata and not g._requires_grad and \
                sys.getrefcount(g) <= _STEAL_REFS:
            var._grad = g
        elif create_graph:
            var._grad = g.clone() if g._requires_grad else _copy(g)
        else:
            var._grad = _copy(g)
    elif create_graph:
        var._grad = old + g
    elif old._dtype is g._dtype and old._data.shape == g._data.shape and old._dtype is not D.bfloat16 \
            and old._data.flags.writeable and old._device == g._device:
        # in place, as PyTorch does outside create_graph; straight on the arrays: this runs
        # once per leaf per step
        xp = _dispatch.get_backend(old._device.type).xp
        xp.add(old._data, g._data, out=old._data)
        old._version_counter.bump("add_")
    else:
        old.add_(g)


def _refs_seen(obj):
    return sys.getrefcount(obj)


def _refs_of_unshared():
    """What `_accumulate`'s refcount test sees for a gradient only the engine holds (one
    local variable in the caller, passed as an argument): 3 when this module is interpreted,
    fewer when it is compiled (Note [compiled modules] in ``ember._compiled``), which passes
    arguments without new references."""
    g = object()
    return _refs_seen(g)


_STEAL_REFS = _refs_of_unshared()


def _copy(g):
    kernels = _dispatch.get_backend(g._device.type).kernels
    return _new_tensor(kernels.contiguous(g._data) if not g._data.flags.c_contiguous
                       else g._data.copy(), g._dtype, g._device)


class Engine:
    """The object installed into ``ember._autograd_seam`` (the methods core calls)."""

    record = staticmethod(record)
    set_requires_grad = staticmethod(set_requires_grad)
    apply_inplace = staticmethod(apply_inplace)
    backward = staticmethod(backward)
    register_hook = staticmethod(register_hook)
    retain_grad = staticmethod(retain_grad)
    detach_ = staticmethod(detach_)


ENGINE = Engine()
