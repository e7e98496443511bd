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
import string

import numpy as np

import ember as E
from ember import _dispatch
from ember._device import get_backend
from ember._ops import loss as _loss_ops
from ember._ops import conv as _conv
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
    ("relu", "ReluBackward0", -1, lambda g, y: _pointwise_ops.threshold_backward(g, y, 0)),
    ("nan_to_num", "NanToNumBackward0", 0, lambda g, x: E.where(E.isfinite(x), g, 0.0)),
]:
    _unary(_op, _name, _save, _f)


@derivative("threshold_backward", "ThresholdBackwardBackward0", save=(1,))
def _threshold_backward(node, gg, saved):
    # linear in the gradient; piecewise constant in the output
    (y,) = saved
    return (_pointwise_ops.threshold_backward(gg, y, node._params["threshold"])
            if node.needs(0) else None), (_zeros(node, 1, gg) if node.needs(1) else None)


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


@derivative("prod", "ProdBackward1", save=(0,))
def _prod(node, g, saved):
    # d prod / dx_j is the product of all the others: the exclusive products before and
    # after x_j along the reduced dims (flattened). No division by x, so it is exact with
    # zeros, and since cumprod's own gradient is, at every order.
    (x,) = saved
    dims = node._params["dim"]
    if not dims:
        return (g,)
    lead = x.ndim - len(dims)
    moved = x.movedim(dims, tuple(range(lead, x.ndim)))
    flat = moved.reshape(moved.shape[:lead] + (-1,))
    ones = E.ones_like(flat[..., :1])
    before = E.cat([ones, flat[..., :-1].cumprod(-1)], -1)
    after = E.cat([flat[..., 1:].flip(-1).cumprod(-1).flip(-1), ones], -1)
    others = (before * after).reshape(moved.shape).movedim(tuple(range(lead, x.ndim)), dims)
    return (_unreduce(node, g) * others,)


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


@derivative("scatter_reduce", "ScatterReduceBackward0", save=(0, 1, 2, -1))
def _scatter_reduce(node, g, saved):
    """Each reduction's gradient as PyTorch defines it: 'mean' divides by the number of
    values reduced, 'amax'/'amin' share it evenly between the values equal to the result,
    'prod' gives each value the product of the others (exact with zeros, without dividing
    by one). With ``include_self=False`` the old values at written positions get none."""
    x, idx, src, y = saved
    p = node._params
    reduce, shape = p["reduce"], node.input_shape(0)
    key = _scatter_key(node, idx)
    box = tuple(slice(0, n) for n in idx.shape)
    if src.ndim and tuple(src.shape) != tuple(idx.shape):  # only the part index reads takes part
        src = index(src, box)
    written = _mask_of(node, key, g)
    # where the old value takes part in the result: everywhere, or where nothing was written
    x_in = None if p["include_self"] else E.logical_not(written)

    def part(mask):  # mask, restricted to the old values that take part
        return mask if x_in is None else E.logical_and(mask, x_in)

    def scatter_add(mask):  # how many of the src values landing at each position hold mask
        return index_backward(E.where(mask, 1.0, 0.0).to(g.dtype), key, shape)

    if reduce == "sum":
        gx, gs = g, index(g, key)
    elif reduce == "mean":
        x_count = 1.0 if x_in is None else E.where(x_in, 1.0, 0.0)
        g = g / (scatter_add(E.ones_like(src, dtype=E.bool)) + x_count)
        gx, gs = g, index(g, key)
    elif reduce in ("amax", "amin"):
        # (PyTorch also counts an old value left out by include_self=False when it equals the
        # result, halving the others' share; here only values that take part count)
        x_hit, src_hit = part(x == y), src == index(y, key)
        g = g / (scatter_add(src_hit) + E.where(x_hit, 1.0, 0.0))
        gx, gs = E.where(x_hit, g, 0.0), E.where(src_hit, index(g, key), 0.0)
    else:  # prod: each value gets the product of the others
        x_zero, src_zero = part(x == 0), src == 0
        zeros = scatter_add(src_zero) + E.where(x_zero, 1.0, 0.0)
        if E.is_grad_enabled() and bool((zeros > 1).any()):
            # the gradient of each of two zeros is 0, but its derivative is not: as PyTorch
            raise RuntimeError("scatter_reduce(): Double backward is unsupported for src when >1 "
                               "zeros in src are scattered to the same position.")
        # the product of the nonzero values at each position
        nonzero_prod = E.scatter_reduce(E.where(x == 0, 1.0, x), p["dim"], idx,
                                        E.where(src_zero, 1.0, src), "prod",
                                        include_self=p["include_self"])

        def others(value, value_zero, zeros, nonzero_prod, y):
            # y / value for nonzero values (y stays differentiable in the zeros: double
            # backward is exact), the others' product for a position's only zero
            return E.where(value_zero, E.where(zeros == 1, nonzero_prod, 0.0),
                           y / E.where(value == 0, 1.0, value))
        gx = g * others(x, x_zero, zeros, nonzero_prod, y)
        gs = index(g, key) * others(src, src_zero, index(zeros, key), index(nonzero_prod, key),
                                    index(y, key))
    if x_in is not None:
        gx = E.where(x_in, gx, 0.0)
    if node.needs(2) and src.shape != node.input_shape(2) and len(node.input_shape(2)):
        gs = index_backward(gs, box, node.input_shape(2))
    return (gx if node.needs(0) else None), None, (gs if node.needs(2) else None)


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


