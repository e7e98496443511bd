"""Reference loss kernels: the per-element loss, then its reduction, over `self.xp`.

``op(input, target, [weights...], reduction=..., **params) -> array``; inputs broadcast
against each other (their shapes were checked by the op's front end), optional weights
are None when not given. Class targets are in range or equal to `ignore_index`.
"""
from __future__ import annotations


class LossKernels:
    def _reduce_loss(self, loss, reduction):
        if reduction == "none":
            return loss
        total = self.xp.sum(loss, dtype=loss.dtype)
        return total / loss.dtype.type(loss.size) if reduction == "mean" else total

    # --- class indices: classes along dim 1 (dim 0 of a 1-D input with a 0-d target) ---
    def _target_weights(self, target, weight, ignore_index, dtype):
        """(target with ignored entries set to class 0, each target's weight; 0 if ignored)."""
        xp = self.xp
        kept = target != ignore_index
        safe = xp.where(kept, target, 0)
        w = kept.astype(dtype) if weight is None else xp.where(kept, weight[safe], 0).astype(dtype)
        return safe, w

    def bad_class_target(self, target, n_classes, ignore_index):
        """The first target outside ``[0, n_classes)`` that is not `ignore_index`, or None.
        (Validation for the op's front end: any integer array is fine here.)"""
        bad = ((target < 0) | (target >= n_classes)) & (target != ignore_index)
        return int(target[bad].reshape(-1)[0]) if bad.any() else None

    def nll_loss(self, input, target, weight=None, *, reduction, ignore_index):
        xp = self.xp
        class_dim = 0 if input.ndim == 1 else 1
        safe, w = self._target_weights(target, weight, ignore_index, input.dtype)
        picked = xp.take_along_axis(input, xp.expand_dims(safe, class_dim), class_dim)
        loss = xp.where(w != 0, -picked.squeeze(class_dim) * w, input.dtype.type(0))
        if reduction == "mean":
            return xp.sum(loss, dtype=loss.dtype) / xp.sum(w, dtype=w.dtype)
        return self._reduce_loss(loss, reduction)

    def nll_loss_backward(self, grad, input, target, weight=None, *, reduction, ignore_index):
        xp = self.xp
        class_dim = 0 if input.ndim == 1 else 1
        safe, w = self._target_weights(target, weight, ignore_index, input.dtype)
        if reduction == "mean":
            grad = grad / xp.sum(w, dtype=w.dtype)
        # ignored targets get no gradient at all (not 0 * grad, NaN when nothing is kept)
        values = xp.where(target != ignore_index, -(w * grad), 0).astype(input.dtype)
        out = xp.zeros(input.shape, input.dtype)
        xp.put_along_axis(out, xp.expand_dims(safe, class_dim), xp.expand_dims(values, class_dim),
                          class_dim)
        return out

    # --- elementwise -------------------------------------------------------------------
    def mse_loss(self, input, target, *, reduction):
        d = input - target
        return self._reduce_loss(d * d, reduction)

    def huber_loss(self, input, target, *, reduction, delta):
        d = self.xp.abs(input - target)
        return self._reduce_loss(self.xp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)),
                                 reduction)

    def smooth_l1_loss(self, input, target, *, reduction, beta):
        d = self.xp.abs(input - target)
        if beta == 0:
            return self._reduce_loss(d, reduction)
        return self._reduce_loss(self.xp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta),
                                 reduction)

    def binary_cross_entropy(self, input, target, weight=None, *, reduction):
        xp = self.xp
        log_x = xp.maximum(xp.log(input), -100)
        log_1mx = xp.maximum(xp.log1p(-input), -100)
        loss = -(target * log_x + (1 - target) * log_1mx)
        return self._reduce_loss(loss if weight is None else loss * weight, reduction)

    def binary_cross_entropy_with_logits(self, input, target, weight=None, pos_weight=None, *,
                                         reduction):
        xp = self.xp
        # -log(sigmoid(x)) = log1p(exp(-|x|)) + max(-x, 0), finite for every x
        neg_log_sigmoid = xp.log1p(xp.exp(-xp.abs(input))) + xp.maximum(-input, 0)
        if pos_weight is not None:
            neg_log_sigmoid = (1 + (pos_weight - 1) * target) * neg_log_sigmoid
        loss = (1 - target) * input + neg_log_sigmoid
        return self._reduce_loss(loss if weight is None else loss * weight, reduction)
