"""Buttons under the bot's replies: "did you mean" suggestions and 👍 / 👎 feedback on answers."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from cogs import limits
from cogs.embeds import answer_embed
from cogs.strings import text
from engine import Reply, Suggestion

if TYPE_CHECKING:
    from cogs.bot import AllianceBot

log = logging.getLogger("alliance.views")

#: Seconds the buttons stay usable; afterwards they are greyed out.
TIMEOUT = 600.0


class ReplyView(discord.ui.View):
    """Buttons that belong to one reply: greyed out when they time out, errors answered politely."""

    def __init__(self, bot: AllianceBot, *, lang: str, ref: int, timeout: float | None = TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.lang = lang
        self.ref = ref
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            # Deleted, or no longer ours to edit: nothing to grey out then.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[ReplyView]
    ) -> None:
        log.error("button %r failed", getattr(item, "custom_id", item), exc_info=error)
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        with contextlib.suppress(discord.HTTPException):
            await send(text(self.lang, "error"), ephemeral=True)


class SuggestionButton(discord.ui.Button["SuggestionView"]):
    def __init__(self, number: int, suggestion: Suggestion) -> None:
        super().__init__(
            style=discord.ButtonStyle.primary,
            label=limits.clip(f"{number}. {suggestion.question}", limits.BUTTON_LABEL),
        )
        self.suggestion = suggestion

    async def callback(self, interaction: discord.Interaction) -> None:
        view = self.view
        assert view is not None
        chosen = self.suggestion
        # The confidence shown is the engine's for this guess, not 100%: the member chose it.
        reply = view.bot.engine.answer_fact(chosen.fact_id, view.lang, chosen.question, score=chosen.score)
        if reply is None or reply.fact is None:
            await interaction.response.send_message(text(view.lang, "fact_gone"), ephemeral=True)
            return
        feedback = FeedbackView(view.bot, lang=reply.lang, ref=view.ref, fact_id=reply.fact.id)
        view.stop()
        await interaction.response.edit_message(content=None, embed=answer_embed(reply), view=feedback)
        feedback.message = interaction.message


class SuggestionView(ReplyView):
    """Up to three "did you mean" buttons; only the asker may press them."""

    def __init__(self, bot: AllianceBot, reply: Reply, *, asker_id: int, ref: int, timeout: float = TIMEOUT) -> None:
        super().__init__(bot, lang=reply.lang, ref=ref, timeout=timeout)
        self.asker_id = asker_id
        for number, suggestion in enumerate(reply.suggestions[:3], 1):
            self.add_item(SuggestionButton(number, suggestion))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.asker_id:
            return True
        await interaction.response.send_message(text(self.lang, "not_asker"), ephemeral=True)
        return False


class FeedbackView(ReplyView):
    """👍 / 👎 under an answer; each member's vote is journaled once (a new vote replaces theirs)."""

    def __init__(self, bot: AllianceBot, *, lang: str, ref: int, fact_id: str, timeout: float = TIMEOUT) -> None:
        super().__init__(bot, lang=lang, ref=ref, timeout=timeout)
        self.fact_id = fact_id
        self.helpful.label = text(lang, "helpful")
        self.wrong.label = text(lang, "wrong")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return not interaction.user.bot

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await self._vote(interaction, helpful=True)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def wrong(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await self._vote(interaction, helpful=False)

    async def _vote(self, interaction: discord.Interaction, *, helpful: bool) -> None:
        with self.bot.busy() as taking:  # a shutdown lets the thanks and the journal entry finish
            if not taking:
                return
            await interaction.response.send_message(
                text(self.lang, "thanks_helpful" if helpful else "thanks_wrong"), ephemeral=True
            )
            journal = self.bot.journal
            await journal.run(
                journal.record_feedback,
                ref=self.ref,
                fact_id=self.fact_id,
                user_id=interaction.user.id,
                helpful=helpful,
            )
