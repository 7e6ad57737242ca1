"""The journal: what members asked and how they rated the answers, in SQLite.

It exists for the moderators (`/facts stats`, `/facts unanswered`) and must never get in
the way of answering: every call catches sqlite3 errors, logs the first one (then stays
quiet until the journal works again) and returns a neutral value. User ids are never
stored: only an HMAC of them, keyed by a random salt kept in the journal itself.
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
from dataclasses import dataclass
from typing import Any, TypeVar

from rapidfuzz import fuzz, process

from engine.answering import Reply
from engine.textnorm import tokenize

log = logging.getLogger("alliance.journal")

T = TypeVar("T")

DAY = 86_400.0
#: Longest question text kept; the rest is cut.
MAX_QUESTION = 500
#: Kinds of reply that count as a question (smalltalk and empty messages do not).
QUESTION_KINDS = ("answer", "unsure", "unknown")

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
)


@dataclass(frozen=True, slots=True)
class FactCount:
    fact_id: str
    asked: int = 0
    helpful: int = 0
    wrong: int = 0


@dataclass(frozen=True, slots=True)
class JournalStats:
    """Counts over the journal (within its retention period)."""

    questions: int
    answered: int
    unsure: int
    unknown: int
    smalltalk: int
    askers: int
    helpful: int
    wrong: int
    top_facts: tuple[FactCount, ...]
    disputed: tuple[FactCount, ...]

    @property
    def answered_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


@dataclass(frozen=True, slots=True)
class UnansweredGroup:
    """Alike questions the bot could not answer, most recent first."""

    text: str
    count: int
    examples: tuple[str, ...]
    last_at: float


def normalise(text: str) -> str:
    """The form alike questions are compared in: folded words, one space apart."""
    return " ".join(tokenize(text))


def group_alike(rows: list[tuple[str, float]], cutoff: int = 80, examples: int = 3) -> list[UnansweredGroup]:
    """Group (text, time) rows whose normalised words are alike; biggest groups first."""
    keys: list[str] = []
    groups: list[list[tuple[str, float]]] = []
    for text, at in sorted(rows, key=lambda row: row[1], reverse=True):
        key = normalise(text)
        if not key:
            continue
        found = process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff) if keys else None
        if found is None:
            keys.append(key)
            groups.append([(text, at)])
        else:
            groups[found[2]].append((text, at))
    result = []
    for members in groups:
        distinct = list(dict.fromkeys(text for text, _ in members))
        result.append(UnansweredGroup(members[0][0], len(members), tuple(distinct[:examples]), members[0][1]))
    result.sort(key=lambda g: (-g.count, -g.last_at))
    return result


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
            self._migrate(conn)
            row = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
            if row is None:
                raise sqlite3.DatabaseError("journal has no salt in its meta table")
            self._salt = bytes.fromhex(row[0])
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"journal schema version {version} is newer than this bot knows ({len(MIGRATIONS)})"
            )
        for number in range(version, len(MIGRATIONS)):
            # One transaction per step: a failed migration leaves the previous version intact.
            conn.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
            log.info("journal schema migrated to version %d", number + 1)

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

        def work(conn: sqlite3.Connection) -> JournalStats:
            kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM questions GROUP BY kind").fetchall())
            askers = conn.execute(
                "SELECT COUNT(DISTINCT user_hash) FROM questions WHERE kind IN (?, ?, ?)", QUESTION_KINDS
            ).fetchone()[0]
            votes = dict(conn.execute("SELECT helpful, COUNT(*) FROM feedback GROUP BY helpful").fetchall())
            feedback = {
                fact: (up, down)
                for fact, up, down in conn.execute(
                    "SELECT fact_id, SUM(helpful), SUM(1 - helpful) FROM feedback GROUP BY fact_id"
                )
            }
            asked = conn.execute(
                "SELECT fact_id, COUNT(*) AS n FROM questions WHERE answered = 1 AND fact_id IS NOT NULL "
                "GROUP BY fact_id ORDER BY n DESC, fact_id LIMIT ?",
                (top,),
            ).fetchall()
            disputed = conn.execute(
                "SELECT fact_id, SUM(helpful), SUM(1 - helpful) AS wrong FROM feedback GROUP BY fact_id "
                "HAVING wrong > 0 ORDER BY wrong DESC, fact_id LIMIT ?",
                (top,),
            ).fetchall()
            answered = kinds.get("answer", 0)
            return JournalStats(
                questions=sum(kinds.get(kind, 0) for kind in QUESTION_KINDS),
                answered=answered,
                unsure=kinds.get("unsure", 0),
                unknown=kinds.get("unknown", 0),
                smalltalk=kinds.get("smalltalk", 0) + kinds.get("empty", 0),
                askers=askers,
                helpful=votes.get(1, 0),
                wrong=votes.get(0, 0),
                top_facts=tuple(FactCount(fact, n, *feedback.get(fact, (0, 0))) for fact, n in asked),
                disputed=tuple(FactCount(fact, 0, up, down) for fact, up, down in disputed),
            )

        return self._call("read", work, None)

    def unanswered(self, *, days: int = 30, limit: int = 500, cutoff: int = 80) -> list[UnansweredGroup] | None:
        """Recent questions not answered (unsure or unknown), alike ones grouped; None when unreadable."""

        def work(conn: sqlite3.Connection) -> list[tuple[str, float]]:
            return conn.execute(
                "SELECT question, at FROM questions WHERE kind IN ('unsure', 'unknown') AND at >= ? "
                "ORDER BY at DESC LIMIT ?",
                (self.clock() - days * DAY, limit),
            ).fetchall()

        rows = self._call("read", work, None)
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
