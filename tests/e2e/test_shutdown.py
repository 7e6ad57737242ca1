"""Shutdown by SIGTERM while questions are in flight, with the bot in its own process (`python bot.py`, pointed at
the fake): it exits with status 0, and the journal is whole and holds every question it answered."""

from __future__ import annotations

import signal
import sqlite3

from .botprocess import bot_process
from .fakediscord import FakeDiscord
from .support import Cast


async def test_sigterm_mid_burst_leaves_a_consistent_journal(
    fake_discord: FakeDiscord, cast: Cast, knowledge_copy, journal_path, snapshot
) -> None:
    fake = fake_discord
    env = {
        "DISCORD_TOKEN": fake.token,
        "KNOWLEDGE_DIR": str(knowledge_copy),
        "JOURNAL_PATH": str(journal_path),
        "MESSAGE_CONTENT_INTENT": "true",
        "ANSWER_CHANNEL_IDS": str(fake.questions_channel["id"]),
        "COOLDOWN_SECONDS": "0",
    }
    questions = [q.q for q in snapshot.kb.eval_questions][:80]
    async with bot_process(fake, env) as bot:
        await bot.wait_for_line("connected as")
        pushed = []
        people = [cast.member, cast.helper, cast.moderator, cast.owner]
        for number, question in enumerate(questions):  # spread over channels: one rate limit bucket each
            if number % 3 == 0:
                pushed.append(await fake.push_message(question, dm=True, author=people[number % 4]))
            else:
                channel = (fake.channel, fake.questions_channel)[number % 2]
                pushed.append(await fake.push_message(question, channel=channel, mention_bot=True))
            if number == 40:
                await fake.wait_for_message()  # answers are going out: stop the bot in the middle
                bot.process.send_signal(signal.SIGTERM)
        code = await bot.exit_code()

    assert code == 0, bot.stderr
    assert "SIGTERM received: closing the connection and the journal" in bot.stderr
    assert "Traceback" not in bot.stderr and "ERROR" not in bot.stderr, bot.stderr
    conn = sqlite3.connect(journal_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        journaled = {ref for (ref,) in conn.execute("SELECT ref FROM questions")}
    finally:
        conn.close()
    answered = {m.reply_to for m in fake.sent_messages if m.reply_to}
    assert answered, "nothing was answered before SIGTERM"
    assert answered <= journaled, f"answered but not journaled: {sorted(answered - journaled)}"
    assert journaled <= {int(p["id"]) for p in pushed}