def _repeat_interleave(node, g, saved):
    """Each slice along `dim` sums the gradients of its copies (an int `repeats`)."""
    shape, d = node.input_shape(0), node._params["dim"]
    return (g.reshape(shape[:d] + (shape[d], node._params["repeats"]) + shape[d + 1:]).sum(d + 1),)


def _repeat_interleave_counts(node, g, saved):
    """The same with a tensor of counts (one per slice)."""
    shape, d = node.input_shape(0), node._params["dim"]
    xp = _xp(g)
    (counts,) = saved
    source = xp.repeat(xp.arange(shape[d]), counts._data)  # the input slice of each copy
    return index_backward(g, (slice(None),) * d + (source,), shape), None


# PyTorch's node names: repeat_interleave is a view of an expand for an int, index_select otherwise
_REPEAT_INTERLEAVE = (node_class("ViewBackward0", _repeat_interleave),
                      node_class("IndexSelectBackward0", _repeat_interleave_counts, save=(1,)))
PICK["repeat_interleave"] = lambda inputs, params: _REPEAT_INTERLEAVE[len(inputs) - 1]


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


def _reverse_cumsum(t, d):
    """``sum_{k >= j} t_k`` along `d`: the adjoint of a cumulative sum."""
    return t.flip(d).cumsum(d).flip(d)


@derivative("cumsum", "CumsumBackward0")
def _cumsum(node, g, saved):
    d = node._params["dim"]
    if len(node.input_shape(0)) == 0:
        return (g,)
    return (_reverse_cumsum(g, d),)


@derivative("cumprod", "CumprodBackward0", save=(0, -1))
def _cumprod(node, g, saved):
    """Exact with zeros, and no division by one. Along `d`, with z a slice's first zero:
    before z the usual ``sum_{k >= j} g_k y_k / x_j``; at z the product before it times
    ``sum_{k >= z} g_k prod_{z < i <= k} x_i``; after z nothing (every product has x_z).
    That is exact, but its derivative with respect to x_z is not (after z it is zero only
    while x_z is), so a backward that records a graph takes the products explicitly."""
    x, y = saved
    d = node._params["dim"]
    if len(node.input_shape(0)) == 0:
        return (g,)
    zero = x == 0
    if E.is_grad_enabled() and bool(zero.any()):
        return (_cumprod_grad_by_products(g, x, d),)
    seen = zero.cumsum(d)  # zeros up to and including each position
    before = seen == 0
    first = E.logical_and(zero, seen == 1)
    after = E.logical_and(seen > 0, E.logical_not(first))
    safe = E.where(before, x, 1.0)
    prefix = safe.prod(d, keepdim=True)  # the product before the first zero
    tail = E.where(after, x, 1.0).cumprod(d)  # products from just after it
    through_first = E.where(seen > 0, g * tail, 0.0).sum(d, keepdim=True)
    return (E.where(before, _reverse_cumsum(g * y, d) / safe,
                    E.where(first, prefix * through_first, 0.0)),)


