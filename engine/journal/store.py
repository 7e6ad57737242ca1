"""The journal: what members asked and how they rated the answers, in SQLite or PostgreSQL.

The Journal is what the front ends write to and read from: the records, the retention, the
reads for the moderators' reports, and `run`, which takes any of them off the event loop. The
journal must never get in the way of answering: every call goes through `connections` (two
connections, the failure policy: log the first failure, return a neutral value), writes through
the bounded `write_queue`. The schema is in `schema`, the moderators' reads in `reports`, the
live copy in `backup`. User ids are never stored: only an HMAC of them, keyed by a random salt
kept in the journal itself.

This module is the journal's door: it also gives the reports' shapes and `backup`, so a front end
imports from it alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from engine.answering import Reply
from engine.journal.backend import Backend
from engine.journal.backup import BackupError, backup
from engine.journal.connections import Connections
from engine.journal.reports import JournalStats, UnansweredGroup, group_alike, read_stats, read_unanswered
from engine.journal.write_queue import WriteQueue
from engine.settings import RETENTION_DAYS

__all__ = ["BackupError", "Journal", "JournalStats", "UnansweredGroup", "backup", "clean_text", "open_journal"]

log = logging.getLogger("alliance.journal")

T = TypeVar("T")

DAY = 86_400.0
#: Longest question text kept; the rest is cut.
MAX_QUESTION = 500
#: Writes waiting for the file at most; past it the oldest is dropped (and counted).
#: Large enough for a burst on a healthy file (a reload makes writes slower for a while), small in memory.
WRITE_QUEUE = 2_000


def clean_text(value: str) -> str:
    """`value` as UTF-8 can encode it: surrogate pairs joined, unpaired surrogates replaced by U+FFFD."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


#: The methods that only read: `Journal.run` gives them the reading thread, never the write queue.
_READS: set[Callable[..., Any]] = set()


def _reads(method: Callable[..., T]) -> Callable[..., T]:
    """Mark a method that only reads (see `_READS`)."""
    _READS.add(method)
    return method


