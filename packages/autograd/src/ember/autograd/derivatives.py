"""The derivative table: op name (as core records it) -> backward formula.

A formula is ``f(node, grad, saved) -> (grad for each operand)``, written with ember
ops, so that running it with grad mode on (``create_graph=True``) records a graph of
its own and higher-order gradients come from the same code. ``saved`` holds what the
entry asked to save, in order: ``i`` is operand ``i`` of the op, ``-1`` its output;
``(i, (j, ...))`` saves operand ``i`` only when input ``j`` needs a gradient (it is
None otherwise). A formula may return gradients in the broadcast shape or dtype of
the op: the engine sums them down to each input's shape (`engine.sum_to`) and casts.

``node.needs(i)`` says whether input ``i`` needs a gradient, ``node._params`` holds
the op's params, ``node.input_shape(i)`` an input's shape.
"""
from __future__ import annotations

import math

import numpy as np

import ember as E
from ember import _dispatch
from ember._device import get_backend
from ember._ops import pointwise as _pointwise_ops
from ember._dispatch import compute_array, compute_dtype, needs_grad, result_from

from . import engine
from .engine import NODES, PICK, node_class

# ops whose results carry no gradient at all (integer/bool results are never recorded;
# these are recorded ops that PyTorch also refuses to differentiate)
NOT_DIFFERENTIABLE = {"nextafter", "view_dtype"}


def derivative(op, name, save=(), n_outputs=1, is_view=False):
    """Register the formula below it for `op`, with PyTorch's node name."""
    def register(formula):
        NODES[op] = node_class(name, formula, save, n_outputs, is_view)
        return formula
    return register


def variants(op, pick, names):
    """Give `op` several node names (``PowBackward0/1/2``...) sharing its formula."""
    base = NODES[op]
    classes = {n: node_class(n, base.formula, base.save, base.n_outputs, base.is_view)
               for n in names}
    PICK[op] = lambda inputs, params: classes[pick(inputs, params)]


def _tensor(x):
    return isinstance(x, E.Tensor)


def _zeros(node, i, like):
    shape, dtype = node._meta[i]
    return E.zeros(shape, dtype=dtype, device=like.device)


def _nonzero_grads(node, g, formula_for):
    return tuple(formula_for(i) if node.needs(i) else None for i in range(len(node.next_functions)))


# --- arithmetic ----------------------------------------------------------------------
@derivative("add", "AddBackward0")
def _add(node, g, saved):
    alpha = node._params.get("alpha", 1)
    return g, (g if alpha == 1 else g * alpha)


@derivative("sub", "SubBackward0")
def _sub(node, g, saved):
    alpha = node._params.get("alpha", 1)
    return g, (-g if alpha == 1 else g * -alpha)


_MUL = _pointwise_ops.OPS["mul"]


@derivative("mul", "MulBackward0", save=((0, (1,)), (1, (0,))))
def _mul(node, g, saved):
    # straight into the dispatcher (still recorded under create_graph): the operator's
    # argument checks cost more than the multiply on this, the hottest formula
    a, b = saved
    return (None if b is None else g * b), (None if a is None else g * a)


@derivative("div", "DivBackward0", save=((0, (1,)), (1, (0, 1))))
def _div(node, g, saved):
    a, b = saved
    ga = g / b if node.needs(0) else None
    gb = -g * a / (b * b) if node.needs(1) else None
    return ga, gb


def _zero_formula(node, g, saved):
    """Piecewise-constant ops (floor, sign, rounding division...): the gradient is zero."""
    return _nonzero_grads(node, g, lambda i: _zeros(node, i, g))


for _op, _name in {"div_floor": "DivBackward3", "div_trunc": "DivBackward2",
                   "floor": "FloorBackward0", "ceil": "CeilBackward0", "trunc": "TruncBackward0",
                   "round": "RoundBackward0", "sign": "SignBackward0"}.items():
    derivative(_op, _name)(_zero_formula)
variants("round", lambda inputs, params: "RoundBackward1" if params.get("decimals") else
         "RoundBackward0", ("RoundBackward0", "RoundBackward1"))


@derivative("remainder", "RemainderBackward0", save=((0, (1,)), (1, (1,))))
def _remainder(node, g, saved):
    a, b = saved
    return g, (-g * E.div(a, b, rounding_mode="floor") if node.needs(1) else None)


@derivative("fmod", "FmodBackward0", save=((0, (1,)), (1, (1,))))
def _fmod(node, g, saved):
    a, b = saved
    return g, (-g * E.div(a, b, rounding_mode="trunc") if node.needs(1) else None)


@derivative("pow", "PowBackward0", save=(0, 1, (-1, (1,))))
def _pow(node, g, saved):
    a, b, y = saved
    ga = gb = None
    if node.needs(0):
        if _tensor(b):
            ga = E.where(b == 0, 0.0, g * b * a ** (b - 1))
        else:
            ga = _zeros(node, 0, g) if b == 0 else g * b * a ** (b - 1)
    if node.needs(1):
        if _tensor(a):
            ga_mask = E.logical_and(a == 0, b >= 0)
            gb = E.where(ga_mask, 0.0, g * y * E.log(a))
        elif a == 0:
            gb = E.where(b >= 0, 0.0, g * y * -math.inf)
        else:
            gb = g * y * math.log(a)
    return ga, gb


variants("pow", lambda inputs, params: "PowBackward1" if _tensor(inputs[0]) and _tensor(inputs[1])
         else ("PowBackward0" if _tensor(inputs[0]) else "PowBackward2"),
         ("PowBackward0", "PowBackward1", "PowBackward2"))


