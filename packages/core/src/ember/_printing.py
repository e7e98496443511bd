"""Tensor printing (placeholder until the PyTorch-format printer lands)."""
from __future__ import annotations


def tensor_repr(t):
    return f"tensor({t._host_values().tolist()})"
