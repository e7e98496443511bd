"""The main job: examples/train_digits.py trains to >= 97 % test accuracy on
scikit-learn's digits, and saves loadable weights and a PNG of the training curves."""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_train_digits_end_to_end(tmp_path, kernels):
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    if kernels == "pure":
        pytest.skip("the main job runs once, with the default (Cython) kernels")
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "train_digits.py"), "--quiet",
                           "--output", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    accuracy = float(done.stdout.split("test accuracy: ")[1].split()[0])
    assert accuracy >= 0.97, done.stdout
    assert (tmp_path / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import ember
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from train_digits import DigitsNet
    finally:
        sys.path.pop(0)
    model = DigitsNet()
    result = model.load_state_dict(ember.load(tmp_path / "digits_cnn.pt"))
    assert not result.missing_keys and not result.unexpected_keys


def test_train_digits_options(tmp_path, kernels):
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    if kernels == "pure":
        pytest.skip("runs once")
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "train_digits.py"), "--quiet",
                           "--epochs", "1", "--batch-size", "64", "--optimizer", "adam", "--seed", "3",
                           "--device", "cpu", "--output", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "epoch  1:" in done.stdout and (tmp_path / "digits_cnn.pt").exists()
    bad = subprocess.run([sys.executable, str(ROOT / "examples" / "train_digits.py"), "--optimizer",
                          "lbfgs"], capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
