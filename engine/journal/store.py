"""The journal: what members asked and how they rated the answers, in SQLite.

This module holds the connections, the writes, the worker threads and the failure policy;
the schema is in `journal_schema`, the moderators' reads in `journal_reports`. The journal
must never get in the way of answering: every call catches what SQLite or a bad value can
raise, logs the first failure (then stays quiet until the journal works again) and returns
a neutral value. User ids are never stored: only an HMAC of them, keyed by a random salt
kept in the journal itself.

Writes and reads have a connection and a thread each, so a report never queues behind
writes waiting on a locked file (WAL lets the reader read meanwhile). Writes wait in a
bounded queue: when it is full the oldest is dropped and counted. A file replaced or removed
under the bot (a restored backup) is noticed by its device and inode, every connection to
the old file is closed before one opens the new file, so no old write-ahead log lands on it.
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
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from engine.answering import Reply
from engine.journal.backend import Backend, is_url, open_backend
from engine.journal.reports import JournalStats, UnansweredGroup, group_alike, read_stats, read_unanswered
from engine.settings import RETENTION_DAYS

log = logging.getLogger("alliance.journal")

T = TypeVar("T")

DAY = 86_400.0
#: Longest question text kept; the rest is cut.
MAX_QUESTION = 500
#: Writes waiting for the file at most; past it the oldest is dropped (and counted).
#: Large enough for a burst on a healthy file (a reload makes writes slower for a while), small in memory.
WRITE_QUEUE = 2_000
#: Seconds between two tries of a write waiting for the database to come back (PostgreSQL), the first and the most.
RETRY_FIRST, RETRY_MOST = 0.2, 2.0
#: What a write can raise besides sqlite3.Error: a value SQLite cannot take (an int past 64 bits, a NUL in SQL).
VALUE_ERRORS = (ValueError, TypeError, OverflowError)


def clean_text(value: str) -> str:
    """`value` as UTF-8 can encode it: surrogate pairs joined, unpaired surrogates replaced by U+FFFD."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _settle(future: Future[Any], result: Any) -> None:
    """Give a queued write's result to its caller; one who stopped waiting (cancelled) just misses it."""
    with contextlib.suppress(InvalidStateError):
        future.set_result(result)


def _reads(method: Callable[..., T]) -> Callable[..., T]:
    """Mark a method that only reads: `Journal.run` gives it the reading thread, never the write queue."""
    method.journal_reads = True  # type: ignore[attr-defined]
    return method


