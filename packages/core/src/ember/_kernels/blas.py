"""How many threads numpy's BLAS may use for one product.

Note [BLAS threads]: OpenBLAS splits every product above about 262K multiply-adds
over all cores and waits for its threads. On a machine with two cores that also runs
anything else, a mid-sized product (an MLP layer: 64x256 by 256x256) then waits for a
core to come free and takes milliseconds instead of 0.1 ms. Mid-sized products run on
one thread; large ones, where two threads pay off even on a busy machine, keep them.
Only numpy's bundled OpenBLAS is controlled; with another BLAS this does nothing.
"""
from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

# multiply-adds: OpenBLAS itself is single-threaded below the first bound
OPENBLAS_SINGLE_BELOW = 262144
PARALLEL_FROM = 1 << 24

_set_local = None


def _find():
    """openblas_set_num_threads_local from numpy's bundled OpenBLAS, or None."""
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


_set_local = _find()


def limit(multiply_adds):
    """Before a product of this size: the thread count to restore afterwards, or None
    when nothing was changed."""
    if _set_local is None or not OPENBLAS_SINGLE_BELOW <= multiply_adds < PARALLEL_FROM:
        return None
    return _set_local(1)


def restore(previous):
    if previous is not None:
        _set_local(previous)
