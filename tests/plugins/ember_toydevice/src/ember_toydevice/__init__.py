"""A device plugin as a third party would write one: numpy memory under the name
'toy', with two device indices, copying on every transfer like a real device."""
import numpy as np

from ember._device import Backend
from ember._kernels.reference import Kernels


class ToyBackend(Backend):
    name = "toy"
    xp = np

    def __init__(self):
        self.kernels = Kernels(np)
        self.transfers = 0  # tests check that copies really happen

    def is_available(self):
        return True

    def device_count(self):
        return 2

    def default_index(self):
        return 0

    def empty(self, numel, np_dtype, index):
        self._check(index)
        return np.empty(numel, np_dtype)

    def from_host(self, array, index):
        self._check(index)
        self.transfers += 1
        return np.array(array, copy=True)

    def to_host(self, array):
        self.transfers += 1
        return np.array(array, copy=True)

    def as_strided(self, flat, shape, strides, offset):
        item = flat.itemsize
        return np.ndarray(shape, flat.dtype, buffer=flat, offset=offset * item,
                          strides=tuple(s * item for s in strides))

    def _check(self, index):
        if index is not None and not 0 <= index < 2:
            raise RuntimeError(f"toy device index {index} out of range (the toy device has 2 units)")
