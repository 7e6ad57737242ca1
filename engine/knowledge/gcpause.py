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
#: Whether the collector was on when the first of the (possibly concurrent) pauses began.
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; restored when the last block ends, in whatever thread
    (nested and concurrent pauses are safe: a reload thread and a first load never re-enable it early)."""
    global _depth, _frozen_once, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
        _depth += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if not _frozen_once:
                    _frozen_once = True
                    gc.freeze()
                else:
                    gc.collect(1)
                if _was_enabled:
                    gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run with the collector paused (see `paused`)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return function(*args, **kwargs)

    return wrapper
