"""ember.utils.data: datasets, samplers, DataLoader and collation."""
import collections

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                              RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                              TensorDataset, WeightedRandomSampler, default_collate, random_split)


def test_tensor_dataset_and_batching():
    x, y = ember.arange(10.0).view(5, 2), ember.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5 and ds[2][0].tolist() == [4.0, 5.0] and ds[2][1].item() == 2
    batches = list(DataLoader(ds, batch_size=2))
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[0][0].shape == (2, 2)
    assert len(DataLoader(ds, batch_size=2)) == 3
    assert len(DataLoader(ds, batch_size=2, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(ember.zeros(3), ember.zeros(4))


def test_shuffle_is_a_permutation_and_reproducible_with_generator():
    ds = TensorDataset(ember.arange(100))
    order = lambda seed: [int(v) for (b,) in DataLoader(ds, batch_size=7, shuffle=True,
                                                          generator=ember.Generator().manual_seed(seed))
                          for v in b.tolist()]
    a, b, c = order(1), order(1), order(2)
    assert sorted(a) == list(range(100)) and a == b and a != c and a != list(range(100))
    ember.manual_seed(5)
    d = [int(v) for (b,) in DataLoader(ds, batch_size=10, shuffle=True) for v in b.tolist()]
    ember.manual_seed(5)
    e = [int(v) for (b,) in DataLoader(ds, batch_size=10, shuffle=True) for v in b.tolist()]
    assert d == e


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "x y")
    batch = default_collate([{"a": np.array([1.0, 2.0]), "b": 1, "p": Point(1.5, True), "s": "u"},
                             {"a": np.array([3.0, 4.0]), "b": 2, "p": Point(2.5, False), "s": "v"}])
    assert batch["a"].dtype is ember.float64 and batch["a"].tolist() == [[1, 2], [3, 4]]
    assert batch["b"].dtype is ember.int64 and batch["b"].tolist() == [1, 2]
    assert isinstance(batch["p"], Point) and batch["p"].x.dtype is ember.float64
    assert batch["p"].y.tolist() == [True, False]
    assert batch["s"] == ["u", "v"]
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_custom_collate_samplers_and_batch_sampler():
    ds = list(range(10))
    loader = DataLoader(ds, batch_size=3, collate_fn=lambda b: sum(b))
    assert list(loader) == [3, 12, 21, 9]
    assert list(SequentialSampler(ds)) == ds
    g = ember.Generator().manual_seed(0)
    assert sorted(RandomSampler(ds, generator=g)) == ds
    assert len(list(RandomSampler(ds, replacement=True, num_samples=25, generator=g))) == 25
    assert sorted(SubsetRandomSampler([1, 5, 7], generator=g)) == [1, 5, 7]
    weighted = list(WeightedRandomSampler([0.0, 0.0, 1.0], 20, generator=g))
    assert weighted == [2] * 20
    assert list(BatchSampler(SequentialSampler(ds), 4, drop_last=False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 5, False))
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(ds, batch_size=0)
    assert list(DataLoader(ds[:3], batch_size=None)) == [0, 1, 2]  # no batching, no conversion


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(), shuffle=True)


def test_subset_concat_random_split():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i * i
    sub = Subset(Squares(), [4, 0])
    assert [sub[0], sub[1]] == [16, 0] and len(sub) == 2
    both = ConcatDataset([Squares(), [100, 200]])
    assert len(both) == 7 and both[5] == 100 and both[-1] == 200 and both[3] == 9
    assert len(Squares() + Squares()) == 10
    parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    fractions = random_split(range(11), [0.5, 0.5], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in fractions] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


def test_matches_torch_dataloader_batches(torch):
    x = np.arange(20.0).reshape(10, 2)
    e = [b.tolist() for b, in DataLoader(TensorDataset(ember.tensor(x)), batch_size=4)]
    t = [b.tolist() for b, in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x)),
                                                           batch_size=4)]
    assert e == t
