"""Kernel benchmark: ember (under its active CPU kernels) against PyTorch.

    python benchmarks/bench_kernels.py [--repeat 21] [--threads N]

Each case runs ember and torch alternately (interleaved, so that machine noise hits both
alike) and prints the median time of each and the speed ratio torch_time / ember_time
(> 1: ember is faster). Without torch installed only ember's column is printed.
``EMBER_PURE_PYTHON=1`` benchmarks the pure-Python reference kernels instead.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

try:  # before ember, which sets OMP_WAIT_POLICY for its own OpenMP runtime
    import torch
except ImportError:
    torch = None

import ember  # noqa: E402

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
    return cases


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _kernel_overhead(repeat):
    """Seconds per direct kernel call on 4 elements (no tensor machinery)."""
    from ember._device import get_backend
    kernels = get_backend("cpu").kernels
    a, out = np.arange(4, dtype=np.float32), np.empty(4, np.float32)
    calls = 10_000
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            kernels.add(out, a, a)
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21, help="timed runs per case and library")
    parser.add_argument("--threads", type=int, default=None, help="threads for both libraries")
    args = parser.parse_args()
    if args.threads:
        ember.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    print(f"ember kernels: {ember.config.kernels}, threads: {ember.get_num_threads()}"
          + (f"; torch {torch.__version__}, threads: {torch.get_num_threads()}" if torch else
             "; torch not installed"))
    header = f"{'case':34s} {'ember ms':>10s}" + (f" {'torch ms':>10s} {'speed ratio':>12s}" if torch else "")
    print(header)
    print("-" * len(header))
    for out in (False, True):
        ours = _cases(ember, out)
        theirs = _cases(torch, out) if torch else [(name, None) for name, _ in ours]
        for (name, fe), (_, ft) in zip(ours, theirs):
            fe()
            if ft:
                ft()  # warm up both
            te, tt = [], []
            for _ in range(args.repeat):
                te.append(_time(fe))
                if ft:
                    tt.append(_time(ft))
            label = name + (" (out=)" if out else "")
            me = statistics.median(te)
            line = f"{label:34s} {me * 1e3:10.3f}"
            if ft:
                mt = statistics.median(tt)
                line += f" {mt * 1e3:10.3f} {mt / me:12.2f}"
            print(line)
    print(f"\ndirect kernel call, add on 4 float32 elements: {_kernel_overhead(7) * 1e6:.3f} us")


if __name__ == "__main__":
    main()
