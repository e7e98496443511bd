"""Random numbers: Philox4x32-10 bits, generators and their state, every distribution.

Samples cannot match PyTorch's (it uses other bit sources), so PyTorch parity covers
shapes, dtypes, argument forms and errors; values are checked against the Philox
known answers, against numpy reimplementations of the transforms, and statistically
(with fixed seeds, so every run sees the same numbers).
"""
import warnings

import numpy as np
import pytest

import ember
from ember import _device, _random
from ember._kernels.reference import Kernels
from ember._random import philox4x32

# Random123's known-answer vectors for philox4x32_10: (counter, key) -> output
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def gen(seed=0):
    return ember.Generator().manual_seed(seed)


def values(t):
    return np.asarray(t, dtype=np.float64)


def first_words(seed, n):
    """The first `n` words of a seed's stream, straight from philox4x32."""
    blocks = -(-n // 4)
    counter = np.arange(blocks, dtype=np.uint64)
    zero = np.zeros(blocks, np.uint64)
    lanes = philox4x32(counter & 0xFFFFFFFF, counter >> np.uint64(32), zero, zero,
                       seed & 0xFFFFFFFF, seed >> 32)
    return np.stack(lanes, axis=1).reshape(-1)[:n].astype(np.uint64)


# --- the bit source ------------------------------------------------------------------
@pytest.mark.parametrize("counter,key,expected", KAT)
def test_philox_known_answers(counter, key, expected):
    words = philox4x32(*[np.array([c], np.uint32) for c in counter], *key)
    assert [int(w[0]) for w in words] == list(expected)


def test_philox_is_vectorised_lane_by_lane():
    counters = [np.array([KAT[i][0][j] for i in range(3)], np.uint64) for j in range(4)]
    # one key per call: each vector below is checked under its own key
    for i, (_, key, expected) in enumerate(KAT):
        words = philox4x32(*counters, *key)
        assert [int(w[i]) for w in words] == list(expected)


def test_stream_starts_with_the_known_answer_and_counts_blocks():
    g = gen(0)
    assert g.words(4).tolist() == list(KAT[0][2])  # seed 0 = key (0, 0), counter 0
    g.manual_seed(0)
    np.testing.assert_array_equal(g.words(4 * 300), first_words(0, 4 * 300))
    # a draw reserves whole blocks: 5 words use 2 blocks, the next draw starts at block 2
    g.manual_seed(12345)
    g.words(5)
    np.testing.assert_array_equal(g.words(4), first_words(12345, 12)[8:])
    # splitting a draw on block boundaries gives the same stream
    a = gen(9).words(8)
    g = gen(9)
    b = np.concatenate([g.words(4), g.words(4)])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 5, 2 ** 64 - 1, 12345678901234])
@pytest.mark.parametrize("offset", [0, 2 ** 32 - 3, 2 ** 64 - 2])
def test_small_draws_and_array_draws_give_one_stream(seed, offset):
    # draws of a few blocks run the rounds on Python ints, larger ones on arrays; both
    # must be the same function of the counter, also where its low word (or all of it) wraps
    small, large = gen(seed), gen(seed)
    small._offset = large._offset = offset
    pieces = np.concatenate([small.words(32) for _ in range(8)])  # 8 blocks per draw
    np.testing.assert_array_equal(pieces, large.words(256))
    assert small._offset == large._offset == (offset + 64) % 2 ** 64


def test_large_seed_uses_both_key_words():
    seed = (0xA4093822 << 32) | 0x299F31D0
    assert seed >> 32 == 0xA4093822
    np.testing.assert_array_equal(gen(seed).words(8), first_words(seed, 8))
    assert not np.array_equal(gen(seed).words(8), gen(seed & 0xFFFFFFFF).words(8))


def test_rand_known_answer_float32_and_float64():
    w = first_words(0, 16)
    x = ember.rand(4, generator=gen(0))
    assert x.dtype is ember.float32
    assert values(x).tolist() == ((w[:4] >> np.uint64(8)) * 2.0 ** -24).tolist()
    y = ember.rand(2, generator=gen(0), dtype=ember.float64)
    hi, lo = w[0:4:2] >> np.uint64(5), w[1:4:2] >> np.uint64(6)
    assert values(y).tolist() == ((hi * 67108864.0 + lo) * 2.0 ** -53).tolist()


def test_randint_known_answer():
    w = first_words(0, 6).astype(np.int64)
    assert ember.randint(10, (6,), generator=gen(0)).tolist() == (w % 10).tolist()
    assert ember.randint(-3, 4, (2, 3), generator=gen(0)).tolist() == \
        (w % 7 - 3).reshape(2, 3).tolist()


def test_randn_matches_box_muller_on_the_words():
    w = first_words(5, 6).astype(np.float64) * 2.0 ** -32
    r = np.sqrt(-2 * np.log1p(-w[0::2]))
    expected = np.stack([r * np.cos(2 * np.pi * w[1::2]), r * np.sin(2 * np.pi * w[1::2])], 1)
    got = ember.randn(5, generator=gen(5), dtype=ember.float64)
    # float64 normals use 53-bit uniforms: check the float32 path, which uses these words
    got32 = ember.randn(5, generator=gen(5))
    np.testing.assert_array_equal(values(got32), expected.reshape(-1)[:5].astype(np.float32))
    assert got.dtype is ember.float64 and np.isfinite(values(got)).all()


# --- generators and their state --------------------------------------------------------
def test_same_seed_same_numbers_and_generators_are_independent():
    a, b = gen(42), gen(42)
    x = ember.rand(100, generator=a)
    ember.randn(50, generator=gen(7))  # draws from other generators do not matter
    ember.manual_seed(3)
    ember.rand(10)
    assert ember.equal(x, ember.rand(100, generator=b))
    assert not ember.equal(x, ember.rand(100, generator=a))  # a moved on
    assert not ember.equal(ember.rand(100, generator=gen(43)), ember.rand(100, generator=gen(42)))