def _cumprod_grad_by_products(g, x, d):
    """``sum_{k >= j} g_k prod_{i <= k, i != j} x_i`` from an (n, n) matrix per slice whose
    row j is x with x_j replaced by 1: quadratic in the length, differentiable everywhere."""
    x, g = x.movedim(d, -1), g.movedim(d, -1)
    n = x.shape[-1]
    eye = E.eye(n, dtype=E.bool, device=x.device)
    omitted = E.where(eye, 1.0, x.unsqueeze(-2)).cumprod(-1)  # [j, k]: prod_{i<=k, i!=j} x_i
    upper = E.ones(n, n, dtype=E.bool, device=x.device).triu()  # k >= j
    return E.where(upper, omitted * g.unsqueeze(-2), 0.0).sum(-1).movedim(-1, d)


@derivative("logcumsumexp", "LogcumsumexpBackward0", save=(0, -1))
def _logcumsumexp(node, g, saved):
    """``exp(x_j) sum_{k >= j} g_k exp(-y_k)``, summed in log space (positive and negative
    g apart) so that large x neither overflows nor loses the small terms."""
    x, y = saved
    d = node._params["dim"]
    if len(node.input_shape(0)) == 0:
        return (g,)
    pos, neg = g > 0, g < 0
    # log|g| - y, with log's argument kept off zero so that double backward stays finite
    log_g = E.log(E.where(E.logical_or(pos, neg), g.abs(), 1.0)) - y

    def suffix(mask):
        return E.where(mask, log_g, -math.inf).flip(d).logcumsumexp(d).flip(d)
    return (E.exp(suffix(pos) + x) - E.exp(suffix(neg) + x),)


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


def _p_norm_grad(g, x, y, p, dims):
    """d||x||_p / dx over `dims`, with g and y already broadcast over x (zero where the norm
    is zero)."""
    if p == 0:
        return E.zeros_like(x)
    if p == 1:
        return g * E.sign(x)
    if p == 2:
        return E.where(y == 0, 0.0, g * x / y)
    if math.isinf(p):
        hit = (x.abs() == y)
        count = hit.sum(dims, keepdim=True)  # ties share the gradient, like amax
        return E.where(hit, g * E.sign(x) / count, 0.0)
    return E.where(y == 0, 0.0, g * E.sign(x) * x.abs() ** (p - 1) / y ** (p - 1))


@derivative("norm", "NormBackward1", save=(0, -1))
def _norm(node, g, saved):
    x, y = saved
    return (_p_norm_grad(_unreduce(node, g), x, _unreduce(node, y), node._params["p"],
                         node._params["dim"]),)


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
    return (_p_norm_grad(expand_to(g, shape), x, expand_to(y, shape), float(p["ord"]), dims),)


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


@derivative("kron", "UnsafeViewBackward0", save=((0, (1,)), (1, (0,))))
def _kron(node, g, saved):
    """``kron(a, b)`` holds ``a[i] * b[j]`` at ``i * len(b) + j`` in every dim: split each
    dim of g into an (a, b) pair and sum the other factor's dims away."""
    a, b = saved
    sa, sb = node.input_shape(0), node.input_shape(1)
    r = max(len(sa), len(sb))
    sa, sb = (1,) * (r - len(sa)) + tuple(sa), (1,) * (r - len(sb)) + tuple(sb)
    g = g.reshape([n for pair in zip(sa, sb) for n in pair])
    a_dims, b_dims = tuple(range(0, 2 * r, 2)), tuple(range(1, 2 * r, 2))
    ga = gb = None
    if node.needs(0):
        ga = g * b.reshape([n for s in sb for n in (1, s)])
        ga = (ga.sum(b_dims) if r else ga).reshape(node.input_shape(0))
    if node.needs(1):
        gb = g * a.reshape([n for s in sa for n in (s, 1)])
        gb = (gb.sum(a_dims) if r else gb).reshape(node.input_shape(1))
    return ga, gb


@derivative("cdist", "CdistBackward0", save=(0, 1, -1))
def _cdist(node, g, saved):
    """Each distance is the p-norm of a row difference: its gradient goes to both rows."""
    x1, x2, y = saved
    p = node._params["p"]
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    g, y = g.unsqueeze(-1), y.unsqueeze(-1)
    if math.isinf(p):  # coordinates tied for the largest each get all of g, as in PyTorch
        gd = E.where(diff.abs() == y, g * E.sign(diff), 0.0)
    else:
        gd = _p_norm_grad(g, diff, y, p, (-1,))
    return (gd.sum(-2) if node.needs(0) else None), (-gd.sum(-3) if node.needs(1) else None)


variants("cdist", lambda inputs, params: "ViewBackward0" if params["use_mm"] else "CdistBackward0",
         ("CdistBackward0", "ViewBackward0"))


