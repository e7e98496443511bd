"""Core op speed against PyTorch (and numpy where it has the op): small-op overhead,
softmax-style row ops and large matrix products. Large elementwise ops and reductions
are in bench_kernels.py.

    python benchmarks/bench_core.py            # ember vs torch and numpy, if installed
"""
from __future__ import annotations

import numpy as np

import harness  # first: imports torch before ember

import ember


def small_ops(torch):
    cases = []
    for shape in [(4,), (32, 32)]:
        arrays = np.random.default_rng(0).standard_normal((2,) + shape).astype(np.float32)
        libs = {"ember": ember, "torch": torch}
        made = {name: (lib.from_numpy(arrays[0].copy()), lib.from_numpy(arrays[1].copy()))
                for name, lib in libs.items() if lib is not None}
        n = arrays[0].copy(), arrays[1].copy()
        ops = {
            "add": (lambda a, b: a + b, lambda a, b: a + b),
            "mul": (lambda a, b: a * b, lambda a, b: a * b),
            "matmul": (lambda a, b: a @ b if a.ndim == 2 else a.dot(b), lambda a, b: a @ b),
            "sum": (lambda a, b: a.sum(), lambda a, b: a.sum()),
            "relu": (lambda a, b: a.relu(), lambda a, b: np.maximum(a, 0)),
            "x[1:3]": (lambda a, b: a[1:3], lambda a, b: a[1:3]),
            "view": (lambda a, b: a.view(-1), lambda a, b: a.reshape(-1)),
            "reshape": (lambda a, b: a.reshape(-1), lambda a, b: a.reshape(-1)),
        }
        for op, (tensor_fn, numpy_fn) in ops.items():
            fns = {name: (lambda f=tensor_fn, ab=ab: f(*ab)) for name, ab in made.items()}
            fns["numpy"] = lambda f=numpy_fn: f(*n)
            cases.append((f"{op} {shape}", fns))
    return cases


def row_ops(torch):
    x = np.random.default_rng(1).standard_normal((4096, 1024)).astype(np.float32)
    fns = {"ember": lambda t=ember.from_numpy(x): t.softmax(dim=1)}
    lfns = {"ember": lambda t=ember.from_numpy(x): t.log_softmax(dim=1)}
    if torch is not None:
        fns["torch"] = lambda t=torch.from_numpy(x): t.softmax(dim=1)
        lfns["torch"] = lambda t=torch.from_numpy(x): t.log_softmax(dim=1)
    cols = {"ember": lambda t=ember.from_numpy(x): t.softmax(dim=0)}
    if torch is not None:
        cols["torch"] = lambda t=torch.from_numpy(x): t.softmax(dim=0)
    return [("softmax(dim=1) 4096x1024", fns), ("log_softmax(dim=1) 4096x1024", lfns),
            ("softmax(dim=0) 4096x1024", cols)]



def index_writes(torch):
    """``x[idx] = v`` and ``index_put_(accumulate=True)``: 100k random (repeating)
    indices into 1M elements, as one vector and as rows of a 1000x1000 matrix."""
    rng = np.random.default_rng(2)
    cases = []
    for shape, n in [((1_000_000,), 100_000), ((1000, 1000), 100)]:
        x = rng.standard_normal(shape).astype(np.float32)
        idx = rng.integers(0, shape[0], n)
        v = rng.standard_normal((n,) + shape[1:]).astype(np.float32)
        libs = {"ember": ember, "torch": torch}
        made = {name: (lib.from_numpy(x.copy()), lib.from_numpy(idx), lib.from_numpy(v))
                for name, lib in libs.items() if lib is not None}
        label = "x".join(map(str, shape))
        cases.append((f"x[idx] = v {label}, {n} indices",
                      {name: lambda t=t: t[0].__setitem__(t[1], t[2]) for name, t in made.items()}))
        cases.append((f"index_put_ accumulate {label}, {n} indices",
                      {name: lambda t=t: t[0].index_put_((t[1],), t[2], accumulate=True)
                       for name, t in made.items()}))
    return cases

def matmuls(torch):
    cases = []
    for n in (1024, 2048):
        a, b = np.random.default_rng(n).standard_normal((2, n, n)).astype(np.float32)
        fns = {"ember": lambda x=ember.from_numpy(a), y=ember.from_numpy(b): x @ y,
               "numpy": lambda: a @ b}
        if torch is not None:
            fns["torch"] = lambda x=torch.from_numpy(a), y=torch.from_numpy(b): x @ y
        cases.append((f"matmul {n}x{n} float32", fns))
    return cases


def main():
    torch = harness.optional_torch()
    print(f"ember kernels: {ember.config.kernels}, threads {ember.get_num_threads()}"
          + (f"; torch {torch.__version__}, threads {torch.get_num_threads()}" if torch else ""))
    harness.report("small-op overhead (float32)", harness.run_cases(small_ops(torch)))
    harness.report("softmax-style row ops", harness.run_cases(row_ops(torch), rounds=7, budget=0.2))
    harness.report("index writes (float32)", harness.run_cases(index_writes(torch), rounds=7, budget=0.2))
    harness.report("matrix products", harness.run_cases(matmuls(torch), rounds=5, budget=0.5))


if __name__ == "__main__":
    main()
