"""The journal on a real SQLite file: schema, pseudonyms, retention, figures, and every failure answered quietly."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from engine.answering import Reply
from engine.journal.reports import group_alike
from engine.journal.schema import MIGRATIONS
from engine.journal.store import BackupError, Journal, backup, open_journal

USER = 123_456_789_012_345_678


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def answer(engine) -> Reply:
    reply = engine.ask("Qui dirige Nissan ?")
    assert reply.answered
    return reply


def unknown(question: str = "Quelle est la capitale du Pérou ?") -> Reply:
    return Reply(question, "unknown", "fr", "not covered")


def record(journal: Journal, reply: Reply, ref: int, user: int = USER) -> bool:
    return journal.record_question(reply, ref=ref, user_id=user, guild_id=1, channel_id=2, via="mention")


def journal_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "alliance.journal" and r.levelno >= logging.ERROR]


def test_schema_created_with_version_wal_and_salt(path):
    journal = open_journal(str(path))
    journal.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    salt = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
    assert len(bytes.fromhex(salt)) == 32


def test_reopening_keeps_data_and_salt(path, answer):
    first = Journal(str(path))
    record(first, answer, 1)
    hashed = first.user_hash(USER)
    first.close()
    second = Journal(str(path))
    assert second.stats(guild_id=1).questions == 1
    assert second.user_hash(USER) == hashed
    second.close()


def test_each_journal_has_its_own_salt(tmp_path):
    one, two = Journal(str(tmp_path / "a.sqlite3")), Journal(str(tmp_path / "b.sqlite3"))
    one.open(), two.open()
    assert one.user_hash(USER) != two.user_hash(USER)


def test_question_row_and_no_user_id_in_clear(path, answer):
    journal = Journal(str(path))
    assert record(journal, answer, ref=99)
    assert journal.record_feedback(ref=99, fact_id=answer.fact.id, user_id=USER, helpful=False)
    journal.close()
    conn = sqlite3.connect(path)
    row = conn.execute(
        "SELECT ref, guild_id, channel_id, via, lang, question, kind, fact_id, score, answered, user_hash "
        "FROM questions"
    ).fetchone()
    assert row[:10] == (99, 1, 2, "mention", "fr", "Qui dirige Nissan ?", "answer", "leader-uchida", answer.score, 1)
    assert len(row[10]) == 32
    dump = "\n".join(conn.iterdump())
    assert str(USER) not in dump


def test_same_ref_is_recorded_once(path, answer):
    journal = Journal(str(path))
    record(journal, answer, 5)
    record(journal, answer, 5)
    assert journal.stats(guild_id=1).questions == 1


def test_stats(path, engine, answer):
    journal = Journal(str(path))
    record(journal, answer, 1, user=1)
    record(journal, answer, 2, user=2)
    record(journal, unknown(), 3, user=2)
    record(journal, engine.ask("bonjour"), 4, user=3)
    journal.record_feedback(ref=1, fact_id=answer.fact.id, user_id=1, helpful=True)
    journal.record_feedback(ref=2, fact_id=answer.fact.id, user_id=2, helpful=False)
    journal.record_feedback(ref=2, fact_id=answer.fact.id, user_id=3, helpful=False)
    stats = journal.stats(guild_id=1)
    assert (stats.questions, stats.answered, stats.unknown, stats.smalltalk, stats.askers) == (3, 2, 1, 1, 2)
    assert stats.answered_rate == pytest.approx(2 / 3)
    assert (stats.helpful, stats.wrong) == (1, 2)
    [top] = stats.top_facts
    assert (top.fact_id, top.asked, top.helpful, top.wrong) == ("leader-uchida", 2, 1, 2)
    assert [(d.fact_id, d.wrong) for d in stats.disputed] == [("leader-uchida", 2)]


def test_a_later_vote_replaces_the_earlier_one(path, answer):
    journal = Journal(str(path))
    record(journal, answer, 1)
    journal.record_feedback(ref=1, fact_id="f", user_id=USER, helpful=False)
    journal.record_feedback(ref=1, fact_id="f", user_id=USER, helpful=True)
    stats = journal.stats(guild_id=1)
    assert (stats.helpful, stats.wrong) == (1, 0)


def test_unanswered_grouped_when_alike(path, answer):
    clock = Clock()
    journal = Journal(str(path), clock=clock)
    record(journal, unknown("une vieille question sur les pneus"), 101)
    clock.now += 40 * 86_400
    asked = [
        "Quel est le salaire de Makoto Uchida ?",
        "quel est le salaire de makoto uchida",
        "Quel est le salaire de M. Uchida ?",
        "Combien d'usines Renault a-t-il en Chine ?",
        "Combien d'usines a Renault en Chine",
    ]
    for ref, question in enumerate(asked):
        clock.now += 60
        record(journal, unknown(question), ref)
    record(journal, answer, 100)
    groups = journal.unanswered(guild_id=1, days=30)
    assert [g.count for g in groups] == [3, 2]
    salary = groups[0]
    assert salary.text == "Quel est le salaire de M. Uchida ?"  # the most recent wording leads
    assert len(salary.examples) == 3


def test_group_alike_ignores_empty_text():
    assert group_alike([("!!!", 1.0), ("???", 2.0)]) == []


def test_retention_purges_old_rows(path, answer):
    clock = Clock()
    journal = Journal(str(path), retention_days=30, clock=clock)
    record(journal, answer, 1)
    journal.record_feedback(ref=1, fact_id="leader-uchida", user_id=USER, helpful=True)
    clock.now += 31 * 86_400
    record(journal, answer, 2)  # writing purges what is past retention
    stats = journal.stats(guild_id=1)
    assert (stats.questions, stats.helpful) == (1, 0)


def test_zero_retention_keeps_everything(path, answer):
    clock = Clock()
    journal = Journal(str(path), retention_days=0, clock=clock)
    record(journal, answer, 1)
    clock.now += 3650 * 86_400
    assert journal.purge() == 0
    record(journal, answer, 2)
    assert journal.stats(guild_id=1).questions == 2


def test_disabled_journal_records_nothing(tmp_path, answer):
    journal = Journal(None)
    assert not journal.enabled
    assert record(journal, answer, 1) is False
    assert journal.stats(guild_id=1) is None
    assert list(tmp_path.iterdir()) == []


def test_migrates_a_version_zero_file(path, answer):
    sqlite3.connect(path).close()  # an empty database: user_version 0
    journal = Journal(str(path))
    assert record(journal, answer, 1)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


# -- failures: answered quietly, logged once ----------------------------------------------------


def test_newer_schema_is_refused_and_logged_once(path, answer, caplog):
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    journal = Journal(str(path))
    assert record(journal, answer, 1) is False
    assert record(journal, answer, 2) is False
    [error] = journal_errors(caplog)
    assert "newer" in error.getMessage()


def test_locked_database(path, answer, caplog):
    caplog.set_level(logging.INFO, "alliance.journal")
    journal = Journal(str(path), timeout=0.05)
    journal.open()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert record(journal, answer, 1) is False
        assert record(journal, answer, 2) is False
        assert journal.failing
    finally:
        other.execute("ROLLBACK")
        other.close()
    [error] = journal_errors(caplog)
    assert "locked" in error.getMessage()
    assert record(journal, answer, 3) is True  # works again once the lock is gone
    assert not journal.failing
    assert "works again" in caplog.text
    assert journal.stats(guild_id=1).questions == 1


def test_a_working_read_does_not_hide_failing_writes(path, answer, caplog):
    """Under a write lock (or a read-only file) reads still work; the write failure is still logged only once."""
    caplog.set_level(logging.INFO, "alliance.journal")
    journal = Journal(str(path), timeout=0.05)
    assert record(journal, answer, 1)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert record(journal, answer, 2) is False
        assert journal.stats(guild_id=1).questions == 1  # WAL: the reader is not blocked
        assert journal.failing
        assert record(journal, answer, 3) is False
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(journal_errors(caplog)) == 1
    assert "works again" not in caplog.text
    assert record(journal, answer, 4) is True
    assert not journal.failing and "works again" in caplog.text


def test_read_only_database(path, answer, caplog):
    Journal(str(path)).open()
    if os.geteuid() == 0:  # root ignores file modes: open the file read-only instead
        journal = Journal(f"file:{path}?mode=ro")
    else:
        path.chmod(0o444)
        journal = Journal(str(path))
    assert record(journal, answer, 1) is False
    assert record(journal, answer, 2) is False
    assert len(journal_errors(caplog)) == 1


def test_corrupt_file(path, answer, caplog):
    path.write_bytes(b"definitely not sqlite " * 200)
    journal = Journal(str(path))
    assert record(journal, answer, 1) is False
    assert journal.stats(guild_id=1) is None
    assert journal.unanswered(guild_id=1) is None
    [error] = journal_errors(caplog)
    assert "not a database" in error.getMessage()


@pytest.mark.parametrize(
    ("salt", "message"),
    [("not hex at all", "not hex"), (b"\x00\xff", "not hex"), ("", "0 bytes"), ("abcd", "2 bytes")],
    ids=["text", "blob", "empty", "short"],
)
async def test_corrupt_salt_fails_quietly_and_is_logged_once(path, answer, caplog, salt, message):
    open_journal(str(path)).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'salt'", (salt,))
    conn.close()
    journal = open_journal(str(path))  # opened at start: the error is logged here, once
    assert record(journal, answer, 1) is False
    assert journal.record_feedback(ref=1, fact_id="f", user_id=USER, helpful=True) is False
    assert journal.stats(guild_id=1) is None
    assert journal.unanswered(guild_id=1) is None
    assert await journal.run(record, journal, answer, 2) is False
    assert journal.failing
    await journal.aclose()
    [error] = journal_errors(caplog)
    assert "salt" in error.getMessage() and message in error.getMessage()


def test_missing_directory(tmp_path, answer, caplog):
    journal = Journal(str(tmp_path / "no" / "such" / "dir" / "journal.sqlite3"))
    assert record(journal, answer, 1) is False
    assert record(journal, answer, 2) is False
    assert len(journal_errors(caplog)) == 1
    assert not (tmp_path / "no").exists()


def test_directory_deleted_while_running(tmp_path, answer, caplog):
    folder = tmp_path / "data"
    folder.mkdir()
    journal = Journal(str(folder / "journal.sqlite3"))
    assert record(journal, answer, 1)
    shutil.rmtree(folder)
    assert record(journal, answer, 2) is False  # not written into a deleted file
    assert record(journal, answer, 3) is False
    assert len(journal_errors(caplog)) == 1
    folder.mkdir()
    assert record(journal, answer, 4) is True  # a new journal starts when the folder is back
    assert journal.stats(guild_id=1).questions == 1


def test_file_deleted_while_running_is_recreated(path, answer, caplog):
    journal = Journal(str(path))
    record(journal, answer, 1)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert record(journal, answer, 2) is True
    assert path.exists()
    assert "was removed" in caplog.text


# -- the async front --------------------------------------------------------------------------


async def test_run_on_the_journal_thread_and_close_loses_nothing(path, answer):
    journal = Journal(str(path))
    pending = [asyncio.ensure_future(journal.run(record, journal, answer, ref)) for ref in range(50)]
    await asyncio.sleep(0)  # every write submitted
    await journal.aclose()
    assert all(await asyncio.gather(*pending))
    assert Journal(str(path)).stats(guild_id=1).questions == 50


async def test_closed_journal_refuses_quietly(path, answer):
    journal = Journal(str(path))
    await journal.aclose()
    assert await journal.run(record, journal, answer, 1) is None
    assert record(journal, answer, 2) is False
    await journal.aclose()  # twice is fine


# -- servers: each report reads one server, direct messages apart ------------------------------


def test_reports_read_one_server_and_direct_messages_apart(path, answer):
    journal = Journal(str(path))
    where = {"user_id": USER, "channel_id": 2, "via": "mention"}
    journal.record_question(answer, ref=1, guild_id=1, **where)
    journal.record_question(unknown("une question du premier serveur"), ref=2, guild_id=1, **where)
    journal.record_question(unknown("a question asked in the second server"), ref=3, guild_id=2, **where)
    journal.record_question(unknown("a private question in a direct message"), ref=4, guild_id=None, **where)
    journal.record_feedback(ref=1, fact_id=answer.fact.id, user_id=USER, helpful=False)
    first, second, dms = (journal.stats(guild_id=g) for g in (1, 2, None))
    assert (first.questions, first.answered, first.unknown, first.wrong) == (2, 1, 1, 1)
    assert [f.fact_id for f in first.disputed] == [answer.fact.id]
    assert (second.questions, second.answered, second.wrong, second.top_facts, second.disputed) == (1, 0, 0, (), ())
    assert (dms.questions, dms.unknown) == (1, 1)
    texts = {g: [u.text for u in journal.unanswered(guild_id=g)] for g in (1, 2, None, 3)}
    assert texts == {
        1: ["une question du premier serveur"],
        2: ["a question asked in the second server"],
        None: ["a private question in a direct message"],
        3: [],
    }


# -- any text, any value: the journal never raises into answering ------------------------------


def test_unpaired_surrogates_are_replaced_and_pairs_joined(path):
    journal = Journal(str(path))
    assert record(journal, unknown("qui dirige \ud800 nissan ?"), 1)
    assert record(journal, unknown("emoji \ud83d\ude00 en deux moitiés"), 2)
    assert record(journal, Reply("\udfff", "unknown", "fr\ud800", "x"), 3)
    rows = sqlite3.connect(path).execute("SELECT question, lang FROM questions ORDER BY ref").fetchall()
    assert rows == [("qui dirige \ufffd nissan ?", "fr"), ("emoji 😀 en deux moitiés", "fr"), ("\ufffd", "fr\ufffd")]


async def test_a_value_sqlite_refuses_is_logged_once_and_never_raised(path, answer, caplog):
    journal = Journal(str(path))
    too_big = {"user_id": USER, "channel_id": 2, "via": "mention", "guild_id": 2**64}
    assert journal.record_question(answer, ref=1, **too_big) is False
    assert await journal.run(journal.record_question, answer, ref=2, **too_big) is False
    [error] = journal_errors(caplog)
    assert "OverflowError" in error.getMessage()
    assert record(journal, answer, 3) is True  # the connection was fine all along
    assert journal.stats(guild_id=1).questions == 1
    assert journal.unwritten == 2
    await journal.aclose()


# -- a locked file: reports do not wait behind writes, the writes dropped are counted -----------


async def test_reports_answer_while_writes_wait_on_a_locked_file(path, answer, caplog):
    journal = Journal(str(path), timeout=2.0, queue_limit=5)
    assert record(journal, answer, 0)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        writes = [asyncio.ensure_future(journal.run(record, journal, answer, ref)) for ref in range(1, 21)]
        await asyncio.sleep(0)  # every write submitted: 20 behind a lock each waits 2 s on
        stats = await asyncio.wait_for(journal.run(journal.stats, guild_id=1), timeout=15)  # "does not hang"
        groups = await asyncio.wait_for(journal.run(journal.unanswered, guild_id=1), timeout=15)
        assert stats.questions == 1 and groups == []
        assert stats.unwritten >= 14  # a queue of 5, one write waiting on the lock: the oldest others dropped
        dropping = [r for r in caplog.records if "dropping the oldest" in r.getMessage()]
        assert len(dropping) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    results = await asyncio.wait_for(asyncio.gather(*writes), timeout=60)
    await journal.aclose()
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    assert rows - 1 == results.count(True)  # what was not written is counted, nothing else is lost
    assert journal.unwritten == results.count(False) >= 14


# -- replacing the file under the running bot: a restored backup ---------------------------------


def fill(path: Path, refs: range, clock: Clock | None = None) -> None:
    journal = Journal(str(path), clock=clock or Clock())
    for ref in refs:
        record(journal, unknown(f"question number {ref}"), ref)
    journal.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def refs(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {ref for (ref,) in conn.execute("SELECT ref FROM questions")}
    finally:
        conn.close()


def test_a_file_replaced_under_a_running_journal_is_reopened_cleanly(path, tmp_path, caplog):
    restored = tmp_path / "restored.sqlite3"
    fill(restored, range(300))
    journal = Journal(str(path), clock=Clock())
    for ref in range(1000, 1400):  # pages left in the write-ahead log, not yet in the file
        record(journal, unknown(f"before the restore {ref}"), ref)
    assert journal.stats(guild_id=1).unknown == 400  # the reading connection is open on the old file too
    os.replace(restored, path)
    for ref in range(2000, 2400):
        record(journal, unknown(f"after the restore {ref}"), ref)
    assert journal.stats(guild_id=1).unknown == 700
    journal.close()
    assert integrity(path) == "ok"
    assert refs(path) == set(range(300)) | set(range(2000, 2400))
    assert "was replaced" in caplog.text


def test_a_live_backup_holds_every_row_and_restores(path, tmp_path):
    journal = Journal(str(path), clock=Clock())
    for ref in range(250):
        record(journal, unknown(f"question number {ref}"), ref)
    dest = tmp_path / "backups" / "journal-copy.sqlite3"
    dest.parent.mkdir()
    assert backup(str(path), dest) == 250  # the bot's connection is open, its log not checkpointed
    assert integrity(dest) == "ok" and refs(dest) == set(range(250))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["journal-copy.sqlite3"]  # one self-contained file
    for ref in range(250, 300):
        record(journal, unknown(f"later {ref}"), ref)
    os.replace(dest, path)  # the documented restore: the copy renamed onto the journal
    record(journal, unknown("after the restore"), 999)
    journal.close()
    assert integrity(path) == "ok" and refs(path) == set(range(250)) | {999}


def test_backup_refuses_what_it_cannot_copy(path, tmp_path):
    with pytest.raises(BackupError, match="no journal file"):
        backup(str(path), tmp_path / "copy.sqlite3")
    with pytest.raises(BackupError, match="in memory"):
        backup(":memory:", tmp_path / "copy.sqlite3")
    fill(path, range(3))
    with pytest.raises(BackupError, match="another file"):
        backup(str(path), path)
    with pytest.raises(BackupError, match="unable to open"):
        backup(str(path), tmp_path / "no" / "such" / "copy.sqlite3")
    assert refs(path) == {0, 1, 2}


async def test_a_write_whose_caller_stopped_waiting_is_still_made(path, answer):
    """A handler cancelled (a shutdown) while its write waits: the write is made, the thread goes on."""
    journal = Journal(str(path))
    gate = threading.Event()
    blocked = asyncio.ensure_future(journal.run(gate.wait))  # holds the writing thread
    waiting = asyncio.ensure_future(journal.run(record, journal, answer, 1))
    await asyncio.sleep(0)
    waiting.cancel()
    gate.set()
    assert await blocked is True
    assert await asyncio.wait_for(journal.run(record, journal, answer, 2), timeout=30) is True  # "does not hang"
    await journal.aclose()
    assert refs(path) == {1, 2}


async def test_closing_with_the_file_still_locked_gives_up_the_queue_and_counts_it(path, answer, caplog):
    journal = Journal(str(path), timeout=0.2)
    journal.open()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        writes = [asyncio.ensure_future(journal.run(record, journal, answer, ref)) for ref in range(30)]
        await asyncio.sleep(0)
        await asyncio.wait_for(journal.aclose(), timeout=30)  # "does not hang": not 30 waits on the lock
        results = await asyncio.gather(*writes)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert results.count(True) == 0 and journal.unwritten == 30
    assert "not journaled" in caplog.text
