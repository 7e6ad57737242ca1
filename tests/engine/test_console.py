"""The console chat, run as a person runs it: `python bot.py console` on a pseudo-terminal or a pipe."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.engine.test_cli import ROOT, run_bot
from tests.sheets import edit_fact

#: Generous: only "does not hang" is measured, never how fast.
TIMEOUT = 60
UCHIDA_QUOTE = "« Makoto Uchida, directeur général de Nissan Motor Co »"


class Terminal:
    """`python bot.py console` with a pseudo-terminal as its stdin and stdout, stderr captured apart."""

    def __init__(self, env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
        environ = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | {"TERM": "dumb"} | env
        self.proc = subprocess.Popen(
            [sys.executable, "bot.py", "console"],
            cwd=ROOT,
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=environ,
        )
        os.close(slave)
        self.seen = b""
        self.read_to = 0

    def expect(self, text: str) -> str:
        """Read until `text` appears past what was already expected; what was read up to it."""
        wanted = text.encode()
        deadline = time.monotonic() + TIMEOUT
        while wanted not in self.seen[self.read_to :]:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} on the terminal; it shows {self.seen[-600:]!r}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the console closed the terminal
                    chunk = b""
                assert chunk, f"the console ended before {text!r}; it showed {self.seen[-600:]!r}"
                self.seen += chunk
        end = self.seen.index(wanted, self.read_to) + len(wanted)
        part, self.read_to = self.seen[self.read_to : end], end
        return part.decode("utf-8", "replace")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> tuple[int, str]:
        """The exit status and stderr, once the console has ended."""
        _, stderr = self.proc.communicate(timeout=TIMEOUT)
        os.close(self.master)
        return self.proc.returncode, stderr.decode("utf-8", "replace")


def piped_console(knowledge: Path | None = None, *, text: bool = True) -> subprocess.Popen:
    """`python bot.py console` on pipes, without a token (and on `knowledge` when given)."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    if knowledge is not None:
        env["KNOWLEDGE_DIR"] = str(knowledge)
    return subprocess.Popen(
        [sys.executable, "bot.py", "console"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
        env=env,
    )


def interrupt(proc: subprocess.Popen) -> None:
    """Ctrl+C until the process ends: a SIGINT landing just before Python blocks in read() or readline's
    select() is only noticed at the next key (a CPython limit), as when a person presses Ctrl+C again."""
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)


@pytest.fixture
def terminal(tmp_path: Path):
    term = Terminal({"XDG_CACHE_HOME": str(tmp_path / "cache")})
    yield term
    if term.proc.poll() is None:
        term.proc.kill()
        term.finish()


def test_ctrl_c_at_the_prompt_exits_quietly_with_status_0(terminal):
    terminal.expect("> ")
    interrupt(terminal.proc)  # what the terminal sends on Ctrl+C
    code, stderr = terminal.finish()
    assert code == 0
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr


def test_ctrl_d_at_the_prompt_exits_quietly_with_status_0(terminal):
    terminal.expect("> ")
    terminal.type("\x04")
    code, stderr = terminal.finish()
    assert code == 0 and "Traceback" not in stderr


def test_ctrl_c_on_a_piped_console_exits_quietly_with_status_0():
    proc = piped_console(text=False)
    assert proc.stdout is not None and proc.stdin is not None
    seen = b""
    while not seen.endswith(b"> "):
        chunk = os.read(proc.stdout.fileno(), 65536)
        assert chunk, seen
        seen += chunk
    interrupt(proc)
    _, stderr = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0
    assert b"Traceback" not in stderr


def test_up_arrow_recalls_the_history_kept_under_the_cache_folder_and_bounded(tmp_path):
    history = tmp_path / "cache" / "alliance-bot" / "console_history"
    history.parent.mkdir(parents=True)
    history.write_text("".join(f"old question {i}\n" for i in range(600)) + "qui dirige nissan\n", encoding="utf-8")
    term = Terminal({"XDG_CACHE_HOME": str(tmp_path / "cache")})
    try:
        term.expect("> ")
        term.type("\x1b[A\r")  # Up: the last line of the previous session
        assert UCHIDA_QUOTE in term.expect(UCHIDA_QUOTE)
        term.expect("> ")
        term.type("ghosn trial\r")
        term.expect("> ")
        term.type("\x1b[A\x1b[A\r")  # Up twice: this session's lines come first
        term.expect(UCHIDA_QUOTE)
        term.expect("> ")
        term.type("/quit\r")
        code, stderr = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert code == 0, stderr
    lines = history.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 500
    assert lines[-4:] == ["qui dirige nissan", "ghosn trial", "qui dirige nissan", "/quit"]
    assert history.stat().st_mode & 0o077 == 0  # the user's questions, readable by them only


