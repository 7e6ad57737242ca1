"""One deployment over two processes: two shards (`python bot.py`, SHARD_COUNT=2, SHARD_IDS=0 and 1) against the
fake Discord and one real PostgreSQL (JOURNAL_URL). A reload on one shard changes the answers on both; the journal
holds both shards' questions; the database killed and restarted mid-burst loses no answer and no acknowledged row."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import psycopg

from cogs.embeds import escape
from engine.journal.reload_sync import knowledge_digest
from engine.journal.store import Journal
from tests.pgserver import PgServer

from .botprocess import bot_process, two_shards
from .fakediscord import FakeDiscord
from .fakediscord.world import Guild
from .support import ANSWERED_EN, edit_fact

NEW_EN = "Makoto Uchida runs Nissan (reworded for the two-shard reload test)."
NEW_FR = "Makoto Uchida dirige Nissan (réponse modifiée pour le test à deux shards)."


def channel_of(guild: Guild) -> dict[str, Any]:
    return next(iter(guild.channels.values()))


async def ask_in(fake: FakeDiscord, guild: Guild, question: str = ANSWERED_EN) -> str:
    pushed = await fake.push_message(question, channel=channel_of(guild), mention_bot=True)
    reply = await fake.wait_for_message(lambda m: m.reply_to == int(pushed["id"]), timeout=15)
    return reply.embeds[0]["description"]


async def test_a_reload_on_one_shard_changes_the_answers_on_both_and_one_journal_holds_both(
    fake_discord: FakeDiscord, pg_url: str, knowledge_copy: Path
) -> None:
    fake = fake_discord
    guilds = [fake.add_guild(f"Shard {n}", shard=(n, 2)) for n in (0, 1)]
    async with two_shards(fake, pg_url, knowledge_copy) as processes:
        with psycopg.connect(pg_url) as conn:  # each process recorded, as it started, the knowledge it serves
            started = conn.execute("SELECT process, digest, state FROM shards ORDER BY process").fetchall()
        served = knowledge_digest(knowledge_copy)
        before = [await ask_in(fake, g) for g in guilds]
        edit_fact(knowledge_copy, "leader-uchida", answer={"fr": NEW_FR, "en": NEW_EN})
        mark = fake.mark()
        await fake.push_message("!facts reload", author=fake.owner, channel=channel_of(guilds[1]))
        report = await fake.wait_for_message(lambda m: "Shards:" in m.content, timeout=30, since=mark)
        after = [await ask_in(fake, g) for g in guilds]
        stats = []  # over the wire: each server's `!facts stats`, answered by its own shard from the one database
        for guild in guilds:
            mark = fake.mark()
            await fake.push_message("!facts stats", author=fake.owner, channel=channel_of(guild))
            stats.append(await fake.wait_for_message(lambda m: "**Questions**" in m.content, timeout=30, since=mark))
        for shard in processes:
            shard.process.terminate()
            assert await shard.exit_code(timeout=30) == 0, shard.stderr

    assert started == [("shards 0", served, "serving"), ("shards 1", served, "serving")]
    for reply in stats:
        assert "**Questions**: 2 (1 members), answered: 2" in reply.content, reply.content
    assert all(answer != escape(NEW_EN) for answer in before)
    assert "Shards: 2 of 2 serve these facts" in report.content, report.content
    assert after == [escape(NEW_EN)] * 2
    for shard in processes:
        assert "Traceback" not in shard.stderr, shard.stderr
    assert "reload announced by another process: swapped" in processes[0].stderr
    journal = Journal(pg_url)
    for guild in guilds:  # each shard journaled its own server's two questions, in the one database
        stats = journal.stats(guild_id=guild.id)
        assert (stats.questions, stats.answered) == (2, 2)
    journal.close()


async def test_a_reload_a_shard_cannot_follow_is_named_with_why(
    fake_discord: FakeDiscord, pg_url: str, knowledge_copy: Path, tmp_path: Path
) -> None:
    fake = fake_discord
    guilds = [fake.add_guild(f"Shard {n}", shard=(n, 2)) for n in (0, 1)]
    env = {
        "DISCORD_TOKEN": fake.token,
        "JOURNAL_URL": pg_url,
        "MESSAGE_CONTENT_INTENT": "true",
        "COOLDOWN_SECONDS": "0",
        "SHARD_COUNT": "2",
    }
    other_machine = tmp_path / "other-machine"  # shard 1's own copy, not updated
    shutil.copytree(knowledge_copy, other_machine)
    async with (
        bot_process(fake, {**env, "SHARD_IDS": "0", "KNOWLEDGE_DIR": str(knowledge_copy)}) as zero,
        bot_process(fake, {**env, "SHARD_IDS": "1", "KNOWLEDGE_DIR": str(other_machine)}) as one,
    ):
        for shard in (zero, one):
            await shard.wait_for_line("listening for reloads", timeout=60)
            await shard.wait_for_line("connected as", timeout=60)
        edit_fact(knowledge_copy, "leader-uchida", answer={"fr": NEW_FR, "en": NEW_EN})
        mark = fake.mark()
        await fake.push_message("!facts reload", author=fake.owner, channel=channel_of(guilds[0]))
        report = await fake.wait_for_message(lambda m: "Shards:" in m.content, timeout=30, since=mark)
        after = [await ask_in(fake, g) for g in guilds]

    assert "Shards: 1 of 2 serve these facts" in report.content, report.content
    assert "Refused by shards 1" in report.content and "its files differ" in report.content
    assert after[0] == escape(NEW_EN) and after[1] != escape(NEW_EN)  # shard 1 keeps serving what it had


def journaled_refs(url: str) -> set[int]:
    with psycopg.connect(url) as conn:
        return {ref for (ref,) in conn.execute("SELECT ref FROM questions")}


async def test_the_database_killed_and_restarted_mid_burst_loses_no_answer_and_no_acknowledged_row(
    fake_discord: FakeDiscord, own_server: PgServer, knowledge_copy: Path, snapshot
) -> None:
    fake = fake_discord
    url = own_server.create_database("journal")
    guilds = [fake.add_guild(f"Shard {n}", shard=(n, 2)) for n in (0, 1)]
    questions = [q.q for q in snapshot.kb.eval_questions][:60]
    async with two_shards(fake, url, knowledge_copy) as processes:
        pushed = []
        for number, question in enumerate(questions):
            pushed.append(await fake.push_message(question, channel=channel_of(guilds[number % 2]), mention_bot=True))
            if number == 15:
                await fake.wait_for_message(lambda m: m.reply_to == int(pushed[10]["id"]), timeout=15)
                own_server.kill()
            if number == 40:
                own_server.start()
        asked = {int(p["id"]) for p in pushed}
        await fake.wait_until(
            lambda: asked <= {m.reply_to for m in fake.sent_messages}, timeout=60, what="an answer to every question"
        )
        deadline = asyncio.get_running_loop().time() + 60
        while journaled_refs(url) != asked and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)  # the queued writes land once the server is back; nothing to wait on but it
        for shard in processes:
            shard.process.terminate()
            assert await shard.exit_code(timeout=30) == 0, shard.stderr

    replies = [m.reply_to for m in fake.sent_messages if m.reply_to in asked]
    assert sorted(replies) == sorted(asked)  # every question answered, once
    assert journaled_refs(url) == asked
    failures = [shard.stderr.count("answers go on without it") for shard in processes]
    assert max(failures) == 1, failures  # the database was down mid-burst; logged once
