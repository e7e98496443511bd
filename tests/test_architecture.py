"""The dependency rule: core imports nothing from autograd, nn or cuda, and
`import ember` is cheap (no cupy, no subpackages, no entry-point scan)."""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_core_source_never_imports_other_distributions():
    pattern = re.compile(r"^\s*(from|import)\s+(ember\.(autograd|nn|optim|cuda|utils)|cupy)\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "packages/core/src").rglob("*.py")
                 if pattern.search(p.read_text())]
    assert offenders == []


def test_import_ember_is_cheap():
    code = ("import sys, ember\n"
            "x = ember.ones(2) + 1\n"
            "bad = [m for m in sys.modules if m.startswith(('ember.autograd', 'ember.nn', 'ember.optim',"
            " 'ember.cuda', 'cupy', 'importlib.metadata'))]\n"
            "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_grad_request_loads_autograd_through_the_seam():
    code = ("import sys, ember\n"
            "x = ember.ones(2, requires_grad=True)\n"
            "(x * 2).sum().backward()\n"
            "print(x.grad.tolist(), 'ember.autograd' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    try:
        import ember.autograd  # noqa: F401
    except ImportError:
        assert "ember-autograd is not installed" in done.stderr
    else:
        assert done.stdout.strip() == "[2.0, 2.0] True", done.stderr
