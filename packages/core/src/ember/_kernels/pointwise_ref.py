"""Reference pointwise kernels: ``op(out, *inputs, **params)``."""
from __future__ import annotations

import math

import numpy as np

# ops that are exactly one numpy ufunc: ember name -> ufunc name
UNARY_UFUNCS = {
    "neg": "negative", "abs": "absolute", "sign": "sign", "exp": "exp", "exp2": "exp2",
    "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10", "log1p": "log1p",
    "sqrt": "sqrt", "square": "square", "sin": "sin", "cos": "cos", "tan": "tan",
    "asin": "arcsin", "acos": "arccos", "atan": "arctan", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh",
    "floor": "floor", "ceil": "ceil", "trunc": "trunc", "isnan": "isnan", "isinf": "isinf",
    "isfinite": "isfinite", "logical_not": "logical_not", "bitwise_not": "invert",
    "signbit": "signbit",
}
BINARY_UFUNCS = {
    "mul": "multiply", "div": "true_divide", "remainder": "remainder", "fmod": "fmod",
    "maximum": "maximum", "minimum": "minimum", "fmax": "fmax", "fmin": "fmin",
    "hypot": "hypot", "atan2": "arctan2", "copysign": "copysign", "eq": "equal",
    "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
    "ge": "greater_equal", "logical_and": "logical_and", "logical_or": "logical_or",
    "logical_xor": "logical_xor", "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or",
    "bitwise_xor": "bitwise_xor", "bitwise_left_shift": "left_shift",
    "bitwise_right_shift": "right_shift", "nextafter": "nextafter",
}


def _ufunc_kernel(ufunc_name):
    def kernel(self, out, *inputs):
        getattr(self.xp, ufunc_name)(*inputs, out=out)
    kernel.__name__ = ufunc_name
    return kernel


