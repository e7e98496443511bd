"""Kernel benchmark: large elementwise ops and reductions, ember (under its active CPU
kernels) against PyTorch.

    python benchmarks/bench_kernels.py [--rounds 21] [--threads N]

``EMBER_PURE_PYTHON=1`` benchmarks the pure-Python reference kernels instead.
"""
from __future__ import annotations

import argparse

import numpy as np

import harness  # first: imports torch before ember

import ember

N = 10_000_000
M = 4096


def _cases(lib, out):
    """(name, zero-argument callable) pairs for `lib` (ember or torch); `out` selects out=."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(N, dtype=np.float32)
    y = rng.standard_normal(N, dtype=np.float32)
    big = rng.standard_normal((M, M), dtype=np.float32)
    row = rng.standard_normal(M, dtype=np.float32)
    tiny = np.arange(4, dtype=np.float32)
    a, b, m, r, t = (lib.from_numpy(v) for v in (x, y, big, row, tiny))
    o, om = lib.empty(N), lib.empty(M, M)
    kw = {"out": o} if out else {}
    cases = [
        ("add 10M", lambda: lib.add(a, b, **kw)),
        ("mul 10M", lambda: lib.mul(a, b, **kw)),
        ("exp 10M", lambda: lib.exp(a, **kw)),
        ("relu 10M", (lambda: lib.relu(a)) if not out else (lambda: lib.clamp(a, min=0, out=o))),
        ("add 4096x4096 + 4096", lambda: lib.add(m, r, **({"out": om} if out else {}))),
    ]
    if not out:
        cases += [
            ("sum 10M", lambda: a.sum()),
            ("sum(dim=1) 4096x4096", lambda: m.sum(dim=1)),
            ("sum(dim=0) 4096x4096", lambda: m.sum(dim=0)),
            ("add 4 elements", lambda: lib.add(t, t)),
        ]
    return [(name + (" (out=)" if out else ""), fn) for name, fn in cases]


def cases(torch, out):
    ours = _cases(ember, out)
    theirs = _cases(torch, out) if torch is not None else [(name, None) for name, _ in ours]
    return [(name, {"ember": fe} | ({"torch": ft} if ft else {}))
            for (name, fe), (_, ft) in zip(ours, theirs)]


def kernel_overhead():
    """Seconds per direct kernel call on 4 elements (no tensor machinery)."""
    from ember._device import get_backend
    kernels = get_backend("cpu").kernels
    a, out = np.arange(4, dtype=np.float32), np.empty(4, np.float32)
    return harness.run_cases([("", {"ember": lambda: kernels.add(out, a, a)})])[0][1]["ember"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="timed rounds per case")
    parser.add_argument("--threads", type=int, default=None, help="threads for both libraries")
    args = parser.parse_args()
    torch = harness.optional_torch()
    if args.threads:
        ember.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    print(f"ember kernels: {ember.config.kernels}, threads: {ember.get_num_threads()}"
          + (f"; torch {torch.__version__}, threads: {torch.get_num_threads()}" if torch else
             "; torch not installed"))
    for out, title in ((False, "large ops, new outputs"), (True, "large ops with out=")):
        harness.report(title, harness.run_cases(cases(torch, out), rounds=args.rounds))
    print(f"\ndirect kernel call, add on 4 float32 elements: {kernel_overhead() * 1e6:.3f} us")


if __name__ == "__main__":
    main()
