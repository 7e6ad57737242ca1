"""The journal's database, beneath the journal: SQLite (a file, the default) or PostgreSQL (`JOURNAL_URL`).

`Journal` keeps one write and one read connection, its queue and its failure policy; a
backend opens a migrated connection, says which errors are the database's, whether a
connection is lost with one, and whether a failed write should wait for the database. The
SQL is SQLite's as the journal and its reports write it; the PostgreSQL connection
(`journal_pg`) translates its placeholders, so the reports exist once.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, Protocol

from engine.journal.schema import migrate, read_salt

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: str | None) -> bool:
    """Whether `target` names a PostgreSQL database rather than an SQLite file."""
    return target is not None and target.startswith(URL_SCHEMES)


class Backend(Protocol):
    """What `Journal` needs from a database."""

    #: Where the journal is, for the logs (a URL without its password).
    where: str
    #: The exceptions the database's driver raises.
    errors: tuple[type[Exception], ...]

    def connect(self) -> tuple[Any, bytes]:
        """A connection with the schema up to date, and the journal's salt."""

    def rollback(self, conn: Any) -> None:
        """End a transaction a failure left open."""

    def drops(self, exc: Exception, conn: Any) -> bool:
        """Whether `conn` should be closed after `exc` (reopened on the next call)."""

    def waits(self, exc: Exception, conn: Any | None) -> bool:
        """Whether a write that failed with `exc` should wait in the queue for the database to come back."""

    def close(self, conn: Any, *, last: bool) -> None:
        """Close `conn`; `last` when the journal itself closes."""


class SqliteBackend:
    """A journal file (or `:memory:`), in WAL mode; a write that fails is dropped and counted, never retried
    (a locked or read-only file does not heal by itself, and the bot must not pile writes up behind it)."""

    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.where = path
        self.timeout = timeout
        self.in_memory = path == ":memory:" or "mode=memory" in path

    def connect(self) -> tuple[sqlite3.Connection, bytes]:
        conn = sqlite3.connect(
            self.path,
            timeout=self.timeout,
            isolation_level=None,
            check_same_thread=False,
            uri=self.path.startswith("file:"),
        )
        try:
            if not self.in_memory and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            migrate(conn)
            salt = read_salt(conn)
        except BaseException:
            conn.close()
            raise
        return conn, salt

    def rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def drops(self, exc: Exception, conn: sqlite3.Connection) -> bool:
        # A bad value says nothing about the connection; SQLite's own errors may (the file gone).
        return isinstance(exc, sqlite3.Error)

    def waits(self, exc: Exception, conn: sqlite3.Connection | None) -> bool:
        return False

    def close(self, conn: sqlite3.Connection, *, last: bool) -> None:
        with contextlib.suppress(sqlite3.Error):
            if last:
                conn.execute("PRAGMA optimize")
            conn.close()


def open_backend(target: str, timeout: float) -> Backend:
    """The backend for JOURNAL_URL (postgresql://...) or JOURNAL_PATH (a file)."""
    if is_url(target):
        from engine.journal.pg import PgBackend  # psycopg is needed only by a bot that uses PostgreSQL

        return PgBackend(target, timeout)
    return SqliteBackend(target, timeout)
