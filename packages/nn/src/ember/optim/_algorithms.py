"""The optimizers. Each `step` is the textbook update written with ember's in-place
tensor ops (under no_grad), one parameter at a time, as PyTorch's single-tensor path
computes it, so results agree with PyTorch to rounding."""
from __future__ import annotations

import math

import ember

from .optimizer import Optimizer

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]


def _check(name, value, low=0.0):
    if not value >= low:
        raise ValueError(f"Invalid {name} value: {value}")


def _betas(betas):
    if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
        raise ValueError(f"Invalid beta parameter: {betas}")
    return tuple(betas)


class _Base(Optimizer):
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns `closure()` if given."""
        loss = None
        if closure is not None:
            with ember.enable_grad():
                loss = closure()
        with ember.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad if not group.get("maximize") else -p.grad,
                                     self.state[p], group)
        return loss

    def _update(self, p, grad, state, group):
        raise NotImplementedError

    @staticmethod
    def _weight_decay(p, grad, group, decoupled):
        """L2 weight decay: shrink `p` itself (decoupled, AdamW-style) or add it to the
        gradient. Returns the gradient to use."""
        if not group["weight_decay"]:
            return grad
        if decoupled:
            p.mul_(1 - group["lr"] * group["weight_decay"])
            return grad
        return grad.add(p, alpha=group["weight_decay"])


    @staticmethod
    def _count_step(state):
        """Advance the per-parameter step counter (a tensor, as in PyTorch); its new value."""
        state["step"] += 1
        return state["step"].item()

    @staticmethod
    def _moments(state, grad, betas):
        """Adam's running averages of the gradient and of its square, updated in place."""
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - betas[0])
        exp_avg_sq.mul_(betas[1]).addcmul_(grad, grad, value=1 - betas[1])
        return exp_avg, exp_avg_sq


class SGD(_Base):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ember.optim.SGD([w], lr=0.5, momentum=0.9)
    >>> w.grad = ember.tensor([1.0]); opt.step(); opt.step(); w
    tensor([-0.4500], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check("learning rate", lr)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, p, grad, state, group):
        grad = self._weight_decay(p, grad, group, False)
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.add_(grad, alpha=-group["lr"])


