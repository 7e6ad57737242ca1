"""The journal's SQLite schema: the migrations that build it and the salt it keeps for pseudonyms.

PostgreSQL runs the same steps, their column types translated (`engine/journal/pg.py`).

PRAGMA user_version counts the migrations applied, so a file is brought up to date in
place and a file from a newer bot is refused rather than misread.
"""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger("alliance.journal")

#: Bytes of the random salt the first migration writes (as hex) into the meta table.
SALT_BYTES = 32

#: Schema migrations, applied in order; PRAGMA user_version counts those applied.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('salt', lower(hex(randomblob(32))));
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        ref INTEGER UNIQUE,
        at REAL NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER,
        user_hash TEXT NOT NULL,
        via TEXT NOT NULL,
        lang TEXT NOT NULL,
        question TEXT NOT NULL,
        kind TEXT NOT NULL,
        fact_id TEXT,
        score INTEGER NOT NULL,
        answered INTEGER NOT NULL
    );
    CREATE INDEX questions_at ON questions (at);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        ref INTEGER NOT NULL,
        at REAL NOT NULL,
        fact_id TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        UNIQUE (ref, user_hash)
    );
    CREATE INDEX feedback_at ON feedback (at);
    CREATE INDEX feedback_fact ON feedback (fact_id);
    """,
    # Reports are read one server at a time.
    "CREATE INDEX questions_guild ON questions (guild_id, at);",
    # Which knowledge (digest) each bot process serves; written on start and on reload (`reload_sync`).
    """
    CREATE TABLE shards (
        process TEXT PRIMARY KEY,
        shard_ids TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        digest TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this file lacks; refuse a file newer than this bot."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"journal schema version {version} is newer than this bot knows ({len(MIGRATIONS)})"
        )
    for number in range(version, len(MIGRATIONS)):
        # One transaction per step: a failed migration leaves the previous version intact.
        conn.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
        log.info("journal schema migrated to version %d", number + 1)


def read_salt(conn: sqlite3.Connection) -> bytes:
    """The journal's salt; a missing or damaged one is a DatabaseError, so it fails like any broken journal."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
    if row is None:
        raise sqlite3.DatabaseError("journal has no salt in its meta table")
    try:
        salt = bytes.fromhex(row[0])
    except (TypeError, ValueError) as exc:  # not text, or not hex: hand-edited or damaged
        raise sqlite3.DatabaseError(f"journal salt is not hex ({exc})") from exc
    if len(salt) != SALT_BYTES:  # an empty or short key would leave the pseudonyms barely keyed
        raise sqlite3.DatabaseError(f"journal salt is {len(salt)} bytes, not {SALT_BYTES}")
    return salt
