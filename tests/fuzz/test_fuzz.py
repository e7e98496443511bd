"""The fuzz campaigns in the default test run (about 11,700 op calls and 2,000 damaged
files in all, in worker subprocesses), and proof that the harness reports crashes
and hangs with the call at fault rather than hiding them.

Longer runs: ``python -m tests.fuzz --calls 1000000`` and
``python tests/fuzz/serialization.py --mutations 100000``.
"""
from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from . import calls, run, serialization
from .worker import HARD

# problems that are known and owned elsewhere: (kind, op) -> the strict xfail test in
# tests/test_reliability.py that tracks it. Any other 'wrong' result (PyTorch disagrees)
# or hard problem fails the campaign.
KNOWN = {
    ("wrong", "any"): "test_any_all_with_empty_dim_tuple_reduce_nothing",
    ("wrong", "all"): "test_any_all_with_empty_dim_tuple_reduce_nothing",
    ("wrong", "lerp"): "test_lerp_with_infinite_ends_matches_pytorch",
    ("wrong", "lerp_"): "test_lerp_with_infinite_ends_matches_pytorch",
    ("exception", "reshape"): "test_reshape_to_a_huge_shape_raises_a_clear_error",
    ("exception", "view"): "test_reshape_to_a_huge_shape_raises_a_clear_error",
    ("exception", "expand"): "test_reshape_to_a_huge_shape_raises_a_clear_error",
}


@pytest.fixture
def once(kernels):
    """The campaigns compare both kernel tables themselves: run them under one param."""
    if kernels == "pure" and os.environ.get("EMBER_PURE_PYTHON", "") in ("", "0"):
        try:
            from ember._kernels import make
            make("cython")
        except ImportError:
            return  # no Cython: the pure run is the only one
        pytest.skip("the campaign already compared the pure kernels in the cython run")


def _report(summary):
    lines = [f"calls {summary['calls']}, counts {summary['counts']}"]
    for kind in ("crashes", "hangs"):
        lines += [f"{kind}: {d['call']} (status {d['status']})\n{d.get('stderr', '')[-800:]}"
                  for d in summary[kind]]
    for kind, items in summary["examples"].items():
        if kind in HARD or kind == "wrong":
            lines += [f"{kind}: {i['problem']}\n    {i['call']}" for i in items]
    return "\n".join(lines + summary["failures"])


def test_seeded_campaign(once):
    """10,000 seeded calls in two workers: no crash, hang, kernel disagreement, foreign
    exception type, or disagreement with numpy; no PyTorch disagreement but the known ones."""
    summary = run.campaign(10_000, seed=20240613, workers=2, batch=2500, timeout=400)
    assert summary["calls"] == 10_000
    assert not summary["crashes"] and not summary["hangs"], _report(summary)
    unknown = [(kind, e) for kind in HARD + ("wrong",) for e in summary["examples"].get(kind, [])
               if (kind, e["op"]) not in KNOWN]
    assert not unknown, _report(summary)


def test_hypothesis_campaign_in_a_worker(once):
    """Hypothesis draws 1,500 calls (seeded: the same calls every run) in a worker process."""
    summary = run.campaign(1_500, seed=7, workers=1, batch=1_500, timeout=400, mode="hypothesis")
    assert not summary["crashes"] and not summary["hangs"], _report(summary)
    assert not summary["failures"], _report(summary)
    assert summary["calls"] >= 1_000  # Hypothesis may stop early once it has explored enough


# derandomized: CI draws the same calls every run (HYPOTHESIS_PROFILE is left to the root)
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
def test_generated_calls_in_process(rng, kernels):
    """A few calls in this process as well, under the active kernel table (fast feedback
    with Hypothesis shrinking; the subprocess campaigns above are the crash-safe ones)."""
    import ember
    from ember._device import get_backend
    call = calls.generate(rng)
    problems = calls.check(call, ember, [get_backend("cpu").kernels])
    assert not [p for p in problems if p[0] in HARD], (call, problems)


def test_calls_reproduce_from_seed_and_index():
    a = calls.generate(random.Random("3:17"))
    b = calls.generate(random.Random("3:17"))
    assert repr(a) == repr(b)


@pytest.mark.parametrize("what", ["crash", "hang"])
def test_a_crash_or_hang_is_reported_with_its_call(once, what):
    env = dict(os.environ, EMBER_FUZZ_INJECT=f"{what}@5")
    summary = run.campaign(12, seed=1, workers=1, batch=12, timeout=8 if what == "hang" else 120,
                           env=env, with_torch=False)
    found = summary["crashes" if what == "crash" else "hangs"]
    assert [d["index"] for d in found] == [5]
    assert found[0]["call"] == repr(calls.generate(random.Random("1:5")))
    if what == "crash":
        assert found[0]["status"] == -11  # SIGSEGV, not hidden
    assert summary["calls"] == 12  # the campaign went on after the bad call


def test_damaged_files_load_or_raise_serialization_error(once):
    """2,000 mutated archives in two workers: each loads, or raises SerializationError."""
    total = serialization.campaign(2_000, seed=11, workers=2)
    assert total["mutations"] == 2_000
    assert not total["crashes"] and not total["hangs"], total
    assert total["refused"] > 1_000 and total["loaded"] > 0
    assert not total["wrong"], total["wrong"]  # every damaged file: SerializationError