class Adam(_Base):
    """Adam (and AMSGrad); weight decay is added to the gradient (L2), unlike `AdamW`.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ember.optim.Adam([w], lr=0.1)
    >>> w.grad = ember.tensor([3.0]); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        _check("learning rate", lr)
        _check("epsilon", eps)
        _check("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = ember.tensor(0.0)
            state["exp_avg"] = ember.zeros_like(p)
            state["exp_avg_sq"] = ember.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = ember.zeros_like(p)
        step = self._count_step(state)
        grad = self._weight_decay(p, grad, group, self._decoupled)
        exp_avg, exp_avg_sq = self._moments(state, grad, group["betas"])
        bias1 = 1 - beta1 ** step
        bias2_sqrt = math.sqrt(1 - beta2 ** step)
        if group["amsgrad"]:
            ember.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        else:
            second = exp_avg_sq
        denom = (second.sqrt() / bias2_sqrt).add_(group["eps"])
        p.addcdiv_(exp_avg, denom, value=-group["lr"] / bias1)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, **kwargs):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **kwargs)


class RMSprop(_Base):
    """RMSprop with optional momentum and centering."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False):
        _check("learning rate", lr)
        _check("epsilon", eps)
        _check("momentum", momentum)
        _check("alpha", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = ember.tensor(0.0)
            state["square_avg"] = ember.zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = ember.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = ember.zeros_like(p)
        self._count_step(state)
        grad = self._weight_decay(p, grad, group, False)
        square_avg = state["square_avg"]
        alpha = group["alpha"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(group["eps"])
        else:
            avg = square_avg.sqrt().add_(group["eps"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, avg, value=-group["lr"])


class Adagrad(_Base):
    """Adagrad with learning-rate decay."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check("learning rate", lr)
        _check("lr_decay", lr_decay)
        _check("weight_decay", weight_decay)
        _check("initial_accumulator_value", initial_accumulator_value)
        _check("epsilon", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["step"] = ember.tensor(0.0)
                self.state[p]["sum"] = ember.full_like(p, group["initial_accumulator_value"])

    def _update(self, p, grad, state, group):
        step = self._count_step(state)
        grad = self._weight_decay(p, grad, group, False)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad, value=1)
        p.addcdiv_(grad, state["sum"].sqrt().add_(group["eps"]), value=-clr)


class Adadelta(_Base):
    """Adadelta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, foreach=None,
                 capturable=False, maximize=False, differentiable=False):
        _check("learning rate", lr)
        _check("epsilon", eps)
        _check("weight_decay", weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = ember.tensor(0.0)
            state["square_avg"] = ember.zeros_like(p)
            state["acc_delta"] = ember.zeros_like(p)
        self._count_step(state)
        grad = self._weight_decay(p, grad, group, False)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        delta = acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group["lr"])


class Adamax(_Base):
    """Adamax (Adam with an infinity norm)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check("learning rate", lr)
        _check("epsilon", eps)
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = ember.tensor(0.0)
            state["exp_avg"] = ember.zeros_like(p)
            state["exp_inf"] = ember.zeros_like(p)
        step = self._count_step(state)
        beta1, beta2 = group["betas"]
        grad = self._weight_decay(p, grad, group, False)
        state["exp_avg"].lerp_(grad, 1 - beta1)
        norm = ember.maximum(state["exp_inf"].mul_(beta2), grad.abs().add_(group["eps"]))
        state["exp_inf"].copy_(norm)
        clr = group["lr"] / (1 - beta1 ** step)
        p.addcdiv_(state["exp_avg"], state["exp_inf"], value=-clr)


class NAdam(_Base):
    """Adam with Nesterov momentum (momentum decay schedule as in the NAdam paper)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check("learning rate", lr)
        _check("epsilon", eps)
        _check("momentum_decay", momentum_decay)
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = ember.tensor(0.0)
            state["mu_product"] = ember.tensor(1.0)
            state["exp_avg"] = ember.zeros_like(p)
            state["exp_avg_sq"] = ember.zeros_like(p)
        step = self._count_step(state)
        beta1, beta2 = group["betas"]
        grad = self._weight_decay(p, grad, group, group["decoupled_weight_decay"])
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        state["mu_product"] *= mu
        mu_product = state["mu_product"].item()
        exp_avg, exp_avg_sq = self._moments(state, grad, group["betas"])
        denom = exp_avg_sq.div(1 - beta2 ** step).sqrt_().add_(group["eps"])
        p.addcdiv_(grad, denom, value=-group["lr"] * (1 - mu) / (1 - mu_product))
        p.addcdiv_(exp_avg, denom, value=-group["lr"] * mu_next / (1 - mu_product * mu_next))


class RAdam(_Base):
    """Rectified Adam: plain momentum SGD until the variance estimate is tractable."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check("learning rate", lr)
        _check("epsilon", eps)
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = ember.tensor(0.0)
            state["exp_avg"] = ember.zeros_like(p)
            state["exp_avg_sq"] = ember.zeros_like(p)
        step = self._count_step(state)
        beta1, beta2 = group["betas"]
        grad = self._weight_decay(p, grad, group, group["decoupled_weight_decay"])
        exp_avg, exp_avg_sq = self._moments(state, grad, group["betas"])
        bias_corrected = exp_avg / (1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * step * beta2 ** step / (1 - beta2 ** step)
        if rho > 5.0:
            rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            adaptive = math.sqrt(1 - beta2 ** step) / exp_avg_sq.sqrt().add_(group["eps"])
            p.add_(bias_corrected * adaptive * rect, alpha=-group["lr"])
        else:
            p.add_(bias_corrected, alpha=-group["lr"])
