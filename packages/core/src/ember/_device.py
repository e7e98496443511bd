"""Devices and the device registry.

`cpu` is built in. Every other device type comes from the entry-point group
``ember.devices`` (ember-cuda declares ``cuda``); the group is read the first time an
unknown device name is needed, and each backend is loaded once and cached.
Set ``EMBER_DEVICE_AUTOLOAD=0`` to read no entry points at all.
"""
from __future__ import annotations

import os
import threading

import numpy as np

__all__ = ["device", "Backend", "get_backend", "known_device_types", "register_backend"]

# device type -> distribution that provides it, for error messages
_KNOWN_PROVIDERS = {"cuda": "ember-cuda (pip install ember-cuda[cuda12] or ember-cuda[cuda13])"}


class device:
    """Where a tensor's storage lives: ``ember.device('cpu')``, ``ember.device('cuda:1')``,
    ``ember.device('cuda', 0)``.

    >>> import ember
    >>> ember.device("cuda:1")
    device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): index given twice")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):  # device(0) means cuda:0
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string or device, got {type!r}")
        text = type.strip()
        if ":" in text:
            if index is not None:
                raise ValueError(f"device(): type {text!r} already has an index; got index={index}")
            text, _, idx = text.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if not text or not text.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{type}'")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must be a non-negative integer, got {index!r}")
        self.type, self.index = text, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


class Backend:
    """The protocol a device backend implements (the CPU one is below).

    ``xp`` is the array module whose 1-D arrays are the storages and whose strided
    views the kernels see; ``kernels`` is the backend's kernel table.
    """

    name: str
    xp = None
    kernels = None

    def is_available(self) -> bool:
        raise NotImplementedError

    def device_count(self) -> int:
        raise NotImplementedError

    def default_index(self):
        """The index `device('name')` resolves to, or None for index-less devices."""
        return None

    def empty(self, numel: int, np_dtype, index):
        """A new flat storage array of `numel` elements."""
        raise NotImplementedError

    def from_host(self, array: np.ndarray, index):
        """Copy a numpy array (any layout) to this device; returns an array of the same shape."""
        raise NotImplementedError

    def to_host(self, array) -> np.ndarray:
        raise NotImplementedError

    def as_strided(self, flat, shape, strides, offset):
        """A view of flat storage `flat` (element strides and offset)."""
        raise NotImplementedError

    def base_of(self, array):
        """The flat storage array that `array` is a view of."""
        while array.base is not None and hasattr(array.base, "shape"):
            array = array.base
        return array

    def synchronize(self, index=None):
        pass


class CPUBackend(Backend):
    name = "cpu"
    xp = np

    def __init__(self):
        from ._kernels import cpu_kernels
        self.kernels = cpu_kernels()

    def is_available(self):
        return True

    def device_count(self):
        return 1

    def empty(self, numel, np_dtype, index):
        return np.empty(numel, np_dtype)

    def from_host(self, array, index):
        return array

    def to_host(self, array):
        return array

    def as_strided(self, flat, shape, strides, offset):
        item = flat.itemsize
        return np.ndarray(shape, flat.dtype, buffer=flat, offset=offset * item,
                          strides=tuple(s * item for s in strides))


_backends: dict[str, Backend] = {}  # read without the lock: dict lookups are atomic
_entry_points = None  # name -> EntryPoint, read once
_lock = threading.RLock()


def register_backend(name: str, backend: Backend) -> None:
    """Register a backend object directly (entry points do this for installed plugins)."""
    with _lock:
        _backends[name] = backend


def _device_entry_points():
    global _entry_points
    if _entry_points is None:
        found = {}
        if os.environ.get("EMBER_DEVICE_AUTOLOAD", "1") != "0":
            from importlib.metadata import entry_points
            for ep in entry_points(group="ember.devices"):
                found.setdefault(ep.name, ep)
        _entry_points = found
    return _entry_points


def known_device_types() -> list[str]:
    """Device types that are built in or provided by an installed plugin."""
    with _lock:
        return sorted({"cpu", *_backends, *_device_entry_points()})


def get_backend(type_name: str) -> Backend:
    """The backend for a device type, loading its plugin on first use."""
    backend = _backends.get(type_name)
    if backend is not None:
        return backend
    with _lock:
        if type_name in _backends:
            return _backends[type_name]
        if type_name == "cpu":
            backend = CPUBackend()
        else:
            ep = _device_entry_points().get(type_name)
            if ep is None:
                hint = _KNOWN_PROVIDERS.get(type_name)
                hint = f"; install {hint}" if hint else ""
                raise RuntimeError(
                    f"unknown device type '{type_name}': known device types are "
                    f"{', '.join(known_device_types())}{hint}")
            try:
                backend = ep.load()()
            except Exception as exc:
                raise RuntimeError(
                    f"device plugin '{type_name}' ({ep.value}) failed to load: "
                    f"{type(exc).__name__}: {exc}") from exc
        _backends[type_name] = backend
        return backend


CPU = device("cpu")


def as_device(value) -> device:
    """Normalise a device argument: None, str, int, or device. 'cuda' gets its default index."""
    if value is None:
        return CPU
    if isinstance(value, device) and (value.index is not None or value.type == "cpu"):
        return value
    d = device(value)
    if d.type == "cpu":
        return CPU
    backend = get_backend(d.type)
    if d.index is None:
        d = device(d.type, backend.default_index())
    return d
