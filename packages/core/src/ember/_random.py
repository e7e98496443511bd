"""Random number generators: counter-based Philox4x32-10, the same bits on every device.

A generator's state is a 64-bit seed (the Philox key) and a 64-bit counter offset.
Block ``i`` of the stream is ``philox4x32((offset + i) as two 32-bit words, 0, 0), key)``
and yields four 32-bit words; each draw reserves the blocks it consumes and moves the
offset past them. Nothing depends on the device but the array module ``xp`` the
rounds run on (numpy on the CPU, cupy on CUDA), so a seed gives bit-identical words,
and hence identical uniform and integer samples, everywhere.

Note [Samples from words]
    Every distribution is built from these words, in C order of the result's shape:
    uniforms keep the top ``digits`` bits of a word (53 bits from two words for
    float64), so they are exact and lie in [0, 1); integers are ``low + bits % span``;
    normals use Box-Muller on pairs of uniforms, computed in float64.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from . import _dtype as D
from ._device import CPU, as_device, get_backend

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "philox4x32"]

DEFAULT_SEED = 67280421310721  # PyTorch's default generator starts from this seed too
_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
# Philox4x32 round multipliers and Weyl key increments (Salmon et al., SC'11)
_MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
_KEY_STEPS = (0x9E3779B9, 0xBB67AE85)
_ROUNDS = 10
# numpy is fastest on blocks that stay in cache; a GPU wants one big launch
_NUMPY_CHUNK_BLOCKS = 1 << 14
# below this many blocks, array calls cost more than the arithmetic: use Python ints
_SMALL_BLOCKS = 8


def philox4x32(c0, c1, c2, c3, k0, k1, xp=np):
    """Philox4x32-10 of counter words (c0, c1, c2, c3) under key (k0, k1).

    The counters are arrays (any integer dtype, values < 2**32); the key words are ints.
    Returns the four output words as uint64 arrays holding 32-bit values.

    >>> import numpy as np
    >>> [hex(int(w[0])) for w in philox4x32(*[np.zeros(1, np.uint32)] * 4, 0, 0)]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    u64 = xp.uint64
    # lanes (x0, x2) are multiplied each round, (x1, x3) are xored in; one array per
    # pair halves the number of array calls
    mul = xp.stack([xp.asarray(c0), xp.asarray(c2)]).astype(u64)
    mix = xp.stack([xp.asarray(c1), xp.asarray(c3)]).astype(u64)
    factors = xp.asarray([[_MULTIPLIERS[0]], [_MULTIPLIERS[1]]], dtype=u64)
    product = xp.empty_like(mul)
    mask, shift = u64(_MASK32), u64(32)
    keys = xp.asarray(_round_keys(k0, k1), dtype=u64).reshape(_ROUNDS, 2, 1)
    for key in keys:
        xp.multiply(mul, factors, out=product)
        # the products are 64 bits wide (32 x 32); x0' = hi(x2 * M1) ^ x1 ^ k0,
        # x2' = hi(x0 * M0) ^ x3 ^ k1, x1' = lo(x2 * M1), x3' = lo(x0 * M0)
        crossed = product[::-1]
        xp.right_shift(crossed, shift, out=mul)
        mul ^= mix
        mul ^= key
        xp.bitwise_and(crossed, mask, out=mix)
    return mul[0], mix[0], mul[1], mix[1]


def _round_keys(k0, k1):
    """The key of each round: a Weyl sequence from (k0, k1)."""
    return [((k0 + r * _KEY_STEPS[0]) & _MASK32, (k1 + r * _KEY_STEPS[1]) & _MASK32)
            for r in range(_ROUNDS)]


def _philox_block(x0, x1, x2, x3, keys):
    """One Philox4x32 block on Python ints (`philox4x32` on one counter, without the
    per-call cost of array operations)."""
    m0, m1 = _MULTIPLIERS
    for k0, k1 in keys:
        p0, p1 = m0 * x0, m1 * x2
        x0, x1, x2, x3 = (p1 >> 32) ^ x1 ^ k0, p1 & _MASK32, (p0 >> 32) ^ x3 ^ k1, p0 & _MASK32
    return x0, x1, x2, x3


