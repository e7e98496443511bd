"""Random sampling: creation functions, sampling ops and the in-place initialisers.

Every sample is drawn from a `Generator` (see `_random`): counter-based Philox run on
the array module of the tensor's device, so a seed gives the same numbers on every
device. Values are generated in C order of the result's logical shape, whatever the
strides of the tensor they are written into.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _autograd_seam as seam
from .. import _dtype as D
from .. import _random as R
from .._dispatch import (_type_name, broadcast_shapes, check_shape, common_device, compute_array,
                         compute_dtype, needs_grad, record, result_from, store)
from .._grad_mode import state as grad_state
from .._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                       seed, set_rng_state)
from .._tensor import Tensor, _new_tensor
from .creation import _finish, empty

_UNSET = object()  # tells random_(to) from random_(from, None)
# the C++ type names PyTorch's bound errors use
_C_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
            "int32": "int", "int64": "long", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}  # significand bits


def _fmt(x):
    """A number the way PyTorch's C++ messages print it (2.0 -> 2, 3e38 -> 3e+38)."""
    return str(x) if isinstance(x, (int, np.integer)) else f"{float(x):g}"


def _check_tensor(x, op, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _check_number(x, op, name):
    if isinstance(x, Tensor) and x.numel() == 1:
        x = x.item()
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(x).__name__}")
    return x


def _check_int(x, op, name, position):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be int, "
                        f"not {type(x).__name__}")
    return int(x)


def _require_float(t, op):
    if not t._dtype.is_floating_point:
        raise NotImplementedError(f"\"{op}\" not implemented for '{_type_name(t._dtype)}'")


def _continuous(t, what):
    if not t._dtype.is_floating_point:
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {_type_name(t._dtype)}")


def _source(t, generator, op):
    """(generator, array module) for sampling into `t`."""
    return R.generator_for(generator, t._device, op), R.backend_xp(t._device)


def _digits(dtype):
    return _DIGITS.get(dtype.name, 53)


def _as_stored(values, dtype, xp):
    """`values` rounded once to `dtype`'s precision, returned in its compute dtype (so a
    later store is exact)."""
    if dtype is D.bfloat16:
        rounded = D.bf16_to_f32(D.f32_to_bf16(values.astype(xp.float32)))
    else:
        rounded = values.astype(dtype.np, copy=False)
    return rounded.astype(compute_dtype(dtype).np, copy=False)


def _write(self, values, op):
    """Write `values` (self's shape, C order) into `self` in place, or through autograd.

    In-place sampling overwrites the tensor, so like PyTorch it is refused on leaves
    that require grad (outside no_grad) and gives zero gradient to what it overwrote.
    """
    if grad_state.enabled and self._requires_grad:
        if self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        from .pointwise import where
        fresh = result_from(values, self._dtype, self._device)
        keep_none = _new_tensor(R.backend_xp(self._device).zeros(self._data.shape, bool),
                                D.bool, self._device)
        return seam.require(op).apply_inplace(op, self, lambda old: where(keep_none, old, fresh))
    store(self, values)
    self._version_counter.bump(op)
    return self


def _inplace_target(self, op):
    _check_tensor(self, op, "self")
    return self._data.shape, self.numel()


# --- in-place initialisers (Tensor methods) ------------------------------------------
def uniform_(self, a=0, b=1, *, generator=None):
    """Fill with samples from the continuous uniform distribution on [a, b).

    >>> import ember
    >>> x = ember.Tensor(7, 5).uniform_(-1, 1)
    >>> bool(((x >= -1) & (x < 1)).all())
    True
    """
    shape, n = _inplace_target(self, "uniform_")
    _require_float(self, "uniform_")
    a, b = _check_number(a, "uniform_", "from"), _check_number(b, "uniform_", "to")
    _check_uniform_bounds(self._dtype, a, b)
    gen, xp = _source(self, generator, "uniform_")
    return _write(self, _uniform(gen, xp, n, self._dtype, a, b).reshape(shape), "uniform_")


