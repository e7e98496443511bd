"""View ops (`_ops/shape.py`): values as PyTorch, shared storage and version counter,
PyTorch's errors."""
import warnings

import numpy as np
import pytest

import ember


def same(e, t):
    """ember tensor `e` equals torch tensor (or numpy array) `t` in shape and values."""
    expected = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    got = np.asarray(e)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_array_equal(got, expected)


def base(m):
    return m.arange(24.).view(2, 3, 4)


# (name, op) pairs; each op takes the library module and a tensor and returns one view
VIEWS = {
    "view": lambda m, x: x.view(4, -1),
    "view_as": lambda m, x: x.view_as(m.zeros(6, 4)),
    "view_noncontiguous_ok": lambda m, x: x.transpose(1, 2).view(2, 4, 3),
    "reshape_contiguous": lambda m, x: x.reshape(3, 8),
    "t": lambda m, x: x[0].t(),
    "T_2d": lambda m, x: x[0].T,
    "mT": lambda m, x: x.mT,
    "mH": lambda m, x: x.mH,
    "H": lambda m, x: x[1].H,
    "transpose": lambda m, x: x.transpose(-1, 0),
    "swapaxes": lambda m, x: x.swapaxes(0, 2),
    "permute": lambda m, x: x.permute(2, 0, 1),
    "movedim": lambda m, x: x.movedim((0, 1), (2, 0)),
    "moveaxis": lambda m, x: m.moveaxis(x, 0, -1),
    "narrow": lambda m, x: x.narrow(-1, 1, 2),
    "narrow_negative_start": lambda m, x: x.narrow(1, -2, 2),
    "select": lambda m, x: x.select(1, -1),
    "squeeze": lambda m, x: x[:, :1].squeeze(),
    "squeeze_dims": lambda m, x: x[:1, :, :1].squeeze((0, 2)),
    "unsqueeze": lambda m, x: x.unsqueeze(-1),
    "flatten_contiguous": lambda m, x: x.flatten(1),
    "unflatten": lambda m, x: x.unflatten(-1, (2, -1)),
    "unfold": lambda m, x: x.unfold(2, 2, 1),
    "unfold_transposed": lambda m, x: x.transpose(0, 2).unfold(0, 2, 2),
    "as_strided": lambda m, x: x.as_strided((3, 3), (5, 2), 1),
    "diagonal": lambda m, x: x.diagonal(),
    "diagonal_offset": lambda m, x: x.diagonal(-1, 2, 1),
    "diagonal_of_transposed": lambda m, x: x.transpose(0, 2).diagonal(1),
    "getitem_basic": lambda m, x: x[1, ::2, None],
    "detach": lambda m, x: x.detach(),
}


@pytest.mark.parametrize("name", VIEWS)
def test_view_values_and_shared_storage(torch, name):
    op = VIEWS[name]
    x, tx = base(ember), base(torch)
    v, tv = op(ember, x), op(torch, tx)
    same(v, tv)
    assert v._version_counter is x._version_counter  # one counter for all views of the storage
    assert v.untyped_storage() == x.untyped_storage()
    if v.numel():  # a write through the view shows in the base, and the reverse
        before = x._version_counter.value
        v.fill_(-1.0)
        tv.fill_(-1.0)
        same(x, tx)
        assert x._version_counter.value == before + 1
        x.fill_(5.0)
        assert (np.asarray(v) == 5.0).all()


SPLITS = {
    "unbind": lambda m, x: x.unbind(1),
    "split": lambda m, x: x.split(3, -1),
    "split_sizes": lambda m, x: x.split([1, 2], 1),
    "chunk": lambda m, x: x.chunk(3, 2),
    "tensor_split": lambda m, x: x.tensor_split(3, 2),
    "tensor_split_indices": lambda m, x: x.tensor_split([1, -1, 0], 2),
    "broadcast_tensors": lambda m, x: m.broadcast_tensors(x[:, :1], x[0, 0]),
}


