"""Every layer and loss of ``ember.nn``, one module file per family."""
from __future__ import annotations

from . import (activation, container, conv, distance, dropout, linear, loss, module, normalization,
               padding, pooling, rnn, sparse, transformer, upsampling)
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403

__all__ = sorted({name for family in (activation, container, conv, distance, dropout, linear, loss,
                                      module, normalization, padding, pooling, rnn, sparse,
                                      transformer, upsampling)
                  for name in family.__all__})