def test_manual_seed_makes_default_draws_repeatable():
    ember.manual_seed(2024)
    first = [ember.rand(3), ember.randn(2, 2), ember.randint(0, 100, (4,)), ember.randperm(6)]
    ember.manual_seed(2024)
    second = [ember.rand(3), ember.randn(2, 2), ember.randint(0, 100, (4,)), ember.randperm(6)]
    for a, b in zip(first, second):
        assert ember.equal(a, b)
    assert ember.initial_seed() == 2024
    assert ember.manual_seed(5) is ember.default_generator


def test_explicit_generator_leaves_the_default_alone():
    ember.manual_seed(11)
    expected = ember.rand(4)
    ember.manual_seed(11)
    ember.rand(1000, generator=gen(1))
    assert ember.equal(ember.rand(4), expected)


def test_fresh_generator_has_pytorchs_default_seed(torch):
    g = ember.Generator()
    assert g.initial_seed() == 67280421310721 == torch.Generator().initial_seed()
    assert g.device == ember.device("cpu")
    assert ember.Generator(ember.device("cpu")).device.type == "cpu"


@pytest.mark.parametrize("value,expected", [(-1, 2 ** 64 - 1), (-(2 ** 63), 2 ** 63),
                                            (2 ** 64 - 1, 2 ** 64 - 1), (7, 7)])
def test_seed_wraps_to_64_bits_like_pytorch(torch, value, expected):
    assert ember.Generator().manual_seed(value).initial_seed() == expected
    assert torch.Generator().manual_seed(value).initial_seed() == expected


@pytest.mark.parametrize("value", [2 ** 64, -(2 ** 63) - 1])
def test_seed_overflow(torch, value):
    with pytest.raises(ValueError, match="Overflow"):
        ember.Generator().manual_seed(value)
    with pytest.raises(ValueError, match="Overflow"):
        torch.Generator().manual_seed(value)


def test_seed_types(torch):
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        ember.Generator().manual_seed(1.5)
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        torch.Generator().manual_seed(1.5)
    # the module-level function takes anything int() takes, as torch's does
    assert ember.manual_seed("12").initial_seed() == 12 == torch.manual_seed("12").initial_seed()
    assert ember.manual_seed(3.7).initial_seed() == 3


def test_nondeterministic_seed():
    g = ember.Generator()
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2 ** 64
    assert ember.equal(ember.rand(5, generator=g), ember.rand(5, generator=gen(s)))
    s = ember.seed()
    assert ember.initial_seed() == s


def test_state_save_restore():
    g = gen(99)
    ember.rand(7, generator=g)
    state = g.get_state()
    assert state.dtype is ember.uint8 and state.shape == (16,)
    a = ember.randn(3, 4, generator=g)
    g.manual_seed(1)
    assert g.set_state(state) is g
    assert ember.equal(ember.randn(3, 4, generator=g), a)
    assert g.initial_seed() == 99
    # the state is a copy: later draws do not change it
    before = state.tolist()
    ember.rand(3, generator=g)
    assert state.tolist() == before
    # seed then offset (in blocks), little-endian
    assert np.asarray(gen(2 ** 40 + 5).get_state()).view("<u8").tolist() == [2 ** 40 + 5, 0]
    g = gen(1)
    ember.rand(9, generator=g)
    assert np.asarray(g.get_state()).view("<u8").tolist() == [1, 3]


def test_default_rng_state_save_restore():
    ember.manual_seed(5)
    state = ember.get_rng_state()
    a = ember.rand(4)
    ember.rand(4)
    ember.set_rng_state(state)
    assert ember.equal(ember.rand(4), a)


def test_state_errors(torch):
    g = ember.Generator()
    with pytest.raises(RuntimeError, match="state size to be 3"):
        g.set_state(ember.zeros(3, dtype=ember.uint8))
    with pytest.raises(TypeError, match="RNG state must be an ember.ByteTensor"):
        g.set_state(ember.zeros(16))
    with pytest.raises(TypeError, match="expected an ember.ByteTensor, but got list"):
        g.set_state([1])
    for bad in (torch.zeros(3, dtype=torch.uint8), torch.zeros(3), [1]):
        with pytest.raises((RuntimeError, TypeError)):
            torch.Generator().set_state(bad)


# --- uniform -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16, ember.bfloat16])
def test_rand_dtypes_range_and_moments(dtype):
    x = ember.rand(200_000, dtype=dtype, generator=gen(3))
    assert x.dtype is dtype and x.shape == (200_000,)
    v = values(x)
    assert v.min() >= 0 and v.max() < 1
    assert abs(v.mean() - 0.5) < 0.005
    assert abs(v.var() - 1 / 12) < 0.002


def test_rand_size_forms_and_zero_size():
    for size in [(2, 3), ((2, 3),), ([2, 3],), (ember.Size([2, 3]),)]:
        assert ember.equal(ember.rand(*size, generator=gen(1)), ember.rand(2, 3, generator=gen(1)))
    assert ember.rand(0, 3).shape == (0, 3)
    assert ember.rand(()).shape == ()
    assert ember.randn(3, 0).shape == (3, 0)


def test_rand_like_and_randn_like():
    base = ember.zeros(2, 3, dtype=ember.float64)
    x = ember.rand_like(base, generator=gen(4))
    assert x.dtype is ember.float64 and x.shape == (2, 3)
    assert ember.equal(x, ember.rand(2, 3, dtype=ember.float64, generator=gen(4)))
    y = ember.randn_like(base, dtype=ember.float32, generator=gen(4))
    assert y.dtype is ember.float32
    assert ember.equal(y, ember.randn(2, 3, generator=gen(4)))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        ember.rand_like(ember.zeros(2, dtype=ember.int64))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        ember.randn_like(ember.zeros(2, dtype=ember.int64))


