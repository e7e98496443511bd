"""Autograd overhead: ``y = (a * b + c).sum(); y.backward()`` on tiny tensors.

    python benchmarks/bench_autograd.py          # ember vs torch (if installed)
"""
from __future__ import annotations

import harness  # first: imports torch before ember

import ember


def cases(torch):
    out = []
    for shape in [(4,), (32, 32)]:
        fns = {}
        for lib, mod in (("ember", ember), ("torch", torch)):
            if mod is None:
                continue
            a = mod.ones(*shape, requires_grad=True)
            b = mod.ones(*shape, requires_grad=True)
            c = mod.ones(*shape, requires_grad=True)

            def step(a=a, b=b, c=c):
                y = (a * b + c).sum()
                y.backward()
                a.grad = b.grad = c.grad = None
            fns[lib] = step
        out.append((f"(a*b+c).sum().backward() {shape}", fns))
    return out


def main():
    torch = harness.optional_torch()
    print(f"ember kernels: {ember.config.kernels}" + (f", torch {torch.__version__}" if torch else ""))
    harness.report("autograd: tiny graph forward + backward", harness.run_cases(cases(torch)))


if __name__ == "__main__":
    main()
