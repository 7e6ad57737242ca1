"""The one entry point: parses the command line, reads the settings, sets up logging, starts a front end.

python bot.py                 Discord, or the console chat without a token
python bot.py ask "QUESTION"  one answer; --json for the machine-readable contract
python bot.py console         interactive chat in the terminal (/help lists its commands)
python bot.py check           validate knowledge/
python bot.py eval            answer quality on the evaluation questions
python bot.py calibrate       refit the decision on the evaluation questions
python bot.py --version       the version, from pyproject.toml

The Discord front end (cogs/bot.py and the cogs) is imported only to connect: the terminal
commands (engine/cli/) never load discord.py and aiohttp, half a second of imports.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from engine import cli


def main(argv: list[str] | None = None) -> int:
    """Run `python bot.py ARGS`; the process exit status."""
    if _env_file_nearby():
        from dotenv import load_dotenv  # a thirtieth of a second of imports: only when there is a .env to read

        load_dotenv()
    args = cli.parser().parse_args(argv)
    cli.utf8_streams(sys.stdin, sys.stdout)
    settings = cli.read_settings()
    if settings is None:
        return 2
    connect = (args.command or "run") == "run" and bool(settings.token)
    configure_logging(settings.log_level, discord_format=connect)
    if connect:
        from cogs import bot as discord_bot

        return discord_bot.run_discord(settings)
    return cli.run(args, settings)


def _env_file_nearby() -> bool:
    """Whether `load_dotenv()` may find a .env: one in bot.py's folder or the working directory, or above them
    (it searches from the one or the other, depending on how Python runs)."""
    for start in (Path(__file__).resolve().parent, Path(os.getcwd()).resolve()):
        if any((folder / ".env").exists() for folder in (start, *start.parents)):
            return True
    return False


def configure_logging(level: str, *, discord_format: bool) -> None:
    """The process's only logging set-up, on stderr: discord.py's own format for the bot, a terse one for the
    terminal commands (whose stdout holds nothing but answers)."""
    if discord_format:
        import discord

        discord.utils.setup_logging(level=logging.getLevelName(level))
    else:
        logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


if __name__ == "__main__":
    sys.exit(main())
