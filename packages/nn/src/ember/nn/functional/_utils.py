"""Argument helpers shared by the functional ops."""
from __future__ import annotations

import warnings

import ember
from ember._ops.conv import ntuple  # noqa: F401  (the functional ops' argument helper)


def reduce(loss, reduction):
    """Apply a loss's `reduction` ('none' | 'mean' | 'sum')."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_reduction(size_average, reduce, reduction="mean", emit_warning=True):
    """Map the deprecated ``size_average``/``reduce`` flags onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = ("mean" if size_average else "sum") if reduce else "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{result}' instead.", UserWarning, stacklevel=3)
    return result


def index_tensor(values, device):
    return ember.tensor(values, dtype=ember.int64, device=device)
