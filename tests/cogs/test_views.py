"""The buttons: did-you-mean suggestions (asker only) and 👍 / 👎 feedback journaled against the fact."""

from __future__ import annotations

import sqlite3

import discord
import pytest

from cogs.views import FeedbackView, SuggestionView
from engine.answering import Engine, Reply, Suggestion
from tests.helpers import GUILD_ID, MockInteraction, MockMember, MockMessage, MockUser


def feedback_rows(journal) -> list[tuple]:
    conn = sqlite3.connect(journal.path)
    try:
        return conn.execute("SELECT ref, fact_id, user_hash, helpful FROM feedback ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.fixture
def unsure(bot, snapshot) -> Reply:
    reply = Engine(snapshot, answer_threshold=101, suggest_threshold=1).ask("qui dirige nissan")
    assert reply.kind == "unsure" and reply.suggestions
    return reply


async def test_feedback_buttons_record_votes_against_the_fact(bot):
    view = FeedbackView(bot, lang="en", ref=42, fact_id="leader-uchida")
    assert [(b.label, str(b.emoji)) for b in view.children] == [("Helpful", "👍"), ("Wrong answer", "👎")]
    voter = MockMember()
    interaction = MockInteraction(user=voter)
    await view.wrong.callback(interaction)
    args, kwargs = interaction.response.send_message.await_args
    assert kwargs["ephemeral"] is True and "moderators" in args[0]
    [(ref, fact, user_hash, helpful)] = feedback_rows(bot.journal)
    assert (ref, fact, helpful) == (42, "leader-uchida", 0)
    assert user_hash != str(voter.id) and str(voter.id) not in user_hash


async def test_a_member_changing_their_vote_counts_once(bot):
    asked = bot.engine.ask("Combien de véhicules l'Alliance a-t-elle vendus en 2018 ?")
    bot.journal.record_question(asked, ref=7, user_id=1, guild_id=GUILD_ID, channel_id=2, via="slash")
    view = FeedbackView(bot, lang="fr", ref=7, fact_id="sales-2018")
    voter = MockMember()
    await view.wrong.callback(MockInteraction(user=voter))
    await view.helpful.callback(MockInteraction(user=voter))
    await view.helpful.callback(MockInteraction(user=MockMember()))
    votes = feedback_rows(bot.journal)
    assert [helpful for *_, helpful in votes] == [1, 1]
    stats = bot.journal.stats(guild_id=GUILD_ID)  # votes count in the server of the question they rate
    assert (stats.helpful, stats.wrong) == (2, 0)


async def test_feedback_refuses_bots(bot):
    view = FeedbackView(bot, lang="fr", ref=1, fact_id="sales-2018")
    assert await view.interaction_check(MockInteraction(user=MockMember(bot=True))) is False
    assert await view.interaction_check(MockInteraction(user=MockMember())) is True


async def test_suggestion_buttons_up_to_three_with_the_questions(bot, unsure):
    view = SuggestionView(bot, unsure, asker_id=1, ref=9)
    labels = [b.label for b in view.children]
    assert len(labels) == min(3, len(unsure.suggestions))
    assert labels[0] == f"1. {unsure.suggestions[0].question}"[:80]
    many = Reply("q", "unsure", "fr", "?", suggestions=tuple(Suggestion("sales-2018", "x" * 200, 40) for _ in range(5)))
    view = SuggestionView(bot, many, asker_id=1, ref=9)
    assert len(view.children) == 3 and all(len(b.label) <= 80 for b in view.children)


async def test_only_the_asker_may_press_a_suggestion(bot, unsure):
    asker, other = MockMember(), MockMember()
    view = SuggestionView(bot, unsure, asker_id=asker.id, ref=9)
    stranger = MockInteraction(user=other)
    assert await view.interaction_check(stranger) is False
    args, kwargs = stranger.response.send_message.await_args
    assert kwargs["ephemeral"] is True and "/ask" in args[0]
    assert await view.interaction_check(MockInteraction(user=asker)) is True


async def test_pressing_a_suggestion_shows_that_answer(bot, unsure):
    asker = MockMember()
    view = SuggestionView(bot, unsure, asker_id=asker.id, ref=9)
    button = view.children[0]
    chosen = unsure.suggestions[0]
    interaction = MockInteraction(user=asker, message=MockMessage())
    await button.callback(interaction)
    kwargs = interaction.response.edit_message.await_args.kwargs
    fact = bot.engine.snapshot.kb.fact(chosen.fact_id)
    assert kwargs["embed"].description == fact.answer[unsure.lang]
    assert any(fact.quote in f.value for f in kwargs["embed"].fields)
    assert f"{chosen.score}%" in [f.value for f in kwargs["embed"].fields]
    feedback = kwargs["view"]
    assert isinstance(feedback, FeedbackView) and feedback.fact_id == chosen.fact_id and feedback.ref == 9
    assert feedback.message is interaction.message
    assert view.is_finished()


async def test_pressing_a_suggestion_whose_fact_is_gone(bot):
    reply = Reply("q", "unsure", "en", "?", suggestions=(Suggestion("no-such-fact", "Gone?", 40),))
    asker = MockUser()
    view = SuggestionView(bot, reply, asker_id=asker.id, ref=3)
    interaction = MockInteraction(user=asker, guild=None)
    await view.children[0].callback(interaction)
    args, kwargs = interaction.response.send_message.await_args
    assert kwargs["ephemeral"] is True and "no longer exists" in args[0]


async def test_timeout_greys_out_the_buttons(bot):
    view = FeedbackView(bot, lang="fr", ref=1, fact_id="sales-2018")
    view.message = MockMessage()
    await view.on_timeout()
    assert all(b.disabled for b in view.children)
    view.message.edit.assert_awaited_once_with(view=view)


async def test_timeout_on_a_deleted_message_is_quiet(bot):
    view = FeedbackView(bot, lang="fr", ref=1, fact_id="sales-2018")
    view.message = MockMessage()
    view.message.edit.side_effect = discord.NotFound(_response(404), "Unknown Message")
    await view.on_timeout()  # the message is gone: no exception escapes
    view.message.edit.assert_awaited_once()
    assert all(item.disabled for item in view.children)


async def test_button_error_gets_a_neutral_ephemeral_reply(bot, caplog):
    view = FeedbackView(bot, lang="en", ref=1, fact_id="sales-2018")
    interaction = MockInteraction()
    await view.on_error(interaction, RuntimeError("boom"), view.children[0])
    args, kwargs = interaction.response.send_message.await_args
    assert kwargs["ephemeral"] is True and args[0].startswith("Sorry")
    assert "boom" in caplog.text


async def test_feedback_with_a_broken_journal_still_thanks(bot, tmp_path, caplog):
    bot.journal.path = str(tmp_path / "gone" / "journal.sqlite3")
    view = FeedbackView(bot, lang="fr", ref=1, fact_id="sales-2018")
    interaction = MockInteraction()
    await view.helpful.callback(interaction)
    interaction.response.send_message.assert_awaited_once()
    assert "journal write failed" in caplog.text


def _response(status: int):
    from unittest.mock import MagicMock

    response = MagicMock()
    response.status = status
    response.reason = "error"
    return response
