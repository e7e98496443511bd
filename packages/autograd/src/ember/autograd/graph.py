"""Look at a recorded graph: `print_graph(t)` draws it as a text tree, `to_dot(t)` as
Graphviz DOT (render with ``dot -Tsvg``).

>>> import ember
>>> from ember.autograd.graph import format_graph
>>> x = ember.ones(2, requires_grad=True)
>>> print(format_graph((x * 2).sum()))
SumBackward0
└── MulBackward0
    └── AccumulateGrad  (leaf [2] float32)
"""
from __future__ import annotations

from ember._tensor import Tensor

from .engine import AccumulateGrad, Node, resolve_site

__all__ = ["Node", "format_graph", "print_graph", "to_dot"]


def _root(t):
    if isinstance(t, Node):
        return t
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor or a graph Node, got {type(t).__name__}")
    if t.grad_fn is None:
        raise RuntimeError("this tensor has no graph: it is a leaf or does not require grad")
    return t.grad_fn


def _label(fn, with_site=False):
    if isinstance(fn, AccumulateGrad):
        v = fn.variable
        return f"AccumulateGrad  (leaf {list(v.shape)} {v.dtype.name})"
    site = resolve_site(fn._site) if with_site else None
    if site:
        return f"{fn.name()}  ({site[0].rsplit('/', 1)[-1]}:{site[1]})"
    return fn.name()


def format_graph(t, show_sites=False):
    """The graph behind `t` (or a node) as an indented tree; shared nodes appear once,
    later mentions say ``(see above)``."""
    lines, seen = [_label(_root(t), show_sites)], {_root(t)}
    stack = [(_root(t), "", iter(_children(_root(t))))]
    while stack:  # iterative: deep graphs (long RNNs) exceed Python's recursion limit
        fn, prefix, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        nxt, last = child
        branch, extend = ("└── ", "    ") if last else ("├── ", "│   ")
        if nxt in seen:
            lines.append(f"{prefix}{branch}{_label(nxt)}  (see above)")
            continue
        seen.add(nxt)
        lines.append(f"{prefix}{branch}{_label(nxt, show_sites)}")
        stack.append((nxt, prefix + extend, iter(_children(nxt))))
    return "\n".join(lines)


def _children(fn):
    edges = [n for n, _ in fn.next_functions if n is not None]
    return [(n, i == len(edges) - 1) for i, n in enumerate(edges)]


def print_graph(t, show_sites=False, file=None):
    """Print `format_graph(t)`."""
    print(format_graph(t, show_sites), file=file)


def to_dot(t):
    """The graph behind `t` in Graphviz DOT: one box per node, edges toward the inputs.

    >>> import ember
    >>> from ember.autograd.graph import to_dot
    >>> x = ember.ones(2, requires_grad=True)
    >>> print(to_dot(x.exp()))
    digraph autograd {
      node [shape=box];
      n0 [label="ExpBackward0"];
      n1 [label="AccumulateGrad  (leaf [2] float32)"];
      n0 -> n1;
    }
    """
    root = _root(t)
    ids = {root: 0}
    lines = ["digraph autograd {", "  node [shape=box];"]
    edges = []
    stack = [root]
    order = [root]
    while stack:
        fn = stack.pop()
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            if nxt not in ids:
                ids[nxt] = len(ids)
                order.append(nxt)
                stack.append(nxt)
            edges.append(f"  n{ids[fn]} -> n{ids[nxt]};")
    for fn in order:
        label = _label(fn).replace('"', '\\"')
        lines.append(f'  n{ids[fn]} [label="{label}"];')
    return "\n".join(lines + edges + ["}"])
