"""Tensor basics: creation, dtypes and promotion, legacy constructors, numpy/DLPack
interop, version counters, conversions and their errors."""
import math
import warnings

import numpy as np
import pytest

import ember


# --- creation ---------------------------------------------------------------------
def test_tensor_infers_pytorch_dtypes():
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([1.0, 2]).dtype is ember.float32
    assert ember.tensor([True, False]).dtype is ember.bool
    assert ember.tensor([True, 2]).dtype is ember.int64
    assert ember.tensor(np.array([1, 2], np.int32)).dtype is ember.int32
    assert ember.tensor(np.float64(2.5)).dtype is ember.float64
    assert ember.tensor([]).dtype is ember.float32 and ember.tensor([]).shape == (0,)
    assert ember.tensor(3.5).shape == () and ember.tensor(3.5).item() == 3.5
    assert ember.tensor([[1, 2], [3, 4]], dtype=ember.float64).tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_tensor_rejects_ragged_and_unknown_data():
    with pytest.raises(ValueError):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="Could not infer dtype of str"):
        ember.tensor(["a"])
    with pytest.raises(RuntimeError, match="overflow"):
        ember.tensor([300], dtype=ember.int8)


def test_shape_factories(torch):
    for name in ("zeros", "ones", "empty"):
        e = getattr(ember, name)(2, 3)
        t = getattr(torch, name)(2, 3)
        assert e.shape == tuple(t.shape) and e.dtype.name == str(t.dtype)[6:]
        assert getattr(ember, name)((2, 3)).shape == (2, 3) == getattr(ember, name)([2, 3]).shape
    assert ember.full((2,), 7).dtype is ember.int64
    assert ember.full((2,), 7.0).dtype is ember.float32
    assert ember.full((2,), True).dtype is ember.bool
    assert ember.zeros_like(ember.ones(2, dtype=ember.int32)).dtype is ember.int32
    assert ember.ones_like(ember.ones(2), dtype=ember.float64).dtype is ember.float64
    assert ember.full_like(ember.zeros(2, 2), 3).tolist() == [[3, 3], [3, 3]]
    assert ember.eye(2, 3).tolist() == torch.eye(2, 3).tolist()


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 1, 0.25), (1, 2.5, 0.5), (10, 0, -3), (0, -5, -1.5)])
def test_arange_matches_torch(torch, args):
    e, t = ember.arange(*args), torch.arange(*args)
    assert e.dtype.name == str(t.dtype)[6:]
    np.testing.assert_allclose(e.tolist(), t.tolist())


def test_range_linspace_logspace(torch):
    with pytest.warns(UserWarning, match="deprecated"):
        r = ember.range(1, 4)
    assert r.tolist() == [1.0, 2.0, 3.0, 4.0] and r.dtype is ember.float32
    assert ember.linspace(-1, 1, 7).tolist() == torch.linspace(-1, 1, 7).tolist()
    assert ember.linspace(0, 1, 10, dtype=ember.float64).tolist() == torch.linspace(0, 1, 10, dtype=torch.float64).tolist()
    np.testing.assert_allclose(ember.logspace(0, 3, 4).tolist(), torch.logspace(0, 3, 4).tolist(), rtol=1e-6)
    assert ember.linspace(0, 10, 5, dtype=ember.int64).tolist() == torch.linspace(0, 10, 5, dtype=torch.int64).tolist()


def test_bad_sizes_raise():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        ember.zeros(2, -1)
    with pytest.raises(TypeError, match="must be a tuple of ints, but found element of type float"):
        ember.ones(2.5)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="upper bound and larger bound inconsistent"):
        ember.arange(0, 5, -1)
    with pytest.raises(RuntimeError, match="can't allocate memory: you tried to allocate"):
        ember.empty(2 ** 40, 2 ** 20)