def _check_uniform_bounds(dtype, a, b):
    top = D.finfo(dtype).max
    cname = _C_NAMES[dtype.name]
    if not -top <= a <= top:
        raise RuntimeError(f"from is out of bounds for {cname}")
    if not -top <= b <= top:
        raise RuntimeError(f"to is out of bounds for {cname}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(a)} > to={_fmt(b)}")
    if b - a > top:
        raise RuntimeError(f"uniform_ expects to-from <= the largest {cname} ({top:g}), but found "
                           f"to={_fmt(b)} and from={_fmt(a)} which result in to-from to exceed the "
                           "limit")


def _uniform(gen, xp, n, dtype, a, b):
    u = gen.unit(n, xp, _digits(dtype))  # exact in `dtype`, in [0, 1)
    if a == 0 and b == 1:
        return u
    values = _as_stored(a + (b - a) * u.astype(xp.float64), dtype, xp)
    # rounding may reach b: the interval is half-open, so such a sample maps to a
    return xp.where(values == b, values.dtype.type(a), values)


def normal_(self, mean=0, std=1, *, generator=None):
    """Fill with samples from the normal distribution N(mean, std**2).

    >>> import ember
    >>> ember.zeros(3).normal_(5, 0).tolist()
    [5.0, 5.0, 5.0]
    """
    shape, n = _inplace_target(self, "normal_")
    _require_float(self, "normal_")
    mean, std = _check_number(mean, "normal_", "mean"), _check_number(std, "normal_", "std")
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    gen, xp = _source(self, generator, "normal_")
    z = gen.standard_normal(n, xp, precise=self._dtype is D.float64)
    return _write(self, _as_stored(mean + std * z, self._dtype, xp).reshape(shape), "normal_")


def log_normal_(self, mean=1, std=2, *, generator=None):
    """Fill with ``exp(x)`` for x ~ N(mean, std**2).

    >>> import ember
    >>> bool((ember.zeros(4).log_normal_() > 0).all())
    True
    """
    shape, n = _inplace_target(self, "log_normal_")
    _require_float(self, "log_normal_")
    mean, std = _check_number(mean, "log_normal_", "mean"), _check_number(std, "log_normal_", "std")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    gen, xp = _source(self, generator, "log_normal_")
    z = gen.standard_normal(n, xp, precise=self._dtype is D.float64)
    return _write(self, _as_stored(xp.exp(mean + std * z), self._dtype, xp).reshape(shape),
                  "log_normal_")


def exponential_(self, lambd=1, *, generator=None):
    """Fill with samples from the exponential distribution of rate `lambd`.

    >>> import ember
    >>> bool((ember.zeros(4).exponential_(2) >= 0).all())
    True
    """
    shape, n = _inplace_target(self, "exponential_")
    _continuous(self, "Exponential")
    lambd = _check_number(lambd, "exponential_", "lambd")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    gen, xp = _source(self, generator, "exponential_")
    u = gen.unit(n, xp, 53 if self._dtype is D.float64 else 32).astype(xp.float64)
    values = -xp.log1p(-u) / lambd  # inversion: 1 - u is in (0, 1]
    return _write(self, _as_stored(values, self._dtype, xp).reshape(shape), "exponential_")


