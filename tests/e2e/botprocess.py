"""The real bot in a process of its own (`launcher.py`, i.e. `python bot.py`), talking to the fake over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from .fakediscord import FakeDiscord
from .support import ROOT

LAUNCHER = Path(__file__).with_name("launcher.py")

#: Every setting, so a developer's .env (read by `bot.main`) cannot change what the test runs.
SETTINGS_ENV = {
    "DISCORD_TOKEN": "",
    "COMMAND_PREFIX": "!",
    "ANSWER_CHANNEL_IDS": "",
    "MODERATOR_ROLE_IDS": "",
    "MESSAGE_CONTENT_INTENT": "false",
    "KNOWLEDGE_DIR": str(ROOT / "knowledge"),  # the tests pass their copy
    "JOURNAL_ENABLED": "true",
    "JOURNAL_PATH": "",
    "JOURNAL_RETENTION_DAYS": "90",
    "ANSWER_THRESHOLD": "50",
    "SUGGEST_THRESHOLD": "30",
    "COOLDOWN_QUESTIONS": "5",
    "COOLDOWN_SECONDS": "30",
    "DEV_GUILD_ID": "",
    "LOG_LEVEL": "INFO",
    "SHARDED": "false",
    "SHARD_COUNT": "",
    "SHARD_IDS": "",
}


class BotProcess:
    """A running `launcher.py`: its stderr lines as they come (each wakes the fake's waiters) and its exit."""

    def __init__(self, fake: FakeDiscord, process: asyncio.subprocess.Process) -> None:
        self.fake = fake
        self.process = process
        self.lines: list[str] = []
        self.stdout = ""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self.fake.notify()

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, text: str, timeout: float = 10.0) -> str:  # noqa: ASYNC109
        return await self.fake.wait_until(
            lambda: next((line for line in self.lines if text in line), None),
            timeout=timeout,
            what=f"{text!r} in the bot's log",
        )

    async def exit_code(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """Wait for the process to end; its status. Its whole output is read by then."""
        assert self.process.stdout is not None
        out, code = await asyncio.wait_for(asyncio.gather(self.process.stdout.read(), self.process.wait()), timeout)
        await asyncio.wait_for(self._reader, timeout)
        self.stdout = out.decode(errors="replace")
        return code


@contextlib.asynccontextmanager
async def bot_process(fake: FakeDiscord, env: Mapping[str, str], *args: str) -> AsyncIterator[BotProcess]:
    """Start `python tests/e2e/launcher.py ARGS` with the settings in `env` (over SETTINGS_ENV); kill it if the
    test leaves while it still runs."""
    environment = {
        **{k: v for k, v in os.environ.items() if k not in SETTINGS_ENV},
        **SETTINGS_ENV,
        **env,
        "FAKEDISCORD_URL": fake.base_url,
        "FAKEDISCORD_GATEWAY": fake.gateway_url,
        "PYTHONUNBUFFERED": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LAUNCHER),
        *args,
        cwd=ROOT,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = BotProcess(fake, process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        running._reader.cancel()


@contextlib.asynccontextmanager
async def two_shards(
    fake: FakeDiscord,
    url: str,
    knowledge: Path,
    timeout: float = 60.0,  # noqa: ASYNC109 - how long each process may take to connect
) -> AsyncIterator[tuple[BotProcess, BotProcess]]:
    """Two shard processes (SHARD_COUNT=2) of one deployment on the PostgreSQL at `url`, both connected and
    listening for reloads (the end-to-end tests and `bench.shards` alike)."""
    env = {
        "DISCORD_TOKEN": fake.token,
        "KNOWLEDGE_DIR": str(knowledge),
        "JOURNAL_URL": url,
        "MESSAGE_CONTENT_INTENT": "true",
        "COOLDOWN_SECONDS": "0",
        "SHARD_COUNT": "2",
    }
    async with (
        bot_process(fake, {**env, "SHARD_IDS": "0"}) as zero,
        bot_process(fake, {**env, "SHARD_IDS": "1"}) as one,
    ):
        for shard in (zero, one):
            await shard.wait_for_line("listening for reloads", timeout=timeout)
            await shard.wait_for_line("connected as", timeout=timeout)
        yield zero, one
