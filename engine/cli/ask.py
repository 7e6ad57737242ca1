"""`ask` and `ask --json`: questions from the arguments or stdin, one answer (or JSON object) each.

`ask --json` is the stable contract: exactly one object per question, in order, nothing else on
stdout (logs and errors go to stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TextIO

from engine.answering import Engine
from engine.cli.streams import isatty
from engine.dialogue.conversation import Conversations
from engine.render import render_text, reply_json


def questions_of(args: list[str], stdin: TextIO, *, keep_blank: bool) -> Iterable[str]:
    """The questions from the arguments, else one a line from stdin (blank lines kept when asked)."""
    if args:
        # An argument that is not valid UTF-8 arrives with surrogates: make it printable text.
        yield from (a.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for a in args)
        return
    for line in stdin:
        line = line.rstrip("\r\n")
        if keep_blank or line.strip():
            yield line


def _session_line(line: str, session: str | None) -> tuple[str, str | None]:
    """A stdin line's question and session: `{"session": ..., "question": ...}` or plain text."""
    if line.startswith("{"):
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, or nested past what the parser recurses
            return line, session
        if isinstance(data, dict) and isinstance(data.get("question"), str):
            named = data.get("session")
            # A session is named by text or an integer; anything else (a float, true, a list) names none.
            valid = isinstance(named, str) or (isinstance(named, int) and not isinstance(named, bool))
            return data["question"], str(named) if valid else session
    return line, session


def cmd_ask(
    engine: Engine, questions: list[str], as_json: bool, stdin: TextIO, out: TextIO, session: str | None = None
) -> int:
    """Answer each question; with --json exactly one object per input line, blank lines included.

    A question asked in a session (`--session ID`, or a `{"session": ..., "question": ...}` line)
    is read with that session's previous question ("et renault ?"); without one, each stands alone.

    With no question given on a terminal, say on stderr (stdout stays the answers only) that the
    questions are read one a line until Ctrl+D; Ctrl+C then ends it as quietly.
    """
    by_hand = not questions and isatty(stdin)
    if by_hand:
        print(
            "reading questions from stdin, one a line; Ctrl+D to end. "
            "For a chat with suggestions to pick: python bot.py console",
            file=sys.stderr,
        )
    try:
        conversations = Conversations()
        for line in questions_of(questions, stdin, keep_blank=as_json):
            question, key = _session_line(line, session)
            reply = engine.ask(question) if key is None else engine.ask_in(conversations, key, question)
            if as_json:
                out.write(json.dumps(reply_json(reply), ensure_ascii=False) + "\n")
                out.flush()
            else:
                out.write(render_text(reply) + "\n\n")
                if by_hand:
                    out.flush()
    except KeyboardInterrupt:
        if not by_hand:
            raise
        print(file=sys.stderr)  # the shell's prompt on a line of its own, after the ^C
    return 0
