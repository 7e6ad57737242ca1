"""The journal on a real PostgreSQL server: the same schema and reports as SQLite, migrations once under a lock,
the server killed and restarted under a running journal (nothing acknowledged lost, the queue bounded)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading

import psycopg
import pytest

from engine.answering import Reply
from engine.journal.pg import MIGRATIONS as PG_MIGRATIONS
from engine.journal.pg import redact, translate
from engine.journal.schema import MIGRATIONS
from engine.journal.store import Journal

USER = 123_456_789_012_345_678
#: A Discord snowflake: past 32 bits, so the columns must be BIGINT.
SNOWFLAKE = 1_180_000_000_000_000_001


class Clock:
    """A second passes at each reading, the same on both journals (the reports order by time)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def answer(engine) -> Reply:
    reply = engine.ask("Qui dirige Nissan ?")
    assert reply.answered
    return reply


def unknown(question: str) -> Reply:
    return Reply(question, "unknown", "fr", "not covered")


def journal_logs(caplog, level: int = logging.ERROR) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "alliance.journal" and r.levelno >= level]


def rows(url: str, sql: str = "SELECT ref FROM questions ORDER BY ref") -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def fill(journal: Journal, engine, answer: Reply) -> None:
    """The same questions and votes, in three places (two servers and direct messages)."""
    where = {"user_id": USER, "channel_id": SNOWFLAKE, "via": "mention"}
    journal.record_question(answer, ref=SNOWFLAKE, guild_id=SNOWFLAKE, **where)
    journal.record_question(answer, ref=2, guild_id=SNOWFLAKE, **{**where, "user_id": 7})
    journal.record_question(unknown("Quelle est la capitale du Pérou ?"), ref=3, guild_id=SNOWFLAKE, **where)
    journal.record_question(unknown("quelle est la capitale du perou"), ref=4, guild_id=SNOWFLAKE, **where)
    journal.record_question(engine.ask("bonjour"), ref=5, guild_id=SNOWFLAKE, **where)
    journal.record_question(unknown("100% of what?"), ref=6, guild_id=2, **where)
    journal.record_question(unknown("a private question"), ref=7, guild_id=None, **where)
    journal.record_feedback(ref=SNOWFLAKE, fact_id=answer.fact.id, user_id=USER, helpful=True)
    journal.record_feedback(ref=2, fact_id=answer.fact.id, user_id=7, helpful=False)
    journal.record_feedback(ref=2, fact_id=answer.fact.id, user_id=8, helpful=False)
    journal.record_feedback(ref=2, fact_id=answer.fact.id, user_id=8, helpful=True)  # replaces the vote before


def test_the_reports_are_the_same_on_both_backends(pg_url, tmp_path, engine, answer):
    sqlite = Journal(str(tmp_path / "journal.sqlite3"), clock=Clock())
    pg = Journal(pg_url, clock=Clock())
    for journal in (sqlite, pg):
        fill(journal, engine, answer)
    for guild in (SNOWFLAKE, 2, None, 3):
        assert pg.stats(guild_id=guild) == sqlite.stats(guild_id=guild)
        assert pg.unanswered(guild_id=guild) == sqlite.unanswered(guild_id=guild)
    stats = pg.stats(guild_id=SNOWFLAKE)
    assert (stats.questions, stats.answered, stats.unknown, stats.smalltalk, stats.askers) == (4, 2, 2, 1, 2)
    assert (stats.helpful, stats.wrong) == (2, 1)
    assert [g.count for g in pg.unanswered(guild_id=SNOWFLAKE)] == [2]
    for journal in (sqlite, pg):
        journal.clock.now += 91 * 86_400  # type: ignore[attr-defined]
    assert pg.purge() == sqlite.purge() == 10  # 7 questions, 3 votes (one replaced)
    for journal in (sqlite, pg):
        journal.close()


