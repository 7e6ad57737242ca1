"""Fixtures for cog tests: the real engine on the real knowledge/, a real journal, a mocked bot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.ext import commands

from engine.answering import Engine
from engine.journal.store import Journal
from engine.settings import Settings
from tests.helpers import GUILD_ID, MockBot

MOD_ROLE = 555_000_000_000_000_001
ANSWER_CHANNEL = 444_000_000_000_000_001


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = Journal(str(tmp_path / "journal.sqlite3"), timeout=0.2)
    journal.open()
    yield journal
    journal.close()


@pytest.fixture
def settings(knowledge_copy: Path, tmp_path: Path) -> Settings:
    return Settings(
        knowledge_dir=knowledge_copy,
        journal_path=str(tmp_path / "journal.sqlite3"),
        moderator_roles=frozenset({MOD_ROLE}),
        admin_guilds=frozenset({GUILD_ID}),  # the mocks' server: its moderators may reload
        answer_channels=frozenset({ANSWER_CHANNEL}),
        cooldown_questions=5,
        cooldown_seconds=30,
    )


@pytest.fixture
def bot(engine: Engine, journal: Journal, settings: Settings) -> MockBot:
    """The mocked bot, reading its prefix and knowing a command as discord.py does: `get_context` and
    `get_prefix` are the real methods, over `command_prefix` and `all_commands` (no command unless a test adds)."""
    bot = MockBot(engine=engine, journal=journal, settings=settings)
    bot.command_prefix = commands.when_mentioned_or(settings.prefix)
    bot.all_commands = {}
    bot.strip_after_prefix = False

    async def get_prefix(message: discord.Message) -> list[str] | str:
        return await commands.Bot.get_prefix(bot, message)

    async def get_context(origin: discord.Message) -> commands.Context[Any]:
        return await commands.Bot.get_context(bot, origin)

    bot.get_prefix.side_effect = get_prefix
    bot.get_context.side_effect = get_context
    return bot
