"""The CUDA backend: storage is a 1-D CuPy array, kernels are CuPy operations.

Core's reference kernels are written against an array module `xp`, so the CUDA
kernel table is the same code with ``xp = cupy``; `CudaKernels` overrides the few
methods whose reference relies on numpy-only functions.
"""
from __future__ import annotations

import math

from ember._device import Backend

_cupy = None


def import_cupy():
    """CuPy, or a RuntimeError that says what to install."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as exc:
            raise RuntimeError(
                "CUDA needs CuPy, which is not installed (" + str(exc) + "). Install ember-cuda with "
                "the extra matching your CUDA version: pip install 'ember-cuda[cuda12]' or "
                "'ember-cuda[cuda13]'.") from None
        _cupy = cupy
    return _cupy


def probe():
    """None if CUDA can be used, else the reason it cannot."""
    try:
        cupy = import_cupy()
    except RuntimeError as exc:
        return str(exc)
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError, driver missing, ...
        return f"CuPy is installed but no CUDA device is usable: {exc}"
    if count == 0:
        return "CuPy is installed but this machine has no CUDA device"
    return None


class _MemoryStats:
    """CuPy's pool knows what is in use; the peak is sampled at ember's allocations."""

    peak = 0

    def allocated(self):
        return import_cupy().get_default_memory_pool().used_bytes()

    def sample(self):
        used = self.allocated()
        if used > self.peak:
            self.peak = used


memory_stats = _MemoryStats()


def generator_for(index):
    from ember import device
    from ember._random import default_generator_for
    return default_generator_for(device("cuda", index))


def _kernels_class():
    from ember._kernels.reference import Kernels

    class CudaKernels(Kernels):
        """Reference kernels over cupy, with cupy replacements for numpy-only helpers."""

        name = "cuda"

        def erf(self, out, a):
            from cupyx.scipy.special import erf
            out[...] = erf(a)

        def erfc(self, out, a):
            from cupyx.scipy.special import erfc
            out[...] = erfc(a)

        def erfinv(self, out, a):
            from cupyx.scipy.special import erfinv
            out[...] = erfinv(a)

        def reshape_view(self, a, shape):
            if math.prod(shape) != a.size:
                return None
            result = a.reshape(shape)
            # cupy copies silently when strides do not allow a view: detect it
            return result if a.size == 0 or result.data.ptr == a.data.ptr and \
                self.xp.shares_memory(result, a) else None

    return CudaKernels


class CudaBackend(Backend):
    """The ``cuda`` device of ember's registry (entry point ``ember.devices: cuda``)."""

    name = "cuda"

    def __init__(self):
        reason = probe()
        if reason is not None:
            raise RuntimeError(reason)
        self.xp = import_cupy()
        self.kernels = _kernels_class()(self.xp)

    def is_available(self):
        return True

    def device_count(self):
        return self.xp.cuda.runtime.getDeviceCount()

    def default_index(self):
        return self.xp.cuda.Device().id

    def _device(self, index):
        if index is not None and not 0 <= index < self.device_count():
            raise RuntimeError(f"CUDA error: invalid device ordinal (cuda:{index}; this machine has "
                               f"{self.device_count()} CUDA devices)")
        return self.xp.cuda.Device(index if index is not None else self.default_index())

    def empty(self, numel, np_dtype, index):
        with self._device(index):
            array = self.xp.empty(numel, np_dtype)
        memory_stats.sample()
        return array

    def from_host(self, array, index):
        with self._device(index):
            result = self.xp.asarray(array)
        memory_stats.sample()
        return result

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def as_strided(self, flat, shape, strides, offset):
        item = flat.itemsize
        return self.xp.ndarray(shape, flat.dtype, memptr=flat.data + offset * item,
                               strides=tuple(s * item for s in strides))

    def synchronize(self, index=None):
        self._device(index).synchronize()
