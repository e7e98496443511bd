"""Grad mode: whether ops record a graph. Thread-local, as in PyTorch.

These live in core so that `ember.no_grad()` works with or without ember-autograd;
the recording itself is autograd's (see `_autograd_seam`).
"""
from __future__ import annotations

import functools
import threading
import warnings

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "is_inference_mode_enabled"]


class _State(threading.local):
    enabled = True
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad``/``inference_mode`` (or ``set_grad_enabled(False)``).

    >>> import ember
    >>> with ember.no_grad():
    ...     ember.is_grad_enabled()
    False
    """
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Base for the context managers below; each also works as a decorator."""

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return func(*args, **kwargs)
        return wrapper

    _args = ()

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        self._set()
        return self

    def __exit__(self, *exc):
        state.enabled, state.inference = self._prev
        return False


class no_grad(_GradModeContext):
    """Context manager and decorator that stops ops from recording a graph.

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> with ember.no_grad():
    ...     (x * 2).requires_grad
    False
    """

    def _set(self):
        state.enabled = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a ``no_grad`` block."""

    def _set(self):
        state.enabled = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` as a function, a context manager or a decorator."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): mode must be a bool, got {type(mode).__name__}")
        self._args = (mode,)
        self._prev = (state.enabled, state.inference)
        state.enabled = mode  # takes effect immediately when used as a function

    def _set(self):
        state.enabled = self._args[0]

    def __enter__(self):
        self._set()  # _prev was taken in __init__, before the call already changed the mode
        return self

    def __call__(self, func):
        state.enabled, state.inference = self._prev  # used as decorator: undo the call above
        return super().__call__(func)


class inference_mode(_GradModeContext):
    """Like ``no_grad``; tensors created inside are marked as inference tensors."""

    def __init__(self, mode: bool = True):
        self._args = (mode,)

    def _set(self):
        mode = self._args[0]
        state.inference = mode
        if mode:
            state.enabled = False


def warn_volatile():
    warnings.warn("volatile was removed and now has no effect. Use `with ember.no_grad():` instead.",
                  UserWarning, stacklevel=3)