@derivative("atan2", "Atan2Backward0", save=(0, 1))
def _atan2(node, g, saved):
    a, b = saved
    d = a * a + b * b
    return g * b / d, -g * a / d


def _min_max(keep_a, keep_b):
    def formula(node, g, saved):
        a, b = saved
        half = E.where(a == b, g / 2, g)
        return (E.where(keep_a(a, b), half, 0.0) if node.needs(0) else None,
                E.where(keep_b(a, b), half, 0.0) if node.needs(1) else None)
    return formula


derivative("maximum", "MaximumBackward0", save=(0, 1))(_min_max(lambda a, b: a >= b,
                                                                lambda a, b: a <= b))
derivative("minimum", "MinimumBackward0", save=(0, 1))(_min_max(lambda a, b: a <= b,
                                                                lambda a, b: a >= b))


def _fmin_fmax(prefer_a):
    def formula(node, g, saved):
        a, b = saved
        take_a = E.logical_or(prefer_a(a, b), E.isnan(b))  # NaN operands lose to numbers
        return (E.where(take_a, g, 0.0) if node.needs(0) else None,
                E.where(take_a, 0.0, g) if node.needs(1) else None)
    return formula


derivative("fmax", "FmaxBackward0", save=(0, 1))(_fmin_fmax(lambda a, b: a >= b))
derivative("fmin", "FminBackward0", save=(0, 1))(_fmin_fmax(lambda a, b: a <= b))


@derivative("hypot", "HypotBackward0", save=(0, 1, -1))
def _hypot(node, g, saved):
    a, b, y = saved
    return g * a / y, g * b / y


@derivative("copysign", "CopysignBackward0", save=(0, -1))
def _copysign(node, g, saved):
    a, y = saved
    return g * E.where(a == 0, 0.0, y / a), (_zeros(node, 1, g) if node.needs(1) else None)


@derivative("xlogy", "XlogyBackward0", save=(0, 1))
def _xlogy(node, g, saved):
    a, b = saved
    ga = g * E.xlogy(a != 0, b) if node.needs(0) else None
    gb = g * a / b if node.needs(1) else None
    return ga, gb


# --- unary math ------------------------------------------------------------------------
def _unary(op, name, save, formula):
    derivative(op, name, save=(save,))(lambda node, g, saved: (formula(g, saved[0]),))


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
for _op, _name, _save, _f in [
    ("neg", "NegBackward0", 0, lambda g, x: -g),
    ("abs", "AbsBackward0", 0, lambda g, x: g * E.sign(x)),
    ("reciprocal", "ReciprocalBackward0", -1, lambda g, y: -g * (y * y)),
    ("exp", "ExpBackward0", -1, lambda g, y: g * y),
    ("exp2", "Exp2Backward0", -1, lambda g, y: g * y * _LN2),
    ("expm1", "Expm1Backward0", -1, lambda g, y: g * (y + 1)),
    ("log", "LogBackward0", 0, lambda g, x: g / x),
    ("log2", "Log2Backward0", 0, lambda g, x: g / (x * _LN2)),
    ("log10", "Log10Backward0", 0, lambda g, x: g / (x * _LN10)),
    ("log1p", "Log1PBackward0", 0, lambda g, x: g / (x + 1)),
    ("sqrt", "SqrtBackward0", -1, lambda g, y: g / (2 * y)),
    ("rsqrt", "RsqrtBackward0", -1, lambda g, y: -0.5 * g * (y * y * y)),
    ("square", "PowBackward0", 0, lambda g, x: g * 2 * x),
    ("sin", "SinBackward0", 0, lambda g, x: g * E.cos(x)),
    ("cos", "CosBackward0", 0, lambda g, x: g * -E.sin(x)),
    ("tan", "TanBackward0", -1, lambda g, y: g * (1 + y * y)),
    ("asin", "AsinBackward0", 0, lambda g, x: g * E.rsqrt(1 - x * x)),
    ("acos", "AcosBackward0", 0, lambda g, x: -g * E.rsqrt(1 - x * x)),
    ("atan", "AtanBackward0", 0, lambda g, x: g / (x * x + 1)),
    ("sinh", "SinhBackward0", 0, lambda g, x: g * E.cosh(x)),
    ("cosh", "CoshBackward0", 0, lambda g, x: g * E.sinh(x)),
    ("tanh", "TanhBackward0", -1, lambda g, y: g * (1 - y * y)),
    ("asinh", "AsinhBackward0", 0, lambda g, x: g * E.rsqrt(x * x + 1)),
    ("acosh", "AcoshBackward0", 0, lambda g, x: g * E.rsqrt(x * x - 1)),
    ("atanh", "AtanhBackward0", 0, lambda g, x: g / (1 - x * x)),
    ("sigmoid", "SigmoidBackward0", -1, lambda g, y: g * (y * (1 - y))),
    ("erf", "ErfBackward0", 0, lambda g, x: g * _TWO_OVER_SQRT_PI * E.exp(-(x * x))),
    ("erfc", "ErfcBackward0", 0, lambda g, x: g * -_TWO_OVER_SQRT_PI * E.exp(-(x * x))),
    ("erfinv", "ErfinvBackward0", -1, lambda g, y: g * (math.sqrt(math.pi) / 2) * E.exp(y * y)),
    ("frac", "FracBackward0", 0, lambda g, x: g),
    ("relu", "ReluBackward0", -1, lambda g, y: E.where(y > 0, g, 0.0)),
    ("nan_to_num", "NanToNumBackward0", 0, lambda g, x: E.where(E.isfinite(x), g, 0.0)),
]:
    _unary(_op, _name, _save, _f)


