"""`python bot.py` in a process of its own, against the fake: what a wrong token prints at start-up."""

from __future__ import annotations

import pytest

from .botprocess import bot_process
from .fakediscord import FakeDiscord

#: Recognisable, so the tests can tell it never reaches the output.
SECRET = "FAKE.TOKEN.SECRET-456"


@pytest.mark.parametrize("token", [f"{SECRET}\x7f", f"{SECRET} x", f"{SECRET}\x1b[0m", f"{SECRET}é"])
async def test_a_token_of_the_wrong_shape_is_one_line_refused_before_connecting(
    fake_discord: FakeDiscord, knowledge_copy, journal_path, token: str
) -> None:
    """A DEL byte used to surface as aiohttp's ValueError traceback once the Authorization header was built."""
    env = {"DISCORD_TOKEN": token, "LOG_LEVEL": "DEBUG", "KNOWLEDGE_DIR": str(knowledge_copy)}
    async with bot_process(fake_discord, env | {"JOURNAL_PATH": str(journal_path)}) as bot:
        code = await bot.exit_code(timeout=60)  # a generous bound for a loaded machine: it takes seconds

    assert code == 1
    (line,) = bot.stderr.strip().splitlines()
    assert line.startswith("error: DISCORD_TOKEN is not a Discord token (")
    assert SECRET not in bot.stderr + bot.stdout
    assert not fake_discord.requests_to("GET", "/users/@me")  # refused before any connection


async def test_a_refused_token_logs_no_voice_warning(fake_discord: FakeDiscord, knowledge_copy, journal_path) -> None:
    """The bot uses no voice: discord.py's PyNaCl and davey warnings are not the first thing a new user reads."""
    env = {"DISCORD_TOKEN": SECRET, "KNOWLEDGE_DIR": str(knowledge_copy), "JOURNAL_PATH": str(journal_path)}
    async with bot_process(fake_discord, env) as bot:
        code = await bot.exit_code(timeout=60)  # a generous bound for a loaded machine: it takes seconds

    assert code == 1 and "error: Discord refused DISCORD_TOKEN (invalid token)." in bot.stderr
    assert "logging in using static token" in bot.stderr  # discord.py's log was on
    assert "PyNaCl" not in bot.stderr and "davey" not in bot.stderr and "voice" not in bot.stderr
