"""The moderator check every /facts and !facts command runs (the Facts cog's cog_check)."""

from __future__ import annotations

import pytest
from discord import app_commands
from discord.ext import commands

from cogs.checks import NotModerator, ensure_moderator_ctx, is_moderator
from tests.helpers import MockBot, MockContext, MockMember, MockRole, MockUser

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
