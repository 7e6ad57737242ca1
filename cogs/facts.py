"""Moderators and the facts: reload, check, list, show, stats, unanswered questions and drafts.

Each command is hybrid (`/facts reload` and `!facts reload`), and the whole cog is
behind one server-side check (`cog_check`, moderators and the bot's owner), which
discord.py runs for both forms; `reload` and `check` add the admin check (cogs.checks).
Reports read only the server they are asked in; the owner reads direct messages' in a DM.
Replies are ephemeral for slash commands; prefix replies go to the channel typed in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs import confirm, limits, reports, shards
from cogs.checks import admin_only, ensure_moderator_ctx, guild_id_of
from cogs.completion import complete_fact_id
from cogs.confirm import ConfirmRemoval
from cogs.embeds import fact_embed
from cogs.offloop import OffLoop
from cogs.replies import send_file, send_lines, send_problems
from cogs.strings import lang_for, lang_of, text
from engine import (
    ChangeReport,
    KnowledgeError,
    LoadTimeout,
    Problem,
    Snapshot,
    compare_reload,
    draft_fact,
    draft_offers,
)

if TYPE_CHECKING:
    from cogs.bot import AllianceBot
    from engine import Journal

log = logging.getLogger("alliance.facts")

NO_MENTIONS = discord.AllowedMentions.none()
#: How far back `/facts unanswered` looks.
UNANSWERED_DAYS = 30
#: Seconds a reload or check may take before it is abandoned (the real knowledge takes a few).
LOAD_SECONDS = 60.0
#: Why a reload is refused when the files changed while it read them (the shards must all load the same).
FILES_CHANGED = "files changed while they were being read: nothing was swapped; reload again once the edit is done"


def _who(ctx: commands.Context[Any]) -> str:
    return f"{ctx.author} ({ctx.author.id}) in guild {ctx.guild.id if ctx.guild else '-'}"


class Facts(commands.Cog):
    """Moderator commands over the knowledge base and the journal."""

    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot
        # One load at a time (reload or check): the engine's Loader keeps what it read to skip it next time.
        self._lock = asyncio.Lock()
        # The load's thread: a daemon, so neither an abandoned load nor shutdown waits on it.
        self._worker = OffLoop("knowledge-load")
        self.load_seconds = LOAD_SECONDS

    async def cog_check(self, ctx: commands.Context[Any]) -> bool:
        if await self.bot.is_owner(ctx.author):
            return True  # anywhere, DMs included (where the reports are of direct messages)
        return ensure_moderator_ctx(ctx, self.bot.settings.moderator_roles)

    @commands.hybrid_group(name="facts", invoke_without_command=True, description="Moderators: manage the facts")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def facts(self, ctx: commands.Context[Any]) -> None:
        """Moderator commands over the facts."""
        await ctx.send(text(lang_for(ctx), "facts_usage"), ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _prepare(
        self, ctx: commands.Context[Any], lang: str, *, applied: bool
    ) -> tuple[Snapshot, Snapshot, ChangeReport, str | None] | None:
        """(serving, new, preview, digest): knowledge/ read, validated and compared off the event loop within
        `load_seconds`; None once the moderator has been told why not (problems, time, a load still stopping).

        With shards sharing a database, `digest` is the files' digest, the same before and after the load (files
        edited meanwhile refuse the reload), so the others are told to load exactly what this process read."""
        engine = self.bot.engine
        old = engine.snapshot
        root = self.bot.settings.knowledge_dir
        if self._worker.busy:
            await send_lines(ctx, [text(lang, "load_busy")])
            return None

        action = "reload" if applied else "check"
        seconds = self.load_seconds

        digest_of = shards.digest_function(self.bot)

        def work() -> tuple[Snapshot, ChangeReport, str | None]:
            before = digest_of() if digest_of is not None else None
            new = engine.load_next(root, timeout=seconds)
            if digest_of is not None and digest_of() != before:
                raise KnowledgeError([Problem("knowledge/", None, None, FILES_CHANGED)])
            return new, compare_reload(engine, old, new), before

        log.info("facts %s started by %s: reading knowledge/", action, _who(ctx))
        try:
            new, report, digest = await self._worker.run(work, seconds)
        except (TimeoutError, LoadTimeout):
            log.warning("facts %s by %s: abandoned after %g s", action, _who(ctx), seconds)
            await send_lines(ctx, [text(lang, "load_timeout", seconds=f"{seconds:g}")])
            return None
        except KnowledgeError as exc:
            log.warning("facts %s by %s: refused, %d problem(s)", action, _who(ctx), exc.total)
            await send_problems(ctx, lang, exc, applied=applied)
            return None
        except Exception:
            log.error("facts %s by %s: failed, nothing swapped", action, _who(ctx))
            raise  # the error handler logs the traceback and answers
        return old, new, report, digest

    def _swapped(self, ctx: commands.Context[Any], new: Snapshot, report: ChangeReport) -> None:
        self.bot.engine.swap(new)
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

    @facts.command(name="reload", description="Re-read knowledge/, preview the changes and swap them in")
    @admin_only()
    async def facts_reload(self, ctx: commands.Context[Any]) -> None:
        """Re-read knowledge/, validate it, preview the answers that change, then swap it in (after a
        confirmation when it would remove most of the facts)."""
        await ctx.defer(ephemeral=True)
        lang = lang_for(ctx)
        async with self._lock:
            prepared = await self._prepare(ctx, lang, applied=True)
            if prepared is None:
                return
            old, new, report, digest = prepared
            if not report.removes_most:
                self._swapped(ctx, new, report)
        if report.removes_most:
            await self._confirm_removal(ctx, lang, old, new, report, digest)
            return
        lines = reports.reload_lines(lang, report, applied=True)
        # The other processes (issue 13), none without JOURNAL_URL.
        lines += await shards.announce(self.bot, lang, digest)
        await send_lines(ctx, lines)

    async def _confirm_removal(
        self,
        ctx: commands.Context[Any],
        lang: str,
        old: Snapshot,
        new: Snapshot,
        report: ChangeReport,
        digest: str | None,
    ) -> None:
        """Ask the moderator to confirm a reload that removes most facts; swap only on their click."""
        removed, before = len(report.diff.removed), report.facts_before
        log.warning("facts reload by %s: would remove %d of %d facts, confirmation asked", _who(ctx), removed, before)

        async def swap() -> list[str]:
            async with self._lock:
                if self.bot.engine.snapshot is not old:
                    return [text(lang, "removal_stale")]
                self._swapped(ctx, new, report)
            return reports.reload_lines(lang, report, applied=True) + await shards.announce(self.bot, lang, digest)

        view = ConfirmRemoval(lang=lang, moderator_id=ctx.author.id, swap=swap)
        warning = text(
            lang,
            "removal_warning",
            removed=removed,
            before=before,
            after=report.facts,
            button=text(lang, "removal_confirm"),
            minutes=round(confirm.TIMEOUT / 60),
        )
        view.message = await ctx.send(warning, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @facts.command(name="check", description="Validate knowledge/ and preview a reload, without swapping")
    @admin_only()
    async def facts_check(self, ctx: commands.Context[Any]) -> None:
        """The reload's validation and preview, as a dry run: nothing is swapped."""
        await ctx.defer(ephemeral=True)
        lang = lang_for(ctx)
        async with self._lock:
            prepared = await self._prepare(ctx, lang, applied=False)
        if prepared is None:
            return
        _, _, report, _ = prepared
        lines = reports.reload_lines(lang, report, applied=False)
        if report.removes_most:
            removal = {"removed": len(report.diff.removed), "before": report.facts_before, "after": report.facts}
            lines.insert(1, text(lang, "removal_check", **removal))
        await send_lines(ctx, lines)

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

    @facts.command(name="draft", description="Draft a fact from a question: the article's best passage, as YAML")
    @app_commands.describe(question="The question as members asked it")
    async def facts_draft(self, ctx: commands.Context[Any], *, question: str) -> None:
        """The passages of the sources that best answer the question, and a fact drafted from the best (a file)."""
        from cogs.drafts import draft_lines  # imported here: this command's one addition to the cog's imports

        lang = lang_for(ctx)
        await ctx.defer(ephemeral=True)
        found = await asyncio.to_thread(draft_fact, self.bot.engine.snapshot, [question])
        log.info("facts draft by %s: %s", _who(ctx), found.fact_id or "not covered")
        lines = draft_lines(lang, found)
        if not found.covered:
            await send_lines(ctx, lines)
            return
        await send_file(ctx, limits.clip("\n".join(lines), limits.CONTENT), f"{found.fact_id}.yaml", found.yaml)

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
        scope = guild_id_of(ctx)  # None only for the owner, in a DM: the direct messages' figures
        stats = await journal.run(journal.stats, guild_id=scope)
        if stats is None:
            await send_lines(ctx, [text(lang, "journal_unavailable")])
            return
        await send_lines(ctx, reports.scope_lines(lang, scope) + reports.stats_lines(lang, stats))

    @facts.command(name="unanswered", description="Recent questions the bot could not answer, alike ones grouped")
    async def facts_unanswered(self, ctx: commands.Context[Any]) -> None:
        """Recent questions the bot could not answer, grouped when alike: the facts to write next."""
        lang = lang_for(ctx)
        journal = await self._journal_for(ctx, lang)
        if journal is None:
            return
        scope = guild_id_of(ctx)
        groups = await journal.run(journal.unanswered, guild_id=scope, days=UNANSWERED_DAYS)
        if groups is None:
            await send_lines(ctx, [text(lang, "journal_unavailable")])
            return
        # The drafting offer: each shown group's best passage of the article (engine/knowledge/drafting.py,
        # off the loop).
        shown = [g.text for g in groups[: reports.UNANSWERED_SHOWN]]
        offers = await asyncio.to_thread(draft_offers, self.bot.engine.snapshot, shown) if shown else {}
        await send_lines(
            ctx,
            reports.scope_lines(lang, scope) + reports.unanswered_lines(lang, groups, UNANSWERED_DAYS, offers=offers),
        )


async def setup(bot: AllianceBot) -> None:
    await bot.add_cog(Facts(bot))
