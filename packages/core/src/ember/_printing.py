"""Tensor printing in PyTorch's format.

``repr(t)`` reads ``tensor([...], <suffixes>)``, character for character what PyTorch
prints for the same values (with ``ember.`` in place of ``torch.`` in dtype names).

How the body is laid out:

* One formatter serves the whole tensor, so every element has the same width and the
  columns line up. For floats it picks one of three styles from the nonzero finite
  values: *integer* (all whole numbers: ``5.``), *fixed* (``0.9216``) or *scientific*
  (``1.0000e-05``, used when the values span more than three decades, exceed 1e8 or
  go below 1e-4). ``nan``/``inf`` never influence the choice.
* 1-d rows wrap to the line width; higher dims nest with one more space of indent per
  level and ``dim - 1`` newlines between sub-blocks.
* Past ``threshold`` elements only the first and last ``edgeitems`` of each dim are
  shown (``...`` marks the gap), and only those elements choose the format.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as D

__all__ = ["set_printoptions", "get_printoptions"]


class _Options:
    """The current print options (module-global, as in PyTorch)."""

    def __init__(self):
        self.precision, self.threshold, self.edgeitems, self.linewidth = 4, 1000, 3, 80
        self.sci_mode = None


_OPTS = _Options()

_PROFILES = {  # precision, threshold, edgeitems, linewidth
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print. ``None`` keeps an option as it is, except ``sci_mode``:
    ``True``/``False`` forces scientific notation on/off, ``None`` lets each tensor choose.

    precision: digits after the decimal point (default 4); threshold: element count above
    which tensors are summarised (default 1000); edgeitems: items shown at each end of a
    summarised dim (default 3); linewidth: characters per line (default 80); profile:
    ``'default'``, ``'short'`` or ``'full'`` (never summarise), applied before the others.

    >>> import ember
    >>> ember.set_printoptions(precision=2)
    >>> ember.tensor([1.12345])
    tensor([1.12])
    >>> ember.set_printoptions(threshold=5)
    >>> ember.arange(10)
    tensor([0, 1, 2,  ..., 7, 8, 9])
    >>> ember.set_printoptions(profile="default")
    >>> ember.tensor([1.12345])
    tensor([1.1235])
    """
    if profile is not None and profile in _PROFILES:  # unknown names are ignored, as in PyTorch
        _OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict that ``set_printoptions(**d)`` accepts.

    >>> import ember
    >>> ember.get_printoptions()
    {'precision': 4, 'threshold': 1000, 'edgeitems': 3, 'linewidth': 80, 'sci_mode': None}
    """
    return {"precision": _OPTS.precision, "threshold": _OPTS.threshold,
            "edgeitems": _OPTS.edgeitems, "linewidth": _OPTS.linewidth,
            "sci_mode": _OPTS.sci_mode}


class _Formatter:
    """Formats single values of one tensor to a common width."""

    def __init__(self, values, floating):
        self.floating = floating
        self.precision = _OPTS.precision
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not floating:
            # an integer's text only grows with its magnitude and sign: the extremes decide
            if flat.size:
                self.width = max(len(str(flat.min().item())), len(str(flat.max().item())))
            return
        shown = np.unique(flat[np.isfinite(flat) & (flat != 0)]).tolist()
        if not shown:  # only zeros, nan and inf: keep integer style and width 1
            return
        magnitudes = [abs(v) for v in shown]
        lo, hi = min(magnitudes), max(magnitudes)
        self.int_mode = all(v == math.ceil(v) for v in shown)
        if _OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(_OPTS.sci_mode)
        if self.sci_mode:
            self.width = max(len(f"{v:.{self.precision}e}") for v in shown)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in shown)  # + 1 for the trailing "."
        else:
            self.width = max(len(f"{v:.{self.precision}f}") for v in shown)

    def __call__(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."  # marks a float tensor; nan/inf already read as floats
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _edges(values, edgeitems):
    """The elements a summary shows: the first and last `edgeitems` along each long dim.

    Returns them with a flag per dim telling whether that dim was cut (a ``...`` goes
    after its first `edgeitems` entries).
    """
    cut = []
    for axis, n in enumerate(values.shape):
        long = n > 2 * edgeitems
        if long:
            keep = list(range(edgeitems)) + list(range(n - edgeitems, n))
            values = values.take(keep, axis=axis)
        cut.append(long)
    return values, tuple(cut)


def _layout(values, cut, indent, fmt):
    """The bracketed body of `values`, which starts at column `indent`."""
    if values.ndim == 0:
        return fmt(values.item())
    edge = _OPTS.edgeitems
    if values.ndim == 1:
        items = [fmt(v) for v in values.tolist()]
        if cut[0]:
            items[edge:edge] = [" ..."]
        per_line = max(1, int(math.floor((_OPTS.linewidth - indent) / (fmt.width + 2))))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    blocks = [_layout(sub, cut[1:], indent + 1, fmt) for sub in values]
    if cut[0]:
        blocks[edge:edge] = ["..."]
    # a blank line between 3-d blocks, two between 4-d blocks, ...
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(blocks) + "]"


def _body(t, indent):
    values = t._host_values()
    summarize = values.size > _OPTS.threshold
    if summarize and not _OPTS.edgeitems:
        return "[...]"
    cut = (False,) * values.ndim
    if summarize:
        values, cut = _edges(values, _OPTS.edgeitems)
    return _layout(values, cut, indent, _Formatter(values, t._dtype.is_floating_point))


def _parameter_class(cls):
    """ember.nn's Parameter among `cls`'s bases, if any (ember-core must not import it)."""
    for base in cls.__mro__:
        if base.__name__ == "Parameter" and base.__module__.startswith("ember."):
            return base
    return None


def _join_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items, moving one to a new line when it would pass the width."""
    # PyTorch's running length overcounts by 2 when the text has no newline; kept so
    # the wrapping points match.
    line_len = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t, tensor_contents=None):
    """``repr(t)`` in PyTorch's format; `tensor_contents` replaces the bracketed body."""
    from ._tensor import Tensor
    cls = type(t)
    param = _parameter_class(cls)
    plain = cls is Tensor or cls is param
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    default = D.get_default_dtype()
    if t._data.size == 0:
        if t._data.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        # no values to tell an int tensor from a float one: name every non-default dtype
        if t._dtype is not default:
            suffixes.append(f"dtype={t._dtype}")
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if t._dtype not in (default, D.int64, D.bool):
            suffixes.append(f"dtype={t._dtype}")
        body = None
    if tensor_contents is not None:
        body = tensor_contents
    elif body is None:
        body = _body(t, indent)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        name = grad_fn.name() if callable(getattr(grad_fn, "name", None)) else type(grad_fn).__name__
        suffixes.append(f"grad_fn=<{name.rsplit('::', 1)[-1]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = _join_suffixes(prefix + body, suffixes, indent)
    if param is not None and not plain:  # a subclass of Parameter
        text = f"Parameter({text})"
    return text
