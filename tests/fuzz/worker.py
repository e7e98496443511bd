"""The fuzz worker: runs a batch of calls in this process and writes a JSON summary.

Before each call it appends the call's index (seeded mode) or text (Hypothesis mode)
to a log file and flushes it, so that if the process dies (segfault, abort) or hangs,
the parent knows exactly which call did it. Run by `run.py`; not meant to be run by hand.

    python -c "...; from fuzz.worker import main; main()" --mode seeded --seed 0 --start 0
        --count 1000 --log LOG --out OUT.json
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import time

from . import calls

HARD = ("kernels", "exception", "numpy")  # problems a campaign must never find
EXAMPLES_PER_KIND = {"lenient": 25, "refuses": 25}  # others: all of them (up to 500)


def _limit_memory():
    """Cap the address space so that a runaway allocation fails fast with MemoryError
    instead of swapping the machine (or waking the OOM killer)."""
    try:
        import resource
        limit = int(os.environ.get("EMBER_FUZZ_MEMORY_LIMIT", 16 << 30))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _inject(index):
    """A test hook: EMBER_FUZZ_INJECT='crash@5' or 'hang@5' misbehaves at call 5, so the
    tests can prove that the parent reports crashes and hangs."""
    spec = os.environ.get("EMBER_FUZZ_INJECT", "")
    if not spec:
        return
    what, _, at = spec.partition("@")
    if int(at) == index:
        if what == "crash":
            import ctypes
            ctypes.string_at(0)  # a real segmentation fault
        elif what == "hang":
            time.sleep(3600)


class Tally:
    def __init__(self):
        self.calls = 0
        self.raised = 0
        self.counts = collections.Counter()
        self.examples = collections.defaultdict(list)

    def add(self, label, call, problems):
        self.calls += 1
        for kind, text in problems:
            self.counts[kind] += 1
            if len(self.examples[kind]) < EXAMPLES_PER_KIND.get(kind, 500):
                self.examples[kind].append({"call": label, "op": call.op, "problem": text[:400]})

    def summary(self):
        return {"calls": self.calls, "counts": dict(self.counts), "examples": dict(self.examples)}


def _setup(with_torch):
    import ember
    from ember._kernels import make
    tables = [make("pure")]
    try:
        tables.insert(0, make("cython"))
    except ImportError:
        pass  # pure-Python install: one table, still checked against numpy and torch
    torch = None
    if with_torch:
        try:
            import torch
        except ImportError:
            torch = None
    return ember, tables, torch


def run_seeded(seed, start, count, log, with_torch):
    ember, tables, torch = _setup(with_torch)
    tally = Tally()
    for index in range(start, start + count):
        log.write(f"{index}\n")
        log.flush()
        _inject(index)
        call = calls.generate(random.Random(f"{seed}:{index}"))
        tally.add(f"seed={seed} index={index}: {call!r}"[:1500], call, calls.check(call, ember, tables, torch))
    return tally.summary()


def run_hypothesis(seed, count, log, with_torch):
    """Hypothesis draws the calls (through a Random it controls, so failures shrink);
    a hard problem fails the run with Hypothesis's minimal example."""
    from hypothesis import HealthCheck, given, seed as fixed_seed, settings, strategies as st

    ember, tables, torch = _setup(with_torch)
    tally = Tally()

    @fixed_seed(seed)  # reproducible: the same seed draws the same calls
    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(rng=st.randoms(use_true_random=False))
    def campaign(rng):
        call = calls.generate(rng)
        log.write(repr(call).replace("\n", " ") + "\n")
        log.flush()
        problems = calls.check(call, ember, tables, torch)
        tally.add(repr(call)[:1500], call, problems)
        hard = [p for p in problems if p[0] in HARD]
        assert not hard, f"{call!r}: {hard}"

    failure = None
    try:
        campaign()
    except AssertionError as exc:  # Hypothesis re-raises the shrunk failure
        failure = str(exc)[:3000]
    result = tally.summary()
    result["failure"] = failure
    return result


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("seeded", "hypothesis"), default="seeded")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--log", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    _limit_memory()
    import warnings
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    with open(args.log, "a", encoding="utf-8") as log:
        if args.mode == "seeded":
            result = run_seeded(args.seed, args.start, args.count, log, not args.no_torch)
        else:
            result = run_hypothesis(args.seed, args.count, log, not args.no_torch)
    result["seconds"] = time.perf_counter() - started
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
