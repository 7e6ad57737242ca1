"""The console chat: questions typed in a terminal, answered by the same Engine as Discord.

A number picks one of the suggestions just offered; a line starting with a slash is a
console command (`/help`, `/reload`, `/quit`). On a terminal, the standard `readline`
module gives line editing and a bounded history kept under the user's cache folder.
Ctrl+C and Ctrl+D end the chat like `/quit`: quietly, with exit status 0.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TextIO

from engine.answering import MAX_SUGGESTIONS, Engine, Reply
from engine.cli.streams import isatty
from engine.dialogue.conversation import Conversations
from engine.evaluation.changes import compare
from engine.knowledge.loader import KnowledgeError
from engine.render import render_text

PROMPT = "> "
#: Lines of history kept (in memory and in the history file).
HISTORY_LINES = 500
#: A history file larger than this is not read (it was not written by the console).
HISTORY_MAX_BYTES = 256 * 1024
#: What ends the chat besides /quit, Ctrl+D and Ctrl+C.
QUIT_WORDS = frozenset({"quit", "exit", "q", ":q", "bye"})
#: A bare number of at most two digits is a pick, never a question ("2019" still is one).
PICK = re.compile(r"[0-9]{1,2}")
#: The console is one conversation: its key in the conversations memory.
CONVERSATION = "console"

BANNER = (
    "Posez votre question (/help pour les commandes, /quit pour sortir). "
    "Ask your question (/help for the commands, /quit to leave)."
)

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "pick_hint": "Tapez le numéro d'une suggestion pour la voir, ou posez une autre question.",
        "nothing_to_pick": "Il n'y a rien à choisir : aucune suggestion en attente. Posez une question.",
        "out_of_range": "Choisissez un numéro entre 1 et {count}, ou posez une autre question.",
        "picked": "Vous avez choisi la suggestion {number} : {question}",
        "gone": "Cette suggestion n'est plus dans les connaissances chargées. Posez la question à nouveau.",
        "unknown_command": "Commande inconnue : {command}. /help liste les commandes.",
        "help": "Commandes de la console :",
        "help_pick": "un numéro : voir la suggestion de ce numéro après « Vouliez-vous dire »",
        "cmd_help": "cette liste",
        "cmd_reload": "relire knowledge/ sans redémarrer, avec les réponses qui changent",
        "cmd_quit": "quitter (aussi : quit, exit, Ctrl+D, Ctrl+C)",
    },
    "en": {
        "pick_hint": "Type a suggestion's number to see it, or ask another question.",
        "nothing_to_pick": "There is nothing to pick: no suggestions are pending. Ask a question.",
        "out_of_range": "Pick a number from 1 to {count}, or ask another question.",
        "picked": "You picked suggestion {number}: {question}",
        "gone": "That suggestion is no longer in the loaded knowledge. Ask the question again.",
        "unknown_command": "Unknown command: {command}. /help lists the commands.",
        "help": "Console commands:",
        "help_pick": "a number: see that suggestion after a “Did you mean”",
        "cmd_help": "this list",
        "cmd_reload": "re-read knowledge/ without restarting, showing the answers that change",
        "cmd_quit": "leave (also: quit, exit, Ctrl+D, Ctrl+C)",
    },
}


def history_path() -> Path:
    """Where the console keeps its history: $XDG_CACHE_HOME (or ~/.cache)/alliance-bot/console_history."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "alliance-bot" / "console_history"


class LineReader:
    """Reads the console's lines: through readline on a terminal, plain lines from anything else."""

    def __init__(self, stdin: TextIO, out: TextIO, history: Path | None = None) -> None:
        self.stdin = stdin
        self.out = out
        self.history = history
        self.readline: ModuleType | None = None
        # input() only edits lines when both ends are the process's own terminal.
        if stdin is sys.stdin and out is sys.stdout and isatty(stdin) and isatty(out):
            try:
                import readline
            except ImportError:  # Python built without it (Windows): plain lines, still usable
                return
            self.readline = readline
            readline.set_history_length(HISTORY_LINES)
            self._load_history()

    def read(self, prompt: str) -> str | None:
        """One line without its end of line, or None at the end of input (Ctrl+D)."""
        if self.readline is not None:
            try:
                return input(prompt)
            except EOFError:
                return None
            finally:
                bound_history(self.readline)
        self.out.write(prompt)
        self.out.flush()
        line = self.stdin.readline()
        return line.rstrip("\r\n") if line else None

    def close(self) -> None:
        """Save the history (bounded to HISTORY_LINES, readable by the user only); a failure loses only it."""
        if self.readline is None or self.history is None:
            return
        with contextlib.suppress(OSError):
            self.history.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.history.touch(mode=0o600, exist_ok=True)  # never readable by others, not even briefly
            self.readline.write_history_file(str(self.history))
            self.history.chmod(0o600)

    def _load_history(self) -> None:
        if self.readline is None or self.history is None:
            return
        with contextlib.suppress(OSError):
            if self.history.stat().st_size <= HISTORY_MAX_BYTES:
                self.readline.read_history_file(str(self.history))


