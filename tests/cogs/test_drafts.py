"""`/facts draft` and the drafting offer of `/facts unanswered`, through the real cog, engine and journal."""

from __future__ import annotations

import discord
import pytest
import yaml

from cogs.checks import NotModerator
from cogs.facts import Facts
from engine.answering import Reply
from engine.knowledge.review import REVIEW_MARK
from tests.cogs.test_facts import sent_texts, slash_ctx
from tests.helpers import GUILD_ID, MockContext, MockMember


@pytest.fixture
def cog(bot) -> Facts:
    return Facts(bot)


def attachments(ctx) -> list[discord.File]:
    return [call.kwargs["file"] for call in ctx.send.await_args_list if "file" in call.kwargs]


async def test_draft_attaches_a_fact_ready_to_paste(cog, bot):
    ctx = slash_ctx(bot)
    await cog.facts_draft.callback(cog, ctx, question="combien de voitures l'alliance a vendu en 2018 @everyone")
    (summary,) = sent_texts(ctx)
    (file,) = attachments(ctx)
    fact = yaml.safe_load("facts:\n" + file.fp.read().decode("utf-8"))["facts"][0]
    assert file.filename == f"{fact['id']}.yaml"
    assert f"`{fact['id']}`" in summary and "TODO-REVIEW" in summary
    assert "10,76 millions de véhicules" in fact["quote"]
    assert fact["source"] == "alliance-2019-12" and REVIEW_MARK in fact["answer"]["en"]
    assert "sales-2018" in summary  # the facts already quoting the passage are named


async def test_draft_says_when_the_article_does_not_cover_the_question(cog, bot):
    ctx = slash_ctx(bot, locale=discord.Locale.american_english)
    await cog.facts_draft.callback(cog, ctx, question="What is the price of a new Clio?")
    (reply,) = sent_texts(ctx)
    assert "does not cover" in reply and "add-source" in reply
    assert attachments(ctx) == []


async def test_draft_is_a_moderator_command(cog, bot):
    (group,) = cog.get_commands()
    assert group.get_command("draft") is not None  # in this cog, so under its server-side check (e2e: refused)
    with pytest.raises(NotModerator):
        await cog.cog_check(MockContext(bot=bot, author=MockMember()))


async def test_unanswered_offers_the_passage_and_the_draft_command(cog, bot):
    asked = ["combien de voitures l'alliance a vendu en 2018", "Quel est le prix d'une Clio neuve ?"]
    for number, question in enumerate(asked):
        reply = Reply(question, "unknown", "fr", "?")
        bot.journal.record_question(reply, ref=number, user_id=1, guild_id=GUILD_ID, channel_id=1, via="slash")
    ctx = slash_ctx(bot)
    await cog.facts_unanswered.callback(cog, ctx)
    report = "\n".join(sent_texts(ctx))
    assert "`/facts draft question:combien de voitures l'alliance a vendu en 2018`" in report
    assert "10,76 millions" in report and "`alliance-2019-12`, ligne 13" in report
    assert "l'article ne couvre pas cette question : ajoutez une source, pas un fait" in report