def _einsum(node, g, saved):
    """Each operand's gradient is the einsum of g with the other operands, back to the
    operand's subscripts. A subscript repeated in the operand (a diagonal, 'ii') takes a
    fresh letter tied to the first by an identity matrix; one that only this operand has
    (summed away) comes back through ones."""
    shapes = [node.input_shape(i) for i in range(len(saved))]
    terms, out, free = _einsum_terms(node._params["equation"], shapes)
    grads = []
    for i, term in enumerate(terms):
        if not node.needs(i):
            grads.append(None)
            continue
        subs, operands = [out] + terms[:i] + terms[i + 1:], [g] + saved[:i] + saved[i + 1:]
        target, fresh = "", iter(free)
        for c, n in zip(term, shapes[i]):
            if c in target:
                f = next(fresh)
                subs.append(c + f)
                operands.append(E.eye(n, dtype=g.dtype, device=g.device))
                c = f
            elif not any(c in s for s in subs):
                subs.append(c)
                operands.append(E.ones(n, dtype=g.dtype, device=g.device))
            target += c
        grads.append(E.einsum(",".join(subs) + "->" + target, *operands))
    return tuple(grads)


def _einsum_terms(equation, shapes):
    """(operand subscripts, output subscripts, unused letters) of an explicit equation, each
    ellipsis spelled out in letters of its own (right-aligned, as broadcast dims are)."""
    lhs, out = equation.split("->")
    terms = lhs.split(",")
    free = [c for c in string.ascii_letters if c not in equation]
    spans = [len(shape) - len(t) + 3 for t, shape in zip(terms, shapes) if "..." in t]
    width = max(spans, default=0)
    ellipsis, free = "".join(free[:width]), free[width:]
    terms = [t.replace("...", ellipsis[width - (len(shape) - len(t) + 3):])
             for t, shape in zip(terms, shapes)]
    return terms, out.replace("...", ellipsis), free


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


def _eye(n, like):
    return E.eye(n, dtype=like.dtype, device=like.device)


def _triple(a, b, c):
    return E.matmul(E.matmul(a, b), c)


@derivative("cholesky", "LinalgCholeskyExBackward0", save=(-1,))
def _cholesky(node, g, saved):
    """``A = L L^T``: ``L^-T sym(tril(L^T gL)) L^-1``, symmetric as PyTorch's (only A's
    lower triangle is read, but A is meant to be symmetric); ``sym`` halves the diagonal."""
    (low,) = saved
    if node._params["upper"]:  # U = L^T
        low, g = low.mT, g.mT
    p = E.matmul(low.mT, g).tril()
    inv = E.linalg.inv(low)
    return (_triple(inv.mT, (p + p.tril(-1).mT) * 0.5, inv),)


@derivative("qr", "LinalgQrBackward0", save=(-1, -2), n_outputs=2)
def _qr(node, g, saved):
    q, r = saved
    mode = node._params["mode"]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    m, n = q.shape[-2], r.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    gq = g[0] if g[0] is not None else E.zeros_like(q)
    gr = g[1] if g[1] is not None else E.zeros_like(r)
    if m >= n:
        return (_qr_grad(q, r, gq, gr),)
    # A = Q [R1 R2] with R1 square: the columns past m are Y = Q R2, so R2 = Q^T Y
    r1, r2, gr1, gr2 = r[..., :m], r[..., m:], gr[..., :m], gr[..., m:]
    gq = gq + E.matmul(E.matmul(q, r2), gr2.mT)
    return (E.cat([_qr_grad(q, r1, gq, gr1), E.matmul(q, gr2)], -1),)


def _qr_grad(q, r, gq, gr):
    """``A = QR`` with R square: ``(gQ + Q copyu(gR R^T - Q^T gQ)) R^-T``, where copyu makes
    a symmetric matrix of the upper triangle."""
    m = E.matmul(gr, r.mT) - E.matmul(q.mT, gq)
    m = m.triu() + m.triu(1).mT
    return E.linalg.solve(r, (gq + E.matmul(q, m)).mT).mT


@derivative("svd", "LinalgSvdBackward0", save=(-1, -2, -3), n_outputs=3)
def _svd(node, g, saved):
    u, s, vh = saved
    gu, gs, gvh = g
    k = s.shape[-1]
    if node._params["full_matrices"]:
        # the columns of U (rows of Vh) past k are any basis of a complement: not functions
        # of A; their gradients are dropped, as PyTorch does
        u, vh = u[..., :k], vh[..., :k, :]
        gu = None if gu is None else gu[..., :k]
        gvh = None if gvh is None else gvh[..., :k, :]
    return (_svd_grad(u, s, vh, gu, gs, gvh),)


