"""The device registry: cpu built in, plugins from the `ember.devices` entry points."""
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember._device import get_backend, known_device_types


def test_device_objects():
    assert ember.device("cuda:1") == ember.device("cuda", 1)
    assert repr(ember.device("cuda:1")) == "device(type='cuda', index=1)"
    assert str(ember.device("cpu")) == "cpu"
    assert ember.device("cpu") == "cpu"
    assert hash(ember.device("toy:1")) == hash(ember.device("toy", 1))
    with pytest.raises(RuntimeError, match="Invalid device string"):
        ember.device("cuda:x")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        ember.device("")
    with pytest.raises(TypeError):
        ember.device(1.5)


def test_unknown_device_lists_known_ones_and_names_cuda_package():
    with pytest.raises(RuntimeError, match="unknown device type 'tpu': known device types are .*cpu"):
        ember.zeros(2, device="tpu")
    if "cuda" not in known_device_types():
        with pytest.raises(RuntimeError, match="install ember-cuda"):
            ember.zeros(2, device="cuda")
        with pytest.raises(RuntimeError, match="ember-cuda"):
            ember.zeros(2).cuda()


def test_cpu_tensor_attributes():
    t = ember.zeros(2)
    assert t.device == ember.device("cpu") and t.is_cpu and not t.is_cuda
    assert t.get_device() == -1
    assert t.cpu() is t and t.to("cpu") is t


toy = pytest.importorskip("ember_toydevice", reason="the test-only device plugin is not installed")


def test_plugin_device_is_found_through_entry_point():
    assert "toy" in known_device_types()
    assert isinstance(get_backend("toy"), toy.ToyBackend)


def test_plugin_device_round_trip_and_ops():
    backend = get_backend("toy")
    before = backend.transfers
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = x.to("toy")
    assert y.device == ember.device("toy", 0) and str(y.device) == "toy:0"
    assert backend.transfers == before + 1
    z = (y * 2 + 1).sum(dim=0)
    assert z.device == y.device
    assert z.cpu().tolist() == [10.0, 14.0]
    assert ember.ones(3, device="toy:1").device == ember.device("toy:1")
    assert "device='toy:0'" in repr(y) or "toy" in repr(y.device)


def test_mixing_devices_raises_pytorch_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found "
                                           "at least two devices, toy:0 and cpu!"):
        ember.ones(2, device="toy") + ember.ones(2)
    with pytest.raises(RuntimeError, match="toy:1 and toy:0|toy:0 and toy:1"):
        ember.ones(2, device="toy:1") + ember.ones(2, device="toy:0")


def test_device_index_validated_by_plugin():
    with pytest.raises(RuntimeError, match="out of range"):
        ember.zeros(2, device="toy:5")


def test_autoload_can_be_switched_off():
    code = ("import ember\n"
            "try:\n    ember.zeros(1, device='toy')\nexcept RuntimeError as e:\n    print('refused', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"EMBER_DEVICE_AUTOLOAD": "0", "PATH": ""}, check=True).stdout
    assert out.startswith("refused unknown device type 'toy'")


def test_failing_plugin_says_which_and_why(monkeypatch):
    from importlib.metadata import EntryPoint
    import ember._device as dev
    broken = EntryPoint(name="broken", value="no_such_module_xyz:Backend", group="ember.devices")
    monkeypatch.setattr(dev, "_entry_points", {**dev._device_entry_points(), "broken": broken})
    with pytest.raises(RuntimeError, match=r"device plugin 'broken' \(no_such_module_xyz:Backend\) "
                                           r"failed to load: ModuleNotFoundError"):
        ember.zeros(1, device="broken")