def test_uniform_seed_program_and_bounds():
    x = ember.Tensor(7, 5).uniform_(-1, 1)
    assert x.shape == (7, 5)
    v = values(x)
    assert (v >= -1).all() and (v < 1).all() and len(set(v.ravel())) > 30
    y = ember.zeros(100_000, dtype=ember.float64).uniform_(2, 5, generator=gen(2))
    v = values(y)
    assert v.min() >= 2 and v.max() < 5 and abs(v.mean() - 3.5) < 0.02
    # a + (b - a) * u on the same uniforms
    u = values(ember.rand(100_000, dtype=ember.float64, generator=gen(2)))
    np.testing.assert_array_equal(v, 2 + 3 * u)
    assert values(ember.zeros(4).uniform_(3, 3)).tolist() == [3.0] * 4


def test_uniform_never_returns_the_upper_bound():
    # in float16, 1 + 1e-3 * u rounds to 1.001 for many u: those samples map to `a`
    x = ember.zeros(10_000, dtype=ember.float16).uniform_(1, 1.0009765625, generator=gen(0))
    v = values(x)
    assert (v < 1.0009765625).all() and (v >= 1).all()


def test_in_place_fill_respects_strides_and_bumps_the_version():
    base = ember.zeros(4, 3)
    view = base.t()  # 3 x 4, non-contiguous
    version = base._version_counter.value
    view.uniform_(generator=gen(8))
    assert base._version_counter.value == version + 1
    # values go in C order of the view's logical shape
    assert ember.equal(view, ember.rand(3, 4, generator=gen(8)))
    assert not view.is_contiguous()
    # a slice is filled and the rest of the storage is untouched
    row = ember.zeros(3, 4)
    row[1].normal_(generator=gen(2))
    assert values(row[0]).tolist() == [0.0] * 4 and values(row[2]).tolist() == [0.0] * 4
    assert ember.equal(row[1], ember.randn(4, generator=gen(2)))


def test_bfloat16_fill_is_stored_as_bits():
    x = ember.zeros(1000, dtype=ember.bfloat16).uniform_(-4, 4, generator=gen(5))
    assert x._data.dtype == np.uint16
    v = values(x)
    assert (v >= -4).all() and (v < 4).all() and abs(v.mean()) < 0.5
    # every value is exactly representable in bfloat16 (low 16 bits of float32 are zero)
    assert (v.astype(np.float32).view(np.uint32) & 0xFFFF == 0).all()


def test_uniform_errors(torch):
    cases = [(lambda m: m.zeros(2).uniform_(2, 1), RuntimeError, "from=2 > to=1"),
             (lambda m: m.zeros(2).uniform_(0, float("inf")), RuntimeError,
              "to is out of bounds for float"),
             (lambda m: m.zeros(2).uniform_(float("nan"), 1), RuntimeError,
              "from is out of bounds for float"),
             (lambda m: m.zeros(2, dtype=m.float16).uniform_(0, 70000), RuntimeError,
              "to is out of bounds for c10::Half"),
             (lambda m: m.zeros(2).uniform_(-3e38, 3e38), RuntimeError, "to-from"),
             (lambda m: m.zeros(2, dtype=m.int64).uniform_(), NotImplementedError, "'Long'"),
             (lambda m: m.rand(2, dtype=m.bool), NotImplementedError, "'Bool'")]
    for make, exc, text in cases:
        with pytest.raises(exc, match=text):
            make(ember)
        with pytest.raises(exc, match=text):
            make(torch)


# --- normal family --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16, ember.bfloat16])
def test_randn_moments(dtype):
    v = values(ember.randn(200_000, dtype=dtype, generator=gen(6)))
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.015
    assert abs((np.abs(v) < 1).mean() - 0.6827) < 0.005  # the shape, not just two moments
    assert np.abs(v).max() > 3.5


def test_normal_with_numbers():
    x = ember.normal(3.0, 2.0, (100_000,), generator=gen(1))
    v = values(x)
    assert x.dtype is ember.float32 and abs(v.mean() - 3) < 0.03 and abs(v.std() - 2) < 0.03
    assert ember.normal(0, 1, size=(2, 2), dtype=ember.float64).dtype is ember.float64
    # normal(mean, std, size) is mean + std * randn(size)
    np.testing.assert_allclose(values(ember.normal(1.5, 3.0, (8,), generator=gen(3))),
                               1.5 + 3 * values(ember.randn(8, generator=gen(3))), rtol=1e-6)


def test_normal_with_tensors_broadcasts():
    mean = ember.tensor([[0.0], [100.0]])
    std = ember.tensor([1.0, 0.0, 2.0])
    x = ember.normal(mean, std, generator=gen(2))
    assert x.shape == (2, 3)
    z = values(ember.randn(2, 3, generator=gen(2)))  # the same float32-precision normals
    np.testing.assert_allclose(values(x), np.array([[0.0], [100.0]]) + np.array([1.0, 0, 2]) * z,
                               rtol=1e-6, atol=1e-6)
    assert values(x)[:, 1].tolist() == [0.0, 100.0]
    # tensor mean, number std (the default std is 1) and the reverse
    assert ember.normal(ember.zeros(3, dtype=ember.float64)).dtype is ember.float64
    assert ember.normal(ember.ones(2, 2), 0.0).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert ember.normal(5.0, ember.zeros(2)).tolist() == [5.0, 5.0]
    # non-contiguous and zero-size operands
    m = ember.arange(6.0).reshape(2, 3).t()
    assert ember.normal(m, 0.0).tolist() == m.tolist()
    assert ember.normal(ember.zeros(0, 2), 1.0).shape == (0, 2)


