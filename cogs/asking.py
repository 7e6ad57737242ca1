"""Members asking: mentions, DMs, answer channels and `/ask`; `/topics` (or `/help`) lists what the bot knows.

The engine decides what to say; this cog decides when to speak, turns the reply into an
embed with buttons, keeps floods out and writes the journal after the reply is sent. The
cooldown is checked before the engine is asked, and the engine answers long questions in
a worker thread, so a member flooding the bot costs neither answers nor the event loop's time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs import limits
from cogs.completion import complete_question
from cogs.embeds import answer_embed, escape, topics_embed, unsure_embed
from cogs.flood import RateLimiter, SeenIds
from cogs.strings import lang_for, lang_of, text
from cogs.triggers import looks_like_question, worth_answering_unasked
from cogs.views import FeedbackView, ReplyView, SuggestionView
from engine import Conversations, Reply, clean, message

if TYPE_CHECKING:
    from cogs.bot import AllianceBot

log = logging.getLogger("alliance.asking")

NO_MENTIONS = discord.AllowedMentions.none()
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
#: Message types that carry something a member wrote (not joins, pins, boosts…).
_WRITTEN = (discord.MessageType.default, discord.MessageType.reply)
#: Questions longer than this (in characters) are answered in a worker thread, off the event loop. Shorter
#: ones (every evaluation question: 126 at most) take a few milliseconds and are answered on the loop: a
#: thread holding the GIL would make the loop wait for it at every socket read, a burst of short
#: questions (and a reload beside them) would then answer slower than inline.
LONG_QUESTION = 200
#: One worker thread for long questions: the matcher holds the GIL, a second would not answer faster.
ENGINE_THREADS = 1
#: Seconds a long question may take, queue included, before its asker gets an apology instead (an
#: interaction must be answered within 3 s); the engine bounds its own work far below this.
ASK_BUDGET = 2.0


def strip_mentions(content: str) -> str:
    """The message without user, role, channel and @everyone/@here mentions (the bot's included)."""
    return " ".join(_MENTION.sub(" ", content).split())


def question_text(raw: str) -> str:
    """What the engine is asked, from a message or from `/ask` alike: unpaired surrogates replaced, mentions
    removed (`@everyone` would count as an unknown word and turn an answer into "did you mean")."""
    return strip_mentions(clean(raw))


@dataclass(slots=True)
class Outgoing:
    """One reply as Discord sends it: text or an embed, and buttons."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: ReplyView | None = None

    def kwargs(self) -> dict[str, Any]:
        pairs = (("content", self.content), ("embed", self.embed), ("view", self.view))
        return {key: value for key, value in pairs if value is not None}


class Asking(commands.Cog):
    """Answers members' questions about the Alliance."""

    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot
        settings = bot.settings
        self.limiter = RateLimiter(settings.cooldown_questions, settings.cooldown_seconds)
        self.seen = SeenIds()
        self._threads = ThreadPoolExecutor(ENGINE_THREADS, thread_name_prefix="alliance-ask")
        # Each member's last question in each channel, so "et renault ?" is read with it.
        self.conversations = Conversations()

    async def cog_unload(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    # -- when to speak --------------------------------------------------------------------

    def trigger(self, message: discord.Message) -> str | None:
        """How the message reaches the bot: "dm", "mention", "channel", or None to stay silent."""
        me = self.bot.user
        if message.author.bot or me is None or message.author.id == me.id or message.type not in _WRITTEN:
            return None
        if message.guild is None:
            return "dm"
        if any(user.id == me.id for user in message.mentions):
            return "mention"
        channels = self.bot.settings.answer_channels
        channel = message.channel
        if channel.id in channels or getattr(channel, "parent_id", None) in channels:
            return "channel"
        return None

    async def is_command(self, message: discord.Message) -> bool:
        """A prefix command (or "@bot command"), as discord.py's own parser reads it: the commands extension
        answers those."""
        return (await self.bot.get_context(message)).valid

    # -- what to say ----------------------------------------------------------------------

    def compose(self, reply: Reply, *, asker_id: int, ref: int) -> Outgoing:
        """The reply as an embed with buttons (answer, did-you-mean) or as a short text."""
        if reply.answered and reply.fact is not None:
            feedback = FeedbackView(self.bot, lang=reply.lang, ref=ref, fact_id=reply.fact.id)
            return Outgoing(embed=answer_embed(reply), view=feedback)
        if reply.kind == "unsure" and reply.suggestions:
            suggestions = SuggestionView(self.bot, reply, asker_id=asker_id, ref=ref)
            return Outgoing(embed=unsure_embed(reply), view=suggestions)
        content = reply.text
        if reply.understood:  # a follow-up read with the previous question: say how, even for "not covered"
            content = f"*{escape(message(reply.lang, 'understood'))} « {escape(reply.understood)} »*\n{content}"
        return Outgoing(content=limits.clip(content, limits.CONTENT))

    async def record(self, reply: Reply, **where: Any) -> None:
        """Journal the question; the journal swallows and logs its own failures."""
        journal = self.bot.journal
        await journal.run(journal.record_question, reply, **where)

    def cooldown(self, user_id: int) -> float:
        return self.limiter.hit(user_id)

    async def think(self, question: str, conversation: tuple[int, int | None]) -> Reply | None:
        """The engine's reply, in the context of the member's previous question in that channel
        (`conversation`: member and channel ids, None for DMs); a long question's is worked out in a
        worker thread so the event loop keeps serving everyone else, and is None when it took longer
        than ASK_BUDGET (logged)."""
        engine = self.bot.engine
        if len(question) <= LONG_QUESTION:
            return engine.ask_in(self.conversations, conversation, question)
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._threads, engine.ask_in, self.conversations, conversation, question),
                ASK_BUDGET,
            )
        except TimeoutError:
            log.warning("a question of %d characters took over %ss: apologised instead", len(question), ASK_BUDGET)
            return None

    # -- messages -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        with self.bot.busy() as taking:  # a shutdown lets the reply and its journal entry finish
            if taking:
                await self.answer_message(message)

    async def answer_message(self, message: discord.Message) -> None:
        via = self.trigger(message)
        if via is None or await self.is_command(message) or not self.seen.add(message.id):
            return
        question = question_text(message.content)
        if via == "channel" and (not looks_like_question(question) or self.bot.engine.is_chitchat(question)):
            return  # chit-chat in an answer channel costs nothing, not even a place in the cooldown
        # The cooldown comes before the engine: a member over it costs no answer.
        author = message.author.id
        retry = self.cooldown(author)
        if retry:
            if self.limiter.should_warn(author):
                lang = self.bot.engine.language_of(question)
                await self._reply(message, Outgoing(content=text(lang, "cooldown", seconds=math.ceil(retry))))
            return
        reply = await self.think(question, (author, message.channel.id if message.guild else None))
        if reply is None:
            await self._reply(message, Outgoing(content=text(self.bot.engine.language_of(question), "error")))
            return
        if via == "channel" and not worth_answering_unasked(question, reply):
            return
        out = self.compose(reply, asker_id=author, ref=message.id)
        sent = await self._reply(message, out)
        if out.view is not None and sent is not None:
            out.view.message = sent
        await self.record(
            reply,
            ref=message.id,
            user_id=author,
            guild_id=message.guild.id if message.guild else None,
            channel_id=message.channel.id if message.guild else None,  # a DM channel would identify the member
            via=via,
        )

    async def _reply(self, message: discord.Message, out: Outgoing) -> discord.Message | None:
        """A reply to `message`, or a plain message in its channel when it was deleted meanwhile."""
        reference = message.to_reference(fail_if_not_exists=False)
        try:
            return await message.channel.send(
                **out.kwargs(), reference=reference, mention_author=False, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            log.warning("could not reply in channel %s: %s", message.channel.id, exc)
            return None

    # -- slash commands -------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask about the Renault-Nissan-Mitsubishi Alliance (FR or EN)")
    @app_commands.describe(question="Your question, in French or English / Votre question, en français ou en anglais")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        with self.bot.busy() as taking:
            if taking:
                await self.answer_interaction(interaction, question)

    async def answer_interaction(self, interaction: discord.Interaction, question: str) -> None:
        user = interaction.user
        question = question_text(question)
        retry = self.cooldown(user.id)
        if retry:
            lang = self.bot.engine.language_of(question)
            await interaction.response.send_message(
                text(lang, "cooldown", seconds=math.ceil(retry)), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        reply = await self.think(question, (user.id, interaction.channel_id if interaction.guild_id else None))
        if reply is None:
            lang = self.bot.engine.language_of(question)
            await interaction.response.send_message(text(lang, "error"), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        out = self.compose(reply, asker_id=user.id, ref=interaction.id)
        await interaction.response.send_message(**out.kwargs(), allowed_mentions=NO_MENTIONS)
        if out.view is not None:
            out.view.message = await interaction.original_response()
        await self.record(
            reply,
            ref=interaction.id,
            user_id=user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id if interaction.guild_id else None,
            via="slash",
        )

    @ask.autocomplete("question")
    async def ask_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        questions = complete_question(self.bot.engine.snapshot, current, lang_of(interaction.locale))
        return [
            app_commands.Choice(name=limits.clip(q, limits.CHOICE), value=limits.clip(q, limits.CHOICE))
            for q in questions[:25]
        ]

    @commands.hybrid_command(name="topics", aliases=["help", "sujets"], description="What the bot knows, by topic")
    async def topics(self, ctx: commands.Context[Any]) -> None:
        """List what the bot knows, by topic, with example questions."""
        lang = lang_for(ctx)
        key = ("topics", ctx.author.id)
        retry = self.limiter.hit(key)
        if retry:
            # A slash command must be answered (privately); a typed one gets one warning, then silence.
            if ctx.interaction is not None or self.limiter.should_warn(key):
                refusal = text(lang, "cooldown", seconds=math.ceil(retry))
                await ctx.send(refusal, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        embed = topics_embed(self.bot.engine.snapshot.kb, lang)
        await ctx.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="help", description="What the bot knows, by topic")
    async def help(self, interaction: discord.Interaction) -> None:
        lang = lang_of(interaction.locale)
        retry = self.limiter.hit(("topics", interaction.user.id))
        if retry:
            refusal = text(lang, "cooldown", seconds=math.ceil(retry))
            await interaction.response.send_message(refusal, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        embed = topics_embed(self.bot.engine.snapshot.kb, lang)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: AllianceBot) -> None:
    await bot.add_cog(Asking(bot))