@derivative("logit", "LogitBackward0", save=(0,))
def _logit(node, g, saved):
    (x,) = saved
    eps = node._params.get("eps")
    grad = g / (x * (1 - x))
    if eps is None:
        return (E.where(E.logical_or(x < 0, x > 1), math.nan, grad),)
    return (E.where(E.logical_or(x < eps, x > 1 - eps), 0.0, grad),)


@derivative("clamp", "ClampBackward1", save=(0,))
def _clamp(node, g, saved):
    (x,) = saved
    lo, hi = node._params.get("min"), node._params.get("max")
    inside = x >= lo if lo is not None else None
    if hi is not None:
        inside = x <= hi if inside is None else E.logical_and(inside, x <= hi)
    return (E.where(inside, g, 0.0),)


@derivative("lerp", "LerpBackward0", save=((0, (2,)), (1, (2,)), 2))
def _lerp(node, g, saved):
    start, end, w = saved
    return (g * (1 - w) if node.needs(0) else None, g * w if node.needs(1) else None,
            g * (end - start) if node.needs(2) else None)


variants("lerp", lambda inputs, params: "LerpBackward1" if _tensor(inputs[2]) else "LerpBackward0",
         ("LerpBackward0", "LerpBackward1"))


@derivative("addcmul", "AddcmulBackward0", save=((1, (2,)), (2, (1,))))
def _addcmul(node, g, saved):
    t1, t2 = saved
    value = node._params.get("value", 1)
    return (g, g * t2 * value if node.needs(1) else None,
            g * t1 * value if node.needs(2) else None)


@derivative("addcdiv", "AddcdivBackward0", save=((1, (2,)), (2, (1, 2))))
def _addcdiv(node, g, saved):
    t1, t2 = saved
    value = node._params.get("value", 1)
    return (g, g * value / t2 if node.needs(1) else None,
            -g * value * t1 / (t2 * t2) if node.needs(2) else None)


@derivative("where", "WhereBackward0", save=(0,))
def _where(node, g, saved):
    (cond,) = saved
    return (None, E.where(cond, g, 0.0) if node.needs(1) else None,
            E.where(cond, 0.0, g) if node.needs(2) else None)


# --- reductions --------------------------------------------------------------------------
def _keepdim_shape(node):
    dims = node._params["dim"]
    return tuple(1 if d in dims else s for d, s in enumerate(node.input_shape(0)))


def _unreduce(node, g):
    """A reduction's gradient (or result) broadcast back over the reduced dims."""
    if not node._params["keepdim"] and g._data.ndim:  # (a 0-d g expands as it is)
        g = g.reshape(_keepdim_shape(node))
    return expand_to(g, node.input_shape(0))


def expand_to(g, shape):
    """``g.expand(shape)`` for a `g` known to broadcast (a recorded view, minus the checks:
    this is on the hot path of every ``loss.backward()``)."""
    if g._data.shape == shape:
        return g
    array = g._data
    if array.ndim == 0 and isinstance(array, np.ndarray):
        # a zero-stride view straight from the constructor (10x cheaper than broadcast_to)
        view = np.ndarray(shape, array.dtype, array, 0, (0,) * len(shape))
        view.flags.writeable = False
    else:
        view = get_backend(g._device.type).xp.broadcast_to(array, shape)
    return _dispatch.view("expand", g, view, {"shape": g.shape})


@derivative("sum", "SumBackward1")
def _sum(node, g, saved):
    return (_unreduce(node, g),)


@derivative("mean", "MeanBackward1")
def _mean(node, g, saved):
    shape = node.input_shape(0)
    count = math.prod(shape[d] for d in node._params["dim"])
    return (_unreduce(node, g / count),)


def _all_dims(inputs, params):
    return len(params["dim"]) == inputs[0].ndim and not params["keepdim"]


variants("sum", lambda i, p: "SumBackward0" if _all_dims(i, p) else "SumBackward1",
         ("SumBackward0", "SumBackward1"))
variants("mean", lambda i, p: "MeanBackward0" if _all_dims(i, p) else "MeanBackward1",
         ("MeanBackward0", "MeanBackward1"))


@derivative("prod", "ProdBackward1", save=(0, -1))
def _prod(node, g, saved):
    x, y = saved
    dims = node._params["dim"]
    zero = x == 0
    zeros_in_slice = _unreduce(node, zero.sum(dims, keepdim=True).reshape(y.shape))
    safe = E.where(zero, 1.0, x)
    # product of the nonzero entries of each slice: y itself unless the slice has a zero
    for d in dims:  # prod takes one dim at a time
        safe_prod = (safe_prod if d != dims[0] else safe).prod(d, keepdim=True)
    nonzero_prod = _unreduce(node, safe_prod.reshape(y.shape)) if dims else safe
    g = _unreduce(node, g)
    others = E.where(zeros_in_slice == 0, nonzero_prod / safe,
                     E.where(E.logical_and(zero, zeros_in_slice == 1), nonzero_prod, 0.0))
    return (g * others,)


variants("prod", lambda i, p: "ProdBackward0" if _all_dims(i, p) else "ProdBackward1",
         ("ProdBackward0", "ProdBackward1"))


def _extremum(node, g, saved):
    """amax/amin: the gradient is shared evenly between the elements that tie for the extremum."""
    x, y = saved
    hit = x == _unreduce(node, y)
    count = _unreduce(node, hit.sum(node._params["dim"], keepdim=True).reshape(y.shape))
    return (E.where(hit, _unreduce(node, g) / count, 0.0),)


