"""The journal's two connections to its database and the failure policy every call goes through.

Writes and reads have a connection each, so a report never queues behind writes waiting on a
locked file (WAL lets the reader read meanwhile). A call that fails logs the first failure
(then stays quiet until the journal works again) and gives its neutral value: the journal must
never get in the way of answering. A file replaced or removed under the bot (a restored backup)
is noticed by its device and inode, and every connection to the old file is closed before one
opens the new file, so no old write-ahead log lands on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from engine.journal.backend import Backend, is_url, open_backend

log = logging.getLogger("alliance.journal")

T = TypeVar("T")

#: What a write can raise besides sqlite3.Error: a value SQLite cannot take (an int past 64 bits, a NUL in SQL).
VALUE_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, OverflowError)


class Link:
    """One connection to the journal, its lock, and the file (device, inode) it was opened on."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.conn: Any = None  # sqlite3.Connection, or journal.pg.PgConnection: the SQL is the same
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


class Connections:
    """The write and the read connection to the journal at `path` (an SQLite file, or a postgresql:// URL).

    `on_wait` is told when a write failed for want of the database (PostgreSQL down or out of reach), so the
    write queue can try it again."""

    def __init__(self, path: str | None, *, timeout: float, on_wait: Callable[[], None]) -> None:
        #: Where the journal is; it may be changed (the backend follows on the next call).
        self.path = path
        self.timeout = timeout
        self._on_wait = on_wait
        self._backend: tuple[str, Backend] | None = None
        self._salt: bytes = b""
        self._writer = Link("write")
        # Two connections to ":memory:" would be two databases: there, reads share the writer's.
        self._reader = self._writer if self.in_memory else Link("read")
        #: The kinds of call ("read", "write") failing since the error was logged; empty when all is well.
        self.failing: set[str] = set()
        self._status = threading.Lock()  # the reading and the writing thread both update `failing`
        self._closed = False

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
    def closed(self) -> bool:
        """True once `close` ran: every call gives its default from then on."""
        return self._closed

    @property
    def in_memory(self) -> bool:
        return self.path is not None and (self.path == ":memory:" or "mode=memory" in self.path)

    def user_hash(self, user_id: int) -> str:
        """The pseudonym stored instead of a user id (HMAC-SHA256 with this journal's salt)."""
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

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
        return not (self.in_memory or (self.path or "").startswith("file:") or is_url(self.path))

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

    def call(self, what: str, work: Callable[[Any], T], default: T) -> T:
        """`work(connection)` on the read connection (`what` "read") or the write one (anything else, named in
        the log); `default` when there is no journal, it is closed, or the call fails."""
        if self.path is None or self.backend is None:
            return default
        backend = self.backend
        kind: Literal["read", "write"] = "read" if what == "read" else "write"
        link = self._reader if kind == "read" else self._writer
        if self._watches_file():
            current = self._file_identity()
            if self._stale(current):
                self._drop_stale(current)
        errors = (*backend.errors, *VALUE_ERRORS)
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
            except errors as exc:
                if link.conn is not None:
                    backend.rollback(link.conn)
                with self._status:
                    if kind == "write" and backend.waits(exc, link.conn):
                        self._on_wait()
                    if not self.failing:
                        log.error(
                            "journal %s failed (%s: %s) at %s; answers go on without it. "
                            "Not logged again until the journal works.",
                            what,
                            type(exc).__name__,
                            exc,
                            self.where,
                        )
                    self.failing.add(kind)
                if link.conn is not None and backend.drops(exc, link.conn):
                    link.drop(backend)
                return default
            if self.failing:
                with self._status:
                    # A file that can be read may still refuse writes (locked, read-only): only a write clears both.
                    failing = bool(self.failing)
                    self.failing.difference_update(("read", "write") if kind == "write" else (kind,))
                    if failing and not self.failing:
                        log.info("journal works again (%s)", self.where)
            return result

    def close(self) -> None:
        """Close both connections; every later call gives its default. Safe twice."""
        with self._writer.lock:
            self._closed = True
            self._writer.drop(self.backend, last=True)
        with self._reader.lock:
            self._reader.drop(self.backend)
