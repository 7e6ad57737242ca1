"""The fake Discord: one aiohttp app on 127.0.0.1 serving the REST API under /api/v10 and the gateway websocket.

``FakeDiscord`` is what a test holds: the default world, the settings, the logs, the client's lifecycle, and the
verbs a test plays (push a message, run a slash command, click a button, inject a fault). The work is done by one
part per concern: ``gateway``, ``messages``, ``commands``, ``interactions``, ``callbacks``, ``login``, ``faults``,
over the plumbing of ``http`` and the rules of ``limits``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import web

from . import login
from . import payloads as p
from .callbacks import InteractionCallbacks
from .commands import CommandRegistry
from .faults import Faults
from .gateway import Gateway
from .http import API_PREFIX, build_app
from .interactions import InteractionPushes
from .messages import MessageRef, MessageStore
from .records import InteractionRecord, RecordedRequest, SentMessage
from .waits import Waits
from .world import Guild, World

ClientT = TypeVar("ClientT", bound=discord.Client)
MANAGE_GUILD_AND_MESSAGES = (1 << 5) | (1 << 13)


class FakeDiscord(Waits):
    """A fake Discord for end-to-end tests of discord.py bots over loopback sockets.

    Settings are plain attributes and may be changed at any time: ``interaction_deadline`` (3 s, Discord's),
    ``allowed_intents`` (privileged intents the application may use), ``recommended_shards`` (GET /gateway/bot).
    """

    def __init__(self, *, token: str = "fake-bot-token", bot_name: str = "faqbot") -> None:
        super().__init__()
        self.token = token
        self.interaction_deadline = 3.0
        self.allowed_intents = p.PRIVILEGED_INTENTS
        self.recommended_shards = 1

        self.world = World()
        self.owner = self.world.add_user("owner")
        self.bot_user = p.client_user(self.world.new_id(), bot_name)
        self.world.users[int(self.bot_user["id"])] = p.user(int(self.bot_user["id"]), bot_name, bot=True)
        self.application_id = int(self.bot_user["id"])  # as on Discord: the bot user shares the application's id
        self.application = p.application(self.application_id, bot_name, self.owner, self.bot_user)
        self.user = self.world.add_user("alice")
        self.moderator = self.world.add_user("mod")
        self.guild = self.world.add_guild("Test Guild", owner=self.owner)
        self.moderator_role = self.world.add_role(self.guild, "Moderator", permissions=MANAGE_GUILD_AND_MESSAGES)
        self._add_bot_and_alice(self.guild)
        self.world.add_member(self.guild, self.moderator, roles=[self.moderator_role])
        self.channel = self.world.add_channel(self.guild, "general")
        self.questions_channel = self.world.add_channel(self.guild, "questions")

        self.requests: list[RecordedRequest] = []
        self.sent_messages: list[SentMessage] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, dict[int, dict[str, Any]]] = {}
        self.logged_errors: list[logging.LogRecord] = []

        self.gateway = Gateway(self)
        self.store = MessageStore(self)
        self.registry = CommandRegistry(self)
        self.pushes = InteractionPushes(self)
        self.callbacks = InteractionCallbacks(self)
        self.faults = Faults()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- world ----------------------------------------------------------------------------------------------------

    @property
    def guilds(self) -> dict[int, Guild]:
        return self.world.guilds

    def add_guild(
        self, name: str, *, channels: Iterable[str] = ("general",), shard: tuple[int, int] | None = None
    ) -> Guild:
        """A guild the bot is in (owner: ``self.owner``; members: the bot and ``self.user``), on the shard
        ``(shard_id, shard_count)`` if given. Add it before the client connects, or dispatch GUILD_CREATE yourself."""
        guild = self.world.add_guild(name, owner=self.owner, shard=shard)
        self._add_bot_and_alice(guild)
        for channel in channels:
            self.world.add_channel(guild, channel)
        return guild

    def _add_bot_and_alice(self, guild: Guild) -> None:
        role = self.world.add_role(
            guild, self.bot_user["username"], managed=True, permissions=p.DEFAULT_EVERYONE_PERMISSIONS
        )
        self.world.add_member(guild, self.bot_user, roles=[role])
        self.world.add_member(guild, self.user)

    def add_user(
        self, username: str, *, bot: bool = False, guild: Guild | None = None, roles: Iterable[Any] = ()
    ) -> dict[str, Any]:
        """A user who is a member of ``guild`` (default: the main guild)."""
        data = self.world.add_user(username, bot=bot)
        self.world.add_member(guild or self.guild, data, roles=roles)
        return data

    def dm_channel(self, user: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.world.dm_channel(user or self.user)

    def command(self, name: str, *, guild: Guild | None = None) -> dict[str, Any] | None:
        """A registered slash command by name: the guild's, else the global one."""
        return self.registry.find(name, guild=guild)

    def now(self) -> float:
        """The clock of interaction deadlines."""
        return time.monotonic()

    # --- lifecycle ------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume"

    async def start(self) -> None:
        routes = [*login.routes(self), *self.store.routes(), *self.registry.routes(), *self.callbacks.routes()]
        self._runner = web.AppRunner(
            build_app(self, routes), handle_signals=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for conn in self.gateway.connections:
            if not conn.closed:
                conn.abort()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this fake; restore them afterwards."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[FakeDiscord]:
        await self.start()
        try:
            with self.patched():
                yield self
        finally:
            await self.stop()

    @contextlib.asynccontextmanager
    async def running(
        self,
        client: ClientT,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        guild_ready_timeout: float | None = 0.1,
        fast_identify: bool = True,
        raise_on_errors: bool = True,
        logger: str = "",
    ) -> AsyncIterator[ClientT]:
        """Log ``client`` in, connect it and wait for on_ready; close it on exit.

        ``guild_ready_timeout`` shortens discord.py's 2 s wait for more GUILD_CREATEs (None leaves the client's own);
        ``fast_identify`` skips the 5 s ``before_identify_hook`` sleep between shards and re-IDENTIFYs (unless the
        client overrides the hook). With ``raise_on_errors``, any record at ERROR or above on ``logger`` (default: the
        root logger, so discord.py's "Ignoring exception in ...", the bot's own error logs and the fake's) fails the
        test on exit. They are in ``logged_errors``: a test that expects an error inspects and clears them.
        """
        self.logged_errors = []
        errors = _ErrorCollector(self.logged_errors, self.notify)
        logging.getLogger(logger).addHandler(errors)
        try:
            if guild_ready_timeout is not None:
                client._connection.guild_ready_timeout = guild_ready_timeout
            if fast_identify and type(client).before_identify_hook is discord.Client.before_identify_hook:

                async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
                    return None

                client.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
            task = await self._connect(client, timeout)
            failed = False
            try:
                yield client
            except BaseException:
                failed = True
                raise
            finally:
                await client.close()
                with contextlib.suppress(discord.ConnectionClosed, asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout)
                if raise_on_errors and errors.records and not failed:
                    raise AssertionError("errors were logged while the client ran:\n" + errors.text())
        finally:
            logging.getLogger(logger).removeHandler(errors)

    async def _connect(self, client: discord.Client, seconds: float) -> asyncio.Task[None]:
        """Login and connect as ``Client.start`` does; return the connection task once on_ready has fired."""
        try:
            await asyncio.wait_for(client.login(self.token), seconds)
        except BaseException:
            await client.close()
            raise
        task = asyncio.create_task(client.connect(), name="fakediscord-client")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        if ready in done:
            return task
        ready.cancel()
        await client.close()
        if task in done:
            task.result()  # raises what stopped the client
            raise RuntimeError("the client stopped before it was ready")
        task.cancel()
        raise TimeoutError(f"client not ready after {seconds}s")

    # --- what a test makes happen ---------------------------------------------------------------------------------

    async def push_message(
        self,
        content: str = "",
        *,
        author: Mapping[str, Any] | None = None,
        channel: Mapping[str, Any] | None = None,
        dm: bool = False,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """A user posts a message: MESSAGE_CREATE in ``channel`` (default #general), or in their DM with the bot.

        ``mention_bot`` prefixes ``<@bot>``; ``<@id>`` mentions in the content fill ``mentions``. Returns the message
        payload (stored, so the bot can reply to it).
        """
        return await self.store.push(content, author=author, channel=channel, dm=dm, mention_bot=mention_bot)

    async def delete_message(self, message: MessageRef) -> None:
        """Its author deletes a message: gone at once (a reply that must reference it is refused with 50035, as
        on Discord), then MESSAGE_DELETE."""
        await self.store.delete(message)

    async def push_slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Mapping[str, Any] | None = None,
        channel: Mapping[str, Any] | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A user runs ``/name`` (``"group sub"`` for subcommands) with ``options`` by name.

        The command must be registered (tree.sync), as on Discord; option types and required options come from its
        definition.
        """
        push = self.pushes.command
        return await push(name, options or {}, focused=None, user=user, channel=channel, dm=dm, locale=locale)

    async def push_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        focused: str,
        user: Mapping[str, Any] | None = None,
        channel: Mapping[str, Any] | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A user types in the ``focused`` option (which must have autocomplete): INTERACTION_CREATE type 4."""
        push = self.pushes.command
        return await push(name, options, focused=focused, user=user, channel=channel, dm=dm, locale=locale)

    async def push_component(
        self, message: MessageRef, custom_id: str, *, user: Mapping[str, Any] | None = None, locale: str = "en-US"
    ) -> InteractionRecord:
        """A user clicks the button ``custom_id`` on ``message``."""
        return await self.pushes.component(message, custom_id, user=user, locale=locale)

    def expire(self, interaction: InteractionRecord) -> None:
        """Make the interaction older than the response deadline (its first callback will get 10062)."""
        interaction.sent_at -= self.interaction_deadline + 1.0

    async def dispatch(self, event: str, data: Any, *, shard_id: int | None = None) -> list[int]:
        """Send any dispatch event (e.g. ``GUILD_MEMBER_ADD``) to the shard that owns it."""
        return await self.gateway.dispatch(event, data, shard_id=shard_id)

    async def reconnect(self, shard_id: int = 0) -> None:
        await self.gateway.reconnect(shard_id)

    def drop(self, shard_id: int = 0) -> None:
        self.gateway.drop(shard_id)

    async def invalidate_session(self, shard_id: int = 0, *, resumable: bool = False) -> None:
        await self.gateway.invalidate_session(shard_id, resumable=resumable)

    def inject_rate_limit(self, method: str | None, path: str, *, times: int = 1, retry_after: float = 0.05) -> None:
        """The next ``times`` requests matching ``method`` and the path pattern get 429, which discord.py retries."""
        self.faults.rate_limit(method, path, times=times, retry_after=retry_after)


class _ErrorCollector(logging.Handler):
    def __init__(self, records: list[logging.LogRecord], notify: Callable[[], None]) -> None:
        super().__init__(level=logging.ERROR)
        self.records = records
        self._notify = notify

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._notify()

    def text(self) -> str:
        formatter = logging.Formatter("%(name)s: %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)