@pytest.mark.parametrize("name", SPLITS)
def test_multi_views(torch, name):
    x, tx = base(ember), base(torch)
    parts, tparts = SPLITS[name](ember, x), SPLITS[name](torch, tx)
    assert len(parts) == len(tparts)
    for p, tp in zip(parts, tparts):
        same(p, tp)
        assert p._version_counter is x._version_counter
    writable = [p for p in parts if p.numel() and p._data.flags.writeable]
    if name != "broadcast_tensors":
        writable[0].fill_(100.0)
        assert x._version_counter.value == 1
        assert (np.asarray(x) == 100.0).sum() == writable[0].numel()


def test_expand_is_a_read_only_view(torch):
    x = ember.arange(3.).view(3, 1)
    e = x.expand(2, 3, 4)
    same(e, torch.arange(3.).view(3, 1).expand(2, 3, 4))
    assert e._version_counter is x._version_counter and e.untyped_storage() == x.untyped_storage()
    x[0, 0] = 7.0
    assert e[1, 0, 3].item() == 7.0
    same(ember.arange(3).expand(-1).view(-1), np.arange(3))
    same(ember.arange(4.).expand_as(ember.zeros(3, 4)), np.tile(np.arange(4.), (3, 1)))
    same(ember.arange(4.).broadcast_to((2, 4)), np.tile(np.arange(4.), (2, 1)))
    assert ember.arange(1).expand(0).shape == (0,)
    with pytest.raises(RuntimeError, match="single memory location"):  # one element, many places
        e[0] = 1.0


def test_reshape_copies_only_when_needed():
    x = ember.arange(24.).view(2, 3, 4)
    r = x.transpose(0, 2).reshape(6, 4)
    assert r._version_counter is not x._version_counter  # strides forced a copy
    same(r, np.arange(24.).reshape(2, 3, 4).transpose(2, 1, 0).reshape(6, 4))
    f = x.transpose(0, 2).flatten(0, 1)
    same(f, np.arange(24.).reshape(2, 3, 4).transpose(2, 1, 0).reshape(12, 2))
    assert x.reshape(-1)._version_counter is x._version_counter


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool",
                                   "bfloat16", "float16"])
def test_views_keep_dtype(dtype):
    x = ember.ones(2, 3, dtype=getattr(ember, dtype))
    for v in (x.t(), x.view(3, 2), x.unsqueeze(0), x.narrow(1, 0, 2), x.diagonal(), x[1],
              x.expand(4, 2, 3), x.unfold(1, 2, 1), x.movedim(0, 1)):
        assert v.dtype is x.dtype
        assert v._version_counter is x._version_counter


def test_zero_size_views(torch):
    x, tx = ember.zeros(0, 3), torch.zeros(0, 3)
    for op in (lambda t: t.view(-1, 3), lambda t: t.t(), lambda t: t.unsqueeze(1),
               lambda t: t.narrow(1, 1, 2), lambda t: t.flatten(), lambda t: t.diagonal(),
               lambda t: t.unfold(1, 2, 1), lambda t: t.expand(2, 0, 3), lambda t: t.select(1, 0)):
        same(op(x), op(tx))
    assert [p.shape for p in ember.zeros(0, 2).split(2)] == [(0, 2)]
    assert len(ember.zeros(0).chunk(2)) == len(torch.zeros(0).chunk(2))


def test_zero_dim_views(torch):
    s, ts = ember.tensor(5.), torch.tensor(5.)
    for op in (lambda t: t.view(1), lambda t: t.unsqueeze(-1), lambda t: t.t(), lambda t: t.flatten(),
               lambda t: t.squeeze(), lambda t: t.squeeze(0), lambda t: t.expand(3),
               lambda t: t.unfold(0, 1, 1), lambda t: t.transpose(0, -1), lambda t: t.reshape(1, 1)):
        same(op(s), op(ts))
        assert op(s)._version_counter is s._version_counter


def test_T_warns_outside_2d():
    with pytest.warns(UserWarning, match="x.T"):
        ember.zeros(2, 3, 4).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.zeros(2, 3).T


