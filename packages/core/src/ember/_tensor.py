"""The Tensor: a strided view of a flat storage.

A tensor holds ``_data``, a backend array (numpy on the CPU, cupy on CUDA) that *is*
its strided view of the storage: shape, strides and offset are the array's, and the
storage is the flat array at the root of its ``base`` chain. View ops make new arrays
over the same memory; nothing copies unless the semantics demand it.

Note [Version counter]
    Every in-place write bumps ``_version_counter`` (``t._version`` reads its value).
    Views share their base's counter, so a write through any view is seen by every
    tensor over that memory; ``.data`` gets a fresh counter (writes through it are
    invisible to autograd, as in PyTorch).
    Autograd records the version of each tensor it saves and compares on unpack. The
    counter also remembers the last writer (op and line of user code) once autograd
    has asked it to, so the error can say who changed the tensor.
"""
from __future__ import annotations

import numpy as np

from . import _autograd_seam as seam
from . import _dtype as D
from ._device import CPU, as_device, get_backend, device as _device_cls


class VersionCounter:
    __slots__ = ("value", "watched", "last_write")
    frame_of_caller = None  # set by _dispatch (finds the user's line)

    def __init__(self):
        self.value = 0
        self.watched = False  # set by autograd when a saved tensor depends on this counter
        self.last_write = None

    def bump(self, op_name="an in-place operation"):
        self.value += 1
        if self.watched:
            self.last_write = (op_name, VersionCounter.frame_of_caller())


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``.

    >>> import ember
    >>> ember.zeros(2, 3).shape
    ember.Size([2, 3])
    """

    __slots__ = ()

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class UntypedStorage:
    """The flat buffer behind a tensor and all of its views."""

    __slots__ = ("_flat", "device")

    def __init__(self, flat, device):
        self._flat, self.device = flat, device

    def data_ptr(self):
        return _array_ptr(self._flat)

    def nbytes(self):
        return self._flat.nbytes

    def size(self):
        return self._flat.nbytes

    def __len__(self):
        return self._flat.nbytes

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and self.data_ptr() == other.data_ptr()

    def __hash__(self):
        return self.data_ptr()


def _array_ptr(array):
    if isinstance(array, np.ndarray):
        return array.__array_interface__["data"][0]
    return array.data.ptr  # cupy


def _root(array):
    """The array at the bottom of `array`'s base chain: its storage. The chain may pass
    through non-array owners (numpy's as_strided keeps a small interface object)."""
    root = array
    base = getattr(array, "base", None)
    while base is not None:
        if hasattr(base, "shape") and hasattr(base, "dtype"):
            root = base
        base = getattr(base, "base", None)
    return root


_object_new = object.__new__


def _new_tensor(array, dtype, device, cls=None):
    """A tensor that owns `array` (fresh storage, fresh version counter)."""
    t = _object_new(cls or Tensor)
    t._data = array
    t._dtype = dtype
    t._device = device
    t._version_counter = VersionCounter()
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._grad_meta = None
    t._base = None
    return t


def _new_view(base, array):
    """A tensor over the same memory as `base`, sharing its version counter."""
    t = _object_new(Tensor)
    t._data = array
    t._dtype = base._dtype
    t._device = base._device
    t._version_counter = base._version_counter
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._grad_meta = None
    t._base = base._base if base._base is not None else base
    return t


class Tensor:
    """A multi-dimensional array on a device, with autograd support when ember-autograd
    is installed.

    The legacy constructor works as in PyTorch: ``Tensor(5, 3)`` is an uninitialised
    5x3 float tensor, ``Tensor([[1, 2]])`` copies data into the default float dtype.

    >>> import ember
    >>> ember.Tensor([[1, 2], [3, 4]])
    tensor([[1., 2.],
            [3., 4.]])
    """

    __slots__ = ("_data", "_dtype", "_device", "_version_counter", "_requires_grad", "_grad", "grad_fn",
                 "_grad_meta", "_base", "__weakref__", "__dict__")
    _legacy_dtype = None  # FloatTensor & co. set this

    def __new__(cls, *args, device=None):
        from ._ops.creation import legacy_new
        return legacy_new(cls, cls._legacy_dtype or D.get_default_dtype(), args, device)

    def __init__(self, *args, **kwargs):
        pass

    # --- metadata ------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as ``ember.Size``, or the length of one dim.

        >>> import ember
        >>> ember.zeros(2, 3).size(-1)
        3
        """
        if dim is None:
            return Size(self._data.shape)
        from ._dispatch import wrap_dim
        return self._data.shape[wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    @property
    def itemsize(self):
        return self._dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self._dtype.itemsize

    def stride(self, dim=None):
        """Strides in elements (not bytes), as PyTorch reports them."""
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        if dim is None:
            return strides
        from ._dispatch import wrap_dim
        return strides[wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self):
        return (_array_ptr(self._data) - _array_ptr(_root(self._data))) // self._data.itemsize

    def data_ptr(self):
        return _array_ptr(self._data)

    def untyped_storage(self):
        root = _root(self._data)
        flat = root.reshape(-1) if root.flags.c_contiguous else root.T.reshape(-1)
        return UntypedStorage(flat, self._device)

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        return self._dtype.is_floating_point

    def is_complex(self):
        return False

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has seen (an int, as in PyTorch)."""
        return self._version_counter.value

    @property
    def layout(self):
        return "strided"

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_meta(self):
        return False

    def get_device(self):
        return -1 if self._device.type == "cpu" else self._device.index

    # --- autograd (delegated through the seam) --------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(bool(value))

    def requires_grad_(self, requires_grad=True):
        """Ask autograd to record ops on this tensor (needs ember-autograd).

        >>> import ember
        >>> ember.ones(2).requires_grad_().requires_grad
        True
        """
        if requires_grad or self._requires_grad:
            seam.require("requires_grad").set_requires_grad(self, bool(requires_grad))
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of graph leaves."""
        seam.require("backward()").backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        return seam.require("register_hook").register_hook(self, hook)

    def retain_grad(self):
        seam.require("retain_grad").retain_grad(self)

    @property
    def grad(self):
        """The accumulated gradient (leaves, and non-leaves after ``retain_grad()``)."""
        if self._grad is None and self.grad_fn is not None and not self.retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
                "the leaf Tensor instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: expected "
                                   f"{list(self.shape)}, got {list(value.shape)}")
            if value._dtype is not self._dtype:
                raise RuntimeError(f"assigned grad has data of a different type: expected "
                                   f"{self._dtype}, got {value._dtype}")
            if value._device != self._device:
                raise RuntimeError(f"assigned grad has data located on a different device: expected "
                                   f"{self._device}, got {value._device}")
        self._grad = value

    @property
    def retains_grad(self):
        return bool(self._grad_meta is not None and self._grad_meta.get("retains_grad"))

    def detach(self):
        """A tensor sharing storage (and version counter) that requires no grad."""
        return _new_view(self, self._data)

    def detach_(self):
        if seam.engine is not None:
            seam.engine.detach_(self)
        return self

    @property
    def data(self):
        """This tensor's values outside autograd: same storage, fresh version counter."""
        t = _new_view(self, self._data)
        t._version_counter = VersionCounter()
        return t

    @data.setter
    def data(self, new):
        if not isinstance(new, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(new).__name__}")
        if new.shape != self.shape or new._dtype is not self._dtype:
            pass  # PyTorch allows changing both
        self._data, self._dtype, self._device = new._data, new._dtype, new._device

    # --- conversion ----------------------------------------------------------------
    def numpy(self, *, force=False):
        """A numpy array sharing memory with this CPU tensor.

        >>> import ember
        >>> t = ember.zeros(2); t.numpy()[0] = 5; t
        tensor([5., 0.])
        """
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            return self.cpu().numpy()
        if self._dtype is D.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = self._host_values()
        if dtype is not None:
            array = array.astype(dtype)
        return array

    def _host_values(self):
        """Values as a numpy array (bfloat16 widened to float32), copying from devices."""
        array = get_backend(self._device.type).to_host(self._data)
        return D.bf16_to_f32(array) if self._dtype is D.bfloat16 else array

    def tolist(self):
        """Nested Python lists of Python numbers.

        >>> import ember
        >>> ember.tensor([[1, 2]]).tolist()
        [[1, 2]]
        """
        return self._host_values().tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._host_values().reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'more than one' if self._data.size else 'no'} "
                               "value is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self._dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        return bool((self == element).any().item())

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self, tensor_contents)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        from ._serialization import rebuild_tensor
        return (rebuild_tensor, (self._host_values().copy(), self._dtype.name, str(self._device),
                                 self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = self.detach().clone()
        result.__class__ = type(self)  # keeps subclasses such as nn.Parameter
        result.__dict__.update(self.__dict__)
        if self._requires_grad:
            result.requires_grad_(True)
        if self.grad is not None:
            result.grad = self.grad.detach().clone()
        memo[id(self)] = result
        return result

    # --- devices ---------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):
        """Convert dtype and/or device: ``t.to(ember.float64)``, ``t.to('cuda')``,
        ``t.to(other)``, ``t.to('cuda', ember.float16)``.

        >>> import ember
        >>> ember.tensor([1, 2]).to(ember.float64)
        tensor([1., 2.], dtype=ember.float64)
        """
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a._dtype, a._device
            elif isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
                device = a
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        from ._ops.creation import convert
        return convert(self, D.as_dtype(dtype) if dtype is not None else self._dtype,
                       as_device(device) if device is not None else self._device, copy)

    def cpu(self):
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False):
        """Copy to a CUDA device (needs ember-cuda and a GPU)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def type(self, dtype=None, non_blocking=False):
        """With no argument the legacy type name ('ember.FloatTensor'); else a conversion."""
        from ._ops.creation import LEGACY_NAMES, legacy_dtype
        if dtype is None:
            return "ember." + LEGACY_NAMES[self._dtype.name]
        return self.to(legacy_dtype(dtype))

    def type_as(self, other):
        return self.to(other._dtype)

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def bfloat16(self):
        return self.to(D.bfloat16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def bool(self):
        return self.to(D.bool)

    # --- DLPack ------------------------------------------------------------------
    def __dlpack__(self, stream=None, **kwargs):
        if self._dtype is D.bfloat16:
            raise BufferError("bfloat16 tensors cannot be exported through DLPack by ember")
        return self._data.__dlpack__(stream=stream, **kwargs) if stream is not None \
            else self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    @property
    def __cuda_array_interface__(self):
        if self._device.type != "cuda":
            raise AttributeError("__cuda_array_interface__ is only defined on CUDA tensors")
        return self._data.__cuda_array_interface__

    __array_priority__ = 1000  # numpy defers to our reflected operators
