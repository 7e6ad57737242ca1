"""What moderators read from the journal: `/facts stats` figures, unanswered questions grouped.

Plain functions over an open connection; `Journal.stats` and `Journal.unanswered` run them
on the journal's reading thread under its failure handling. Every read is over one server
(`guild_id`), or over direct messages (`guild_id` None, for the bot's owner only): a
moderator never reads what was asked elsewhere. Feedback has no server of its own; it
counts where the question it rates was asked.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from engine.textnorm import tokenize

#: Kinds of reply that count as a question (smalltalk and empty messages do not).
QUESTION_KINDS = ("answer", "unsure", "unknown")


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
    #: Questions and votes the whole bot could not journal since it started (queue full, file locked or failing).
    unwritten: int = 0

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


def read_stats(conn: sqlite3.Connection, top: int, guild_id: int | None) -> JournalStats:
    """Question and feedback counts of one server (None: direct messages), with its `top` most asked and most
    disputed facts."""
    scope = (guild_id,)
    kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM questions WHERE guild_id IS ? GROUP BY kind", scope))
    askers = conn.execute(
        "SELECT COUNT(DISTINCT user_hash) FROM questions WHERE guild_id IS ? AND kind IN (?, ?, ?)",
        (*scope, *QUESTION_KINDS),
    ).fetchone()[0]
    # Feedback belongs to the server of the question it rates (the same ref).
    votes = dict(
        conn.execute(
            "WITH scoped AS (SELECT f.* FROM feedback f JOIN questions q ON q.ref = f.ref WHERE q.guild_id IS ?) "
            "SELECT helpful, COUNT(*) FROM scoped GROUP BY helpful",
            scope,
        )
    )
    feedback = {
        fact: (up, down)
        for fact, up, down in conn.execute(
            "WITH scoped AS (SELECT f.* FROM feedback f JOIN questions q ON q.ref = f.ref WHERE q.guild_id IS ?) "
            "SELECT fact_id, SUM(helpful), SUM(1 - helpful) FROM scoped GROUP BY fact_id",
            scope,
        )
    }
    asked = conn.execute(
        "SELECT fact_id, COUNT(*) AS n FROM questions WHERE guild_id IS ? AND answered = 1 AND fact_id IS NOT NULL "
        "GROUP BY fact_id ORDER BY n DESC, fact_id LIMIT ?",
        (*scope, top),
    ).fetchall()
    disputed = conn.execute(
        "WITH scoped AS (SELECT f.* FROM feedback f JOIN questions q ON q.ref = f.ref WHERE q.guild_id IS ?) "
        "SELECT fact_id, SUM(helpful), SUM(1 - helpful) AS wrong FROM scoped GROUP BY fact_id "
        "HAVING SUM(1 - helpful) > 0 ORDER BY wrong DESC, fact_id LIMIT ?",
        (*scope, top),
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


def read_unanswered(
    conn: sqlite3.Connection, since: float, limit: int, guild_id: int | None
) -> list[tuple[str, float]]:
    """(question, time) of one server's (None: direct messages') latest `limit` questions not answered (unsure or
    unknown) since `since`."""
    return conn.execute(
        "SELECT question, at FROM questions WHERE guild_id IS ? AND kind IN ('unsure', 'unknown') AND at >= ? "
        "ORDER BY at DESC LIMIT ?",
        (guild_id, since, limit),
    ).fetchall()


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
