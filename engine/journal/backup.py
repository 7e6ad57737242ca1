"""A live copy of the journal file, safe while the bot writes to it (`bot.py journal-backup`)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from engine.journal.backend import is_url


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
                check: str = copy.execute("PRAGMA integrity_check").fetchone()[0]
                questions: int = copy.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
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
