"""`check` (validate knowledge/ as a reload would) and `journal-backup` (a consistent copy of the journal)."""

from __future__ import annotations

import sys
from typing import TextIO

from engine.answering import Snapshot
from engine.journal.store import BackupError, backup
from engine.knowledge.loader import KnowledgeError
from engine.settings import Settings


def cmd_journal_backup(settings: Settings, dest: str, out: TextIO) -> int:
    """A consistent copy of the live journal (SQLite's backup API); restore it by renaming it onto JOURNAL_PATH."""
    try:
        questions = backup(settings.journal_url or settings.journal_path, dest)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.write(f"journal {settings.journal_path} copied to {dest} ({questions} questions).\n")
    return 0


#: Problems `check` prints (each with the line at fault under it when it has one); the rest are counted.
CHECK_SHOWN = 50


def cmd_check(settings: Settings, out: TextIO, *, force: bool = False) -> int:
    """Validate knowledge/ as a reload would; an empty base is refused unless `force`."""
    try:
        snapshot = Snapshot.load(settings.knowledge_dir)
    except KnowledgeError as exc:
        for problem in exc.problems[:CHECK_SHOWN]:
            out.write(f"{problem.full()}\n")
        if exc.total > CHECK_SHOWN:
            out.write(f"... and {exc.total - CHECK_SHOWN} more problem(s): fix these first, then check again.\n")
        out.write(f"{exc.total} problem(s) found; nothing was loaded.\n")
        return 1
    kb = snapshot.kb
    if not kb.facts and not force:
        out.write(
            "refused: knowledge/ holds no facts, so members would get no answer at all (a sheet emptied by "
            "mistake?). Run `python bot.py check --force` if this is what you want.\n"
        )
        return 1
    variants = sum(len(q) for f in kb.facts for q in f.questions.values())
    out.write(
        f"OK: {len(kb.facts)} facts, {variants} question variants, {len(kb.sources)} source(s), "
        f"{len(kb.topics)} topics, {len(kb.eval_questions)} evaluation questions.\n"
    )
    expected = {q.expect for q in kb.eval_questions}
    untested = [f.id for f in kb.facts if f.id not in expected]
    if untested:  # advice, not a rule: a new fact is fine without, but reloads cannot preview its answers
        shown = ", ".join(untested[:10]) + (f" and {len(untested) - 10} more" if len(untested) > 10 else "")
        out.write(
            f"note: {len(untested)} fact(s) have no question in eval/questions.yaml, so a reload's preview "
            f"cannot show their answers changing: {shown}\n"
        )
    return 0