derivative("amax", "AmaxBackward0", save=(0, -1))(_extremum)
derivative("amin", "AminBackward0", save=(0, -1))(_extremum)


# --- views and copies ------------------------------------------------------------------
@derivative("view", "ViewBackward0", is_view=True)
def _view(node, g, saved):
    return (g.reshape(node.input_shape(0)),)


@derivative("permute", "PermuteBackward0", is_view=True)
def _permute(node, g, saved):
    dims = node._params["dims"]
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return (g.permute(inverse),)


@derivative("expand", "ExpandBackward0", is_view=True)
def _expand(node, g, saved):
    return (engine.sum_to(g, node.input_shape(0)),)


@derivative("squeeze", "SqueezeBackward0", is_view=True)
def _squeeze(node, g, saved):
    return (g.reshape(node.input_shape(0)),)


@derivative("unsqueeze", "UnsqueezeBackward0", is_view=True)
def _unsqueeze(node, g, saved):
    return (g.squeeze(node._params["dim"]),)


def _key_kind(key):
    if any(not (k is None or k is Ellipsis or isinstance(k, (int, slice))) or isinstance(k, bool)
           for k in key):
        return "IndexBackward0"
    return "SelectBackward0" if any(isinstance(k, int) for k in key) else "SliceBackward0"


@derivative("slice", "SliceBackward0", is_view=True)
def _slice(node, g, saved):
    return (index_backward(g, node._params["key"], node.input_shape(0)),)


variants("slice", lambda inputs, params: _key_kind(params["key"]),
         ("SliceBackward0", "SelectBackward0"))
derivative("getitem", "SliceBackward0", is_view=True)(_slice)
variants("getitem", lambda inputs, params: _key_kind(params["key"]),
         ("SliceBackward0", "SelectBackward0", "IndexBackward0"))
derivative("index", "IndexBackward0")(_slice)  # advanced keys: repeated indices add up


def _through_positions(g, positions, shape):
    """Gradient of a view given, per view element, its flat index in the input."""
    n = math.prod(shape)
    return index_backward(g, (positions,), (n,)).reshape(shape)


def _index_of_view(node, view):
    """Per element of the view op applied to `input`, its flat index in the input."""
    shape = node.input_shape(0)
    with E.no_grad():
        return view(E.arange(math.prod(shape)).view(shape))._data


@derivative("diagonal", "DiagonalBackward0", is_view=True)
def _diagonal(node, g, saved):
    p = node._params
    pos = _index_of_view(node, lambda t: t.diagonal(p["offset"], p["dim1"], p["dim2"]))
    return (_through_positions(g, pos, node.input_shape(0)),)


@derivative("unfold", "UnfoldBackward0", is_view=True)
def _unfold(node, g, saved):
    p = node._params
    pos = _index_of_view(node, lambda t: t.unfold(p["dimension"], p["size"], p["step"]))
    return (_through_positions(g, pos, node.input_shape(0)),)


@derivative("as_strided", "AsStridedBackward0", is_view=True)
def _as_strided(node, g, saved):
    p = node._params
    pos = engine.flat_positions(p["size"], p["stride"], p["offset"], p["input_shape"],
                                p["input_stride"], p["input_offset"])
    return (_through_positions(g, pos, node.input_shape(0)),)


@derivative("view_of", "AsStridedBackward0", is_view=True)
def _view_of(node, g, saved):
    """The view an in-place op went through, re-read from its rebased base."""
    return (_through_positions(g, node._params["pos"], node.input_shape(0)),)


@derivative("copy_slices", "CopySlices")
def _copy_slices(node, g, saved):
    """The base after an in-place op on its view: old base outside the view, value inside."""
    p = node._params
    return (E.where(p["mask"], 0.0, g) if node.needs(0) else None,
            index(g.reshape(-1), (p["pos"],)) if node.needs(1) else None)


@derivative("index_put", "IndexPutBackward0")
def _index_put(node, g, saved):
    key, accumulate = node._params["key"], node._params.get("accumulate", False)
    ga = gv = None
    if node.needs(0):
        if accumulate:
            ga = g
        else:  # the written elements were overwritten: no gradient reaches the old values
            mask = E.zeros(node.input_shape(0), dtype=E.bool, device=g.device)
            mask._data[key] = True
            ga = E.where(mask, 0.0, g)
    if node.needs(1):
        gv = index(g, key)
    return ga, gv


@derivative("clone", "CloneBackward0")
def _clone(node, g, saved):
    return (g,)


@derivative("to", "ToCopyBackward0")
def _to(node, g, saved):
    return (g.to(dtype=node._params["dtype"], device=node._params["device"]),)


# --- the scatter primitive (the adjoint of indexing) ------------------------------------
def _is_basic(key):
    return all(k is None or k is Ellipsis or (isinstance(k, (int, slice)) and not isinstance(k, bool))
               for k in key)


def index_backward(g, key, shape):
    """``zeros(shape)`` with `g` added at ``[key]``; repeated indices add up.

    The adjoint of ``x[key]``, and differentiable itself (its gradient is ``grad[key]``).
    """
    backend = get_backend(g._device.type)
    xp = backend.xp
    dtype = compute_dtype(g._dtype)
    out = xp.zeros(shape, dtype.np)
    src = compute_array(g, dtype)
    if _is_basic(key):
        out[key] = src  # basic indexing never repeats an element
    elif hasattr(xp.add, "at"):
        xp.add.at(out, key, src)
    else:  # cupy
        import cupyx
        cupyx.scatter_add(out, key, src)
    result = result_from(out, g._dtype, g._device)
    if needs_grad((g,)):
        engine.record("index_backward", (g,), result, {"key": key, "shape": shape})
    return result


