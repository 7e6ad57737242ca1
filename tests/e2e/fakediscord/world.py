"""What the fake Discord knows: guilds with their roles, channels and members; users; DM channels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import payloads as p


@dataclass
class Guild:
    """A guild as the fake holds it; ``payload()`` renders the GUILD_CREATE the client receives."""

    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    joined_at: str = field(default_factory=p.timestamp)

    @property
    def everyone_role(self) -> dict[str, Any]:
        return self.roles[self.id]

    def member(self, user_id: int) -> dict[str, Any] | None:
        return self.members.get(user_id)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions (no channel overwrites): owner and administrators get everything."""
        if user_id == self.owner_id:
            return p.ALL_PERMISSIONS
        member = self.members.get(user_id)
        perms = int(self.everyone_role["permissions"])
        if member is not None:
            for role_id in member["roles"]:
                role = self.roles.get(int(role_id))
                if role is not None:
                    perms |= int(role["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def payload(self, application_id: int) -> dict[str, Any]:
        return p.guild(
            self.id,
            self.name,
            owner_id=self.owner_id,
            application_id=application_id,
            roles=sorted(self.roles.values(), key=lambda r: r["position"]),
            channels=self.channels.values(),
            members=self.members.values(),
            locale=self.locale,
            joined_at=self.joined_at,
        )


@dataclass
class World:
    """Users, guilds and channels, indexed by id."""

    new_id: p.Snowflakes = field(default_factory=p.Snowflakes)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    dm_channels: dict[int, dict[str, Any]] = field(default_factory=dict)  # by recipient user id

    def add_user(self, username: str, *, bot: bool = False, user_id: int | None = None) -> dict[str, Any]:
        data = p.user(user_id or self.new_id(), username, bot=bot)
        self.users[int(data["id"])] = data
        return data

    def add_guild(
        self, name: str, *, owner: Mapping[str, Any], locale: str = "en-US", shard: tuple[int, int] | None = None
    ) -> Guild:
        """A guild; ``shard=(shard_id, shard_count)`` picks an id whose events go to that shard."""
        guild_id = self.new_id()
        while shard is not None and p.shard_for(guild_id, shard[1]) != shard[0]:
            guild_id = self.new_id()
        guild = Guild(guild_id, name, int(owner["id"]), locale)
        guild.roles[guild.id] = p.role(guild.id, "@everyone", permissions=p.DEFAULT_EVERYONE_PERMISSIONS)
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        return guild

    def add_role(
        self, guild: Guild, name: str, *, permissions: int = 0, managed: bool = False, mentionable: bool = False
    ) -> dict[str, Any]:
        data = p.role(
            self.new_id(),
            name,
            permissions=permissions,
            position=len(guild.roles),
            managed=managed,
            mentionable=mentionable,
        )
        guild.roles[int(data["id"])] = data
        return data

    def add_channel(self, guild: Guild, name: str) -> dict[str, Any]:
        data = p.text_channel(self.new_id(), guild.id, name, position=len(guild.channels))
        guild.channels[int(data["id"])] = data
        self.channels[int(data["id"])] = data
        return data

    def add_member(
        self, guild: Guild, user: Mapping[str, Any], *, roles: Iterable[Mapping[str, Any] | int] = ()
    ) -> dict[str, Any]:
        role_ids = [int(r["id"]) if isinstance(r, Mapping) else int(r) for r in roles]
        data = p.member(user, roles=role_ids)
        guild.members[int(user["id"])] = data
        return data

    def dm_channel(self, user: Mapping[str, Any]) -> dict[str, Any]:
        """The DM channel between the bot and ``user``, created on first use (as POST /users/@me/channels does)."""
        user_id = int(user["id"])
        channel = self.dm_channels.get(user_id)
        if channel is None:
            channel = p.dm_channel(self.new_id(), self.users.get(user_id, user))
            self.dm_channels[user_id] = channel
            self.channels[int(channel["id"])] = channel
        return channel

    def guild_of(self, channel: Mapping[str, Any]) -> Guild | None:
        guild_id = channel.get("guild_id")
        return self.guilds.get(int(guild_id)) if guild_id else None
