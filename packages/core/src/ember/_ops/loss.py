"""Losses as single ops: nll_loss, mse_loss, binary_cross_entropy (also from logits),
smooth_l1_loss and huber_loss.

Each computes the per-element loss and its `reduction` ('none', 'mean' or 'sum') in
one kernel and records one node, as PyTorch does (``NllLossBackward0``,
``MseLossBackward0``...). The public entries are ``ember.nn.functional``; only
``binary_cross_entropy_with_logits`` is also at the top level, as in PyTorch.

Everything a kernel relies on is checked here first: class targets in range, dtypes,
shapes that broadcast. Class weights and ``pos_weight`` are constants, as in PyTorch.
"""
from __future__ import annotations

from .. import _dtype as D
from .._device import get_backend
from .._dispatch import _type_name, apply, broadcast_shapes
from .._grad_mode import state as grad_state
from .._tensor import Tensor

__all__ = ["binary_cross_entropy_with_logits"]
METHODS = {}


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_tensor(t, name, op):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def _constant(t, name, op):
    """Class weights are not differentiable: PyTorch refuses them with requires_grad."""
    if t is None:
        return
    _check_tensor(t, name, op)
    if t._requires_grad and grad_state.enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument "
                           f"'{name}'. This input cannot have requires_grad True.")


# --- class indices -----------------------------------------------------------------------
def check_class_target(input, target):
    """PyTorch's checks of a class-index `target` against scores ``(N, C, *)`` or ``(C,)``."""
    _check_tensor(input, "input", "nll_loss")
    _check_tensor(target, "target", "nll_loss")
    if target._dtype is not D.int64 and target._dtype is not D.uint8:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target._dtype)}")
    shape, target_shape = input._data.shape, target._data.shape
    if len(shape) == 0:
        raise ValueError("Expected input to have at least 1 dimension")
    if len(shape) == 1:
        if target_shape:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return
    if not target_shape or shape[0] != target_shape[0]:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size "
                         f"({target_shape[0] if target_shape else 1}).")
    if len(shape) == 2 and len(target_shape) != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target_shape[1:] != shape[2:]:
        expected = shape[:1] + shape[2:]
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target_shape)}")


def check_class_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")


def _check_targets_in_range(target, n_classes, ignore_index):
    bad = get_backend(target._device.type).kernels.bad_class_target(target._data, n_classes,
                                                                    ignore_index)
    if bad is not None:
        raise IndexError(f"Target {bad} is out of bounds.")


def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    """Negative log-likelihood of class indices `target` under log-probabilities `input`
    (classes along dim 1, or dim 0 of a 1-D input); 'mean' divides by the total weight
    of the targets that are not `ignore_index`. The kernels see 1-D, 2-D or 4-D inputs.

    >>> import ember
    >>> from ember._ops.loss import nll_loss
    >>> nll_loss(ember.tensor([[-1.0, -2.0], [-3.0, -4.0]]), ember.tensor([0, 1]))
    tensor(2.5000)
    """
    _check_reduction(reduction)
    check_class_target(input, target)
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f"\"nll_loss\" not implemented for '{_type_name(input._dtype)}'")
    shape = input._data.shape
    n_classes = shape[0 if len(shape) == 1 else 1]
    if weight is not None:
        _constant(weight, "weight", "nll_loss_forward")
        check_class_weight(weight, n_classes)
    _check_targets_in_range(target, n_classes, ignore_index)
    if len(shape) == 3 or len(shape) > 4:
        # PyTorch runs these as a 4-D (N, C, H, W) loss over views, with those nodes
        n, spatial = input.shape[0], target.numel() // max(input.shape[0], 1)
        loss = nll_loss(input.reshape(n, n_classes, 1, spatial), target.reshape(n, 1, spatial),
                        weight, reduction, ignore_index)
        return loss.reshape(target.shape) if reduction == "none" else loss
    return apply("nll_loss", (input, target, weight),
                 {"reduction": reduction, "ignore_index": int(ignore_index)})


def nll_loss_backward(grad, input, target, weight, reduction, ignore_index):
    """The gradient of `nll_loss` with respect to its input, given the gradient of its result
    (linear in `grad`; `input` only gives the shape). Arguments as checked by `nll_loss`."""
    return apply("nll_loss_backward", (grad, input, target, weight),
                 {"reduction": reduction, "ignore_index": ignore_index},
                 result_dtype=input._dtype)


# --- elementwise losses --------------------------------------------------------------------
def _elementwise(op, input, target, reduction, params=(), weights=(), floating_target=False):
    """Check and run an elementwise loss; `weights` are (name, tensor or None) constants."""
    _check_reduction(reduction)
    _check_tensor(input, "input", op)
    _check_tensor(target, "target", op)
    if floating_target and not target._dtype.is_floating_point:
        raise RuntimeError(f"Found dtype {_type_name(target._dtype)} but expected "
                           f"{_type_name(input._dtype)}")
    dtype = D.result_type(input, target)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{op}\" not implemented for '{_type_name(dtype)}'")
    shapes = [input.shape, target.shape]
    for name, w in weights:
        _constant(w, name, op)
        if w is not None:
            shapes.append(w.shape)
    broadcast_shapes(*shapes)
    return apply(op, (input, target) + tuple(w for _, w in weights),
                 dict(params, reduction=reduction), result_dtype=dtype)


def mse_loss(input, target, reduction="mean"):
    """Squared error ``(x - y)**2``, reduced.

    >>> import ember
    >>> from ember._ops.loss import mse_loss
    >>> mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([2.0, 4.0]))
    tensor(2.5000)
    """
    return _elementwise("mse_loss", input, target, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5 d**2`` where ``abs(d) < delta``, else ``delta * (abs(d) - 0.5 delta)``, reduced.

    >>> import ember
    >>> from ember._ops.loss import huber_loss
    >>> huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), "none")
    tensor([0.1250, 2.5000])
    """
    if not delta > 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _elementwise("huber_loss", input, target, reduction, {"delta": float(delta)})


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``abs(d) < beta``, else ``abs(d) - 0.5 beta`` (the absolute
    error when `beta` is 0), reduced.

    >>> import ember
    >>> from ember._ops.loss import smooth_l1_loss
    >>> smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), "none")
    tensor([0.1250, 2.5000])
    """
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _elementwise("smooth_l1_loss", input, target, reduction, {"beta": float(beta)})


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """``-w (y log x + (1 - y) log(1 - x))`` for probabilities x, each log clamped at -100
    as in PyTorch, reduced.

    >>> import ember
    >>> from ember._ops.loss import binary_cross_entropy
    >>> binary_cross_entropy(ember.tensor([0.5]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    for name, t in (("input", input), ("target", target)):
        _check_tensor(t, name, "binary_cross_entropy")
        a = t._data
        if a.size and (bool(a.min() < 0) or bool(a.max() > 1)):
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    return _elementwise("binary_cross_entropy", input, target, reduction,
                        weights=(("weight", weight),), floating_target=True)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction="mean"):
    """Binary cross entropy of ``sigmoid(x)``, computed from the logits without overflow;
    `pos_weight` scales the positive term (per class, broadcast over the last dim).

    >>> import ember
    >>> ember.binary_cross_entropy_with_logits(ember.tensor([1000.0]), ember.tensor([1.0]))
    tensor(0.)
    """
    if isinstance(reduction, int):  # PyTorch's top-level function takes the enum value too
        reduction = ("none", "mean", "sum")[reduction]
    return _elementwise("binary_cross_entropy_with_logits", input, target, reduction,
                        weights=(("weight", weight), ("pos_weight", pos_weight)))
