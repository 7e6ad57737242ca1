"""Messages: what users post (pushed as MESSAGE_CREATE), what the bot creates and edits (stored, recorded as
``SentMessage`` and echoed back over the gateway, as Discord does), and the channel-message REST routes.

The bot only creates messages and edits its own; it never fetches, deletes, reacts or types, so those routes are
absent and answer 404 (recorded, so a new need shows up in ``fake.requests``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from . import payloads as p
from .http import Route, as_int, json_response
from .limits import DiscordHTTPError, FormErrors, not_found
from .records import InteractionRecord, RecordedFile, RecordedRequest, SentMessage
from .world import Guild

if TYPE_CHECKING:
    from .server import FakeDiscord

MessageRef = Mapping[str, Any] | SentMessage | int
_FLAGS_KEPT = 4 | 4096  # suppress embeds, suppress notifications: the flags a sender may set
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class MessageStore:
    """Every known message by id (``fake.messages``) and what the bot created (``fake.sent_messages``)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    # --- what users do --------------------------------------------------------------------------------------------

    async def push(
        self,
        content: str,
        *,
        author: Mapping[str, Any] | None,
        channel: Mapping[str, Any] | None,
        dm: bool,
        mention_bot: bool,
    ) -> dict[str, Any]:
        fake = self.fake
        author = author or fake.user
        if dm:
            channel = fake.world.dm_channel(author)
        channel = channel or fake.channel
        guild = fake.world.guild_of(channel)
        if mention_bot:
            content = f"<@{fake.bot_user['id']}> {content}"
        member = guild.member(int(author["id"])) if guild else None
        payload = p.message(
            message_id=fake.world.new_id(),
            channel_id=int(channel["id"]),
            author=author,
            content=content,
            guild_id=guild.id if guild else None,
            member=p.partial_member(member) if member else None,
            mentions=self._mentioned_users(content, guild),
            mention_roles=[int(r) for r in _ROLE_MENTION.findall(content)],
            mention_everyone="@everyone" in content,
        )
        self._store(payload)
        await fake.gateway.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def delete(self, message: MessageRef) -> None:
        found = self.find(message)
        self.fake.messages.pop(int(found["id"]), None)
        data = {"id": found["id"], "channel_id": found["channel_id"]}
        if found.get("guild_id"):
            data["guild_id"] = found["guild_id"]
        await self.fake.gateway.dispatch("MESSAGE_DELETE", data)

    def find(self, message: MessageRef) -> dict[str, Any]:
        if isinstance(message, SentMessage):
            message_id = message.id
        elif isinstance(message, Mapping):
            message_id = int(message["id"])
        else:
            message_id = int(message)
        found = self.fake.messages.get(message_id)
        if found is None:
            raise LookupError(f"unknown message {message_id}")
        return found

    # --- what the bot does ----------------------------------------------------------------------------------------

    async def create(
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
        """Store a message the bot created and echo it (unless ephemeral) as MESSAGE_CREATE."""
        fake = self.fake
        guild = fake.world.guild_of(channel)
        content = body.get("content") or ""
        ref = body.get("message_reference")
        referenced = fake.messages.get(as_int(ref.get("message_id"))) if ref else None
        pings = limits.pings(content, body.get("allowed_mentions"), is_reply=referenced is not None)
        flags = (body.get("flags") or 0) & _FLAGS_KEPT
        flags |= (p.FLAG_EPHEMERAL if ephemeral else 0) | (p.FLAG_LOADING if loading else 0)
        extra: dict[str, Any] = {}
        message_type = 19 if referenced is not None else 0
        if interaction is not None:
            user = fake.world.users[interaction.user_id]
            owners = interaction.payload.get("authorizing_integration_owners", {})
            metadata = {"id": str(interaction.id), "type": interaction.type, "user": dict(user)}
            extra = {
                "webhook_id": fake.application_id,
                "application_id": fake.application_id,
                "interaction_metadata": {**metadata, "authorizing_integration_owners": dict(owners)},
            }
            if interaction.type == 2 and source == "interaction":
                message_type = 20
        bot_member = guild.member(fake.application_id) if guild else None
        payload = p.message(
            message_id=fake.world.new_id(),
            channel_id=int(channel["id"]),
            author=fake.world.users[fake.application_id],
            content=content,
            guild_id=guild.id if guild else None,
            member=p.partial_member(bot_member) if bot_member else None,
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
        fake.sent_messages.append(sent)
        fake.notify()
        if not ephemeral:
            await self._echo("MESSAGE_CREATE", payload)
        return sent

    async def edit(
        self, message: dict[str, Any], body: Mapping[str, Any], files: list[RecordedFile], *, completing: bool = False
    ) -> dict[str, Any]:
        """Apply an edit; ``completing`` fills in a deferred "thinking" message (not an edit in Discord's eyes)."""
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
            flags = (flags & p.FLAG_EPHEMERAL) | ((body["flags"] or 0) & _FLAGS_KEPT)
        message["flags"] = flags & ~p.FLAG_LOADING
        if not completing:
            message["edited_timestamp"] = p.timestamp()
        sent = next((s for s in self.fake.sent_messages if s.id == int(message["id"])), None)
        if sent is not None:
            sent.edits.append(dict(body))
            if completing:
                sent.body = {**sent.body, **body}
                sent.pings = limits.pings(message["content"], body.get("allowed_mentions"))
        self.fake.notify()
        if not message["flags"] & p.FLAG_EPHEMERAL:
            await self._echo("MESSAGE_UPDATE", message)
        return message

    # --- REST -----------------------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            ("POST", "/channels/{channel_id}/messages", self._post),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch),
        ]

    async def _post(self, request: web.Request, record: RecordedRequest) -> web.Response:
        channel = self._channel(request)
        body = record.json or {}
        limits.check_message(body, files=len(record.files))
        self._check_reference(body)
        sent = await self.create(channel, body, record.files, source="channel")
        return json_response(sent.payload)

    async def _patch(self, request: web.Request, record: RecordedRequest) -> web.Response:
        channel = self._channel(request)
        message = self.fake.messages.get(as_int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != channel["id"]:
            raise not_found(limits.UNKNOWN_MESSAGE, "Unknown Message")
        if message["author"]["id"] != self.fake.bot_user["id"]:
            raise DiscordHTTPError(
                403, limits.CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        body = record.json or {}
        limits.check_message(body, files=len(record.files), partial=True)
        return json_response(await self.edit(message, body, record.files))

    def _channel(self, request: web.Request) -> dict[str, Any]:
        channel = self.fake.world.channels.get(as_int(request.match_info["channel_id"]))
        if channel is None:
            raise not_found(limits.UNKNOWN_CHANNEL, "Unknown Channel")
        return channel

    def _check_reference(self, body: Mapping[str, Any]) -> None:
        """A reply must reference a message that still exists, unless it says ``fail_if_not_exists: false``."""
        ref = body.get("message_reference")
        if not ref or not ref.get("message_id"):
            return
        if as_int(ref["message_id"]) not in self.fake.messages and ref.get("fail_if_not_exists", True):
            errors = FormErrors()
            errors.add(["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
            errors.raise_if_any()

    # --- helpers --------------------------------------------------------------------------------------------------

    async def _echo(self, event: str, data: dict[str, Any]) -> None:
        """What the bot did comes back over the gateway, as on Discord (if someone is connected to hear it), so a
        bot that answered itself would loop."""
        with contextlib.suppress(RuntimeError):
            await self.fake.gateway.dispatch(event, data)

    def _store(self, payload: dict[str, Any]) -> None:
        self.fake.messages[int(payload["id"])] = payload
        channel = self.fake.world.channels.get(int(payload["channel_id"]))
        if channel is not None:
            channel["last_message_id"] = payload["id"]

    def _mentioned_users(self, content: str, guild: Guild | None) -> list[dict[str, Any]]:
        found = []
        for user_id in dict.fromkeys(int(u) for u in _USER_MENTION.findall(content or "")):
            user = self.fake.world.users.get(user_id)
            if user is None:
                continue
            member = guild.member(user_id) if guild else None
            entry = dict(user)
            if member is not None:
                entry["member"] = p.partial_member(member)
            found.append(entry)
        return found

    def _attachments(self, channel_id: int, body: Mapping[str, Any], files: list[RecordedFile]) -> list[dict[str, Any]]:
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for index, f in enumerate(files):
            data = p.attachment(
                self.fake.world.new_id(), channel_id, f.filename or f"file{index}", len(f.data), f.content_type
            )
            description = described.get(str(index), {}).get("description")
            if description:
                data["description"] = description
            out.append(data)
        return out