# --- legacy constructors --------------------------------------------------------------
def test_legacy_constructors():
    t = ember.Tensor(5, 3)
    assert t.shape == (5, 3) and t.dtype is ember.float32
    assert ember.Tensor([[1, 2]]).dtype is ember.float32
    assert ember.Tensor().shape == (0,)
    assert ember.FloatTensor([1, 2]).tolist() == [1.0, 2.0]
    assert ember.DoubleTensor([1]).dtype is ember.float64
    assert ember.HalfTensor(2).dtype is ember.float16
    assert ember.ByteTensor([1]).dtype is ember.uint8
    assert ember.CharTensor([1]).dtype is ember.int8
    assert ember.ShortTensor([1]).dtype is ember.int16
    assert ember.IntTensor([1]).dtype is ember.int32
    assert ember.LongTensor([1, 2]).dtype is ember.int64
    assert ember.BoolTensor([1, 0]).tolist() == [True, False]
    assert isinstance(ember.LongTensor([1]), ember.Tensor)
    assert ember.ones(2).type() == "ember.FloatTensor"
    assert ember.ones(2).type("ember.DoubleTensor").dtype is ember.float64
    assert ember.ones(2).type(ember.int32).dtype is ember.int32


def test_seed_tensor_snippets_run():
    x = ember.Tensor(7, 5).uniform_(-1, 1) if hasattr(ember.Tensor, "uniform_") else ember.Tensor(7, 5)
    assert x.size() == (7, 5)
    y = ember.randn(5, 10, 15) if hasattr(ember, "randn") else ember.zeros(5, 10, 15)
    assert y.view(-1, 15).size() == (50, 15)
    a = ember.Tensor([[1, 2], [3, 4]])
    b = ember.Tensor([5, 6])
    c = ember.Tensor([7, 8])
    assert (a * b).tolist() == [[5.0, 12.0], [15.0, 24.0]]
    assert (a * a).tolist() == [[1.0, 4.0], [9.0, 16.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = ember.range(1, 12)
    assert r.view(3, 4).shape == (3, 4) and r.view(-1).shape == (12,)
    result = ember.Tensor(5, 3)
    ember.add(ember.ones(5, 3), ember.ones(5, 3), out=result)
    assert result.tolist() == [[2.0] * 3] * 5
    assert c.dtype is ember.float32


# --- dtypes ----------------------------------------------------------------------------
def test_promotion_table_matches_torch(torch):
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
    for a in names:
        for b in names:
            expected = str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]
            assert ember.promote_types(getattr(ember, a), getattr(ember, b)).name == expected, (a, b)


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype is ember.float64
        assert ember.zeros(1).dtype is ember.float64
        assert (ember.tensor([1]) * 1.5).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        ember.set_default_dtype(ember.int64)


def test_conversion_methods():
    t = ember.tensor([1.7, -2.2])
    assert t.long().tolist() == [1, -2]
    assert t.int().dtype is ember.int32
    assert t.double().dtype is ember.float64
    assert t.half().dtype is ember.float16
    assert t.bool().tolist() == [True, True]
    assert t.to(ember.int64).tolist() == [1, -2]
    assert t.to(ember.float32) is t
    assert t.to(ember.float32, copy=True) is not t
    assert t.to(ember.ones(1, dtype=ember.float64)).dtype is ember.float64
    assert t.is_floating_point() and not t.long().is_floating_point()
    bf = t.bfloat16()
    assert bf.dtype is ember.bfloat16 and bf.element_size() == 2
    assert bf.float().tolist() == [1.703125, -2.203125]


def test_finfo_iinfo(torch):
    for name in ("float16", "float32", "float64", "bfloat16"):
        e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
        assert (e.eps, e.max, e.tiny, e.bits) == (t.eps, t.max, t.tiny, t.bits), name
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
        assert (e.min, e.max, e.bits) == (t.min, t.max, t.bits)
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)


# --- metadata, numpy, DLPack --------------------------------------------------------------
def test_metadata():
    t = ember.zeros(2, 3, 4)
    assert t.shape == t.size() == ember.Size([2, 3, 4])
    assert repr(t.shape) == "ember.Size([2, 3, 4])"
    assert t.size(1) == 3 and t.size(-1) == 4
    assert t.dim() == t.ndim == 3 and t.numel() == t.nelement() == 24
    assert t.stride() == (12, 4, 1) and t.stride(0) == 12
    assert t.element_size() == 4 and t.is_contiguous()
    p = t.permute(2, 0, 1)
    assert p.stride() == (1, 12, 4) and not p.is_contiguous()
    s = t[1, 1:]
    assert s.storage_offset() == 16
    assert s.untyped_storage() == t.untyped_storage()
    assert s.data_ptr() == t.data_ptr() + 16 * 4
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)


