"""Run-time configuration: which kernel implementation is active, threads.

>>> import ember
>>> ember.config.kernels in ("cython", "pure")
True
"""
from __future__ import annotations


def __getattr__(name):
    if name == "kernels":
        from ._device import get_backend
        from . import _kernels
        get_backend("cpu")  # selection happens with the CPU backend
        return _kernels.IMPLEMENTATION
    if name == "cython_error":
        from . import _kernels
        return _kernels.CYTHON_ERROR
    raise AttributeError(f"module 'ember.config' has no attribute '{name}'")
