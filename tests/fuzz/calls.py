"""Random calls of ember's public ops, and the checks each call must pass.

A call is generated from a `random.Random` (so ``(seed, index)`` reproduces it) and
is a plain description: an op, how to call it (function, method, operator, indexing)
and arguments. Tensor arguments are `Input` recipes (dtype, shape, values, layout)
that build the same tensor in ember and in PyTorch, so a call runs unchanged in both.

Each call must either give the same result under the Cython and the pure kernels,
and PyTorch's result where PyTorch is installed (values, dtype, shape, and the
inputs afterwards, which in-place ops change), or raise an exception of one of
PyTorch's types whose message is not empty. `check` returns what went wrong, if anything.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
          "bool")
FLOATS = DTYPES[:4]
# what a call may raise: PyTorch's exception types (MemoryError for huge allocations)
ALLOWED = (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError, ZeroDivisionError,
           MemoryError)
HUGE = (2 ** 40, 2 ** 50, 2 ** 62, 2 ** 63 - 1)


class DType:
    """A dtype argument, resolved in the library the call runs in."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"ember.{self.name}"


class Input:
    """A tensor recipe: values of `dtype` and `shape`, laid out as `layout` says.

    layouts: 'contig'; 't' (a transposed contiguous tensor); 'step' (every other
    element along dim 0); 'offset' (a view starting one row in); 'expand' (dim 0
    broadcast from size 1: read-only aliasing, stride 0).
    """

    def __init__(self, dtype, shape, values, layout="contig", requires_grad=False):
        self.dtype, self.shape, self.values, self.layout = dtype, tuple(shape), values, layout
        self.requires_grad = requires_grad

    def __repr__(self):
        data = self.values.tolist()
        text = f"ember.tensor({data!r}, dtype=ember.{self.dtype})"
        if self.values.size == 0 and self.values.ndim > 1:
            text += f".reshape{self.values.shape}"
        if self.layout == "t":
            text += f".permute({tuple(reversed(range(len(self.shape))))})"
        elif self.layout == "step":
            text += "[::2]"
        elif self.layout == "offset":
            text += "[1:]"
        elif self.layout == "expand":
            text += f".expand{self.shape}"
        if self.requires_grad:
            text += ".requires_grad_()"
        return text

    def array(self):
        """The same tensor as a numpy array (bfloat16 and float16 as float32)."""
        a = self.values.astype({"bfloat16": np.float32, "float16": np.float32}.get(self.dtype,
                                                                                  self.dtype))
        if self.layout == "t":
            return a.transpose()
        if self.layout == "step":
            return a[::2]
        if self.layout == "offset":
            return a[1:]
        if self.layout == "expand":
            return np.broadcast_to(a, self.shape)
        return a

    def build(self, lib):
        values = self.values
        t = lib.tensor(values.tolist(), dtype=getattr(lib, self.dtype)) if values.ndim else \
            lib.tensor(values.item(), dtype=getattr(lib, self.dtype))
        if values.size == 0:
            t = t.reshape(values.shape)  # nested empty lists lose trailing dims
        if self.layout == "t":
            t = t.permute(tuple(reversed(range(t.ndim))))
        elif self.layout == "step":
            t = t[::2]
        elif self.layout == "offset":
            t = t[1:]
        elif self.layout == "expand":
            t = t.expand(*self.shape)
        if self.requires_grad:
            t.requires_grad_()
        return t


def _values(rng, dtype, shape):
    n = math.prod(shape)
    kind = rng.random()
    if dtype == "bool":
        return np.array([rng.random() < 0.5 for _ in range(n)], dtype=bool).reshape(shape)
    if dtype in FLOATS:
        pool = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.25, 1e-3, 100.0]
        if kind < 0.15:
            pool += [math.nan, math.inf, -math.inf, 1e30, -1e30, 65504.0, 1e-40]
        vals = [rng.choice(pool) if rng.random() < 0.4 else round(rng.uniform(-10, 10), 3)
                for _ in range(n)]
        return np.array(vals, dtype=np.float64).reshape(shape)
    info = np.iinfo(np.dtype(dtype))
    pool = [0, 1, -1, 2, 3, 7, -5, 100]
    if kind < 0.15:
        pool += [int(info.max), int(info.min), int(info.max) - 1]
    vals = [rng.choice(pool) if rng.random() < 0.5 else rng.randint(-20, 20) for _ in range(n)]
    vals = [int(np.array(v).astype(np.dtype(dtype))) for v in vals]  # wrap into range
    return np.array(vals, dtype=np.int64).reshape(shape)


def _shape(rng, ndim=None):
    ndim = rng.choice((0, 1, 1, 2, 2, 2, 3)) if ndim is None else ndim
    return tuple(rng.choice((0, 1, 1, 2, 3, 3, 4, 5)) if rng.random() < 0.9 else 0
                 for _ in range(ndim))


