"""Pointwise ops: functions, in-place variants and the table Tensor methods come from.

Every op here is one `Op` plus thin entries into `_dispatch.pointwise` (out-of-place
and ``out=``) and `_dispatch.pointwise_` (in-place ``op_``).
"""
from __future__ import annotations

import numbers

from .. import _dtype as D
from .._dispatch import Op, pointwise, pointwise_
from .._tensor import Tensor

# name -> (rule, number of tensor operands); kernels share the name
_TABLE = {
    # arithmetic
    "mul": ("promote", 2), "div": ("float", 2), "remainder": ("promote", 2),
    "fmod": ("promote", 2), "pow": ("promote", 2), "atan2": ("float", 2),
    "maximum": ("promote", 2), "minimum": ("promote", 2), "fmax": ("promote", 2),
    "fmin": ("promote", 2), "hypot": ("float", 2), "copysign": ("float", 2),
    "xlogy": ("float", 2), "nextafter": ("promote", 2),
    # unary math
    "neg": ("same", 1), "abs": ("promote", 1), "sign": ("promote", 1), "reciprocal": ("float", 1),
    "exp": ("float", 1), "exp2": ("float", 1), "expm1": ("float", 1), "log": ("float", 1),
    "log2": ("float", 1), "log10": ("float", 1), "log1p": ("float", 1), "sqrt": ("float", 1),
    "rsqrt": ("float", 1), "square": ("promote", 1), "sin": ("float", 1), "cos": ("float", 1),
    "tan": ("float", 1), "asin": ("float", 1), "acos": ("float", 1), "atan": ("float", 1),
    "sinh": ("float", 1), "cosh": ("float", 1), "tanh": ("float", 1), "asinh": ("float", 1),
    "acosh": ("float", 1), "atanh": ("float", 1), "sigmoid": ("float", 1), "erf": ("float", 1),
    "erfc": ("float", 1), "erfinv": ("float", 1), "floor": ("promote", 1), "ceil": ("promote", 1),
    "trunc": ("promote", 1), "frac": ("promote", 1), "relu": ("promote", 1),
    # comparison and logic
    "eq": ("compare", 2), "ne": ("compare", 2), "lt": ("compare", 2), "le": ("compare", 2),
    "gt": ("compare", 2), "ge": ("compare", 2), "isnan": ("compare", 1), "isinf": ("compare", 1),
    "isfinite": ("compare", 1), "signbit": ("compare", 1),
    "logical_and": ("logical", 2), "logical_or": ("logical", 2), "logical_xor": ("logical", 2),
    "logical_not": ("logical", 1), "bitwise_and": ("integral", 2), "bitwise_or": ("integral", 2),
    "bitwise_xor": ("integral", 2), "bitwise_not": ("integral", 1),
    "bitwise_left_shift": ("integral", 2), "bitwise_right_shift": ("integral", 2),
}


def _two_operands(op):
    """`op` of two operands, no keywords: what `_fast_or_general` falls back to."""
    return lambda a, b: pointwise(op, (a, b), None)


OPS = {name: Op(name, rule) for name, (rule, _) in _TABLE.items()}
OPS["add"], OPS["sub"] = _ADD, _SUB = Op("add"), Op("sub")
_GENERAL = {name: _two_operands(OPS[name]) for name in ("add", "sub", "mul", "div")}
OPS["div_floor"] = Op("div_floor", "promote")
OPS["div_trunc"] = Op("div_trunc", "promote")
OPS["square"] = Op("square", "promote")  # int squares stay int (bool promotes below)


def _check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _check_operand(x, op, position=2):
    if not isinstance(x, _OPERAND_TYPES):
        raise TypeError(f"{op}(): argument 'other' (position {position}) must be Tensor or Number, "
                        f"not {type(x).__name__}")


_OPERAND_TYPES = (Tensor, numbers.Number)


