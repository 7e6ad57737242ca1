"""`!sync`: publish the slash commands to Discord, on request (never at every start).

Discord limits how often commands may be synced, so this is an explicit command of the
bot's owner and of the admin servers' moderators (ADMIN_GUILD_IDS); a development
server can instead be synced at start with DEV_GUILD_ID.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord.ext import commands

from cogs.checks import ensure_admin_ctx
from cogs.strings import lang_for, text

if TYPE_CHECKING:
    from cogs.bot import AllianceBot

log = logging.getLogger("alliance.sync")


class Sync(commands.Cog):
    """Publishes the slash commands when the bot's owner or an admin server's moderator asks."""

    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot

    async def cog_check(self, ctx: commands.Context[Any]) -> bool:
        settings = self.bot.settings
        return await ensure_admin_ctx(ctx, settings.moderator_roles, settings.admin_guilds)

    @commands.command(name="sync")
    async def sync(self, ctx: commands.Context[Any], where: Literal["global", "here"] = "global") -> None:
        """Sync the slash commands: `global` (every server, the default) or `here` (this server, at once)."""
        lang = lang_for(ctx)
        if where == "here":
            if ctx.guild is None:
                raise commands.NoPrivateMessage()
            self.bot.tree.copy_global_to(guild=ctx.guild)
            synced = await self.bot.tree.sync(guild=ctx.guild)
            label = text(lang, "sync_guild")
        else:
            synced = await self.bot.tree.sync()
            label = text(lang, "sync_global")
        log.info("slash commands synced (%s) by %s (%s): %d", where, ctx.author, ctx.author.id, len(synced))
        reply = text(lang, "synced", count=len(synced), where=label)
        await ctx.send(reply, allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: AllianceBot) -> None:
    await bot.add_cog(Sync(bot))