def test_normal_result_dtype_matches_pytorch(torch):
    # the result takes mean's dtype when mean is a tensor, else std's
    for md, sd in [("float32", "float32"), ("float64", "float32"), ("float32", "float64"),
                   ("float16", "float16"), ("float16", "float64")]:
        e, t = (m.normal(m.zeros(2, dtype=getattr(m, md)), m.ones(2, dtype=getattr(m, sd)))
                for m in (ember, torch))
        assert e.dtype.name == str(t.dtype).split(".")[1]
    assert ember.normal(2.0, ember.ones(2, dtype=ember.float64)).dtype is ember.float64


def test_normal_out():
    out = ember.zeros(2, 3)
    version = out._version_counter.value
    res = ember.normal(0.0, 1.0, (2, 3), generator=gen(4), out=out)
    assert res is out and out._version_counter.value > version
    assert ember.equal(out, ember.randn(2, 3, generator=gen(4)))
    out = ember.zeros(2)
    ember.normal(ember.zeros(2), ember.ones(2), generator=gen(4), out=out)
    assert ember.equal(out, ember.randn(2, generator=gen(4)))


def test_normal_errors(torch):
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
            m.normal(0.0, -1.0, (2,))
        with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
            m.normal(m.zeros(2), -1.0)
        with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
            m.normal(m.zeros(2), m.tensor([1.0, -1.0]))
        with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
            m.normal(m.zeros(2), m.tensor([1.0, float("nan")]))
        with pytest.raises(RuntimeError, match="must match the size of tensor b"):
            m.normal(m.zeros(2), m.ones(3))
        with pytest.raises(TypeError, match="normal"):
            m.normal(0.0, 1.0)
        with pytest.raises(NotImplementedError, match="'Long'"):
            m.normal(m.zeros(2, dtype=m.int64), 1.0)
        with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
            m.zeros(2).normal_(0, -1)
        with pytest.raises(NotImplementedError, match="'Long'"):
            m.zeros(2, dtype=m.int64).normal_()


def test_normal_in_place_and_log_normal():
    x = ember.zeros(100_000, dtype=ember.float64).normal_(-2, 0.5, generator=gen(7))
    v = values(x)
    assert abs(v.mean() + 2) < 0.01 and abs(v.std() - 0.5) < 0.01
    y = ember.zeros(100_000, dtype=ember.float64).log_normal_(1, 0.5, generator=gen(7))
    np.testing.assert_allclose(values(y), np.exp(1 + 0.5 * (v + 2) / 0.5), rtol=1e-12)
    assert values(ember.zeros(5).log_normal_()).min() > 0
    assert ember.zeros(3).normal_(4, 0).tolist() == [4.0, 4.0, 4.0]


def test_log_normal_errors(torch):
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match="log_normal_ expects std > 0.0, but found std=0"):
            m.zeros(2).log_normal_(0, 0)
        with pytest.raises(NotImplementedError, match="'Long'"):
            m.zeros(2, dtype=m.int64).log_normal_()


# --- exponential, cauchy, geometric ---------------------------------------------------
def test_exponential():
    x = ember.zeros(200_000, dtype=ember.float64).exponential_(4, generator=gen(3))
    v = values(x)
    assert v.min() >= 0 and abs(v.mean() - 0.25) < 0.003 and abs(v.std() - 0.25) < 0.004
    u = values(ember.rand(200_000, dtype=ember.float64, generator=gen(3)))
    np.testing.assert_allclose(v, -np.log1p(-u) / 4, rtol=1e-12)
    assert ember.zeros(3, dtype=ember.float16).exponential_().dtype is ember.float16


def test_cauchy():
    v = values(ember.zeros(100_001, dtype=ember.float64).cauchy_(3, 2, generator=gen(4)))
    assert abs(np.median(v) - 3) < 0.05
    # quartiles of Cauchy(m, s) are m -+ s
    assert abs(np.quantile(v, 0.25) - 1) < 0.05 and abs(np.quantile(v, 0.75) - 5) < 0.05


def test_geometric():
    x = ember.zeros(100_000, dtype=ember.int64).geometric_(0.25, generator=gen(5))
    v = values(x)
    assert x.dtype is ember.int64 and v.min() >= 1 and abs(v.mean() - 4) < 0.05
    assert abs((v == 1).mean() - 0.25) < 0.01
    f = ember.zeros(10).geometric_(0.5)
    assert (values(f) >= 1).all() and (values(f) == np.round(values(f))).all()


def test_exponential_cauchy_geometric_errors(torch):
    cases = [(lambda m: m.zeros(2).exponential_(0), RuntimeError,
              "exponential_ expects lambda > 0.0, but found lambda=0"),
             (lambda m: m.zeros(2).exponential_(-1), RuntimeError, "lambda=-1"),
             (lambda m: m.zeros(2, dtype=m.int64).exponential_(), RuntimeError,
              "Exponential distribution is a continuous probability distribution"),
             (lambda m: m.zeros(2).cauchy_(0, 0), RuntimeError,
              "cauchy_ expects sigma > 0.0, but found sigma=0"),
             (lambda m: m.zeros(2, dtype=m.int64).cauchy_(), RuntimeError,
              "Cauchy distribution is a continuous probability distribution"),
             (lambda m: m.zeros(2).geometric_(0), RuntimeError,
              r"geometric_ expects p to be in \(0, 1\), but got p=0"),
             (lambda m: m.zeros(2).geometric_(1), RuntimeError, "p=1"),
             (lambda m: m.zeros(2).geometric_(1.5), RuntimeError, "p=1.5"),
             (lambda m: m.zeros(2, dtype=m.bool).geometric_(0.5), NotImplementedError, "'Bool'")]
    for make, exc, text in cases:
        with pytest.raises(exc, match=text):
            make(ember)
        with pytest.raises(exc, match=text):
            make(torch)


