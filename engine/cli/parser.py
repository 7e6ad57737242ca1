"""The command line's grammar: every command of `python bot.py`, its arguments and `--help` texts, and the version."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.cli.drafting import add_drafting_commands

#: Where the version is written, once.
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
#: The commands a Ctrl+C ends as a person leaves a chat (exit 0); it stops any other with 130.
INTERACTIVE = ("run", "console")


def version() -> str:
    """ "name version" from pyproject.toml, the one place the version is written."""
    import tomllib  # read only for --version

    try:
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
        return f"{project['name']} {project['version']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "alliance-faq-bot (version unknown: pyproject.toml unreadable)"


class _Version(argparse.Action):
    """`--version`, reading pyproject.toml only when asked (argparse's own needs the text as the parser is built)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: Any) -> None:
        shown = "show program's version number and exit"  # argparse's own words
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=shown)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(version(), file=sys.stdout)
        parser.exit()


def parser() -> argparse.ArgumentParser:
    """`python bot.py`'s parser: the Discord bot (`run`) and every terminal command."""
    p = argparse.ArgumentParser(
        prog="bot.py",
        description="Alliance Renault-Nissan-Mitsubishi Q&A bot. With no command: `run`.",
    )
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord (console chat when no DISCORD_TOKEN is set)")
    ask = sub.add_parser(
        "ask",
        help="answer questions given as arguments, or one a line on stdin",
        description="Answer each QUESTION given, in order. With none, read the questions from stdin, one a line, "
        "until its end (Ctrl+D on a terminal). Answers go to stdout, logs and errors to stderr.",
    )
    ask.add_argument(
        "questions",
        nargs="*",
        metavar="QUESTION",
        help="a question, in French or English (quote it: one argument a question)",
    )
    ask.add_argument(
        "--json",
        action="store_true",
        help="one JSON object a question (the stable contract); from stdin, every line gets one, blank ones too",
    )
    ask.add_argument(
        "--session",
        metavar="ID",
        help="read each question with the previous one of this session (follow-ups such as 'et renault ?'); "
        'a stdin line {"session": ID, "question": ...} names its own',
    )
    sub.add_parser("console", help="interactive chat in the terminal (/help lists its commands)")
    check = sub.add_parser("check", help="validate knowledge/ and list every problem")
    check.add_argument("--force", action="store_true", help="accept a knowledge base with no facts")
    evaluation = sub.add_parser("eval", help="measure accuracy, abstention and reply language on evaluation questions")
    evaluation.add_argument(
        "--questions", metavar="FILE", help="one question file, with its misses (default: every set, side by side)"
    )
    evaluation.add_argument(
        "--questions-per-fact", type=int, metavar="N", help="cut every fact to its first N questions a language"
    )
    add_drafting_commands(sub)
    sub.add_parser("calibrate", help="refit the decision on the evaluation questions (writes knowledge/decision.yaml)")
    backup = sub.add_parser("journal-backup", help="copy the journal to DEST, safely while the bot runs")
    backup.add_argument("dest", metavar="DEST", help="the copy's file (replaced whole once the copy is checked)")
    return p
