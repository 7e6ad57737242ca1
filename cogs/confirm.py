"""The confirmation a reload needs when it would remove most of the facts serving.

An emptied sheet or a lost folder validates, and swapping it in would leave members with
a bot that knows nothing: the moderator who asked sees how many facts would go and must
press "Reload anyway"; nothing is swapped otherwise (cancel, or the buttons time out).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

from cogs import limits
from cogs.strings import text

log = logging.getLogger("alliance.facts")

#: Seconds the moderator has to confirm.
TIMEOUT = 120.0
NO_MENTIONS = discord.AllowedMentions.none()


class ConfirmRemoval(discord.ui.View):
    """ "Reload anyway" and "Cancel", for the moderator who ran the reload only."""

    def __init__(
        self, *, lang: str, moderator_id: int, swap: Callable[[], Awaitable[list[str]]], timeout: float = TIMEOUT
    ) -> None:
        super().__init__(timeout=timeout)
        self.lang = lang
        self.moderator_id = moderator_id
        self.swap = swap
        self.message: discord.Message | None = None
        self.confirm.label = text(lang, "removal_confirm")
        self.cancel.label = text(lang, "removal_cancel")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.moderator_id:
            return True
        await interaction.response.send_message(text(self.lang, "removal_not_yours"), ephemeral=True)
        return False

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemoval]) -> None:
        self.stop()
        await interaction.response.edit_message(view=None)
        lines = await self.swap()
        for chunk in limits.chunks(lines):
            await interaction.followup.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemoval]) -> None:
        self.stop()
        await interaction.response.edit_message(content=text(self.lang, "removal_cancelled"), view=None)

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=text(self.lang, "removal_expired"), view=None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[ConfirmRemoval]
    ) -> None:
        log.error("reload confirmation failed", exc_info=error)
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        with contextlib.suppress(discord.HTTPException):
            await send(text(self.lang, "error"), ephemeral=True)
