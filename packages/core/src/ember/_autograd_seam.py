"""The one seam between core and autograd.

Core never imports ember-autograd. ember-autograd declares an entry point in the
group ``ember.autograd``; the first time a tensor asks for gradients, core loads it and
the loaded object installs an *engine* here. The dispatcher then calls
``engine.record(...)`` after every op whose inputs require grad, and Tensor methods
such as ``backward`` delegate to the engine.
"""
from __future__ import annotations

import threading

engine = None
_lock = threading.Lock()

MISSING = ("ember-autograd is not installed: {what} needs it. "
           "Install it with `pip install ember-autograd` (or ./packages/autograd from the repository).")


def install(new_engine) -> None:
    """Called by ember-autograd when it is imported."""
    global engine
    engine = new_engine


def require(what: str):
    """The engine, loading ember-autograd through its entry point if needed."""
    if engine is not None:
        return engine
    with _lock:
        if engine is None:
            from importlib.metadata import entry_points
            for ep in entry_points(group="ember.autograd"):
                ep.load()  # importing ember.autograd calls install()
                break
    if engine is None:
        raise RuntimeError(MISSING.format(what=what))
    return engine