class _Link:
    """One connection to the journal, its lock, and the file (device, inode) it was opened on."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.conn: Any = None  # sqlite3.Connection, or journal_pg.PgConnection
        self.identity: tuple[int, int] | None = None
        self.lock = threading.Lock()

    def drop(self, backend: Backend | None = None, *, last: bool = False) -> None:
        """Close the connection (the last one to a file checkpoints it and removes its -wal and -shm)."""
        if self.conn is not None:
            if backend is not None:
                backend.close(self.conn, last=last)
            else:
                with contextlib.suppress(Exception):
                    self.conn.close()
            self.conn = None
            self.identity = None


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
        self.path = path
        self.retention_days = retention_days
        self.timeout = timeout
        self.clock = clock
        self.queue_limit = queue_limit
        self._backend: tuple[str, Backend] | None = None
        self._salt: bytes = b""
        self._writer = _Link("write")
        # Two connections to ":memory:" would be two databases: there, reads share the writer's.
        self._reader = self._writer if self._in_memory else _Link("read")
        #: The kinds of call ("read", "write") failing since the error was logged; empty when all is well.
        self._failing: set[str] = set()
        self._status = threading.Lock()  # the reading and the writing thread both update `_failing`, `unwritten`
        self._closed = False
        self._closing = False
        self._last_purge = 0.0
        #: Writes not journaled since start: dropped from a full queue, failed, or abandoned at close.
        self.unwritten = 0
        self._queue: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._queue_changed = threading.Condition()
        self._dropping = 0  # dropped since the queue last emptied; logged once when it starts
        self._write_thread: threading.Thread | None = None
        #: Set by a write that failed for want of the database, which the writing thread then tries again.
        self._wait_for_database = False
        self._retry_delay = RETRY_FIRST
        self._read_executor: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @property
    def backend(self) -> Backend | None:
        """The database beneath, for the path (a file) or URL (PostgreSQL) the journal has now."""
        if self.path is None:
            return None
        if self._backend is None or self._backend[0] != self.path:
            self._backend = (self.path, open_backend(self.path, self.timeout))
        return self._backend[1]

    @property
    def where(self) -> str:
        """Where the journal is, for the logs (a URL without its password)."""
        backend = self.backend
        return "-" if backend is None else backend.where

    @property
    def failing(self) -> bool:
        """True since a call failed, until it works again (a working read does not vouch for writes)."""
        return bool(self._failing)

    @property
    def _in_memory(self) -> bool:
        return self.path is not None and (self.path == ":memory:" or "mode=memory" in self.path)

    # -- plumbing ---------------------------------------------------------------------------

    def _connect(self) -> Any:
        assert self.backend is not None
        conn, self._salt = self.backend.connect()
        return conn

    def _file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the file at the journal's path now; None when there is none."""
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _watches_file(self) -> bool:
        """Whether the path names a plain file whose replacement can be noticed (not memory, not a URI)."""
        return not (self._in_memory or (self.path or "").startswith("file:") or is_url(self.path))

    def _stale(self, current: tuple[int, int] | None) -> bool:
        """Whether a connection is open on a file that is no longer at the path (replaced or removed)."""
        return any(link.conn is not None and link.identity != current for link in (self._writer, self._reader))

    def _drop_stale(self, current: tuple[int, int] | None) -> None:
        """Close every connection to the old file before any opens the new one: two files sharing the path's
        -wal and -shm is how a restored backup gets corrupted. Locks are taken writer first, always."""
        with self._writer.lock, contextlib.ExitStack() as stack:
            if self._reader is not self._writer:
                stack.enter_context(self._reader.lock)
            if not self._stale(current):
                return  # the other thread did it
            log.warning(
                "journal file %s was %s; reopening it",
                self.path,
                "removed" if current is None else "replaced (another file at its path)",
            )
            self._empty_old_wal()
            self._writer.drop()
            self._reader.drop()

    def _empty_old_wal(self) -> None:
        """Empty the write-ahead log the old file left at the path, before any connection opens the new file.

        SQLite neither checkpoints nor deletes the -wal of a moved file when its connection closes, and the next
        file opened at the path would replay those pages as its own. A TRUNCATE checkpoint through the old
        connection copies them into the old file and empties the log; failing that, the log and its index go."""
        conn = self._writer.conn or self._reader.conn
        emptied = False
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                emptied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        if not emptied:
            log.warning("journal: removing the write-ahead log the old file left beside %s", self.path)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{self.path}{suffix}")

    def _call(self, what: str, work: Callable[[Any], T], default: T) -> T:
        if self.path is None or self.backend is None:
            return default
        backend = self.backend
        kind = "read" if what == "read" else "write"
        link = self._reader if kind == "read" else self._writer
        if self._watches_file():
            current = self._file_identity()
            if self._stale(current):
                self._drop_stale(current)
        with link.lock:
            if self._closed:
                return default
            try:
                if link.conn is None:
                    if self._watches_file() and self._stale(self._file_identity()):
                        raise sqlite3.OperationalError("the journal file changed while it was being opened")
                    link.conn = self._connect()
                    link.identity = self._file_identity() if self._watches_file() else None
                result = work(link.conn)
            except (*backend.errors, *VALUE_ERRORS) as exc:
                if link.conn is not None:
                    backend.rollback(link.conn)
                with self._status:
                    if kind == "write" and backend.waits(exc, link.conn):
                        self._wait_for_database = True
                    if not self._failing:
                        log.error(
                            "journal %s failed (%s: %s) at %s; answers go on without it. "
                            "Not logged again until the journal works.",
                            what,
                            type(exc).__name__,
                            exc,
                            self.where,
                        )
                    self._failing.add(kind)
                if link.conn is not None and backend.drops(exc, link.conn):
                    link.drop(backend)
                return default
            if self._failing:
                with self._status:
                    # A file that can be read may still refuse writes (locked, read-only): only a write clears both.
                    failing = bool(self._failing)
                    self._failing.difference_update(("read", "write") if kind == "write" else (kind,))
                    if failing and not self._failing:
                        log.info("journal works again (%s)", self.where)
            return result

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

        return self._counted(self._call("write", work, False))

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

        return self._counted(self._call("write", work, False))

    def _counted(self, written: bool) -> bool:
        if not written and self.enabled and not self._closed:
            with self._status:
                self.unwritten += 1
        return written

    def _purge(self, conn: Any, now: float) -> int:
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

    @_reads
    def stats(self, top: int = 5, *, guild_id: int | None) -> JournalStats | None:
        """Counts for `/facts stats` over one server (`guild_id`; None: direct messages), or None when unreadable.

        `unwritten` is the whole bot's count: it says how much the figures miss, not what anyone asked."""
        stats = self._call("read", lambda conn: read_stats(conn, top, guild_id), None)
        return None if stats is None else replace(stats, unwritten=self.unwritten)

    @_reads
    def unanswered(
        self, *, guild_id: int | None, days: int = 30, limit: int = 500, cutoff: int = 80
    ) -> list[UnansweredGroup] | None:
        """Recent questions of one server (None: direct messages) not answered, alike ones grouped; None when
        unreadable."""
        since = self.clock() - days * DAY
        rows = self._call("read", lambda conn: read_unanswered(conn, since, limit, guild_id), None)
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
        if getattr(method, "journal_reads", False):
            if self._read_executor is None:
                self._read_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-read")
            return await asyncio.get_running_loop().run_in_executor(self._read_executor, call)
        return await asyncio.wrap_future(self._submit(call))

    def _submit(self, call: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        dropped: Future[Any] | None = None
        with self._queue_changed:
            if len(self._queue) >= self.queue_limit:
                _, dropped = self._queue.popleft()
                with self._status:
                    self.unwritten += 1
                self._dropping += 1
                if self._dropping == 1:
                    log.warning(
                        "journal write queue full (%d writes waiting for %s): dropping the oldest; "
                        "counted in /facts stats, logged again once the queue empties",
                        self.queue_limit,
                        self.where,
                    )
            self._queue.append((call, future))
            if self._write_thread is None:
                self._write_thread = threading.Thread(target=self._write_loop, name="journal-write", daemon=True)
                self._write_thread.start()
            self._queue_changed.notify()
        if dropped is not None:
            _settle(dropped, False)
        return future

    def _write_loop(self) -> None:
        """The writing thread: one queued write after another, until the journal closes and the queue is empty."""
        while True:
            with self._queue_changed:
                while not self._queue and not self._closing:
                    self._queue_changed.wait()
                if not self._queue:
                    return
                if self._closing and "write" in self._failing:
                    self._abandon_queue()
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
            _settle(future, result)
            with self._queue_changed:
                if not self._queue and self._dropping:
                    log.warning("journal write queue empty again; %d write(s) were dropped", self._dropping)
                    self._dropping = 0

    def _requeue(self, call: Callable[[], Any], future: Future[Any]) -> bool:
        """Put back first in the queue a write that failed for want of the database (PostgreSQL down or out of
        reach), and wait a little before it is tried again: it is not lost while the bounded queue keeps it. False
        when it is given up instead (closing, or the queue full: it is the oldest), counted as not journaled."""
        with self._queue_changed:
            if self._closing:
                return False
            if len(self._queue) >= self.queue_limit:
                self._dropping += 1
                return False
            with self._status:
                self.unwritten -= 1  # counted when it failed; it is waiting, not lost
            self._queue.appendleft((call, future))
            deadline = time.monotonic() + self._retry_delay
            self._retry_delay = min(RETRY_MOST, self._retry_delay * 2)
            while not self._closing and (left := deadline - time.monotonic()) > 0:
                self._queue_changed.wait(left)  # a new write wakes it too: it waits on
        return True

    def _abandon_queue(self) -> None:
        """At close with the file failing: give up the writes still waiting (each would wait out the timeout)."""
        abandoned = list(self._queue)
        self._queue.clear()
        with self._status:
            self.unwritten += len(abandoned)
        log.warning("journal closing while failing: %d queued write(s) not journaled", len(abandoned))
        for _, future in abandoned:
            _settle(future, False)

    def close(self) -> None:
        """Finish the writes already submitted (all of them, unless the file fails), then close. Safe twice."""
        self._closing = True
        with self._queue_changed:
            self._queue_changed.notify_all()
            thread = self._write_thread
        if thread is not None:
            thread.join()
        executor, self._read_executor = self._read_executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        with self._writer.lock:
            self._closed = True
            self._writer.drop(self.backend, last=True)
        with self._reader.lock:
            self._reader.drop(self.backend)

    async def aclose(self) -> None:
        """`close` without blocking the event loop; no new call is accepted from now on."""
        self._closing = True
        await asyncio.to_thread(self.close)


def open_journal(path: str | None, retention_days: int = RETENTION_DAYS) -> Journal:
    """The journal for the settings, created or migrated now so a bad path is logged at start."""
    journal = Journal(path, retention_days=retention_days)
    if journal.enabled:
        journal.open()
        journal.purge()
    return journal


class BackupError(Exception):
    """A live backup could not be made; the message says why (the destination is left untouched)."""


def backup(source: str, dest: str | Path) -> int:
    """Copy the journal at `source` to `dest` with SQLite's online backup, safe while the bot writes to it.

    The copy is written beside `dest` and renamed into place once checked, so `dest` is either the old file or a
    whole, consistent journal. Returns the number of questions in the copy."""
    if is_url(source):
        raise BackupError("the journal is in PostgreSQL (JOURNAL_URL): back it up with pg_dump")
    if source == ":memory:" or "mode=memory" in source:
        raise BackupError("the journal is in memory only (JOURNAL_PATH=:memory:): there is nothing to back up")
    src_path = Path(source.removeprefix("file:").split("?", 1)[0])
    if not src_path.is_file():
        raise BackupError(f"no journal file at {src_path}")
    target = Path(dest)
    if target.resolve() == src_path.resolve():
        raise BackupError("the backup must go to another file than the journal itself")
    partial = target.with_name(f".{target.name}.partial")
    try:
        src = sqlite3.connect(f"{src_path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
        try:
            copy = sqlite3.connect(partial)
            try:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                check = copy.execute("PRAGMA integrity_check").fetchone()[0]
                questions = copy.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
            finally:
                copy.close()
        finally:
            src.close()
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return questions
