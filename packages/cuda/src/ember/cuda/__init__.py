"""``ember.cuda``: the CUDA device (CuPy storage and kernels).

Everything here works without a GPU: ``is_available()`` is then False and
``device_count()`` is 0, and moving a tensor to ``cuda`` raises an error that says
why (no CuPy installed, or no device) and what to install. CuPy is imported the first
time a function needs it, never by ``import ember``.
"""
from __future__ import annotations

import contextlib

__all__ = ["is_available", "device_count", "current_device", "set_device", "device", "synchronize",
           "manual_seed", "manual_seed_all", "seed", "memory_allocated", "max_memory_allocated",
           "reset_peak_memory_stats", "memory_reserved", "empty_cache", "get_device_name",
           "get_device_capability", "unavailable_reason"]


def _cupy():
    from ._backend import import_cupy
    return import_cupy()


def unavailable_reason():
    """Why CUDA cannot be used here (None when it can).

    >>> import ember
    >>> ember.cuda.unavailable_reason() is None or isinstance(ember.cuda.unavailable_reason(), str)
    True
    """
    from ._backend import probe
    return probe()


def is_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    return unavailable_reason() is None


def device_count() -> int:
    """Number of CUDA devices (0 without CuPy or a GPU)."""
    if not is_available():
        return 0
    return _cupy().cuda.runtime.getDeviceCount()


def current_device() -> int:
    """Index of the device new CUDA tensors go to."""
    return _cupy().cuda.Device().id


def set_device(device) -> None:
    """Make `device` (an int, 'cuda:1' or an ember.device) the current CUDA device."""
    _cupy().cuda.Device(_index(device)).use()


@contextlib.contextmanager
def device(device):
    """Context manager: ``with ember.cuda.device(1): ...`` allocates on cuda:1."""
    with _cupy().cuda.Device(_index(device)):
        yield


def synchronize(device=None) -> None:
    """Wait for all kernels on `device` (default: current) to finish."""
    cupy = _cupy()
    if device is None:
        cupy.cuda.Device().synchronize()
    else:
        cupy.cuda.Device(_index(device)).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the generator of the current CUDA device.

    ember's CPU and CUDA generators run the same counter-based algorithm (Philox), so
    the same seed gives the same numbers on both.
    """
    from ._backend import generator_for
    generator_for(current_device()).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the generators of all CUDA devices."""
    from ._backend import generator_for
    for index in range(device_count()):
        generator_for(index).manual_seed(seed)


def seed() -> None:
    """Seed the current device's generator from a random source."""
    import random
    manual_seed(random.getrandbits(63))


def memory_allocated(device=None) -> int:
    """Bytes held by live tensors (CuPy's memory pool in use)."""
    from ._backend import memory_stats
    return memory_stats.allocated()


def max_memory_allocated(device=None) -> int:
    """Peak of ``memory_allocated`` seen at ember's allocations since start or the last reset."""
    from ._backend import memory_stats
    return memory_stats.peak


def reset_peak_memory_stats(device=None) -> None:
    from ._backend import memory_stats
    memory_stats.peak = memory_stats.allocated()


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds from the driver (in use or cached)."""
    return _cupy().get_default_memory_pool().total_bytes()


def empty_cache() -> None:
    """Give cached, unused pool memory back to the driver."""
    _cupy().get_default_memory_pool().free_all_blocks()
    _cupy().get_default_pinned_memory_pool().free_all_blocks()


def get_device_name(device=None) -> str:
    cupy = _cupy()
    index = current_device() if device is None else _index(device)
    props = cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_capability(device=None):
    cupy = _cupy()
    index = current_device() if device is None else _index(device)
    cc = cupy.cuda.Device(index).compute_capability
    return int(cc[:-1]), int(cc[-1])


def _index(device):
    if isinstance(device, int):
        return device
    from ember import device as device_cls
    d = device_cls(device)
    if d.type != "cuda":
        raise ValueError(f"expected a cuda device, got {d}")
    return d.index if d.index is not None else current_device()
