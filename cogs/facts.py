"""Moderators and the facts: reload, check, list, show, stats and unanswered questions.

Each command is hybrid (`/facts reload` and `!facts reload`), and the whole cog is
behind one server-side check (`cog_check`), which discord.py runs for both forms.
Replies are ephemeral for slash commands; prefix replies go to the channel typed in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs import limits, reports, shards
from cogs.checks import ensure_moderator_ctx
from cogs.embeds import fact_embed
from cogs.strings import lang_of, text
from engine.answering import Snapshot
from engine.changes import compare
from engine.completion import complete_fact_id
from engine.loader import KnowledgeError

if TYPE_CHECKING:
    from bot import AllianceBot
    from engine.journal import Journal

log = logging.getLogger("alliance.facts")

NO_MENTIONS = discord.AllowedMentions.none()
#: How far back `/facts unanswered` looks.
UNANSWERED_DAYS = 30


def lang_for(ctx: commands.Context[Any]) -> str:
    """The moderator's language: their client's for slash commands, the server's otherwise."""
    locale = ctx.interaction.locale if ctx.interaction else getattr(ctx.guild, "preferred_locale", None)
    return lang_of(locale)


async def send_lines(ctx: commands.Context[Any], lines: list[str]) -> None:
    """Send a report in as many messages as Discord's 2000-character limit needs."""
    for chunk in limits.chunks(lines):
        await ctx.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS)


def _who(ctx: commands.Context[Any]) -> str:
    return f"{ctx.author} ({ctx.author.id}) in guild {ctx.guild.id if ctx.guild else '-'}"


