"""What one member can cost the bot, through the real bot over sockets: a flood of long direct messages, `/help`
spam, mention syntax and lone surrogates in `/ask`, a question deleted before its reply.

Work is counted (engine calls, messages sent), not timed; the one deadline is Discord's own, which the fake enforces:
an interaction answered more than 3 s after it was sent gets 10062 "Unknown interaction", which fails the test.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from cogs.embeds import escape

from .fakediscord import FakeDiscord, SentMessage
from .support import ANSWERED_EN, ANSWERED_FR, MESSAGES, answered, ask, journal_rows, journaled, slash, text_of

FLOOD = 60
#: Discord's longest message (with Nitro, and in DMs), the size of the flood's messages.
LONGEST = 4000


def long_question(seed: int) -> str:
    """A real question padded to 4,000 characters with distinct junk words, each one worth a typo search."""
    rng = random.Random(seed)
    words = [ANSWERED_EN]
    while sum(len(w) + 1 for w in words) <= LONGEST:
        words.append("".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(5, 9))))
    return " ".join(words)[:LONGEST]


def count_engine_calls(bot: Any) -> list[str]:
    """Every question the bot's engine is asked, from now on (whatever thread asks it)."""
    asked: list[str] = []
    ask_engine: Callable[..., Any] = bot.engine.ask

    def counted(question: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(question)
        return ask_engine(question, *args, **kwargs)

    bot.engine.ask = counted
    return asked


def replies_to(fake: FakeDiscord, pushed: list[dict[str, Any]]) -> list[SentMessage]:
    ids = {int(m["id"]) for m in pushed}
    return [m for m in fake.sent_messages if m.reply_to in ids]


async def test_a_flood_of_long_dms_costs_only_the_replies_allowed_and_others_are_answered_in_time(
    fake_discord: FakeDiscord, launch, cast, settings
) -> None:
    async with launch() as bot:
        asked = count_engine_calls(bot)
        flood = [await fake_discord.push_message(long_question(n), dm=True) for n in range(FLOOD)]
        other = await fake_discord.push_slash_command("ask", {"question": ANSWERED_EN}, user=cast.helper)
        (answer,) = await answered(fake_discord, other)
        allowed = settings.cooldown_questions
        await fake_discord.wait_until(lambda: len(replies_to(fake_discord, flood)) >= allowed + 1, what="the replies")
        await journaled(fake_discord, bot.journal, allowed + 1)

    assert other.response_type == 4 and answer.embeds  # within its deadline: the fake refuses a late one
    assert "Uchida" in answer.embeds[0]["description"]
    replies = replies_to(fake_discord, flood)
    # The replies allowed (junk words leave the engine unsure) and one warning, in the flood's language.
    warnings = [m for m in replies if m.content.startswith("Easy there")]
    assert len(replies) == allowed + 1 and len(warnings) == 1
    assert {m.reply_to for m in replies} == {int(m["id"]) for m in flood[: allowed + 1]}
    # The engine was asked the questions it answered, no more: one member over the cooldown costs nothing.
    assert len(asked) == allowed + 1
    assert asked.count(ANSWERED_EN) == 1 and all(len(q) == LONGEST for q in asked if q != ANSWERED_EN)


async def test_help_and_topics_spam_gets_the_cooldown_of_questions(fake_discord: FakeDiscord, launch, cast) -> None:
    async with launch():
        mark = fake_discord.mark()
        for command in ("!help", "!topics", "!sujets") * 5:
            await fake_discord.push_message(command)
        sentinel = await ask(fake_discord, ANSWERED_FR, author=cast.helper)  # others are not held back
        slashed = [await slash(fake_discord, name) for name in ("help", "topics")]

    sent = [m for m in fake_discord.sent_messages[mark.messages :] if m.source == "channel" and m.id != sentinel.id]
    assert [bool(m.embeds) for m in sent] == [True, True, True, False]  # cooldown_questions = 3, one warning
    assert sent[-1].content.startswith("Easy there") and sentinel.embeds
    assert all(not m.embeds and m.content.startswith("Easy there") for m in slashed)  # private refusals


async def test_slash_ask_strips_mention_syntax_as_a_mention_does(fake_discord: FakeDiscord, launch, cast) -> None:
    question = f"@everyone @here <@&{cast.helper_role['id']}> <@{cast.member['id']}> qui dirige nissan ?"
    async with launch() as bot:
        slashed = await slash(fake_discord, "ask", {"question": question})
        mentioned = await ask(fake_discord, question)
        fact = bot.engine.snapshot.kb.fact("leader-uchida")

    for reply in (slashed, mentioned):
        assert reply.embeds and reply.embeds[0]["description"] == escape(fact.answer["fr"])
    assert slashed.embeds[0]["fields"][-1] == mentioned.embeds[0]["fields"][-1]  # the same confidence


async def test_a_lone_surrogate_in_a_question_is_answered_and_journaled(
    fake_discord: FakeDiscord, launch, settings
) -> None:
    async with launch() as bot:
        interaction = await fake_discord.push_slash_command("ask", {"question": "qui dirige nissan \ud800 ?"})
        (reply,) = await answered(fake_discord, interaction)
        dm = await ask(fake_discord, "\udc00 who runs nissan?", dm=True)
        await journaled(fake_discord, bot.journal, 2)

    assert reply.embeds and dm.embeds
    assert "Sorry" not in text_of(reply) and len([m for m in fake_discord.sent_messages if m.content]) == 0
    assert [(kind, via) for _, kind, _, via in journal_rows(settings.journal_path)] == [
        ("answer", "slash"),
        ("answer", "dm"),
    ]


async def test_a_question_deleted_before_the_reply_is_answered_in_its_channel(
    fake_discord: FakeDiscord, launch, settings
) -> None:
    async with launch():
        mark = fake_discord.mark()
        pushed = await fake_discord.push_message(ANSWERED_FR, mention_bot=True)
        await fake_discord.delete_message(pushed)  # before the bot could reply: nothing was awaited in between
        reply = await fake_discord.wait_for_message(channel_id=int(fake_discord.channel["id"]), since=mark)

    assert reply.embeds and reply.reply_to is None  # a plain message: the question it answered is gone
    (post,) = fake_discord.requests_to("POST", MESSAGES, since=mark)
    assert post.status == 200
    assert post.json["message_reference"]["fail_if_not_exists"] is False
    assert journal_rows(settings.journal_path) == [(int(pushed["id"]), "answer", "leader-uchida", "mention")]
