"""Reference indexing kernels."""
from __future__ import annotations


class IndexingKernels:
    pass
