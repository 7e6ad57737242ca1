"""Moderator commands through the real cog: checks, reload (good and broken), check, list, show, stats."""

from __future__ import annotations

import logging
from pathlib import Path
from unittest.mock import MagicMock

import discord
import pytest
import yaml

from cogs.bot import AllianceBot
from cogs.checks import NotAdmin, NotModerator
from cogs.facts import Facts
from engine.answering import Reply
from engine.journal.store import Journal
from engine.settings import Settings
from tests.cogs.conftest import MOD_ROLE
from tests.helpers import GUILD_ID, MockContext, MockGuild, MockInteraction, MockMember, MockRole, MockUser
from tests.sheets import edit_fact

QUESTION = "Combien de véhicules l'Alliance a-t-elle vendus en 2018 ?"
NEW_ANSWER = "Réponse modifiée pour le test : 10,76 millions de véhicules."


@pytest.fixture
def cog(bot) -> Facts:
    return Facts(bot)


def moderator() -> MockMember:
    return MockMember(manage_guild=True)


def slash_ctx(bot, author=None, locale=discord.Locale.french) -> MockContext:
    return MockContext(bot=bot, author=author or moderator(), interaction=MockInteraction(locale=locale))


def sent_texts(ctx) -> list[str]:
    texts = []
    for call in ctx.send.await_args_list:
        assert call.kwargs["ephemeral"] is True
        assert call.kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
        if call.args:
            texts.append(call.args[0])
    return texts


