"""Kernel implementations and their selection.

Two implementations share one interface (the methods of `reference.Kernels`):
the pure-Python reference (numpy over strided views) and the Cython hot path
(`_cy`), which overrides the methods it implements. Selection happens once:

* ``EMBER_PURE_PYTHON=1`` forces the reference;
* ``EMBER_REQUIRE_CYTHON=1`` makes a missing or broken extension an error;
* otherwise the Cython kernels are used when they were built.

``ember.config.kernels`` says which one is active.
"""
from __future__ import annotations

import warnings

from .._compiled import flag as _flag

# numpy warns on division by zero, log of 0, NaN casts...; PyTorch computes the IEEE
# result silently, and so do we. A filter scoped to ember's own modules costs nothing
# until a warning fires (np.errstate would cost ~2 us on every call).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.(_kernels|_dispatch|_ops)")

IMPLEMENTATION = None  # "cython" or "pure", set by cpu_kernels()
CYTHON_ERROR = None


def cpu_kernels():
    """The CPU kernel table for this process."""
    global IMPLEMENTATION, CYTHON_ERROR
    import numpy as np

    from .reference import Kernels
    if not _flag("EMBER_PURE_PYTHON"):
        try:
            from .cython import CythonKernels
        except ImportError as exc:
            CYTHON_ERROR = exc
            if _flag("EMBER_REQUIRE_CYTHON"):
                raise ImportError(
                    "EMBER_REQUIRE_CYTHON=1 but ember's Cython kernels could not be imported "
                    f"({exc}); rebuild ember-core with Cython available") from exc
        else:
            IMPLEMENTATION = "cython"
            return CythonKernels(np)
    elif _flag("EMBER_REQUIRE_CYTHON"):
        raise ImportError("EMBER_PURE_PYTHON=1 and EMBER_REQUIRE_CYTHON=1 contradict each other")
    IMPLEMENTATION = "pure"
    return Kernels(np)


def make(implementation: str):
    """A CPU kernel table of the named implementation ("cython" or "pure"), for tests
    that run the same public API under both. Raises ImportError if Cython is missing."""
    import numpy as np

    if implementation == "pure":
        from .reference import Kernels
        return Kernels(np)
    if implementation == "cython":
        from .cython import CythonKernels
        return CythonKernels(np)
    raise ValueError(f"unknown kernel implementation {implementation!r}; expected 'cython' or 'pure'")