# --- integers: randint, random_, randperm ------------------------------------------------
def test_randint_range_and_frequencies():
    x = ember.randint(-3, 4, (70_000,), generator=gen(1))
    assert x.dtype is ember.int64
    counts = np.bincount(values(x).astype(int) + 3)
    assert counts.size == 7 and (abs(counts / 70_000 - 1 / 7) < 0.01).all()


def test_randint_argument_forms(torch):
    g = gen(2)
    a = ember.randint(5, (3, 2), generator=g)
    b = ember.randint(0, 5, (3, 2), generator=gen(2))
    assert ember.equal(a, b) and a.shape == (3, 2)
    assert ember.equal(ember.randint(5, size=(3, 2), generator=gen(2)), b)
    assert ember.equal(ember.randint(high=5, size=(3, 2), generator=gen(2)), b)
    assert ember.equal(ember.randint(0, 5, [3, 2], generator=gen(2)), b)
    assert ember.randint(3, (0,)).shape == (0,)
    for m in (ember, torch):
        with pytest.raises(TypeError,
                           match=r"argument 'high' \(position 1\) must be int, not float"):
            m.randint(2.5, (2,))


@pytest.mark.parametrize("dtype,low,high", [("uint8", 0, 256), ("int8", -128, 128),
                                            ("int16", -5, 5), ("int32", 0, 2 ** 31 - 1),
                                            ("bool", 0, 2), ("float32", -10, 10),
                                            ("float64", 0, 2 ** 40), ("float16", 0, 100),
                                            ("bfloat16", 0, 100)])
def test_randint_dtypes(torch, dtype, low, high):
    x = ember.randint(low, high, (5000,), dtype=getattr(ember, dtype), generator=gen(3))
    t = torch.randint(low, high, (5000,), dtype=getattr(torch, dtype))
    assert x.dtype.name == dtype == str(t.dtype).split(".")[1]
    v = values(x)
    assert v.min() >= low and v.max() < high and (v == np.round(v)).all()
    if high - low <= 256:
        assert len(set(v.tolist())) == high - low  # every value shows up


def test_randint_wide_ranges():
    x = values(ember.randint(-2 ** 62, 2 ** 62, (10_000,), generator=gen(4)).float())
    assert x.min() < -2 ** 61 and x.max() > 2 ** 61
    r = ember.zeros(10_000, dtype=ember.int64).random_(-2 ** 63, None, generator=gen(4))
    v = r.tolist()
    assert min(v) < -2 ** 62 and max(v) > 2 ** 62


def test_randint_out_and_like():
    out = ember.zeros(4, dtype=ember.int32)
    assert ember.randint(0, 9, (4,), out=out, generator=gen(5)) is out
    assert out.tolist() == ember.randint(0, 9, (4,), generator=gen(5)).tolist()
    like = ember.randint_like(ember.zeros(2, 3), 10, generator=gen(6))
    assert like.dtype is ember.float32 and like.shape == (2, 3)
    assert like.tolist() == ember.randint(0, 10, (2, 3), generator=gen(6)).float().tolist()
    assert set(ember.randint_like(ember.zeros(50, dtype=ember.int8), 3, 5).tolist()) == {3, 4}


