"""The Discord front end's bot: a `commands.Bot` (plain or sharded) that loads the cogs, and its run.

`bot.py` imports this module only to connect, so the terminal commands never load discord.py
and aiohttp (half a second of imports). The cogs adapt the engine; this class holds what they
share: the settings, the engine, the journal, and the drain of the replies under way at close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import commands

from engine import Engine, Journal, KnowledgeError, Settings, build_engine, open_journal

log = logging.getLogger("alliance.bot")

#: The cogs, loaded in this order by `setup_hook`.
EXTENSIONS: tuple[str, ...] = ("cogs.errors", "cogs.asking", "cogs.facts", "cogs.sync", "cogs.shards")
#: Seconds `close` lets the replies under way finish (and be journaled) before the connection goes.
DRAIN_SECONDS = 5.0
#: A Discord token's shape: base64url segments joined by dots. Anything else could never log in, and a
#: control character or a space would fail deep in aiohttp, with a traceback, when the header is built.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


def token_problem(token: str) -> str | None:
    """Why `token` cannot be a bot token (never quoting it), or None when it has the right shape."""
    if not token:
        return "DISCORD_TOKEN is not set. Copy .env.example to .env and put the bot's token there."
    if TOKEN_SHAPE.fullmatch(token):
        return None
    return (
        f"DISCORD_TOKEN is not a Discord token ({len(token)} characters; a token holds up to 256 letters, digits, "
        "'-', '_' and '.', no space, quote or control character). Copy it again from the Developer Portal "
        "(your application > Bot > Reset Token) into .env."
    )


def silence_voice_warnings() -> None:
    """The bot never joins a voice channel: discord.py's start-up warnings that PyNaCl and davey (voice
    libraries) are missing would only alarm whoever reads the log."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def intents_for(settings: Settings) -> discord.Intents:
    """The default intents, plus message content only when configured (it is privileged)."""
    intents = discord.Intents.default()
    intents.message_content = settings.message_content
    return intents


if TYPE_CHECKING:
    # The mixin only ever runs as part of a Client (AllianceBot, ShardedAllianceBot): the checker sees it as the
    # plain bot, so `self.user`, `self.tree` and the `super()` calls that reach discord.Client are known.
    _BotBase = commands.Bot
else:
    _BotBase = commands.bot.BotBase


