"""Builders for the JSON objects Discord sends: users, members, roles, guilds, channels, messages, READY.

Each builder returns a plain dict shaped like the API v10 payload, with every key that discord.py 2.7 reads with
``data[...]`` (see discord/types/). The world they describe (which guild has which channel) is kept in ``world``;
interaction and command payloads are built beside the code that serves them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_BASE_MS = 1_704_067_200_000 - DISCORD_EPOCH_MS  # 2024-01-01: fixed, so ids are the same in every run

# Permission bits (discord.Permissions) used to compute a member's permissions.
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 53) - 1
# @everyone in a new guild: invite, reactions, view, send, embed, attach, history, external emojis, connect,
# speak, nickname, application commands, public threads, send in threads.
DEFAULT_EVERYONE_PERMISSIONS = sum(1 << bit for bit in (0, 6, 10, 11, 14, 15, 16, 18, 20, 21, 26, 31, 35, 38))

# Gateway intents the fake looks at.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7


class Snowflakes:
    """Deterministic, increasing snowflakes; each id advances the timestamp part by 1 ms.

    Consecutive ids therefore fall on alternating shards (shard = (id >> 22) % shard_count).
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        return (_BASE_MS + next(self._counter)) << 22

    def now(self) -> int:
        """A snowflake of the present moment, as Discord gives each new interaction: discord.py reads an
        interaction's age from its id (``Interaction.is_expired``, 15 minutes), and ``commands.Context.send`` of a
        hybrid command falls back to a channel message for an "expired" one."""
        return ((time.time_ns() // 1_000_000 - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0xFFF)


def shard_for(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's formula)."""
    return (guild_id >> 22) % shard_count


def timestamp(when: dt.datetime | None = None) -> str:
    return (when or dt.datetime.now(dt.UTC)).isoformat()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def user(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username.title(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
    }


def client_user(user_id: int, username: str) -> dict[str, Any]:
    """The bot's own user, as GET /users/@me and READY give it."""
    return {
        **user(user_id, username, bot=True),
        "mfa_enabled": False,
        "verified": True,
        "email": None,
        "locale": "en-US",
    }


def role(
    role_id: int,
    name: str,
    *,
    permissions: int = 0,
    position: int = 0,
    managed: bool = False,
    mentionable: bool = False,
) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }


def member(user_data: Mapping[str, Any], *, roles: Iterable[int] = ()) -> dict[str, Any]:
    """A guild member with its user (``partial_member`` gives the one that rides on MESSAGE_CREATE)."""
    return {
        "user": dict(user_data),
        "roles": [str(r) for r in roles],
        "joined_at": timestamp(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "pending": False,
        "communication_disabled_until": None,
    }


def partial_member(member_data: Mapping[str, Any]) -> dict[str, Any]:
    """A member without its user, as on MESSAGE_CREATE and in mentions."""
    return {k: v for k, v in member_data.items() if k != "user"}


def text_channel(channel_id: int, guild_id: int, name: str, *, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
        "default_thread_rate_limit_per_user": 0,
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": 1, "last_message_id": None, "recipients": [dict(recipient)], "flags": 0}


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    application_id: int,
    roles: Iterable[Mapping[str, Any]],
    channels: Iterable[Mapping[str, Any]],
    members: Iterable[Mapping[str, Any]],
    locale: str = "en-US",
    joined_at: str | None = None,
) -> dict[str, Any]:
    """A full GUILD_CREATE payload (available guild, members included, nothing to chunk)."""
    members = [dict(m) for m in members]
    channels = [{k: v for k, v in c.items() if k != "guild_id"} for c in channels]
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [dict(r) for r in roles],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": locale,
        "max_members": 500_000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "incidents_data": None,
        "joined_at": joined_at or timestamp(),
        "large": False,
        "unavailable": False,
        "lazy": True,
        "member_count": len(members),
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "version": 1,
        "application_command_counts": {},
    }


def application(app_id: int, name: str, owner: Mapping[str, Any], bot_user: Mapping[str, Any]) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(app_id),
        "name": name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot": dict(bot_user),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": dict(owner),
        "team": None,
        "hook": True,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
        "integration_types_config": {"0": {}},
        "approximate_guild_count": 1,
    }


def message(
    *,
    message_id: int,
    channel_id: int,
    author: Mapping[str, Any],
    content: str = "",
    guild_id: int | None = None,
    member: Mapping[str, Any] | None = None,
    mentions: Iterable[Mapping[str, Any]] = (),
    mention_roles: Iterable[int] = (),
    mention_everyone: bool = False,
    embeds: Iterable[Mapping[str, Any]] = (),
    attachments: Iterable[Mapping[str, Any]] = (),
    components: Iterable[Mapping[str, Any]] = (),
    flags: int = 0,
    message_type: int = 0,
    tts: bool = False,
    nonce: str | int | None = None,
    message_reference: Mapping[str, Any] | None = None,
    referenced_message: Mapping[str, Any] | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": dict(author),
        "content": content,
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": tts,
        "mention_everyone": mention_everyone,
        "mentions": [dict(m) for m in mentions],
        "mention_roles": [str(r) for r in mention_roles],
        "mention_channels": [],
        "attachments": [dict(a) for a in attachments],
        "embeds": [dict(e) for e in embeds],
        "components": [dict(c) for c in components],
        "reactions": [],
        "pinned": False,
        "type": message_type,
        "flags": flags,
        "sticker_items": [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if member is not None:
        data["member"] = dict(member)
    if nonce is not None:
        data["nonce"] = nonce
    if message_reference is not None:
        data["message_reference"] = dict(message_reference)
        data["referenced_message"] = dict(referenced_message) if referenced_message is not None else None
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = dict(interaction_metadata)
    return data


def attachment(
    attachment_id: int, channel_id: int, filename: str, size: int, content_type: str | None
) -> dict[str, Any]:
    url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
    }
    if content_type:
        data["content_type"] = content_type
    return data


def ready(
    bot_user: Mapping[str, Any],
    guild_ids: Iterable[int],
    *,
    session_id: str,
    resume_gateway_url: str,
    shard: tuple[int, int],
    application_id: int,
) -> dict[str, Any]:
    """The READY dispatch: every guild unavailable, each one's GUILD_CREATE follows."""
    return {
        "v": 10,
        "user": dict(bot_user),
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "shard": list(shard),
        "application": {"id": str(application_id), "flags": 0},
        "private_channels": [],
        "presences": [],
        "relationships": [],
        "guild_join_requests": [],
        "user_settings": {},
        "geo_ordered_rtc_regions": [],
        "auth": {},
        "_trace": ['["fake-gateway",{}]'],
    }
