"""The fake Discord: one aiohttp app on 127.0.0.1 serving the REST API under /api/v10 and the gateway websocket.

Tests drive it through ``FakeDiscord``: push gateway events (messages, slash commands, button clicks), inspect
what the bot sent (``requests``, ``sent_messages``, ``interactions``), inject faults (429s, RECONNECT, dropped
sockets, INVALID_SESSION), and wait on conditions instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import web

from . import limits
from . import payloads as p
from .gateway import Gateway
from .limits import DiscordHTTPError, FormErrors, not_found
from .records import (
    Changes,
    InteractionRecord,
    Mark,
    RecordedFile,
    RecordedRequest,
    SentMessage,
)
from .world import Guild, World

API_PREFIX = "/api/v10"
_RECORD = web.RequestKey("record", RecordedRequest)
T = TypeVar("T")
ClientT = TypeVar("ClientT", bound=discord.Client)

_MESSAGE_FLAGS_KEPT = 4 | 4096 | p.FLAG_IS_COMPONENTS_V2  # suppress embeds, suppress notifications, components v2
_SELECT_TYPES = {3, 5, 6, 7, 8}
_USER_MENTION = re.compile(r"<@!?(\d+)>")
# Which callback types each interaction type accepts: 2 command, 3 component, 4 autocomplete, 5 modal submit.
_CALLBACKS_FOR = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
_ERROR_LOG_LEVEL = logging.ERROR


@dataclass
class _Fault:
    method: str | None
    path: str
    remaining: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class FakeDiscord:
    """A fake Discord for end-to-end tests of discord.py bots over loopback sockets.

    Settings are plain attributes and may be changed at any time: ``interaction_deadline`` (3 s, Discord's),
    ``followup_lifetime`` (15 min), ``gateway_compression`` (zlib-stream when the client asks for it),
    ``heartbeat_interval_ms``, ``echo_own_messages`` (MESSAGE_CREATE for what the bot sends, as Discord does),
    ``allowed_intents`` (privileged intents the application may use), ``recommended_shards`` (GET /gateway/bot).
    """

    def __init__(self, *, token: str = "fake-bot-token", bot_name: str = "faqbot") -> None:
        self.token = token
        self.interaction_deadline = 3.0
        self.followup_lifetime = 15 * 60.0
        self.gateway_compression = True
        self.heartbeat_interval_ms = 41_250
        self.echo_own_messages = True
        self.allowed_intents = p.PRIVILEGED_INTENTS
        self.recommended_shards = 1
        self.application_flags = 0
        self.clock_offset = 0.0

        self.world = World()
        self.owner = self.world.add_user("owner")
        self.bot_user = p.client_user(self.world.new_id(), bot_name)
        self.world.users[int(self.bot_user["id"])] = p.user(int(self.bot_user["id"]), bot_name, bot=True)
        self.application_id = int(self.bot_user["id"])  # as on Discord: the bot user shares the application's id
        self.application = p.application(self.application_id, bot_name, self.owner, self.bot_user)
        self.user = self.world.add_user("alice")
        self.moderator = self.world.add_user("mod")
        self.guild = self.world.add_guild("Test Guild", owner=self.owner)
        self.moderator_role = self.world.add_role(self.guild, "Moderator", permissions=(1 << 5) | (1 << 13))
        self.bot_role = self.world.add_role(
            self.guild, bot_name, managed=True, permissions=p.DEFAULT_EVERYONE_PERMISSIONS
        )
        self.world.add_member(self.guild, self.bot_user, roles=[self.bot_role])
        self.world.add_member(self.guild, self.user)
        self.world.add_member(self.guild, self.moderator, roles=[self.moderator_role])
        self.channel = self.world.add_channel(self.guild, "general")
        self.questions_channel = self.world.add_channel(self.guild, "questions")

        self.requests: list[RecordedRequest] = []
        self.sent_messages: list[SentMessage] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, dict[int, dict[str, Any]]] = {}
        self.forbidden_channels: set[int] = set()
        self.closed_dms: set[int] = set()
        self.gateway = Gateway(self)
        self._faults: list[_Fault] = []
        self._changes = Changes()
        self.logged_errors: list[logging.LogRecord] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- world ------------------------------------------------------------------------------------------------

    @property
    def guilds(self) -> dict[int, Guild]:
        return self.world.guilds

    def add_guild(
        self,
        name: str,
        *,
        channels: Iterable[str] = ("general",),
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild the bot is in (owner: ``self.owner``; members: the bot and ``self.user``), on the shard
        ``(shard_id, shard_count)`` if given. Add it before the client connects, or dispatch GUILD_CREATE yourself."""
        guild = self.world.add_guild(name, owner=self.owner, locale=locale, shard=shard)
        role = self.world.add_role(
            guild, self.bot_user["username"], managed=True, permissions=p.DEFAULT_EVERYONE_PERMISSIONS
        )
        self.world.add_member(guild, self.bot_user, roles=[role])
        self.world.add_member(guild, self.user)
        for channel in channels:
            self.world.add_channel(guild, channel)
        return guild

    def add_user(
        self, username: str, *, bot: bool = False, guild: Guild | None = None, roles: Iterable[Any] = ()
    ) -> dict[str, Any]:
        """A user who is a member of ``guild`` (default: the main guild)."""
        data = self.world.add_user(username, bot=bot)
        self.world.add_member(guild or self.guild, data, roles=roles)
        return data

    def dm_channel(self, user: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.world.dm_channel(user or self.user)

    def forbid_channel(self, channel: Mapping[str, Any]) -> None:
        """The bot lacks access to this channel: sends get 403 Missing Access (code 50001)."""
        self.forbidden_channels.add(int(channel["id"]))

    def close_dms(self, user: Mapping[str, Any]) -> None:
        """The user does not accept DMs: sends to the DM channel get 403 code 50007."""
        self.closed_dms.add(int(user["id"]))

    # --- lifecycle --------------------------------------------------------------------------------------------

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
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, access_log=None)
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

    # --- waiting and records ----------------------------------------------------------------------------------

    def notify(self) -> None:
        self._changes.notify()

    async def wait_until(
        self,
        predicate: Callable[[], T],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        what: str = "condition",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked at every change of the fake's state); return its value."""
        return await self._changes.wait(predicate, timeout, what)

    def mark(self) -> Mark:
        return Mark(
            len(self.requests),
            len(self.sent_messages),
            len(self.gateway.received),
            len(self.gateway.dispatched),
            len(self.gateway.connections),
        )

    def requests_to(
        self, method: str | None, path: str | None = None, *, since: Mark | None = None
    ) -> list[RecordedRequest]:
        """Requests matching ``method`` and a path pattern such as ``/channels/{id}/messages`` (None: any)."""
        start = since.requests if since else 0
        return [r for r in self.requests[start:] if r.matches(method, path)]

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        *,
        method: str | None = None,
        path: str | None = None,
        since: Mark | None = None,
    ) -> RecordedRequest:
        """The first answered request (after ``since``) matching method, path pattern and predicate."""

        def find() -> RecordedRequest | None:
            for req in self.requests_to(method, path, since=since):
                if predicate is None or predicate(req):
                    return req
            return None

        return await self.wait_until(find, timeout=timeout, what=f"request {method or '*'} {path or '*'}")

    async def wait_for_message(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        *,
        channel_id: int | None = None,
        since: Mark | None = None,
    ) -> SentMessage:
        """The first message the bot created (after ``since``) in the channel, matching the predicate."""
        start = since.messages if since else 0

        def find() -> SentMessage | None:
            for msg in self.sent_messages[start:]:
                if (channel_id is None or msg.channel_id == channel_id) and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.wait_until(
            find, timeout=timeout, what=f"a message from the bot in {channel_id or 'any channel'}"
        )

    async def wait_for_response(self, interaction: InteractionRecord, *, timeout: float = 5.0) -> InteractionRecord:  # noqa: ASYNC109 - every wait has a default bound
        """Wait until the bot acknowledged the interaction (any callback type)."""
        return await self.wait_until(
            lambda: interaction if interaction.acknowledged else None,
            timeout=timeout,
            what=f"a response to interaction {interaction.id}",
        )

    async def wait_for_frame(
        self,
        op: int,
        *,
        shard_id: int | None = None,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
    ) -> Any:
        """The first gateway payload with opcode ``op`` the client sent (after ``since``)."""
        start = since.frames if since else 0

        def find() -> Any:
            for frame in self.gateway.received[start:]:
                if frame.op == op and (shard_id is None or frame.shard_id in (None, shard_id)):
                    return frame
            return None

        return await self.wait_until(find, timeout=timeout, what=f"gateway op {op}")

    async def wait_connected(
        self,
        shard_id: int = 0,
        *,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
    ) -> None:
        """Wait until the shard's session has a live websocket (after IDENTIFY or RESUME); with ``since``, one
        opened after the mark, so a connection about to close does not count."""
        first = since.connections if since else 0

        def connected() -> bool:
            session = self.gateway.current.get(shard_id)
            conn = session.connection if session is not None else None
            return conn is not None and not conn.closed and conn.number >= first

        await self.wait_until(connected, timeout=timeout, what=f"shard {shard_id} connected")

    def command(self, name: str, *, guild: Guild | None = None) -> dict[str, Any] | None:
        """A registered slash command by name: the guild's, else the global one."""
        scopes = [guild.id] if guild is not None else []
        for scope in [*scopes, None]:
            for command in self.commands.get(scope, {}).values():
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        return None

    # --- gateway events ---------------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: Any, *, shard_id: int | None = None) -> list[int]:
        """Send any dispatch event (e.g. ``GUILD_MEMBER_ADD``) to the shard that owns it."""
        return await self.gateway.dispatch(event, data, shard_id=shard_id)

    async def reconnect(self, shard_id: int = 0) -> None:
        await self.gateway.reconnect(shard_id)

    def drop(self, shard_id: int = 0) -> None:
        self.gateway.drop(shard_id)

    async def invalidate_session(self, shard_id: int = 0, *, resumable: bool = False) -> None:
        await self.gateway.invalidate_session(shard_id, resumable=resumable)

    async def push_message(
        self,
        content: str = "",
        *,
        author: Mapping[str, Any] | None = None,
        channel: Mapping[str, Any] | None = None,
        dm: bool = False,
        mention_bot: bool = False,
        reference: Mapping[str, Any] | SentMessage | int | None = None,
        embeds: Iterable[Mapping[str, Any]] = (),
        attachments: Iterable[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """A user posts a message: MESSAGE_CREATE in ``channel`` (default #general), or in their DM with the bot.

        ``mention_bot`` prefixes ``<@bot>``; ``<@id>`` mentions in the content fill ``mentions``; ``reference`` makes
        it a reply. Returns the message payload (stored, so the bot can reply to it).
        """
        author = author or self.user
        if dm:
            channel = self.world.dm_channel(author)
        channel = channel or self.channel
        guild = self.world.guild_of(channel)
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}"
        member = guild.member(int(author["id"])) if guild else None
        reference_data, referenced = self._reference(reference, channel)
        payload = p.message(
            message_id=self.world.new_id(),
            channel_id=int(channel["id"]),
            author=author,
            content=content,
            guild_id=guild.id if guild else None,
            member={k: v for k, v in member.items() if k != "user"} if member else None,
            mentions=self._mentioned_users(content, guild),
            mention_roles=[int(r) for r in re.findall(r"<@&(\d+)>", content)],
            mention_everyone="@everyone" in content,
            embeds=embeds,
            attachments=attachments,
            message_type=19 if referenced else 0,
            message_reference=reference_data,
            referenced_message=referenced,
        )
        self._store(payload)
        await self.gateway.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def delete_message(self, message: Mapping[str, Any] | SentMessage | int) -> None:
        """Its author deletes a message: gone at once (a reply that must reference it is refused with 50035, as
        on Discord), then MESSAGE_DELETE."""
        found = self._message(message)
        self.messages.pop(int(found["id"]), None)
        data = {"id": found["id"], "channel_id": found["channel_id"]}
        if found.get("guild_id"):
            data["guild_id"] = found["guild_id"]
        await self.gateway.dispatch("MESSAGE_DELETE", data)

    async def push_reaction(
        self, message: Mapping[str, Any] | SentMessage | int, emoji: str, *, user: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A user adds a unicode ``emoji`` reaction to ``message``: MESSAGE_REACTION_ADD (on_raw_reaction_add)."""
        msg = self._message(message)
        user = user or self.user
        data: dict[str, Any] = {
            "type": 0,
            "user_id": user["id"],
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "message_author_id": msg["author"]["id"],
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "burst_colors": [],
        }
        guild = self.guilds.get(int(msg["guild_id"])) if msg.get("guild_id") else None
        member = guild.member(int(user["id"])) if guild else None
        if guild is not None:
            data["guild_id"] = str(guild.id)
        if member is not None:
            data["member"] = {**member, "user": dict(user)}
        await self.gateway.dispatch("MESSAGE_REACTION_ADD", data)
        return data

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

        The command must be registered (tree.sync or PUT .../commands), as on Discord; option types, choices and
        required options come from its definition. User, channel and role options take ids or payload dicts.
        """
        return await self._push_command(2, name, options or {}, None, user, channel, dm, locale)

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
        return await self._push_command(4, name, options, focused, user, channel, dm, locale)

    async def push_component(
        self,
        message: Mapping[str, Any] | SentMessage | int,
        custom_id: str,
        *,
        values: Iterable[str] | None = None,
        user: Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A user clicks the button (or picks ``values`` in the select) ``custom_id`` on ``message``."""
        msg = self._message(message)
        component = _find_component(msg.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {msg['id']} has no component with custom_id {custom_id!r}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled: Discord does not let users click it")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] in _SELECT_TYPES:
            data["values"] = list(values or [])
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(data["values"]) <= high:
                raise ValueError(f"select {custom_id!r} takes {low}..{high} values")
        channel = self.world.channels[int(msg["channel_id"])]
        return await self._push_interaction(3, data, user or self.user, channel, locale, message=msg)

    async def push_modal_submit(
        self, opened_by: InteractionRecord, values: Mapping[str, Any], *, locale: str = "en-US"
    ) -> InteractionRecord:
        """The user submits the modal the bot opened in answer to ``opened_by``; ``values`` by input custom_id."""
        modal = opened_by.modal
        if modal is None:
            raise ValueError(f"interaction {opened_by.id} was not answered with a modal")
        data = {"custom_id": modal["custom_id"], "components": _submitted_components(modal["components"], values)}
        channel = self.world.channels[opened_by.channel_id]
        user = self.world.users[opened_by.user_id]
        message = opened_by.payload.get("message")
        return await self._push_interaction(5, data, user, channel, locale, message=message)

    def expire(self, interaction: InteractionRecord) -> None:
        """Make the interaction older than the response deadline (its first callback will get 10062)."""
        interaction.sent_at -= self.interaction_deadline + 1.0

    async def wait_until_expired(self, interaction: InteractionRecord) -> None:
        """A timer, not a synchronisation: return once the interaction's response deadline has passed."""
        remaining = interaction.sent_at + self.interaction_deadline - self._now()
        if remaining > 0:
            await asyncio.sleep(remaining + 0.001)

    # --- fault injection --------------------------------------------------------------------------------------

    def inject_rate_limit(
        self,
        method: str | None,
        path: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        scope: str = "user",
    ) -> None:
        """The next ``times`` matching requests get 429 with ``retry_after``, the ``Via`` header and X-RateLimit-*."""
        reset = time.time() + retry_after
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": _bucket(path),
            "X-RateLimit-Scope": "global" if is_global else scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global, "code": 0}
        self._faults.append(_Fault(method and method.upper(), path, times, 429, body, headers))

    def inject_error(
        self, method: str | None, path: str, *, status: int, code: int = 0, message: str = "", times: int = 1
    ) -> None:
        """The next ``times`` matching requests get ``status`` with Discord's JSON error body."""
        body = {"message": message or f"{status}: error", "code": code}
        self._faults.append(_Fault(method and method.upper(), path, times, status, body, {}))

    # --- HTTP plumbing ----------------------------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() + self.clock_offset

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)  # the gateway websocket
        record = await self._read_request(request)
        request[_RECORD] = record
        try:
            response = self._take_fault(record)
            if response is None:
                self._check_auth(record)
                response = await handler(request)
        except DiscordHTTPError as exc:
            response = _json_response(exc.body(), exc.status)
        except web.HTTPMethodNotAllowed:
            response = _json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
        except web.HTTPNotFound:
            response = _json_response({"message": "404: Not Found", "code": 0}, 404)
        resource = request.match_info.route.resource
        record.route = resource.canonical[len(API_PREFIX) :] if resource is not None else None
        record.status = response.status
        body = getattr(response, "body", None)
        if isinstance(body, bytes) and body:
            with contextlib.suppress(ValueError):
                record.response = json.loads(body)
        if response.status != 429 and record.route is not None:
            reset_after = 1.0
            response.headers.update(
                {
                    "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "49",
                    "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                    "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                    "X-RateLimit-Bucket": _bucket(record.route),
                }
            )
        record.index = len(self.requests)
        self.requests.append(record)
        self.notify()
        return response

    async def _read_request(self, request: web.Request) -> RecordedRequest:
        body: Any = None
        files: list[RecordedFile] = []
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part is None or not hasattr(part, "read"):
                    continue
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":
                    body = json.loads(data)
                else:
                    files.append(
                        RecordedFile(part.name or "", part.filename, part.headers.get("Content-Type"), bytes(data))
                    )
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        return RecordedRequest(
            index=-1,
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
        )

    def _take_fault(self, record: RecordedRequest) -> web.Response | None:
        for fault in self._faults:
            if fault.remaining > 0 and record.matches(fault.method, fault.path):
                fault.remaining -= 1
                record.fault = True
                return _json_response(fault.body, fault.status, fault.headers)
        return None

    def _check_auth(self, record: RecordedRequest) -> None:
        if record.path.startswith(("/interactions/", "/webhooks/")) or record.path in ("/gateway",):
            return
        if record.headers.get("Authorization") != f"Bot {self.token}":
            raise DiscordHTTPError(401, 0, "401: Unauthorized")

    def _add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/", self.gateway.handle)
        r.add_get("/resume", self.gateway.handle)
        api = API_PREFIX
        routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/users/@me/guilds", self._get_my_guilds),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("GET", "/channels/{channel_id}/messages", self._get_messages),
            ("POST", "/channels/{channel_id}/messages", self._post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
                self._remove_reaction,
            ),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions", self._clear_reactions),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{application_id}/{token}", self._followup),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self._get_webhook_message),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self._patch_webhook_message),
            ("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", self._delete_webhook_message),
        ]
        for scope in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            routes += [
                ("GET", f"{scope}/commands", self._get_commands),
                ("PUT", f"{scope}/commands", self._put_commands),
                ("POST", f"{scope}/commands", self._post_command),
                ("GET", f"{scope}/commands/{{command_id}}", self._get_command),
                ("PATCH", f"{scope}/commands/{{command_id}}", self._patch_command),
                ("DELETE", f"{scope}/commands/{{command_id}}", self._delete_command),
            ]
        for method, path, handler in routes:
            r.add_route(method, api + path, handler)

    # --- REST: login, users, guilds, channels -----------------------------------------------------------------

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json_response({"url": self.gateway_url.rstrip("/")})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url.rstrip("/"),
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json_response(self.bot_user)

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json_response(self.application)

    async def _get_my_guilds(self, request: web.Request) -> web.Response:
        return _json_response(
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "owner": False,
                    "permissions": str(g.permissions_of(self.application_id)),
                    "features": [],
                }
                for g in self.guilds.values()
            ]
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(_int(request.match_info["user_id"]))
        if user is None:
            raise not_found(limits.UNKNOWN_USER, "Unknown User")
        return _json_response(user)

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = request[_RECORD].json or {}
        user = self.world.users.get(_int(body.get("recipient_id")))
        if user is None:
            errors = FormErrors()
            errors.add(["recipient_id"], "BASE_TYPE_REQUIRED", "Unknown user")
            errors.raise_if_any()
        return _json_response(self.world.dm_channel(user))

    def _guild(self, request: web.Request) -> Guild:
        guild = self.guilds.get(_int(request.match_info["guild_id"]))
        if guild is None:
            raise not_found(limits.UNKNOWN_GUILD, "Unknown Guild")
        return guild

    async def _get_guild(self, request: web.Request) -> web.Response:
        data = self._guild(request).payload(self.application_id)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "member_count",
            "joined_at",
            "large",
        ):
            data.pop(key, None)
        return _json_response(data)

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        return _json_response(list(self._guild(request).channels.values()))

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        return _json_response(list(self._guild(request).roles.values()))

    async def _get_member(self, request: web.Request) -> web.Response:
        member = self._guild(request).member(_int(request.match_info["user_id"]))
        if member is None:
            raise not_found(limits.UNKNOWN_MEMBER, "Unknown Member")
        return _json_response(member)

    def _channel(self, request: web.Request) -> dict[str, Any]:
        channel = self.world.channels.get(_int(request.match_info["channel_id"]))
        if channel is None:
            raise not_found(limits.UNKNOWN_CHANNEL, "Unknown Channel")
        if int(channel["id"]) in self.forbidden_channels:
            raise DiscordHTTPError(403, limits.MISSING_ACCESS, "Missing Access")
        return channel

    def _channel_message(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        channel = self._channel(request)
        message = self.messages.get(_int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != channel["id"]:
            raise not_found(limits.UNKNOWN_MESSAGE, "Unknown Message")
        return channel, message

    async def _get_channel(self, request: web.Request) -> web.Response:
        return _json_response(self._channel(request))

    async def _typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return web.Response(status=204)

    async def _get_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        found = [m for m in self.messages.values() if m["channel_id"] == channel["id"]]
        found.sort(key=lambda m: int(m["id"]), reverse=True)
        if "before" in request.query:
            found = [m for m in found if int(m["id"]) < int(request.query["before"])]
        if "after" in request.query:
            found = [m for m in found if int(m["id"]) > int(request.query["after"])]
        return _json_response(found[: int(request.query.get("limit", 50))])

    async def _get_message(self, request: web.Request) -> web.Response:
        return _json_response(self._channel_message(request)[1])

    async def _post_message(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[_RECORD]
        channel = self._channel(request)
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.closed_dms:
            raise DiscordHTTPError(403, 50007, "Cannot send messages to this user")
        body = record.json or {}
        limits.check_message(body, files=len(record.files))
        self._check_reference(body)
        sent = await self._create_message(channel, body, record.files, source="channel")
        return _json_response(sent.payload)

    async def _patch_message(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[_RECORD]
        _, message = self._channel_message(request)
        if message["author"]["id"] != self.bot_user["id"]:
            raise DiscordHTTPError(
                403, limits.CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        body = record.json or {}
        limits.check_message(body, files=len(record.files), partial=True)
        return _json_response(await self._edit_message(message, body, record.files))

    async def _delete_message(self, request: web.Request) -> web.Response:
        _, message = self._channel_message(request)
        await self._delete(message)
        return web.Response(status=204)

    async def _add_reaction(self, request: web.Request) -> web.Response:
        _, message = self._channel_message(request)
        emoji = request.match_info["emoji"]
        reactions = message.setdefault("reactions", [])
        for reaction in reactions:
            if _emoji_key(reaction["emoji"]) == emoji:
                if not reaction["me"]:
                    reaction["me"] = True
                    reaction["count"] += 1
                    reaction["count_details"]["normal"] += 1
                break
        else:
            reactions.append(
                {
                    "emoji": _parse_emoji(emoji),
                    "count": 1,
                    "me": True,
                    "me_burst": False,
                    "count_details": {"burst": 0, "normal": 1},
                    "burst_colors": [],
                }
            )
        return web.Response(status=204)

    async def _remove_reaction(self, request: web.Request) -> web.Response:
        _, message = self._channel_message(request)
        emoji = request.match_info["emoji"]
        if request.match_info["user_id"] in ("@me", self.bot_user["id"]):
            for reaction in message.get("reactions", []):
                if _emoji_key(reaction["emoji"]) == emoji and reaction["me"]:
                    reaction["me"] = False
                    reaction["count"] -= 1
                    reaction["count_details"]["normal"] -= 1
            message["reactions"] = [r for r in message.get("reactions", []) if r["count"] > 0]
        return web.Response(status=204)

    async def _clear_reactions(self, request: web.Request) -> web.Response:
        _, message = self._channel_message(request)
        message["reactions"] = []
        return web.Response(status=204)

    # --- REST: application commands ---------------------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> int | None:
        if _int(request.match_info["application_id"]) != self.application_id:
            raise DiscordHTTPError(403, limits.MISSING_ACCESS, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild = self.guilds.get(_int(request.match_info["guild_id"]))
        if guild is None:
            raise DiscordHTTPError(403, limits.MISSING_ACCESS, "Missing Access")
        return guild.id

    def _store_command(
        self, scope: int | None, definition: Mapping[str, Any], existing: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        commands = self.commands.setdefault(scope, {})
        command_id = int(existing["id"]) if existing else self.world.new_id()
        version = self.world.new_id()
        data = p.app_command(
            definition, command_id=command_id, application_id=self.application_id, guild_id=scope, version=version
        )
        commands[command_id] = data
        return data

    def _find_stored(self, scope: int | None, definition: Mapping[str, Any]) -> dict[str, Any] | None:
        for command in self.commands.get(scope, {}).values():
            if command["name"] == definition.get("name") and command.get("type", 1) == definition.get("type", 1):
                return command
        return None

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json_response(list(self.commands.get(self._command_scope(request), {}).values()))

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = request[_RECORD].json or []
        limits.check_commands(body)
        previous = {(c["name"], c.get("type", 1)): c for c in self.commands.get(scope, {}).values()}
        self.commands[scope] = {}
        stored = [self._store_command(scope, d, previous.get((d["name"], d.get("type", 1)))) for d in body]
        return _json_response(stored)

    async def _post_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = request[_RECORD].json or {}
        limits.check_command(body)
        existing = self._find_stored(scope, body)
        if existing is None and len(self.commands.get(scope, {})) >= limits.MAX_COMMANDS:
            raise DiscordHTTPError(400, 30032, "Maximum number of application commands reached (100)")
        return _json_response(self._store_command(scope, body, existing), 200 if existing else 201)

    def _stored_command(self, request: web.Request) -> tuple[int | None, dict[str, Any]]:
        scope = self._command_scope(request)
        command = self.commands.get(scope, {}).get(_int(request.match_info["command_id"]))
        if command is None:
            raise not_found(limits.UNKNOWN_APPLICATION_COMMAND, "Unknown application command")
        return scope, command

    async def _get_command(self, request: web.Request) -> web.Response:
        return _json_response(self._stored_command(request)[1])

    async def _patch_command(self, request: web.Request) -> web.Response:
        scope, command = self._stored_command(request)
        definition = {**command, **(request[_RECORD].json or {})}
        limits.check_command(definition)
        return _json_response(self._store_command(scope, definition, command))

    async def _delete_command(self, request: web.Request) -> web.Response:
        scope, command = self._stored_command(request)
        del self.commands[scope][int(command["id"])]
        return web.Response(status=204)

    # --- REST: interactions and follow-ups --------------------------------------------------------------------

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[_RECORD]
        inter = self.interactions.get(_int(request.match_info["interaction_id"]))
        if inter is None:
            raise not_found(limits.UNKNOWN_INTERACTION, "Unknown interaction")
        if request.match_info["token"] != inter.token:
            raise DiscordHTTPError(401, limits.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if inter.acknowledged:
            raise DiscordHTTPError(400, limits.ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        if self._now() - inter.sent_at > self.interaction_deadline:
            raise not_found(limits.UNKNOWN_INTERACTION, "Unknown interaction")
        body = record.json or {}
        rtype = body.get("type")
        data = body.get("data") or {}
        if rtype not in _CALLBACKS_FOR.get(inter.type, set()) or (rtype in (6, 7) and "message" not in inter.payload):
            errors = FormErrors()
            errors.add(
                ["type"],
                "INTERACTION_CALLBACK_TYPE_INVALID",
                f"Callback type {rtype} is not valid for interaction type {inter.type}",
            )
            errors.raise_if_any()
        channel = self.world.channels[inter.channel_id]
        message: SentMessage | dict[str, Any] | None = None
        if rtype == 4:
            limits.check_message(data, files=len(record.files))
            ephemeral = bool((data.get("flags") or 0) & p.FLAG_EPHEMERAL)
            message = await self._create_message(
                channel, data, record.files, source="interaction", interaction=inter, ephemeral=ephemeral
            )
            inter.original_message_id = message.id
        elif rtype == 5:
            ephemeral = bool((data.get("flags") or 0) & p.FLAG_EPHEMERAL)
            message = await self._create_message(
                channel, {"content": ""}, [], source="interaction", interaction=inter, ephemeral=ephemeral, loading=True
            )
            inter.original_message_id = message.id
            inter.deferred_pending = True
        elif rtype == 6:
            inter.original_message_id = int(inter.payload["message"]["id"])
        elif rtype == 7:
            limits.check_message(data, files=len(record.files), partial=True)
            target = self.messages[int(inter.payload["message"]["id"])]
            message = await self._edit_message(target, data, record.files)
            inter.original_message_id = int(target["id"])
        elif rtype == 8:
            limits.check_autocomplete(data)
        elif rtype == 9:
            limits.check_modal(data)
            inter.modal = data
        inter.response_type = rtype
        inter.response = body
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        payload = message.payload if isinstance(message, SentMessage) else message
        flags = (payload or {}).get("flags") or 0
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(flags & p.FLAG_EPHEMERAL),
            },
            "resource": {"type": rtype},
        }
        if payload is not None:
            answer["interaction"]["response_message_id"] = payload["id"]
            answer["resource"]["message"] = payload
        return _json_response(answer)

    def _webhook_interaction(self, request: web.Request) -> InteractionRecord:
        token = request.match_info["token"]
        if _int(request.match_info["application_id"]) != self.application_id:
            raise not_found(limits.UNKNOWN_WEBHOOK, "Unknown Webhook")
        inter = next((i for i in self.interactions.values() if i.token == token), None)
        if inter is None or not inter.acknowledged:
            raise not_found(limits.UNKNOWN_WEBHOOK, "Unknown Webhook")
        if self._now() - inter.sent_at > self.followup_lifetime:
            raise DiscordHTTPError(401, limits.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        return inter

    def _webhook_message(self, request: web.Request, inter: InteractionRecord) -> dict[str, Any]:
        wanted = request.match_info["message_id"]
        message_id = inter.original_message_id if wanted == "@original" else _int(wanted)
        allowed = {inter.original_message_id, *inter.followup_ids}
        if message_id is None or message_id not in allowed or message_id not in self.messages:
            raise not_found(limits.UNKNOWN_MESSAGE, "Unknown Message")
        return self.messages[message_id]

    async def _followup(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[_RECORD]
        inter = self._webhook_interaction(request)
        body = record.json or {}
        limits.check_message(body, files=len(record.files))
        if inter.deferred_pending and inter.original_message_id is not None:
            # The first follow-up after a deferred "thinking" response replaces it, keeping its visibility.
            inter.deferred_pending = False
            target = self.messages[inter.original_message_id]
            payload = await self._edit_message(
                target, {k: v for k, v in body.items() if k != "flags"}, record.files, completing=True
            )
        else:
            channel = self.world.channels[inter.channel_id]
            ephemeral = bool((body.get("flags") or 0) & p.FLAG_EPHEMERAL)
            sent = await self._create_message(
                channel, body, record.files, source="followup", interaction=inter, ephemeral=ephemeral
            )
            inter.followup_ids.append(sent.id)
            payload = sent.payload
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(payload)
        return web.Response(status=204)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        return _json_response(self._webhook_message(request, inter))

    async def _patch_webhook_message(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[_RECORD]
        inter = self._webhook_interaction(request)
        message = self._webhook_message(request, inter)
        body = record.json or {}
        limits.check_message(body, files=len(record.files), partial=True)
        completing = inter.deferred_pending and int(message["id"]) == inter.original_message_id
        if completing:
            inter.deferred_pending = False
        return _json_response(await self._edit_message(message, body, record.files, completing=completing))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_interaction(request)
        await self._delete(self._webhook_message(request, inter))
        return web.Response(status=204)

    # --- messages ---------------------------------------------------------------------------------------------

    def _check_reference(self, body: Mapping[str, Any]) -> None:
        ref = body.get("message_reference")
        if not ref or not ref.get("message_id"):
            return
        if _int(ref["message_id"]) not in self.messages and ref.get("fail_if_not_exists", True):
            errors = FormErrors()
            errors.add(["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
            errors.raise_if_any()

    def _mentioned_users(self, content: str, guild: Guild | None) -> list[dict[str, Any]]:
        found = []
        for user_id in dict.fromkeys(int(u) for u in _USER_MENTION.findall(content or "")):
            user = self.world.users.get(user_id)
            if user is None:
                continue
            member = guild.member(user_id) if guild else None
            entry = dict(user)
            if member is not None:
                entry["member"] = {k: v for k, v in member.items() if k != "user"}
            found.append(entry)
        return found

    def _reference(
        self, reference: Mapping[str, Any] | SentMessage | int | None, channel: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if reference is None:
            return None, None
        target = self._message(reference)
        data = {"type": 0, "message_id": target["id"], "channel_id": target["channel_id"]}
        if target.get("guild_id"):
            data["guild_id"] = target["guild_id"]
        return data, target

    def _message(self, message: Mapping[str, Any] | SentMessage | int) -> dict[str, Any]:
        if isinstance(message, SentMessage):
            message_id = message.id
        elif isinstance(message, Mapping):
            message_id = int(message["id"])
        else:
            message_id = int(message)
        found = self.messages.get(message_id)
        if found is None:
            raise LookupError(f"unknown message {message_id}")
        return found

    def _store(self, payload: dict[str, Any]) -> None:
        self.messages[int(payload["id"])] = payload
        channel = self.world.channels.get(int(payload["channel_id"]))
        if channel is not None:
            channel["last_message_id"] = payload["id"]

    async def _create_message(
        self,
        channel: Mapping[str, Any],
        body: Mapping[str, Any],
        files: list[RecordedFile],
        *,
        source: str,
        interaction: InteractionRecord | None = None,
        ephemeral: bool = False,
        loading: bool = False,
    ) -> SentMessage:
        guild = self.world.guild_of(channel)
        content = body.get("content") or ""
        ref = body.get("message_reference")
        referenced = self.messages.get(_int(ref.get("message_id"))) if ref else None
        allowed = body.get("allowed_mentions")
        pings = limits.pings(content, allowed, is_reply=referenced is not None)
        flags = (body.get("flags") or 0) & _MESSAGE_FLAGS_KEPT
        if ephemeral:
            flags |= p.FLAG_EPHEMERAL
        if loading:
            flags |= p.FLAG_LOADING
        extra: dict[str, Any] = {}
        message_type = 19 if referenced is not None else 0
        if interaction is not None:
            user = self.world.users[interaction.user_id]
            owners = interaction.payload.get("authorizing_integration_owners", {})
            extra = {
                "webhook_id": self.application_id,
                "application_id": self.application_id,
                "interaction_metadata": p.interaction_metadata(interaction.id, interaction.type, user, owners),
            }
            if interaction.type == 2 and source == "interaction":
                message_type = 20
        bot_member = guild.member(self.application_id) if guild else None
        payload = p.message(
            message_id=self.world.new_id(),
            channel_id=int(channel["id"]),
            author=self.world.users[self.application_id],
            content=content,
            guild_id=guild.id if guild else None,
            member={k: v for k, v in bot_member.items() if k != "user"} if bot_member else None,
            mentions=[u for u in self._mentioned_users(content, guild) if int(u["id"]) in pings.users],
            mention_roles=sorted(pings.roles),
            mention_everyone=pings.everyone,
            embeds=[{"type": "rich", **e} for e in body.get("embeds") or []],
            attachments=self._attachments(int(channel["id"]), body, files),
            components=body.get("components") or [],
            flags=flags,
            message_type=message_type,
            tts=bool(body.get("tts")),
            nonce=body.get("nonce"),
            message_reference=({**ref, "type": ref.get("type", 0)} if referenced is not None and ref else None),
            referenced_message=referenced,
            poll=body.get("poll"),
            **extra,
        )
        self._store(payload)
        sent = SentMessage(
            payload=payload,
            body=dict(body),
            source=source,
            pings=pings,
            ephemeral=ephemeral,
            interaction_id=interaction.id if interaction else None,
        )
        self.sent_messages.append(sent)
        self.notify()
        if not ephemeral:
            await self._echo("MESSAGE_CREATE", payload)
        return sent

    def _attachments(self, channel_id: int, body: Mapping[str, Any], files: list[RecordedFile]) -> list[dict[str, Any]]:
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for index, f in enumerate(files):
            data = p.attachment(
                self.world.new_id(), channel_id, f.filename or f"file{index}", len(f.data), f.content_type
            )
            description = described.get(str(index), {}).get("description")
            if description:
                data["description"] = description
            out.append(data)
        return out

    async def _edit_message(
        self, message: dict[str, Any], body: Mapping[str, Any], files: list[RecordedFile], *, completing: bool = False
    ) -> dict[str, Any]:
        if "content" in body:
            message["content"] = body["content"] or ""
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = body["components"] or []
        if "attachments" in body or files:
            kept = {str(a.get("id")) for a in body.get("attachments") or []}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in kept]
            message["attachments"] += self._attachments(int(message["channel_id"]), body, files)
        flags = message.get("flags") or 0
        if "flags" in body:
            flags = (flags & (p.FLAG_EPHEMERAL | p.FLAG_IS_COMPONENTS_V2)) | (
                (body["flags"] or 0) & _MESSAGE_FLAGS_KEPT
            )
        message["flags"] = flags & ~p.FLAG_LOADING
        if not completing:
            message["edited_timestamp"] = p.timestamp()
        sent = next((s for s in self.sent_messages if s.id == int(message["id"])), None)
        if sent is not None:
            sent.edits.append(dict(body))
            if completing:
                sent.body = {**sent.body, **body}
                sent.pings = limits.pings(message["content"], body.get("allowed_mentions"))
        self.notify()
        if not message["flags"] & p.FLAG_EPHEMERAL:
            await self._echo("MESSAGE_UPDATE", message)
        return message

    async def _delete(self, message: dict[str, Any]) -> None:
        self.messages.pop(int(message["id"]), None)
        for sent in self.sent_messages:
            if sent.id == int(message["id"]):
                sent.deleted = True
        self.notify()
        if not (message.get("flags") or 0) & p.FLAG_EPHEMERAL:
            data = {"id": message["id"], "channel_id": message["channel_id"]}
            if message.get("guild_id"):
                data["guild_id"] = message["guild_id"]
            await self._echo("MESSAGE_DELETE", data)

    async def _echo(self, event: str, data: dict[str, Any]) -> None:
        """What the bot did comes back over the gateway, as on Discord (if someone is connected to hear it)."""
        if not self.echo_own_messages:
            return
        with contextlib.suppress(RuntimeError):
            await self.gateway.dispatch(event, data)

    # --- interactions -----------------------------------------------------------------------------------------

    async def _push_command(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any],
        focused: str | None,
        user: Mapping[str, Any] | None,
        channel: Mapping[str, Any] | None,
        dm: bool,
        locale: str,
    ) -> InteractionRecord:
        user = user or self.user
        channel = self.world.dm_channel(user) if dm else (channel or self.channel)
        guild = self.world.guild_of(channel)
        root, *path = name.split()
        command = self.command(root, guild=guild)
        if command is None:
            raise LookupError(
                f"/{root} is not registered{' in ' + guild.name if guild else ''}: sync the command tree first"
            )
        if guild is None and (
            command.get("dm_permission") is False
            or (command.get("contexts") is not None and 1 not in command["contexts"])
        ):
            raise ValueError(f"/{root} is not available in DMs")
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(command.get("options") or [], path, options, focused, guild, resolved)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return await self._push_interaction(itype, data, user, channel, locale)

    def _build_options(
        self,
        definitions: list[dict[str, Any]],
        path: list[str],
        values: Mapping[str, Any],
        focused: str | None,
        guild: Guild | None,
        resolved: dict[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        if path:
            head = next((o for o in definitions if o["name"] == path[0] and o["type"] in (1, 2)), None)
            if head is None:
                raise LookupError(f"no subcommand {path[0]!r}")
            inner = self._build_options(head.get("options") or [], path[1:], values, focused, guild, resolved)
            return [{"type": head["type"], "name": head["name"], "options": inner}]
        known = {o["name"]: o for o in definitions}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; the command has {sorted(known)}")
        if focused is not None and not known.get(focused, {}).get("autocomplete"):
            raise ValueError(f"option {focused!r} has no autocomplete")
        built = []
        for definition in definitions:
            name = definition["name"]
            if name not in values:
                if definition.get("required") and focused is None:
                    raise ValueError(f"required option {name!r} missing")
                continue
            entry: dict[str, Any] = {"name": name, "type": definition["type"]}
            if name == focused:
                entry["value"] = str(values[name])
                entry["focused"] = True
            else:
                entry["value"] = self._option_value(definition, values[name], guild, resolved)
            built.append(entry)
        return built

    def _option_value(
        self, definition: Mapping[str, Any], value: Any, guild: Guild | None, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        otype = definition["type"]
        if otype in (6, 7, 8, 9):
            target_id = int(value["id"]) if isinstance(value, Mapping) else int(value)
            if otype in (6, 9) and target_id in self.world.users:
                user = self.world.users[target_id]
                resolved.setdefault("users", {})[str(target_id)] = user
                member = guild.member(target_id) if guild else None
                if member is not None:
                    perms = guild.permissions_of(target_id) if guild else 0
                    partial = {k: v for k, v in member.items() if k != "user"}
                    resolved.setdefault("members", {})[str(target_id)] = {**partial, "permissions": str(perms)}
                return str(target_id)
            if otype in (8, 9) and guild is not None and target_id in guild.roles:
                resolved.setdefault("roles", {})[str(target_id)] = guild.roles[target_id]
                return str(target_id)
            if otype == 7 and target_id in self.world.channels:
                channel = self.world.channels[target_id]
                perms = guild.permissions_of(self.application_id) if guild else 0
                resolved.setdefault("channels", {})[str(target_id)] = {**channel, "permissions": str(perms)}
                return str(target_id)
            raise LookupError(f"option {definition['name']!r}: unknown id {target_id}")
        if otype == 11:
            raise NotImplementedError("attachment options are not supported by the fake")
        converted = {3: str, 4: int, 5: bool, 10: float}[otype](value)
        choices = definition.get("choices")
        if choices and converted not in [c["value"] for c in choices]:
            raise ValueError(f"option {definition['name']!r}: {converted!r} is not one of its choices")
        return converted

    async def _push_interaction(
        self,
        itype: int,
        data: dict[str, Any],
        user: Mapping[str, Any],
        channel: Mapping[str, Any],
        locale: str,
        *,
        message: Mapping[str, Any] | None = None,
    ) -> InteractionRecord:
        guild = self.world.guild_of(channel)
        user_id = int(user["id"])
        member_data = None
        channel_data = dict(channel)
        app_permissions = p.ALL_PERMISSIONS
        guild_data = None
        if guild is not None:
            member = guild.member(user_id)
            if member is None:
                raise ValueError(f"{user['username']} is not a member of {guild.name}")
            perms = guild.permissions_of(user_id)
            member_data = {**member, "user": dict(user), "permissions": str(perms)}
            channel_data["permissions"] = str(perms)
            app_permissions = guild.permissions_of(self.application_id)
            guild_data = guild.payload(self.application_id)
        token = p.new_token()
        payload = p.interaction(
            interaction_id=self.world.new_id.now(),
            application_id=self.application_id,
            interaction_type=itype,
            token=token,
            data=data,
            channel=channel_data,
            user_data=user,
            guild=guild_data,
            member_data=member_data,
            message_data=message,
            locale=locale,
            app_permissions=app_permissions,
        )
        record = InteractionRecord(
            id=int(payload["id"]),
            token=token,
            type=itype,
            payload=payload,
            channel_id=int(channel["id"]),
            guild_id=guild.id if guild else None,
            user_id=user_id,
            sent_at=self._now(),
        )
        self.interactions[record.id] = record
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record


class _ErrorCollector(logging.Handler):
    def __init__(self, records: list[logging.LogRecord], notify: Callable[[], None]) -> None:
        super().__init__(level=_ERROR_LOG_LEVEL)
        self.records = records
        self._notify = notify

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._notify()

    def text(self) -> str:
        formatter = logging.Formatter("%(name)s: %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _bucket(route: str) -> str:
    return hashlib.sha1(route.encode(), usedforsecurity=False).hexdigest()[:16]


def _parse_emoji(text: str) -> dict[str, Any]:
    if ":" in text:
        name, emoji_id = text.rsplit(":", 1)
        return {"id": emoji_id, "name": name.lstrip("a:") if name.startswith("a:") else name}
    return {"id": None, "name": text}


def _emoji_key(emoji: Mapping[str, Any]) -> str:
    return f"{emoji['name']}:{emoji['id']}" if emoji.get("id") else emoji["name"]


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        found = _find_component(comp.get("components") or [], custom_id)
        if found is None and comp.get("accessory"):
            found = _find_component([comp["accessory"]], custom_id)
        if found is not None:
            return found
    return None


def _submitted_components(components: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the client sends back for a modal: each input's custom_id with the user's value."""

    def answer(comp: Mapping[str, Any]) -> dict[str, Any] | None:
        custom_id = comp.get("custom_id")
        if comp.get("type") == 4:
            return {"type": 4, "custom_id": custom_id, "value": str(values.get(custom_id, comp.get("value") or ""))}
        if comp.get("type") in _SELECT_TYPES:
            return {"type": comp["type"], "custom_id": custom_id, "values": list(values.get(custom_id, []))}
        return None

    out = []
    for comp in components:
        if comp.get("type") == 1:
            inner = [a for a in (answer(c) for c in comp.get("components") or []) if a is not None]
            out.append({"type": 1, "components": inner})
        elif comp.get("type") == 18 and comp.get("component"):
            inner_answer = answer(comp["component"])
            if inner_answer is not None:
                out.append({"type": 18, "component": inner_answer})
    unknown = set(values) - {c.get("custom_id") for c in _walk(components)}
    if unknown:
        raise ValueError(f"the modal has no inputs {sorted(unknown)}")
    return out


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for comp in components:
        yield comp
        yield from _walk(comp.get("components") or [])
        if comp.get("component"):
            yield from _walk([comp["component"]])
