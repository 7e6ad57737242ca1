"""The journal in PostgreSQL (`JOURNAL_URL=postgresql://...`), for shards in several processes or machines.

psycopg 3, blocking, on the journal's own threads (answering never waits on it). The
connection takes the journal's SQL as SQLite writes it (`?` placeholders, `IS ?` for a value
that may be NULL) and hands PostgreSQL its form, so the reports are written once. The
schema is SQLite's, translated step by step (`postgres_form`, counted in `schema_version`), applied
under an advisory lock, so shards starting together migrate once. A write that fails for
want of the server waits in the journal's bounded queue until it is back.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from engine.journal.schema import MIGRATIONS as SQLITE_MIGRATIONS
from engine.journal.schema import SALT_BYTES

log = logging.getLogger("alliance.journal")

#: The advisory lock held while migrating ("alljourn" in ASCII): one shard migrates, the others wait for it.
MIGRATION_LOCK = 0x616C6C6A6F75726E
#: Longest a statement may run (ms), so a hung server cannot hold a journal thread for ever.
STATEMENT_TIMEOUT_MS = 30_000

#: SQLite's salt (32 random bytes as hex) and PostgreSQL's: SHA-256 over two random UUIDs (its strong random
#: source, no extension needed).
_SALT = (
    "lower(hex(randomblob(32)))",
    "encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex')",
)
#: SQLite's column types and PostgreSQL's, in the order they are replaced (ids are 64-bit Discord snowflakes).
_TYPES = (
    (r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    (r"\bINTEGER\b", "BIGINT"),
    (r"\bREAL\b", "DOUBLE PRECISION"),
)


def postgres_form(step: str) -> str:
    """One of SQLite's migrations (`schema.MIGRATIONS`) as PostgreSQL runs it: one schema, written once."""
    step = step.replace(*_SALT)
    for pattern, replacement in _TYPES:
        step = re.sub(pattern, replacement, step)
    return step


#: PostgreSQL's form of `schema.MIGRATIONS`, step for step.
MIGRATIONS: tuple[str, ...] = tuple(postgres_form(step) for step in SQLITE_MIGRATIONS)


def redact(url: str) -> str:
    """`url` without its password, for the logs: in `user:password@` and in the query (`?password=`)."""
    parts = urlsplit(url)
    secret = ("password", "sslpassword")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if parts.password is None and not any(key.lower() in secret for key, _ in query):
        return url
    base = url.split("?", 1)[0]  # as written: "postgresql:///db" keeps its empty host
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        base = urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}", query=""))
    if not query:
        return base
    hidden = [(key, "***" if key.lower() in secret else value) for key, value in query]
    return f"{base}?{urlencode(hidden, safe='*/')}"


@functools.lru_cache(maxsize=256)
def translate(sql: str) -> str:
    """SQLite's SQL as the journal writes it, in PostgreSQL's form: `IS ?` (equal, NULL included) becomes
    `IS NOT DISTINCT FROM %s`, every other `?` `%s`, a literal `%` `%%`. The journal's SQL puts no `?` in
    a string literal."""
    sql = sql.replace("%", "%%")
    sql = re.sub(r"\bIS \?", "IS NOT DISTINCT FROM %s", sql)
    return sql.replace("?", "%s")


def clean_value(value: Any) -> Any:
    """A value PostgreSQL takes where SQLite did: text cannot hold NUL there, so it becomes U+FFFD."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


class PgConnection:
    """A psycopg connection (autocommit) that speaks the journal's SQLite-style SQL."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.raw.execute(translate(sql), tuple(clean_value(v) for v in params))

    def close(self) -> None:
        self.raw.close()


def connect(url: str, timeout: float = 2.0) -> psycopg.Connection[Any]:
    """A raw autocommit connection; libpq's connect timeout is 2 s at least."""
    conn = psycopg.connect(url, autocommit=True, connect_timeout=max(2, round(timeout)), application_name="alliance")
    try:
        conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        conn.execute(f"SET lock_timeout = {max(1, round(timeout * 1000))}")
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Apply the migrations the database lacks, one transaction each, under the advisory lock (other shards
    wait, then find nothing to do); refuse a database newer than this bot. The version now."""
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        version = 0 if row is None else row[0]
        if version > len(MIGRATIONS):
            raise psycopg.DatabaseError(
                f"journal schema version {version} is newer than this bot knows ({len(MIGRATIONS)})"
            )
        for number in range(version, len(MIGRATIONS)):
            with conn.transaction():
                conn.execute(MIGRATIONS[number])
                conn.execute("UPDATE schema_version SET version = %s", (number + 1,))
            log.info("journal schema migrated to version %d", number + 1)
        return max(version, len(MIGRATIONS))
    finally:
        if not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def read_salt(conn: psycopg.Connection[Any]) -> bytes:
    """The journal's salt, shared by every shard (so one member has one pseudonym across them)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
    if row is None:
        raise psycopg.DatabaseError("journal has no salt in its meta table")
    try:
        salt = bytes.fromhex(row[0])
    except (TypeError, ValueError) as exc:
        raise psycopg.DatabaseError(f"journal salt is not hex ({exc})") from exc
    if len(salt) != SALT_BYTES:
        raise psycopg.DatabaseError(f"journal salt is {len(salt)} bytes, not {SALT_BYTES}")
    return salt


class PgBackend:
    """The journal's backend on PostgreSQL (see `journal_backend.Backend`)."""

    errors: tuple[type[Exception], ...] = (psycopg.Error,)

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.where = redact(url)
        self.timeout = timeout

    def connect(self) -> tuple[PgConnection, bytes]:
        raw = connect(self.url, self.timeout)
        try:
            migrate(raw)
            salt = read_salt(raw)
        except BaseException:
            raw.close()
            raise
        return PgConnection(raw), salt

    def rollback(self, conn: PgConnection) -> None:
        if conn.raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            with contextlib.suppress(psycopg.Error):
                conn.raw.rollback()

    def drops(self, exc: Exception, conn: PgConnection) -> bool:
        return conn.raw.broken or conn.raw.closed

    def waits(self, exc: Exception, conn: PgConnection | None) -> bool:
        """Wait for the server when it is out of reach or the connection was lost, not for a refused value."""
        return isinstance(exc, psycopg.OperationalError) or (conn is not None and conn.raw.broken)

    def close(self, conn: PgConnection, *, last: bool) -> None:
        with contextlib.suppress(psycopg.Error):
            conn.close()
