"""`python bot.py journal-backup DEST`: a live journal copied whole while another process writes to it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from engine.answering import Reply
from engine.journal.store import Journal

ROOT = Path(__file__).resolve().parents[2]


def backup_command(journal: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOURNAL_PATH": str(journal), "DISCORD_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "bot.py", "journal-backup", str(dest)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_copies_a_journal_in_use(tmp_path):
    path, dest = tmp_path / "journal.sqlite3", tmp_path / "copy.sqlite3"
    journal = Journal(str(path))
    for ref in range(120):  # written by a running journal, still in its write-ahead log
        journal.record_question(
            Reply(f"question {ref}", "unknown", "en", "x"), ref=ref, user_id=1, guild_id=1, channel_id=2, via="dm"
        )
    done = backup_command(path, dest)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"journal {path} copied to {dest} (120 questions).\n"
    conn = sqlite3.connect(dest)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 120
    conn.close()
    assert journal.record_question(
        Reply("still writing", "unknown", "en", "x"), ref=500, user_id=1, guild_id=1, channel_id=2, via="dm"
    )
    journal.close()


def test_the_command_says_when_there_is_no_journal(tmp_path):
    done = backup_command(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(f"error: no journal file at {tmp_path / 'none.sqlite3'}")
    assert not (tmp_path / "copy.sqlite3").exists()
