"""Reloads that reach every process of a deployment sharing one PostgreSQL journal (JOURNAL_URL).

On start the cog records the digest this process serves and listens for reloads (on a
thread of its own). `/facts reload` calls `announce` once its snapshot is swapped in; the
other processes reload their own files, swap them in only when they hold the same digest
and pass validation, and record what they did, which `announce` reads back for the
moderator's reply. Without JOURNAL_URL the cog does nothing and `announce` adds no line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from discord.ext import commands

from cogs.embeds import escape
from cogs.strings import sentence
from engine import KnowledgeError

if TYPE_CHECKING:
    from cogs.bot import AllianceBot
    from engine import ReloadSync, ShardState

log = logging.getLogger("alliance.reload")

#: Seconds a reload waits for the other processes to say what they did before the moderator is answered.
ANSWER_WAIT = 10.0
#: Seconds between two readings of the shards table while waiting.
POLL = 0.2

TEXT = {
    "fr": {
        "served": "Shards : {served} sur {total} servent ces faits (empreinte `{digest}`).",
        "refused": "• Refusés par {who} : {why}",
        "silent": "• Sans réponse après {seconds} s : {who}",
        "unavailable": "Shards : la base partagée est injoignable ; les autres processus n'ont pas été prévenus.",
    },
    "en": {
        "served": "Shards: {served} of {total} serve these facts (digest `{digest}`).",
        "refused": "• Refused by {who}: {why}",
        "silent": "• No answer after {seconds} s: {who}",
        "unavailable": "Shards: the shared database cannot be reached; the other processes were not told.",
    },
}


def _text(lang: str, key: str, **values: Any) -> str:
    return sentence(TEXT, lang, key, **values)


def _who(state: ShardState) -> str:
    return escape(f"{state.process} ({state.host}, pid {state.pid})")


class Shards(commands.Cog):
    """Keeps the knowledge of every process the same: reload signals over the shared PostgreSQL."""

    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot
        settings = bot.settings
        shard_ids = settings.shard_ids or (tuple(range(settings.shard_count)) if settings.shard_count else None)
        self.sync: ReloadSync | None = None
        if settings.journal_enabled and settings.journal_url:
            from engine import ReloadSync  # psycopg only for a bot that uses PostgreSQL

            self.sync = ReloadSync(settings.journal_url, shard_ids)
        #: The digest of the knowledge this process serves (None until known).
        self.serving: str | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._own_lock = asyncio.Lock()

    async def cog_load(self) -> None:
        if self.sync is None:
            return
        from engine import knowledge_digest

        self.serving = await asyncio.to_thread(knowledge_digest, self.bot.settings.knowledge_dir)
        try:
            await asyncio.to_thread(self.sync.record, self.serving)
        except Exception as exc:  # the listener logs the outage; this process still answers from its files
            log.warning("could not record this process's knowledge digest: %s: %s", type(exc).__name__, exc)
        loop = asyncio.get_running_loop()

        def heard(digest: str) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed under the listener: the bot is stopping
                loop.call_soon_threadsafe(self._follow_soon, digest)

        self._thread = threading.Thread(target=self.sync.listen, args=(heard,), name="reload-listen", daemon=True)
        self._thread.start()
        log.info("listening for reloads of the other processes (%s, %s)", self.sync.process, self.sync.where)

    async def cog_unload(self) -> None:
        if self.sync is None:
            return
        self.sync.stop()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
        for task in list(self._tasks):
            task.cancel()

    def _lock(self) -> asyncio.Lock:
        """The facts cog's load lock (its Loader is read one load at a time), or one of our own without it."""
        lock = getattr(self.bot.get_cog("Facts"), "_lock", None)
        return lock if isinstance(lock, asyncio.Lock) else self._own_lock

    def _follow_soon(self, digest: str) -> None:
        task = asyncio.get_running_loop().create_task(self.follow(digest))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def follow(self, digest: str) -> None:
        """Another process reloaded to `digest`: reload our files, swap them in only when they are the same
        knowledge and valid, and record what we did."""
        from engine import knowledge_digest

        assert self.sync is not None
        settings = self.bot.settings
        state, detail = "serving", ""
        facts = self.bot.get_cog("Facts")
        worker = getattr(facts, "_worker", None)  # the facts cog's loads: one at a time, within its time limit
        seconds = getattr(facts, "load_seconds", None)
        async with self._lock():
            if digest != self.serving:
                try:
                    files = await asyncio.to_thread(knowledge_digest, settings.knowledge_dir)
                    if files != digest:
                        state, detail = "refused", f"its files differ (digest {files[:12]}), still serving the old"
                    elif worker is not None and worker.busy:
                        state, detail = "refused", "a load given up on is still stopping here; reload again later"
                    else:
                        engine, root = self.bot.engine, settings.knowledge_dir
                        if worker is not None and seconds is not None:
                            new = await worker.run(lambda: engine.load_next(root, timeout=seconds), seconds)
                        else:
                            new = await asyncio.to_thread(engine.load_next, root)
                        engine.swap(new)
                        self.serving = digest
                        log.info("reload announced by another process: swapped, %d facts", len(new.kb.facts))
                except KnowledgeError as exc:
                    first = exc.problems[0] if exc.problems else None
                    where = f"{first.file}:{first.line}: {first.message}" if first else "invalid"
                    state, detail = "refused", f"{len(exc.problems)} problem(s), first {where}"
                except Exception as exc:
                    log.exception("reload announced by another process failed, nothing swapped")
                    state, detail = "refused", f"{type(exc).__name__}: {exc}"
        if state == "refused":
            log.warning("reload announced by another process refused: %s", detail)
        try:
            await asyncio.to_thread(self.sync.record, digest, state, detail)
        except Exception as exc:
            log.warning("could not record the reload's outcome: %s: %s", type(exc).__name__, exc)

    async def announce(self, lang: str, digest: str | None = None) -> list[str]:
        """After this process swapped a reload in: tell the others, wait for them (ANSWER_WAIT at most), and say
        how many shards serve the new knowledge and who refused it, with why. `digest` is the one of the files
        the reload read (see `digest_function`); without it, the files' digest now."""
        if self.sync is None:
            return []
        from engine import answered_all, knowledge_digest, tally

        sync = self.sync
        settings = self.bot.settings
        if digest is None:
            digest = await asyncio.to_thread(knowledge_digest, settings.knowledge_dir)
        self.serving = digest
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WAIT
        try:
            await asyncio.to_thread(sync.announce, digest)
            states = await asyncio.to_thread(sync.states)
            while not answered_all(states, digest, settings.shard_count) and loop.time() < deadline:
                await asyncio.sleep(POLL)
                states = await asyncio.to_thread(sync.states)
        except Exception as exc:
            log.warning("reload not announced to the other processes: %s: %s", type(exc).__name__, exc)
            return [_text(lang, "unavailable")]
        served, total, refused = tally(states, digest, settings.shard_count)
        lines = [_text(lang, "served", served=served, total=total, digest=digest[:12])]
        lines += [_text(lang, "refused", who=_who(s), why=escape(s.detail)) for s in refused]
        silent = [s for s in states if s.digest != digest]
        if silent:
            lines.append(_text(lang, "silent", seconds=round(ANSWER_WAIT), who=", ".join(map(_who, silent))))
        return lines


def _shards(bot: AllianceBot) -> Shards | None:
    # By name, not isinstance: load_extension executes this module afresh, so its class is not the one seen here.
    cog = bot.get_cog("Shards")
    return cast(Shards, cog) if isinstance(cog, commands.Cog) and type(cog).__name__ == "Shards" else None


def digest_function(bot: AllianceBot) -> Callable[[], str] | None:
    """What a reload digests its files with, before and after reading them, when shards share a database
    (None otherwise: a lone process compares nothing)."""
    cog = _shards(bot)
    if cog is None or getattr(cog, "sync", None) is None:
        return None
    from engine import knowledge_digest

    root = bot.settings.knowledge_dir
    return lambda: knowledge_digest(root)


async def announce(bot: AllianceBot, lang: str, digest: str | None = None) -> list[str]:
    """The lines `/facts reload` adds about the other processes (none without a shared database)."""
    cog = _shards(bot)
    if cog is None:
        return []
    return await cog.announce(lang, digest)


async def setup(bot: AllianceBot) -> None:
    await bot.add_cog(Shards(bot))
