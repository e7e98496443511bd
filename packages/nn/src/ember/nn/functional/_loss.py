"""Loss functions. Each computes the per-element loss, then applies `reduction`.

nll_loss, mse_loss, binary_cross_entropy (also with logits), smooth_l1_loss and
huber_loss are single ops of ember's core (one kernel, one autograd node, as in PyTorch);
cross_entropy with class indices is log_softmax followed by nll_loss. The rest are
composites of ember ops. Every loss is numerically stable for extreme inputs:
log-probabilities come from ``log_softmax`` / log-sum-exp forms, logits from
``log1p(exp(-abs(x)))``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import ember
from ember import Tensor
from ember._ops import loss as _ops

from ._activation import log_softmax, logsigmoid
from ._norm import pairwise_distance
from ._utils import check_reduction, index_tensor, legacy_reduction
from ._utils import reduce as _reduce  # (`reduce` is the losses' legacy argument)

__all__ = ["l1_loss", "mse_loss", "cross_entropy", "nll_loss", "ctc_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "kl_div", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "margin_ranking_loss", "hinge_embedding_loss",
           "multilabel_margin_loss", "huber_loss", "smooth_l1_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def _reduction(size_average, reduce_, reduction):
    if size_average is not None or reduce_ is not None:
        return legacy_reduction(size_average, reduce_)
    check_reduction(reduction)
    return reduction


def _warn_size(input, target, stacklevel=3):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=stacklevel)


# --- regression --------------------------------------------------------------------------
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum) absolute error.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.l1_loss(ember.tensor([1.0, 2.0]), ember.tensor([2.0, 4.0]))
    tensor(1.5000)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _warn_size(input, target)
    loss = ember.abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum) squared error.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([2.0, 4.0]))
    tensor(2.5000)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _warn_size(input, target)
    if weight is None:
        return _ops.mse_loss(input, target, reduction)
    diff = input - target
    return _reduce(diff * diff * weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d**2`` where ``abs(d) < delta``, else ``delta * (abs(d) - 0.5 delta)``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    check_reduction(reduction)
    _warn_size(input, target)
    if weight is None:
        return _ops.huber_loss(input, target, reduction, delta)
    loss = _ops.huber_loss(input, target, "none", delta)
    return _reduce(loss * weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``abs(d) < beta``, else ``abs(d) - 0.5 beta``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0:  # the absolute error: PyTorch runs l1_loss (its nodes, too)
        return l1_loss(input, target, reduction=reduction)
    _warn_size(input, target)
    return _ops.smooth_l1_loss(input, target, reduction, beta)


# --- classification: log-likelihood -------------------------------------------------------
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of the target classes, given log-probabilities ``(N, C, *)``.

    'mean' divides by the total weight of the non-ignored targets.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.nll_loss(ember.tensor([[-1.0, -2.0], [-3.0, -4.0]]), ember.tensor([0, 1]))
    tensor(2.5000)
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _ops.nll_loss(input, target, weight, reduction, ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits ``(N, C, *)`` against class indices ``(N, *)`` or class
    probabilities ``(N, C, *)``, with optional class `weight`, `ignore_index` and
    `label_smoothing`. Stable for large logits (log-softmax).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.cross_entropy(ember.tensor([[0.0, 0.0]]), ember.tensor([1]))
    tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("Expected input to have at least 1 dimension")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    _ops.check_class_weight(weight, n_classes)
    if not (target.dtype.is_floating_point and target.shape == input.shape):
        _ops.check_class_target(input, target)  # before log_softmax runs on a bad input
    logp = log_softmax(input, class_dim)
    w_shape = [1] * input.ndim
    w_shape[class_dim] = n_classes
    if target.dtype.is_floating_point and target.shape == input.shape:
        # class probabilities
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target
        if weight is not None:
            terms = terms * weight.reshape(w_shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // max(n_classes, 1)) if input.numel() else \
                loss.sum() / 0.0
        return _reduce(loss, reduction)
    if label_smoothing == 0:
        return _ops.nll_loss(logp, target, weight, reduction, ignore_index)
    nll = _ops.nll_loss(logp, target, weight, "none", ignore_index)
    # the smoothing term: -sum_c w_c log p_c, zero at ignored positions
    kept = target != ignore_index
    smooth = logp * weight.reshape(w_shape) if weight is not None else logp
    smooth = -smooth.sum(class_dim) * kept.to(logp.dtype)
    if reduction == "mean":
        # divided by the total weight of the kept targets, as nll_loss's 'mean' is
        total = kept.sum() if weight is None else \
            (weight[ember.where(kept, target, 0)] * kept.to(logp.dtype)).sum()
        return (nll.sum() / total) * (1 - label_smoothing) + \
            (smooth.sum() / total) * (label_smoothing / n_classes)
    return _reduce(nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes),
                   reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of a Poisson target: exp(x) - t * x (log_input) or
    x - t * log(x + eps); `full` adds Stirling's approximation of log(t!).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.poisson_nll_loss(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(1.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = ember.exp(input) - target * input
    else:
        loss = input - target * ember.log(input + eps)
    if full:
        safe = ember.where(target > 1, target, 1.0)
        stirling = safe * ember.log(safe) - safe + ember.log(safe * (2 * math.pi)) * 0.5
        loss = loss + ember.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(var) + (input - target)^2 / var) (+ 0.5 log(2 pi) with `full`).

    `var` may omit the last dim or have size 1 there (one variance per sample).
    Variances below `eps` are clamped for the value, not for the gradient.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.gaussian_nll_loss(ember.tensor([1.0]), ember.tensor([1.0]), ember.tensor([1.0]))
    tensor(0.)
    """
    check_reduction(reduction)
    if isinstance(var, (int, float)):
        var = ember.full(input.shape, float(var), dtype=input.dtype, device=input.device)
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # clamp the value only: the gradient flows as if var were unclamped, as in PyTorch
    var = var + (ember.clamp(var, min=eps) - var).detach()
    diff = input - target
    loss = (ember.log(var) + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with `input` given as log-probabilities:
    target * (log(target) - input) (0 where target is 0).

    Use reduction='batchmean' for the mathematical KL divergence.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.kl_div(ember.tensor([0.0]), ember.tensor([1.0]), reduction="sum")
    tensor(0.)
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if log_target:
        loss = ember.exp(target) * (target - input)
    else:
        loss = ember.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    check_reduction(reduction)
    return _reduce(loss, reduction)


# --- binary ------------------------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log x + (1 - t) log(1 - x)) for probabilities x; logs clamped at -100.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.binary_cross_entropy(ember.tensor([0.5]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    return _ops.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy of sigmoid(x), computed from the logits without overflow;
    `pos_weight` scales the positive term per class.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(ember.tensor([1000.0]), ember.tensor([1.0]))
    tensor(0.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return _ops.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-y x))``, stable for large ``abs(x)``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(-logsigmoid(input * target), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per-class binary logistic loss, averaged over the classes of each sample.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
    tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1] if input.ndim else loss
    return _reduce(loss, reduction)