def test_numpy_shares_memory_both_ways():
    a = np.arange(4.0)
    t = ember.from_numpy(a)
    t[0] = 10
    assert a[0] == 10
    a[1] = 20
    assert t[1].item() == 20
    n = t.numpy()
    n[2] = 30
    assert t.tolist() == [10.0, 20.0, 30.0, 3.0]
    assert np.asarray(t).tolist() == t.tolist()
    with pytest.raises(ValueError, match="negative"):
        ember.from_numpy(a[::-1])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type complex128"):
        ember.from_numpy(np.zeros(2, complex))


def test_python_scalars_and_conversions():
    assert ember.tensor([5]).item() == 5 and isinstance(ember.tensor([5]).item(), int)
    assert float(ember.tensor(2.5)) == 2.5 and int(ember.tensor(7)) == 7
    assert bool(ember.tensor([1])) is True
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        ember.tensor([1, 2]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][ember.tensor(1.0)]
    assert len(ember.zeros(3, 2)) == 3
    assert [r.tolist() for r in ember.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]
    assert 3 in ember.tensor([1, 2, 3]) and 5 not in ember.tensor([1, 2, 3])
    assert f"{ember.tensor(2.5):.2f}" == "2.50"


def test_dlpack_zero_copy_with_numpy():
    t = ember.arange(4.0)
    a = np.from_dlpack(t)
    a[0] = 9
    assert t[0].item() == 9
    back = ember.from_dlpack(np.arange(3, dtype=np.int32))
    assert back.dtype is ember.int32 and back.tolist() == [0, 1, 2]
    assert t.__dlpack_device__() == (1, 0)


def test_dlpack_with_torch(torch):
    t = torch.arange(4.0)
    e = ember.from_dlpack(t)
    e[1] = 7
    assert t[1].item() == 7
    back = torch.from_dlpack(e)
    back[2] = 5
    assert e[2].item() == 5


# --- version counters ---------------------------------------------------------------------
def test_version_counter_bumps_on_every_inplace_write():
    t = ember.zeros(3)
    v = t._version_counter.value
    t.add_(1)
    t[0] = 5
    t.copy_(ember.ones(3))
    t.fill_(2)
    t.zero_()
    ember.add(ember.ones(3), 1, out=t)
    assert t._version_counter.value == v + 6


def test_views_share_version_counter_and_data_gets_fresh_one():
    base = ember.zeros(2, 2)
    view = base.view(4)
    detached = base.detach()
    data = base.data
    assert view._version_counter is base._version_counter and detached._version_counter is base._version_counter
    assert data._version_counter is not base._version_counter
    view.add_(1)
    assert base._version_counter.value == 1 and data._version_counter.value == 0
    assert base.tolist() == [[1, 1], [1, 1]]
    data.mul_(3)  # writes through .data are invisible to the version counter
    assert base._version_counter.value == 1 and base.tolist() == [[3, 3], [3, 3]]


def test_copy_broadcasts_casts_and_checks():
    a = ember.zeros(2, 2)
    a.copy_(ember.tensor([1, 2]))
    assert a.tolist() == [[1.0, 2.0], [1.0, 2.0]]
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        a.copy_(ember.ones(3))
    with pytest.raises(TypeError):
        a.copy_([1, 2])


def test_clone_and_contiguous():
    a = ember.arange(6).view(2, 3).t()
    c = a.contiguous()
    assert c.is_contiguous() and c.tolist() == a.tolist() and c.data_ptr() != a.data_ptr()
    b = ember.ones(2)
    assert b.contiguous() is b
    d = b.clone()
    d[0] = 5
    assert b.tolist() == [1.0, 1.0]


def test_requires_grad_without_autograd_names_the_package(monkeypatch):
    import ember._autograd_seam as seam
    monkeypatch.setattr(seam, "engine", None)
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [])
    with pytest.raises(RuntimeError, match="ember-autograd is not installed"):
        ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="pip install ember-autograd"):
        ember.ones(2).backward()