def index(t, key):
    """``t[key]`` for a key already in backend form (the keys core records), recorded."""
    if _is_basic(key):
        return _dispatch.view("getitem", t, t._data[key], {"key": key, "shape": t.shape})
    return _dispatch.apply("index", (t,), {"key": key})


@derivative("index_backward", "IndexBackwardBackward0")
def _index_backward(node, g, saved):
    return (index(g, node._params["key"]),)


# --- indexing along a dim, gathers and writes ------------------------------------------
def _xp(t):
    return get_backend(t._device.type).xp


def _along(index, dim, ndim):
    """The advanced key that reads ``x[i0, .., index[i], ..]`` with `index` at `dim`
    (what gather / take_along_dim / sort indices mean)."""
    xp = _xp(index)
    idx = index._data
    grids = xp.indices(idx.shape, sparse=True) if idx.ndim else []
    return tuple(idx if d == dim else grids[d] for d in range(ndim))


def _at_dim(index, dim):
    """The key ``x[:, .., index, ..]`` with `index` (1-D) at `dim`."""
    return (slice(None),) * dim + (index._data.reshape(-1),)


def _mask_of(node, key, like):
    mask = E.zeros(node.input_shape(0), dtype=E.bool, device=like.device)
    mask._data[key] = True
    return mask


def _by_indices(node, g, saved):
    """(values, indices) ops: each value's gradient goes back to where its index points."""
    (indices,) = saved
    gv = g[0] if isinstance(g, (list, tuple)) else g
    if gv is None:
        return (None,)
    shape, dim = node.input_shape(0), node._params.get("dim")
    if len(shape) == 0:
        return (gv.reshape(()),)
    if not node._params.get("keepdim", True) and gv._data.ndim < len(shape):
        gv, indices = gv.unsqueeze(dim), indices.unsqueeze(dim)
    return (index_backward(gv, _along(indices, dim, len(shape)), shape),)


for _op, _name in {"max": "MaxBackward0", "min": "MinBackward0", "sort": "SortBackward0",
                   "topk": "TopkBackward0", "kthvalue": "KthvalueBackward0",
                   "median": "MedianBackward1", "nanmedian": "NanmedianBackward1",
                   "mode": "ModeBackward0", "cummax": "CummaxBackward0",
                   "cummin": "CumminBackward0"}.items():
    derivative(_op, _name, save=(-2,), n_outputs=2)(_by_indices)


@derivative("gather", "GatherBackward0", save=(1,))
def _gather(node, g, saved):
    (idx,) = saved
    shape = node.input_shape(0)
    if len(shape) == 0:
        return g.reshape(()), None
    return index_backward(g, _along(idx, node._params["dim"], len(shape)), shape), None


@derivative("index_select", "IndexSelectBackward0", save=(1,))
def _index_select(node, g, saved):
    (idx,) = saved
    shape = node.input_shape(0)
    if len(shape) == 0:
        return g.reshape(()), None
    return index_backward(g, _at_dim(idx, node._params["dim"]), shape), None


@derivative("take", "TakeBackward0", save=(1,))
def _take(node, g, saved):
    (idx,) = saved
    shape = node.input_shape(0)
    return _through_positions(g, idx._data, shape), None


@derivative("masked_select", "MaskedSelectBackward0", save=(1,))
def _masked_select(node, g, saved):
    (mask,) = saved
    key = _xp(mask).nonzero(mask._data)
    return index_backward(g, tuple(key), node.input_shape(0)), None


@derivative("masked_fill", "MaskedFillBackward0", save=(1,))
def _masked_fill(node, g, saved):
    (mask,) = saved
    grads = [E.where(mask, 0.0, g) if node.needs(0) else None, None]
    if len(node.next_functions) > 2:  # a 0-d tensor value: it lands on every masked element
        grads.append(E.where(mask, g, 0.0) if node.needs(2) else None)
    return tuple(grads)


@derivative("masked_scatter", "MaskedScatterBackward0", save=(1,))
def _masked_scatter(node, g, saved):
    (mask,) = saved
    gs = None
    if node.needs(2):
        picked = index(g, tuple(_xp(mask).nonzero(mask._data)))
        n = picked._data.shape[0]
        gs = _through_positions(picked, _xp(mask).arange(n), node.input_shape(2))
    return (E.where(mask, 0.0, g) if node.needs(0) else None), None, gs


def _scatter_key(node, index):
    return _along(index, node._params["dim"], len(node.input_shape(0)))


@derivative("scatter", "ScatterBackward0", save=(1,))
def _scatter(node, g, saved):
    (idx,) = saved
    if node._params.get("reduce") is not None:
        raise RuntimeError("the derivative for 'scatter' with reduce is not implemented.")
    key = _scatter_key(node, idx)
    grads = [E.where(_mask_of(node, key, g), 0.0, g) if node.needs(0) else None, None]
    if len(node.next_functions) > 2:
        grads.append(index(g, key) if node.needs(2) else None)
    return tuple(grads)


@derivative("scatter_add", "ScatterAddBackward0", save=(1,))
def _scatter_add(node, g, saved):
    (idx,) = saved
    return g, None, (index(g, _scatter_key(node, idx)) if node.needs(2) else None)


