"""What a user does that makes an interaction: runs a slash command, types in an autocompleted option, clicks a
button. Each is sent as INTERACTION_CREATE and kept as an ``InteractionRecord`` for ``callbacks`` to answer.

The bot's components are buttons only: no select menus and no modals (it never opens one), so neither is pushed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .records import InteractionRecord
from .world import Guild

if TYPE_CHECKING:
    from .messages import MessageRef
    from .server import FakeDiscord

COMMAND = 2
COMPONENT = 3
AUTOCOMPLETE = 4


class InteractionPushes:
    """Builds and dispatches interactions; the records are in ``fake.interactions`` by id."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    async def command(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        focused: str | None,
        user: Mapping[str, Any] | None,
        channel: Mapping[str, Any] | None,
        dm: bool,
        locale: str,
    ) -> InteractionRecord:
        """A slash command, or with ``focused`` an autocomplete, from ``user`` in ``channel`` or their DM."""
        user = user or self.fake.user
        channel = self.fake.world.dm_channel(user) if dm else (channel or self.fake.channel)
        guild = self.fake.world.guild_of(channel)
        data = self.fake.registry.interaction_data(name, options, focused, guild)
        itype = COMMAND if focused is None else AUTOCOMPLETE
        return await self._push(itype, data, user, channel, locale)

    async def component(
        self, message: MessageRef, custom_id: str, *, user: Mapping[str, Any] | None, locale: str
    ) -> InteractionRecord:
        """A click on the button ``custom_id`` of ``message``; a missing or disabled button cannot be clicked."""
        msg = self.fake.store.find(message)
        button = _find_component(msg.get("components") or [], custom_id)
        if button is None:
            raise LookupError(f"message {msg['id']} has no component with custom_id {custom_id!r}")
        if button.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled: Discord does not let users click it")
        data = {"custom_id": custom_id, "component_type": button["type"]}
        channel = self.fake.world.channels[int(msg["channel_id"])]
        return await self._push(COMPONENT, data, user or self.fake.user, channel, locale, message=msg)

    async def _push(
        self,
        itype: int,
        data: dict[str, Any],
        user: Mapping[str, Any],
        channel: Mapping[str, Any],
        locale: str,
        *,
        message: Mapping[str, Any] | None = None,
    ) -> InteractionRecord:
        fake = self.fake
        guild = fake.world.guild_of(channel)
        token = p.new_token()
        payload = _payload(
            fake.world.new_id.now(), fake.application_id, itype, token, data, channel, user, guild, locale
        )
        if message is not None:
            payload["message"] = dict(message)
        record = InteractionRecord(
            id=int(payload["id"]),
            token=token,
            type=itype,
            payload=payload,
            channel_id=int(channel["id"]),
            guild_id=guild.id if guild else None,
            user_id=int(user["id"]),
            sent_at=fake.now(),
        )
        fake.interactions[record.id] = record
        await fake.gateway.dispatch("INTERACTION_CREATE", payload)
        return record


def _payload(
    interaction_id: int,
    application_id: int,
    itype: int,
    token: str,
    data: Mapping[str, Any],
    channel: Mapping[str, Any],
    user: Mapping[str, Any],
    guild: Guild | None,
    locale: str,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload. In a guild it carries ``member`` (with ``permissions``), in a DM ``user``."""
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": itype,
        "token": token,
        "version": 1,
        "channel_id": channel["id"],
        "channel": dict(channel),
        "app_permissions": str(p.ALL_PERMISSIONS),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "data": dict(data),
    }
    if guild is None:
        payload.update(user=dict(user), authorizing_integration_owners={"0": "0"}, context=1)
        return payload
    user_id = int(user["id"])
    member = guild.member(user_id)
    if member is None:
        raise ValueError(f"{user['username']} is not a member of {guild.name}")
    perms = str(guild.permissions_of(user_id))
    payload["channel"]["permissions"] = perms
    payload.update(
        app_permissions=str(guild.permissions_of(application_id)),
        guild_id=str(guild.id),
        guild={"id": str(guild.id), "locale": guild.locale, "features": []},
        guild_locale=guild.locale,
        member={**member, "user": dict(user), "permissions": perms},
        authorizing_integration_owners={"0": str(guild.id)},
        context=0,
    )
    return payload


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        found = _find_component(comp.get("components") or [], custom_id)
        if found is not None:
            return found
    return None
