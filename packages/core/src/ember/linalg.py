"""``ember.linalg``: PyTorch's ``torch.linalg`` namespace.

The functions live with the other linear-algebra ops in ``_ops/linalg.py`` (one
implementation each; ``ember.det`` and ``ember.linalg.det`` are the same function).
"""
from __future__ import annotations

from ._ops.linalg import (LinAlgError, det, eigh, eigvalsh, inv, lstsq, matmul, matrix_norm,
                          matrix_power, matrix_rank, multi_dot, pinv, slogdet, solve, svdvals,
                          vecdot, vector_norm)
from ._ops.linalg import linalg_cholesky as cholesky
from ._ops.linalg import linalg_cross as cross
from ._ops.linalg import linalg_norm as norm
from ._ops.linalg import linalg_qr as qr
from ._ops.linalg import linalg_svd as svd

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]
