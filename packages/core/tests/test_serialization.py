"""ember.save / ember.load: round trips, and files that must be refused."""
import collections
import io
import os
import pickle
import random
import zipfile

import numpy as np
import pytest

import ember
from ember._serialization import SerializationError


def roundtrip(obj, **kwargs):
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    return ember.load(io.BytesIO(buffer.getvalue()), **kwargs)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "uint8", "int8",
                                   "int16", "int32", "int64", "bool"])
def test_every_dtype_round_trips_bit_exactly(dtype):
    values = ember.arange(-6, 6).view(3, 4).to(getattr(ember, dtype)) / 3 \
        if dtype in ("float16", "bfloat16", "float32", "float64") else \
        ember.arange(0, 12).view(3, 4).to(getattr(ember, dtype))
    back = roundtrip(values)
    assert back.dtype is values.dtype and back.shape == values.shape
    assert back._data.tobytes() == values.contiguous()._data.tobytes()


def test_containers_numbers_and_special_values():
    state = collections.OrderedDict(w=ember.ones(2, 3).t(), b=ember.zeros(3))
    obj = {"state": state, "step": 10, 3: "int key", "lr": 0.1, "inf": float("inf"),
           "nan": float("nan"), "big": 2 ** 70, "seq": [1, (2, 3.5)], "none": None, "flag": True,
           "dtype": ember.float64, "device": ember.device("cpu"), "blob": b"\x00\xff",
           "np": np.arange(3)}
    back = roundtrip(obj)
    assert isinstance(back["state"], collections.OrderedDict)
    assert list(back["state"]) == ["w", "b"]
    assert back["state"]["w"].tolist() == [[1.0, 1.0]] * 3
    assert back["step"] == 10 and back[3] == "int key" and back["lr"] == 0.1
    assert back["inf"] == float("inf") and back["nan"] != back["nan"] and back["big"] == 2 ** 70
    assert back["seq"] == [1, (2, 3.5)] and back["none"] is None and back["flag"] is True
    assert back["dtype"] is ember.float64 and back["device"] == ember.device("cpu")
    assert back["blob"] == b"\x00\xff" and back["np"].tolist() == [0, 1, 2]


def test_paths_and_map_location(tmp_path):
    path = tmp_path / "state.pt"
    ember.save({"x": ember.tensor([1.0, 2.0])}, path)
    assert ember.load(path)["x"].tolist() == [1.0, 2.0]
    assert ember.load(str(path), map_location="cpu")["x"].device == ember.device("cpu")
    assert ember.load(path, map_location={"cpu": "cpu"})["x"].tolist() == [1.0, 2.0]


def test_unsupported_objects_are_refused_at_save_time():
    class Model:
        pass
    with pytest.raises(TypeError, match="cannot store an object of type Model.*state_dict"):
        ember.save({"model": Model()}, io.BytesIO())
    with pytest.raises(ValueError, match="never pickles"):
        ember.save({}, io.BytesIO(), pickle_module=pickle)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_malicious_pickle_is_refused_without_running_it(tmp_path, monkeypatch):
    evil = pickle.dumps(_Exploit())
    payload = io.BytesIO()
    np.save(payload, np.array([_Exploit()], dtype=object), allow_pickle=True)
    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd))
    path = tmp_path / "evil.pt"
    path.write_bytes(evil)
    with pytest.raises(SerializationError, match="not an ember archive.*never unpickles"):
        ember.load(path)
    # a pickle smuggled inside a zip with a real-looking layout
    evil_zip = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil_zip, "w") as z:
        z.writestr("archive/data.pkl", evil)
    with pytest.raises(SerializationError, match="no manifest.json"):
        ember.load(evil_zip)
    # and as a tensor payload: np.load refuses object arrays
    buffer = io.BytesIO()
    ember.save({"x": ember.ones(2)}, buffer)
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(tampered, "w") as dst:
        dst.writestr("manifest.json", src.read("manifest.json"))
        dst.writestr("tensors/0.npy", payload.getvalue())
    with pytest.raises(SerializationError, match="tensor data 0 has an unsupported header"):
        ember.load(io.BytesIO(tampered.getvalue()))
    assert calls == []


def test_truncated_and_mutated_files_raise_clear_errors():
    buffer = io.BytesIO()
    ember.save({"w": ember.arange(100.0), "n": [1, 2, {"k": ember.ones(3)}]}, buffer)
    data = buffer.getvalue()
    rng = random.Random(0)
    outcomes = collections.Counter()
    for trial in range(300):
        mutated = bytearray(data)
        if trial % 3 == 0:
            mutated = mutated[:rng.randrange(len(mutated))]
        else:
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            ember.load(io.BytesIO(bytes(mutated)))
            outcomes["loaded"] += 1  # a flip inside tensor values can still be a valid file
        except SerializationError as exc:
            assert str(exc).startswith("ember.load:")
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100


def test_crafted_manifests_are_rejected():
    def archive(manifest):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("manifest.json", manifest)
        return io.BytesIO(out.getvalue())
    cases = ['{"format": "other"}', '{"format": "ember.save", "version": 99, "object": 1}',
             '{"format": "ember.save", "version": 1, "object": {"tensor": 0, "dtype": "float32"}}',
             '{"format": "ember.save", "version": 1, "object": {"tensor": 0, "dtype": "complex"}}',
             '{"format": "ember.save", "version": 1, "object": {"__class__": "os.system"}}',
             '{"format": "ember.save", "version": 1, "object": {"dict": [[{"list": []}, 1]]}}',
             "not json"]
    for manifest in cases:
        with pytest.raises(SerializationError):
            ember.load(archive(manifest))


def test_tensor_pickle_and_deepcopy_for_user_code():
    import copy
    t = ember.tensor([[1.5, 2.5]], dtype=ember.bfloat16)
    assert pickle.loads(pickle.dumps(t)).tolist() == t.tolist()
    c = copy.deepcopy(ember.arange(3.0))
    assert c.tolist() == [0.0, 1.0, 2.0]
