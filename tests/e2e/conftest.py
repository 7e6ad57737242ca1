"""Fixtures for end-to-end tests against the fake Discord in ``fakediscord``, and for the real bot run against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from cogs.bot import AllianceBot, make_bot
from engine.answering import Engine, Snapshot
from engine.settings import Settings

from .fakediscord import FakeDiscord
from .support import Cast, add_cast, assert_pings_nobody, bot_settings, watch_journal


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord on 127.0.0.1 with discord.py pointed at it (restored afterwards)."""
    fake = FakeDiscord()
    async with fake.serve():
        yield fake


@pytest.fixture
def cast(fake_discord: FakeDiscord) -> Cast:
    """The people of the fake guild (members, moderators by permission and by role, another bot, the owner)."""
    return add_cast(fake_discord)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """The journal's file, alone in its folder (a test may delete the folder)."""
    folder = tmp_path / "journal"
    folder.mkdir()
    return folder / "journal.sqlite3"


@pytest.fixture
def settings(fake_discord: FakeDiscord, cast: Cast, knowledge_copy: Path, journal_path: Path) -> Settings:
    """The bot's settings: a tmp journal, and the writable copy of knowledge/ (tests/conftest.py) to reload."""
    return bot_settings(fake_discord, cast, knowledge_copy, journal_path)


#: Names discord.py 2.7 gives the tasks that run event listeners, app commands and view callbacks.
HANDLER_TASKS = ("discord.py: ", "CommandTree-invoker", "discord-ui-view-dispatch-")


async def settle(timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait for the bot's handlers still running (a report's last chunk, a journal write) before it is closed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while pending := [t for t in asyncio.all_tasks() if t.get_name().startswith(HANDLER_TASKS) and not t.done()]:
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError(f"handlers still running after {timeout}s: {pending}")
        await asyncio.wait(pending, timeout=left)


Launch = Callable[..., contextlib.AbstractAsyncContextManager[AllianceBot]]


@pytest.fixture
def launch(fake_discord: FakeDiscord, settings: Settings, snapshot: Snapshot) -> Launch:
    """``async with launch(settings=None, load=False, raise_on_errors=True, **bot_kwargs) as bot``: the real bot
    (``make_bot``: its cogs, command tree synced to the fake guild, views, journal) connected to the fake.

    Each journal call that completes wakes the fake's waiters (``support.journaled``). Without ``load`` the bot serves
    the session's ``snapshot`` of the real knowledge (the same facts as the copy in ``settings.knowledge_dir``, which
    reloads read) instead of loading it again. On a clean exit, the handlers still running are waited for, then the
    bot is closed and every message it sent is checked to ping nobody.
    """

    @contextlib.asynccontextmanager
    async def start(
        custom: Settings | None = None, *, load: bool = False, raise_on_errors: bool = True, **bot_kwargs: Any
    ) -> AsyncIterator[AllianceBot]:
        config = custom or settings
        if not load:
            bot_kwargs.setdefault(
                "engine",
                Engine(snapshot, answer_threshold=config.answer_threshold, suggest_threshold=config.suggest_threshold),
            )
        bot = make_bot(config, **bot_kwargs)
        watch_journal(fake_discord, bot.journal)
        # The fake sends every GUILD_CREATE right after READY: discord.py need not wait long for more.
        async with fake_discord.running(bot, guild_ready_timeout=0.01, raise_on_errors=raise_on_errors) as running:
            yield running  # type: ignore[misc]
            await settle()
        for message in fake_discord.sent_messages:
            assert_pings_nobody(message)

    return start