def bound_history(readline: ModuleType, limit: int = HISTORY_LINES) -> None:
    """Drop the oldest lines past `limit`: readline's own length only bounds what is written to the file."""
    for _ in range(readline.get_current_history_length() - limit):
        readline.remove_history_item(0)


def ignore_interrupts() -> None:
    """Ignore Ctrl+C from now on (the process is leaving); only the main thread may change it."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class Console:
    """One chat session over an Engine; `run` returns the exit status."""

    def __init__(self, engine: Engine, knowledge_dir: Path | str, reader: LineReader, out: TextIO) -> None:
        self.engine = engine
        self.knowledge_dir = Path(knowledge_dir)
        self.reader = reader
        self.out = out
        self.pending: Reply | None = None  # the last "did you mean", whose suggestions a number picks
        self.conversation = Conversations(capacity=1)  # "et renault ?" is read with the question before
        self.lang: str | None = None  # the last reply's language, for the console's own sentences
        self.commands: dict[str, tuple[str, Callable[[], bool]]] = {
            "/help": ("cmd_help", self.show_help),
            "/reload": ("cmd_reload", self.reload),
            "/quit": ("cmd_quit", lambda: False),
        }

    def run(self, banner: str = "") -> int:
        self.write((banner + "\n" if banner else "") + BANNER)
        try:
            while True:
                line = self.reader.read(PROMPT)
                if line is None:  # Ctrl+D: end the line the prompt is on
                    self.write("")
                    break
                if not self.handle(line.strip()):
                    break
        except KeyboardInterrupt:  # Ctrl+C is how many people leave a terminal program: no traceback
            ignore_interrupts()  # nor from a second Ctrl+C while leaving
            self.write("")
        finally:
            self.reader.close()
        return 0

    def handle(self, text: str) -> bool:
        """Act on one line; False ends the chat."""
        if not text:
            return True
        if text.lower() in QUIT_WORDS:
            return False
        if text.startswith("/"):
            name = text.split()[0].lower()
            command = self.commands.get(name)
            if command is None:
                self.say("unknown_command", command=name)
                return True
            return command[1]()
        if PICK.fullmatch(text):
            self.pick(int(text))
        else:
            self.ask(text)
        return True

    def ask(self, question: str) -> None:
        reply = self.engine.ask_in(self.conversation, CONVERSATION, question)
        self.lang = reply.lang
        self.write(render_text(reply))
        # Only the numbered guesses of an "unsure" reply are shown, so only they can be picked.
        self.pending = reply if reply.kind == "unsure" else None
        if self.pending is not None:
            self.say("pick_hint")

    def pick(self, number: int) -> None:
        """Show the suggestion numbered `number`; the list stays pending, so another can be picked."""
        pending = self.pending
        if pending is None:
            self.say("nothing_to_pick")
            return
        if not 1 <= number <= len(pending.suggestions):
            self.say("out_of_range", count=str(len(pending.suggestions)))
            return
        chosen = pending.suggestions[number - 1]
        reply = self.engine.answer_fact(chosen.fact_id, pending.lang, chosen.question, score=chosen.score)
        if reply is None:
            self.say("gone")
            return
        self.say("picked", number=str(number), question=chosen.question)
        # The score is the guess's, not the answer's: no confidence line for an answer the member chose.
        self.write(render_text(reply, confidence=False))

    def show_help(self) -> bool:
        lines = [self.text("help")]
        lines += [f"  {name:<8} {self.text(key)}" for name, (key, _) in self.commands.items()]
        lines.append(f"  {f'1-{MAX_SUGGESTIONS}':<8} {self.text('help_pick')}")
        self.write("\n".join(lines))
        return True

    def reload(self) -> bool:
        """Re-read knowledge/ as `/facts reload` does: validate, preview the answers that change, then swap."""
        engine = self.engine
        old = engine.snapshot
        try:
            new = engine.load_next(self.knowledge_dir)
            report = compare(engine, old, new)
        except KnowledgeError as exc:
            lines = [f"reload refused: {len(exc.problems)} problem(s) in {self.knowledge_dir}"]
            lines += [f"  {problem}" for problem in exc.problems]
            lines.append("Still answering from the knowledge loaded before; fix the files and /reload again.")
            self.write("\n".join(lines))
            return True
        engine.swap(new)
        self.pending = None  # its suggestions were numbered from the old set
        self.write(
            "reloaded: " + report.format() + ("" if report.changes else "\nno evaluation question changes answer")
        )
        return True

    def text(self, key: str, **values: str) -> str:
        """A console sentence in the last reply's language, in both before the first reply."""
        if self.lang in STRINGS:
            return STRINGS[self.lang][key].format(**values)
        return " / ".join(STRINGS[lang][key].format(**values) for lang in ("fr", "en"))

    def say(self, key: str, **values: str) -> None:
        self.write(self.text(key, **values))

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def run_console(
    engine: Engine, knowledge_dir: Path | str, stdin: TextIO, out: TextIO, banner: str = "", history: bool = True
) -> int:
    """Chat on stdin/out until /quit, Ctrl+D or Ctrl+C; 0."""
    reader = LineReader(stdin, out, history_path() if history else None)
    return Console(engine, knowledge_dir, reader, out).run(banner)
