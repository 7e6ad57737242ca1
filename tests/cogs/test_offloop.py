"""Loads off the event loop: a result or an exception comes back; a job given up on keeps `busy` until it ends."""

from __future__ import annotations

import threading

import pytest

from cogs.offloop import OffLoop


async def test_the_result_and_the_exception_come_back_from_the_thread():
    worker = OffLoop("test")
    assert await worker.run(lambda: threading.current_thread().name, timeout=30) == "test"
    with pytest.raises(ValueError, match="broken"):
        await worker.run(lambda: (_ for _ in ()).throw(ValueError("broken")), timeout=30)
    assert not worker.busy


async def test_a_job_given_up_on_runs_on_alone_in_a_daemon_thread():
    worker = OffLoop("test")
    release, started = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []

    def stuck() -> int:
        threads.append(threading.current_thread())
        started.set()
        release.wait(30)
        return 1

    with pytest.raises(TimeoutError):
        await worker.run(stuck, timeout=0)
    assert started.wait(30)
    assert worker.busy and threads[0].daemon  # the interpreter's exit does not wait on it
    release.set()
    threads[0].join(30)
    assert not worker.busy
