"""Run a fuzz campaign: batches of calls in worker subprocesses.

A worker that dies (a segfault, an abort) or runs past the timeout is reported with
the call it was running, and the campaign goes on from the next call. Long mode:

    python -m tests.fuzz --calls 1000000 --workers 4
    python tests/fuzz/run.py --calls 20000 --mode hypothesis

The summary counts calls, crashes, hangs and problems by kind (see `calls.check`);
the exit status is 1 when a crash, hang or hard problem (kernels, exception, numpy) was found.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile

if __package__ in (None, ""):  # run as a script: make `fuzz` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    __package__ = "fuzz"
    import fuzz  # noqa: F401

from . import calls
from .worker import HARD

FUZZ_PARENT = str(pathlib.Path(__file__).resolve().parents[1])  # the folder holding `fuzz`
_BOOT = ("import sys; sys.path.insert(0, {!r}); from fuzz.worker import main; main()")


def _worker_command(args):
    return [sys.executable, "-c", _BOOT.format(FUZZ_PARENT), *args]


def _last_line(path):
    try:
        lines = pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return lines[-1] if lines else None


def run_batch(mode, seed, start, count, timeout, with_torch=True, env=None):
    """Run calls [start, start + count) in workers until all ran; a list of reports:
    ('done', summary) per worker that finished, ('crash' | 'hang', details) per failure."""
    reports = []
    with tempfile.TemporaryDirectory(prefix="ember-fuzz-") as tmp:
        while count > 0:
            log, out = os.path.join(tmp, f"{start}.log"), os.path.join(tmp, f"{start}.json")
            args = ["--mode", mode, "--seed", str(seed), "--start", str(start), "--count", str(count),
                    "--log", log, "--out", out] + ([] if with_torch else ["--no-torch"])
            try:
                done = subprocess.run(_worker_command(args), capture_output=True, text=True,
                                      timeout=timeout, env=env)
                status, stderr = done.returncode, done.stderr
            except subprocess.TimeoutExpired as exc:
                status, stderr = "timeout", (exc.stderr or b"").decode(errors="replace") \
                    if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            if status == 0 and os.path.exists(out):
                with open(out, encoding="utf-8") as f:
                    reports.append(("done", json.load(f)))
                break
            last = _last_line(log)
            kind = "hang" if status == "timeout" else "crash"
            if mode == "seeded" and last is not None and last.isdigit():
                index = int(last)
                call = repr(calls.generate(random.Random(f"{seed}:{index}")))
                detail = {"index": index, "seed": seed, "call": call[:2000]}
                if index > start:  # the calls before it died with the worker: run them again
                    reports += run_batch(mode, seed, start, index - start, timeout, with_torch, env)
                count -= index + 1 - start
                start = index + 1
            else:  # Hypothesis mode: the log holds the call's text; no resuming
                detail = {"call": (last or "<before the first call>")[:2000]}
                count = 0
            detail.update(status=status, stderr=stderr[-2000:])
            reports.append((kind, detail))
    return reports


def campaign(calls_total, seed=0, workers=2, batch=2000, timeout=600, mode="seeded", with_torch=True,
             env=None):
    """Run `calls_total` calls in batches of `batch`, `workers` subprocesses at a time."""
    starts = list(range(0, calls_total, batch))
    summary = {"calls": 0, "crashes": [], "hangs": [], "counts": collections.Counter(),
               "examples": collections.defaultdict(list), "failures": []}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_batch, mode, seed, s, min(batch, calls_total - s), timeout,
                               with_torch, env) for s in starts]
        for future in futures:
            for kind, detail in future.result():
                if kind == "done":
                    summary["calls"] += detail["calls"]
                    summary["counts"].update(detail["counts"])
                    for k, items in detail["examples"].items():
                        summary["examples"][k].extend(items[: 500 - len(summary["examples"][k])])
                    if detail.get("failure"):
                        summary["failures"].append(detail["failure"])
                else:
                    summary["calls"] += 1  # the call that crashed or hung was tried too
                    summary["crashes" if kind == "crash" else "hangs"].append(detail)
    summary["counts"] = dict(summary["counts"])
    summary["examples"] = dict(summary["examples"])
    return summary


def hard_problems(summary):
    return {k: v for k, v in summary["counts"].items() if k in HARD}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--calls", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per worker")
    parser.add_argument("--mode", choices=("seeded", "hypothesis"), default="seeded")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", help="also write the whole summary here")
    args = parser.parse_args(argv)
    summary = campaign(args.calls, args.seed, args.workers, args.batch, args.timeout, args.mode,
                       not args.no_torch)
    print(f"calls tried: {summary['calls']}")
    print(f"crashes: {len(summary['crashes'])}  hangs: {len(summary['hangs'])}")
    for kind in ("crashes", "hangs"):
        for d in summary[kind]:
            print(f"  {kind[:-1]}: {d['call'][:500]}  (status {d['status']})")
    print("problems by kind:", json.dumps(summary["counts"], sort_keys=True))
    for kind, items in sorted(summary["examples"].items()):
        print(f"--- {kind} (first {len(items)})")
        for item in items[:25]:
            print(f"  {item['problem'][:200]}\n      {item['call'][:300]}")
    for failure in summary["failures"]:
        print("--- Hypothesis failure\n" + failure)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    bad = summary["crashes"] or summary["hangs"] or hard_problems(summary) or summary["failures"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
