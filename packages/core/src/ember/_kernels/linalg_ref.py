"""Reference linalg kernels."""
from __future__ import annotations


class LinalgKernels:
    pass