def add_fact(root: Path, kb, fact_id: str = "test-extra") -> None:
    """A new, valid fact in a new sheet (quoting a sentence the article already has)."""
    model = kb.fact("sales-2018")
    fact = {
        "id": fact_id,
        "topic": model.topic,
        "source": model.source,
        "quote": model.quote,
        "questions": {
            "fr": ["question de test zorglub", "zorglub quoi", "que dit zorglub"],
            "en": ["zorglub test question", "what about zorglub", "zorglub says what"],
        },
        "answer": {"fr": "Réponse zorglub.", "en": "Zorglub answer."},
    }
    (root / "facts" / "extra.yaml").write_text(yaml.safe_dump({"facts": [fact]}, allow_unicode=True), "utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


# -- who may ----------------------------------------------------------------------------------


async def test_manage_server_or_moderator_role_may(cog, bot):
    assert await cog.cog_check(MockContext(bot=bot, author=moderator())) is True
    with_role = MockMember(roles=[MockRole(id=MOD_ROLE)])
    assert await cog.cog_check(MockContext(bot=bot, author=with_role)) is True


async def test_others_are_refused_and_dms_too(cog, bot):
    with pytest.raises(NotModerator):
        await cog.cog_check(MockContext(bot=bot, author=MockMember(roles=[MockRole()])))
    with pytest.raises(commands_no_dm()):
        await cog.cog_check(MockContext(bot=bot, guild=None, author=MockUser(), channel=None))


def commands_no_dm():
    from discord.ext import commands

    return commands.NoPrivateMessage


async def added(cog: Facts) -> None:
    """Add the cog to a real (unconnected) bot, as setup() does, so commands know their cog."""
    host = AllianceBot(Settings(journal_enabled=False), engine=MagicMock(), journal=MagicMock())
    await host.add_cog(cog)


async def test_every_prefix_command_runs_the_check(cog, bot):
    await added(cog)
    member = MockMember()
    for command in cog.walk_commands():
        ctx = MockContext(bot=bot, author=member)
        with pytest.raises(NotModerator):
            await command.can_run(ctx)
    reload_ctx = MockContext(bot=bot, author=moderator())
    assert await cog.facts_reload.can_run(reload_ctx) is True


async def test_every_slash_command_runs_the_check_server_side(cog, bot):
    await added(cog)
    member = MockMember()
    checked = 0
    for command in cog.walk_commands():
        if command.name == "facts":
            continue
        checked += 1
        ctx = MockContext(bot=bot, author=member)
        interaction = MockInteraction(user=member, client=bot, _baton=ctx)
        with pytest.raises(NotModerator):
            await command.app_command._check_can_run(interaction)
    assert checked == 7  # reload, check, list, show, stats, unanswered, draft


async def test_a_slash_moderator_of_an_uncached_server_is_recognised(cog, bot):
    """Discord's permissions on the interaction decide, not the cached member (whose server may not be cached)."""
    await added(cog)
    author = MockMember(guild=None)
    ctx = MockContext(bot=bot, guild=None, author=author)
    interaction = MockInteraction(
        guild=None, guild_id=GUILD_ID, user=author, client=bot, _baton=ctx, permissions=discord.Permissions(32)
    )
    ctx.interaction = interaction
    assert await cog.facts_stats.app_command._check_can_run(interaction) is True
    assert await cog.facts_reload.app_command._check_can_run(interaction) is True  # GUILD_ID is an admin server
    interaction.permissions = discord.Permissions.none()
    with pytest.raises(NotModerator):
        await cog.facts_stats.app_command._check_can_run(interaction)


async def test_reload_and_check_are_refused_outside_the_admin_servers(cog, bot):
    await added(cog)
    elsewhere = MockGuild(id=GUILD_ID + 1)
    for command in (cog.facts_reload, cog.facts_check):
        with pytest.raises(NotAdmin):
            await command.can_run(MockContext(bot=bot, guild=elsewhere, author=moderator()))
    assert await cog.facts_stats.can_run(MockContext(bot=bot, guild=elsewhere, author=moderator())) is True
    bot.is_owner.return_value = True  # the owner may anywhere, even where they moderate nothing
    assert await cog.facts_reload.can_run(MockContext(bot=bot, guild=elsewhere, author=MockMember())) is True


# -- reload ------------------------------------------------------------------------------------


async def test_reload_swaps_and_previews_the_changes(cog, bot, settings, caplog):
    caplog.set_level(logging.INFO, "alliance.facts")
    old = bot.engine.snapshot
    edit_fact(settings.knowledge_dir, "sales-2018", answer={"fr": NEW_ANSWER, "en": "Changed for the test."})
    add_fact(settings.knowledge_dir, old.kb)
    ctx = slash_ctx(bot)
    await cog.facts_reload.callback(cog, ctx)
    ctx.defer.assert_awaited_once_with(ephemeral=True)
    assert bot.engine.snapshot is not old
    assert bot.engine.ask(QUESTION).text == NEW_ANSWER
    texts = sent_texts(ctx)
    assert all(len(t) <= 2000 for t in texts)
    report = "\n".join(texts)
    assert report.startswith("✅ Faits rechargés")
    assert "**Ajoutés**: `test-extra`" in report
    assert "**Modifiés**: `sales-2018`" in report
    assert "réponse modifiée" in report  # evaluation questions of sales-2018 now get the new wording
    assert "Questions d'évaluation : exactitude" in report
    [record] = [r for r in caplog.records if "facts reload by" in r.getMessage()]
    assert str(ctx.author.id) in record.getMessage() and "swapped" in record.getMessage()


async def test_reload_reports_questions_no_longer_answered(cog, bot, settings):
    edit_fact(
        settings.knowledge_dir,
        "leader-uchida",
        questions={
            "fr": ["zorglub frobnique", "frobnique zorglub", "le zorglub"],
            "en": ["zorglub frobnicate", "frobnicate zorglub", "the zorglub"],
        },
        keywords=[],
        answer={"fr": "Zorglub (fr).", "en": "Zorglub (en)."},
    )
    ctx = slash_ctx(bot, locale=discord.Locale.british_english)
    await cog.facts_reload.callback(cog, ctx)
    report = "\n".join(sent_texts(ctx))
    assert report.startswith("✅ Facts reloaded")
    assert "`leader-uchida` → " in report
    assert ("no longer answered" in report) or ("another fact" in report)


async def test_broken_reload_keeps_the_old_answers(cog, bot, settings, caplog):
    old = bot.engine.snapshot
    before = bot.engine.ask(QUESTION)
    path = settings.knowledge_dir / "facts" / "sales.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("topic: sales", "topic: no-such-topic", 1), encoding="utf-8")
    ctx = slash_ctx(bot)
    await cog.facts_reload.callback(cog, ctx)
    assert bot.engine.snapshot is old
    assert bot.engine.ask(QUESTION) == before
    report = "\n".join(sent_texts(ctx))
    assert report.startswith("❌ Rechargement refusé : 1 problème(s)")
    line = line_of(path, "no-such-topic")
    assert f"`knowledge/facts/sales.yaml:{line}`" in report
    assert "unknown topic" in report and "sales" in report
    assert "refused" in caplog.text and str(ctx.author.id) in caplog.text


async def test_fixing_the_sheet_then_reloading_swaps(cog, bot, settings):
    old = bot.engine.snapshot
    path = settings.knowledge_dir / "facts" / "sales.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("topic: sales", "topic: no-such-topic", 1), encoding="utf-8")
    await cog.facts_reload.callback(cog, slash_ctx(bot))
    assert bot.engine.snapshot is old
    path.write_text(good, encoding="utf-8")
    edit_fact(settings.knowledge_dir, "sales-2018", answer={"fr": NEW_ANSWER, "en": "Changed."})
    ctx = slash_ctx(bot)
    await cog.facts_reload.callback(cog, ctx)
    assert bot.engine.snapshot is not old
    assert bot.engine.ask(QUESTION).text == NEW_ANSWER


async def test_unexpected_reload_failure_swaps_nothing_and_is_logged(cog, bot, monkeypatch, caplog):
    def boom(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("cogs.facts.compare_reload", boom)
    old = bot.engine.snapshot
    ctx = slash_ctx(bot)
    with pytest.raises(RuntimeError):
        await cog.facts_reload.callback(cog, ctx)
    assert bot.engine.snapshot is old
    assert "failed, nothing swapped" in caplog.text and str(ctx.author.id) in caplog.text


async def test_broken_reload_with_many_problems_takes_a_few_messages_and_attaches_the_list(cog, bot, settings):
    old = bot.engine.snapshot
    broken = [{"id": f"broken-{i}", "topic": "nope"} for i in range(80)]
    (settings.knowledge_dir / "facts" / "zz_broken.yaml").write_text(yaml.safe_dump({"facts": broken}), "utf-8")
    ctx = slash_ctx(bot)
    await cog.facts_reload.callback(cog, ctx)
    texts = sent_texts(ctx)
    assert 1 < len(texts) <= 3 and all(len(t) <= 2000 for t in texts)
    assert texts[0].startswith("❌ Rechargement refusé : 560 problème(s).")  # 7 a fact, all counted
    assert "broken-79" not in "\n".join(texts)
    more = int(texts[-1].rsplit("… et ", 1)[1].split()[0])
    shown = sum(t.count("\n• ") + t.startswith("• ") for t in texts)
    assert shown + more == 560
    files = [call.kwargs["file"] for call in ctx.send.await_args_list if call.kwargs.get("file")]
    (attached,) = files
    assert attached.filename == "knowledge-problems.txt"
    listing = attached.fp.read().decode()
    assert len(listing.splitlines()) == 560 and "[broken-79]: unknown topic 'nope'" in listing
    assert bot.engine.snapshot is old


async def test_invalid_yaml_is_reported_with_its_line(cog, bot, settings):
    path = settings.knowledge_dir / "facts" / "meeting.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    old = bot.engine.snapshot
    ctx = slash_ctx(bot)
    await cog.facts_reload.callback(cog, ctx)
    assert bot.engine.snapshot is old
    assert "`knowledge/facts/meeting.yaml:" in "\n".join(sent_texts(ctx))


async def test_check_is_a_dry_run(cog, bot, settings):
    old = bot.engine.snapshot
    edit_fact(settings.knowledge_dir, "sales-2018", answer={"fr": NEW_ANSWER, "en": "Changed."})
    ctx = slash_ctx(bot)
    await cog.facts_check.callback(cog, ctx)
    assert bot.engine.snapshot is old
    report = "\n".join(sent_texts(ctx))
    assert report.startswith("✅ Vérification réussie") and "`sales-2018`" in report


async def test_check_lists_problems(cog, bot, settings):
    path = settings.knowledge_dir / "facts" / "sales.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("topic: sales", "topic: nope", 1), "utf-8")
    ctx = slash_ctx(bot)
    await cog.facts_check.callback(cog, ctx)
    assert "\n".join(sent_texts(ctx)).startswith("❌ 1 problème(s)")


async def test_prefix_form_replies_in_the_channel(cog, bot):
    ctx = MockContext(bot=bot, author=moderator())  # no interaction: typed as !facts reload
    await cog.facts_reload.callback(cog, ctx)
    assert sent_texts(ctx)[0].startswith("✅ Faits rechargés : ")  # the server's locale is French


# -- reading ----------------------------------------------------------------------------------


async def test_group_alone_lists_subcommands(cog, bot):
    ctx = slash_ctx(bot)
    await cog.facts.callback(cog, ctx)
    assert "reload" in sent_texts(ctx)[0]


async def test_list_all_and_by_topic(cog, bot):
    kb = bot.engine.snapshot.kb
    ctx = slash_ctx(bot)
    await cog.facts_list.callback(cog, ctx, None)
    listing = "\n".join(sent_texts(ctx))
    assert all(f"`{fact.id}`" in listing for fact in kb.facts)
    ctx = slash_ctx(bot)
    await cog.facts_list.callback(cog, ctx, "sales")
    listing = "\n".join(sent_texts(ctx))
    assert "`sales-2018`" in listing and "`leader-uchida`" not in listing
    ctx = slash_ctx(bot)
    await cog.facts_list.callback(cog, ctx, "nope")
    assert sent_texts(ctx)[0].startswith("Sujet inconnu")


async def test_show_a_fact(cog, bot):
    ctx = slash_ctx(bot)
    await cog.facts_show.callback(cog, ctx, "leader-uchida")
    embed = ctx.send.await_args.kwargs["embed"]
    fact = bot.engine.snapshot.kb.fact("leader-uchida")
    assert embed.title == "leader-uchida"
    assert any(fact.quote in f.value for f in embed.fields)
    assert len(embed) <= 6000 and all(len(f.value) <= 1024 for f in embed.fields)
    assert "facts/leaders.yaml" in embed.footer.text


async def test_show_unknown_fact_suggests_close_ids(cog, bot):
    ctx = slash_ctx(bot)
    await cog.facts_show.callback(cog, ctx, "leader-uchda")
    reply = sent_texts(ctx)[0]
    assert reply.startswith("Aucun fait `leader-uchda`") and "`leader-uchida`" in reply


async def test_autocompletes_stay_within_25(cog, bot):
    interaction = MockInteraction()
    ids = await cog.fact_autocomplete(interaction, "")
    assert 0 < len(ids) <= 25
    first, *_ = await cog.fact_autocomplete(interaction, "uchida")
    assert first.value == "leader-uchida"
    topics = await cog.topic_autocomplete(interaction, "")
    assert {c.value for c in topics} == {t.id for t in bot.engine.snapshot.kb.topics}


async def test_stats_from_the_journal(cog, bot):
    journal = bot.journal
    for number, question in enumerate([QUESTION, QUESTION, "Quelle est la capitale du Pérou ?"]):
        journal.record_question(
            bot.engine.ask(question), ref=number, user_id=10 + number, guild_id=GUILD_ID, channel_id=2, via="slash"
        )
    fact_id = bot.engine.ask(QUESTION).fact.id
    journal.record_feedback(ref=0, fact_id=fact_id, user_id=10, helpful=False)
    ctx = slash_ctx(bot, locale=discord.Locale.american_english)
    await cog.facts_stats.callback(cog, ctx)
    report = "\n".join(sent_texts(ctx))
    assert "**Questions**: 3 (3 members), answered: 2 (67%)" in report
    assert "👎 1" in report
    assert f"• `{fact_id}`: 2" in report
    assert "**Facts reported wrong**:" in report


async def test_stats_without_journal(cog, bot):
    bot.journal = Journal(None)
    ctx = slash_ctx(bot, locale=discord.Locale.american_english)
    await cog.facts_stats.callback(cog, ctx)
    assert "disabled" in sent_texts(ctx)[0]


async def test_stats_with_unreadable_journal(cog, bot, tmp_path):
    bad = tmp_path / "corrupt.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    bot.journal = Journal(str(bad))
    ctx = slash_ctx(bot, locale=discord.Locale.american_english)
    await cog.facts_stats.callback(cog, ctx)
    assert "cannot be read" in sent_texts(ctx)[0]


async def test_unanswered_groups_alike_questions(cog, bot):
    journal = bot.journal
    asked = [
        "Quel est le salaire de Makoto Uchida ?",
        "quel est le salaire de makoto uchida",
        "Quel est le salaire de M. Uchida ?",
        "Combien d'usines Renault a-t-il en Chine ?",
    ]
    for number, question in enumerate(asked):
        reply = Reply(question, "unknown", "fr", "?")
        journal.record_question(reply, ref=number, user_id=1, guild_id=GUILD_ID, channel_id=1, via="dm")
    ctx = slash_ctx(bot)
    await cog.facts_unanswered.callback(cog, ctx)
    report = "\n".join(sent_texts(ctx))
    assert "(2 groupes)" in report
    assert "**×3**" in report and "**×1**" in report


async def test_stats_say_how_much_the_journal_could_not_record(cog, bot):
    bot.journal.unwritten = 3  # as after writes dropped from a full queue, or failed on a locked file
    ctx = slash_ctx(bot, locale=discord.Locale.american_english)
    await cog.facts_stats.callback(cog, ctx)
    assert sent_texts(ctx)[-1].splitlines()[-1] == (
        "⚠️ 3 question(s) or vote(s) could not be journaled since the bot started "
        "(the journal was locked or failing; see the bot's logs)."
    )


async def test_with_shards_a_reload_refuses_files_edited_while_it_read_them(cog, bot, settings, monkeypatch):
    """The others are told to load the digest this process read: files changed meanwhile would make it a lie."""
    from cogs import shards

    digests = iter(["before", "after"])
    monkeypatch.setattr(shards, "digest_function", lambda _bot: lambda: next(digests))
    old = bot.engine.snapshot
    edit_fact(settings.knowledge_dir, "sales-2018", answer={"fr": NEW_ANSWER, "en": "Changed for the test."})
    ctx = slash_ctx(bot)
    await cog.facts_reload.callback(cog, ctx)
    assert bot.engine.snapshot is old
    assert "files changed while they were being read" in "\n".join(sent_texts(ctx))


async def test_with_shards_the_digest_announced_is_the_one_read(cog, bot, settings, monkeypatch):
    from cogs import shards

    announced: list[str | None] = []

    async def announce(_bot, _lang, digest=None):
        announced.append(digest)
        return []

    monkeypatch.setattr(shards, "digest_function", lambda _bot: lambda: "same-digest")
    monkeypatch.setattr(shards, "announce", announce)
    edit_fact(settings.knowledge_dir, "sales-2018", answer={"fr": NEW_ANSWER, "en": "Changed for the test."})
    await cog.facts_reload.callback(cog, slash_ctx(bot))
    assert bot.engine.ask(QUESTION).text == NEW_ANSWER
    assert announced == ["same-digest"]
