"""How many threads the CPU kernels use: ``ember.set_num_threads`` and ``get_num_threads``.

The default is ``OMP_NUM_THREADS`` when it is set (as in PyTorch), else the number of
CPUs this process may run on. Only the Cython kernels run in parallel; with the pure
kernels the setting is kept but changes nothing.
"""
from __future__ import annotations

import os
import sys


def _default():
    # OMP_NUM_THREADS may list one count per nesting level: the first is ours
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_num_threads = _default()


def set_num_threads(n):
    """Set the number of threads used by the parallel CPU kernels.

    >>> import ember
    >>> saved = ember.get_num_threads()
    >>> ember.set_num_threads(1)
    >>> ember.get_num_threads()
    1
    >>> ember.set_num_threads(saved)
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = n
    cy = sys.modules.get("ember._kernels._cy")  # not loaded yet: it reads the value on import
    if cy is not None:
        cy.set_num_threads(n)


def get_num_threads():
    """The number of threads used by the parallel CPU kernels.

    >>> import ember
    >>> ember.get_num_threads() >= 1
    True
    """
    return _num_threads
