"""Python's cyclic garbage collector kept out of bulk loads.

Loading a large base allocates millions of small, long-lived objects (facts, word sets,
postings) and almost no cycles: each allocation burst would make the collector walk
everything allocated so far, over and over (a quarter of a load at 1000x the article).
The collector is paused for the build and restored after it, whatever happens; objects
without cycles are freed by reference counting meanwhile, as always.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is re-enabled after it if it was on (nesting is safe)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run with the collector paused (see `paused`)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return function(*args, **kwargs)

    return wrapper