@derivative("index_add", "IndexAddBackward0", save=(1,))
def _index_add(node, g, saved):
    (idx,) = saved
    alpha = node._params.get("alpha", 1)
    gs = index(g, _at_dim(idx, node._params["dim"])) if node.needs(2) else None
    return g, None, (gs if gs is None or alpha == 1 else gs * alpha)


@derivative("index_copy", "IndexCopyBackward0", save=(1,))
def _index_copy(node, g, saved):
    (idx,) = saved
    key = _at_dim(idx, node._params["dim"])
    return (E.where(_mask_of(node, key, g), 0.0, g) if node.needs(0) else None, None,
            index(g, key) if node.needs(2) else None)


@derivative("index_fill", "IndexFillBackward0", save=(1,))
def _index_fill(node, g, saved):
    (idx,) = saved
    mask = _mask_of(node, _at_dim(idx, node._params["dim"]), g)
    grads = [E.where(mask, 0.0, g) if node.needs(0) else None, None]
    if len(node.next_functions) > 2:
        grads.append(E.where(mask, g, 0.0) if node.needs(2) else None)
    return tuple(grads)


@derivative("put", "PutBackward0", save=(1,))
def _put(node, g, saved):
    (idx,) = saved
    flat = idx._data.reshape(-1)
    gi = g
    if node.needs(0) and not node._params.get("accumulate"):
        mask = _mask_of(node, (), g).reshape(-1)
        mask._data[flat] = True
        gi = E.where(mask.reshape(node.input_shape(0)), 0.0, g)
    gs = index(g.reshape(-1), (flat,)).reshape(node.input_shape(2)) if node.needs(2) else None
    return (gi if node.needs(0) else None), None, gs


# --- joining and reordering ---------------------------------------------------------------
@derivative("cat", "CatBackward0")
def _cat(node, g, saved):
    dim, grads, start = node._params["dim"], [], 0
    for i, m in enumerate(node._meta):
        shape = m[0]
        if len(shape) == 1 and shape[0] == 0 and g._data.ndim > 1:  # legacy empty inputs
            grads.append(None)
            continue
        n = shape[dim]
        grads.append(g.narrow(dim, start, n) if node.needs(i) else None)
        start += n
    return tuple(grads)


@derivative("flip", "FlipBackward0")
def _flip(node, g, saved):
    return (g.flip(node._params["dims"]),)


@derivative("roll", "RollBackward0")
def _roll(node, g, saved):
    p = node._params
    return (g.roll(tuple(-s for s in p["shifts"]), p["dims"]),)


@derivative("repeat", "RepeatBackward0")
def _repeat(node, g, saved):
    repeats = node._params["repeats"]
    shape = (1,) * (len(repeats) - len(node.input_shape(0))) + tuple(node.input_shape(0))
    interleaved = []
    for r, n in zip(repeats, shape):
        interleaved += [r, n]
    g = g.reshape(interleaved).sum(tuple(range(0, 2 * len(shape), 2)))
    return (g.reshape(node.input_shape(0)),)


derivative("tril", "TrilBackward0")(lambda node, g, saved: (g.tril(node._params["diagonal"]),))
derivative("triu", "TriuBackward0")(lambda node, g, saved: (g.triu(node._params["diagonal"]),))


@derivative("diag_embed", "DiagEmbedBackward0")
def _diag_embed(node, g, saved):
    p = node._params
    return (g.diagonal(p["offset"], p["dim1"], p["dim2"]),)


@derivative("trace", "TraceBackward0")
def _trace(node, g, saved):
    n, m = node.input_shape(0)
    return (g * E.eye(n, m, dtype=g.dtype, device=g.device),)


# --- softmax, scans, statistics ------------------------------------------------------------
@derivative("softmax", "SoftmaxBackward0", save=(-1,))
def _softmax(node, g, saved):
    (y,) = saved
    gy = g * y
    return (gy - y * gy.sum(node._params["dim"], keepdim=True),)


@derivative("log_softmax", "LogSoftmaxBackward0", save=(-1,))
def _log_softmax(node, g, saved):
    (y,) = saved
    return (g - E.exp(y) * g.sum(node._params["dim"], keepdim=True),)


@derivative("logsumexp", "LogsumexpBackward0", save=(0, -1))
def _logsumexp(node, g, saved):
    x, y = saved
    return (_unreduce(node, g) * E.exp(x - _unreduce(node, y)),)


@derivative("cumsum", "CumsumBackward0")
def _cumsum(node, g, saved):
    d = node._params["dim"]
    if len(node.input_shape(0)) == 0:
        return (g,)
    return (g.flip(d).cumsum(d).flip(d),)


@derivative("cumprod", "CumprodBackward0", save=(0, -1))
def _cumprod(node, g, saved):
    """(Exact for inputs without zeros, which is where the product is differentiable in
    the usual sense; a zero input gets the limit of the formula, as far as it exists.)"""
    x, y = saved
    d = node._params["dim"]
    if len(node.input_shape(0)) == 0:
        return (g,)
    return ((g * y).flip(d).cumsum(d).flip(d) / x,)


def _count(node):
    shape = node.input_shape(0)
    return math.prod(shape[d] for d in node._params["dim"])


@derivative("var", "VarBackward0", save=(0,))
def _var(node, g, saved):
    (x,) = saved
    dims = node._params["dim"]
    n = _count(node) - node._params.get("correction", 1)
    centered = x - x.mean(dims, keepdim=True)
    return (_unreduce(node, g) * centered * (2.0 / n),)