def test_the_schema_is_sqlites_step_for_step(pg_url, tmp_path):
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)
    Journal(pg_url).open()
    Journal(str(tmp_path / "j.sqlite3")).open()
    lite = sqlite3.connect(tmp_path / "j.sqlite3")
    tables = [t for (t,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    expected = {t: [c[1] for c in lite.execute(f"PRAGMA table_info({t})")] for t in tables}
    found: dict[str, list[str]] = {}
    for table, column in rows(
        pg_url,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position",
    ):
        found.setdefault(table, []).append(column)
    assert found == expected
    assert rows(pg_url, "SELECT version FROM schema_version") == [(len(MIGRATIONS),)]


def test_shards_starting_together_migrate_once_and_share_the_salt(pg_url, caplog):
    caplog.set_level(logging.INFO, logger="alliance.journal")
    journals = [Journal(pg_url) for _ in range(6)]
    start = threading.Barrier(len(journals))
    opened: list[bool] = []

    def open_one(journal: Journal) -> None:
        start.wait()
        opened.append(journal.open())

    threads = [threading.Thread(target=open_one, args=(j,)) for j in journals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert opened == [True] * len(journals)
    migrated = [m for m in journal_logs(caplog, logging.INFO) if "migrated" in m]
    assert migrated == [f"journal schema migrated to version {n}" for n in range(1, len(MIGRATIONS) + 1)]
    assert rows(pg_url, "SELECT version FROM schema_version") == [(len(MIGRATIONS),)]
    assert len({j.user_hash(USER) for j in journals}) == 1  # one member, one pseudonym on every shard
    for journal in journals:
        journal.close()


def test_a_database_newer_than_the_bot_is_refused_and_logged_once(pg_url, answer, caplog):
    Journal(pg_url).open()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS) + 1,))
    journal = Journal(pg_url)
    for ref in (1, 2):
        assert journal.record_question(answer, ref=ref, user_id=USER, guild_id=1, channel_id=2, via="m") is False
    [error] = journal_logs(caplog)
    assert "newer than this bot knows" in error
    assert journal.stats(guild_id=1) is None


def test_nul_text_is_kept_and_a_value_out_of_range_refused_quietly(pg_url, answer, caplog):
    journal = Journal(pg_url)
    where = {"user_id": USER, "channel_id": 2, "via": "mention"}
    assert journal.record_question(unknown("nul \x00 inside"), ref=1, guild_id=1, **where) is True
    assert journal.record_question(answer, ref=2, guild_id=2**64, **where) is False
    assert journal.record_question(answer, ref=3, guild_id=2**63, **where) is False
    assert len(journal_logs(caplog)) == 1
    assert journal.record_question(answer, ref=4, guild_id=1, **where) is True  # the connection was fine
    assert rows(pg_url, "SELECT question FROM questions ORDER BY ref") == [("nul \ufffd inside",), (answer.question,)]
    assert journal.unwritten == 2
    journal.close()


def test_the_password_stays_out_of_the_logs():
    assert redact("postgresql://bot:s3cret@db.example:5432/alliance") == "postgresql://bot:***@db.example:5432/alliance"
    assert redact("postgresql://bot@/alliance?host=/run") == "postgresql://bot@/alliance?host=/run"
    # libpq also takes the password in the query string.
    assert redact("postgresql:///alliance?host=/run&password=s3cret") == "postgresql:///alliance?host=/run&password=***"
    journal = Journal("postgresql://bot:s3cret@127.0.0.1:1/alliance")
    assert "s3cret" not in journal.where


def test_the_sql_is_translated_not_rewritten():
    assert translate("SELECT 1 WHERE guild_id IS ? AND at >= ? AND x LIKE '5%'") == (
        "SELECT 1 WHERE guild_id IS NOT DISTINCT FROM %s AND at >= %s AND x LIKE '5%%'"
    )


# -- the server killed and restarted under a running journal ----------------------------------


