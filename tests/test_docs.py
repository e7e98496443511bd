"""Every ``>>>`` example in docs/*.rst and in the docstrings of every ember module runs
and prints what it shows (under both kernel implementations, like every test)."""
import doctest
import importlib
import pathlib
import pkgutil

import pytest

import ember

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC_PAGES = sorted((ROOT / "docs").glob("*.rst"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules():
    names = []
    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        if info.name.endswith("_cy") or ".tests" in info.name:
            continue
        names.append(info.name)
    return sorted(set(names))


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: p.name)
def test_doc_page_examples(page):
    if page.name in ("nn.rst", "getting_started.rst", "index.rst", "autograd.rst", "api.rst"):
        pytest.importorskip("ember.nn")
    globs = {"ember": ember, "torch": ember}
    result = doctest.testfile(str(page), module_relative=False, globs=globs, optionflags=FLAGS,
                              verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        pytest.skip(f"{name} not importable here: {exc}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in finder.find(module, name):  # each example sees its module's globals
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) failed in {name}"