# --- margins -----------------------------------------------------------------------------
def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y * (x1 - x2) + margin).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
    tensor(1.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, target: "
                           f"{target.shape} ")
    loss = ember.clamp(-target * (input1 - input2) + margin, min=0.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y == 1, max(0, margin - x) where y == -1.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.3]), ember.tensor([1.0, -1.0]), reduction="none")
    tensor([0.3000, 0.7000])
    """
    reduction = _reduction(size_average, reduce, reduction)
    margin_part = ember.where(target != 1, ember.clamp(margin - input, min=0.0), 0.0)
    self_part = ember.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C.

    `target` holds class indices, ended by the first -1.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                          ember.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input.ndim > 2 or target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    unbatched = input.ndim <= 1
    x = input.reshape(1, -1) if unbatched else input
    t = target.reshape(1, -1) if unbatched else target
    c = x.shape[1]
    if t.numel() and (int(t.amax().item()) >= c or int(t.amin().item()) < -1):
        raise RuntimeError(f"multilabel_margin_loss: target values must be in [-1, {c - 1}]")
    # targets count up to (not including) the first -1
    t_host = np.asarray(t.detach().cpu().numpy())
    ended = np.cumsum(t_host == -1, axis=1) > 0
    valid = ~ended                                                      # (N, C) over positions j
    is_target = np.zeros(t_host.shape, bool)                            # (N, C) over classes i
    rows = np.nonzero(valid)
    is_target[rows[0], t_host[rows]] = True
    safe = index_tensor(np.where(valid, t_host, 0), x.device)
    x_target = x.gather(1, safe)                                        # x[y_j]: (N, C)
    hinge = ember.clamp(1 - x_target.unsqueeze(2) + x.unsqueeze(1), min=0.0)  # (N, j, i)
    mask = valid[:, :, None] & ~is_target[:, None, :]
    loss = (hinge * ember.tensor(mask, dtype=x.dtype, device=x.device)).sum((1, 2)) / c
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """sum over i != y of max(0, margin - x[y] + x[i]) ** p (times weight[y]), over C.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
    tensor(0.3250)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    unbatched = input.ndim <= 1
    x = input.reshape(1, -1) if unbatched else input
    t = target.reshape(-1)
    c = x.shape[1]
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"inconsistent target size, expected {x.shape[0]} but got "
                           f"{list(target.shape)}")
    if t.numel() and (int(t.amin().item()) < 0 or int(t.amax().item()) >= c):
        raise RuntimeError("target out of range")
    x_y = x.gather(1, t.unsqueeze(1))
    hinge = ember.clamp(margin - x_y + x, min=0.0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[t].unsqueeze(1)
    not_target = (ember.arange(c, device=x.device) != t.unsqueeze(1)).to(x.dtype)
    loss = (hinge * not_target).sum(1) / c
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.cosine_embedding_loss(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 0.0]]),
    ...                         ember.tensor([1.0]))
    tensor(0.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: expected inputs of equal 1D or 2D shape, got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    dim = input1.ndim - 1
    if target.ndim != dim or (dim and target.shape[0] != input1.shape[0]):
        raise RuntimeError(f"The size of tensor a ({target.shape[0] if target.ndim else 1}) must "
                           f"match the size of tensor b ({input1.shape[0]}) at non-singleton "
                           "dimension 0")
    eps = 1e-12
    dot = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = dot / ember.sqrt(mag1 * mag2)
    pos = ember.where(target == 1, 1 - cos, 0.0)
    neg = ember.where(target == -1, ember.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin) with the p-norm pairwise distance.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.triplet_margin_loss(ember.tensor([[0.0]]), ember.tensor([[0.0]]), ember.tensor([[3.0]]))
    tensor(0.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    dims = {anchor.ndim, positive.ndim, negative.ndim}
    if len(dims) != 1 or anchor.ndim not in (1, 2):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {anchor.ndim}D, positive "
                           f"{positive.ndim}D, and negative {negative.ndim}D inputs")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ember.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce(ember.clamp(d_ap - d_an + margin, min=0.0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """Triplet margin loss with any distance function (pairwise_distance by default).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.triplet_margin_with_distance_loss(ember.tensor([[0.0]]), ember.tensor([[0.0]]),
    ...                                     ember.tensor([[0.5]]))
    tensor(0.5000)
    """
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = ember.minimum(d_an, dist(positive, negative))
    return _reduce(ember.clamp(d_ap - d_an + margin, min=0.0), reduction)


# --- CTC -----------------------------------------------------------------------------------
_NEG = -1e30  # "log 0" that stays finite, so log-sum-exp gradients never see inf - inf


def _lengths(value, n, name):
    if isinstance(value, Tensor):
        value = value.detach().cpu().reshape(-1).tolist()
    elif isinstance(value, int):
        value = [value]
    value = [int(v) for v in value]
    if len(value) != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return value


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist Temporal Classification loss of log_probs (T, N, C) against target
    label sequences (padded (N, S) or concatenated 1-D).

    The forward (alpha) recursion runs over time; each step is a few tensor ops on the
    whole batch, so autograd derives the gradient.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> lp = ember.zeros(2, 1, 2).log_softmax(2)
    >>> F.ctc_loss(lp, ember.tensor([[1]]), [2], [1], reduction="sum")  # -log(3 paths / 4)
    tensor(0.2877)
    """
    check_reduction(reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0)
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D or 3-D, got "
                           f"{list(log_probs.shape)}")
    t_max, n, c = log_probs.shape
    in_len = _lengths(input_lengths, n, "input_lengths")
    tg_len = _lengths(target_lengths, n, "target_lengths")
    tg = np.asarray(targets.detach().cpu().numpy()).astype(np.int64)
    if tg.ndim == 1:  # concatenated targets
        offsets = np.concatenate([[0], np.cumsum(tg_len)])
        rows = [tg[offsets[b]:offsets[b + 1]] for b in range(n)]
    else:
        for b in range(n):
            if tg_len[b] > tg.shape[1]:
                raise RuntimeError(f"Expected tensor to have size at least {tg_len[b]} at dimension "
                                   f"1, but got size {tg.shape[1]} for argument #2 'targets' (while "
                                   "checking arguments for ctc_loss_allocate_outputs)")
        rows = [tg[b, :tg_len[b]] for b in range(n)]
    for b in range(n):
        if in_len[b] > t_max or in_len[b] < 0:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {in_len[b]} (while checking arguments for ctc_loss_cpu)")
    s_max = max(tg_len) if tg_len else 0
    width = 2 * s_max + 1
    # extended label sequences: blank, l1, blank, l2, ..., blank
    ext = np.full((n, width), blank, np.int64)
    skip = np.zeros((n, width), bool)  # may jump from s - 2 (distinct non-blank labels)
    for b, row in enumerate(rows):
        ext[b, 1:2 * len(row):2] = row
        for s in range(3, 2 * len(row) + 1, 2):
            skip[b, s] = ext[b, s] != ext[b, s - 2]
    index = index_tensor(np.broadcast_to(ext, (t_max, n, width)).copy(), log_probs.device)
    emit = log_probs.gather(2, index)  # (T, N, 2S+1)
    dtype, device = log_probs.dtype, log_probs.device
    neg = ember.full((n, 1), _NEG, dtype=dtype, device=device)
    skip_bias = ember.tensor(np.where(skip, 0.0, _NEG), dtype=dtype, device=device)
    init = np.full((n, width), _NEG)
    init[:, :2] = 0.0
    alpha = emit[0] + ember.tensor(init, dtype=dtype, device=device)
    history = [alpha]
    for t in range(1, t_max):
        prev1 = ember.cat([neg, alpha[:, :-1]], 1)
        prev2 = ember.cat([neg, neg, alpha[:, :-2]], 1)[:, :width] + skip_bias
        top = ember.maximum(ember.maximum(alpha, prev1), prev2).detach()
        total = ember.exp(alpha - top) + ember.exp(prev1 - top) + ember.exp(prev2 - top)
        alpha = top + ember.log(total) + emit[t]
        history.append(alpha)
    # loss_b = -log(alpha[T_b - 1, 2 S_b] + alpha[T_b - 1, 2 S_b - 1])
    alphas = ember.stack(history, 0)  # (T, N, 2S+1)
    t_idx = np.array([max(l, 1) - 1 for l in in_len])
    b_idx = np.arange(n)
    last = np.array([2 * l for l in tg_len])
    end1 = alphas[index_tensor(t_idx, device), index_tensor(b_idx, device), index_tensor(last, device)]
    end2_valid = np.array([l > 0 for l in tg_len])
    end2 = alphas[index_tensor(t_idx, device), index_tensor(b_idx, device),
                  index_tensor(np.maximum(last - 1, 0), device)]
    end2 = end2 + ember.tensor(np.where(end2_valid, 0.0, _NEG), dtype=dtype, device=device)
    top = ember.maximum(end1, end2).detach()
    loss = -(top + ember.log(ember.exp(end1 - top) + ember.exp(end2 - top)))
    zero_input = ember.tensor(np.array(in_len) == 0, device=device)
    zero_target = ember.tensor(np.array(tg_len) == 0, device=device)
    impossible = (loss > -_NEG / 2) | (zero_input & ~zero_target)
    loss = ember.where(zero_input, 0.0, loss)  # nothing to emit and nothing to align: log 1
    loss = ember.where(impossible, 0.0 if zero_infinity else math.inf, loss)
    if unbatched:
        loss = loss.reshape(())
    if reduction == "mean":
        lengths = ember.tensor([max(l, 1) for l in tg_len], dtype=dtype, device=device)
        return (loss / lengths).mean()
    return _reduce(loss, reduction)
