"""Ember: PyTorch's programming model in Python.

``import ember as torch`` gives tensors, ops and devices (this package, ember-core);
ember-autograd, ember-nn and ember-cuda plug in when installed. Importing ember is
cheap: subpackages (``ember.nn``, ``ember.optim``, ``ember.cuda``...) load on first use.
"""
import importlib as _importlib
import pkgutil as _pkgutil

# other distributions (ember-autograd, ember-nn...) ship subpackages of `ember` from their own
# directories (separate source trees in development installs): let imports find them
__path__ = _pkgutil.extend_path(__path__, __name__)

from . import _compiled

if _compiled.flag("EMBER_PURE_PYTHON"):  # Note [compiled modules]
    _compiled.prefer_sources()

from . import _dispatch, _dtype
from ._device import device
from ._dtype import (bfloat16, bool, can_cast, double, dtype, finfo, float, float16, float32,
                     float64, get_default_dtype, half, iinfo, int, int8, int16, int32, int64, long,
                     promote_types, result_type, set_default_dtype, short, uint8)
from ._grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                         no_grad, set_grad_enabled)
from ._tensor import Size, Tensor, UntypedStorage
from ._threads import get_num_threads, set_num_threads
from ._printing import get_printoptions, set_printoptions
from . import _methods  # noqa: F401  (installs Tensor methods and operators)
_compiled.check_compiled(_dispatch)
from . import linalg
from . import _ops, config
from ._serialization import load, save

for _family in _ops.FAMILIES:
    globals().update({_n: getattr(_family, _n) for _n in _family.__all__})
del _family

__version__ = "0.1.0"

# subpackage -> distribution that provides it (loaded lazily, see __getattr__)
_SUBPACKAGES = {"autograd": "ember-autograd", "nn": "ember-nn", "optim": "ember-nn",
                "utils": "ember-nn", "cuda": "ember-cuda"}


def __getattr__(name):
    if name in _SUBPACKAGES:
        try:
            module = _importlib.import_module(f"ember.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ember.{name}":
                raise
            raise AttributeError(f"ember.{name} is not installed; install {_SUBPACKAGES[name]} "
                                 f"(pip install {_SUBPACKAGES[name]})") from None
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