@derivative("std", "StdBackward0", save=(0, -1))
def _std(node, g, saved):
    x, y = saved
    dims = node._params["dim"]
    n = _count(node) - node._params.get("correction", 1)
    centered = x - x.mean(dims, keepdim=True)
    return (_unreduce(node, g / y) * centered / n,)


def _p_norm_grad(g, x, y, p):
    """d||x||_p / dx, with g and y already broadcast over x (zero where the norm is zero)."""
    if p == 0:
        return E.zeros_like(x)
    if p == 1:
        return g * E.sign(x)
    if p == 2:
        return E.where(y == 0, 0.0, g * x / y)
    if math.isinf(p):
        hit = (x.abs() == y)
        count = hit.sum()  # ties share the gradient, like amax
        return E.where(hit, g * E.sign(x) / count, 0.0)
    return E.where(y == 0, 0.0, g * E.sign(x) * x.abs() ** (p - 1) / y ** (p - 1))


@derivative("norm", "NormBackward1", save=(0, -1))
def _norm(node, g, saved):
    x, y = saved
    return (_p_norm_grad(_unreduce(node, g), x, _unreduce(node, y), node._params["p"]),)


@derivative("vector_norm", "LinalgVectorNormBackward0", save=(0, -1))
def _vector_norm(node, g, saved):
    x, y = saved
    p = node._params
    dims = p["dims"] if p["dims"] is not None else tuple(range(len(node.input_shape(0))))
    dims = (dims,) if isinstance(dims, int) else tuple(d % max(len(node.input_shape(0)), 1)
                                                      for d in dims)
    shape = node.input_shape(0)
    kshape = tuple(1 if d in dims else s for d, s in enumerate(shape))
    if not p["keepdim"]:
        g, y = g.reshape(kshape), y.reshape(kshape)
    return (_p_norm_grad(expand_to(g, shape), x, expand_to(y, shape), float(p["ord"])),)


@derivative("nansum", "NansumBackward0", save=(0,))
def _nansum(node, g, saved):
    (x,) = saved
    return (E.where(E.isnan(x), 0.0, _unreduce(node, g)),)


@derivative("nanmean", "NanmeanBackward0", save=(0,))
def _nanmean(node, g, saved):
    (x,) = saved
    valid = E.logical_not(E.isnan(x))
    count = _unreduce(node, valid.sum(node._params["dim"], keepdim=True).reshape(g.shape))
    return (E.where(valid, _unreduce(node, g) / count, 0.0),)


@derivative("normal", "NormalBackward3")
def _normal(node, g, saved):
    return g, g * node._params["noise"]


# --- products -------------------------------------------------------------------------------
def _matmul_grads(node, g, a, b, scale=1):
    """Gradients of ``a @ b`` (any of matmul's shapes); the engine sums broadcast dims away."""
    ga = gb = None
    if a.ndim == 1 and b.ndim == 1:
        ga = g * b if node.needs(0) else None
        gb = g * a if node.needs(1) else None
    elif b.ndim == 1:
        ga = g.unsqueeze(-1) * b if node.needs(0) else None
        gb = E.matmul(g.unsqueeze(-2), a).squeeze(-2) if node.needs(1) else None
    elif a.ndim == 1:
        ga = E.matmul(g.unsqueeze(-2), b.mT).squeeze(-2) if node.needs(0) else None
        gb = a.unsqueeze(-1) * g.unsqueeze(-2) if node.needs(1) else None
    else:
        ga = E.matmul(g, b.mT) if node.needs(0) else None
        gb = E.matmul(a.mT, g) if node.needs(1) else None
    if scale != 1:
        ga = None if ga is None else ga * scale
        gb = None if gb is None else gb * scale
    return ga, gb


for _op, _name in {"matmul": "MatmulBackward0", "mm": "MmBackward0", "bmm": "BmmBackward0",
                   "mv": "MvBackward0", "dot": "DotBackward0", "vdot": "VdotBackward0"}.items():
    derivative(_op, _name, save=((0, (1,)), (1, (0,))))(
        lambda node, g, saved: _matmul_grads(node, g, saved[0] if saved[0] is not None else
                                             _placeholder(node, 0, g),
                                             saved[1] if saved[1] is not None else
                                             _placeholder(node, 1, g)))


def _placeholder(node, i, like):
    """An unsaved operand stands in by shape only (its gradient is not asked for)."""
    return _zeros(node, i, like)


@derivative("outer", "OuterBackward0", save=((0, (1,)), (1, (0,))))
def _outer(node, g, saved):
    a, b = saved
    return (E.matmul(g, b) if node.needs(0) else None,
            E.matmul(g.mT, a) if node.needs(1) else None)


@derivative("inner", "InnerBackward0", save=(0, 1))
def _inner(node, g, saved):
    a, b = saved
    if a.ndim == 0 or b.ndim == 0:
        return (g * b).sum() if a.ndim == 0 else g * b, (g * a).sum() if b.ndim == 0 else g * a
    k = a.shape[-1]
    a2, b2 = a.reshape(-1, k), b.reshape(-1, k)
    g2 = g.reshape(a2.shape[0], b2.shape[0])
    return ((E.matmul(g2, b2).reshape(a.shape) if node.needs(0) else None),
            (E.matmul(g2.mT, a2).reshape(b.shape) if node.needs(1) else None))