def _make_unary(name):
    op = OPS[name]

    def function(input, *, out=None):
        _check_tensor(input, name)
        return pointwise(op, (input,), out)

    def inplace(self):
        return pointwise_(op, self, (self,))

    function.__name__, inplace.__name__ = name, name + "_"
    function.__qualname__, inplace.__qualname__ = name, name + "_"
    example = "[0, 1]" if op.rule == "integral" else "[0.5, 1.0]"
    function.__doc__ = (f"Elementwise ``{name}`` of `input`, as ``torch.{name}``.\n\n"
                        f"    >>> import ember\n    >>> ember.{name}(ember.tensor({example})).shape\n"
                        f"    ember.Size([2])\n")
    return function, inplace


# The compiled fast path of the operators (ember._fastpath.function), set when it is
# installed: ``ember.add(a, b)`` and its kin without keywords then cost what ``a + b``
# costs. Each passes its own general path (the operators' one calls these functions).
_fast = None


def _fast_or_general(kernel, input, other, float_only):
    general = _GENERAL[kernel]
    if _fast is not None and type(input) is Tensor:
        return _fast(kernel, input, other, float_only, general)
    return general(input, other)


def _make_binary(name, fast=False):
    op = OPS[name]

    def function(input, other, *, out=None):
        _check_operand(input, name, 1)
        _check_operand(other, name)
        if fast and out is None:
            return _fast_or_general(name, input, other, False)
        return pointwise(op, (input, other), out)

    def inplace(self, other):
        _check_operand(other, name + "_")
        return pointwise_(op, self, (self, other))

    function.__name__, inplace.__name__ = name, name + "_"
    function.__qualname__, inplace.__qualname__ = name, name + "_"
    a, b = ("[[1], [2]]", "[1, 3]") if op.rule == "integral" else ("[[1.0], [2.0]]", "[1.0, 3.0]")
    function.__doc__ = (f"Elementwise ``{name}`` of `input` and `other` with broadcasting, as "
                        f"``torch.{name}``.\n\n    >>> import ember\n"
                        f"    >>> ember.{name}(ember.tensor({a}), ember.tensor({b})).shape\n"
                        f"    ember.Size([2, 2])\n")
    return function, inplace


