"""The journal: what members asked and how they rated the answers, in SQLite.

This module holds the connection, the writes, the worker thread and the failure policy;
the schema is in `journal_schema`, the moderators' reads in `journal_reports`. The journal
must never get in the way of answering: every call catches sqlite3 errors, logs the first
one (then stays quiet until the journal works again) and returns a neutral value. User ids
are never stored: only an HMAC of them, keyed by a random salt kept in the journal itself.
Calls are serialised on one worker thread (`run`), so a locked database never blocks
the event loop, and `aclose` waits for every write already submitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from engine.answering import Reply
from engine.journal_reports import JournalStats, UnansweredGroup, group_alike, read_stats, read_unanswered
from engine.journal_schema import migrate, read_salt

log = logging.getLogger("alliance.journal")

T = TypeVar("T")

DAY = 86_400.0
#: Longest question text kept; the rest is cut.
MAX_QUESTION = 500


class Journal:
    """The SQLite journal; `path=None` makes a journal that records nothing."""

    def __init__(
        self,
        path: str | None,
        *,
        retention_days: int = 90,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.retention_days = retention_days
        self.timeout = timeout
        self.clock = clock
        self._conn: sqlite3.Connection | None = None
        self._salt: bytes = b""
        self._lock = threading.Lock()
        #: The kinds of call ("read", "write") failing since the error was logged; empty when all is well.
        self._failing: set[str] = set()
        self._closed = False
        self._closing = False
        self._last_purge = 0.0
        self._executor: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @property
    def failing(self) -> bool:
        """True since a call failed, until it works again (a working read does not vouch for writes)."""
        return bool(self._failing)

    # -- plumbing ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        conn = sqlite3.connect(
            self.path,
            timeout=self.timeout,
            isolation_level=None,
            check_same_thread=False,
            uri=self.path.startswith("file:"),
        )
        try:
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            migrate(conn)
            self._salt = read_salt(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _call(self, what: str, work: Callable[[sqlite3.Connection], T], default: T) -> T:
        if self.path is None:
            return default
        kind = "read" if what == "read" else "write"
        with self._lock:
            if self._closed:
                return default
            try:
                if self._conn is not None and self._file_gone():
                    log.warning("journal file %s was removed; reopening it", self.path)
                    self._drop()
                if self._conn is None:
                    self._conn = self._connect()
                result = work(self._conn)
            except sqlite3.Error as exc:
                if self._conn is not None and self._conn.in_transaction:
                    self._rollback()
                if not self._failing:
                    log.error(
                        "journal %s failed (%s: %s) at %s; answers go on without it. "
                        "Not logged again until the journal works.",
                        what,
                        type(exc).__name__,
                        exc,
                        self.path,
                    )
                self._failing.add(kind)
                self._drop()
                return default
            if self._failing:
                # A file that can be read may still refuse writes (locked, read-only): only a write clears both.
                self._failing.difference_update(("read", "write") if kind == "write" else (kind,))
                if not self._failing:
                    log.info("journal works again (%s)", self.path)
            return result

    def _file_gone(self) -> bool:
        """True when the open journal's file was deleted (writes would go to a ghost inode)."""
        assert self.path is not None
        if self.path == ":memory:" or self.path.startswith("file:"):
            return False
        return not os.path.exists(self.path)

    def _rollback(self) -> None:
        assert self._conn is not None
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def _drop(self) -> None:
        """Forget the connection so the next call reconnects (the file may be back)."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def user_hash(self, user_id: int) -> str:
        """The pseudonym stored instead of a user id (HMAC-SHA256 with this journal's salt)."""
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    # -- writing ----------------------------------------------------------------------------

    def open(self) -> bool:
        """Create or migrate the journal now (it is otherwise opened on first use)."""
        return self._call("opening", lambda conn: True, False)

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

        def work(conn: sqlite3.Connection) -> bool:
            now = self.clock()
            conn.execute(
                "INSERT OR IGNORE INTO questions (ref, at, guild_id, channel_id, user_hash, via, lang, question, "
                "kind, fact_id, score, answered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ref,
                    now,
                    guild_id,
                    channel_id,
                    self.user_hash(user_id),
                    via,
                    reply.lang,
                    reply.question[:MAX_QUESTION],
                    reply.kind,
                    reply.fact.id if reply.fact else None,
                    reply.score,
                    int(reply.answered),
                ),
            )
            if self.retention_days and now - self._last_purge > DAY / 24:
                self._purge(conn, now)
            return True

        return self._call("write", work, False)

    def record_feedback(self, *, ref: int, fact_id: str, user_id: int, helpful: bool) -> bool:
        """Record a 👍 or 👎 on the answer `ref` gave with `fact_id`; a member's later vote replaces theirs."""

        def work(conn: sqlite3.Connection) -> bool:
            conn.execute(
                "INSERT INTO feedback (ref, at, fact_id, user_hash, helpful) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (ref, user_hash) DO UPDATE SET at = excluded.at, fact_id = excluded.fact_id, "
                "helpful = excluded.helpful",
                (ref, self.clock(), fact_id, self.user_hash(user_id), int(helpful)),
            )
            return True

        return self._call("write", work, False)

    def _purge(self, conn: sqlite3.Connection, now: float) -> int:
        cutoff = now - self.retention_days * DAY
        removed = conn.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount
        removed += conn.execute("DELETE FROM feedback WHERE at < ?", (cutoff,)).rowcount
        self._last_purge = now
        if removed:
            log.info("journal: %d row(s) older than %d days removed", removed, self.retention_days)
        return removed

    def purge(self) -> int:
        """Delete what is older than the retention period (0 days keeps everything)."""
        if not self.retention_days:
            return 0
        return self._call("purge", lambda conn: self._purge(conn, self.clock()), 0)

    # -- reading ----------------------------------------------------------------------------

    def stats(self, top: int = 5) -> JournalStats | None:
        """Counts for `/facts stats`, or None when the journal cannot be read."""
        return self._call("read", lambda conn: read_stats(conn, top), None)

    def unanswered(self, *, days: int = 30, limit: int = 500, cutoff: int = 80) -> list[UnansweredGroup] | None:
        """Recent questions not answered (unsure or unknown), alike ones grouped; None when unreadable."""
        rows = self._call("read", lambda conn: read_unanswered(conn, self.clock() - days * DAY, limit), None)
        return None if rows is None else group_alike(rows, cutoff)

    # -- async front and closing -----------------------------------------------------------

    async def run(self, method: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
        """Run one journal method on the journal's own thread; None once the journal is closing."""
        if self.path is None:
            return method(*args, **kwargs)
        if self._closing:
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(method, *args, **kwargs)
        )

    def close(self) -> None:
        """Finish the writes already submitted, then close the database. Safe to call twice."""
        self._closing = True
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        with self._lock:
            self._closed = True
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                self._drop()

    async def aclose(self) -> None:
        """`close` without blocking the event loop; no new call is accepted from now on."""
        self._closing = True
        await asyncio.to_thread(self.close)


def open_journal(path: str | None, retention_days: int = 90) -> Journal:
    """The journal for the settings, created or migrated now so a bad path is logged at start."""
    journal = Journal(path, retention_days=retention_days)
    if journal.enabled:
        journal.open()
        journal.purge()
    return journal
