"""Variable-length sequences: padding, and PyTorch's packed-sequence format.

A PackedSequence stores the time steps of a batch of sequences sorted by length,
longest first: ``data`` holds step 0 of every sequence, then step 1 of every
sequence still running, ...; ``batch_sizes[t]`` says how many sequences run at step t.
Packing and unpacking are index operations, so gradients flow through them.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

import ember
from ember import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """The packed form of a batch of variable-length sequences (see the module docstring).

    >>> import ember
    >>> from ember.nn.utils.rnn import pack_sequence
    >>> p = pack_sequence([ember.tensor([1, 2, 3]), ember.tensor([4, 5])])
    >>> p.data.tolist(), p.batch_sizes.tolist()
    ([1, 4, 2, 5, 3], [2, 2, 1])
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device
        sorted_i = None if self.sorted_indices is None else self.sorted_indices.to(device)
        unsorted_i = None if self.unsorted_indices is None else self.unsorted_indices.to(device)
        return type(self)(data, self.batch_sizes, sorted_i, unsorted_i)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def float(self):
        return self.to(ember.float32)

    def double(self):
        return self.to(ember.float64)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _invert(permutation):
    inverse = np.empty(len(permutation), np.int64)
    inverse[np.asarray(permutation.tolist(), np.int64)] = np.arange(len(permutation))
    return ember.tensor(inverse, dtype=ember.int64, device=permutation.device)


def _as_lengths(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.detach().cpu().reshape(-1).tolist()]
    return [int(v) for v in lengths]


def _packing_plan(lengths):
    """Per packed row: (time step, batch column in sorted order), and the batch sizes."""
    order = sorted(range(len(lengths)), key=lambda b: -lengths[b])
    longest = lengths[order[0]] if lengths else 0
    batch_sizes = [sum(1 for l in lengths if l > t) for t in range(longest)]
    steps, cols = [], []
    for t, size in enumerate(batch_sizes):
        steps += [t] * size
        cols += order[:size]
    return order, batch_sizes, steps, cols


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences with the given lengths.

    >>> import ember
    >>> from ember.nn.utils.rnn import pack_padded_sequence
    >>> x = ember.tensor([[1, 4], [2, 5], [3, 0]])
    >>> pack_padded_sequence(x, [3, 2]).data.tolist()
    [1, 4, 2, 5, 3]
    """
    lengths = _as_lengths(lengths)
    if enforce_sorted and any(lengths[i] < lengths[i + 1] for i in range(len(lengths) - 1)):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                           "if you do not need ONNX exportability.")
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                         f"{len(lengths)} (batch_size={input.shape[1]})")
    if any(l <= 0 for l in lengths):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if max(lengths) > input.shape[0]:
        raise RuntimeError(f"Expected sequence length to be at most {input.shape[0]}, but got "
                           f"{max(lengths)}")
    order, batch_sizes, steps, cols = _packing_plan(lengths)
    device = input.device
    data = input[ember.tensor(steps, dtype=ember.int64, device=device),
                 ember.tensor(cols, dtype=ember.int64, device=device)]
    sorted_indices = None
    if not enforce_sorted:
        sorted_indices = ember.tensor(order, dtype=ember.int64, device=device)
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices,
                          None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack to a padded batch (T, B, *) and the lengths (in the original batch order).

    >>> import ember
    >>> from ember.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> padded, lengths = pad_packed_sequence(pack_sequence([ember.tensor([1, 2]), ember.tensor([3])]))
    >>> padded.tolist(), lengths.tolist()
    ([[1, 3], [2, 0]], [2, 1])
    """
    data, batch_sizes = sequence.data, [int(b) for b in sequence.batch_sizes.tolist()]
    n = batch_sizes[0] if batch_sizes else 0
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    sorted_order = list(range(n)) if sequence.sorted_indices is None else \
        [int(v) for v in sequence.sorted_indices.tolist()]
    lengths_sorted = [sum(1 for b in batch_sizes if b > j) for j in range(n)]
    # where each padded cell comes from: its packed row, or the padding row at the end
    source = np.full((steps, n), data.shape[0], np.int64)
    row = 0
    for t, size in enumerate(batch_sizes):
        for j in range(size):
            source[t, sorted_order[j]] = row
            row += 1
    pad_row = ember.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                         device=data.device)
    padded = ember.cat([data, pad_row], 0)[ember.tensor(source, dtype=ember.int64,
                                                        device=data.device)]
    lengths = [0] * n
    for j, b in enumerate(sorted_order):
        lengths[b] = lengths_sorted[j]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, ember.tensor(lengths, dtype=ember.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length tensors (L_i, *) into (L_max, B, *) (or (B, L_max, *)).

    >>> import ember
    >>> from ember.nn.utils.rnn import pad_sequence
    >>> pad_sequence([ember.tensor([1, 2]), ember.tensor([3])], batch_first=True).tolist()
    [[1, 2], [3, 0]]
    """
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        if extra:
            fill = ember.full((extra,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                              device=s.device)
            s = ember.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return ember.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences of a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[b, :l] for b, l in enumerate(_as_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length tensors (L_i, *)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence (original order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