def _svd_grad(u, s, vh, gu, gs, gvh):
    """``A = U diag(S) Vh`` (reduced). In the bases U and V the gradient is diag(gS) plus,
    off the diagonal, ``(skew(U^T gU) S + S skew(V^T gV)) / (s_j^2 - s_i^2)``; when A is not
    square, the parts of gU and gV outside the spans of U and V come on top."""
    ga = 0.0 if gs is None else E.diag_embed(gs)
    if gu is None and gvh is None:
        return _triple(u, ga, vh)
    s2 = s * s
    denom = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye(s.shape[-1], s)  # (J's diagonal is 0)
    if gu is not None:
        j = E.matmul(u.mT, gu)
        ga = ga + (j - j.mT) / denom * s.unsqueeze(-2)
    if gvh is not None:
        j = E.matmul(vh, gvh.mT)
        ga = ga + s.unsqueeze(-1) * ((j - j.mT) / denom)
    ga = _triple(u, ga, vh)
    m, n = u.shape[-2], vh.shape[-1]
    if gu is not None and m > s.shape[-1]:
        ga = ga + E.matmul((gu - E.matmul(u, E.matmul(u.mT, gu))) / s.unsqueeze(-2), vh)
    if gvh is not None and n > s.shape[-1]:
        ga = ga + E.matmul(u, (gvh - E.matmul(E.matmul(gvh, vh.mT), vh)) / s.unsqueeze(-1))
    return ga


@derivative("svdvals", "LinalgSvdBackward0", save=(0,))
def _svdvals(node, g, saved):
    (a,) = saved
    u, _, vh = E.linalg.svd(a, full_matrices=False)  # (through svd: double backward works)
    return (_triple(u, E.diag_embed(g), vh),)


@derivative("eigh", "LinalgEighBackward0", save=(-1, -2), n_outputs=2)
def _eigh(node, g, saved):
    w, v = saved
    return (_eigh_grad(w, v, g[0], g[1]),)


def _eigh_grad(w, v, gw, gv):
    """``A = V diag(w) V^T``: ``V (diag(gw) + skew(V^T gV) / (w_j - w_i)) V^T``, the skew
    part being what a change of orthonormal V can see (so the result is symmetric)."""
    inner = 0.0 if gw is None else E.diag_embed(gw)
    if gv is not None:
        j = E.matmul(v.mT, gv)
        denom = w.unsqueeze(-2) - w.unsqueeze(-1) + _eye(w.shape[-1], w)  # (skew: diagonal 0)
        inner = inner + (j - j.mT) * 0.5 / denom
    return _triple(v, inner, v.mT)


@derivative("eigvalsh", "LinalgEighBackward0", save=(0,))
def _eigvalsh(node, g, saved):
    (a,) = saved
    v = E.linalg.eigh(a, UPLO=node._params["uplo"]).eigenvectors
    return (_triple(v, E.diag_embed(g), v.mT),)


@derivative("pinv", "LinalgPinvBackward0", save=(0, -1))
def _pinv(node, g, saved):
    a, x = saved
    return (_pinv_grad(g, a, x),)


def _pinv_grad(g, a, x):
    """X = pinv(A), differentiated where the rank is locally constant:
    ``-X^T g X^T + (I - A X) g^T X X^T + X^T X g^T (I - X A)``."""
    xt, gt = x.mT, g.mT
    left = E.matmul(E.matmul(gt, x), xt)
    right = E.matmul(xt, E.matmul(x, gt))
    return (-_triple(xt, g, xt) + left - E.matmul(a, E.matmul(x, left))
            + right - E.matmul(E.matmul(right, x), a))


