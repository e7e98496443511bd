"""The Cython kernel table: the reference `Kernels` with the methods `_cy` and `_cy_loss`
speed up.

Their functions take the table as their first argument (they are installed as
methods) and hand any case they do not cover back to the reference method.
"""
from __future__ import annotations

import os

# Note [OpenMP wait policy]: after a parallel region libgomp's threads spin, by default,
# waiting for more work. numpy's BLAS keeps its own spinning threads; on a machine with
# few cores the two pools starve each other, and an MLP step measured 40x slower. Passive
# waiting costs a few microseconds per parallel region, which only large arrays enter.
# It must be set before libgomp loads (with `_cy`); a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _cy, _cy_conv, _cy_loss  # noqa: E402  (ImportError: an extension was not built)
from .reference import Kernels

# kernels each extension implements, by name; each is a method with the reference's signature
_OVERRIDES = {
    _cy: ("add", "sub", "mul", "div", "maximum", "minimum",
          "eq", "ne", "lt", "le", "gt", "ge",
          "neg", "relu", "sqrt", "clamp", "exp", "where",
          "copy", "fill", "contiguous",
          "sum", "mean", "amax", "amin",
          "gather", "index_select", "scatter_", "scatter_add_", "index_add_", "index_copy_",
          "index_fill_", "index_put_", "masked_select", "masked_scatter_", "masked_fill_",
          "cumsum", "cumprod", "cummax", "cummin", "softmax", "log_softmax",
          "threshold_backward"),
    _cy_loss: ("bad_class_target", "nll_loss", "nll_loss_backward", "mse_loss", "huber_loss",
               "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"),
    # the window kernels of convolution and pooling
    _cy_conv: ("im2col", "col2im", "max_pool", "max_pool_backward", "avg_pool",
               "avg_pool_backward"),
}


class CythonKernels(Kernels):
    name = "cython"
    locals().update({_name: getattr(_module, _name)
                     for _module, _names in _OVERRIDES.items() for _name in _names})
