"""The load cache's writes done in the background: a thread for each kind of file and folder, waited for.

A reload serves its new snapshot at once; what it leaves in the cache (the snapshot entry,
the words' token ids: megabytes at a thousand articles) is written by threads of their own.
Two things keep them off the reload's own time. A writer waits for its starter's go before
working: its first long C call, holding the interpreter, would otherwise hold up the
starter inside `Thread.start` (a third of a second at a thousand articles). And writes
started inside `held()` begin only when the block ends, the reload's last step, rather
than compete with what is left of it. `wait` releases what it waits for, so a write held
back is never waited for forever. Writers are daemon threads, so that a hung disk never keeps
the process alive; at exit the process waits for them a bounded time (`finish`), so that a
reload's entry written just before a shutdown is there for the next start.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("alliance.cache")

_LOCK = threading.Lock()
#: Held by a `start` from the wait for the previous write to the new one's start: two writers of one
#: kind into one folder never run at once, and a writer is registered only once it is started.
_STARTING = threading.Lock()
#: The thread writing each (kind, folder) and the event that lets it begin.
_WRITERS: dict[tuple[str, Path], tuple[threading.Thread, threading.Event]] = {}
#: Nesting of `held` blocks, and the writers they hold back.
_held = 0
_gates: list[threading.Event] = []
#: How long the process waits at exit, at most, for the writes under way (then the next start is only slower).
EXIT_WAIT_S = 60.0


def start(kind: str, folder: Path, work: Callable[[], None]) -> None:
    """Run `work` in a thread of its own, once the previous `kind` write into `folder` is done."""
    with _STARTING:
        wait(folder, kind)
        go = threading.Event()
        thread = threading.Thread(target=_gated, args=(go, work), name=f"cache-{kind}", daemon=True)
        with _LOCK:
            thread.start()  # it waits for `go` at once: starting it here holds the lock for no time
            _WRITERS[(kind, folder)] = (thread, go)
            hold = _held > 0
            if hold:
                _gates.append(go)
    if not hold:
        go.set()


def _gated(go: threading.Event, work: Callable[[], None]) -> None:
    go.wait()
    try:
        work()
    except Exception:  # a write that fails only costs the next start its speed: said, never raised
        log.exception("a background write into the load cache failed")


def wait(folder: Path, kind: str | None = None) -> None:
    """Return once no write of `kind` (of any kind: None) into `folder` is under way or held back."""
    while True:  # a write started meanwhile is waited for too
        with _LOCK:
            found = [(key, w) for key, w in _WRITERS.items() if key[1] == folder and kind in (None, key[0])]
        if not found:
            return
        for key, (thread, go) in found:
            go.set()
            thread.join()
            with _LOCK:
                if _WRITERS.get(key, (None,))[0] is thread:
                    del _WRITERS[key]


def finish(timeout: float = EXIT_WAIT_S) -> bool:
    """Wait, `timeout` seconds at most in all, for every write under way or held back; whether all ended.

    Run at exit: a write cut short leaves only a temporary file (never read, removed later), so giving
    up costs the next start its speed, never its correctness."""
    deadline = time.monotonic() + timeout
    with _LOCK:
        found = list(_WRITERS.values())
    for thread, go in found:
        go.set()
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [thread.name for thread, _ in found if thread.is_alive()]
    if alive:
        log.warning(
            "exiting with %d load-cache write(s) unfinished (%s): the next start rebuilds them",
            len(alive),
            ", ".join(alive),
        )
    return not alive


atexit.register(finish)  # a process that never wrote in the background finds nothing to wait for


@contextmanager
def held() -> Iterator[None]:
    """Writes started inside the block (from any thread) begin when the last such block ends."""
    global _held
    with _LOCK:
        _held += 1
    try:
        yield
    finally:
        with _LOCK:
            _held -= 1
            gates = list(_gates) if _held == 0 else []
            if _held == 0:
                _gates.clear()
        for go in gates:
            go.set()
