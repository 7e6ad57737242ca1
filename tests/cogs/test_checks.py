"""The moderator check, for prefix (hybrid) and plain slash commands."""

from __future__ import annotations

import pytest
from discord import app_commands
from discord.ext import commands

from cogs.checks import NotModerator, app_moderator_only, is_moderator, moderator_only
from tests.helpers import MockBot, MockContext, MockInteraction, MockMember, MockRole, MockUser

MOD = 42


def test_is_moderator():
    assert is_moderator(MockMember(manage_guild=True), set())
    assert is_moderator(MockMember(roles=[MockRole(id=MOD)]), {MOD})
    assert not is_moderator(MockMember(roles=[MockRole(id=7)]), {MOD})
    assert not is_moderator(MockUser(), {MOD})


def predicate(decorator):
    @decorator
    async def command(*_):
        pass

    checks = getattr(command, "__commands_checks__", None) or command.__discord_app_commands_checks__
    return checks[0]


async def test_prefix_check():
    check = predicate(moderator_only())
    bot = MockBot()
    bot.settings = bot.settings.__class__(moderator_roles=frozenset({MOD}))
    assert await check(MockContext(bot=bot, author=MockMember(roles=[MockRole(id=MOD)])))
    with pytest.raises(NotModerator):
        await check(MockContext(bot=bot, author=MockMember()))
    with pytest.raises(commands.NoPrivateMessage):
        await check(MockContext(bot=bot, guild=None))


async def test_slash_check():
    check = predicate(app_moderator_only())
    bot = MockBot()
    assert await check(MockInteraction(client=bot, user=MockMember(manage_guild=True)))
    with pytest.raises(NotModerator):
        await check(MockInteraction(client=bot, user=MockMember()))
    with pytest.raises(app_commands.NoPrivateMessage):
        await check(MockInteraction(client=bot, guild=None))


def test_refusal_is_a_check_failure_for_both_kinds():
    assert issubclass(NotModerator, commands.CheckFailure)
    assert issubclass(NotModerator, app_commands.CheckFailure)
