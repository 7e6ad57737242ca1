"""Members asking: mentions, DMs, answer channels, /ask, /topics; through the real cog and engine."""

from __future__ import annotations

import sqlite3
import threading

import discord
import pytest

from cogs.asking import Asking, question_text, strip_mentions
from cogs.views import FeedbackView, SuggestionView
from engine.answering import Engine
from tests.cogs.conftest import ANSWER_CHANNEL
from tests.helpers import (
    BOT_ID,
    MockClientUser,
    MockContext,
    MockDMChannel,
    MockInteraction,
    MockMember,
    MockMessage,
    MockTextChannel,
    MockThread,
    MockUser,
)

QUESTION = "Qui dirige Nissan ?"
MENTION = f"<@{BOT_ID}>"


@pytest.fixture
def cog(bot) -> Asking:
    return Asking(bot)


def sent(message) -> dict:
    """The keyword arguments of the one reply sent to `message`."""
    message.channel.send.assert_awaited_once()
    return message.channel.send.await_args.kwargs


def rows(journal) -> list[sqlite3.Row]:
    conn = sqlite3.connect(journal.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM questions ORDER BY id").fetchall()
    finally:
        conn.close()


def assert_no_mentions(kwargs: dict) -> None:
    assert kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()


async def test_mention_gets_an_answer_embed_without_ping(cog, bot):
    message = MockMessage(content=f"{MENTION} {QUESTION}", mentions=[MockClientUser()])
    await cog.on_message(message)
    kwargs = sent(message)
    assert kwargs["mention_author"] is False
    assert_no_mentions(kwargs)
    embed = kwargs["embed"]
    fact = bot.engine.snapshot.kb.fact("leader-uchida")
    assert embed.description == fact.answer["fr"]
    fields = {f.name: f.value for f in embed.fields}
    assert set(fields) == {"Source", "Citation", "Confiance"}
    assert fact.quote in fields["Citation"] and fields["Citation"].startswith("> ")
    assert "2019-12" in fields["Source"]
    assert fields["Confiance"].endswith("%")
    view = kwargs["view"]
    assert isinstance(view, FeedbackView)
    assert [b.label for b in view.children] == ["Utile", "Réponse fausse"]
    assert [str(b.emoji) for b in view.children] == ["👍", "👎"]
    assert view.message is message.channel.send.return_value


async def test_english_question_gets_english_embed(cog):
    message = MockMessage(content=f"{MENTION} Who runs Nissan?", mentions=[MockClientUser()])
    await cog.on_message(message)
    fields = [f.name for f in sent(message)["embed"].fields]
    assert fields == ["Source", "Quote", "Confidence"]


async def test_dm_is_answered_and_journaled_without_ids_in_clear(cog, bot):
    author = MockUser(id=123_456_789_012_345_678)
    message = MockMessage(guild=None, channel=MockDMChannel(), author=author, content=QUESTION)
    await cog.on_message(message)
    assert sent(message)["embed"].description
    [row] = rows(bot.journal)
    assert (row["via"], row["fact_id"], row["answered"], row["lang"]) == ("dm", "leader-uchida", 1, "fr")
    assert row["guild_id"] is None and row["channel_id"] is None
    dump = "\n".join(sqlite3.connect(bot.journal.path).iterdump())
    assert str(author.id) not in dump


async def test_guild_question_journal_row(cog, bot):
    message = MockMessage(content=f"{MENTION} {QUESTION}", mentions=[MockClientUser()])
    await cog.on_message(message)
    [row] = rows(bot.journal)
    assert row["ref"] == message.id
    assert (row["guild_id"], row["channel_id"], row["via"]) == (message.guild.id, message.channel.id, "mention")
    assert row["user_hash"] != str(message.author.id)


async def test_ordinary_channel_without_mention_is_ignored(cog, bot):
    message = MockMessage(content=QUESTION)
    await cog.on_message(message)
    message.channel.send.assert_not_awaited()
    assert rows(bot.journal) == []


@pytest.mark.parametrize("text", [QUESTION, "ventes de l'alliance en 2018 ?", "la réunion c'était où"])
async def test_answer_channel_answers_questions(cog, text):
    message = MockMessage(content=text, channel=MockTextChannel(id=ANSWER_CHANNEL))
    await cog.on_message(message)
    assert sent(message)["embed"] is not None


async def test_answer_channel_threads_count(cog):
    message = MockMessage(content=QUESTION, channel=MockThread(parent_id=ANSWER_CHANNEL))
    await cog.on_message(message)
    message.channel.send.assert_awaited_once()


@pytest.mark.parametrize(
    "text", ["salut tout le monde", "lol", "les voitures c'est cool", "ventes 2018", "merci", "bonjour ?", ""]
)
async def test_answer_channel_ignores_chitchat(cog, bot, text):
    message = MockMessage(content=text, channel=MockTextChannel(id=ANSWER_CHANNEL))
    await cog.on_message(message)
    message.channel.send.assert_not_awaited()
    assert rows(bot.journal) == []


async def test_answer_channel_question_not_covered_gets_short_reply(cog, bot):
    message = MockMessage(content="Quel temps fera-t-il demain à Lyon ?", channel=MockTextChannel(id=ANSWER_CHANNEL))
    await cog.on_message(message)
    kwargs = sent(message)
    assert "embed" not in kwargs and "view" not in kwargs
    assert kwargs["content"] == bot.engine.ask("Quel temps fera-t-il demain à Lyon ?").text
    assert "Carlos Ghosn" in kwargs["content"]  # it says what topics it covers
    assert_no_mentions(kwargs)


async def test_ignores_bots_and_itself(cog):
    other_bot = MockMessage(content=f"{MENTION} {QUESTION}", author=MockMember(bot=True), mentions=[MockClientUser()])
    itself = MockMessage(content=QUESTION, guild=None, channel=MockDMChannel(), author=MockClientUser())
    for message in (other_bot, itself):
        await cog.on_message(message)
        message.channel.send.assert_not_awaited()


async def test_system_messages_are_ignored(cog):
    message = MockMessage(guild=None, channel=MockDMChannel(), content="", type=discord.MessageType.pins_add)
    await cog.on_message(message)
    message.channel.send.assert_not_awaited()


async def test_same_message_is_answered_once(cog, bot):
    message = MockMessage(content=f"{MENTION} {QUESTION}", mentions=[MockClientUser()])
    await cog.on_message(message)
    await cog.on_message(message)
    message.channel.send.assert_awaited_once()
    assert len(rows(bot.journal)) == 1


async def test_prefix_commands_are_left_to_the_commands_extension(cog, bot):
    bot.all_commands["topics"] = cog.topics  # as discord.py registers it when the cog loads
    for content in ("!topics", f"{MENTION} topics"):
        message = MockMessage(content=content, guild=None, channel=MockDMChannel())
        await cog.on_message(message)
        message.channel.send.assert_not_awaited()
    message = MockMessage(content="!!! ventes 2018 ?", guild=None, channel=MockDMChannel())
    await cog.on_message(message)
    message.channel.send.assert_awaited_once()


async def test_unsure_offers_three_did_you_mean_buttons(bot, snapshot):
    bot.engine = Engine(snapshot, answer_threshold=101, suggest_threshold=1)  # every guess is only a guess
    cog = Asking(bot)
    message = MockMessage(content=f"{MENTION} qui dirige renault et nissan", mentions=[MockClientUser()])
    await cog.on_message(message)
    kwargs = sent(message)
    reply = bot.engine.ask("qui dirige renault et nissan")
    assert reply.kind == "unsure"
    view = kwargs["view"]
    assert isinstance(view, SuggestionView)
    labels = [b.label for b in view.children]
    assert 1 <= len(labels) <= 3
    assert labels == [f"{i}. {s.question}"[:80] for i, s in enumerate(reply.suggestions, 1)]
    assert kwargs["embed"].description.startswith(reply.text)
    assert view.asker_id == message.author.id


async def test_mention_alone_gets_help_text(cog):
    message = MockMessage(content=MENTION, mentions=[MockClientUser()])
    await cog.on_message(message)
    assert "Alliance" in sent(message)["content"]


async def test_cooldown_one_polite_reply_then_silence(bot):
    bot.settings = bot.settings.__class__(cooldown_questions=2, cooldown_seconds=3600)
    cog = Asking(bot)
    author = MockUser()
    replies = []
    for _ in range(4):
        message = MockMessage(guild=None, channel=MockDMChannel(), author=author, content=QUESTION)
        await cog.on_message(message)
        replies.append(message.channel.send.await_args.kwargs if message.channel.send.await_count else None)
    assert replies[0]["embed"] and replies[1]["embed"]
    assert replies[2]["content"].startswith("Doucement") and "embed" not in replies[2]
    assert replies[3] is None
    other = MockMessage(guild=None, channel=MockDMChannel(), content=QUESTION)
    await cog.on_message(other)
    assert sent(other)["embed"]


async def test_a_member_over_the_cooldown_costs_no_engine_call(bot):
    bot.settings = bot.settings.__class__(cooldown_questions=2, cooldown_seconds=3600)
    cog = Asking(bot)
    asked, ask = [], bot.engine.ask
    bot.engine.ask = lambda question, *args, **kwargs: asked.append(question) or ask(question, *args, **kwargs)
    author = MockUser()
    for _ in range(6):
        await cog.on_message(MockMessage(guild=None, channel=MockDMChannel(), author=author, content=QUESTION))
    await cog.ask.callback(cog, MockInteraction(user=author), QUESTION)
    assert asked == [QUESTION, QUESTION]


async def test_a_question_past_its_time_budget_gets_an_apology(bot, monkeypatch, caplog):
    """The engine bounds its own work; should a question still take too long, its asker is not left waiting."""
    monkeypatch.setattr("cogs.asking.ASK_BUDGET", 0.05)
    monkeypatch.setattr("cogs.asking.LONG_QUESTION", 0)  # every question goes to the worker thread
    release = threading.Event()
    bot.engine.ask = lambda question, *args, **kwargs: release.wait(10)
    cog = Asking(bot)
    message = MockMessage(guild=None, channel=MockDMChannel(), content=QUESTION)
    interaction = MockInteraction()
    try:
        await cog.on_message(message)
        await cog.ask.callback(cog, interaction, "Who runs Nissan?")
    finally:
        release.set()
    assert sent(message)["content"].startswith("Désolé")
    args, kwargs = interaction.response.send_message.await_args
    assert args[0].startswith("Sorry") and kwargs["ephemeral"] is True
    assert caplog.text.count("took over 0.05s") == 2


def test_question_text_is_the_same_for_messages_and_slash_commands():
    assert question_text(f"{MENTION} @everyone <@&7> qui dirige nissan \ud800 ?") == "qui dirige nissan \ufffd ?"


def test_strip_mentions():
    assert strip_mentions(f"{MENTION}  qui <@!42> est <@&7> dans <#9> ?") == "qui est dans ?"
    # @everyone would count as an unknown word and turn an answer into "unsure".
    assert strip_mentions("@everyone @here qui dirige nissan") == "qui dirige nissan"


# -- slash commands ------------------------------------------------------------------------


async def test_slash_ask_answers_with_embed_and_buttons(cog, bot):
    interaction = MockInteraction()
    await cog.ask.callback(cog, interaction, QUESTION)
    interaction.response.send_message.assert_awaited_once()
    kwargs = interaction.response.send_message.await_args.kwargs
    assert_no_mentions(kwargs)
    assert kwargs["embed"].description == bot.engine.snapshot.kb.fact("leader-uchida").answer["fr"]
    assert isinstance(kwargs["view"], FeedbackView)
    interaction.original_response.assert_awaited_once()
    assert kwargs["view"].message is interaction.original_response.return_value
    [row] = rows(bot.journal)
    assert (row["via"], row["ref"], row["fact_id"]) == ("slash", interaction.id, "leader-uchida")


async def test_slash_ask_cooldown_is_ephemeral(bot):
    bot.settings = bot.settings.__class__(cooldown_questions=1, cooldown_seconds=3600)
    cog = Asking(bot)
    user = MockMember()
    await cog.ask.callback(cog, MockInteraction(user=user), QUESTION)
    second = MockInteraction(user=user)
    await cog.ask.callback(cog, second, "Who runs Nissan?")
    args, kwargs = second.response.send_message.await_args
    assert kwargs["ephemeral"] is True
    assert args[0].startswith("Easy there")


async def test_slash_ask_not_covered_is_short_text(cog):
    interaction = MockInteraction()
    await cog.ask.callback(cog, interaction, "What is the capital of Peru?")
    kwargs = interaction.response.send_message.await_args.kwargs
    assert "embed" not in kwargs
    assert "does not cover" in kwargs["content"]


async def test_ask_autocomplete_at_most_25_known_questions(cog, bot):
    known = {q for f in bot.engine.snapshot.kb.facts for qs in f.questions.values() for q in qs}
    for typed in ("", "qui dirige", "sales", "zzzz"):
        choices = await cog.ask_autocomplete(MockInteraction(), typed)
        assert len(choices) <= 25
        assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
        assert {c.value for c in choices} <= known
    choices = await cog.ask_autocomplete(MockInteraction(), "qui dirige nissan")
    assert choices and "Nissan" in choices[0].name


async def test_topics_lists_every_topic(cog, bot):
    ctx = MockContext(bot=bot, interaction=MockInteraction(locale=discord.Locale.american_english))
    await cog.topics.callback(cog, ctx)
    kwargs = ctx.send.await_args.kwargs
    assert kwargs["ephemeral"] is True
    assert_no_mentions(kwargs)
    names = [f.name for f in kwargs["embed"].fields]
    assert names == [t.labels["en"] for t in bot.engine.snapshot.kb.topics]
    assert kwargs["embed"].title == "What I know"


async def test_help_slash_is_the_topics_list_in_the_member_language(cog, bot):
    interaction = MockInteraction(locale=discord.Locale.french)
    await cog.help.callback(cog, interaction)
    kwargs = interaction.response.send_message.await_args.kwargs
    assert kwargs["ephemeral"] is True
    assert kwargs["embed"].title == "Ce que je sais"
    assert [f.name for f in kwargs["embed"].fields] == [t.labels["fr"] for t in bot.engine.snapshot.kb.topics]


async def test_journal_failure_never_stops_an_answer(cog, bot, tmp_path, caplog):
    bot.journal.path = str(tmp_path / "missing" / "journal.sqlite3")
    for _ in range(3):
        message = MockMessage(content=f"{MENTION} {QUESTION}", mentions=[MockClientUser()])
        await cog.on_message(message)
        assert sent(message)["embed"] is not None
    assert len([r for r in caplog.records if r.name == "alliance.journal" and r.levelname == "ERROR"]) == 1


async def test_reply_failure_is_logged_not_raised(cog, caplog):
    message = MockMessage(content=f"{MENTION} {QUESTION}", mentions=[MockClientUser()])
    message.channel.send.side_effect = discord.Forbidden(_response(403), "Missing Permissions")
    await cog.on_message(message)
    assert "could not reply" in caplog.text


def _response(status: int):
    from unittest.mock import MagicMock

    response = MagicMock()
    response.status = status
    response.reason = "Forbidden"
    return response


async def test_answer_channel_chitchat_with_a_question_mark_spends_no_cooldown(cog, bot):
    # "salut ?", "merci ?" and "?" look like questions but are smalltalk or nothing: silent, and uncounted.
    for number, text in enumerate(["salut ?", "merci ?", "?", "bonjour ?", "salut ?", "?"]):
        chit = MockMessage(id=1000 + number, content=text, channel=MockTextChannel(id=ANSWER_CHANNEL))
        await cog.on_message(chit)
        chit.channel.send.assert_not_awaited()
    question = MockMessage(id=2000, content=QUESTION, channel=MockTextChannel(id=ANSWER_CHANNEL))
    await cog.on_message(question)
    question.channel.send.assert_awaited_once()
    assert "cooldown" not in str(question.channel.send.await_args).lower()
    assert question.channel.send.await_args.kwargs.get("embed") is not None  # the answer, not a refusal