@pytest.mark.parametrize("op, error, match", [
    (lambda x: x.view(5, -1), RuntimeError, r"shape '\[5, -1\]' is invalid for input of size 24"),
    (lambda x: x.view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda x: x.view(-2, 12), RuntimeError, "invalid shape dimension -2"),
    (lambda x: x.transpose(0, 1).view(-1), RuntimeError, "view size is not compatible"),
    (lambda x: x.view(3.0, 8), TypeError, "must be tuple of ints"),
    (lambda x: x.reshape(7, -1), RuntimeError, "is invalid for input of size 24"),
    (lambda x: x.t(), RuntimeError, "t\\(\\) expects a tensor with <= 2 dimensions"),
    (lambda x: x[0, 0].mT, RuntimeError, "tensor.mT is only supported on matrices"),
    (lambda x: x.H, RuntimeError, "tensor.H is only supported on matrices"),
    (lambda x: x.transpose(3, 0), IndexError, r"Dimension out of range \(expected to be in range "
                                              r"of \[-3, 2\], but got 3\)"),
    (lambda x: x.permute(0, 0, 1), RuntimeError, "duplicate dims"),
    (lambda x: x.permute(0, 1), RuntimeError, "does not match the length"),
    (lambda x: x.permute(0, 1, 3), IndexError, "Dimension out of range"),
    (lambda x: x.movedim((0, 0), (1, 2)), RuntimeError, r"repeated dim in `source` \(\[0, 0\]\)"),
    (lambda x: x.movedim((0, 1), (1, 1)), RuntimeError, "repeated dim in `destination`"),
    (lambda x: x.movedim((0, 1), (1,)), RuntimeError, "same number of dims"),
    (lambda x: x[:, :, :1].expand(2, 4, 1), RuntimeError, r"The expanded size of the tensor \(4\) "
                                                        r"must match the existing size \(3\)"),
    (lambda x: x.expand(4), RuntimeError, r"the number of sizes provided \(1\) must be greater or "
                                          r"equal to the number of dimensions in the tensor \(3\)"),
    (lambda x: x[0, 0].expand(-1, 4), RuntimeError, "-1 is not allowed in a leading"),
    (lambda x: x.narrow(1, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension size"),
    (lambda x: x.narrow(1, 5, 0), IndexError, "start out of range"),
    (lambda x: x.narrow(1, 0, -1), RuntimeError, "exceeds dimension size"),
    (lambda x: x[0, 0, 0].narrow(0, 0, 1), RuntimeError, "cannot be applied to a 0-dim tensor"),
    (lambda x: x.select(1, 3), IndexError, "select\\(\\): index 3 out of range"),
    (lambda x: x[0, 0, 0].select(0, 0), IndexError, "select\\(\\) cannot be applied to a 0-dim"),
    (lambda x: x.squeeze(3), IndexError, "Dimension out of range"),
    (lambda x: x.unsqueeze(4), IndexError, "Dimension out of range"),
    (lambda x: x.flatten(2, 1), RuntimeError, "start_dim cannot come after end_dim"),
    (lambda x: x.unflatten(1, (2, 2)), RuntimeError, "is invalid for input of size 3"),
    (lambda x: x.unfold(1, 4, 1), RuntimeError, "maximum size for tensor at dimension 1 is 3"),
    (lambda x: x.unfold(1, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    (lambda x: x.as_strided((3, 3), (12, 1), 1), RuntimeError, "out of bounds for storage"),
    (lambda x: x.diagonal(0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical"),
    (lambda x: x.split([1, 1], 1), RuntimeError, "split_sizes to sum exactly to 3"),
    (lambda x: x.split(0, 1), RuntimeError, "split_size can only be 0 if dimension size is 0"),
    (lambda x: x.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0"),
    (lambda x: x.tensor_split(0), RuntimeError, "number of sections must be larger than 0"),
])
def test_view_errors(torch, op, error, match):
    with pytest.raises(error, match=match):
        op(base(ember))
    with pytest.raises(error):
        op(base(torch))
