"""A bot many servers share, through the real bot over sockets: each server's moderators read only their own
server's journal, direct messages only the bot's owner, and only the owner and the admin servers' moderators
(ADMIN_GUILD_IDS) may reload the knowledge every server is answered from."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from .fakediscord import FakeDiscord
from .support import UNKNOWN_EN, Cast, answered, ask, journaled, slash, typed

FIRST_GUILD_Q = "Who is the CEO of Volkswagen, asked in the first server?"
DM_Q = "What is the capital of Peru, asked in a private message?"
MANAGE_GUILD = 1 << 5
EMPTY_STATS = [
    "**Questions**: 0 (0 members), answered: 0 (0%), unsure: 0, not covered: 0; smalltalk: 0.",
    "**Feedback**: 👍 0 · 👎 0",
]
NOT_ADMIN = (
    "Reloading, checking and syncing the facts is for the bot's owner and the moderators of its admin servers "
    "(ADMIN_GUILD_IDS): every server shares them. Here: `stats`, `unanswered`, `list` and `show`."
)


#: A reload loads the whole knowledge: on a busy machine it may take longer than the usual 5 s wait.
RELOAD_WAIT = 60.0


async def slow_slash(fake: FakeDiscord, name: str, **push: Any):
    interaction = await fake.push_slash_command(name, **push)
    (message,) = await answered(fake, interaction, timeout=RELOAD_WAIT)
    return message


async def slow_typed(fake: FakeDiscord, command: str, **push: Any):
    mark = fake.mark()
    pushed = await fake.push_message(command, **push)
    return await fake.wait_for_message(channel_id=int(pushed["channel_id"]), since=mark, timeout=RELOAD_WAIT)


@pytest.fixture
def second(fake_discord: FakeDiscord) -> dict[str, Any]:
    """A second server the bot is in, with a moderator of its own (Manage Server there, nothing in the first)."""
    guild = fake_discord.add_guild("Second Guild")
    role = fake_discord.world.add_role(guild, "Mods two", permissions=MANAGE_GUILD)
    moderator = fake_discord.add_user("mod2", guild=guild, roles=[role])
    (channel,) = guild.channels.values()
    return {"guild": guild, "moderator": moderator, "channel": channel}


async def test_each_server_reads_its_own_journal_and_only_the_owner_reads_direct_messages(
    fake_discord: FakeDiscord, launch, cast: Cast, second
) -> None:
    elsewhere = {"author": second["moderator"], "channel": second["channel"]}
    async with launch() as bot:
        await ask(fake_discord, FIRST_GUILD_Q)
        await ask(fake_discord, UNKNOWN_EN, author=cast.helper)
        await ask(fake_discord, DM_Q, dm=True)
        await journaled(fake_discord, bot.journal, 3)

        second_stats = await typed(fake_discord, "!facts stats", **elsewhere)
        second_unanswered = await typed(fake_discord, "!facts unanswered", **elsewhere)
        await typed(fake_discord, "!sync", author=cast.owner, dm=True)  # global commands: /facts in the second
        second_slash = await slash(
            fake_discord, "facts unanswered", user=second["moderator"], channel=second["channel"]
        )
        first_unanswered = await slash(fake_discord, "facts unanswered", user=cast.moderator)
        first_stats = await slash(fake_discord, "facts stats", user=cast.moderator)
        owner_dm = await typed(fake_discord, "!facts unanswered", author=cast.owner, dm=True)
        member_dm = await typed(fake_discord, "!facts unanswered", dm=True)

    assert second_stats.content.splitlines() == EMPTY_STATS
    assert second_unanswered.content == second_slash.content == "No unanswered question in the last 30 days."
    first = first_unanswered.content
    assert first.startswith("Unanswered questions in the last 30 days, alike ones grouped (2 groups):")
    assert f"« {UNKNOWN_EN} »" in first and f"« {FIRST_GUILD_Q} »" in first
    assert "Peru" not in first  # a direct message is no server's
    assert first_stats.content.startswith("**Questions**: 2 (2 members), answered: 0 (0%), unsure: 0, not covered: 2")
    dms = owner_dm.content.splitlines()  # no server, no locale: French
    assert dms[0] == "**Messages privés au bot** (visibles de son propriétaire seul) :"
    assert dms[1].startswith("Questions sans réponse ces 30 derniers jours, regroupées (1 groupes)")
    assert dms[2] == f"• **×1** « {DM_Q} »"
    assert member_dm.content == "Cette commande ne fonctionne que sur un serveur, pas en message privé."


async def test_by_default_only_the_owner_may_reload(fake_discord: FakeDiscord, launch, settings, cast: Cast) -> None:
    async with launch(replace(settings, admin_guilds=frozenset())) as bot:
        serving = bot.engine.snapshot
        refused_slash = await slash(fake_discord, "facts reload", user=cast.moderator)
        refused_typed = await typed(fake_discord, "!facts check", author=cast.helper)
        refused_sync = await typed(fake_discord, "!sync", author=cast.moderator)
        stats = await slash(fake_discord, "facts stats", user=cast.moderator)  # read-only: still theirs
        assert bot.engine.snapshot is serving
        reloaded = await slow_typed(fake_discord, "!facts reload", author=cast.owner, dm=True)
        assert bot.engine.snapshot is not serving

    assert refused_slash.content == refused_typed.content == refused_sync.content == NOT_ADMIN
    assert stats.content.startswith("**Questions**: 0")
    assert reloaded.content.startswith("✅ Faits rechargés")


async def test_a_moderator_outside_the_admin_servers_is_refused_reload(
    fake_discord: FakeDiscord, launch, cast: Cast, second
) -> None:
    async with launch() as bot:  # ADMIN_GUILD_IDS: the first server only
        serving = bot.engine.snapshot
        refused = await typed(fake_discord, "!facts reload", author=second["moderator"], channel=second["channel"])
        assert bot.engine.snapshot is serving
        listed = await typed(fake_discord, "!facts list leaders", author=second["moderator"], channel=second["channel"])
        reloaded = await slow_slash(fake_discord, "facts reload", user=cast.moderator)
        assert bot.engine.snapshot is not serving

    assert refused.content == NOT_ADMIN
    assert "fact(s) (The leaders of the three companies):" in listed.content
    assert reloaded.content.startswith("✅ Facts reloaded:")
