"""``ember.nn.functional``: every layer and loss of ``ember.nn`` as a function.

Each function is a composition of public ember ops, so ember-autograd derives its
gradient; the families live in the private modules imported below.

>>> import ember
>>> import ember.nn.functional as F
>>> F.relu(ember.tensor([-1.0, 1.0]))
tensor([0., 1.])
"""
from __future__ import annotations

from . import _activation, _attention, _conv, _linear, _loss, _norm
from ._activation import *  # noqa: F401,F403
from ._attention import *  # noqa: F401,F403
from ._conv import *  # noqa: F401,F403
from ._linear import *  # noqa: F401,F403
from ._loss import *  # noqa: F401,F403
from ._norm import *  # noqa: F401,F403

__all__ = sorted(set(_activation.__all__ + _attention.__all__ + _conv.__all__ + _linear.__all__
                     + _loss.__all__ + _norm.__all__))
