"""Faults while the real bot runs: Discord's (429, RECONNECT, a dropped socket, slow interactions), the journal's
(locked, read-only, deleted, corrupt), and a reload during a burst of hundreds of questions.

SIGTERM with questions in flight is in test_shutdown.py (the bot in a process of its own).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from engine.answering import Snapshot
from engine.journal.store import Journal

from .fakediscord import FakeDiscord, InteractionRecord, SentMessage
from .fakediscord import gateway as gw
from .support import (
    ANSWERED_EN,
    ANSWERED_FR,
    CALLBACK,
    MESSAGES,
    UNKNOWN_EN,
    answered,
    ask,
    edit_facts,
    journal_rows,
    journaled,
    reply_to,
    slash,
    text_of,
)

# --- Discord ---------------------------------------------------------------------------------------------------------


async def test_rate_limited_answer_is_retried_and_delivered(fake_discord: FakeDiscord, launch) -> None:
    fake_discord.inject_rate_limit("POST", MESSAGES, times=2, retry_after=0.05)
    fake_discord.inject_rate_limit("POST", CALLBACK, retry_after=0.05)
    async with launch():
        reply = await ask(fake_discord, ANSWERED_EN)
        slashed = await slash(fake_discord, "ask", {"question": ANSWERED_FR})
        await fake_discord.wait_for_request(method="GET", path="/webhooks/{app}/{token}/messages/@original")

    assert reply.embeds and slashed.embeds
    assert [r.status for r in fake_discord.requests_to("POST", MESSAGES)] == [429, 429, 200]
    assert [r.status for r in fake_discord.requests_to("POST", CALLBACK)] == [429, 200]
    assert len(fake_discord.sent_messages) == 2  # each answer once


async def test_reconnect_opcode_resumes_and_later_questions_are_answered(fake_discord: FakeDiscord, launch) -> None:
    async with launch():
        await ask(fake_discord, ANSWERED_EN)
        session = fake_discord.gateway.session(0)
        mark = fake_discord.mark()
        await fake_discord.reconnect()
        resume = await fake_discord.wait_for_frame(gw.RESUME, since=mark)
        await fake_discord.wait_connected(since=mark)
        later = await ask(fake_discord, ANSWERED_FR)
        slashed = await slash(fake_discord, "topics")

    assert resume.d["session_id"] == session.session_id
    assert later.embeds and slashed.embeds
    assert len(fake_discord.gateway.frames(gw.IDENTIFY)) == 1


async def test_dropped_socket_resumes_replays_and_answers_each_question_once(fake_discord: FakeDiscord, launch) -> None:
    async with launch():
        await ask(fake_discord, ANSWERED_EN)
        mark = fake_discord.mark()
        async with fake_discord.gateway.hold_connections():
            fake_discord.drop()
            missed = await fake_discord.push_message(ANSWERED_FR, mention_bot=True)  # while the socket is down
        replayed = await reply_to(fake_discord, missed)
        resume = await fake_discord.wait_for_frame(gw.RESUME, since=mark)
        await fake_discord.dispatch("MESSAGE_CREATE", missed)  # delivered twice: still answered once
        later = await ask(fake_discord, ANSWERED_EN, dm=True)

    missed_seq = next(e.seq for e in fake_discord.gateway.dispatched if e.data.get("id") == missed["id"])
    assert resume.d["seq"] < missed_seq  # the bot got it by replay
    assert replayed.embeds and later.embeds
    assert [m.reply_to for m in fake_discord.sent_messages].count(int(missed["id"])) == 1
    assert len(fake_discord.gateway.frames(gw.IDENTIFY)) == 1


async def test_slow_reload_is_deferred_in_time_and_its_answer_not_lost(
    fake_discord: FakeDiscord, launch, cast, monkeypatch
) -> None:
    loading = threading.Event()
    release = threading.Event()
    load = Snapshot.load.__func__

    def slow_load(cls, *args, **kwargs):  # runs on a worker thread, as the cog calls it
        loading.set()
        assert release.wait(5), "the test never released the load"
        return load(cls, *args, **kwargs)

    monkeypatch.setattr(Snapshot, "load", classmethod(slow_load))
    async with launch():
        try:
            interaction = await fake_discord.push_slash_command("facts reload", user=cast.moderator)
            await fake_discord.wait_for_response(interaction)
            assert interaction.response_type == 5  # "thinking…", sent before the slow part
            assert await asyncio.to_thread(loading.wait, 5)
            fake_discord.expire(interaction)  # the load outlasts Discord's 3 s: only follow-ups can answer now
            asked = await ask(fake_discord, ANSWERED_EN)  # members are answered meanwhile
        finally:
            release.set()
        (report,) = await answered(fake_discord, interaction, timeout=30)  # a whole reload: CPU work

    assert asked.embeds
    assert report.content.startswith("✅ Facts reloaded: ")


async def test_stats_with_a_busy_journal_are_deferred_in_time(
    fake_discord: FakeDiscord, launch, cast, settings, journal_path
) -> None:
    """Writes queued behind a locked journal must not make `/facts stats` miss Discord's deadline."""
    fake_discord.interaction_deadline = 0.3
    journal = Journal(str(journal_path), timeout=0.1)
    journal.open()
    async with launch(journal=journal, raise_on_errors=False) as bot:
        other = sqlite3.connect(journal_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            for user in (cast.member, cast.helper, cast.owner, cast.moderator):
                await ask(fake_discord, ANSWERED_EN, author=user)  # four writes queued, each waiting 0.1 s or more
            interaction = await fake_discord.push_slash_command("facts stats", user=cast.moderator)
            await fake_discord.wait_for_response(interaction)
            (report,) = await answered(fake_discord, interaction)
        finally:
            other.execute("ROLLBACK")
            other.close()
        await journaled(fake_discord, bot.journal, 4)

    assert interaction.response_type == 5
    assert report.content.startswith("**Questions**: 0 (0 members)")  # read beside the writes, not after them
    # The writes waited on the lock on their own thread: each landed once it went, or failed and was counted.
    assert len(journal_rows(journal_path)) + journal.unwritten == 4
    assert [r.name for r in fake_discord.logged_errors] in ([], ["alliance.journal"])


# --- the journal -----------------------------------------------------------------------------------------------------


def lock(path: Path) -> sqlite3.Connection:
    """Another process holds the write lock (BEGIN EXCLUSIVE) until the test ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def read_only(path: Path) -> None:
    """The journal can no longer be written. File modes alone do not stop root, nor a connection already open, so
    the file is also marked read-only the way SQLite itself honours at once: write version 3 in its header."""
    checkpoint(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").chmod(0o444)
    with open(path, "r+b") as file:
        file.seek(18)  # "File format write version" (2 = WAL); above 2 means read-only
        file.write(b"\x03")


def deleted(path: Path) -> None:
    shutil.rmtree(path.parent)


def corrupt(path: Path) -> None:
    checkpoint(path)
    path.write_bytes(os.urandom(path.stat().st_size))


def checkpoint(path: Path) -> None:
    """Move every committed page from the WAL into the main file, as SQLite does on its own from time to time."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.close()


@pytest.mark.parametrize(
    ("fault", "message", "kept"),
    [
        (lock, "database is locked", True),
        (read_only, "attempt to write a readonly database", True),
        (deleted, "unable to open database file", False),
        (corrupt, "file is not a database", False),
    ],
    ids=["locked", "read-only", "deleted", "corrupt"],
)
async def test_journal_fault_while_running(
    fake_discord: FakeDiscord, launch, cast, journal_path, caplog, fault, message, kept
) -> None:
    caplog.set_level(logging.INFO, logger="alliance.journal")
    journal = Journal(str(journal_path), timeout=0.05)  # the real journal, with a short wait for a lock
    journal.open()
    async with launch(journal=journal, raise_on_errors=False) as bot:
        before = [await ask(fake_discord, q) for q in (ANSWERED_EN, UNKNOWN_EN)]
        await journaled(fake_discord, bot.journal, 2)
        holder = fault(journal_path)
        try:
            during = [
                await ask(fake_discord, ANSWERED_FR, author=cast.helper),
                await ask(fake_discord, ANSWERED_EN, dm=True),
                await slash(fake_discord, "ask", {"question": ANSWERED_EN}, user=cast.owner),
            ]
            stats = await slash(fake_discord, "facts stats", user=cast.moderator)
            during.append(await ask(fake_discord, UNKNOWN_EN, author=cast.owner))
            await journaled(fake_discord, bot.journal, 6)
        finally:
            if holder is not None:
                holder.execute("ROLLBACK")
                holder.close()
        if holder is not None:  # the lock is gone: the journal works again
            recovered = await ask(fake_discord, ANSWERED_EN, author=cast.moderator)
            await journaled(fake_discord, bot.journal, 7)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        fake_discord.logged_errors.clear()  # expected: checked below

    assert all(m.embeds or m.content for m in before + during)  # every question answered
    assert all(m.embeds for m in during[:3])
    assert [r.name for r in errors] == ["alliance.journal"], [r.getMessage() for r in errors]
    assert message in errors[0].getMessage() and "answers go on without it" in errors[0].getMessage()
    assert stats.content.startswith(("**Questions**: ", "The journal cannot be read right now"))
    if kept:  # what was recorded before the fault is still there
        refs = [row[0] for row in journal_rows(journal_path)]
        assert refs[:2] == [m.reply_to for m in before]
        if holder is not None:
            assert refs[2:] == [recovered.reply_to] and "journal works again" in caplog.text
    else:
        assert "journal cannot be read" in stats.content


# --- reloads and bursts ----------------------------------------------------------------------------------------------


def spread_channels(fake: FakeDiscord, count: int = 8) -> list[dict]:
    """More channels for a burst (before the bot connects). discord.py keeps a rate limit bucket per channel and the
    fake allows 50 requests a second in each, so hundreds of replies in one channel would wait seconds: realistic,
    but slow for a test."""
    return [fake.world.add_channel(fake.guild, f"burst-{n}") for n in range(count)]


class Replies:
    """The bot's reply to each question pushed, found as the fake records them (one pass over new messages)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.seen = 0
        self.by_ref: dict[int, list[SentMessage]] = {}

    def update(self) -> None:
        for message in self.fake.sent_messages[self.seen :]:
            ref = message.reply_to or message.interaction_id
            if ref is not None:
                self.by_ref.setdefault(ref, []).append(message)
        self.seen = len(self.fake.sent_messages)

    def of(self, asked: dict | InteractionRecord) -> list[SentMessage]:
        self.update()
        return self.by_ref.get(asked.id if isinstance(asked, InteractionRecord) else int(asked["id"]), [])


NEW = "⟦v2⟧ "


async def test_reload_during_a_burst_of_hundreds_of_questions(
    fake_discord: FakeDiscord, launch, cast, settings, knowledge_copy, snapshot
) -> None:
    """200 questions asked every way (mentions in eight channels, DMs, `/ask`) while `/facts reload` swaps in a set
    where every answer and the source's title changed: each is answered once, without an error, from one whole set
    (the old one before the reload, the new one after, either during), and journaled."""

    def mark(fact: dict) -> None:
        fact["answer"] = {lang: NEW + text for lang, text in fact["answer"].items()}

    edit_facts(knowledge_copy, mark)
    sources = knowledge_copy / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace('title: "', f'title: "{NEW}', 1), encoding="utf-8")
    questions = [q.q for q in snapshot.kb.eval_questions]
    people = [cast.member, cast.helper, cast.moderator, cast.owner]
    channels = spread_channels(fake_discord)
    asked: list[dict | InteractionRecord] = []

    async def burst(count: int) -> None:
        for _ in range(count):
            number = len(asked)
            question, author = questions[number % len(questions)], people[number % len(people)]
            if number % 10 == 9:
                asked.append(await fake_discord.push_slash_command("ask", {"question": question}, user=author))
            elif number % 5 == 0:
                asked.append(await fake_discord.push_message(question, author=author, dm=True))
            else:
                channel = channels[number % len(channels)]
                asked.append(
                    await fake_discord.push_message(question, author=author, channel=channel, mention_bot=True)
                )

    replies = Replies(fake_discord)
    async with launch(replace(settings, cooldown_seconds=0)) as bot:
        old_set = bot.engine.snapshot
        await burst(50)
        reload = await fake_discord.push_slash_command("facts reload", user=cast.moderator)
        await burst(100)
        await answered(fake_discord, reload, timeout=30)
        await burst(50)
        await fake_discord.wait_until(lambda: all(replies.of(a) for a in asked), timeout=10, what="every answer")
        await journaled(fake_discord, bot.journal, len(asked))
        new_set = bot.engine.snapshot

    assert new_set is not old_set
    assert all(len(replies.of(a)) == 1 for a in asked)  # each answered once
    assert all(a.response_type == 4 for a in asked if isinstance(a, InteractionRecord))
    assert not [r for r in fake_discord.requests if r.status and r.status >= 400]
    versions = {}
    for number, question in enumerate(asked):
        (reply,) = replies.of(question)
        fields = {f["name"]: f["value"] for f in (reply.embeds[0].get("fields", []) if reply.embeds else [])}
        if "Source" not in fields:
            continue  # not an answer ("did you mean", "not covered", smalltalk): nothing from a fact sheet
        new = reply.embeds[0]["description"].startswith(NEW)
        assert fields["Source"].startswith(NEW) is new, f"answer and source from different sets: {text_of(reply)}"
        versions[number] = new
    assert len(versions) > 120
    assert not any(new for number, new in versions.items() if number < 50), "asked before the reload: old set"
    assert all(new for number, new in versions.items() if number >= 150), "asked after the reload: new set"
    refs = {row[0] for row in journal_rows(settings.journal_path)}
    assert refs == {a.id if isinstance(a, InteractionRecord) else int(a["id"]) for a in asked}
