"""Shared benchmark harness: interleaved runs, medians, ratios.

Each case is a name plus one zero-argument callable per library. Rounds interleave the
libraries so that machine noise hits all of them alike, in the reverse order every other
round (ember, torch, torch, ember, ...): on 10M-element ops the library that runs second
finds the caches as the first left them, which moved their ratios by 0.05 to 0.16. Each
round times a batch of calls and the reported figure is the median per-call time over
rounds. ratio = other library's time / ember's time, so a ratio above 1 means ember is
faster.
"""
from __future__ import annotations

import math
import statistics
import time

# PyTorch is imported before ember: ember sets OMP_WAIT_POLICY=PASSIVE for its own OpenMP
# runtime (see Note [OpenMP wait policy]), and PyTorch's bundled runtime must not inherit it
try:
    import torch as _torch
except ImportError:
    _torch = None


def time_call(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn, budget=0.02):
    """Calls per batch so that one batch takes about `budget` seconds."""
    fn()
    n, elapsed = 1, time_call(fn, 1)
    while elapsed * n < budget and n < 1_000_000:
        n *= 2
    return n


def run_cases(cases, rounds=15, budget=0.02):
    """cases: list of (name, {library: fn}). Returns list of (name, {library: median seconds})."""
    results = []
    for name, fns in cases:
        numbers = {lib: calibrate(fn, budget) for lib, fn in fns.items()}
        samples = {lib: [] for lib in fns}
        order = list(fns)
        for _ in range(rounds):
            for lib in order:
                samples[lib].append(time_call(fns[lib], numbers[lib]))
            order.reverse()
        results.append((name, {lib: statistics.median(s) for lib, s in samples.items()}))
    return results


def fmt_time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def report(title, results, reference="torch"):
    """Print a table; returns the geometric mean of the ratios against `reference`."""
    libs = list(results[0][1]) if results else []
    print(f"\n## {title}\n")
    header = f"| {'case':38s} | " + " | ".join(f"{lib:>11s}" for lib in libs)
    others = [lib for lib in libs if lib != "ember"]
    header += "".join(f" | {lib + '/ember':>12s}" for lib in others) + " |"
    print(header)
    print("|" + "-" * (len(header) - 2) + "|")
    ratios = []
    for name, times in results:
        row = f"| {name:38s} | " + " | ".join(fmt_time(times[lib]) + " " for lib in libs)
        for lib in others:
            ratio = times[lib] / times["ember"]
            row += f" | {ratio:12.2f}"
            if lib == reference:
                ratios.append(ratio)
        print(row + " |")
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"\ngeometric mean ratio {reference}/ember: {geo:.2f} (> 1: ember faster)")
        return geo
    return None


def optional_torch():
    return _torch
