"""The moderator check every /facts and !facts command runs (the Facts cog's cog_check), and the admin check of
reload, check and sync."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from cogs.checks import NotAdmin, NotModerator, ensure_admin_ctx, ensure_moderator_ctx, is_moderator
from tests.helpers import GUILD_ID, MockBot, MockContext, MockGuild, MockInteraction, MockMember, MockRole, MockUser

MOD = 42


def test_is_moderator():
    assert is_moderator(MockMember(manage_guild=True), set())
    assert is_moderator(MockMember(roles=[MockRole(id=MOD)]), {MOD})
    assert not is_moderator(MockMember(roles=[MockRole(id=7)]), {MOD})
    assert not is_moderator(MockUser(), {MOD})


def test_ensure_moderator_ctx():
    author = MockMember(roles=[MockRole(id=MOD)])
    assert ensure_moderator_ctx(MockContext(bot=MockBot(), author=author), {MOD})
    with pytest.raises(NotModerator):
        ensure_moderator_ctx(MockContext(bot=MockBot(), author=MockMember()), {MOD})
    with pytest.raises(commands.NoPrivateMessage):
        ensure_moderator_ctx(MockContext(bot=MockBot(), guild=None), {MOD})


def test_refusal_is_a_check_failure_for_both_kinds():
    assert issubclass(NotModerator, commands.CheckFailure)
    assert issubclass(NotModerator, app_commands.CheckFailure)


def uncached_slash_ctx(manage_guild: bool) -> MockContext:
    """A slash command in a server discord.py has not cached: no guild object, a member without cached roles, and
    the permissions Discord sent with the interaction."""
    author = MockMember(guild=None)  # guild_permissions: nothing (no cached roles to compute them from)
    interaction = MockInteraction(
        guild=None, guild_id=GUILD_ID, user=author, permissions=discord.Permissions(manage_guild=manage_guild)
    )
    return MockContext(bot=MockBot(), guild=None, author=author, interaction=interaction)


def test_slash_commands_trust_the_permissions_sent_with_the_interaction():
    assert ensure_moderator_ctx(uncached_slash_ctx(manage_guild=True), {MOD})
    with pytest.raises(NotModerator):
        ensure_moderator_ctx(uncached_slash_ctx(manage_guild=False), {MOD})
    prefix = MockContext(bot=MockBot(), author=MockMember())  # a prefix command reads the cached member
    with pytest.raises(NotModerator):
        ensure_moderator_ctx(prefix, {MOD})


async def test_admin_is_the_owner_or_a_moderator_of_an_admin_server():
    moderator = MockMember(manage_guild=True)
    assert await ensure_admin_ctx(MockContext(bot=MockBot(), author=moderator), {MOD}, {GUILD_ID})
    with pytest.raises(NotAdmin):  # the default: no admin server
        await ensure_admin_ctx(MockContext(bot=MockBot(), author=moderator), {MOD}, set())
    elsewhere = MockContext(bot=MockBot(), guild=MockGuild(id=GUILD_ID + 1), author=moderator)
    with pytest.raises(NotAdmin):
        await ensure_admin_ctx(elsewhere, {MOD}, {GUILD_ID})
    with pytest.raises(NotModerator):  # a member of an admin server is no admin for that
        await ensure_admin_ctx(MockContext(bot=MockBot(), author=MockMember()), {MOD}, {GUILD_ID})
    owner = MockBot()
    owner.is_owner.return_value = True
    assert await ensure_admin_ctx(MockContext(bot=owner, guild=None, author=MockUser()), {MOD}, set())
    assert issubclass(NotAdmin, commands.CheckFailure) and issubclass(NotAdmin, app_commands.CheckFailure)
