"""``ember.nn``: neural-network building blocks with PyTorch's API.

``Module`` and its containers, layers, losses, ``functional``, ``init`` and ``utils``;
every layer is a composition of ember ops, so ember-autograd derives gradients.

>>> import ember
>>> from ember import nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> model(ember.ones(3, 4)).shape
ember.Size([3, 2])
"""
from __future__ import annotations

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "functional", "init", "utils"] + list(_modules_all)