def tensor_input(rng, dtype=None, shape=None, float_only=False, layouts=True):
    dtype = dtype or rng.choice(FLOATS if float_only else DTYPES)
    shape = _shape(rng) if shape is None else tuple(shape)
    layout = rng.choice(("contig", "contig", "t", "step", "offset", "expand")) if layouts else "contig"
    if layout != "contig" and len(shape) < 2 and (layout == "t" or not shape):
        layout = "contig"
    base = list(shape)
    if layout == "t":
        base = base[::-1]
    elif layout == "step":
        base[0] = base[0] * 2
    elif layout == "offset":
        base[0] += 1
    elif layout == "expand":
        base[0] = 1
    return Input(dtype, shape, _values(rng, dtype, tuple(base)), layout)


def _broadcastable(rng, shape):
    """A shape that broadcasts with `shape` (usually), or does not (sometimes)."""
    r = rng.random()
    if r < 0.5:
        return shape
    if r < 0.7:
        return tuple(1 if rng.random() < 0.5 else s for s in shape)
    if r < 0.85:
        return shape[rng.randint(0, len(shape)):]
    return _shape(rng)  # may or may not broadcast: both are valid tests


def _scalar(rng):
    return rng.choice((0, 1, -1, 2, 3, 0.5, -2.5, True, False, 1e10, math.nan, math.inf, 2 ** 31,
                       2 ** 63 - 1, np.float32(1.5), np.int64(3), np.float64(-0.25)))


def _invalid(rng):
    return rng.choice((None, "x", [1.0, 2.0], (1,), object(), {}, b"1", 1j))


def _dim(rng, ndim):
    r = rng.random()
    if r < 0.75:
        return rng.randint(-max(ndim, 1), max(ndim, 1) - 1)
    if r < 0.85:
        return rng.choice((ndim, -ndim - 1, 2 ** 40, -(2 ** 63)))
    if r < 0.92:
        return rng.choice((1.0, "0", None))
    k = rng.randint(0, max(ndim, 1))
    return tuple(rng.randint(-ndim, max(ndim - 1, 0)) for _ in range(k))


UNARY = ("neg", "abs", "sign", "reciprocal", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
         "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
         "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "floor", "ceil", "trunc",
         "frac", "relu", "isnan", "isinf", "isfinite", "signbit", "logical_not", "bitwise_not",
         "round", "positive")
BINARY = ("add", "sub", "mul", "div", "remainder", "fmod", "pow", "atan2", "maximum", "minimum",
          "fmax", "fmin", "hypot", "copysign", "xlogy", "eq", "ne", "lt", "le", "gt", "ge",
          "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
          "floor_divide", "bitwise_left_shift", "bitwise_right_shift")
OPERATORS = ("__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
             "__and__", "__or__", "__xor__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__",
             "__lt__", "__eq__", "__iadd__", "__isub__", "__imul__", "__itruediv__")
REDUCTIONS = ("sum", "mean", "prod", "amax", "amin", "all", "any", "argmax", "argmin", "std", "var",
              "logsumexp", "nansum", "count_nonzero", "max", "min", "median", "norm")
SCANS = ("cumsum", "cumprod", "softmax", "log_softmax", "cummax", "cummin", "logcumsumexp")
SHAPE = ("reshape", "view", "permute", "transpose", "squeeze", "unsqueeze", "flatten", "expand",
         "narrow", "select", "flip", "roll", "movedim", "t", "split", "chunk", "unbind", "diagonal",
         "tril", "triu", "repeat", "tile", "contiguous", "clone")
