"""`draft` and `add-source`: the moderators' drafting of facts and sources, from the terminal.

Their engine modules are imported when the command runs: no other command pays for them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the parser imports this module: it must not load the engine
    from engine.answering import Snapshot
    from engine.settings import Settings


def cmd_draft(snapshot: Snapshot, questions: list[str], out: TextIO) -> int:
    """Print the passages that best match the questions and a fact drafted from the best; 1 when none matches."""
    from engine.cli.ask import questions_of
    from engine.knowledge.drafting import draft  # the drafting commands' imports stay with them

    found = draft(snapshot, list(questions_of(questions, sys.stdin, keep_blank=False)))
    out.write(found.yaml)
    return 0 if found.covered else 1


def cmd_add_source(snapshot: Snapshot, settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Register an article in sources.yaml, copy its text, write its draft sheet of fact skeletons."""
    from engine.knowledge.sources_admin import SourceError, add_source

    try:
        added = add_source(
            snapshot,
            Path(settings.knowledge_dir),
            Path(args.file),
            source_id=args.source_id,
            title=args.title,
            date=args.date,
            lang=args.lang,
            outlet=args.outlet,
        )
    except SourceError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 2
    out.write(
        f"Added source '{added.source.id}': its text in {added.text_file}, listed in sources.yaml.\n"
        f"Wrote {added.skeletons} fact skeleton(s) to {added.draft_sheet}: complete the ones worth a fact, "
        "move them into a sheet of knowledge/facts/, then `python bot.py check`.\n"
    )
    return 0


def add_drafting_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`draft` and `add-source`: the moderators' drafting of facts and sources."""
    draft = sub.add_parser("draft", help="draft a fact from questions members asked: the best passages, and YAML")
    draft.add_argument("questions", nargs="+", metavar="QUESTION", help="alike questions, drafted as one fact")
    source = sub.add_parser("add-source", help="register an article, copy its text, draft a sheet of fact skeletons")
    source.add_argument("file", metavar="FILE", help="the article's text (UTF-8), copied verbatim")
    source.add_argument("--id", dest="source_id", required=True, help="a stable id, e.g. renault-2020-01")
    source.add_argument("--title", required=True)
    source.add_argument("--date", required=True, help="YYYY-MM or YYYY-MM-DD")
    source.add_argument("--lang", default="fr", help="the article's language: fr or en (default fr)")
    source.add_argument("--outlet", help="the publication, when known")