def _add_product(kind):
    def formula(node, g, saved):
        m1, m2 = saved
        beta, alpha = node._params.get("beta", 1), node._params.get("alpha", 1)
        gi = (g * beta if beta != 1 else g) if node.needs(0) else None
        if kind == "addr":
            g1 = E.matmul(g, m2) * alpha if node.needs(1) else None
            g2 = E.matmul(g.mT, m1) * alpha if node.needs(2) else None
        elif kind == "addmv":
            g1 = g.unsqueeze(-1) * m2 * alpha if node.needs(1) else None
            g2 = E.matmul(m1.mT, g) * alpha if node.needs(2) else None
        else:
            gg = g.unsqueeze(0) if kind == "addbmm" else g  # addbmm sums over the batch
            g1 = E.matmul(gg, m2.mT) * alpha if node.needs(1) else None
            g2 = E.matmul(m1.mT, gg) * alpha if node.needs(2) else None
        return gi, g1, g2
    return formula


for _op, _name in {"addmm": "AddmmBackward0", "addmv": "AddmvBackward0", "addr": "AddrBackward0",
                   "baddbmm": "BaddbmmBackward0", "addbmm": "AddbmmBackward0"}.items():
    derivative(_op, _name, save=(1, 2))(_add_product(_op))


@derivative("tensordot", "TensordotBackward0", save=(0, 1))
def _tensordot(node, g, saved):
    a, b = saved
    da, db = list(node._params["dims_a"]), list(node._params["dims_b"])
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    na = len(free_a)
    ga = gb = None
    if node.needs(0):  # g (free_a + free_b) . b over free_b -> free_a + b's contracted dims
        r = E.tensordot(g, b, dims=(list(range(na, g.ndim)), free_b))
        order = free_a + [da[db.index(d)] for d in sorted(db)]
        ga = r.permute(_inverse(order))
    if node.needs(1):
        r = E.tensordot(a, g, dims=(free_a, list(range(na))))
        order = [db[da.index(d)] for d in sorted(da)] + free_b
        gb = r.permute(_inverse(order))
    return ga, gb


def _inverse(order):
    inv = [0] * len(order)
    for i, d in enumerate(order):
        inv[d] = i
    return inv


def _einsum(node, g, saved):
    inputs_spec, out_spec = node._params["equation"].replace(" ", "").split("->")
    specs = inputs_spec.split(",")
    grads = []
    for i, spec in enumerate(specs):
        if not node.needs(i):
            grads.append(None)
            continue
        others = [s for j, s in enumerate(specs) if j != i]
        if len(set(spec)) != len(spec) or "." in spec or not set(spec) <= set(out_spec).union(*others):
            raise RuntimeError(f"the derivative of einsum '{node._params['equation']}' is not "
                               "implemented for operand subscripts with repeated or unmatched "
                               "indices")
        eq = ",".join([out_spec] + others) + "->" + spec
        grads.append(E.einsum(eq, g, *[saved[j] for j in range(len(specs)) if j != i]))
    return tuple(grads)


def _einsum_node(inputs, params):
    n = len(inputs)
    cls = _EINSUM.get(n)
    if cls is None:
        cls = _EINSUM[n] = node_class("EinsumBackward0", _einsum, save=tuple(range(n)))
    return cls


_EINSUM = {}
PICK["einsum"] = _einsum_node


@derivative("cross", "LinalgCrossBackward0", save=(0, 1))
def _cross(node, g, saved):
    a, b = saved
    d = node._params["dim"]
    return (E.cross(b, g, dim=d) if node.needs(0) else None,
            E.cross(g, a, dim=d) if node.needs(1) else None)


@derivative("inv", "LinalgInvExBackward0", save=(-1,))
def _inv(node, g, saved):
    (y,) = saved
    return (-E.matmul(E.matmul(y.mT, g), y.mT),)


@derivative("det", "LinalgDetBackward0", save=(0, -1))
def _det(node, g, saved):
    a, y = saved
    return ((g * y).unsqueeze(-1).unsqueeze(-1) * E.linalg.inv(a).mT,)


@derivative("logdet", "LogdetBackward0", save=(0,))
def _logdet(node, g, saved):
    (a,) = saved
    return (g.unsqueeze(-1).unsqueeze(-1) * E.linalg.inv(a).mT,)


@derivative("slogdet", "LinalgSlogdetBackward0", save=(0,), n_outputs=2)
def _slogdet(node, g, saved):
    (a,) = saved
    glog = g[1] if isinstance(g, (list, tuple)) else g
    if glog is None:
        return (None,)
    return (glog.unsqueeze(-1).unsqueeze(-1) * E.linalg.inv(a).mT,)


@derivative("solve", "LinalgSolveExBackward0", save=(0, -1))
def _solve(node, g, saved):
    a, x = saved
    vector = node._params.get("vector", False)
    gb = E.linalg.solve(a.mT, g)
    ga = None
    if node.needs(0):
        ga = -(gb.unsqueeze(-1) * x.unsqueeze(-2)) if vector else -E.matmul(gb, x.mT)
    return ga, (gb if node.needs(1) else None)


# --- errors as nodes ---------------------------------------------------------------------
@derivative("once_differentiable", "DelayedError")
def _delayed_error(node, g, saved):
    raise RuntimeError("trying to differentiate twice a function that was marked with "
                       "@once_differentiable")


def _view_dtype_error(node, g, saved):
    raise RuntimeError("the derivative for 'view(dtype)' is not implemented: views that change the "
                       "dtype carry no gradient.")


derivative("view_dtype", "ViewBackward0")(_view_dtype_error)
@derivative("nextafter", "NextafterBackward0")
def _nextafter(node, g, saved):
    raise RuntimeError("the derivative for 'nextafter' is not implemented.")