@derivative("lstsq", "LinalgLstsqBackward0", save=(0, 1, -1), n_outputs=4)
def _lstsq(node, g, saved):
    """The solution is ``pinv(A) B``; the residuals ``|A X - B|^2`` are stationary in X,
    so only their explicit dependence on A and B counts. rank and singular values carry
    no gradient."""
    a, b, x = saved
    gx, gres = g[0], g[1]
    vector = node._params["vector"]
    if vector:
        b, x = b.unsqueeze(-1), x.unsqueeze(-1)
        gx = None if gx is None else gx.unsqueeze(-1)
        gres = None if gres is None else gres.unsqueeze(-1)
    ga = gb = 0.0
    if gx is not None:
        pinv = E.linalg.pinv(a)
        ga = _pinv_grad(E.matmul(gx, b.mT), a, pinv) if node.needs(0) else 0.0
        gb = E.matmul(pinv.mT, gx) if node.needs(1) else 0.0
    if gres is not None and gres.numel():
        residual = (E.matmul(a, x) - b) * gres.unsqueeze(-2) * 2
        ga = ga + E.matmul(residual, x.mT)
        gb = gb - residual
    if vector and _tensor(gb):
        gb = gb.squeeze(-1)
    return (ga if node.needs(0) and _tensor(ga) else None,
            gb if node.needs(1) and _tensor(gb) else None)


@derivative("matrix_power", "MmBackward0", save=(0,))
def _matrix_power(node, g, saved):
    """``sum_k (B^T)^k g (B^T)^(n-1-k)`` for B^n; a negative power is that of the inverse."""
    (a,) = saved
    n = node._params["n"]
    if n == 0:
        return (E.zeros_like(a),)
    b = a if n > 0 else E.linalg.inv(a)
    powers = [None, b.mT]  # powers[k] = (B^T)^k, None for the identity
    for _ in range(abs(n) - 2):
        powers.append(E.matmul(powers[-1], b.mT))
    gb = 0.0
    for k in range(abs(n)):
        term, right = g, powers[abs(n) - 1 - k]
        term = term if powers[k] is None else E.matmul(powers[k], term)
        gb = gb + (term if right is None else E.matmul(term, right))
    return (gb if n > 0 else -_triple(b.mT, gb, b.mT),)


def _matrix_power_name(inputs, params):
    """PyTorch's last step: a copy of I, a clone, an inverse, or a (batched) product."""
    n = params["n"]
    if n in (0, 1, -1):
        return {0: "CopyBackwards", 1: "CloneBackward0", -1: "LinalgInvExBackward0"}[n]
    return "MmBackward0" if inputs[0].ndim == 2 else "UnsafeViewBackward0"


variants("matrix_power", _matrix_power_name, ("CopyBackwards", "CloneBackward0",
                                              "LinalgInvExBackward0", "MmBackward0",
                                              "UnsafeViewBackward0"))


@derivative("matrix_norm", "LinalgVectorNormBackward0", save=(0, -1))
def _matrix_norm(node, g, saved):
    """'fro' is a vector norm; the max/min abs column (1) or row (inf) sums and the
    largest/smallest singular value (2) share the gradient between ties, as amax does;
    'nuc' is ``U Vh``."""
    a, y = saved
    p = node._params
    ord, (d0, d1) = p["ord"], p["dims"]
    if not p["keepdim"]:
        lo, hi = sorted((d0, d1))
        g, y = g.unsqueeze(lo).unsqueeze(hi), y.unsqueeze(lo).unsqueeze(hi)
    if ord == "fro":
        return (_p_norm_grad(g, a, y, 2, (d0, d1)),)
    if ord in (1, -1, math.inf, -math.inf):
        summed, over = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = a.abs().sum(summed, keepdim=True)
        # the extremum recomputed from the same sums (the kernel's may differ in the last bit)
        hit = sums == (sums.amax(over, keepdim=True) if ord > 0 else sums.amin(over, keepdim=True))
        return (E.sign(a) * E.where(hit, g / hit.sum(over, keepdim=True), 0.0),)
    u, s, vh = E.linalg.svd(a.movedim((d0, d1), (-2, -1)), full_matrices=False)
    g = g.movedim((d0, d1), (-2, -1)).squeeze(-1)  # (..., 1)
    if ord == "nuc":
        gs = g.expand(s.shape)
    else:
        hit = s == (s.amax(-1, keepdim=True) if ord == 2 else s.amin(-1, keepdim=True))
        gs = E.where(hit, g / hit.sum(-1, keepdim=True), 0.0)
    return (_triple(u, E.diag_embed(gs), vh).movedim((-2, -1), (d0, d1)),)


def _matrix_norm_name(inputs, params):
    ord = params["ord"]
    if ord in (2, -2, "nuc") and params["keepdim"]:
        return "PermuteBackward0"
    return {"fro": "LinalgVectorNormBackward0", "nuc": "SumBackward1", 2: "AmaxBackward0",
            1: "AmaxBackward0", math.inf: "AmaxBackward0"}.get(ord, "AminBackward0")


