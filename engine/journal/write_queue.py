"""The journal's bounded write queue and the thread that empties it, off the event loop.

When the queue is full the oldest write is dropped and counted. A write that failed for want of
the database (PostgreSQL down or out of reach) goes back first in the queue and is tried again
after a growing pause: it is not lost while the bounded queue keeps it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any

log = logging.getLogger("alliance.journal")

#: Seconds between two tries of a write waiting for the database to come back (PostgreSQL), the first and the most.
RETRY_FIRST, RETRY_MOST = 0.2, 2.0


def settle(future: Future[Any], result: Any) -> None:
    """Give a queued write's result to its caller; one who stopped waiting (cancelled) just misses it."""
    with contextlib.suppress(InvalidStateError):
        future.set_result(result)


class WriteQueue:
    """At most `limit` writes waiting, run one after another on a thread of their own (started on the first).

    A write is a call that returns False when it was not journaled. `where` names the journal in the logs;
    `lost(n)` counts writes not journaled (negative: one counted lost is waiting again); `failing()` says
    whether writes fail now, so closing gives up the waiting ones instead of waiting out each timeout."""

    def __init__(
        self,
        limit: int,
        *,
        where: Callable[[], str],
        lost: Callable[[int], None],
        failing: Callable[[], bool],
    ) -> None:
        self.limit = limit
        self._where = where
        self._lost = lost
        self._failing = failing
        self._queue: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._changed = threading.Condition()
        self._dropping = 0  # dropped since the queue last emptied; logged once when it starts
        self._thread: threading.Thread | None = None
        self._closing = False
        #: Set by a write that failed for want of the database, which the writing thread then tries again.
        self._wait_for_database = False
        self._retry_delay = RETRY_FIRST

    def __len__(self) -> int:
        return len(self._queue)

    def wait_for_database(self) -> None:
        """Say the write in hand failed for want of the database: it is tried again instead of given up."""
        self._wait_for_database = True

    def submit(self, call: Callable[[], Any]) -> Future[Any]:
        """Queue `call`; the future gets its result, or False when it is dropped or abandoned."""
        future: Future[Any] = Future()
        dropped: Future[Any] | None = None
        with self._changed:
            if len(self._queue) >= self.limit:
                _, dropped = self._queue.popleft()
                self._lost(1)
                self._dropping += 1
                if self._dropping == 1:
                    log.warning(
                        "journal write queue full (%d writes waiting for %s): dropping the oldest; "
                        "counted in /facts stats, logged again once the queue empties",
                        self.limit,
                        self._where(),
                    )
            self._queue.append((call, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="journal-write", daemon=True)
                self._thread.start()
            self._changed.notify()
        if dropped is not None:
            settle(dropped, False)
        return future

    def _loop(self) -> None:
        """The writing thread: one queued write after another, until the queue closes and is empty."""
        while True:
            with self._changed:
                while not self._queue and not self._closing:
                    self._changed.wait()
                if not self._queue:
                    return
                if self._closing and self._failing():
                    self._abandon()
                    return
                call, future = self._queue.popleft()
            self._wait_for_database = False
            try:
                result = call()
            except Exception:  # a bug must not reach the member's reply: log it, answer False
                log.exception("journal write failed unexpectedly")
                result = False
            if result is False and self._wait_for_database and self._requeue(call, future):
                continue
            if result is not False:
                self._retry_delay = RETRY_FIRST
            settle(future, result)
            with self._changed:
                if not self._queue and self._dropping:
                    log.warning("journal write queue empty again; %d write(s) were dropped", self._dropping)
                    self._dropping = 0

    def _requeue(self, call: Callable[[], Any], future: Future[Any]) -> bool:
        """Put back first in the queue a write that failed for want of the database, and wait a little before it
        is tried again. False when it is given up instead (closing, or the queue full: it is the oldest), counted
        as not journaled."""
        with self._changed:
            if self._closing:
                return False
            if len(self._queue) >= self.limit:
                self._dropping += 1
                return False
            self._lost(-1)  # counted when it failed; it is waiting, not lost
            self._queue.appendleft((call, future))
            deadline = time.monotonic() + self._retry_delay
            self._retry_delay = min(RETRY_MOST, self._retry_delay * 2)
            while not self._closing and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)  # a new write wakes it too: it waits on
        return True

    def _abandon(self) -> None:
        """At close with writes failing: give up the writes still waiting (each would wait out the timeout)."""
        abandoned = list(self._queue)
        self._queue.clear()
        self._lost(len(abandoned))
        log.warning("journal closing while failing: %d queued write(s) not journaled", len(abandoned))
        for _, future in abandoned:
            settle(future, False)

    def stop(self) -> None:
        """Mark the queue closing, without blocking (the event loop calls it): the thread then finishes the writes
        waiting, or abandons them if writes fail, and a write waiting for the database is not tried again."""
        self._closing = True

    def close(self) -> None:
        """`stop`, wake the writing thread and wait for it to end. Safe twice."""
        self._closing = True
        with self._changed:
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
