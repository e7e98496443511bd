"""ember-cuda: what can be checked on every machine, and the GPU suite where one exists.

The device-parametrised public suite (tests/test_devices.py at the repository root)
runs every public op on cuda too when a GPU is present.
"""
import os
import subprocess
import sys

import pytest

import ember
import ember.cuda
from ember._device import known_device_types

REASON = ember.cuda.unavailable_reason()
needs_gpu = pytest.mark.skipif(REASON is not None, reason=f"no usable GPU: {REASON}")


def test_plugin_is_registered_through_entry_point():
    assert "cuda" in known_device_types()


def test_import_ember_never_imports_cupy():
    code = "import sys, ember; ember.ones(2).sum(); print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(REASON is None, reason="a GPU is present")
def test_without_gpu_everything_says_why():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="device plugin 'cuda'.*failed to load.*(CuPy|CUDA device)"):
        ember.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CuPy|CUDA device"):
        ember.zeros(2, device="cuda")
    if os.environ.get("EMBER_REQUIRE_CUDA"):
        pytest.fail(f"EMBER_REQUIRE_CUDA is set but CUDA is unusable: {REASON}")


@needs_gpu
def test_round_trip_and_ops_on_gpu():
    x = ember.arange(6.0).view(2, 3)
    y = x.cuda()
    assert y.is_cuda and str(y.device) == "cuda:0"
    assert "device='cuda:0'" in repr(y)
    assert ((y * 2 + 1).sum(dim=1)).cpu().tolist() == [9.0, 27.0]
    assert y.t().contiguous().cpu().tolist() == x.t().tolist()
    assert (y @ y.t()).cpu().tolist() == (x @ x.t()).tolist()


@needs_gpu
def test_mixing_devices_raises_pytorch_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found "
                                           "at least two devices, cuda:0 and cpu!"):
        ember.ones(2).cuda() + ember.ones(2)


@needs_gpu
def test_same_seed_same_numbers_on_cpu_and_cuda():
    ember.manual_seed(123)
    cpu = ember.rand(1000)
    ember.manual_seed(123)
    gpu = ember.rand(1000, device="cuda")
    assert gpu.cpu().tolist() == cpu.tolist()
    ember.manual_seed(7)
    a = ember.randn(257, dtype=ember.float64)
    ember.manual_seed(7)
    b = ember.randn(257, dtype=ember.float64, device="cuda")
    assert b.cpu().tolist() == pytest.approx(a.tolist(), rel=1e-12, abs=1e-12)


@needs_gpu
def test_dlpack_and_cuda_array_interface_with_cupy():
    import cupy
    t = ember.arange(4.0, device="cuda")
    c = cupy.from_dlpack(t)
    c[0] = 9
    assert t[0].item() == 9
    assert t.__cuda_array_interface__["shape"] == (4,)
    back = ember.from_dlpack(cupy.arange(3, dtype=cupy.float32))
    assert back.is_cuda and back.cpu().tolist() == [0.0, 1.0, 2.0]


@needs_gpu
def test_memory_stats_and_device_api():
    ember.cuda.empty_cache()
    before = ember.cuda.memory_allocated()
    t = ember.empty(1024, 1024, device="cuda")
    assert ember.cuda.memory_allocated() >= before + 4 * 1024 * 1024
    assert ember.cuda.max_memory_allocated() >= ember.cuda.memory_allocated()
    del t
    assert isinstance(ember.cuda.get_device_name(), str)
    assert ember.cuda.current_device() == 0
    ember.cuda.synchronize()
    with ember.cuda.device(0):
        assert ember.zeros(1, device="cuda").device == ember.device("cuda:0")


@needs_gpu
def test_autograd_and_nn_on_gpu():
    nn = pytest.importorskip("ember.nn")
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    cpu_model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    cpu_model.load_state_dict(model.state_dict())
    model.cuda()
    x = ember.randn(16, 4)
    loss_gpu = model(x.cuda()).pow(2).mean()
    loss_cpu = cpu_model(x).pow(2).mean()
    loss_gpu.backward()
    loss_cpu.backward()
    assert loss_gpu.item() == pytest.approx(loss_cpu.item(), rel=1e-5)
    for pg, pc in zip(model.parameters(), cpu_model.parameters()):
        assert pg.grad.is_cuda
        assert pg.grad.cpu().tolist() == pytest.approx(pc.grad.tolist(), rel=1e-4, abs=1e-6)