def cauchy_(self, median=0, sigma=1, *, generator=None):
    """Fill with samples from the Cauchy distribution ``median + sigma * tan(pi * (u - 1/2))``.

    >>> import ember
    >>> ember.zeros(3).cauchy_().shape
    ember.Size([3])
    """
    shape, n = _inplace_target(self, "cauchy_")
    _continuous(self, "Cauchy")
    median = _check_number(median, "cauchy_", "median")
    sigma = _check_number(sigma, "cauchy_", "sigma")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    gen, xp = _source(self, generator, "cauchy_")
    u = gen.unit(n, xp, 53 if self._dtype is D.float64 else 32).astype(xp.float64)
    values = median + sigma * xp.tan(np.pi * (u - 0.5))
    return _write(self, _as_stored(values, self._dtype, xp).reshape(shape), "cauchy_")


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (>= 1).

    >>> import ember
    >>> bool((ember.zeros(5, dtype=ember.int64).geometric_(0.5) >= 1).all())
    True
    """
    shape, n = _inplace_target(self, "geometric_")
    if self._dtype is D.bool:
        raise NotImplementedError("\"geometric_\" not implemented for 'Bool'")
    p = _check_number(p, "geometric_", "p")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    gen, xp = _source(self, generator, "geometric_")
    u = gen.unit(n, xp, 53) + 2.0 ** -54  # strictly inside (0, 1): the count is >= 1
    values = xp.ceil(xp.log(u) / math.log1p(-p))
    return _write(self, _as_stored(values, self._dtype, xp).reshape(shape), "geometric_")


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 where a uniform sample falls below `p` (a float or a tensor
    broadcastable to self), else 0.

    >>> import ember
    >>> ember.zeros(3).bernoulli_(1.0).tolist()
    [1.0, 1.0, 1.0]
    """
    shape, n = _inplace_target(self, "bernoulli_")
    xp = R.backend_xp(self._device)
    if isinstance(p, Tensor):
        common_device((self, p), "bernoulli_")
        _check_expandable(p._data.shape, shape)
        probs = _probabilities(p, xp)
        probs = xp.broadcast_to(probs, shape)
    else:
        p = _check_number(p, "bernoulli_", "p")
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
        probs = p
    gen, _ = _source(self, generator, "bernoulli_")
    hits = gen.unit(n, xp, 53).reshape(shape) < probs
    return _write(self, hits.astype(compute_dtype(self._dtype).np), "bernoulli_")


def _check_expandable(source, target):
    """`p` must broadcast to self's shape without self growing (PyTorch's expand error)."""
    offset = len(target) - len(source)
    if offset < 0:
        raise RuntimeError(f"expand(size={list(target)}): the number of sizes provided "
                           f"({len(target)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(source)})")
    for i, s in enumerate(source):
        if s != 1 and s != target[i + offset]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i + offset]}) must match "
                               f"the existing size ({s}) at non-singleton dimension {i + offset}.  "
                               f"Target sizes: {list(target)}.  Tensor sizes: {list(source)}")