def test_a_bare_number_with_nothing_pending_is_not_a_question():
    result = run_bot("console", stdin="1\n")
    assert result.returncode == 0, result.stderr
    assert "rien à choisir" in result.stdout and "nothing to pick" in result.stdout
    assert "Source:" not in result.stdout and "Confiance" not in result.stdout


def test_did_you_mean_says_to_type_a_number_and_a_pick_shows_no_guess_confidence():
    # ANSWER_THRESHOLD=99: every reply becomes a "did you mean".
    result = run_bot("console", stdin="secretaire general\n5\n2\n", env={"ANSWER_THRESHOLD": "99"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    listed = sum(f"  {n}. " in out for n in range(1, 5))
    assert 2 <= listed < 5
    assert "Tapez le numéro d'une suggestion" in out
    assert f"entre 1 et {listed}" in out  # 5 is out of range: the list stays pending
    picked = out.split("Vous avez choisi la suggestion 2 : ", 1)[1]
    assert "Source:" in picked and "Citation:" in picked
    assert "Confiance" not in picked and "%" not in picked


def test_help_lists_the_console_commands():
    result = run_bot("console", stdin="/help\n/nope\n/quit\nqui dirige nissan\n")
    assert result.returncode == 0
    for command in ("/help", "/reload", "/quit"):
        assert f"  {command} " in result.stdout
    assert "/nope" in result.stdout and "Makoto Uchida" not in result.stdout  # /quit ended it


def test_reload_answers_with_the_edited_fact_after_previewing_the_change(knowledge_copy):
    question = "combien de vehicules vendus 2018"
    new = "L'Alliance a vendu 10,76 millions de véhicules en 2018 (réponse relue)."
    stdin = f"{question}\nEDIT\n/reload\n{question}\n"
    proc = piped_console(knowledge_copy)
    assert proc.stdin is not None and proc.stdout is not None
    before, _, after = stdin.partition("EDIT\n")
    proc.stdin.write(before)
    proc.stdin.flush()
    first = ""
    while "Confiance" not in first:
        line = proc.stdout.readline()
        assert line, first
        first += line
    assert "10,76 millions de véhicules, plus que Toyota" in first  # the sheet as it was
    edit_fact(knowledge_copy, "sales-2018", answer={"fr": new, "en": "The Alliance sold 10.76 million (reviewed)."})
    out, err = proc.communicate(after, timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "reloaded: " in out and "changed: sales-2018" in out
    assert "evaluation: accuracy " in out and " -> " in out  # before and after
    assert "edited: " in out  # the evaluation questions whose answer is reworded
    assert out.rstrip().split("reloaded: ", 1)[1].count(new) == 1


def test_a_failing_reload_keeps_the_old_knowledge_and_names_file_and_line(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    proc = piped_console(knowledge_copy)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("merci\n")
    proc.stdin.flush()
    assert proc.stdout.readline()  # the banner: the knowledge is loaded
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("10,76 millions", "12 millions", 1), encoding="utf-8")
    out, err = proc.communicate("/reload\ncombien de vehicules vendus 2018\n", timeout=TIMEOUT)
    assert proc.returncode == 0, err
    refused = out.split("reload refused: ", 1)[1]
    assert "facts/sales.yaml:6 [sales-2018]: quote not found verbatim" in refused
    assert "Still answering from the knowledge loaded before" in refused
    assert "10,76 millions de véhicules, plus que Toyota" in refused  # the old fact still answers


def test_the_history_in_memory_is_bounded_too():
    readline = pytest.importorskip("readline")
    from engine.cli.console import HISTORY_LINES, bound_history

    readline.clear_history()
    try:
        for i in range(HISTORY_LINES + 50):
            readline.add_history(f"question {i}")
        bound_history(readline)
        assert readline.get_current_history_length() == HISTORY_LINES
        assert readline.get_history_item(1) == "question 50"  # the oldest went first
        assert readline.get_history_item(HISTORY_LINES) == f"question {HISTORY_LINES + 49}"
    finally:
        readline.clear_history()


def test_a_follow_up_is_read_with_the_previous_question_and_says_how():
    result = subprocess.run(
        [sys.executable, "bot.py", "console"],
        cwd=ROOT,
        input="qui preside mitsubishi\net renault alors ?\n",
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"},
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    answer = result.stdout.split("(Compris comme « qui preside renault »)", 1)
    assert len(answer) == 2, result.stdout
    assert answer[1].lstrip().startswith("Jean-Dominique Senard")
