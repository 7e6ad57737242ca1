"""Moderators, through the real bot over sockets: `/facts reload` (good and broken sheets), `check`, `list`, `show`,
`stats`, `unanswered` with their autocompletes, and `!sync`; each by a moderator (Manage Server, or a role listed in
MODERATOR_ROLE_IDS), slash and prefix. The refusals for everyone else are in test_hostile.py.
"""

from __future__ import annotations

from cogs.embeds import escape

from .fakediscord import FakeDiscord
from .fakediscord.payloads import FLAG_EPHEMERAL
from .support import (
    ANSWERED_EN,
    NO_PINGS,
    UNKNOWN_EN,
    answered,
    ask,
    buttons,
    edit_fact,
    is_ephemeral,
    journaled,
    pick,
    responses,
    slash,
    text_of,
    typed,
)

#: A whole reload (every sheet, then the preview on both sets) is CPU work: seconds on a busy 2-core machine.
RELOAD_WAIT = 30.0
NEW_EN = "Makoto Uchida runs Nissan (answer reworded for the reload test)."
NEW_FR = "Makoto Uchida dirige Nissan (réponse modifiée pour le test de rechargement)."


async def test_reload_with_a_good_sheet_swaps_and_members_get_the_new_answer(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    async with launch() as bot:
        facts = len(bot.engine.snapshot.kb.facts)
        before = await ask(fake_discord, ANSWERED_EN)
        edit_fact(knowledge_copy, "leader-uchida", answer={"fr": NEW_FR, "en": NEW_EN})

        interaction = await fake_discord.push_slash_command("facts reload", user=cast.moderator)
        (report,) = await answered(fake_discord, interaction, timeout=RELOAD_WAIT)
        after = await ask(fake_discord, ANSWERED_EN)

    assert interaction.response_type == 5 and interaction.response_data["flags"] == FLAG_EPHEMERAL  # deferred
    assert is_ephemeral(report) and report.allowed_mentions == NO_PINGS
    lines = report.content.splitlines()
    assert lines[0] == f"✅ Facts reloaded: {facts} facts (0 added, 1 changed, 0 removed)."
    assert lines[1] == "**Changed**: `leader-uchida`"
    assert lines[2].startswith("Evaluation questions: accuracy ")
    assert before.embeds[0]["description"] != NEW_EN
    assert after.embeds[0]["description"] == escape(NEW_EN)


async def test_reload_with_a_broken_sheet_is_refused_and_members_keep_their_answers(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    async with launch() as bot:
        serving = bot.engine.snapshot
        before = await ask(fake_discord, ANSWERED_EN)
        sheet = knowledge_copy / "facts" / "leaders.yaml"
        sheet.write_text(sheet.read_text(encoding="utf-8").replace("    topic: leaders\n", "    topic: [\n", 1))

        report = await typed(fake_discord, "!facts reload", author=cast.helper)  # a role moderator, prefix form
        after = await ask(fake_discord, ANSWERED_EN)
        assert bot.engine.snapshot is serving

    lines = report.content.splitlines()
    assert lines[0] == "❌ Reload refused: 1 problem(s). Nothing was swapped; members keep the current answers."
    assert lines[1].startswith("• `knowledge/facts/leaders.yaml:") and "YAML error" in lines[1]
    assert report.source == "channel" and report.allowed_mentions == NO_PINGS
    assert after.embeds == before.embeds
    assert [b["label"] for b in buttons(after)] == [b["label"] for b in buttons(before)] == ["Helpful", "Wrong answer"]


async def test_check_previews_without_swapping(fake_discord: FakeDiscord, launch, cast, knowledge_copy) -> None:
    async with launch() as bot:
        serving = bot.engine.snapshot
        edit_fact(knowledge_copy, "leader-uchida", answer={"fr": NEW_FR, "en": NEW_EN})
        checking = await fake_discord.push_slash_command("facts check", user=cast.helper)
        (report,) = await answered(fake_discord, checking, timeout=RELOAD_WAIT)
        after = await ask(fake_discord, ANSWERED_EN)
        assert bot.engine.snapshot is serving

    assert is_ephemeral(report)
    assert report.content.startswith("✅ Check passed, nothing was swapped: ")
    assert "(0 added, 1 changed, 0 removed compared with the set serving now)" in report.content
    assert after.embeds[0]["description"] != escape(NEW_EN)


async def test_list_and_show_with_their_autocompletes(fake_discord: FakeDiscord, launch, cast) -> None:
    mod = {"user": cast.moderator}
    async with launch() as bot:
        kb = bot.engine.snapshot.kb
        everything = await fake_discord.push_slash_command("facts list", **mod)
        listed = await fake_discord.wait_until(  # the list takes more than one message: wait for every id
            lambda: (
                (found := responses(fake_discord, everything))
                and all(f"`{f.id}`" in "".join(m.content for m in found) for f in kb.facts)
                and found
            )
        )
        leaders = await slash(fake_discord, "facts list", {"topic": "leaders"}, **mod)
        unknown_topic = await slash(fake_discord, "facts list", {"topic": "nope"}, **mod)
        shown = await slash(fake_discord, "facts show", {"fact_id": "leader-uchida"}, locale="fr", **mod)
        missing = await slash(fake_discord, "facts show", {"fact_id": "leader-uchid"}, **mod)
        topics = await fake_discord.push_autocomplete("facts list", {"topic": "lea"}, focused="topic", **mod)
        ids = await fake_discord.push_autocomplete("facts show", {"fact_id": "uchi"}, focused="fact_id", **mod)
        await fake_discord.wait_for_response(topics)
        await fake_discord.wait_for_response(ids)

    assert all(is_ephemeral(m) for m in [*listed, leaders, unknown_topic, shown, missing])
    assert all(len(m.content) <= 2000 for m in listed)
    whole = "\n".join(m.content for m in listed)
    assert whole.startswith(f"{len(kb.facts)} fact(s):") and all(f"`{f.id}`" in whole for f in kb.facts)
    in_topic = [f for f in kb.facts if f.topic == "leaders"]
    assert leaders.content.startswith(f"{len(in_topic)} fact(s) (The leaders of the three companies):")
    assert unknown_topic.content.startswith("Unknown topic `nope`. Topics: `meeting`")
    (embed,) = shown.embeds
    assert embed["title"] == "leader-uchida" and embed["footer"]["text"].startswith("Défini dans knowledge/facts/")
    assert [f["name"] for f in embed["fields"]][:3] == ["Sujet", "Source", "Citation"]
    assert missing.content.startswith("No fact `leader-uchid`. Close: `leader-uchida`")
    assert [c["value"] for c in topics.response_data["choices"]] == ["leaders"]
    assert "leader-uchida" in [c["value"] for c in ids.response_data["choices"]]


async def test_stats_and_unanswered_read_the_journal(fake_discord: FakeDiscord, launch, cast) -> None:
    async with launch() as bot:
        unsure = pick(bot.engine, "unsure")
        answer = await ask(fake_discord, ANSWERED_EN)
        await ask(fake_discord, UNKNOWN_EN)
        await ask(fake_discord, "who is the CEO of volkswagen", author=cast.helper)  # alike: grouped
        await ask(fake_discord, unsure, author=cast.helper)
        vote = await fake_discord.push_component(answer, answer.components[0]["components"][1]["custom_id"])
        await answered(fake_discord, vote)
        await journaled(fake_discord, bot.journal, 4)
        await journaled(fake_discord, bot.journal, 1, "record_feedback")

        stats = await slash(fake_discord, "facts stats", user=cast.moderator)
        unanswered = await typed(fake_discord, "!facts unanswered", author=cast.moderator)

    assert is_ephemeral(stats)
    assert stats.content.splitlines() == [
        "**Questions**: 4 (2 members), answered: 1 (25%), unsure: 1, not covered: 2; smalltalk: 0.",
        "**Feedback**: 👍 0 · 👎 1",
        "**Most asked facts**:",
        "• `leader-uchida`: 1 (👍 0 · 👎 1)",
        "**Facts reported wrong**:",
        "• `leader-uchida`: 👎 1 · 👍 0",
    ]
    lines = unanswered.content.splitlines()
    assert lines[0] == "Unanswered questions in the last 30 days, alike ones grouped (2 groups):"
    assert lines[1].startswith("• **×2** « who is the CEO of volkswagen » — « Who is the CEO of Volkswagen? »")
    assert lines[2].startswith("  ↳ ")  # each group's drafting offer (see test_drafting.py)
    assert lines[3] == f"• **×1** « {escape(unsure)} »"


async def test_sync_here_and_globally_then_ask_works_in_direct_messages(
    fake_discord: FakeDiscord, launch, cast
) -> None:
    async with launch():
        here = await typed(fake_discord, "!sync here", author=cast.moderator)
        mark = fake_discord.mark()
        everywhere = await typed(fake_discord, "!sync", author=cast.helper)
        (put,) = fake_discord.requests_to("PUT", "/applications/{app}/commands", since=mark)
        owner_dm = await typed(fake_discord, "!sync", author=cast.owner, dm=True)  # the bot's owner may, anywhere
        reply = await slash(fake_discord, "ask", {"question": ANSWERED_EN}, dm=True)
        await fake_discord.wait_for_request(method="GET", path="/webhooks/{app}/{token}/messages/@original")

    assert here.content == "4 slash command(s) synced to this server."
    assert everywhere.content == "4 slash command(s) synced globally (may take up to an hour to show)."
    assert owner_dm.content.startswith("4 commande(s) slash synchronisée(s) pour tous les serveurs")  # no guild: fr
    assert {c["name"] for c in put.json} == {"ask", "topics", "help", "facts"}
    facts = fake_discord.command("facts")
    assert str(facts["default_member_permissions"]) == "32" and facts["contexts"] == [0]  # Manage Server, guilds only
    assert reply.embeds and "guild_id" not in reply.payload
    assert "Makoto Uchida" in text_of(reply)
