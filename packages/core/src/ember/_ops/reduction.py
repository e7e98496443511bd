"""Reductions: thin entries into `_dispatch.reduction`."""
from __future__ import annotations

from .._dispatch import reduction


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over all elements or over `dim` (int or tuple); ints and bools sum to int64.

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).sum(dim=0)
    tensor([4, 6])
    """
    return reduction("sum", input, dim, keepdim, dtype, out)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product over all elements or over one `dim`.

    >>> import ember
    >>> ember.tensor([1, 2, 3]).prod()
    tensor(6)
    """
    return reduction("prod", input, dim, keepdim, dtype, out)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over all elements or over `dim`; needs a floating-point input (or `dtype`).

    >>> import ember
    >>> ember.tensor([1.0, 2.0, 6.0]).mean()
    tensor(3.)
    """
    return reduction("mean", input, dim, keepdim, dtype, out, rule="float" if dtype is None else "same")


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over `dim` (all dims when empty).

    >>> import ember
    >>> ember.tensor([[1, 5], [3, 2]]).amax(1)
    tensor([5, 3])
    """
    _check_nonempty(input, dim, "amax")
    return reduction("amax", input, dim if dim != () else None, keepdim, None, out, rule="same")


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over `dim` (all dims when empty)."""
    _check_nonempty(input, dim, "amin")
    return reduction("amin", input, dim if dim != () else None, keepdim, None, out, rule="same")


def all(input, dim=None, keepdim=False, *, out=None):
    """True where every element (over `dim`) is nonzero.

    >>> import ember
    >>> ember.tensor([True, False]).all()
    tensor(False)
    """
    return reduction("all", input, dim, keepdim, None, out, rule="bool")


def any(input, dim=None, keepdim=False, *, out=None):
    """True where some element (over `dim`) is nonzero."""
    return reduction("any", input, dim, keepdim, None, out, rule="bool")


def _check_nonempty(input, dim, op):
    if input.numel() == 0 and (dim is None or dim == ()):
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")


__all__ = ["sum", "prod", "mean", "amax", "amin", "all", "any"]
METHODS = {n: globals()[n] for n in __all__}
