"""The journal's write queue on its own: order, the bound, retries for a database away, and closing.

Writes here are plain functions; a write that waits on an Event holds the writing thread, so what is
queued meanwhile is known without sleeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest

import engine.journal.write_queue
from engine.journal.write_queue import WriteQueue


class Harness:
    """A queue, what it counted lost, and a switch saying whether writes fail."""

    def __init__(self, limit: int = 3) -> None:
        self.lost: list[int] = []
        self.writes_fail = False
        self.queue = WriteQueue(
            limit, where=lambda: "test.sqlite3", lost=self.lost.append, failing=lambda: self.writes_fail
        )

    def hold(self) -> tuple[threading.Event, threading.Event]:
        """Submit a write that holds the thread: (started, release)."""
        started, release = threading.Event(), threading.Event()

        def blocking() -> bool:
            started.set()
            release.wait(10)
            return True

        self.queue.submit(blocking)
        assert started.wait(10)
        return started, release


@pytest.fixture
def harness() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.queue.close()


def test_writes_run_in_order_on_the_writing_thread_and_give_their_result():
    harness = Harness(limit=10)
    ran: list[tuple[int, str]] = []

    def write(n: int) -> Callable[[], int]:
        def call() -> int:
            ran.append((n, threading.current_thread().name))
            return n

        return call

    futures = [harness.queue.submit(write(n)) for n in range(5)]
    assert [f.result(10) for f in futures] == [0, 1, 2, 3, 4]
    assert ran == [(n, "journal-write") for n in range(5)]
    assert harness.lost == []
    harness.queue.close()


def test_a_full_queue_drops_the_oldest_waiting_write_counts_it_and_logs_once(harness, caplog):
    _, release = harness.hold()
    futures = [harness.queue.submit(lambda n=n: n) for n in range(5)]  # limit 3: 0 and 1 are dropped
    assert len(harness.queue) == 3
    assert futures[0].result(0) is False and futures[1].result(0) is False
    assert harness.lost == [1, 1]
    assert [r.getMessage() for r in caplog.records].count(
        "journal write queue full (3 writes waiting for test.sqlite3): dropping the oldest; "
        "counted in /facts stats, logged again once the queue empties"
    ) == 1
    release.set()
    assert [f.result(10) for f in futures[2:]] == [2, 3, 4]
    harness.queue.close()
    assert "journal write queue empty again; 2 write(s) were dropped" in caplog.text


def test_a_write_that_raises_gives_false_and_the_next_ones_still_run(harness, caplog):
    def broken() -> bool:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.ERROR, "alliance.journal"):
        failed = harness.queue.submit(broken)
        after = harness.queue.submit(lambda: True)
        assert failed.result(10) is False and after.result(10) is True
    assert "journal write failed unexpectedly" in caplog.text


def test_a_write_failing_for_want_of_the_database_is_tried_again_until_it_works(harness, monkeypatch):
    monkeypatch.setattr(engine.journal.write_queue, "RETRY_FIRST", 0.001)
    queue = WriteQueue(3, where=lambda: "pg", lost=harness.lost.append, failing=lambda: False)
    tries: list[int] = []

    def write() -> bool:
        tries.append(1)
        if len(tries) < 3:
            harness.lost.append(1)  # as the journal counts a failed write
            queue.wait_for_database()
            return False
        return True

    try:
        assert queue.submit(write).result(10) is True
    finally:
        queue.close()
    assert len(tries) == 3
    assert sum(harness.lost) == 0  # each failure counted, then uncounted when it went back in the queue


def test_a_plain_failure_is_not_tried_again(harness):
    tries: list[int] = []

    def write() -> bool:
        tries.append(1)
        return False

    assert harness.queue.submit(write).result(10) is False
    assert harness.queue.submit(lambda: True).result(10) is True
    assert tries == [1]


def test_closing_finishes_every_write_waiting(harness):
    _, release = harness.hold()
    futures = [harness.queue.submit(lambda n=n: n) for n in range(3)]
    closer = threading.Thread(target=harness.queue.close)
    closer.start()
    release.set()
    closer.join(10)
    assert not closer.is_alive()
    assert [f.result(0) for f in futures] == [0, 1, 2]


def test_closing_while_writes_fail_abandons_those_waiting_and_counts_them(harness, caplog):
    _, release = harness.hold()
    futures = [harness.queue.submit(lambda: True) for _ in range(3)]
    harness.writes_fail = True
    harness.queue.stop()
    release.set()
    harness.queue.close()
    assert [f.result(0) for f in futures] == [False, False, False]
    assert harness.lost == [3]
    assert "journal closing while failing: 3 queued write(s) not journaled" in caplog.text


def test_a_write_waiting_for_the_database_is_given_up_at_close(harness, monkeypatch):
    monkeypatch.setattr(engine.journal.write_queue, "RETRY_FIRST", 30.0)  # it would wait long: closing ends it
    queue = WriteQueue(3, where=lambda: "pg", lost=harness.lost.append, failing=lambda: False)
    tried = threading.Event()

    def write() -> bool:
        queue.wait_for_database()
        tried.set()
        return False

    future = queue.submit(write)
    assert tried.wait(10)
    queue.close()
    assert future.result(10) is False


def test_closing_twice_or_a_queue_never_used_is_harmless():
    queue = WriteQueue(3, where=lambda: "-", lost=lambda n: None, failing=lambda: False)
    queue.close()
    queue.close()
    assert len(queue) == 0
