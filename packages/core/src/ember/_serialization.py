"""``ember.save`` / ``ember.load``: a format that cannot execute code when loaded.

A file is a zip archive holding ``manifest.json`` (the object tree, in JSON) and one
``.npy`` file per tensor, read back with ``allow_pickle=False``. Only tensors, numbers,
strings, bytes, None, dtypes, devices and lists/tuples/dicts/OrderedDicts of them are
stored; anything else is refused at save time, so nothing at load time ever needs to
import or call user code. Corrupted or truncated files raise a clear error.
"""
from __future__ import annotations

import collections
import io
import json
import math
import os
import zipfile

import numpy as np

from . import _dtype as D
from ._device import as_device, device
from ._tensor import Tensor

FORMAT = "ember.save"
VERSION = 1
_MAX_DEPTH = 200
# what zipfile, json and np.load raise on damaged input (zipfile raises NotImplementedError
# for a flipped version byte, for example); all become SerializationError
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               NotImplementedError, UnicodeDecodeError, RuntimeError, OverflowError, IndexError)


class SerializationError(RuntimeError):
    """A file that is not a valid ember archive (corrupted, truncated, or crafted)."""


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save tensors and containers of them (e.g. a ``state_dict``) to a path or file object.

    >>> import ember, io
    >>> buffer = io.BytesIO()
    >>> ember.save({"w": ember.ones(2), "step": 3}, buffer)
    >>> ember.load(io.BytesIO(buffer.getvalue()))
    {'w': tensor([1., 1.]), 'step': 3}
    """
    if pickle_module is not None:
        raise ValueError("ember.save never pickles; pickle_module is not supported")
    tensors = []
    manifest = {"format": FORMAT, "version": VERSION, "object": _encode(obj, tensors, 0)}
    target = open(f, "wb") if isinstance(f, (str, os.PathLike)) else f
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest))
            for index, array in enumerate(tensors):
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                archive.writestr(f"tensors/{index}.npy", buffer.getvalue())
    finally:
        if target is not f:
            target.close()


def _encode(obj, tensors, depth):
    if depth > _MAX_DEPTH:
        raise ValueError("ember.save: object nested too deeply")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return {"int": str(obj)} if abs(obj) > 2 ** 53 else obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, Tensor):
        host = obj.detach()._data if obj.device.type == "cpu" else obj.detach().cpu()._data
        tensors.append(np.ascontiguousarray(host))
        return {"tensor": len(tensors) - 1, "dtype": obj.dtype.name,
                "requires_grad": bool(obj.requires_grad), "device": str(obj.device),
                "parameter": type(obj).__name__ == "Parameter"}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError("ember.save: object arrays cannot be saved")
        tensors.append(np.ascontiguousarray(obj))
        return {"ndarray": len(tensors) - 1}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return _encode(obj.item(), tensors, depth)
    if isinstance(obj, D.dtype):
        return {"dtype": obj.name}
    if isinstance(obj, device):
        return {"device": str(obj)}
    if isinstance(obj, bytes):
        return {"bytes": obj.hex()}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, tensors, depth + 1) for v in obj]
        return {"list": items} if isinstance(obj, list) else {"tuple": items}
    if isinstance(obj, dict):
        kind = "ordered" if isinstance(obj, collections.OrderedDict) else "dict"
        return {kind: [[_encode(k, tensors, depth + 1), _encode(v, tensors, depth + 1)]
                       for k, v in obj.items()]}
    raise TypeError(f"ember.save cannot store an object of type {type(obj).__name__}: only tensors, "
                    "numbers, strings, bytes, None, dtypes, devices and lists/tuples/dicts of them. "
                    "Save a module's state_dict() rather than the module.")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Load what `save` wrote. Never executes code: files that are not ember archives
    (pickles included) are refused.

    `map_location` moves tensors to a device (a device, a string, or a dict mapping
    saved device names to new ones).
    """
    try:
        archive = zipfile.ZipFile(f)
    except _ZIP_ERRORS as exc:
        raise SerializationError(
            f"ember.load: {_name(f)} is not an ember archive ({exc}). ember only loads files "
            "written by ember.save, and never unpickles (pickled files could run code).") from None
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except KeyError:
            raise SerializationError(f"ember.load: {_name(f)} has no manifest.json; it was not "
                                     "written by ember.save") from None
        except _ZIP_ERRORS as exc:
            raise SerializationError(f"ember.load: {_name(f)} is corrupted: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SerializationError(f"ember.load: {_name(f)} is not an ember archive")
        if manifest.get("version") != VERSION:
            raise SerializationError(f"ember.load: unsupported format version "
                                     f"{manifest.get('version')!r} (this ember reads {VERSION})")
        try:
            return _Decoder(archive, map_location, _name(f)).decode(manifest.get("object"), 0)
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            # the manifest is untrusted JSON: a field of the wrong type is damage too
            raise SerializationError(f"ember.load: {_name(f)} is corrupted: malformed manifest "
                                     f"({type(exc).__name__}: {exc})") from None


def _name(f):
    return repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "the file"


class _Decoder:
    def __init__(self, archive, map_location, name):
        self.archive, self.map_location, self.name = archive, map_location, name

    def fail(self, why):
        raise SerializationError(f"ember.load: {self.name} is corrupted: {why}")

    def array(self, index):
        if not isinstance(index, int) or isinstance(index, bool):
            self.fail(f"bad tensor reference {index!r}")
        try:
            data = self.archive.read(f"tensors/{index}.npy")
        except KeyError:
            self.fail(f"missing tensor data {index}")
        except _ZIP_ERRORS as exc:
            self.fail(f"unreadable tensor data {index} ({type(exc).__name__}: {exc})")
        return self.npy(data, index)

    def npy(self, data, index):
        """A .npy payload as an array, its header checked against the bytes present
        before anything is allocated (a crafted header may claim any size)."""
        stream = io.BytesIO(data)
        try:
            version = np.lib.format.read_magic(stream)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}[version]
            shape, fortran, dtype = read_header(stream)
        except Exception as exc:  # untrusted header text: any parse failure is damage
            self.fail(f"unreadable tensor data {index} ({type(exc).__name__}: {exc})")
        if dtype.hasobject or not all(isinstance(n, int) and n >= 0 for n in shape):
            self.fail(f"tensor data {index} has an unsupported header")
        count = int(np.prod(shape, dtype=object))
        if count * dtype.itemsize != len(data) - stream.tell():
            self.fail(f"tensor data {index} holds {len(data) - stream.tell()} bytes, but its header "
                      f"says {list(shape)} of {dtype}")
        array = np.frombuffer(data, dtype, count, offset=stream.tell())
        return (array.reshape(shape[::-1]).T if fortran else array.reshape(shape)).copy()

    def device(self, saved):
        loc = self.map_location
        if loc is None:
            return as_device(saved)
        if isinstance(loc, dict):
            return as_device(loc.get(saved, saved))
        if callable(loc):
            raise TypeError("ember.load: map_location must be a device, a string or a dict")
        return as_device(loc)

    def decode(self, node, depth):
        if depth > _MAX_DEPTH:
            self.fail("object nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, dict) and len(node) >= 1:
            if "tensor" in node:
                return self.tensor(node)
            key = next(iter(node))
            value = node[key]
            if key == "list" and isinstance(value, list):
                return [self.decode(v, depth + 1) for v in value]
            if key == "tuple" and isinstance(value, list):
                return tuple(self.decode(v, depth + 1) for v in value)
            if key in ("dict", "ordered") and isinstance(value, list):
                pairs = []
                for pair in value:
                    if not isinstance(pair, list) or len(pair) != 2:
                        self.fail("malformed dict entry")
                    k = self.decode(pair[0], depth + 1)
                    if isinstance(k, (list, dict, Tensor)):
                        self.fail("unhashable dict key")
                    pairs.append((k, self.decode(pair[1], depth + 1)))
                return collections.OrderedDict(pairs) if key == "ordered" else dict(pairs)
            if key == "ndarray":
                return self.array(value)
            if key == "int" and isinstance(value, str) and value.lstrip("-").isdigit():
                return int(value)
            if key == "float" and value in ("inf", "-inf", "nan"):
                return float(value)
            if key == "dtype" and value in D._by_name:
                return D._by_name[value]
            if key == "device" and isinstance(value, str):
                return device(value)
            if key == "bytes" and isinstance(value, str):
                try:
                    return bytes.fromhex(value)
                except ValueError:
                    self.fail("malformed bytes")
        self.fail(f"unknown entry {str(node)[:80]!r}")

    def tensor(self, node):
        from ._ops.creation import from_host
        dtype = D._by_name.get(node.get("dtype"))
        if dtype is None:
            self.fail(f"unknown dtype {node.get('dtype')!r}")
        array = self.array(node["tensor"])
        if array.dtype != dtype.np:
            self.fail(f"tensor data of type {array.dtype} does not match its dtype {dtype.name}")
        requires_grad = node.get("requires_grad")
        if requires_grad not in (True, False, None) or (requires_grad and not dtype.is_floating_point):
            self.fail(f"tensor of dtype {dtype.name} marked requires_grad={requires_grad!r}")
        try:
            device = self.device(str(node.get("device", "cpu")))
        except (RuntimeError, ValueError, TypeError) as exc:
            self.fail(f"bad device {node.get('device')!r} ({exc})")
        t = from_host(array, dtype, device)
        if node.get("parameter") and _parameter_class() is not None:
            t = _parameter_class()(t, requires_grad=bool(requires_grad))
        elif requires_grad:
            t.requires_grad_(True)
        return t


def _parameter_class():
    """nn.Parameter if ember-nn is already imported (loading never imports packages)."""
    import sys
    module = sys.modules.get("ember.nn.parameter")
    return getattr(module, "Parameter", None)


def rebuild_tensor(values, dtype_name, device_name, requires_grad):
    """Unpickling support for ``copy``/``pickle`` of tensors by user code."""
    from ._ops.creation import from_host
    dtype = D._by_name[dtype_name]
    t = from_host(values, dtype, as_device(device_name))
    if requires_grad:
        t.requires_grad_(True)
    return t
