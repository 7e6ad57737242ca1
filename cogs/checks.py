"""Who is a moderator: Manage Server, or one of the configured moderator roles; never in DMs.

Checked on the bot's side for every moderator command, slash and prefix alike:
`default_permissions` on a slash command only hides it in the client.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands


class NotModerator(commands.CheckFailure, app_commands.CheckFailure):
    """The member is neither allowed to Manage Server nor holds a moderator role."""


def is_moderator(user: discord.abc.User, moderator_roles: Collection[int]) -> bool:
    """Manage Server, or any role listed in MODERATOR_ROLE_IDS (a plain User, as in DMs, never is)."""
    if not isinstance(user, discord.Member):
        return False
    if user.guild_permissions.manage_guild:
        return True
    return any(role.id in moderator_roles for role in user.roles)


def ensure_moderator_ctx(ctx: commands.Context[Any], moderator_roles: Collection[int]) -> bool:
    """The prefix (and hybrid) form: raises NoPrivateMessage or NotModerator."""
    if ctx.guild is None:
        raise commands.NoPrivateMessage()
    if not is_moderator(ctx.author, moderator_roles):
        raise NotModerator()
    return True
