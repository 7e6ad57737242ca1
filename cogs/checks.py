"""Who may do what: moderators (Manage Server, or a moderator role) read their own server's
reports; the bot's owner and the moderators of the admin servers change the global knowledge.

Checked on the bot's side for every moderator command, slash and prefix alike:
`default_permissions` on a slash command only hides it in the client. For a slash command
the permissions Discord sends with the interaction decide, so a moderator of a server the
bot has not cached yet is still recognised; a prefix command reads the cached member.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from discord.ext.commands._types import Check  # the type discord.py's `commands.check` returns


class NotModerator(commands.CheckFailure, app_commands.CheckFailure):
    """The member is neither allowed to Manage Server nor holds a moderator role."""


class NotAdmin(commands.CheckFailure, app_commands.CheckFailure):
    """A moderator outside ADMIN_GUILD_IDS asked to change the knowledge every server shares."""


def is_moderator(
    user: discord.abc.User, moderator_roles: Collection[int], permissions: discord.Permissions | None = None
) -> bool:
    """Manage Server (in `permissions`, Discord's word for an interaction, else the cached member's), or any role
    listed in MODERATOR_ROLE_IDS. A plain User, as in DMs, never is."""
    if not isinstance(user, discord.Member):
        return False
    if (permissions or user.guild_permissions).manage_guild:
        return True
    return any(role.id in moderator_roles for role in user.roles)


def guild_id_of(ctx: commands.Context[Any]) -> int | None:
    """The server a command was used in (from the interaction when there is one: its guild may not be cached)."""
    if ctx.interaction is not None:
        return ctx.interaction.guild_id
    return ctx.guild.id if ctx.guild is not None else None


def ensure_moderator_ctx(ctx: commands.Context[Any], moderator_roles: Collection[int]) -> bool:
    """The prefix (and hybrid) form: raises NoPrivateMessage or NotModerator."""
    if guild_id_of(ctx) is None:
        raise commands.NoPrivateMessage()
    permissions = ctx.interaction.permissions if ctx.interaction is not None else None
    if not is_moderator(ctx.author, moderator_roles, permissions):
        raise NotModerator()
    return True


async def ensure_admin_ctx(
    ctx: commands.Context[Any], moderator_roles: Collection[int], admin_guilds: Collection[int]
) -> bool:
    """Reload, check, sync: the bot's owner anywhere, or a moderator of a server listed in ADMIN_GUILD_IDS.

    Raises NoPrivateMessage, NotModerator or NotAdmin. With no admin server (the default) only the owner may:
    a moderator of a server that invited the bot must not change what every other server is answered."""
    if await ctx.bot.is_owner(ctx.author):
        return True
    ensure_moderator_ctx(ctx, moderator_roles)
    if guild_id_of(ctx) in admin_guilds:
        return True
    raise NotAdmin()


def admin_only() -> Check[commands.Context[Any]]:
    """A command check (prefix and slash) for `ensure_admin_ctx`, with the bot's settings."""

    async def predicate(ctx: commands.Context[Any]) -> bool:
        settings = ctx.bot.settings
        return await ensure_admin_ctx(ctx, settings.moderator_roles, settings.admin_guilds)

    return commands.check(predicate)
