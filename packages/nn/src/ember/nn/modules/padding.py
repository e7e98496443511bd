"""Padding layers: constant (zero), reflection, replication and circular."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _padding(padding, nd):
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    padding = tuple(padding)
    if len(padding) != 2 * nd:
        raise ValueError(f"expected padding to be a single integer or a tuple of {2 * nd} "
                         f"integers, got {padding}")
    return padding


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(padding, self._nd)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant.

    >>> import ember
    >>> from ember import nn
    >>> nn.ConstantPad1d(1, 3.0)(ember.zeros(1, 2))
    tensor([[3., 0., 0., 3.]])
    """

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant: (left, right, top, bottom)."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    _nd = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros.

    >>> import ember
    >>> from ember import nn
    >>> nn.ZeroPad2d(1)(ember.ones(1, 1, 1)).shape
    ember.Size([1, 3, 3])
    """

    _nd = 2


class ZeroPad3d(_ZeroPadNd):
    _nd = 3


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (edge not repeated).

    >>> import ember
    >>> from ember import nn
    >>> nn.ReflectionPad1d(1)(ember.tensor([[[1.0, 2.0, 3.0]]]))
    tensor([[[2., 1., 2., 3., 2.]]])
    """

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    _nd = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    _nd = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values.

    >>> import ember
    >>> from ember import nn
    >>> nn.ReplicationPad1d(1)(ember.tensor([[[1.0, 2.0]]]))
    tensor([[[1., 1., 2., 2.]]])
    """

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    _nd = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    _nd = 3
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around."""

    _nd = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    _nd = 2
    _mode = "circular"


class CircularPad3d(_PadNd):
    _nd = 3
    _mode = "circular"
