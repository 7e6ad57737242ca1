"""Run the real bot as `python bot.py` does, against the fake Discord, in a process of its own.

    FAKEDISCORD_URL=http://127.0.0.1:PORT/api/v10 FAKEDISCORD_GATEWAY=ws://127.0.0.1:PORT/ \\
        DISCORD_TOKEN=... python tests/e2e/launcher.py [bot.py arguments]

The two variables point discord.py's REST base and gateway at the fake; everything else is `bot.main()`: settings
from the environment, `run_discord(settings)`, its logging, signal handlers and exit status. Only discord.py's wait
for more guilds before on_ready is shortened (the fake sends them all at once).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
import yarl  # noqa: E402

import bot  # noqa: E402
from cogs import bot as discord_bot  # noqa: E402


def main() -> int:
    discord.http.Route.BASE = os.environ["FAKEDISCORD_URL"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKEDISCORD_GATEWAY"])
    make_bot = discord_bot.make_bot

    def quick_ready(settings: Any, **kwargs: Any) -> Any:
        return make_bot(settings, guild_ready_timeout=0.01, **kwargs)

    discord_bot.make_bot = quick_ready
    sys.argv[0] = str(ROOT / "bot.py")
    return bot.main()


if __name__ == "__main__":
    sys.exit(main())