def _probabilities(p, xp):
    """`p`'s values as float64, checked to lie in [0, 1]."""
    probs = compute_array(p, compute_dtype(p._dtype)).astype(xp.float64)
    if probs.size and not bool(((probs >= 0) & (probs <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return probs


def random_(self, from_=_UNSET, to=_UNSET, *, generator=None):
    """Fill with integers drawn uniformly from [from, to - 1]: ``random_(to)``,
    ``random_(from, to)``, ``random_(from, None)`` (up to the dtype's largest value) or
    ``random_()`` (0 up to the largest value; for floats, up to 2**significand-digits).

    >>> import ember
    >>> bool(((ember.zeros(100).random_(3, 5) - 3.5).abs() == 0.5).all())
    True
    """
    shape, n = _inplace_target(self, "random_")
    if from_ is _UNSET:
        from_, to = 0, None if to is _UNSET else to
    elif to is _UNSET:
        from_, to = 0, from_  # random_(to)
    low, span = _random_range(self._dtype, from_, to)
    gen, xp = _source(self, generator, "random_")
    values = gen.integers(n, low, span, xp).reshape(shape)
    return _write(self, values.astype(compute_dtype(self._dtype).np), "random_")


def _dtype_bounds(dtype):
    """The integers a dtype holds exactly: [min, max]."""
    if dtype is D.bool:
        return 0, 1
    if dtype.is_floating_point:
        top = 1 << _digits(dtype)
        return -top, top
    info = D.iinfo(dtype)
    return info.min, info.max


def _random_range(dtype, low, high):
    """(low, span) of random_'s draws into `dtype`, with PyTorch's checks."""
    low = _check_int(low, "random_", "from", 1)
    if high is not None:
        high = _check_int(high, "random_", "to", 2)
    for value in (low, high):
        if value is not None and not -(1 << 63) <= value < (1 << 63):
            raise ValueError("Overflow when unpacking long long")
    lo, hi = _dtype_bounds(dtype)
    cname = _C_NAMES[dtype.name]
    if high is None:
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {cname}")
        return low, hi - low + 1
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    if dtype.is_floating_point:
        # floats cannot hold every integer past 2**digits: PyTorch only warns here
        for name, value in (("from", low), ("to - 1", high - 1)):
            if not lo <= value <= hi:
                d = _digits(dtype)
                warnings.warn(f"{name} is out of bounds [-(2^{d}), 2^{d}]. "
                              f"Due to precision limitations {cname} can support discrete uniform "
                              "distribution only within this range.", UserWarning, stacklevel=3)
    else:
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {cname}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {cname}")
    return low, high - low


# --- creation functions -----------------------------------------------------------
def _creation_dtype(dtype, out, default, op):
    if dtype is not None:
        dtype = D.as_dtype(dtype)
        if out is not None and out._dtype is not dtype:
            raise RuntimeError(f"{op}(): dtype {_type_name(dtype)} does not match dtype of out "
                               f"parameter ({_type_name(out._dtype)})")
        return dtype
    return out._dtype if out is not None else default


def _create(size, dtype, device, requires_grad, out, op, default=None, generator=None):
    """A new uninitialised tensor (or the `out` tensor, resized) to sample into."""
    if not size:
        raise TypeError(f"{op}() missing required argument 'size'")
    shape = check_shape(size, op)
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be ember.Generator, not "
                        f"{type(generator).__name__}")
    if out is not None:
        _check_tensor(out, op, "out")
    dtype = _creation_dtype(dtype, out, default or D.get_default_dtype(), op)
    if requires_grad and not dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    if out is None:
        return empty(shape, dtype=dtype, device=device)
    if out.shape != shape:  # factories resize `out` silently, as in PyTorch
        out._data = empty(shape, dtype=out._dtype, device=out._device)._data
    return out


def _created(t, requires_grad, out):
    return t if out is not None else _finish(t, requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Samples from the uniform distribution on [0, 1), of the given shape.

    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> x = ember.rand(2, 3, generator=g)
    >>> x.shape, bool(((x >= 0) & (x < 1)).all())
    (ember.Size([2, 3]), True)
    """
    t = _create(size, dtype, device, requires_grad, out, "rand", generator=generator)
    return _created(uniform_(t, generator=generator), requires_grad, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Samples from the standard normal distribution, of the given shape.

    >>> import ember
    >>> ember.randn((2, 3), dtype=ember.float64).dtype
    ember.float64
    """
    t = _create(size, dtype, device, requires_grad, out, "randn", generator=generator)
    return _created(normal_(t, generator=generator), requires_grad, out)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless `dtype` says otherwise.

    >>> import ember
    >>> x = ember.randint(3, 5, (100,))
    >>> x.dtype, sorted(set(x.tolist()))
    (ember.int64, [3, 4])
    """
    high_position = 2
    if size is None:
        if high is not None and not isinstance(high, (int, np.integer)):
            low, high, size, high_position = 0, low, high, 1  # randint(high, size)
        elif high is not None:
            raise TypeError("randint(): missing required argument 'size'")
        else:
            raise TypeError("randint(): missing required arguments 'high' and 'size'")
    elif high is None:
        low, high, high_position = 0, low, 1  # randint(high, size=...)
    low = _check_int(low, "randint", "low", 1)
    high = _check_int(high, "randint", "high", high_position)
    if not isinstance(size, (tuple, list)) and not isinstance(size, Tensor):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    t = _create((size,), dtype, device, requires_grad, out, "randint", D.int64, generator)
    return _created(random_(t, low, high, generator=generator), requires_grad, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of ``0 .. n-1`` (int64 unless `dtype` says otherwise).

    >>> import ember
    >>> sorted(ember.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    n = _check_int(n, "randperm", "n", 1)
    t = _create((n,), dtype, device, requires_grad, out, "randperm", D.int64, generator)
    if t._dtype is D.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    lo, hi = _dtype_bounds(t._dtype)
    if n - 1 > hi:
        raise RuntimeError(f"randperm(): n={n} is too large for result type "
                           f"{_type_name(t._dtype)}: value cannot be converted to type "
                           f"{_C_NAMES[t._dtype.name]} without overflow")
    gen, xp = _source(t, generator, "randperm")
    # sort random 64-bit keys whose low bits hold the index: the keys are distinct, so
    # every sort (numpy's, cupy's) gives the same order, and the sorted keys' low bits
    # are the permutation (a plain sort is much faster than an argsort)
    index_bits = max(1, (n - 1).bit_length())
    u64 = xp.uint64
    keys = gen.integers(n, 0, 1 << 64, xp).view(u64)
    keys = (keys >> u64(index_bits) << u64(index_bits)) | xp.arange(n, dtype=u64)
    order = xp.sort(keys) & u64((1 << index_bits) - 1)
    _write(t, order.astype(compute_dtype(t._dtype).np), "randperm")
    return _created(t, requires_grad, out)


def _like(input, dtype, device, op):
    _check_tensor(input, op)
    return (input._dtype if dtype is None else dtype), (input._device if device is None else device)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Uniform samples on [0, 1) shaped like `input` (its dtype and device by default).

    >>> import ember
    >>> ember.rand_like(ember.zeros(2, dtype=ember.float64)).dtype
    ember.float64
    """
    dtype, device = _like(input, dtype, device, "rand_like")
    return rand(input.shape, generator=generator, dtype=dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Standard normal samples shaped like `input`.

    >>> import ember
    >>> ember.randn_like(ember.zeros(2, 3)).shape
    ember.Size([2, 3])
    """
    dtype, device = _like(input, dtype, device, "randn_like")
    return randn(input.shape, generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    """Integers from [low, high) shaped like `input` (and of its dtype by default):
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``.

    >>> import ember
    >>> ember.randint_like(ember.zeros(4), 1, 2).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device, "randint_like")
    return randint(low, high, input.shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)


# --- sampling ops -------------------------------------------------------------------
def _finish_sample(result, op, inputs, params, out):
    if out is not None:
        from .._dispatch import check_out, write_out
        check_out(out, op, inputs)
        return write_out(out, result, op)
    if needs_grad(inputs):
        record(op, inputs, result, params)
    return result


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """Samples from N(mean, std**2): ``normal(mean, std)`` with tensor mean and/or std
    (broadcast together), or ``normal(mean, std, size)`` with numbers.

    >>> import ember
    >>> ember.normal(ember.tensor([1.0, 10.0]), 0.0)
    tensor([ 1., 10.])
    >>> ember.normal(0.0, 1.0, (2, 2)).shape
    ember.Size([2, 2])
    """
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one of "
                            "(Tensor mean, Tensor std), (Tensor mean, float std), "
                            "(float mean, Tensor std) or "
                            "(float mean, float std, tuple of ints size)")
        mean, std = _check_number(mean, "normal", "mean"), _check_number(std, "normal", "std")
        t = _create((size,), dtype, device, requires_grad, out, "normal", generator=generator)
        return _created(normal_(t, mean, std, generator=generator), requires_grad, out)
    if size is not None:
        raise TypeError("normal(): 'size' is only accepted with float mean and std; the shape "
                        "comes from the tensor arguments")
    for name, x in (("mean", mean), ("std", std)):
        if not isinstance(x, Tensor):
            _check_number(x, "normal", name)
    device = common_device(tensors, "normal")
    result_dtype = tensors[0]._dtype  # mean's dtype when it is a tensor, as in PyTorch
    if not result_dtype.is_floating_point:
        raise NotImplementedError(f"\"normal\" not implemented for '{_type_name(result_dtype)}'")
    shape = broadcast_shapes(*[t._data.shape for t in tensors])
    xp = R.backend_xp(device)
    mu, sigma = (compute_array(x, compute_dtype(x._dtype)).astype(xp.float64)
                 if isinstance(x, Tensor) else float(x) for x in (mean, std))
    if isinstance(std, Tensor):
        if sigma.size and not bool((sigma >= 0).all()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not sigma >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(sigma)}")
    gen = R.generator_for(generator, device, "normal")
    z = gen.standard_normal(math.prod(shape), xp, precise=result_dtype is D.float64)
    z = z.reshape(shape)
    result = result_from(mu + sigma * z, result_dtype, device)
    if out is None and needs_grad(tensors):
        # recorded like a pointwise op on (mean, std), numbers included: d/dmean = grad,
        # d/dstd = grad * noise, each summed down to its operand's shape
        record("normal", (mean, std), result, {"noise": result_from(z, result_dtype, device)})
        return result
    return _finish_sample(result, "normal", tuple(tensors), {}, out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Draws 1 with probability `input` (or `p`, for every element), else 0; the result
    has input's shape and dtype.

    >>> import ember
    >>> ember.bernoulli(ember.tensor([0.0, 1.0, 1.0]))
    tensor([0., 1., 1.])
    """
    _check_tensor(input, "bernoulli")
    if p is None:
        if not input._dtype.is_floating_point:
            raise NotImplementedError(f"\"bernoulli\" not implemented for "
                                      f"'{_type_name(input._dtype)}'")
        p = input
    result = _new_tensor(R.backend_xp(input._device).empty(input._data.shape,
                                                           input._dtype.np), input._dtype,
                         input._device)
    bernoulli_(result, p, generator=generator)
    # the samples do not depend smoothly on the probabilities: zero gradient
    return _finish_sample(result, "bernoulli", (input,), {}, out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the categories of each row of `input` (unnormalised,
    non-negative weights); without replacement every row's indices are distinct.

    >>> import ember
    >>> ember.multinomial(ember.tensor([0.0, 3.0, 0.0]), 2, replacement=True)
    tensor([1, 1])
    >>> sorted(ember.multinomial(ember.tensor([1.0, 2.0, 3.0]), 3).tolist())
    [0, 1, 2]
    """
    _check_tensor(input, "multinomial")
    n = _check_int(num_samples, "multinomial", "num_samples", 2)
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input._dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(input._dtype)}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = input.shape[-1]
    if not replacement and n > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if categories > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    xp = R.backend_xp(input._device)
    weights = compute_array(input, compute_dtype(input._dtype)).astype(xp.float64)
    weights = weights.reshape(-1, categories)
    if weights.size:
        if not bool((xp.isfinite(weights) & (weights >= 0)).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if weights.shape[0] and not bool((weights.sum(axis=1) > 0).all()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = R.generator_for(generator, input._device, "multinomial")
    if replacement:
        picks = _with_replacement(gen, xp, weights, n)
    else:
        picks = _without_replacement(gen, xp, weights, n)
    result = result_from(picks.reshape(input.shape[:-1] + (n,)), D.int64, input._device)
    return _finish_sample(result, "multinomial", (), {}, out)


def _with_replacement(gen, xp, weights, n):
    # inverse CDF: the first category whose running total exceeds u * total
    rows, categories = weights.shape
    cumulative = xp.cumsum(weights, axis=1)
    targets = gen.unit(rows * n, xp, 53).reshape(rows, n) * cumulative[:, -1:]
    # u * total can round up to the total: never step past the last possible category
    last = categories - 1 - xp.argmax(weights[:, ::-1] > 0, axis=1)
    picks = xp.empty((rows, n), xp.int64)
    for r in range(rows):
        picks[r] = xp.searchsorted(cumulative[r], targets[r], side="right")
    return xp.minimum(picks, last[:, None])


def _without_replacement(gen, xp, weights, n):
    # each category races with an exponential clock of rate w: sorting w / E (E ~ Exp(1))
    # in decreasing order draws categories one by one without replacement
    rows, categories = weights.shape
    u = gen.unit(rows * categories, xp, 53).reshape(rows, categories)
    clock = -xp.log1p(-u)
    with np.errstate(divide="ignore"):
        keys = weights / clock
    # zero-weight categories come last, in index order, when n asks for them
    keys = xp.where(weights > 0, keys, -1.0 - xp.arange(categories, dtype=xp.float64))
    return xp.argsort(-keys, axis=1)[:, :n]


__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "rand", "rand_like", "randn", "randn_like", "randint",
           "randint_like", "randperm", "normal", "bernoulli", "multinomial"]
METHODS = {"uniform_": uniform_, "normal_": normal_, "log_normal_": log_normal_,
           "exponential_": exponential_, "cauchy_": cauchy_, "geometric_": geometric_,
           "bernoulli_": bernoulli_, "random_": random_, "bernoulli": bernoulli,
           "multinomial": multinomial}