variants("matrix_norm", _matrix_norm_name, ("LinalgVectorNormBackward0", "SumBackward1",
                                            "AmaxBackward0", "AminBackward0", "PermuteBackward0"))


# --- losses (the weights are constants: only input and target get gradients) -------------
@derivative("nll_loss", "NllLossBackward0", save=(0, 1, 2))
def _nll_loss(node, g, saved):
    x, target, weight = saved
    p = node._params
    return (_loss_ops.nll_loss_backward(g, x, target, weight, p["reduction"], p["ignore_index"]),
            None, None)


@derivative("nll_loss_backward", "NllLossBackwardBackward0", save=(2, 3))
def _nll_loss_backward(node, gg, saved):
    # linear in the incoming gradient, whose adjoint is nll_loss itself; the input only gave
    # the shape
    target, weight = saved
    p = node._params
    g = _loss_ops.nll_loss(gg, target, weight, p["reduction"], p["ignore_index"]) \
        if node.needs(0) else None
    return g, (_zeros(node, 1, gg) if node.needs(1) else None), None, None


# (N, C, H, W) inputs have PyTorch's 2-D image loss nodes
variants("nll_loss", lambda inputs, params: "NllLoss2DBackward0" if inputs[0].ndim == 4
         else "NllLossBackward0", ("NllLossBackward0", "NllLoss2DBackward0"))
variants("nll_loss_backward", lambda inputs, params: "NllLoss2DBackwardBackward0"
         if inputs[1].ndim == 4 else "NllLossBackwardBackward0",
         ("NllLossBackwardBackward0", "NllLoss2DBackwardBackward0"))


def _loss_scale(node, g):
    """The incoming gradient of an elementwise loss, over the element count under 'mean'."""
    if node._params["reduction"] != "mean":
        return g
    return g / math.prod(_dispatch.broadcast_shapes(*(m[0] for m in node._meta if m is not None)))


@derivative("mse_loss", "MseLossBackward0", save=(0, 1))
def _mse_loss(node, g, saved):
    x, t = saved
    gx = (x - t) * (_loss_scale(node, g) * 2)
    return gx, (-gx if node.needs(1) else None)


@derivative("huber_loss", "HuberLossBackward0", save=(0, 1))
def _huber_loss(node, g, saved):
    x, t = saved
    delta = node._params["delta"]
    gx = E.clamp(x - t, -delta, delta) * _loss_scale(node, g)
    return gx, (-gx if node.needs(1) else None)


@derivative("smooth_l1_loss", "SmoothL1LossBackward0", save=(0, 1))
def _smooth_l1_loss(node, g, saved):
    x, t = saved
    beta = node._params["beta"]
    slope = E.sign(x - t) if beta == 0 else E.clamp((x - t) / beta, -1.0, 1.0)
    gx = slope * _loss_scale(node, g)
    return gx, (-gx if node.needs(1) else None)


@derivative("binary_cross_entropy", "BinaryCrossEntropyBackward0", save=(0, 1, 2))
def _binary_cross_entropy(node, g, saved):
    x, t, w = saved
    s = _loss_scale(node, g) if w is None else _loss_scale(node, g) * w
    gx = (x - t) / E.clamp((1 - x) * x, min=1e-12) * s if node.needs(0) else None
    gt = -E.logit(x) * s if node.needs(1) else None
    return gx, gt, None


@derivative("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
            save=(0, 1, 2, 3))
def _binary_cross_entropy_with_logits(node, g, saved):
    x, t, w, pos_weight = saved
    s = _loss_scale(node, g) if w is None else _loss_scale(node, g) * w
    if pos_weight is None:
        gx = (E.sigmoid(x) - t) * s if node.needs(0) else None
        gt = -x * s if node.needs(1) else None
        return gx, gt, None, None
    pt = pos_weight * t
    gx = ((pt + 1 - t) * E.sigmoid(x) - pt) * s if node.needs(0) else None
    if node.needs(1):  # log(sigmoid(x)) = -(log1p(exp(-|x|)) + max(-x, 0)), finite everywhere
        log_sigmoid = -(E.log1p(E.exp(-E.abs(x))) + E.relu(-x))
        gt = ((1 - pos_weight) * log_sigmoid - x) * s
    else:
        gt = None
    return gx, gt, None, None