async def test_a_killed_server_loses_nothing_acknowledged_and_queued_writes_land_once_back(own_server, answer, caplog):
    caplog.set_level(logging.INFO, logger="alliance.journal")
    url = own_server.create_database("journal")
    journal = Journal(url, queue_limit=50)
    where = {"user_id": USER, "guild_id": 1, "channel_id": 2, "via": "mention"}
    before = [await journal.run(journal.record_question, answer, ref=ref, **where) for ref in range(5)]
    assert before == [True] * 5
    own_server.kill()
    during = [
        asyncio.ensure_future(journal.run(journal.record_question, answer, ref=ref, **where)) for ref in range(5, 25)
    ]
    await asyncio.sleep(0)  # the writes are queued; none can land while the server is down
    assert await journal.run(journal.stats, guild_id=1) is None  # reports say so rather than wait
    own_server.start()
    assert await asyncio.wait_for(asyncio.gather(*during), timeout=60) == [True] * 20
    assert rows(url) == [(ref,) for ref in range(25)]
    assert journal.unwritten == 0
    errors = journal_logs(caplog)
    assert len(errors) == 1 and "answers go on without it" in errors[0]
    assert any("works again" in m for m in journal_logs(caplog, logging.INFO))
    await journal.aclose()


async def test_while_the_server_is_down_the_queue_stays_bounded_and_counts_what_it_drops(own_server, answer):
    url = own_server.create_database("journal")
    journal = Journal(url, queue_limit=5)
    where = {"user_id": USER, "guild_id": 1, "channel_id": 2, "via": "mention"}
    assert await journal.run(journal.record_question, answer, ref=0, **where)
    own_server.kill()
    pending = [
        asyncio.ensure_future(journal.run(journal.record_question, answer, ref=ref, **where)) for ref in range(1, 13)
    ]
    await asyncio.sleep(0)
    assert len(journal._writes) <= 5
    own_server.start()
    results = await asyncio.wait_for(asyncio.gather(*pending), timeout=60)
    written = [ref for ref, ok in zip(range(1, 13), results, strict=True) if ok]
    assert 1 <= len(written) <= 6  # the queue, and the write in hand
    assert rows(url) == [(ref,) for ref in (0, *written)]  # every acknowledged row, and only those
    assert journal.unwritten == 12 - len(written)
    await journal.aclose()


async def test_closing_while_the_server_is_down_does_not_hang(own_server, answer):
    url = own_server.create_database("journal")
    journal = Journal(url)
    where = {"user_id": USER, "guild_id": 1, "channel_id": 2, "via": "mention"}
    assert await journal.run(journal.record_question, answer, ref=0, **where)
    own_server.kill()
    pending = [
        asyncio.ensure_future(journal.run(journal.record_question, answer, ref=ref, **where)) for ref in range(1, 4)
    ]
    await asyncio.sleep(0.05)
    await asyncio.wait_for(journal.aclose(), timeout=30)
    assert await asyncio.wait_for(asyncio.gather(*pending), timeout=5) == [False] * 3
    assert journal.unwritten == 3


def test_journal_url_chooses_postgresql_and_nothing_changes_without_it(tmp_path):
    from engine.journal.store import BackupError, backup
    from engine.settings import Settings, SettingsError

    assert Settings.from_env({}).journal_target == Settings().journal_path
    url = "postgresql://bot:pw@db/alliance"
    settings = Settings.from_env({"JOURNAL_URL": url, "JOURNAL_PATH": str(tmp_path / "j.sqlite3")})
    assert settings.journal_target == url and "pw" not in repr(settings)
    assert Settings.from_env({"JOURNAL_URL": url, "JOURNAL_ENABLED": "false"}).journal_target is None
    with pytest.raises(SettingsError, match="JOURNAL_URL"):
        Settings.from_env({"JOURNAL_URL": "mysql://db"})
    with pytest.raises(BackupError, match="pg_dump"):
        backup(url, tmp_path / "copy.sqlite3")
