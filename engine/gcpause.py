"""Python's cyclic garbage collector kept out of bulk loads, and off the loaded base afterwards.

Loading a large base allocates millions of small, long-lived objects (facts, word sets,
postings) and almost no cycles: each allocation burst would make the collector walk
everything allocated so far, over and over (a quarter of a load at 1000x the article).
The collector is paused for the build and restored after it, whatever happens; objects
without cycles are freed by reference counting meanwhile, as always.

Left at that, the first questions after a load would pay instead: every object of the
build is young, and the collector's first passes would walk them all (seconds at 1000x,
on the event loop). So the first build of the process ends with `gc.freeze()`: what it
loaded is never walked again. Later builds (reloads) are not frozen, since a frozen
snapshot that is later replaced could never have its cycles collected; their objects
are aged in one pass at the end of the build instead (`gc.collect(1)`), on the reload's
thread rather than a question's.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_frozen_once = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; restored after the outermost one (nesting is safe)."""
    global _depth, _frozen_once
    with _lock:
        outermost = _depth == 0
        _depth += 1
        was_enabled = gc.isenabled() if outermost else False
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if outermost:
                if not _frozen_once:
                    _frozen_once = True
                    gc.freeze()
                else:
                    gc.collect(1)
                if was_enabled:
                    gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run with the collector paused (see `paused`)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return function(*args, **kwargs)

    return wrapper
