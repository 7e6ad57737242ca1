"""`!sync`: slash commands published on request, by the owner or a moderator of an admin server."""

from __future__ import annotations

from unittest.mock import AsyncMock

import pytest
from discord.ext import commands

from cogs.checks import NotAdmin, NotModerator
from cogs.sync import Sync
from engine.settings import Settings
from tests.helpers import GUILD_ID, MockBot, MockContext, MockGuild, MockMember, MockUser


@pytest.fixture
def cog() -> Sync:
    bot = MockBot()
    bot.is_owner.return_value = False
    bot.tree.sync = AsyncMock(return_value=["ask", "facts"])
    return Sync(bot)


async def test_only_the_owner_or_an_admin_servers_moderators(cog):
    moderator = MockMember(manage_guild=True)
    with pytest.raises(NotAdmin):  # the default: no admin server, a moderator anywhere may not
        await cog.cog_check(MockContext(bot=cog.bot, author=moderator))
    cog.bot.settings = Settings(journal_enabled=False, admin_guilds=frozenset({GUILD_ID}))
    assert await cog.cog_check(MockContext(bot=cog.bot, author=moderator))
    with pytest.raises(NotAdmin):
        await cog.cog_check(MockContext(bot=cog.bot, guild=MockGuild(id=GUILD_ID + 1), author=moderator))
    with pytest.raises(NotModerator):
        await cog.cog_check(MockContext(bot=cog.bot, author=MockMember()))
    cog.bot.is_owner.return_value = True
    assert await cog.cog_check(MockContext(bot=cog.bot, guild=None, author=MockUser()))


async def test_global_sync(cog):
    ctx = MockContext(bot=cog.bot)
    await cog.sync.callback(cog, ctx)
    cog.bot.tree.sync.assert_awaited_once_with()
    assert ctx.send.await_args.args[0].startswith("2 commande(s) slash synchronisée(s) pour tous les serveurs")


async def test_sync_here(cog):
    ctx = MockContext(bot=cog.bot)
    await cog.sync.callback(cog, ctx, "here")
    cog.bot.tree.copy_global_to.assert_called_once_with(guild=ctx.guild)
    cog.bot.tree.sync.assert_awaited_once_with(guild=ctx.guild)
    with pytest.raises(commands.NoPrivateMessage):
        await cog.sync.callback(cog, MockContext(bot=cog.bot, guild=None), "here")