# one line per generated op, so every public name is visible here
mul, mul_ = _make_binary("mul", fast=True)
_, remainder_ = _make_binary("remainder")
_, fmod_ = _make_binary("fmod")
atan2, atan2_ = _make_binary("atan2")
maximum, maximum_ = _make_binary("maximum")
minimum, minimum_ = _make_binary("minimum")
fmax, fmax_ = _make_binary("fmax")
fmin, fmin_ = _make_binary("fmin")
hypot, hypot_ = _make_binary("hypot")
copysign, copysign_ = _make_binary("copysign")
xlogy, xlogy_ = _make_binary("xlogy")
nextafter, nextafter_ = _make_binary("nextafter")
neg, neg_ = _make_unary("neg")
_, abs_ = _make_unary("abs")
_, sign_ = _make_unary("sign")
reciprocal, reciprocal_ = _make_unary("reciprocal")
exp, exp_ = _make_unary("exp")
exp2, exp2_ = _make_unary("exp2")
expm1, expm1_ = _make_unary("expm1")
log, log_ = _make_unary("log")
log2, log2_ = _make_unary("log2")
log10, log10_ = _make_unary("log10")
log1p, log1p_ = _make_unary("log1p")
sqrt, sqrt_ = _make_unary("sqrt")
rsqrt, rsqrt_ = _make_unary("rsqrt")
_, square_ = _make_unary("square")
sin, sin_ = _make_unary("sin")
cos, cos_ = _make_unary("cos")
tan, tan_ = _make_unary("tan")
asin, asin_ = _make_unary("asin")
acos, acos_ = _make_unary("acos")
atan, atan_ = _make_unary("atan")
sinh, sinh_ = _make_unary("sinh")
cosh, cosh_ = _make_unary("cosh")
tanh, tanh_ = _make_unary("tanh")
asinh, asinh_ = _make_unary("asinh")
acosh, acosh_ = _make_unary("acosh")
atanh, atanh_ = _make_unary("atanh")
sigmoid, sigmoid_ = _make_unary("sigmoid")
erf, erf_ = _make_unary("erf")
erfc, erfc_ = _make_unary("erfc")
erfinv, erfinv_ = _make_unary("erfinv")
floor, floor_ = _make_unary("floor")
ceil, ceil_ = _make_unary("ceil")
trunc, trunc_ = _make_unary("trunc")
frac, frac_ = _make_unary("frac")
relu, relu_ = _make_unary("relu")
eq, eq_ = _make_binary("eq")
ne, ne_ = _make_binary("ne")
lt, lt_ = _make_binary("lt")
le, le_ = _make_binary("le")
gt, gt_ = _make_binary("gt")
ge, ge_ = _make_binary("ge")
isnan, isnan_ = _make_unary("isnan")
isinf, isinf_ = _make_unary("isinf")
isfinite, isfinite_ = _make_unary("isfinite")
signbit, signbit_ = _make_unary("signbit")
logical_and, logical_and_ = _make_binary("logical_and")
logical_or, logical_or_ = _make_binary("logical_or")
logical_xor, logical_xor_ = _make_binary("logical_xor")
logical_not, logical_not_ = _make_unary("logical_not")
bitwise_and, bitwise_and_ = _make_binary("bitwise_and")
bitwise_or, bitwise_or_ = _make_binary("bitwise_or")
bitwise_xor, bitwise_xor_ = _make_binary("bitwise_xor")
bitwise_not, bitwise_not_ = _make_unary("bitwise_not")
bitwise_left_shift, bitwise_left_shift_ = _make_binary("bitwise_left_shift")
bitwise_right_shift, bitwise_right_shift_ = _make_binary("bitwise_right_shift")


def _alpha_check(alpha, input, other, op):
    if alpha != 1 and isinstance(alpha, float):  # PyTorch refuses a float alpha for integers
        if not D.result_type(input, other).is_floating_point:
            raise RuntimeError(f"For integral input tensors, argument alpha must not be a floating point number.")


def _alpha(alpha, input, other, op):
    """The kernel params for `alpha`: none when 1; for integer results alpha converts to the
    integer type as PyTorch converts it (``add(uint8, x, alpha=-1)`` subtracts; a value
    out of the type's range raises)."""
    if alpha == 1:
        return {}
    _alpha_check(alpha, input, other, op)
    dtype = D.result_type(input, other)
    if dtype is not D.bool and not dtype.is_floating_point and isinstance(alpha, numbers.Integral):
        from .creation import _fill_value  # the same range check as a fill value
        alpha = _fill_value(alpha, dtype)
    return {"alpha": alpha}


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting.

    >>> import ember
    >>> ember.add(ember.tensor([1, 2]), ember.tensor([10, 20]), alpha=2)
    tensor([21, 42])
    """
    _check_operand(input, "add", 1)
    _check_operand(other, "add")
    if alpha == 1 and out is None:
        return _fast_or_general("add", input, other, False)
    if alpha == 1:
        return pointwise(_ADD, (input, other), out)
    return pointwise(_ADD, (input, other), out, _alpha(alpha, input, other, "add"))


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other`` with broadcasting.

    >>> import ember
    >>> ember.sub(ember.tensor([5.0]), ember.tensor([1.0]), alpha=2)
    tensor([3.])
    """
    _check_operand(input, "sub", 1)
    _check_operand(other, "sub")
    if alpha == 1 and out is None:
        return _fast_or_general("sub", input, other, False)
    return pointwise(OPS["sub"], (input, other), out, _alpha(alpha, input, other, "sub"))


def add_(self, other, *, alpha=1):
    _check_operand(other, "add_")
    return pointwise_(OPS["add"], self, (self, other), _alpha(alpha, self, other, "add_"))