class Facts(commands.Cog):
    """Moderator commands over the knowledge base and the journal."""

    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot
        # One load at a time (reload or check): the engine's Loader keeps what it read to skip it next time.
        self._lock = asyncio.Lock()

    async def cog_check(self, ctx: commands.Context[Any]) -> bool:  # type: ignore[override]
        return ensure_moderator_ctx(ctx, self.bot.settings.moderator_roles)

    @commands.hybrid_group(name="facts", invoke_without_command=True, description="Moderators: manage the facts")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def facts(self, ctx: commands.Context[Any]) -> None:
        """Moderator commands over the facts."""
        await ctx.send(text(lang_for(ctx), "facts_usage"), ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _load(self) -> Snapshot:
        """Read and validate knowledge/ off the event loop, re-reading only the sheets that changed."""
        return await asyncio.to_thread(self.bot.engine.load_next, self.bot.settings.knowledge_dir)

    @facts.command(name="reload", description="Re-read knowledge/, preview the changes and swap them in")
    async def facts_reload(self, ctx: commands.Context[Any]) -> None:
        """Re-read knowledge/, validate it, preview the answers that change, then swap it in."""
        await ctx.defer(ephemeral=True)
        lang = lang_for(ctx)
        engine = self.bot.engine
        async with self._lock:
            old = engine.snapshot
            try:
                new = await self._load()
                report = await asyncio.to_thread(compare, engine, old, new)
            except KnowledgeError as exc:
                log.warning("facts reload by %s: refused, %d problem(s)", _who(ctx), len(exc.problems))
                await send_lines(ctx, reports.problem_lines(lang, exc.problems, applied=True))
                return
            except Exception:
                log.error("facts reload by %s: failed, nothing swapped", _who(ctx))
                raise  # the error handler logs the traceback and answers
            engine.swap(new)
        diff = report.diff
        log.info(
            "facts reload by %s: swapped, %d facts (%d added, %d changed, %d removed), %d answer change(s)",
            _who(ctx),
            report.facts,
            len(diff.added),
            len(diff.changed),
            len(diff.removed),
            len(report.changes),
        )
        lines = reports.reload_lines(lang, report, applied=True)
        lines += await shards.announce(self.bot, lang)  # the other processes (issue 13), none without JOURNAL_URL
        await send_lines(ctx, lines)

    @facts.command(name="check", description="Validate knowledge/ and preview a reload, without swapping")
    async def facts_check(self, ctx: commands.Context[Any]) -> None:
        """The reload's validation and preview, as a dry run: nothing is swapped."""
        await ctx.defer(ephemeral=True)
        lang = lang_for(ctx)
        async with self._lock:
            try:
                new = await self._load()
            except KnowledgeError as exc:
                await send_lines(ctx, reports.problem_lines(lang, exc.problems, applied=False))
                return
            report = await asyncio.to_thread(compare, self.bot.engine, self.bot.engine.snapshot, new)
        await send_lines(ctx, reports.reload_lines(lang, report, applied=False))

    @facts.command(name="list", description="List the facts, optionally of one topic")
    @app_commands.describe(topic="A topic id (see the autocomplete)")
    async def facts_list(self, ctx: commands.Context[Any], topic: str | None = None) -> None:
        """List the facts by topic: id and first question."""
        kb = self.bot.engine.snapshot.kb
        await send_lines(ctx, reports.list_lines(lang_for(ctx), kb, topic))

    @facts_list.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        lang = lang_of(interaction.locale)
        current = current.lower()
        return [
            app_commands.Choice(name=limits.clip(f"{t.id} — {t.labels.get(lang, t.id)}", limits.CHOICE), value=t.id)
            for t in self.bot.engine.snapshot.kb.topics
            if current in t.id or current in t.labels.get(lang, "").lower()
        ][:25]

    @facts.command(name="show", description="Show one fact: quote, questions, answers")
    @app_commands.describe(fact_id="The fact's id (see the autocomplete)")
    async def facts_show(self, ctx: commands.Context[Any], fact_id: str) -> None:
        """Show everything about one fact."""
        lang = lang_for(ctx)
        snapshot = self.bot.engine.snapshot
        fact = snapshot.kb.fact(fact_id.strip())
        if fact is None:
            close = complete_fact_id(snapshot, fact_id, limit=5)
            hint = text(lang, "close", ids=", ".join(f"`{i}`" for i in close)) if close else ""
            reply = text(lang, "unknown_fact", fact_id=limits.clip(fact_id, 100).replace("`", "'"), close=hint)
            await ctx.send(reply, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await ctx.send(embed=fact_embed(fact, snapshot.kb, lang), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @facts_show.autocomplete("fact_id")
    async def fact_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ids = complete_fact_id(self.bot.engine.snapshot, current)
        return [app_commands.Choice(name=i[: limits.CHOICE], value=i[: limits.CHOICE]) for i in ids]

    async def _journal_for(self, ctx: commands.Context[Any], lang: str) -> Journal | None:
        """The journal, after deferring (its thread may be busy with a locked file: answer Discord
        within 3 s first); None, the moderator told, when the journal is turned off."""
        journal = self.bot.journal
        if not journal.enabled:
            await send_lines(ctx, [text(lang, "journal_off")])
            return None
        await ctx.defer(ephemeral=True)
        return journal

    @facts.command(name="stats", description="Questions asked, answered rate, top facts, feedback")
    async def facts_stats(self, ctx: commands.Context[Any]) -> None:
        """Figures from the journal: questions asked, answered rate, top facts, feedback."""
        lang = lang_for(ctx)
        journal = await self._journal_for(ctx, lang)
        if journal is None:
            return
        stats = await journal.run(journal.stats)
        await send_lines(ctx, reports.stats_lines(lang, stats) if stats else [text(lang, "journal_unavailable")])

    @facts.command(name="unanswered", description="Recent questions the bot could not answer, alike ones grouped")
    async def facts_unanswered(self, ctx: commands.Context[Any]) -> None:
        """Recent questions the bot could not answer, grouped when alike: the facts to write next."""
        lang = lang_for(ctx)
        journal = await self._journal_for(ctx, lang)
        if journal is None:
            return
        groups = await journal.run(journal.unanswered, days=UNANSWERED_DAYS)
        if groups is None:
            await send_lines(ctx, [text(lang, "journal_unavailable")])
            return
        await send_lines(ctx, reports.unanswered_lines(lang, groups, UNANSWERED_DAYS))


async def setup(bot: AllianceBot) -> None:
    await bot.add_cog(Facts(bot))
