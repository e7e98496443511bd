"""The tutorial programs in examples/tutorials run unchanged and print what PyTorch prints."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "examples" / "tutorials"


def run(script):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(TUTORIALS / script)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tensor_basics_prints_like_pytorch():
    out = run("tensors_basics.py")
    assert "ember.Size([5, 3])" in out
    assert out.count("True") >= 2  # out= and add_ agree
    assert "tensor([2., 2., 2., 2., 2.], dtype=ember.float64)" in out
    assert "[2. 2. 2. 2. 2.]" in out
    assert "tensor([[ 1.,  2.,  3.,  4.],\n        [ 5.,  6.,  7.,  8.],\n        [ 9., 10., 11., 12.]])" in out
    assert "tensor([[ 5., 12.],\n        [15., 24.]])\ntensor([[ 1.,  4.],\n        [ 9., 16.]])\ntensor(83.)" in out


def test_autograd_basics():
    pytest.importorskip("ember.autograd")
    out = run("autograd_basics.py").splitlines()
    assert out[:3] == ["tensor(2.)", "tensor(1.)", "tensor(1.)"]
    assert out[3] == "RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed)"
    assert out[4:6] == ["True", "False"]
    assert out[6].startswith("grad: 1.0 2.0 -2.0 y_pred.grad: tensor([-2.])")
    assert out[-1] == "False"


def test_neural_networks():
    pytest.importorskip("ember.nn")
    out = run("neural_networks.py")
    assert out.startswith("Net(\n  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n")
    assert "(fc3): Linear(in_features=84, out_features=10, bias=True)\n)" in out
    # PyTorch names the loss node MseLossBackward0; ember's mse_loss is composed of ops
    assert "\n10\nember.Size([6, 1, 5, 5])\nember.Size([1, 10])\n<" in out
    assert "conv1.bias.grad before backward None" in out
    assert "conv1.bias.grad after backward ember.Size([6])" in out