class PointwiseKernels:
    locals().update({name: _ufunc_kernel(uf) for name, uf in UNARY_UFUNCS.items()})
    locals().update({name: _ufunc_kernel(uf) for name, uf in BINARY_UFUNCS.items()})

    def add(self, out, a, b, alpha=1):
        xp = self.xp
        if alpha != 1:
            b = xp.multiply(b, alpha, dtype=out.dtype) if not isinstance(b, (int, float, bool)) else b * alpha
        xp.add(a, b, out=out)

    def sub(self, out, a, b, alpha=1):
        xp = self.xp
        if alpha != 1:
            b = xp.multiply(b, alpha, dtype=out.dtype) if not isinstance(b, (int, float, bool)) else b * alpha
        if out.dtype == bool:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        xp.subtract(a, b, out=out)

    def div_floor(self, out, a, b):
        self.xp.floor_divide(a, b, out=out)

    def div_trunc(self, out, a, b):
        xp = self.xp
        if out.dtype.kind == "f":
            xp.true_divide(a, b, out=out)
            xp.trunc(out, out=out)
        else:  # C division truncates toward zero; numpy floors
            q = xp.floor_divide(xp.abs(a), xp.abs(b))
            xp.multiply(q, xp.sign(a) * xp.sign(b), out=out)

    def pow(self, out, a, b):
        xp = self.xp
        if out.dtype.kind in "iu" and not isinstance(b, (int, float)) and (xp.asarray(b) < 0).any():
            # integer x ** negative n: 1 for x == 1, +-1 for x == -1, else 0 (C's truncation)
            b = xp.asarray(b)
            positive = xp.power(a, xp.where(b < 0, 0, b))
            negative = xp.where(a == 1, 1, xp.where(a == -1, xp.where(b % 2 == 0, 1, -1), 0))
            xp.copyto(out, xp.where(b < 0, negative, positive), casting="unsafe")
            return
        xp.power(a, b, out=out)

    def reciprocal(self, out, a):
        self.xp.divide(1, a, out=out)

    def rsqrt(self, out, a):
        xp = self.xp
        xp.sqrt(a, out=out)
        xp.divide(1, out, out=out)

    def sigmoid(self, out, a):
        # 1 / (1 + exp(-a)) overflows to 0 gracefully for large negative a
        xp = self.xp
        with np.errstate(over="ignore"):
            xp.negative(a, out=out)
            xp.exp(out, out=out)
            xp.add(out, 1, out=out)
            xp.divide(1, out, out=out)

    def logit(self, out, a, eps=None):
        xp = self.xp
        if eps is not None:
            a = xp.clip(a, eps, 1 - eps)
        with np.errstate(divide="ignore"):
            xp.log(xp.divide(a, xp.subtract(1, a)), out=out)

    def relu(self, out, a):
        # maximum propagates NaN, as torch.relu does; on a tie it returns its second
        # operand, so -0.0 stays -0.0 as in PyTorch
        self.xp.maximum(0, a, out=out)

    def erf(self, out, a):
        out[...] = np.vectorize(math.erf, otypes=[out.dtype])(a) if a.size else a

    def erfc(self, out, a):
        out[...] = np.vectorize(math.erfc, otypes=[out.dtype])(a) if a.size else a

    def erfinv(self, out, a):
        # Newton's method on erf(x) = a, from a rational first guess; exact to rounding
        xp = self.xp
        y = xp.asarray(a, dtype=np.float64)
        with np.errstate(all="ignore"):
            w = -xp.log((1.0 - y) * (1.0 + y))
            x = y * xp.where(w < 5, 0.88622692545275801 + w * 0.1, 1.2 + 0.11 * xp.sqrt(w))
            erf = np.vectorize(math.erf, otypes=[np.float64])
            for _ in range(60):
                step = (erf(x) - y) / (2 / math.sqrt(math.pi) * xp.exp(-x * x)) if x.size else x
                x = x - xp.nan_to_num(step, nan=0.0)
            x = xp.where(y == 1, np.inf, xp.where(y == -1, -np.inf, x))
            x = xp.where(xp.abs(y) > 1, np.nan, x)
        out[...] = x

    def round(self, out, a, decimals=0):
        self.xp.round(a, decimals, out=out)

    def frac(self, out, a):
        xp = self.xp
        xp.subtract(a, xp.trunc(a), out=out)

    def clamp(self, out, a, min=None, max=None):
        xp = self.xp
        # the bound first: on a tie numpy returns the second operand, so a -0.0 element
        # against a 0 bound stays -0.0, as in PyTorch
        if min is not None and max is not None:
            xp.minimum(max, xp.maximum(min, a), out=out)  # min > max gives max, as PyTorch
        elif min is not None:
            xp.maximum(min, a, out=out)
        else:
            xp.minimum(max, a, out=out)

    def lerp(self, out, start, end, weight):
        # from the nearer end, as PyTorch does: exact at both ends, and an infinite end
        # gives infinity (start + w * (end - start) would give nan)
        xp = self.xp
        diff = xp.subtract(end, start)

        def from_start():
            return xp.add(start, xp.multiply(weight, diff))

        def from_end():
            return xp.subtract(end, xp.multiply(xp.subtract(1, weight), diff))

        if xp.ndim(weight) == 0:  # one weight, one formula (where() on a 0-d condition is slow)
            xp.copyto(out, from_start() if abs(weight) < 0.5 else from_end())
        else:
            xp.copyto(out, xp.where(xp.abs(weight) < 0.5, from_start(), from_end()))

    def addcmul(self, out, a, t1, t2, value=1):
        xp = self.xp
        xp.add(a, value * xp.multiply(t1, t2), out=out)

    def addcdiv(self, out, a, t1, t2, value=1):
        xp = self.xp
        xp.add(a, value * xp.true_divide(t1, t2), out=out)

    def nan_to_num(self, out, a, nan=0.0, posinf=None, neginf=None):
        self.xp.copyto(out, self.xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))

    def xlogy(self, out, x, y):
        xp = self.xp
        with np.errstate(divide="ignore", invalid="ignore"):
            r = xp.multiply(x, xp.log(y))
        xp.copyto(out, xp.where((xp.asarray(x) == 0) & ~xp.isnan(y), 0, r))

    def where(self, out, cond, a, b):
        self.xp.copyto(out, self.xp.where(cond, a, b))

    def threshold_backward(self, out, grad, output, threshold):
        # NaN outputs pass the gradient through, as PyTorch's `output <= threshold ? 0 : grad`
        self.xp.copyto(out, self.xp.where(output <= threshold, 0, grad))

    def isclose(self, out, a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
        self.xp.copyto(out, self.xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def positive(self, out, a):
        self.xp.copyto(out, a)