class AllianceBotBase(_BotBase):
    """What the bot adds to discord.py, shared by the plain and the sharded bot."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        journal: Journal | None = None,
        extensions: Iterable[str] = EXTENSIONS,
        **options: Any,
    ) -> None:
        silence_voice_warnings()
        super().__init__(
            command_prefix=commands.when_mentioned_or(settings.prefix),
            intents=intents_for(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.settings = settings
        self.engine = engine if engine is not None else build_engine(settings)
        if journal is None:
            journal = open_journal(settings.journal_target, settings.journal_retention_days)
        self.journal = journal
        self.initial_extensions = tuple(extensions)
        self._busy: set[asyncio.Task[Any]] = set()
        self._draining = False

    async def setup_hook(self) -> None:
        for extension in self.initial_extensions:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("extension %s failed to load; the bot runs without it", extension)
        settings = self.settings
        if not settings.message_content:
            log.warning(
                "Message Content intent off: answering mentions, DMs and slash commands only%s. "
                "Set MESSAGE_CONTENT_INTENT=true (and enable it in the Developer Portal) for the rest.",
                "; answer channels and prefix commands need it (except after an @mention)"
                if settings.answer_channels
                else "; prefix commands work only after an @mention",
            )
        if settings.dev_guild:
            guild = discord.Object(id=settings.dev_guild)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                log.error("could not sync slash commands to DEV_GUILD_ID %s: %s", settings.dev_guild, exc)
            else:
                log.info("synced %d slash command(s) to the development server %s", len(synced), settings.dev_guild)
        else:
            log.info("slash commands are not synced at start: a moderator types %ssync once", settings.prefix)

    async def on_ready(self) -> None:
        user = self.user
        guilds = len(self.guilds)
        log.info("connected as %s (id %s) to %d server(s)", user, getattr(user, "id", "?"), guilds)

    async def on_command_error(self, context: commands.Context[Any], exception: commands.CommandError, /) -> None:
        """discord.py's fallback handler, used when the errors cog is not loaded (as while the bot shuts down).

        "@bot question" is tried as a command first (the prefix includes the mention), so a question that is
        not a command is no error to log.
        """
        if isinstance(exception, commands.CommandNotFound):
            return
        await super().on_command_error(context, exception)

    @contextlib.contextmanager
    def busy(self) -> Iterator[bool]:
        """Around a handler's work (a reply, then its journal entry): yields False once the bot is closing (take
        no new work), else True, and `close` waits for the work under way before closing the connection."""
        task = asyncio.current_task()
        if self._draining or task is None:
            yield not self._draining
            return
        self._busy.add(task)
        try:
            yield True
        finally:
            self._busy.discard(task)

    async def close(self) -> None:
        """Take no new questions and let the replies under way finish (DRAIN_SECONDS at most), then close the
        Discord connection, then the journal once its pending writes are done."""
        self._draining = True
        pending = self._busy - {asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=DRAIN_SECONDS)
        try:
            await super().close()
        finally:
            await self.journal.aclose()


class AllianceBot(AllianceBotBase, commands.Bot):
    """The bot, one connection (enough for up to 2,500 servers)."""


class ShardedAllianceBot(AllianceBotBase, commands.AutoShardedBot):
    """The bot over several shards in one process (SHARDED, SHARD_COUNT, SHARD_IDS)."""


def make_bot(settings: Settings, **kwargs: Any) -> AllianceBot | ShardedAllianceBot:
    """The plain or the sharded bot, as the settings ask."""
    if not settings.sharded:
        return AllianceBot(settings, **kwargs)
    shards: dict[str, Any] = {}
    if settings.shard_count:
        shards["shard_count"] = settings.shard_count
    if settings.shard_ids:
        shards["shard_ids"] = list(settings.shard_ids)
    return ShardedAllianceBot(settings, **shards, **kwargs)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


async def serve(settings: Settings, **kwargs: Any) -> int:
    """Run the bot until it is closed (SIGINT, SIGTERM); the exit status."""
    try:
        bot = make_bot(settings, **kwargs)
    except KnowledgeError as exc:
        return _fail(f"{exc}\nRun `python bot.py check` for the full list.")
    async with bot:
        loop = asyncio.get_running_loop()
        closing: set[asyncio.Task[None]] = set()

        def stop(name: str) -> None:
            log.info("%s received: closing the connection and the journal", name)
            task = loop.create_task(bot.close())
            closing.add(task)
            task.add_done_callback(closing.discard)

        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not on Windows: there Ctrl+C raises KeyboardInterrupt, handled in run_discord.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop, sig.name)
        try:
            await bot.start(settings.token)
        except discord.LoginFailure:
            return _fail(
                "Discord refused DISCORD_TOKEN (invalid token). Copy the token again from the Developer "
                "Portal (your application > Bot > Reset Token) into .env."
            )
        except discord.PrivilegedIntentsRequired:
            return _fail(
                'the "Message Content Intent" is not enabled for this bot. Enable it in the Developer Portal '
                "(your application > Bot > Privileged Gateway Intents), or set MESSAGE_CONTENT_INTENT=false."
            )
        except (aiohttp.ClientError, OSError) as exc:
            return _fail(f"cannot reach Discord ({type(exc).__name__}); check the network and try again.")
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
    return 0


def run_discord(settings: Settings) -> int:
    """Connect to Discord with the settings until closed; the process exit status. Logging is bot.py's."""
    problem = token_problem(settings.token)
    if problem:
        return _fail(problem)
    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0