class Journal:
    """The journal in an SQLite file, or in PostgreSQL when `path` is a postgresql:// URL; `path=None` makes a
    journal that records nothing."""

    def __init__(
        self,
        path: str | None,
        *,
        retention_days: int = RETENTION_DAYS,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
        queue_limit: int = WRITE_QUEUE,
    ) -> None:
        self.retention_days = retention_days
        self.clock = clock
        self._last_purge = 0.0
        #: Writes not journaled since start: dropped from a full queue, failed, or abandoned at close.
        self.unwritten = 0
        self._unwritten_lock = threading.Lock()  # the reading and the writing thread both count
        self._closing = False
        self._writes = WriteQueue(
            queue_limit,
            where=lambda: self.where,
            lost=self._lost,
            failing=lambda: "write" in self._db.failing,
        )
        self._db = Connections(path, timeout=timeout, on_wait=self._writes.wait_for_database)
        self._read_executor: ThreadPoolExecutor | None = None

    @property
    def path(self) -> str | None:
        """The SQLite file (or URL) of the journal; setting it moves the journal there on the next call."""
        return self._db.path

    @path.setter
    def path(self, path: str | None) -> None:
        self._db.path = path

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @property
    def backend(self) -> Backend | None:
        """The database beneath, for the path (a file) or URL (PostgreSQL) the journal has now."""
        return self._db.backend

    @property
    def where(self) -> str:
        """Where the journal is, for the logs (a URL without its password)."""
        return self._db.where

    @property
    def failing(self) -> bool:
        """True since a call failed, until it works again (a working read does not vouch for writes)."""
        return bool(self._db.failing)

    def user_hash(self, user_id: int) -> str:
        """The pseudonym stored instead of a user id (HMAC-SHA256 with this journal's salt)."""
        return self._db.user_hash(user_id)

    def _lost(self, count: int) -> None:
        with self._unwritten_lock:
            self.unwritten += count

    # -- writing ----------------------------------------------------------------------------

    def open(self) -> bool:
        """Create or migrate the journal now (it is otherwise opened on first use)."""
        return self._db.call("opening", lambda conn: True, False)

    def record_question(
        self,
        reply: Reply,
        *,
        ref: int,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        via: str,
    ) -> bool:
        """Record one question and what the bot replied; `ref` is its Discord message or interaction id."""

        def work(conn: Any) -> bool:
            now = self.clock()
            conn.execute(
                "INSERT INTO questions (ref, at, guild_id, channel_id, user_hash, via, lang, question, "
                "kind, fact_id, score, answered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (ref) DO NOTHING",
                (
                    ref,
                    now,
                    guild_id,
                    channel_id,
                    self.user_hash(user_id),
                    clean_text(via),
                    clean_text(reply.lang),
                    clean_text(reply.question[:MAX_QUESTION]),
                    clean_text(reply.kind),
                    clean_text(reply.fact.id) if reply.fact else None,
                    reply.score,
                    int(reply.answered),
                ),
            )
            if self.retention_days and now - self._last_purge > DAY / 24:
                self._purge(conn, now)
            return True

        return self._counted(self._db.call("write", work, False))

    def record_feedback(self, *, ref: int, fact_id: str, user_id: int, helpful: bool) -> bool:
        """Record a 👍 or 👎 on the answer `ref` gave with `fact_id`; a member's later vote replaces theirs."""

        def work(conn: Any) -> bool:
            conn.execute(
                "INSERT INTO feedback (ref, at, fact_id, user_hash, helpful) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (ref, user_hash) DO UPDATE SET at = excluded.at, fact_id = excluded.fact_id, "
                "helpful = excluded.helpful",
                (ref, self.clock(), clean_text(fact_id), self.user_hash(user_id), int(helpful)),
            )
            return True

        return self._counted(self._db.call("write", work, False))

    def _counted(self, written: bool) -> bool:
        if not written and self.enabled and not self._db.closed:
            self._lost(1)
        return written

    def _purge(self, conn: Any, now: float) -> int:
        cutoff = now - self.retention_days * DAY
        removed: int = conn.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount
        removed += conn.execute("DELETE FROM feedback WHERE at < ?", (cutoff,)).rowcount
        self._last_purge = now
        if removed:
            log.info("journal: %d row(s) older than %d days removed", removed, self.retention_days)
        return removed

    def purge(self) -> int:
        """Delete what is older than the retention period (0 days keeps everything)."""
        if not self.retention_days:
            return 0
        return self._db.call("purge", lambda conn: self._purge(conn, self.clock()), 0)

    # -- reading ----------------------------------------------------------------------------

    @_reads
    def stats(self, top: int = 5, *, guild_id: int | None) -> JournalStats | None:
        """Counts for `/facts stats` over one server (`guild_id`; None: direct messages), or None when unreadable.

        `unwritten` is the whole bot's count: it says how much the figures miss, not what anyone asked."""
        stats = self._db.call("read", lambda conn: read_stats(conn, top, guild_id), None)
        return None if stats is None else replace(stats, unwritten=self.unwritten)

    @_reads
    def unanswered(
        self, *, guild_id: int | None, days: int = 30, limit: int = 500, cutoff: int = 80
    ) -> list[UnansweredGroup] | None:
        """Recent questions of one server (None: direct messages) not answered, alike ones grouped; None when
        unreadable."""
        since = self.clock() - days * DAY
        rows = self._db.call("read", lambda conn: read_unanswered(conn, since, limit, guild_id), None)
        return None if rows is None else group_alike(rows, cutoff)

    # -- async front: the write queue and the reading thread ---------------------------------

    async def run(self, method: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
        """Run one journal method off the event loop: reads on the reading thread, writes through the bounded
        queue (a write dropped from it gives False). None once the journal is closing."""
        call = functools.partial(method, *args, **kwargs)
        if self.path is None:
            return call()
        if self._closing:
            return None
        if getattr(method, "__func__", method) in _READS:
            if self._read_executor is None:
                self._read_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-read")
            return await asyncio.get_running_loop().run_in_executor(self._read_executor, call)
        result: T = await asyncio.wrap_future(self._writes.submit(call))
        return result

    def close(self) -> None:
        """Finish the writes already submitted (all of them, unless the file fails), then close. Safe twice."""
        self._closing = True
        self._writes.close()
        executor, self._read_executor = self._read_executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        self._db.close()

    async def aclose(self) -> None:
        """`close` without blocking the event loop; no new call is accepted from now on."""
        self._closing = True
        self._writes.stop()
        await asyncio.to_thread(self.close)


def open_journal(path: str | None, retention_days: int = RETENTION_DAYS) -> Journal:
    """The journal for the settings, created or migrated now so a bad path is logged at start."""
    journal = Journal(path, retention_days=retention_days)
    if journal.enabled:
        journal.open()
        journal.purge()
    return journal