# --- convolution and pooling (Note [im2col] in ember/_ops/conv.py) -------------------------
@derivative("convolution", "ConvolutionBackward0", save=((0, (1,)), (1, (0,)), (-2, (1,))),
            n_outputs=2)
def _convolution(node, g, saved):
    """The plain convolution's backward is the transposed one's forward, and the other
    way round: a product with the weight and col2im, or im2col and products."""
    x, w, cols = saved
    g = g[0] if isinstance(g, (list, tuple)) else g  # (the columns are never handed out)
    p = node._params
    x_shape, w_shape = node.input_shape(0), node.input_shape(1)
    n, groups = x_shape[0], p["groups"]
    geometry = {"kernel": tuple(w_shape[2:]), "stride": p["stride"], "padding": p["padding"],
                "dilation": p["dilation"]}
    gx = gw = None
    if not p["transposed"]:
        g2 = g.reshape(n, groups, -1, math.prod(p["size"]))                   # (N, G, Og, L)
        if node.needs(0):
            gcols = E.matmul(w.reshape(groups, w_shape[0] // groups, -1).mT, g2)  # (N, G, CgK, L)
            gx = _conv.col2im(gcols.reshape(n, -1, gcols.shape[-1]), x_shape[2:],
                              blocks=p["size"], **geometry)
        if node.needs(1):
            if E.is_grad_enabled() and x.requires_grad:  # the saved columns have no history
                cols = _conv.im2col(x, blocks=p["size"], **geometry)
            gw = E.matmul(g2, cols.view(n, groups, -1, cols.shape[-1]).mT).sum(0).reshape(w_shape)
    else:
        cols = _conv.im2col(g, blocks=tuple(x_shape[2:]), **geometry)          # (N, G*Og*K, L)
        cols = cols.view(n, groups, -1, cols.shape[-1])
        if node.needs(0):
            gx = E.matmul(w.reshape(groups, w_shape[0] // groups, -1), cols).reshape(x_shape)
        if node.needs(1):
            gw = E.matmul(x.reshape(n, groups, -1, cols.shape[-1]), cols.mT).sum(0).reshape(w_shape)
    if len(node.next_functions) == 2:
        return gx, gw
    return gx, gw, (g.sum((0,) + tuple(range(2, g.ndim))) if node.needs(2) else None)


@derivative("im2col", "Im2ColBackward0")
def _im2col(node, g, saved):
    return (_conv.col2im(g, node.input_shape(0)[2:], **node._params),)


def _window_params(node):
    """The window params of a backward-style op (col2im, avg_pool_backward): its params
    without the input ``size``, i.e. those of the forward op it inverts."""
    return {k: v for k, v in node._params.items() if k != "size"}


@derivative("col2im", "Col2ImBackward0")
def _col2im(node, g, saved):
    return (_conv.im2col(g, **_window_params(node)),)


@derivative("max_pool", "MaxPool2DWithIndicesBackward0", save=(-2,), n_outputs=2)
def _max_pool(node, g, saved):
    (indices,) = saved
    gv = g[0] if isinstance(g, (list, tuple)) else g
    if gv is None:
        return (None,)
    return (_conv.max_pool_backward(gv, indices, node.input_shape(0)[2:]),)


@derivative("max_pool_backward", "MaxPool2DWithIndicesBackwardBackward0", save=(1,))
def _max_pool_backward(node, gg, saved):
    (indices,) = saved
    return gg.flatten(2).gather(2, indices.flatten(2)).view(indices.shape), None


@derivative("avg_pool", "AvgPool2DBackward0")
def _avg_pool(node, g, saved):
    return (_conv.avg_pool_backward(g, node.input_shape(0)[2:], **node._params),)


@derivative("avg_pool_backward", "AvgPool2DBackwardBackward0")
def _avg_pool_backward(node, gg, saved):
    return (_conv.avg_pool_windows(gg, **_window_params(node)),)


for _op, _kind, _suffix in (("max_pool", "MaxPool", "WithIndicesBackward0"),
                            ("max_pool_backward", "MaxPool", "WithIndicesBackwardBackward0"),
                            ("avg_pool", "AvgPool", "Backward0"),
                            ("avg_pool_backward", "AvgPool", "BackwardBackward0")):
    variants(_op, lambda inputs, params, kind=_kind, suffix=_suffix:
             f"{kind}{3 if len(params.get('kernel', params.get('size'))) == 3 else 2}D{suffix}",
             (f"{_kind}2D{_suffix}", f"{_kind}3D{_suffix}"))


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
