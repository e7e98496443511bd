"""Every test runs under both CPU kernel implementations (the `kernels` fixture).

With EMBER_PURE_PYTHON=1 (or when the extension is missing and EMBER_REQUIRE_CYTHON is
unset) only the pure reference runs; with EMBER_REQUIRE_CYTHON=1 a missing extension
fails instead of skipping.
"""
import os

import pytest


def _implementations():
    if os.environ.get("EMBER_PURE_PYTHON", "") not in ("", "0"):
        return ["pure"]
    return ["cython", "pure"]


@pytest.fixture(params=_implementations(), autouse=True)
def kernels(request):
    try:
        from ember._device import get_backend
        from ember._kernels import make
    except ImportError:  # a package test env without ember-core (never expected)
        yield None
        return
    try:
        table = make(request.param)
    except ImportError as exc:
        if os.environ.get("EMBER_REQUIRE_CYTHON", "") not in ("", "0"):
            raise
        pytest.skip(f"Cython kernels not built: {exc}")
    backend = get_backend("cpu")
    saved = backend.kernels
    backend.kernels = table
    try:
        yield request.param
    finally:
        backend.kernels = saved


@pytest.fixture
def torch():
    """PyTorch (the reference of truth) where installed: the tox parity env pins 2.13.0."""
    return pytest.importorskip("torch")