JOINING = ("cat", "stack", "hstack", "vstack")
SORTING = ("sort", "argsort", "topk", "kthvalue", "unique")
LINALG = ("matmul", "mm", "bmm", "dot", "mv", "outer")
CREATION = ("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "zeros_like", "tensor")
INDEXING = ("getitem", "setitem", "gather", "index_select", "take", "masked_fill", "where", "clamp",
            "lerp", "addcmul", "addcdiv")


class Call:
    """One op call: ``how`` is 'fn' (ember.<op>), 'method' (args[0].<op>) or 'getitem'/'setitem'."""

    def __init__(self, op, how, args, kwargs=None, tolerance=1.0, values=True, torch_part=None):
        self.op, self.how, self.args, self.kwargs = op, how, tuple(args), dict(kwargs or {})
        self.torch_part = torch_part  # compare only this item of a tuple result with torch
        self.tolerance = tolerance  # a multiplier of the dtype's tolerance (long reductions)
        self.values = values  # False: only dtype and shape are defined (empty)

    def __repr__(self):
        if self.how == "overlap":
            return f"overlap({self.op!r}, {self.args[1]!r}, b={self.args[0]!r})"
        args = ", ".join([repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()])
        if self.how == "method":
            first, rest = repr(self.args[0]), ", ".join(repr(a) for a in self.args[1:])
            kw = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
            return f"({first}).{self.op}({', '.join(x for x in (rest, kw) if x)})"
        if self.how == "getitem":
            return f"({self.args[0]!r})[{self.args[1]!r}]"
        if self.how == "setitem":
            return f"({self.args[0]!r})[{self.args[1]!r}] = {self.args[2]!r}"
        return f"ember.{self.op}({args})"


def generate(rng) -> Call:
    """A random call: mostly valid arguments, often invalid ones."""
    family = rng.choices(("unary", "binary", "operator", "inplace", "overlap", "reduction", "scan",
                          "shape", "joining", "sorting", "linalg", "creation", "indexing"),
                         weights=(10, 14, 6, 8, 4, 12, 4, 10, 4, 4, 5, 6, 8))[0]
    return globals()[f"_gen_{family}"](rng)


def _operand(rng, shape):
    r = rng.random()
    if r < 0.6:
        return tensor_input(rng, shape=_broadcastable(rng, shape))
    if r < 0.9:
        return _scalar(rng)
    if r < 0.95:
        return tensor_input(rng, shape=())
    return _invalid(rng)


def _gen_unary(rng):
    op = rng.choice(UNARY)
    if rng.random() < 0.03:
        return Call(op, "fn", (_invalid(rng),))
    x = tensor_input(rng)
    if op == "round" and rng.random() < 0.5:
        return Call(op, "fn", (x,), {"decimals": rng.choice((0, 1, 2, -1))})
    return Call(op, rng.choice(("fn", "method")) if op != "positive" else "fn", (x,))


def _gen_binary(rng):
    op = rng.choice(BINARY)
    x = tensor_input(rng)
    other = _operand(rng, x.shape)
    kwargs = {}
    if op in ("add", "sub") and rng.random() < 0.3:
        kwargs["alpha"] = rng.choice((2, -1, 0.5, 0))
    if op == "div" and rng.random() < 0.5:
        kwargs["rounding_mode"] = rng.choice(("floor", "trunc", None, "up"))
    if rng.random() < 0.15:  # the other operand first (Python number as input)
        if isinstance(other, (int, float)) and op in ("add", "mul", "pow", "sub", "maximum"):
            return Call(op, "fn", (other, x), kwargs)
    return Call(op, rng.choice(("fn", "method")), (x, other), kwargs)


def _gen_operator(rng):
    op = rng.choice(OPERATORS)
    x = tensor_input(rng)
    return Call(op, "method", (x, _operand(rng, x.shape)))


def _gen_inplace(rng):
    op = rng.choice(("add_", "sub_", "mul_", "div_", "clamp_", "fill_", "zero_", "copy_", "exp_",
                     "neg_", "abs_", "sqrt_", "relu_", "pow_", "remainder_",
                     "floor_divide_", "masked_fill_", "sigmoid_", "lerp_"))
    x = tensor_input(rng)
    if op in ("zero_", "exp_", "neg_", "abs_", "sqrt_", "relu_", "sigmoid_"):
        return Call(op, "method", (x,))
    if op == "clamp_":
        return Call(op, "method", (x,), {"min": rng.choice((None, -1, 0.5)),
                                         "max": rng.choice((None, 1, 2.5))})
    if op == "fill_":
        return Call(op, "method", (x, rng.choice((0, 1, -1, 2.5, 300, -129, 2 ** 40, math.nan,
                                                  1e40, True))))
    if op == "copy_":
        return Call(op, "method", (x, tensor_input(rng, shape=_broadcastable(rng, x.shape))))
    if op == "masked_fill_":
        mask = tensor_input(rng, "bool", _broadcastable(rng, x.shape))
        return Call(op, "method", (x, mask, _scalar(rng)))
    if op == "lerp_":
        return Call(op, "method", (x, tensor_input(rng, x.dtype, x.shape), rng.choice((0.5, 2))))
    return Call(op, "method", (x, _operand(rng, x.shape)))


def _gen_overlap(rng):
    """In-place writes where the written tensor and an input share memory."""
    n = rng.randint(2, 7)
    dtype = rng.choice(("float32", "float64", "int64", "int32"))
    values = _values(rng, dtype, (n,))
    base = Input(dtype, (n,), values)
    op = rng.choice(("add_", "mul_", "sub_", "copy_"))
    pattern = rng.choice(("shift", "shift_back", "self", "step", "t", "out_shift", "out_self",
                          "out_step"))
    return Call(op, "overlap", (base, pattern))


def _gen_reduction(rng):
    op = rng.choice(REDUCTIONS)
    x = tensor_input(rng)
    kwargs = {}
    r = rng.random()
    args = [x]
    if r < 0.7:
        kwargs["dim"] = _dim(rng, len(x.shape))
        if rng.random() < 0.5:
            kwargs["keepdim"] = rng.random() < 0.5
    if op in ("sum", "mean", "prod", "nansum") and rng.random() < 0.2:
        kwargs["dtype"] = DType(rng.choice(("float64", "int64", "float32")))
    if op in ("max", "min", "median") and "dim" in kwargs and not isinstance(kwargs["dim"], int):
        kwargs["dim"] = rng.randint(-1, 1)
    if op in ("std", "var") and rng.random() < 0.3:
        kwargs["correction"] = rng.choice((0, 1, 2))
    return Call(op, rng.choice(("fn", "method")), args, kwargs, tolerance=10.0)


def _gen_scan(rng):
    op = rng.choice(SCANS)
    x = tensor_input(rng)
    kwargs = {"dim": _dim(rng, len(x.shape))}
    if op in ("softmax", "log_softmax", "cumsum") and rng.random() < 0.2:
        kwargs["dtype"] = DType(rng.choice(("float64", "float32")))
    return Call(op, rng.choice(("fn", "method")), (x,), kwargs, tolerance=10.0)


def _sizes(rng, shape):
    n = math.prod(shape)
    r = rng.random()
    if r < 0.4:
        sizes = list(shape)
        rng.shuffle(sizes)
        return tuple(sizes)
    if r < 0.6:
        return (n,) if rng.random() < 0.5 else (-1,)
    if r < 0.75:
        return (rng.choice((n + 1, -2, 0, 2 ** 62)), -1)
    if r < 0.85:
        return (-1, -1)
    return tuple(rng.randint(0, 4) for _ in range(rng.randint(0, 3)))


def _gen_shape(rng):
    op = rng.choice(SHAPE)
    x = tensor_input(rng)
    nd = len(x.shape)
    d = lambda: _dim(rng, nd)  # noqa: E731
    plain = lambda: rng.randint(-nd - 1, nd)  # noqa: E731
    args, kwargs = [x], {}
    if op in ("reshape", "view"):
        args.append(_sizes(rng, x.shape))
    elif op == "permute":
        perm = list(range(nd))
        rng.shuffle(perm)
        if rng.random() < 0.2:
            perm = perm[:-1] if perm else [0]
        args.extend(perm)
    elif op in ("transpose", "movedim"):
        args += [plain(), plain()]
    elif op in ("squeeze", "flatten", "unbind") and rng.random() < 0.7:
        args.append(plain())
    elif op == "unsqueeze":
        args.append(rng.randint(-nd - 2, nd + 1))
    elif op == "expand":
        args.extend(tuple(rng.choice((s, -1, 1, 3, 2 ** 62)) for s in x.shape) + (
            (2,) if rng.random() < 0.3 else ()))
    elif op == "narrow":
        args += [plain(), rng.randint(-2, 3), rng.randint(-1, 3)]
    elif op == "select":
        args += [plain(), rng.randint(-5, 5)]
    elif op == "flip":
        args.append(tuple(plain() for _ in range(rng.randint(0, 2))))
    elif op == "roll":
        args.append(rng.randint(-5, 5))
        if rng.random() < 0.7:
            args.append(plain())
    elif op in ("split", "chunk"):
        args.append(rng.choice((1, 2, 3, 0, -1)) if op == "chunk" or rng.random() < 0.7
                    else [1, 1, 1])
        if rng.random() < 0.7:
            args.append(plain())
    elif op == "diagonal":
        args += [rng.randint(-2, 2)]
    elif op in ("tril", "triu"):
        args.append(rng.randint(-3, 3))
    elif op in ("repeat", "tile"):
        args.append(tuple(rng.choice((1, 2, 0, 3, -1)) for _ in range(rng.randint(nd, nd + 1) if
                                                                    op == "repeat" else 2)))
        if op == "repeat":
            args = [x, *args[1]]
    return Call(op, "method" if op in ("view", "expand", "repeat", "contiguous") or rng.random() < 0.5
                else "fn", args, kwargs)


def _gen_joining(rng):
    op = rng.choice(JOINING)
    x = tensor_input(rng)
    k = rng.randint(0, 3)
    parts = [x] + [tensor_input(rng, rng.choice((x.dtype, x.dtype, "int64", "float64")),
                                x.shape if rng.random() < 0.7 else _shape(rng)) for _ in range(k)]
    if rng.random() < 0.05:
        parts = x  # a tensor where a sequence is wanted
    kwargs = {"dim": rng.randint(-len(x.shape) - 1, len(x.shape))} if op in ("cat", "stack") and \
        rng.random() < 0.7 else {}
    return Call(op, "fn", (parts,), kwargs)


def _gen_sorting(rng):
    op = rng.choice(SORTING)
    x = tensor_input(rng)
    nd = len(x.shape)
    # with ties PyTorch does not say which index comes first: compare values only
    if op == "topk":
        return Call(op, "fn", (x, rng.randint(-1, 4)), {"dim": rng.randint(-nd - 1, nd)}, torch_part=0)
    if op == "kthvalue":
        return Call(op, "fn", (x, rng.randint(0, 4)), {"dim": rng.randint(-nd - 1, nd)}, torch_part=0)
    if op == "unique":
        return Call(op, "fn", (x,), {"sorted": True, "return_counts": rng.random() < 0.5})
    kwargs = {"dim": rng.randint(-nd - 1, nd)}
    if rng.random() < 0.5:
        kwargs["descending"] = True
    if op == "sort":
        kwargs["stable"] = True  # ties: both libraries give the same indices
    else:
        kwargs["stable"] = True
    return Call(op, "fn", (x,), kwargs)


def _gen_linalg(rng):
    op = rng.choice(LINALG)
    dtype = rng.choice(("float32", "float64", "float32", "int64", "float16"))
    m, k, n, b = (rng.randint(0, 4) for _ in range(4))
    shapes = {"matmul": rng.choice((((m, k), (k, n)), ((k,), (k,)), ((b, m, k), (k, n)), ((k,), (k, n)),
                                     ((b, 1, m, k), (b, k, n)), ((m, k), (k + 1, n)))),
              "mm": ((m, k), (k, n)), "bmm": ((b, m, k), (b, k, n)), "dot": ((k,), (k,)),
              "mv": ((m, k), (k,)), "outer": ((m,), (n,))}[op]
    if rng.random() < 0.15:
        shapes = (shapes[0], _shape(rng))
    a = tensor_input(rng, dtype, shapes[0])
    other_dtype = dtype if rng.random() < 0.85 else rng.choice(("float64", "int32"))
    return Call(op, "fn", (a, tensor_input(rng, other_dtype, shapes[1])), tolerance=10.0)


def _gen_creation(rng):
    op = rng.choice(CREATION)
    dtype = DType(rng.choice(DTYPES)) if rng.random() < 0.5 else None
    kw = {"dtype": dtype} if dtype else {}
    size = rng.choice(((), (2,), (0,), (2, 3), (-1,), (3, -2), HUGE[:1] + HUGE[:1], (rng.choice(HUGE),),
                       (2.5,), ("3",), (None,)))
    if op in ("zeros", "ones", "empty"):
        return Call(op, "fn", size, kw, values=op != "empty")
    if op == "full":
        return Call(op, "fn", (size, rng.choice((0, 1.5, -1, 300, True, math.nan, 2 ** 40, 1e40))), kw)
    if op == "arange":
        args = rng.choice(((5,), (1, 4), (0, 1, 0.25), (3, 0, -1), (0, 5, 0), (0, 5, -1),
                           (2 ** 63 - 3, 2 ** 63 - 1), (0, 2 ** 62), (0, math.inf), (0.0, 1e30, 1.0),
                           (2 ** 31 - 2, 2 ** 31 + 2), (250, 260), (-5,), (0, math.nan)))
        return Call(op, "fn", args, kw)
    if op == "linspace":
        return Call(op, "fn", (rng.choice((0, -1.5)), rng.choice((1, 10)), rng.choice((0, 1, 5, -1, 2.5))),
                    kw if dtype is None or dtype.name in FLOATS else {})
    if op == "eye":
        return Call(op, "fn", (rng.choice((0, 1, 3, -1)),) + ((rng.choice((2, 0, -2)),)
                                                              if rng.random() < 0.5 else ()), kw)
    if op == "zeros_like":
        return Call(op, "fn", (tensor_input(rng),), kw)
    data = rng.choice(([1, 2], [[1.5, 2], [3, 4]], [[1, 2], [3]], [], [[]], [True, 2], 3.5, [2 ** 63],
                       [-(2 ** 63)], [300], ["a"], [None], [[1, 2], 3]))
    return Call(op, "fn", (data,), kw)


def _index(rng, shape):
    nd = len(shape)
    parts = []
    for _ in range(rng.randint(1, max(nd, 1) + 1)):
        r = rng.random()
        if r < 0.35:
            parts.append(rng.randint(-4, 4))
        elif r < 0.6:
            parts.append(slice(rng.choice((None, 0, 1, -1, -5, 5)), rng.choice((None, 2, -1, 10)),
                               rng.choice((None, 1, 2, 3, 0, -1))))
        elif r < 0.7:
            parts.append(None)
        elif r < 0.75:
            parts.append(Ellipsis)
        elif r < 0.9 and shape:
            parts.append(tensor_input(rng, "int64", (rng.randint(0, 3),), layouts=False))
        elif r < 0.95 and shape:
            parts.append(tensor_input(rng, "bool", shape[:1], layouts=False))
        else:
            parts.append(rng.choice(([0, 1], 1.5, "a", True)))
    return parts[0] if len(parts) == 1 and rng.random() < 0.5 else tuple(parts)


def _gen_indexing(rng):
    op = rng.choice(INDEXING)
    x = tensor_input(rng)
    nd = len(x.shape)
    if op in ("getitem", "setitem"):
        index = _index(rng, x.shape)
        if op == "getitem":
            return Call(op, "getitem", (x, index))
        value = rng.choice((_scalar(rng), tensor_input(rng, x.dtype, (), layouts=False),
                            tensor_input(rng, x.dtype, x.shape[-1:], layouts=False)))
        return Call(op, "setitem", (x, index, value))
    if op == "gather":
        idx = tensor_input(rng, "int64", x.shape if rng.random() < 0.8 else _shape(rng), layouts=False)
        return Call(op, "fn", (x, rng.randint(-nd - 1, nd), idx))
    if op == "index_select":
        idx = tensor_input(rng, rng.choice(("int64", "int32", "float32")), (rng.randint(0, 4),),
                           layouts=False)
        return Call(op, "fn", (x, rng.randint(-nd - 1, nd), idx))
    if op == "take":
        return Call(op, "fn", (x, tensor_input(rng, "int64", _shape(rng), layouts=False)))
    if op == "masked_fill":
        mask = tensor_input(rng, rng.choice(("bool", "bool", "uint8")), _broadcastable(rng, x.shape))
        return Call(op, "fn", (x, mask, _scalar(rng)))
    if op == "where":
        cond = tensor_input(rng, "bool", _broadcastable(rng, x.shape))
        return Call(op, "fn", (cond, x, _operand(rng, x.shape)))
    if op == "clamp":
        return Call(op, "fn", (x,), {"min": rng.choice((None, -1, 0.5, tensor_input(rng, x.dtype, ()))),
                                     "max": rng.choice((None, 2, 1.5))})
    if op == "lerp":
        return Call(op, "fn", (tensor_input(rng, float_only=True, shape=x.shape),
                               tensor_input(rng, float_only=True, shape=_broadcastable(rng, x.shape)),
                               rng.choice((0.5, 2.0, tensor_input(rng, float_only=True, shape=()))))
                    )
    return Call(op, "fn", (x, tensor_input(rng, shape=_broadcastable(rng, x.shape)),
                           tensor_input(rng, shape=_broadcastable(rng, x.shape))),
                {"value": rng.choice((1, 2, 0.5, -1))})


# --- running a call in a library -------------------------------------------------
def _materialize(arg, lib):
    if isinstance(arg, Input):
        return arg.build(lib)
    if isinstance(arg, DType):
        return getattr(lib, arg.name)
    if isinstance(arg, list):
        return [_materialize(a, lib) for a in arg]
    if isinstance(arg, tuple):
        return tuple(_materialize(a, lib) for a in arg)
    return arg


_OVERLAP_VIEWS = {
    # pattern -> (written tensor, input), both views of the same 1-D storage `b`
    "shift": lambda b: (b[1:], b[:-1]),
    "shift_back": lambda b: (b[:-1], b[1:]),
    "self": lambda b: (b, b),
    "step": lambda b: (b[: len(b) // 2 * 2 : 2], b[1::2][: len(b) // 2]),
    "t": lambda b: (b[: (len(b) // 2) * 2].view(2, -1), b[: (len(b) // 2) * 2].view(-1, 2).t()),
}


def run(call, lib):
    """Run `call` with library `lib` (ember or torch); returns (result, inputs after)."""
    if call.how == "overlap":
        base, pattern = call.args
        b = base.build(lib)
        if pattern.startswith("out_"):
            fn = getattr(lib, call.op.rstrip("_")) if call.op != "copy_" else None
            dst, src = {"out_shift": (b[1:], b[:-1]), "out_self": (b, b),
                        "out_step": (b[::2], b[: len(b[::2])])}[pattern]
            if fn is None:
                result = dst.copy_(src)
            else:
                result = fn(src, src, out=dst)
        else:
            dst, src = _OVERLAP_VIEWS[pattern](b)
            result = getattr(dst, call.op)(src)
        return result, [b]
    args = [_materialize(a, lib) for a in call.args]
    kwargs = {k: _materialize(v, lib) for k, v in call.kwargs.items()}
    tensors = [a for a in args if isinstance(a, lib.Tensor)]
    if call.how == "getitem":
        result = args[0][args[1]]
    elif call.how == "setitem":
        args[0][args[1]] = args[2]
        result = None
    elif call.how == "method":
        result = getattr(args[0], call.op)(*args[1:], **kwargs)
    else:
        result = getattr(lib, call.op)(*args, **kwargs)
    return result, tensors


def snapshot(value, torch=None):
    """A comparable, library-neutral picture of a result: nested tuples of
    ('tensor', dtype name, shape, float64/int values) or plain Python values."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("py", type(value).__name__, value)
    if hasattr(value, "dtype") and hasattr(value, "shape") and hasattr(value, "detach"):
        t = value.detach()
        name = str(t.dtype).split(".")[-1]
        if name in ("bfloat16", "float16"):
            t = t.float()
        data = np.array(t.tolist(), dtype=np.float64 if t.is_floating_point() else None)
        return ("tensor", name, tuple(value.shape), data)
    if isinstance(value, (tuple, list)):
        return ("seq", tuple(snapshot(v) for v in value))
    return ("py", type(value).__name__, repr(value))


def _tolerance(dtype):
    return {"float16": (2e-3, 1e-3), "bfloat16": (1.6e-2, 1e-2), "float32": (2e-6, 1e-6)}.get(
        dtype, (1e-12, 1e-14))


def same(a, b, tolerance=1.0, values=True, strict_dtype=True):
    """Whether two snapshots agree; a reason string when not, None when they do."""
    if a[0] != b[0]:
        return f"kind {a[0]} != {b[0]}"
    if a[0] == "seq":
        if len(a[1]) != len(b[1]):
            return f"lengths {len(a[1])} != {len(b[1])}"
        for x, y in zip(a[1], b[1]):
            why = same(x, y, tolerance, values, strict_dtype)
            if why:
                return why
        return None
    if a[0] == "py":
        if a[1] != b[1] and not ({a[1], b[1]} <= {"int", "float", "bool"}):
            return f"python type {a[1]} != {b[1]}"
        if isinstance(a[2], float) and isinstance(b[2], float) and math.isnan(a[2]) and math.isnan(b[2]):
            return None
        if isinstance(a[2], float) or isinstance(b[2], float):
            return None if math.isclose(a[2], b[2], rel_tol=1e-5 * tolerance, abs_tol=1e-6) \
                else f"{a[2]} != {b[2]}"
        return None if a[2] == b[2] else f"{a[2]!r} != {b[2]!r}"
    _, da, sa, va = a
    _, db, sb, vb = b
    if sa != sb:
        return f"shape {list(sa)} != {list(sb)}"
    if strict_dtype and da != db:
        return f"dtype {da} != {db}"
    if not values or va.size == 0:
        return None
    if va.dtype.kind == "f" or vb.dtype.kind == "f":
        rtol, atol = _tolerance(da)
        va, vb = va.astype(np.float64), vb.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            ok = np.isclose(va, vb, rtol=rtol * tolerance * 10, atol=atol * tolerance * 10,
                            equal_nan=True) | (va == vb)
        if not ok.all():
            i = np.argwhere(~ok)[0]
            return f"values differ at {tuple(int(j) for j in i)}: {va[tuple(i)]} != {vb[tuple(i)]}"
        return None
    if not np.array_equal(va, vb):
        return f"values {va.tolist()} != {vb.tolist()}"
    return None


def outcome(call, lib):
    """('ok', snapshot of result and inputs) or ('raise', exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result, inputs = run(call, lib)
            return "ok", ("seq", (snapshot(result), ("seq", tuple(snapshot(t) for t in inputs))))
        except Exception as exc:  # noqa: BLE001 - every exception is looked at by `judge`
            return "raise", exc


# overlap layouts PyTorch calls "too hard to tell": it lets them through and its result
# depends on its loop order; ember's kernels read the inputs as if copied first, as numpy does
_ORDER_DEPENDENT = ("step", "out_step")


def _overlap_numpy(call):
    """numpy's answer for an 'overlap' call: the whole storage after the write."""
    base, pattern = call.args
    b = base.values.astype(np.dtype(base.dtype)).copy()
    views = {"step": lambda: (b[: len(b) // 2 * 2: 2], b[1::2][: len(b) // 2]),
             "out_step": lambda: (b[::2], b[: len(b[::2])])}
    dst, src = views[pattern]()
    src = src.copy()
    fn = {"add_": np.add, "mul_": np.multiply, "sub_": np.subtract, "copy_": None}[call.op]
    if pattern == "out_step" and fn is not None:
        dst[...] = fn(src, src)
    else:
        dst[...] = src if fn is None else fn(dst.copy(), src)
    return b


_NUMPY_UNARY = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
                "tanh": np.tanh, "neg": np.negative, "floor": np.floor, "ceil": np.ceil,
                "abs": np.abs, "expm1": np.expm1, "log1p": np.log1p}
_NUMPY_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
                 "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin}


def numpy_reference(call):
    """numpy's result for the calls both define the same way (float32/float64 math), or None."""
    if call.how == "overlap":
        return _overlap_numpy(call) if call.args[1] in _ORDER_DEPENDENT else None
    args = call.args
    if not args or not isinstance(args[0], Input) or args[0].dtype not in ("float32", "float64"):
        return None
    with np.errstate(all="ignore"):
        return _numpy_math(call, args)


def _numpy_math(call, args):
    if call.op in _NUMPY_UNARY and len(args) == 1 and not call.kwargs:
        return _NUMPY_UNARY[call.op](args[0].array())
    if call.op in _NUMPY_BINARY and len(args) == 2 and not call.kwargs and \
            isinstance(args[1], Input) and args[1].dtype == args[0].dtype:
        try:
            return _NUMPY_BINARY[call.op](args[0].array(), args[1].array())
        except ValueError:  # shapes that do not broadcast: ember must raise
            return None
    return None


def _torch_undefined(call):
    """Calls whose PyTorch 2.13 result is not a reference: order-dependent overlap, and
    median over an expanded tensor (PyTorch sorts the stride-0 memory in place and
    returns garbage: torch.tensor([[5.9, -9.7]]).expand(5, 2).median(0))."""
    if call.how == "overlap":
        return call.args[1] in _ORDER_DEPENDENT
    if call.op == "__rtruediv__":
        return True  # PyTorch computes other * self.reciprocal(): the reciprocal rounds to float32
    if call.op == "arange" and "dtype" in call.kwargs and any(
            isinstance(a, int) and abs(a) > 2 ** 31 for a in call.args):
        return True  # PyTorch counts the elements in the target dtype, which overflows
    if call.op in LINALG and any(isinstance(a, Input) and a.values.dtype.kind == "f" and
                                 not (abs(a.values) < 1e20).all() for a in call.args):
        return True  # with huge or infinite terms the summation order decides the result
    return call.op in ("median", "nanmedian") and any(
        isinstance(a, Input) and a.layout == "expand" for a in call.args)


def check(call, ember, kernel_tables, torch=None):
    """Run `call` under each kernel table (and numpy, torch); a list of problems found.

    Each problem is (kind, text):
    'kernels'   the Cython and pure kernels disagree (value, or one raises);
    'exception' an exception type PyTorch never raises, or an empty message;
    'numpy'     numpy computes a different value;
    'wrong'     PyTorch returns a different value (or dtype, or shape);
    'refuses'   ember raises where PyTorch returns a result;
    'lenient'   ember returns where PyTorch raises (ember accepts more arguments).
    """
    from ember._device import get_backend
    backend = get_backend("cpu")
    saved = backend.kernels
    outcomes = []
    try:
        for table in kernel_tables:
            backend.kernels = table
            outcomes.append(outcome(call, ember))
    finally:
        backend.kernels = saved
    problems = []
    first = outcomes[0]
    for other in outcomes[1:]:
        if first[0] != other[0]:
            problems.append(("kernels", f"one kernel table raised, the other did not: "
                                        f"{_describe(first)} vs {_describe(other)}"))
        elif first[0] == "raise" and type(first[1]) is not type(other[1]):
            problems.append(("kernels", f"{_describe(first)} vs {_describe(other)}"))
        elif first[0] == "ok":
            why = same(first[1], other[1], call.tolerance, call.values)
            if why:
                problems.append(("kernels", why))
    for kind, value in outcomes:
        if kind == "raise":
            if not isinstance(value, ALLOWED):
                problems.append(("exception", _describe((kind, value))))
            elif not str(value).strip():
                problems.append(("exception", f"{type(value).__name__} with an empty message"))
    expected = numpy_reference(call)
    if expected is not None and first[0] == "ok":
        got = first[1][1][0] if call.how != "overlap" else first[1][1][1][1][0]
        ref = ("tensor", got[1], expected.shape, np.asarray(expected, np.float64)) \
            if got[0] == "tensor" else None
        why = "not a tensor" if ref is None else same(ref, got, call.tolerance * 10)
        if why:
            problems.append(("numpy", why))
    if torch is not None and not _torch_undefined(call):
        reference = outcome(call, torch)
        mine = first
        if reference[0] == "raise" and mine[0] == "raise":
            pass  # both refuse; the type may differ (PyTorch's C++ errors are RuntimeErrors)
        elif reference[0] == "raise":
            problems.append(("lenient", f"torch: {_describe(reference)}"))
        elif mine[0] == "raise":
            problems.append(("refuses", f"ember: {_describe(mine)}"))
        else:
            ref, got = reference[1], mine[1]
            if call.torch_part is not None:  # ("seq", (result, inputs)): compare result[part]
                ref = ref[1][0][1][call.torch_part]
                got = got[1][0][1][call.torch_part]
            why = same(ref, got, call.tolerance, call.values)
            if why:
                problems.append(("wrong", why))
    return problems


def _describe(outcome_):
    kind, value = outcome_
    if kind == "raise":
        text = str(value).split("\n")[0][:160]
        return f"{type(value).__name__}: {text}"
    return "returned"
