"""One error handler for slash commands, one for prefix ones: short refusals, logged failures."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from cogs.checks import NotModerator
from cogs.errors import Errors
from tests.helpers import MockBot, MockContext, MockInteraction


@pytest.fixture
def cog() -> Errors:
    return Errors(MockBot())


async def test_installs_and_restores_the_tree_handler(cog):
    previous = cog.bot.tree.on_error
    await cog.cog_load()
    assert cog.bot.tree.on_error == cog.on_app_command_error
    await cog.cog_unload()
    assert cog.bot.tree.on_error is previous


async def test_prefix_refusal_for_non_moderators(cog):
    ctx = MockContext()
    await cog.on_command_error(ctx, NotModerator())
    args, kwargs = ctx.send.await_args
    assert args[0].startswith("Cette commande est réservée aux modérateurs")
    assert kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()


async def test_hybrid_slash_refusal_is_unwrapped(cog):
    ctx = MockContext(interaction=MockInteraction(locale=discord.Locale.american_english))
    await cog.on_command_error(ctx, commands.HybridCommandError(NotModerator()))
    assert ctx.send.await_args.args[0].startswith("This command is for moderators only")


async def test_dm_refusal(cog):
    ctx = MockContext(guild=None)
    await cog.on_command_error(ctx, commands.NoPrivateMessage())
    assert "serveur" in ctx.send.await_args.args[0]


async def test_unknown_commands_are_ignored(cog):
    ctx = MockContext()
    await cog.on_command_error(ctx, commands.CommandNotFound())
    ctx.send.assert_not_awaited()


async def test_unexpected_error_is_logged_and_answered_neutrally(cog, caplog):
    ctx = MockContext()
    try:
        raise RuntimeError("kaboom")
    except RuntimeError as exc:
        error = commands.CommandInvokeError(exc)
    await cog.on_command_error(ctx, error)
    assert ctx.send.await_args.args[0].startswith("Désolé")
    assert "kaboom" in caplog.text and "Traceback" in caplog.text


async def test_slash_refusal_and_failure(cog, caplog):
    interaction = MockInteraction(locale=discord.Locale.american_english)
    await cog.on_app_command_error(interaction, NotModerator())
    args, kwargs = interaction.response.send_message.await_args
    assert args[0].startswith("This command is for moderators") and kwargs["ephemeral"] is True
    later = MockInteraction()
    later.response.is_done.return_value = True
    error = app_commands.CommandInvokeError(later.command, ValueError("oops"))
    await cog.on_app_command_error(later, error)
    args, kwargs = later.followup.send.await_args
    assert args[0].startswith("Désolé") and kwargs["ephemeral"] is True
    assert "oops" in caplog.text


async def test_cooldown_and_bad_argument(cog):
    ctx = MockContext(interaction=MockInteraction(locale=discord.Locale.american_english))
    cooldown = commands.CommandOnCooldown(commands.Cooldown(1, 10), 4.2, commands.BucketType.user)
    await cog.on_command_error(ctx, cooldown)
    assert ctx.send.await_args.args[0] == "Easy there 🙂 You can ask me another question in 4s."
    ctx = MockContext()
    ctx.command = None
    await cog.on_command_error(ctx, commands.BadArgument("not a topic"))
    assert "not a topic" in ctx.send.await_args.args[0]


def test_missing_bot_permission_is_not_called_a_moderator_refusal():
    from cogs.errors import explain

    assert explain(commands.BotMissingPermissions(["embed_links"]), "en") is None
    assert explain(app_commands.BotMissingPermissions(["embed_links"]), "fr") is None
    assert explain(NotModerator(), "en") is not None