def test_randint_errors(torch):
    cases = [(lambda m: m.randint(5, 3, (2,)), RuntimeError,
              "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
             (lambda m: m.randint(3, 3, (2,)), RuntimeError, "from=3 >= to=3"),
             (lambda m: m.randint(0, 300, (2,), dtype=m.uint8), RuntimeError,
              "to - 1 is out of bounds for unsigned char"),
             (lambda m: m.randint(-1, 3, (2,), dtype=m.uint8), RuntimeError,
              "from is out of bounds for unsigned char"),
             (lambda m: m.randint(0, 2 ** 40, (2,), dtype=m.int32), RuntimeError,
              "to - 1 is out of bounds for int"),
             (lambda m: m.randint(0, 2 ** 63, (2,)), ValueError, "Overflow"),
             (lambda m: m.randint(0, 3, (-2,)), RuntimeError, "negative dimension -2"),
             (lambda m: m.randint(0, 3, (2,), requires_grad=True), RuntimeError,
              "Only Tensors of floating point and complex dtype can require gradients"),
             (lambda m: m.randint_like(m.zeros(2), 5, 2), RuntimeError, "from=5 >= to=2")]
    for make, exc, text in cases:
        with pytest.raises(exc, match=text):
            make(ember)
        with pytest.raises(exc, match=text):
            make(torch)


def test_random_default_ranges():
    b = ember.zeros(1000, dtype=ember.bool).random_(generator=gen(1))
    assert set(b.tolist()) == {False, True}
    u8 = values(ember.zeros(20_000, dtype=ember.uint8).random_(generator=gen(1)))
    assert u8.min() == 0 and u8.max() == 255
    i8 = values(ember.zeros(20_000, dtype=ember.int8).random_(generator=gen(1)))
    assert i8.min() == 0 and i8.max() == 127  # [0, max]: never negative
    h = values(ember.zeros(50_000, dtype=ember.float16).random_(generator=gen(1)))
    assert h.min() >= 0 and h.max() <= 2 ** 11 and h.max() > 2000  # [0, 2**digits]
    f = values(ember.zeros(1000, dtype=ember.float64).random_(generator=gen(1)))
    assert f.max() <= 2 ** 53 and f.max() > 2 ** 52 and (f == np.round(f)).all()
    assert set(ember.zeros(100).random_(5).tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert set(ember.zeros(100).random_(to=3).tolist()) == {0.0, 1.0, 2.0}
    tail = ember.zeros(500, dtype=ember.int8).random_(120, None)  # [from, max]
    assert set(tail.tolist()) == set(range(120, 128))


def test_random_errors(torch):
    cases = [(lambda m: m.zeros(2).random_(3, 2), RuntimeError, "from=3 >= to=2"),
             (lambda m: m.zeros(2, dtype=m.int8).random_(0, 129), RuntimeError,
              "to - 1 is out of bounds for signed char"),
             (lambda m: m.zeros(4, dtype=m.bool).random_(0, 3), RuntimeError,
              "to - 1 is out of bounds for bool"),
             (lambda m: m.zeros(4).random_(2.5, 7), TypeError, "random_"),
             (lambda m: m.zeros(4, dtype=m.int64).random_(-2 ** 63, 2 ** 63), ValueError,
              "Overflow")]
    for make, exc, text in cases:
        with pytest.raises(exc, match=text):
            make(ember)
        with pytest.raises(exc, match=text):
            make(torch)
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        ember.zeros(2).random_(0, 2 ** 25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.zeros(2).random_(0, 2 ** 24 + 1)  # to - 1 = 2**24 is still exact


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 100_003])
def test_randperm_is_a_permutation(n):
    p = ember.randperm(n, generator=gen(n))
    assert p.dtype is ember.int64 and p.shape == (n,)
    assert sorted(p.tolist()) == list(range(n))
    if n >= 1000:
        assert (values(p) != np.arange(n)).mean() > 0.99  # actually shuffled


def test_randperm_is_uniform_over_small_permutations():
    g = gen(0)
    counts = {}
    for _ in range(6000):
        key = tuple(ember.randperm(3, generator=g).tolist())
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6 and all(abs(c / 6000 - 1 / 6) < 0.03 for c in counts.values())


def test_randperm_dtypes_out_and_errors(torch):
    assert sorted(ember.randperm(5, dtype=ember.float32).tolist()) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ember.randperm(200, dtype=ember.uint8).dtype is ember.uint8
    out = ember.zeros(2, dtype=ember.int64)
    assert ember.randperm(5, out=out, generator=gen(1)) is out
    assert out.tolist() == ember.randperm(5, generator=gen(1)).tolist()
    cases = [(lambda m: m.randperm(-1), RuntimeError, "negative dimension -1"),
             (lambda m: m.randperm(300, dtype=m.uint8), RuntimeError,
              "cannot be converted to type"),
             (lambda m: m.randperm(5, dtype=m.bool), NotImplementedError, "'Bool'"),
             (lambda m: m.randperm(2.0), TypeError,
              r"argument 'n' \(position 1\) must be int, not float"),
             (lambda m: m.randperm(5, requires_grad=True), RuntimeError,
              "Only Tensors of floating point")]
    for make, exc, text in cases:
        with pytest.raises(exc, match=text):
            make(ember)
        with pytest.raises(exc, match=text):
            make(torch)


# --- bernoulli --------------------------------------------------------------------------
def test_bernoulli_frequencies_and_dtypes():
    p = ember.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).expand(40_000, 5)  # a broadcast (stride-0) input
    x = ember.bernoulli(p, generator=gen(1))
    assert x.dtype is ember.float32 and x.shape == (40_000, 5)
    freq = values(x).mean(axis=0)
    np.testing.assert_allclose(freq, [0, 0.1, 0.5, 0.9, 1], atol=0.01)
    assert freq[0] == 0 and freq[-1] == 1
    for dtype in (ember.float64, ember.float16, ember.bfloat16):
        y = ember.bernoulli(ember.full((3,), 1.0, dtype=dtype))
        assert y.dtype is dtype and y.tolist() == [1.0, 1.0, 1.0]
    # bernoulli(input, p) uses p for every element, keeping input's shape and dtype
    z = ember.bernoulli(ember.zeros(20_000, dtype=ember.float64), 0.25, generator=gen(2))
    assert z.dtype is ember.float64 and abs(values(z).mean() - 0.25) < 0.01
    assert ember.bernoulli(ember.zeros(0, 3)).shape == (0, 3)


def test_bernoulli_method_forms():
    p = ember.full((2, 3), 0.5).t()
    a = p.bernoulli(generator=gen(3))
    assert a.shape == (3, 2) and set(values(a).ravel().tolist()) <= {0.0, 1.0}
    assert ember.equal(a, ember.bernoulli(p, generator=gen(3)))
    out = ember.zeros(3, 2)
    assert ember.bernoulli(p, generator=gen(3), out=out) is out and ember.equal(out, a)


def test_bernoulli_in_place():
    x = ember.zeros(30_000, dtype=ember.int64).bernoulli_(0.3, generator=gen(4))
    assert x.dtype is ember.int64 and set(x.tolist()) == {0, 1}
    assert abs(values(x).mean() - 0.3) < 0.01
    b = ember.zeros(10, dtype=ember.bool).bernoulli_(1.0)
    assert b.tolist() == [True] * 10
    # a tensor p broadcasts to self's shape
    y = ember.zeros(4, 3).bernoulli_(ember.tensor([0.0, 1.0, 0.0]))
    assert y.tolist() == [[0.0, 1.0, 0.0]] * 4
    version = y._version_counter.value
    y.bernoulli_()
    assert y._version_counter.value == version + 1