def _check_seed(value, op):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise RuntimeError(f"{op} expected a long, but got {type(value).__name__}")
    value = int(value)
    if not -(1 << 63) <= value <= _MASK64:
        raise ValueError("Overflow when unpacking long long")
    return value & _MASK64  # negative seeds wrap to uint64, as in PyTorch


class Generator:
    """A source of random numbers: Philox4x32-10 with a seed and a counter offset.

    The same seed gives the same numbers on every device and run after run.

    >>> import ember
    >>> g = ember.Generator().manual_seed(3)
    >>> a = ember.rand(2, generator=g)
    >>> bool((a == ember.rand(2, generator=g.manual_seed(3))).all())
    True
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._lock = threading.Lock()
        self._seed = DEFAULT_SEED
        self._offset = 0

    def __repr__(self):
        return f"<ember.Generator device={self.device} seed={self._seed} offset={self._offset}>"

    def manual_seed(self, seed):
        """Restart from `seed` (an int; negative seeds wrap to 64 bits); returns self."""
        seed = _check_seed(seed, "manual_seed")
        with self._lock:
            self._seed, self._offset = seed, 0
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor of 16 bytes: seed then offset, little-endian."""
        from ._tensor import _new_tensor
        with self._lock:
            words = np.array([self._seed, self._offset], dtype="<u8")
        return _new_tensor(words.view(np.uint8).copy(), D.uint8, CPU)

    def set_state(self, new_state):
        """Restore a state returned by `get_state`; returns self."""
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected an ember.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not D.uint8:
            raise TypeError("RNG state must be an ember.ByteTensor")
        if new_state.numel() != 16:
            raise RuntimeError(f"Expected a Philox generator state of size 16 (seed and offset) "
                               f"but found the input RNG state size to be {new_state.numel()}")
        seed, offset = np.ascontiguousarray(new_state._host_values()).reshape(-1).view("<u8")
        with self._lock:
            self._seed, self._offset = int(seed), int(offset)
        return self

    # --- the bit stream ----------------------------------------------------------
    def _reserve(self, blocks):
        """Claim `blocks` counters; returns (key, first counter). Thread-safe."""
        with self._lock:
            first = self._offset
            self._offset = (first + blocks) & _MASK64
            return self._seed, first

    def words(self, n, xp=np):
        """The next `n` 32-bit words of the stream as a uint32 array (1-D)."""
        blocks = -(-n // 4)
        key, first = self._reserve(blocks)
        k0, k1 = key & _MASK32, key >> 32
        if blocks <= _SMALL_BLOCKS:
            keys = _round_keys(k0, k1)
            counters = [(first + i) & _MASK64 for i in range(blocks)]
            flat = [w for c in counters for w in _philox_block(c & _MASK32, c >> 32, 0, 0, keys)]
            return xp.asarray(np.array(flat[:n], np.uint32))
        out = xp.empty((blocks, 4), xp.uint32)
        step = _NUMPY_CHUNK_BLOCKS if xp is np else max(blocks, 1)
        u64 = xp.uint64
        for start in range(0, blocks, step):
            stop = min(blocks, start + step)
            counter = xp.arange(start, stop, dtype=u64) + u64(first)  # wraps mod 2**64
            zero = xp.zeros(stop - start, u64)
            lanes = philox4x32(counter & u64(_MASK32), counter >> u64(32), zero, zero, k0, k1, xp)
            for j, lane in enumerate(lanes):
                out[start:stop, j] = lane
        return out.reshape(-1)[:n]

    def unit(self, n, xp=np, digits=53):
        """`n` uniforms in [0, 1) with `digits` random bits each (<= 32, or 53).

        The values are exact multiples of 2**-digits; with digits <= 24 they are float32
        (exact, and cheaper), else float64.
        """
        if digits == 53:
            w = self.words(2 * n, xp)
            hi, lo = w[0::2] >> xp.uint32(5), w[1::2] >> xp.uint32(6)  # 27 + 26 bits
            return (hi.astype(xp.float64) * 67108864.0 + lo) * 2.0 ** -53
        ftype = xp.float32 if digits <= 24 else xp.float64
        bits = self.words(n, xp) >> xp.uint32(32 - digits)
        return bits.astype(ftype) * ftype(2.0 ** -digits)

    def integers(self, n, low, span, xp=np):
        """`n` int64 values ``low + bits % span`` (span in [1, 2**64]), a word per value
        while the span fits in 32 bits and two above."""
        u64 = xp.uint64
        if span < 1 << 32 and -(1 << 63) <= low + span - 1 < 1 << 63:
            # the common case, in cheaper 32-bit arithmetic
            return (self.words(n, xp) % xp.uint32(span)).astype(xp.int64) + low
        if span <= 1 << 32:
            bits = self.words(n, xp).astype(u64)
        else:
            w = self.words(2 * n, xp).astype(u64)
            bits = (w[0::2] << u64(32)) | w[1::2]
        if span < 1 << 64:
            bits %= u64(span)
        bits += u64(low & _MASK64)  # two's complement: wraps into the int64 range
        return bits.view(xp.int64)

    def standard_normal(self, n, xp=np, precise=False):
        """`n` float64 standard normals by Box-Muller; 53-bit uniforms if `precise`
        (float64 results), else 32-bit ones (enough for float32 and narrower)."""
        pairs = -(-n // 2)
        digits = 53 if precise else 32
        u = self.unit(2 * pairs, xp, digits).astype(xp.float64)
        radius = xp.sqrt(-2.0 * xp.log1p(-u[0::2]))  # 1 - u is in (0, 1]: log never sees 0
        angle = (2.0 * np.pi) * u[1::2]
        out = xp.empty((pairs, 2), xp.float64)
        out[:, 0] = radius * xp.cos(angle)
        out[:, 1] = radius * xp.sin(angle)
        return out.reshape(-1)[:n]


# --- the default generators: one per device, all seeded together -------------------
_defaults: dict = {}
_defaults_lock = threading.Lock()
_global_seed = DEFAULT_SEED

default_generator = Generator("cpu")
_defaults[CPU] = default_generator


def default_generator_for(device):
    """The default generator of `device` (created on first use with the global seed)."""
    gen = _defaults.get(device)
    if gen is None:
        with _defaults_lock:
            gen = _defaults.get(device)
            if gen is None:
                gen = _defaults[device] = Generator(device).manual_seed(_global_seed)
    return gen


def generator_for(generator, device, op):
    """The generator an op draws from: `generator` (checked) or `device`'s default."""
    if generator is None:
        return default_generator_for(device)
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be ember.Generator, not "
                        f"{type(generator).__name__}")
    if generator.device.type != device.type:
        raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator


def manual_seed(seed):
    """Seed the default generators of every device; returns the CPU one.

    Like ``torch.manual_seed`` it accepts anything ``int()`` accepts.

    >>> import ember
    >>> _ = ember.manual_seed(0); a = ember.rand(3)
    >>> _ = ember.manual_seed(0); bool((a == ember.rand(3)).all())
    True
    """
    global _global_seed
    value = _check_seed(int(seed), "manual_seed")
    with _defaults_lock:
        _global_seed = value
        for gen in _defaults.values():
            gen.manual_seed(value)
    return default_generator


def seed():
    """Seed every default generator from the operating system's entropy; returns it."""
    value = int.from_bytes(os.urandom(8), "little")
    manual_seed(value)
    return value


def initial_seed():
    """The seed of the default CPU generator.

    >>> import ember
    >>> ember.manual_seed(7).initial_seed() == ember.initial_seed() == 7
    True
    """
    return default_generator.initial_seed()


def get_rng_state():
    """The default CPU generator's state (a uint8 tensor); restore it with `set_rng_state`."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default CPU generator's state from `get_rng_state`."""
    default_generator.set_state(new_state)


def backend_xp(device):
    """The array module of `device`'s backend."""
    return get_backend(device.type).xp
