"""One error handler for slash commands, one for prefix (and hybrid) commands.

Refusals, cooldowns and bad arguments get a short ephemeral reply; anything else is
logged with its traceback and answered with a neutral sentence.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checks import NotAdmin, NotModerator
from cogs.strings import lang_for, lang_of, text

if TYPE_CHECKING:
    from cogs.bot import AllianceBot

log = logging.getLogger("alliance.errors")


def explain(error: BaseException, lang: str, usage: str = "") -> str | None:
    """The short reply for an expected error, or None for a real failure."""
    if isinstance(error, NotAdmin):
        return text(lang, "not_admin")
    if isinstance(error, NotModerator | commands.MissingPermissions | app_commands.MissingPermissions):
        return text(lang, "not_moderator")
    if isinstance(error, commands.NoPrivateMessage | app_commands.NoPrivateMessage):
        return text(lang, "no_dm")
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return text(lang, "cooldown", seconds=max(1, round(error.retry_after)))
    if isinstance(error, commands.UserInputError | app_commands.TransformerError):
        return text(lang, "bad_argument", error=error, usage=usage)
    if isinstance(error, commands.BotMissingPermissions | app_commands.BotMissingPermissions):
        return None  # the bot lacks a permission here: a server setting to fix, logged, not "moderators only"
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        return text(lang, "not_moderator")
    return None


class Errors(commands.Cog):
    """Answers command errors briefly and logs the unexpected ones."""

    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        # The tree's error hook is replaced by assignment (discord.py's documented way for a cog; the other is a
        # CommandTree subclass): the checker refuses assigning to a method.
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        lang = lang_of(interaction.locale)
        original = getattr(error, "original", error)
        reply = explain(original, lang)
        if reply is None:
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("slash command /%s failed", name, exc_info=original)
            reply = text(lang, "error")
        try:
            if interaction.response.is_done():
                await interaction.followup.send(reply, ephemeral=True)
            else:
                await interaction.response.send_message(reply, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not send the error reply for an interaction", exc_info=True)

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context[Any], error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound):
            return  # a mention or a message starting with the prefix that is not a command
        original: BaseException = error
        while isinstance(original, commands.HybridCommandError | commands.CommandInvokeError):
            original = original.original
        if isinstance(original, app_commands.CommandInvokeError):
            original = original.original
        lang = lang_for(ctx)
        usage = f"{ctx.clean_prefix}{ctx.command.qualified_name} {ctx.command.signature}".strip() if ctx.command else ""
        reply = explain(original, lang, usage)
        if reply is None:
            log.error("command %s failed", ctx.command.qualified_name if ctx.command else "?", exc_info=original)
            reply = text(lang, "error")
        try:
            await ctx.send(reply, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not send the error reply in %s", ctx.channel, exc_info=True)


async def setup(bot: AllianceBot) -> None:
    await bot.add_cog(Errors(bot))
