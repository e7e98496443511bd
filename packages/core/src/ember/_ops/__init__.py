"""Public ops, one module per family. Each function is a thin entry into `_dispatch`.

Every family module defines ``__all__`` (exported as ``ember.<name>``) and
``METHODS`` (name -> function installed on Tensor, tensor first).
"""
from . import creation, indexing, pointwise, reduction, shape

FAMILIES = [creation, indexing, pointwise, reduction, shape]
for _optional in ("joining", "linalg", "loss", "random", "sorting", "conv"):
    try:
        FAMILIES.append(__import__(f"{__name__}.{_optional}", fromlist=["x"]))
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_optional}":
            raise