def sub_(self, other, *, alpha=1):
    _check_operand(other, "sub_")
    return pointwise_(OPS["sub"], self, (self, other), _alpha(alpha, self, other, "sub_"))


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


_DIV_OPS = {None: "div", "floor": "div_floor", "trunc": "div_trunc"}


def _div_op(rounding_mode):
    try:
        return OPS[_DIV_OPS[rounding_mode]]
    except KeyError:
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'") from None


class _IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """PyTorch raises ``RuntimeError('ZeroDivisionError')``; Python code expects a
    ZeroDivisionError: this is both."""


def _check_int_zero_division(input, other, op):
    if isinstance(other, Tensor):
        dtype = D.result_type(input, other)
        if not dtype.is_floating_point and bool((other == 0).any()):
            raise _IntegerDivisionByZero(f"{op}(): ZeroDivisionError: integer division by zero")
    elif isinstance(other, numbers.Number) and other == 0 and \
            not D.result_type(input, other).is_floating_point:
        raise _IntegerDivisionByZero(f"{op}(): ZeroDivisionError: integer division by zero")


def div(input, other, *, rounding_mode=None, out=None):
    """True division, or with ``rounding_mode='floor'|'trunc'`` rounded division.

    >>> import ember
    >>> ember.div(ember.tensor([7, -7]), 2, rounding_mode="trunc")
    tensor([ 3, -3])
    """
    op = _div_op(rounding_mode)
    _check_operand(input, "div", 1)
    _check_operand(other, "div")
    if rounding_mode is not None:
        _check_int_zero_division(input, other, "div")
    elif out is None:
        return _fast_or_general("div", input, other, True)
    return pointwise(op, (input, other), out)


def div_(self, other, *, rounding_mode=None):
    op = _div_op(rounding_mode)
    if rounding_mode is not None:
        _check_int_zero_division(self, other, "div_")
    return pointwise_(op, self, (self, other))


true_divide, true_divide_ = div, div_


