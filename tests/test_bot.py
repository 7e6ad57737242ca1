"""The bot class and its wiring: intents, mentions, extensions, sharding, start-up errors, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from discord.ext import commands

import bot as entry_point
from cogs import bot as bot_module
from cogs.bot import EXTENSIONS, AllianceBot, ShardedAllianceBot, intents_for, make_bot, run_discord, serve
from engine.answering import Engine, Snapshot
from engine.journal.store import Journal
from engine.settings import Settings

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.token-that-must-never-be-printed"


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return Snapshot.load(KNOWLEDGE)


@pytest.fixture
def engine(snapshot) -> Engine:
    return Engine(snapshot)


@pytest.fixture
def journal(tmp_path) -> Journal:
    return Journal(str(tmp_path / "journal.sqlite3"))


def settings(**changes) -> Settings:
    return Settings(**({"token": TOKEN, "journal_enabled": False} | changes))


def test_intents_default_plus_message_content_only_when_configured():
    off, on = intents_for(settings()), intents_for(settings(message_content=True))
    assert not off.message_content and on.message_content
    assert off.guilds and off.guild_messages and off.dm_messages
    assert not off.members and not off.presences
    assert on.value == (discord.Intents.default().value | discord.Intents(message_content=True).value)


def test_nothing_the_bot_sends_can_ping(engine):
    bot = AllianceBot(settings(), engine=engine)
    mentions = bot.allowed_mentions
    assert (mentions.everyone, mentions.roles, mentions.users, mentions.replied_user) == (False, False, False, False)
    assert bot.help_command is None
    assert bot.engine is engine and not bot.journal.enabled


def test_plain_or_sharded(engine):
    assert type(make_bot(settings(), engine=engine)) is AllianceBot
    sharded = make_bot(settings(sharded=True, shard_count=4, shard_ids=(2, 3)), engine=engine)
    assert isinstance(sharded, ShardedAllianceBot) and isinstance(sharded, discord.AutoShardedClient)
    assert (sharded.shard_count, sharded.shard_ids) == (4, [2, 3])
    automatic = make_bot(settings(sharded=True), engine=engine)
    assert isinstance(automatic, ShardedAllianceBot) and automatic.shard_count is None


def test_settings_from_env_for_the_new_settings():
    env = {"SHARD_COUNT": "2", "JOURNAL_ENABLED": "false"}
    loaded = Settings.from_env(env)
    assert loaded.sharded and loaded.shard_count == 2 and not loaded.journal_enabled
    assert Settings.from_env({"SHARDED": "true"}).sharded
    assert not Settings.from_env({}).sharded and Settings.from_env({}).journal_enabled


async def test_setup_hook_loads_every_cog_and_command(engine, journal, caplog):
    bot = AllianceBot(settings(), engine=engine, journal=journal)
    await bot.setup_hook()
    assert set(bot.cogs) == {"Errors", "Asking", "Facts", "Sync", "Shards"}
    assert {c.name for c in bot.tree.get_commands()} == {"ask", "topics", "help", "facts"}
    assert {"facts", "topics", "help", "sync"} <= set(bot.all_commands)
    facts = bot.tree.get_command("facts")
    assert facts.guild_only and facts.default_permissions.manage_guild
    assert "Message Content intent off" in caplog.text
    await bot.close()


async def test_a_broken_extension_is_logged_not_fatal(engine, caplog):
    bot = AllianceBot(settings(), engine=engine, extensions=("cogs.asking", "cogs.no_such_cog"))
    await bot.setup_hook()
    assert set(bot.cogs) == {"Asking"}
    assert "cogs.no_such_cog failed to load" in caplog.text
    await bot.close()


async def test_dev_guild_is_synced_at_start(engine, monkeypatch):
    bot = AllianceBot(settings(dev_guild=1234), engine=engine, extensions=EXTENSIONS)
    sync = AsyncMock(return_value=[])
    monkeypatch.setattr(bot.tree, "sync", sync)
    await bot.setup_hook()
    [call] = sync.await_args_list
    assert call.kwargs["guild"].id == 1234
    assert {c.name for c in bot.tree.get_commands(guild=discord.Object(1234))} >= {"ask", "facts"}
    await bot.close()


async def test_no_global_sync_at_start(engine, monkeypatch):
    bot = AllianceBot(settings(), engine=engine)
    sync = AsyncMock(return_value=[])
    monkeypatch.setattr(bot.tree, "sync", sync)
    await bot.setup_hook()
    sync.assert_not_awaited()
    await bot.close()


async def test_close_closes_the_journal_after_pending_writes(engine, journal):
    bot = AllianceBot(settings(), engine=engine, journal=journal)
    reply = engine.ask("Qui dirige Nissan ?")
    pending = asyncio.ensure_future(
        journal.run(journal.record_question, reply, ref=1, user_id=2, guild_id=None, channel_id=None, via="dm")
    )
    await asyncio.sleep(0)
    await bot.close()
    assert await pending is True
    assert await journal.run(journal.stats) is None  # closed
    conn = sqlite3.connect(journal.path)
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 1


async def test_close_lets_the_replies_under_way_finish_and_takes_no_new_ones(engine, journal):
    bot = AllianceBot(settings(), engine=engine, journal=journal)
    started, release, steps = asyncio.Event(), asyncio.Event(), []

    async def reply() -> None:
        with bot.busy() as taking:
            steps.append(taking)
            started.set()
            await release.wait()
            steps.append("sent")

    replying = asyncio.create_task(reply())
    await asyncio.wait_for(started.wait(), 5)
    closing = asyncio.create_task(bot.close())
    await asyncio.sleep(0)  # close starts, and waits for the reply under way
    assert not closing.done()
    with bot.busy() as taking:
        assert taking is False  # a question arriving now is not taken
    release.set()
    await asyncio.wait_for(closing, 5)
    assert steps == [True, "sent"] and replying.done()


async def test_a_mention_that_is_no_command_is_not_an_error_without_the_errors_cog(engine, caplog):
    bot = AllianceBot(settings(), engine=engine, extensions=())
    context = MagicMock(command=None, cog=None)
    await bot.on_command_error(context, commands.CommandNotFound('Command "qui" is not found'))
    assert not caplog.records
    await bot.on_command_error(context, commands.CommandError("boom"))
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    await bot.close()


# -- starting and stopping ------------------------------------------------------------------------


def fake_start(error: BaseException | None = None):
    async def start(self, token: str, *, reconnect: bool = True) -> None:
        if error is not None:
            raise error
        closed = asyncio.Event()
        real_close = self.close

        async def close() -> None:
            await real_close()
            closed.set()

        self.close = close
        signal.raise_signal(signal.SIGTERM)  # as `kill` would; the bot's handler closes it
        await closed.wait()  # as the real start returns once the bot is closed

    return start


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in captured.err and TOKEN not in captured.err
    return lines[0]


def test_no_token_is_a_one_line_error(capsys):
    assert run_discord(settings(token="")) == 1
    assert "DISCORD_TOKEN is not set" in one_line_error(capsys)


async def test_invalid_token(engine, monkeypatch, capsys, caplog):
    monkeypatch.setattr(AllianceBot, "start", fake_start(discord.LoginFailure("Improper token has been passed.")))
    assert await serve(settings(), engine=engine) == 1
    assert "invalid token" in one_line_error(capsys)
    assert TOKEN not in caplog.text


async def test_privileged_intent_not_enabled(engine, monkeypatch, capsys):
    monkeypatch.setattr(AllianceBot, "start", fake_start(discord.PrivilegedIntentsRequired(None)))
    assert await serve(settings(message_content=True), engine=engine) == 1
    line = one_line_error(capsys)
    assert "Message Content Intent" in line and "Privileged Gateway Intents" in line
    assert "MESSAGE_CONTENT_INTENT=false" in line


async def test_discord_unreachable(engine, monkeypatch, capsys):
    monkeypatch.setattr(AllianceBot, "start", fake_start(OSError("network is unreachable")))
    assert await serve(settings(), engine=engine) == 1
    assert "cannot reach Discord" in one_line_error(capsys)


async def test_broken_knowledge_at_start(tmp_path, capsys):
    assert await serve(settings(knowledge_dir=tmp_path / "missing")) == 1
    assert "knowledge folder not found" in capsys.readouterr().err


async def test_sigterm_closes_connection_and_journal(engine, journal, monkeypatch, caplog):
    caplog.set_level(logging.INFO, "alliance.bot")
    monkeypatch.setattr(AllianceBot, "start", fake_start())
    journal.open()
    assert await serve(settings(), engine=engine, journal=journal) == 0
    assert "SIGTERM received" in caplog.text
    assert journal.record_feedback(ref=1, fact_id="x", user_id=1, helpful=True) is False  # closed
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers removed after the run


def test_main_runs_discord_when_a_token_is_set(monkeypatch):
    seen = []
    monkeypatch.setattr(bot_module, "run_discord", lambda s: seen.append(s) or 0)
    monkeypatch.setattr(sys, "argv", ["bot.py"])
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setattr(logging.root, "handlers", [])
    assert entry_point.main() == 0
    assert seen and seen[0].token == TOKEN


def test_bot_is_reusable_with_injected_parts(engine, journal):
    """End-to-end tests build the real bot with their own engine and journal, no globals."""
    one = AllianceBot(settings(), engine=engine, journal=journal)
    two = AllianceBot(settings(prefix="?"), engine=MagicMock(), journal=journal)
    assert one.engine is engine and two.settings.prefix == "?"
    assert one.initial_extensions == EXTENSIONS


def test_terminal_commands_do_not_import_discord():
    """`python bot.py ask` answers without importing discord.py or aiohttp (half of its start-up time)."""
    script = (
        "import runpy, sys\n"
        "sys.argv = ['bot.py', 'ask', 'qui dirige nissan']\n"
        "try:\n"
        "    runpy.run_path('bot.py', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "print(sorted(m for m in ('discord', 'aiohttp') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    root = Path(entry_point.__file__).resolve().parent
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Makoto Uchida" in result.stdout  # it did answer
    assert result.stdout.rstrip().endswith("[]")


def test_dotenv_is_read_only_when_a_dot_env_file_may_be_found(tmp_path, monkeypatch):
    """python-dotenv costs a thirtieth of a second to import: skipped when no .env is in reach of load_dotenv."""
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    if any(
        (f / ".env").exists()
        for f in (Path(entry_point.__file__).resolve().parent, *Path(entry_point.__file__).resolve().parents)
    ):
        pytest.skip("a .env file is beside or above bot.py")
    assert not entry_point._env_file_nearby()
    (tmp_path / ".env").write_text("LOG_LEVEL=INFO\n", encoding="utf-8")
    assert entry_point._env_file_nearby()  # above the working directory: found
