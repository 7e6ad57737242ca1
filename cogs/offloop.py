"""Running a knowledge load off the event loop, in a thread that neither a timeout nor shutdown waits on.

`asyncio.to_thread` runs in the default executor, whose threads the interpreter joins at exit:
a load stuck on a hostile file would hold the process after SIGTERM. A daemon thread does not,
and `wait_for` over a shielded future lets the caller give up on time while the thread winds
down by itself (the Loader stops at its own deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class OffLoop:
    """Background jobs; `busy` while one that was given up on still runs (start no other until it ends)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._abandoned: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._abandoned is not None and self._abandoned.is_alive()

    async def run(self, work: Callable[[], T], timeout: float) -> T:  # noqa: ASYNC109 - the timeout is the point
        """`work()`'s result, computed in a daemon thread; TimeoutError after `timeout` seconds (the
        thread is left to finish alone: check `busy` before starting another)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(outcome: Callable[[], None]) -> None:
            if not future.done():
                outcome()

        def target() -> None:
            try:
                result = work()
            except BaseException as exc:  # handed to the waiting coroutine
                error = exc
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
                    loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
            else:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

        thread = threading.Thread(target=target, name=self.name, daemon=True)
        thread.start()
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self._abandoned = thread
            # Nobody awaits the result any more: take its exception, so it is not logged as never retrieved.
            future.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise
