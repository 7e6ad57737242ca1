"""The terminal front end: `ask`, `ask --json`, `console`, `check`, `eval`, `calibrate`, the drafting commands
and `journal-backup`, each in a module of its own; `parser` holds the command line's grammar.

`bot.py` parses the command line, reads the settings, sets up logging and calls `run` here for
every command but the Discord bot. Everything here drives the same Engine as the Discord cogs.
Answers go to stdout, logs and errors to stderr, so `ask --json` prints nothing but its JSON lines.
Each command's modules are imported when it runs: `ask` does not pay for `eval`'s.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from engine.cli.parser import INTERACTIVE, parser
from engine.cli.streams import utf8_streams
from engine.settings import Settings, SettingsError, build_engine

__all__ = [
    "CHECK_SHOWN",
    "EVAL_SETS",
    "FIT_SETS",
    "build_engine",
    "cmd_check",
    "main",
    "parser",
    "read_settings",
    "run",
    "utf8_streams",
]
#: The commands' names the package answers for, each from its module, imported on first use (PEP 562).
_LAZY = {"cmd_check": "check", "CHECK_SHOWN": "check", "EVAL_SETS": "evaluate", "FIT_SETS": "evaluate"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from engine import _imported  # an import's AttributeError surfaces as an ImportError naming it

        return getattr(_imported(f"engine.cli.{_LAZY[name]}", f"cli.{name}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: What `run` without a token says before the console chat starts.
CONSOLE_BANNER = (
    "No DISCORD_TOKEN configured: starting the console chat. To connect to Discord, "
    "copy .env.example to .env and set DISCORD_TOKEN (see README.md)."
)


def read_settings() -> Settings | None:
    """The settings from the environment, or None once the bad one is said on stderr (exit status 2)."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """One terminal command as `python bot.py` runs it (without connecting to Discord, nor logging set up)."""
    args = parser().parse_args(argv)
    utf8_streams(stdin, stdout)
    settings = read_settings()
    return 2 if settings is None else run(args, settings, stdin, stdout)


def run(args: argparse.Namespace, settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run one parsed terminal command; a closed stdout (`| head`) or a Ctrl+C ends quietly, not with a traceback."""
    try:
        return _run(args, settings, stdin, stdout)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        # Leaving the chat (even while it loads) is a normal end; any other command was cut short.
        return 0 if (args.command or "run") in INTERACTIVE else 130


def _run(args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    from engine.knowledge.loader import KnowledgeError  # the engine, loaded only once a command runs

    command = args.command or "run"
    if command == "journal-backup":
        from engine.cli.check import cmd_journal_backup

        return cmd_journal_backup(settings, args.dest, stdout)
    if command == "check":
        from engine.cli.check import cmd_check

        return cmd_check(settings, stdout, force=args.force)
    if command == "calibrate" or (command == "eval" and not args.questions):
        from engine.cli.evaluate import cmd_calibrate, cmd_compare

        try:
            if command == "calibrate":
                return cmd_calibrate(settings, stdout)
            return cmd_compare(settings, stdout, args.questions_per_fact)
        except KnowledgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    try:
        engine = build_engine(settings)
    except KnowledgeError as exc:
        print(f"error: {exc}\nRun `python bot.py check` for the full list.", file=sys.stderr)
        return 1
    if command == "draft":
        from engine.cli.drafting import cmd_draft

        return cmd_draft(engine.snapshot, args.questions, stdout)
    if command == "add-source":
        from engine.cli.drafting import cmd_add_source

        return cmd_add_source(engine.snapshot, settings, args, stdout)
    if command == "ask":
        from engine.cli.ask import cmd_ask

        return cmd_ask(engine, args.questions, args.json, stdin, stdout, args.session)
    if command == "eval":
        from engine.cli.evaluate import cmd_eval

        return cmd_eval(engine, stdout, args.questions, args.questions_per_fact)
    from engine.cli.console import run_console

    return run_console(engine, settings.knowledge_dir, stdin, stdout, CONSOLE_BANNER if command == "run" else "")