def test_bernoulli_errors(torch):
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match=r"Expected p_in >= 0 && p_in <= 1 to be true"):
            m.bernoulli(m.tensor([0.5, 1.5]))
        with pytest.raises(RuntimeError, match=r"Expected p_in >= 0 && p_in <= 1 to be true"):
            m.bernoulli(m.tensor([0.5, float("nan")]))
        with pytest.raises(RuntimeError, match=r"Expected p_in >= 0 && p_in <= 1 to be true"):
            m.zeros(3).bernoulli_(m.tensor([0.2, -2.0, 0.1]))
        with pytest.raises(RuntimeError,
                           match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
            m.bernoulli(m.tensor([0.5, 0.5]), 1.5)
        with pytest.raises(RuntimeError, match="p=-0.1"):
            m.zeros(3).bernoulli_(-0.1)
        with pytest.raises(RuntimeError, match="p=nan"):
            m.zeros(3).bernoulli_(float("nan"))
        with pytest.raises(NotImplementedError, match="'Long'"):
            m.bernoulli(m.tensor([1, 0]))
        with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(3\) must match "
                                               r"the existing size \(2\)"):
            m.zeros(3).bernoulli_(m.tensor([0.2, 0.5]))


# --- multinomial ---------------------------------------------------------------------------
def test_multinomial_with_replacement_frequencies():
    w = ember.tensor([1.0, 0.0, 3.0, 6.0])
    x = ember.multinomial(w, 50_000, replacement=True, generator=gen(1))
    assert x.dtype is ember.int64 and x.shape == (50_000,)
    freq = np.bincount(values(x).astype(int), minlength=4) / 50_000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.3, 0.6], atol=0.01)
    assert freq[1] == 0  # zero weight is never drawn


def test_multinomial_2d_rows_are_independent_distributions():
    w = ember.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=ember.float64)
    x = ember.multinomial(w, 6000, replacement=True, generator=gen(2))
    assert x.shape == (3, 6000)
    v = values(x).astype(int)
    assert (v[0] == 2).all() and set(v[1].tolist()) == {0, 1}
    np.testing.assert_allclose(np.bincount(v[2], minlength=3) / 6000, [0.2, 0.3, 0.5], atol=0.02)


def test_multinomial_without_replacement():
    w = ember.tensor([[1.0, 2.0, 3.0, 4.0, 0.0]] * 200)
    x = ember.multinomial(w, 4, generator=gen(3))
    v = values(x).astype(int)
    assert x.shape == (200, 4)
    assert all(len(set(row)) == 4 for row in v.tolist())  # distinct within each row
    assert (v != 4).all()  # the zero-weight category only when nothing else is left
    # first draws follow the weights: category 3 comes first about 40% of the time
    first = np.bincount(ember.multinomial(ember.tensor([[1.0, 2.0, 3.0, 4.0]] * 20_000), 1,
                                          generator=gen(4)).numpy().ravel(), minlength=4)
    np.testing.assert_allclose(first / 20_000, [0.1, 0.2, 0.3, 0.4], atol=0.015)
    # asking for every category returns a permutation; zero weights come last, in order
    assert ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 3).tolist() == [0, 1, 2]
    full = ember.multinomial(ember.rand(50, generator=gen(5)) + 0.1, 50, generator=gen(6))
    assert sorted(full.tolist()) == list(range(50))


def test_multinomial_dtypes_layouts_out():
    for dtype in (ember.float16, ember.bfloat16, ember.float64):
        x = ember.multinomial(ember.ones(4, dtype=dtype), 2)
        assert x.dtype is ember.int64 and len(set(x.tolist())) == 2
    w = ember.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]).t()  # non-contiguous 2 x 3
    assert ember.multinomial(w, 1).tolist() == [[1], [0]]
    assert ember.multinomial(ember.ones(0, 3), 1).shape == (0, 1)
    out = ember.zeros(3, dtype=ember.int64)
    assert ember.multinomial(ember.ones(5), 3, generator=gen(1), out=out) is out
    assert out.tolist() == ember.multinomial(ember.ones(5), 3, generator=gen(1)).tolist()
    assert ember.equal(ember.ones(5).multinomial(3, generator=gen(1)), out)