def floor_divide(input, other, *, out=None):
    """Division rounded toward negative infinity (Python's ``//``).

    >>> import ember
    >>> ember.floor_divide(ember.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    return div(input, other, rounding_mode="floor", out=out)


def floor_divide_(self, other):
    return div_(self, other, rounding_mode="floor")


def remainder(input, other, *, out=None):
    """Python-style modulus (result has the sign of `other`).

    >>> import ember
    >>> ember.remainder(ember.tensor([-3, 3]), 2)
    tensor([1, 1])
    """
    _check_int_zero_division(input, other, "remainder")
    return pointwise(OPS["remainder"], (input, other), out)


def fmod(input, other, *, out=None):
    """C-style modulus (result has the sign of `input`).

    >>> import ember
    >>> ember.fmod(ember.tensor([-3, 3]), 2)
    tensor([-1,  1])
    """
    _check_int_zero_division(input, other, "fmod")
    return pointwise(OPS["fmod"], (input, other), out)


def pow(input, exponent, *, out=None):
    """``input ** exponent`` elementwise; `input` may be a Python number.

    >>> import ember
    >>> ember.pow(ember.tensor([1, 2, 3]), 2)
    tensor([1, 4, 9])
    """
    _check_operand(input, "pow", 1)
    _check_operand(exponent, "pow")
    # PyTorch refuses a negative number as an integer exponent; tensor exponents give
    # C's truncated results (1, -1 or 0)
    if isinstance(exponent, numbers.Number) and exponent < 0 and \
            not D.result_type(input, exponent).is_floating_point:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return pointwise(OPS["pow"], (input, exponent), out)


def pow_(self, exponent):
    if isinstance(exponent, numbers.Number) and exponent < 0 and \
            not D.result_type(self, exponent).is_floating_point:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return pointwise_(OPS["pow"], self, (self, exponent))


def square(input, *, out=None):
    """``input * input``; bool squares to int64 as in PyTorch."""
    _check_tensor(input, "square")
    if input.dtype is D.bool:
        input = input.to(D.int64)
    return pointwise(OPS["square"], (input,), out)


def abs(input, *, out=None):
    """Absolute value.

    >>> import ember
    >>> ember.abs(ember.tensor([-1, 2]))
    tensor([1, 2])
    """
    _check_tensor(input, "abs")
    if input.dtype is D.bool:
        raise RuntimeError("\"abs_cpu\" not implemented for 'Bool'")
    return pointwise(OPS["abs"], (input,), out)


def sign(input, *, out=None):
    """-1, 0 or 1 by sign (bool stays bool).

    >>> import ember
    >>> ember.sign(ember.tensor([-2.0, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """
    _check_tensor(input, "sign")
    if input.dtype is D.bool:
        return input.clone() if out is None else out.copy_(input)
    return pointwise(OPS["sign"], (input,), out)


sgn = sign


def round(input, *, decimals=0, out=None):
    """Round half to even, optionally to `decimals` places.

    >>> import ember
    >>> ember.round(ember.tensor([0.5, 1.5, 1.2345]), decimals=0)
    tensor([0., 2., 1.])
    """
    _check_tensor(input, "round")
    if not isinstance(decimals, int):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    return pointwise(Op("round"), (input,), out, {"decimals": decimals} if decimals else {})


def logit(input, eps=None, *, out=None):
    """``log(p / (1 - p))``, with `input` clamped to ``[eps, 1 - eps]`` when eps is given."""
    return pointwise(Op("logit", "float"), (input,), out, {"eps": eps} if eps is not None else {})


def clamp(input, min=None, max=None, *, out=None):
    """Clamp into ``[min, max]``; bounds may be numbers or tensors.

    >>> import ember
    >>> ember.clamp(ember.tensor([-2.0, 0.5, 3.0]), min=-1, max=1)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    _check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return result if out is None else out.copy_(result)
    return _clamp_scalar(input, min, max, out)


def _clamp_scalar(input, min, max, out):
    # bounds go to the kernel as params; promotion sees them as Python scalars
    dtype = D.result_type(input, *(v for v in (min, max) if v is not None))
    src = input if dtype is input.dtype else input.to(dtype)
    return pointwise(CLAMP, (src,), out, _clamp_bounds(dtype, min, max))


def _clamp_bounds(dtype, min, max):
    """Kernel params; for integer types the bounds convert as fill values do (-1 is 255 for
    uint8, 300 is refused), as PyTorch converts them."""
    if not dtype.is_floating_point:
        from .creation import _fill_value
        min, max = (None if v is None else _fill_value(v, dtype) for v in (min, max))
    return {"min": min, "max": max}


CLAMP = Op("clamp", "promote")


clip = clamp


def clamp_(self, min=None, max=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return self.copy_(clamp(self, min, max))
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dtype = D.result_type(self, *(v for v in (min, max) if v is not None))
    if not D.can_cast(dtype, self.dtype):  # the bounds take part in promotion, as in PyTorch
        from .._dispatch import _type_name
        raise RuntimeError(f"clamp_(): result type {_type_name(dtype)} can't be cast to the desired "
                           f"output type {_type_name(self.dtype)}")
    return pointwise_(CLAMP, self, (self,), _clamp_bounds(dtype, min, max))


clip_ = clamp_


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)``.

    >>> import ember
    >>> ember.lerp(ember.tensor([0.0]), ember.tensor([10.0]), 0.25)
    tensor([2.5000])
    """
    return pointwise(Op("lerp", "float"), (input, end, weight), out)


def lerp_(self, end, weight):
    return pointwise_(Op("lerp", "float"), self, (self, end, weight))


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``."""
    return pointwise(Op("addcmul"), (input, tensor1, tensor2), out, {"value": value})


def addcmul_(self, tensor1, tensor2, *, value=1):
    return pointwise_(Op("addcmul"), self, (self, tensor1, tensor2), {"value": value})


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2``."""
    if not D.result_type(tensor1, tensor2).is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           "release addcdiv will perform a true division of tensor1 and tensor2.")
    return pointwise(Op("addcdiv"), (input, tensor1, tensor2), out, {"value": value})


def addcdiv_(self, tensor1, tensor2, *, value=1):
    return pointwise_(Op("addcdiv"), self, (self, tensor1, tensor2), {"value": value})


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN and infinities by finite numbers (dtype's max/min by default)."""
    return pointwise(Op("nan_to_num"), (input,), out, {"nan": nan, "posinf": posinf, "neginf": neginf})


def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    return pointwise_(Op("nan_to_num"), self, (self,), {"nan": nan, "posinf": posinf, "neginf": neginf})


def where(condition, input=None, other=None, *, out=None):
    """``where(cond, a, b)`` picks from `a` where `cond` holds, else `b`;
    ``where(cond)`` is ``nonzero(cond, as_tuple=True)``.

    >>> import ember
    >>> ember.where(ember.tensor([True, False]), ember.tensor([1, 2]), 0)
    tensor([1, 0])
    """
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or condition.dtype not in (D.bool, D.uint8):
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with "
                           f"dtype {getattr(condition, 'dtype', type(condition).__name__)}")
    cond = condition if condition.dtype is D.bool else condition.bool()
    return pointwise(OPS_WHERE, (cond, input, other), out)


OPS_WHERE = Op("where", "where")  # the condition takes no part in promotion


def threshold_backward(grad, output, threshold):
    """`grad` where `output` is above `threshold`, else 0: the backward of ReLU (and of
    ``threshold``) in one pass, without a boolean temporary (autograd's formula; not at
    ``ember.`` top level, as in PyTorch).

    >>> import ember
    >>> from ember._ops.pointwise import threshold_backward
    >>> threshold_backward(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([-1.0, 0.0, 5.0]), 0)
    tensor([0., 0., 3.])
    """
    return pointwise(THRESHOLD_BACKWARD, (grad, output), None, {"threshold": threshold})


THRESHOLD_BACKWARD = Op("threshold_backward")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|``.

    >>> import ember
    >>> ember.isclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.1]))
    tensor([ True, False])
    """
    if isinstance(other, Tensor) and input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    return pointwise(Op("isclose", "compare"), (input, other), None,
                     {"rtol": rtol, "atol": atol, "equal_nan": equal_nan})


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (see `isclose`).

    >>> import ember
    >>> ember.allclose(ember.tensor([1.0]), ember.tensor([1.0 + 1e-9]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    """True when shapes and all values are equal.

    >>> import ember
    >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2]))
    True
    """
    if input.shape != other.shape:
        return False
    return bool(eq(input, other).all())


def positive(input):
    _check_tensor(input, "positive")
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


negative, negative_ = neg, neg_
absolute = abs
multiply, divide, subtract = mul, div, sub
greater, greater_equal, less, less_equal = gt, ge, lt, le  # noqa: F821
not_equal, arctan2, arcsin, arccos, arctan = ne, atan2, asin, acos, atan  # noqa: F821
arcsinh, arccosh, arctanh = asinh, acosh, atanh  # noqa: F821
fix = trunc  # noqa: F821



__all__ = sorted(n for n, v in list(globals().items())
                 if callable(v) and not n.startswith("_") and n not in ("Op", "Tensor", "pointwise",
                                                                        "pointwise_"))
_NOT_METHODS = {"where", "isclose", "allclose", "equal", "true_divide_", "rsub"}
METHODS = {n: globals()[n] for n in __all__ if n not in _NOT_METHODS}
METHODS["where"] = lambda self, condition, other: where(condition, self, other)
METHODS.update(isclose=isclose, allclose=allclose, equal=equal, true_divide_=true_divide_)