def test_multinomial_errors(torch):
    cases = [(lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3), "cannot sample n_sample > "
              r"prob_dist.size\(-1\) samples without replacement"),
             (lambda m: m.multinomial(m.tensor([0.5, -1.0]), 1),
              "probability tensor contains either `inf`, `nan` or element < 0"),
             (lambda m: m.multinomial(m.tensor([0.5, float("inf")]), 1), "`inf`, `nan`"),
             (lambda m: m.multinomial(m.tensor([0.5, float("nan")]), 1), "`inf`, `nan`"),
             (lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
              r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
             (lambda m: m.multinomial(m.tensor([[1.0, 0.0], [0.0, 0.0]]), 1, True),
              "sum of probabilities <= 0"),
             (lambda m: m.multinomial(m.tensor(0.5), 1), "prob_dist must be 1 or 2 dim"),
             (lambda m: m.multinomial(m.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
             (lambda m: m.multinomial(m.ones(2), 0), "cannot sample n_sample <= 0 samples"),
             (lambda m: m.multinomial(m.ones(2), -1), "cannot sample n_sample <= 0 samples"),
             (lambda m: m.multinomial(m.ones(2, dtype=m.int64), 1),
              "multinomial only supports floating-point dtypes for input, got: Long")]
    for make, text in cases:
        with pytest.raises(RuntimeError, match=text):
            make(ember)
        with pytest.raises(RuntimeError, match=text):
            make(torch)
    for m in (ember, torch):
        with pytest.raises(TypeError, match="must be int, not float"):
            m.multinomial(m.ones(2), 1.5)


# --- creation arguments -------------------------------------------------------------------
def test_dtype_device_and_out_arguments():
    x = ember.rand(2, 3, dtype=ember.float64, device="cpu")
    assert x.dtype is ember.float64 and x.device == ember.device("cpu")
    assert ember.randn(2, device=ember.device("cpu")).device.type == "cpu"
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.rand(2).dtype is ember.float64 and ember.randn(2).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    out = ember.zeros(2, 3, dtype=ember.float64)
    res = ember.rand(2, 3, generator=gen(1), out=out)
    assert res is out and ember.equal(out, ember.rand(2, 3, dtype=ember.float64, generator=gen(1)))
    # factories resize a mis-shaped out quietly, as PyTorch's do
    out = ember.zeros(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.randn(2, 2, out=out)
    assert out.shape == (2, 2)
    with pytest.raises(RuntimeError, match="does not match dtype of out"):
        ember.rand(2, dtype=ember.float64, out=ember.zeros(2))
    with pytest.raises(NotImplementedError, match="'Long'"):
        ember.rand(2, out=ember.zeros(2, dtype=ember.int64))


def test_creation_errors(torch):
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match="negative dimension -1"):
            m.rand(-1)
        with pytest.raises(RuntimeError, match=r"negative dimension -3: \[2, -3\]"):
            m.randn(2, -3)
        with pytest.raises(TypeError, match="rand"):
            m.rand()
        with pytest.raises(TypeError, match="rand"):
            m.rand(2.5)
        with pytest.raises(TypeError):
            m.rand(2, generator=1)
    with pytest.raises(TypeError, match="argument 'generator' must be ember.Generator, not int"):
        ember.rand(2, generator=1)
    with pytest.raises(TypeError, match="generator"):
        ember.zeros(2).uniform_(generator="x")


@pytest.mark.parametrize("make", [lambda m: m.rand(3, 2), lambda m: m.randn(3, 2),
                                  lambda m: m.randint(0, 5, (3, 2)), lambda m: m.randperm(6),
                                  lambda m: m.normal(0.0, 1.0, (3, 2)),
                                  lambda m: m.normal(m.zeros(3, 1), m.ones(2)),
                                  lambda m: m.bernoulli(m.full((3, 2), 0.5)),
                                  lambda m: m.multinomial(m.ones(3, 4), 2),
                                  lambda m: m.rand_like(m.zeros(2, dtype=m.float64)),
                                  lambda m: m.randint_like(m.zeros(2, dtype=m.int16), 4)])
def test_results_match_pytorchs_dtype_and_shape(torch, make):
    e, t = make(ember), make(torch)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype.name == str(t.dtype).split(".")[1]


# --- autograd rules for in-place sampling --------------------------------------------------
def test_in_place_sampling_refuses_leaves_that_require_grad():
    x = ember.zeros(3)
    x._requires_grad = True  # what requires_grad_() sets (ember-autograd may be absent)
    for fill in (lambda t: t.uniform_(), lambda t: t.normal_(), lambda t: t.bernoulli_(0.5),
                 lambda t: t.random_(0, 3), lambda t: t.exponential_()):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                               "in an in-place operation."):
            fill(x)
    with ember.no_grad():  # initialising parameters: allowed, as in PyTorch
        x.uniform_(-1, 1, generator=gen(1))
    assert ember.equal(x.detach(), ember.empty(3).uniform_(-1, 1, generator=gen(1)))


# --- devices ------------------------------------------------------------------------------
class _TwinBackend(_device.CPUBackend):
    """A second device running the same numpy code: the algorithm must not care."""

    name = "twin"

    def __init__(self):
        self.kernels = Kernels(np)

    def empty(self, numel, np_dtype, index):
        return np.empty(numel, np_dtype)

    def from_host(self, array, index):
        return np.array(array, copy=True)

    def to_host(self, array):
        return array


@pytest.fixture
def twin(monkeypatch):
    monkeypatch.setitem(_device._backends, "twin", _TwinBackend())
    monkeypatch.setattr(_random, "_defaults", dict(_random._defaults))
    return ember.device("twin")


def test_same_seed_same_values_on_every_device(twin):
    g_cpu, g_twin = gen(77), ember.Generator(twin).manual_seed(77)
    draws = [lambda g, d: ember.rand(5, 3, generator=g, device=d),
             lambda g, d: ember.randn(4, generator=g, device=d, dtype=ember.float64),
             lambda g, d: ember.randint(-9, 9, (6,), generator=g, device=d),
             lambda g, d: ember.randperm(10, generator=g, device=d),
             lambda g, d: ember.empty(7, device=d).exponential_(generator=g)]
    for draw in draws:
        a, b = draw(g_cpu, "cpu"), draw(g_twin, twin)
        assert b.device == twin
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_generator_device_must_match(twin):
    with pytest.raises(RuntimeError, match="Expected a 'twin' device type for generator but "
                                           "found 'cpu'"):
        ember.rand(2, device=twin, generator=gen(1))
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but "
                                           "found 'twin'"):
        ember.rand(2, generator=ember.Generator(twin))


def test_each_device_has_a_default_generator_seeded_together(twin):
    ember.manual_seed(123)
    a = ember.rand(4, device=twin)
    b = ember.rand(4)  # the CPU default is a different generator: same seed, same stream
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    ember.manual_seed(123)
    np.testing.assert_array_equal(np.asarray(ember.rand(4, device=twin)), np.asarray(a))


def test_in_place_sampling_of_a_non_leaf_gives_zero_gradient():
    pytest.importorskip("ember.autograd")
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.uniform_(generator=gen(1))
    assert y.requires_grad and y.grad_fn is not None
    assert ember.equal(y.detach(), ember.rand(3, generator=gen(1)))
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[:2].normal_()
    assert ember.rand(2, requires_grad=True).requires_grad
