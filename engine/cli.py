"""The command line: `ask`, `ask --json`, `console`, `check`, `eval`, `calibrate` and `journal-backup`.

Everything here drives the same Engine as the Discord cogs; the console chat itself is in
engine/console.py. Answers go to stdout, logs and errors to stderr, so `ask --json` prints
nothing but its JSON lines.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from engine.answering import Engine, Snapshot
from engine.console import isatty, run_console
from engine.dialogue.conversation import Conversations
from engine.evaluation.followups import followup_section
from engine.evaluation.questions import compare, evaluate, format_reliability, format_table
from engine.journal.store import BackupError, backup
from engine.knowledge.baseline import since_commit
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.loader import KnowledgeError, Loader
from engine.knowledge.schema import DECISION_FILE, Problem, load_eval
from engine.matching.calibrate import THIN_QUESTIONS, cut_questions, fit, to_yaml, without_asked
from engine.render import render_text, reply_json
from engine.settings import Settings, SettingsError

log = logging.getLogger("alliance.cli")

#: Floors `eval` exits non-zero under: in-scope accuracy, abstention, reply language.
EVAL_FLOORS = (0.95, 0.95, 0.98)
#: Where the version is written, once.
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
#: The commands a Ctrl+C ends as a person leaves a chat (exit 0); it stops any other with 130.
INTERACTIVE = ("run", "console")


def version() -> str:
    """ "name version" from pyproject.toml, the one place the version is written."""
    try:
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
        return f"{project['name']} {project['version']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "alliance-faq-bot (version unknown: pyproject.toml unreadable)"


def build_engine(settings: Settings) -> Engine:
    """Load knowledge/ and build the engine; raises KnowledgeError."""
    cache = KnowledgeCache(settings.cache_dir) if settings.cache_dir is not None else None
    loader = Loader(settings.knowledge_dir, cache=cache)
    return Engine(
        Snapshot.load(settings.knowledge_dir, loader=loader),
        answer_threshold=settings.answer_threshold,
        suggest_threshold=settings.suggest_threshold,
        loader=loader,
    )


def _questions(args: list[str], stdin: TextIO, *, keep_blank: bool) -> Iterable[str]:
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
        for line in _questions(questions, stdin, keep_blank=as_json):
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


#: The question files `eval` compares on, beside the fact sheets; holdout.yaml is never fitted on.
EVAL_SETS = (
    "questions.yaml",
    "blind-2026-11.yaml",
    "training.yaml",
    "training-casual.yaml",
    "training-formal.yaml",
    "training-mixed.yaml",
    "training-nearmiss.yaml",
    "training-varied.yaml",
    "former-holdout.yaml",
    "dev-2026-12.yaml",
    "holdout.yaml",
)
#: The files `calibrate` fits the decision on (every set but the held-out one).
FIT_SETS = EVAL_SETS[:-1]


def _eval_sets(root: Path, kb, names: Iterable[str]) -> dict[str, list]:
    """The named question files of knowledge/eval that exist, by name; raises KnowledgeError on a bad one."""
    sets = {}
    for name in names:
        if not (root / "eval" / name).exists():
            continue
        problems: list[Problem] = []
        questions = load_eval(root, problems, set(kb.facts_by_id), f"eval/{name}")
        if problems:
            raise KnowledgeError(problems)
        sets[name.removesuffix(".yaml")] = questions
    return sets


def cmd_compare(settings: Settings, out: TextIO, per_fact: int | None) -> int:
    """The lexical engine and the learned one side by side, on every set, with whole and thin facts."""
    kb = Loader(settings.knowledge_dir).load()
    sets = _eval_sets(Path(settings.knowledge_dir), kb, EVAL_SETS)
    if not sets:
        print("error: there are no evaluation questions to measure", file=sys.stderr)
        return 2
    cuts = (None, THIN_QUESTIONS) if per_fact is None else (per_fact,)
    rows = compare(kb, sets, cuts)
    out.write(format_table(rows, held_out=[n.removesuffix(".yaml") for n in EVAL_SETS if n not in FIT_SETS]) + "\n")
    for row in rows:
        if row.engine == "learned" and row.questions == "holdout":
            out.write(f"calibration on holdout ({row.knowledge}): {format_reliability(row.report)}\n")
    out.write(
        "fit: the decision was fitted on the set, and its out-of-scope questions are in out_of_scope.yaml "
        "(in-sample). held out: never fitted on, its misses never read for tuning. "
        "Misses of one set: `python bot.py eval --questions knowledge/eval/FILE`.\n"
    )
    current = Snapshot.build(kb)  # the whole knowledge, learned: what members are answered from
    followups = followup_section(Path(settings.knowledge_dir), current)
    if followups:
        out.write(followups + "\n")
    out.write(since_commit(Path(settings.knowledge_dir), current) + "\n")
    return 0


def cmd_calibrate(settings: Settings, out: TextIO) -> int:
    """Refit the decision on the fit sets and write knowledge/decision.yaml."""
    root = Path(settings.knowledge_dir)
    kb = Loader(root, decision=False).load()
    questions = [q for qs in _eval_sets(root, kb, FIT_SETS).values() for q in qs]
    if not questions:
        print("error: there are no evaluation questions to fit on", file=sys.stderr)
        return 2
    fitted = without_asked(kb, [q.q for q in questions])
    matchers = [Snapshot.build(fitted).matcher, Snapshot.build(cut_questions(fitted, THIN_QUESTIONS)).matcher]
    if matchers[0].embedder is None:
        print("error: the embedding model is not installed (pip install -r requirements.txt)", file=sys.stderr)
        return 2
    result = fit(matchers, questions)
    (root / DECISION_FILE).write_text(to_yaml(result.model, "python bot.py calibrate"), encoding="utf-8")
    m = result.model
    out.write(
        f"fitted on {result.questions} questions ({result.rows} candidates); answer at >= {m.answer_threshold:.2f}, "
        f"suggest at >= {m.suggest_threshold:.2f}; cross-validated: in-scope {m.measured['cv_in_scope_accuracy']:.1%}, "
        f"abstention {m.measured['cv_abstention']:.1%}, precision {m.measured['cv_precision']:.1%}. "
        f"Wrote {root / DECISION_FILE}.\n"
    )
    return 0


def cmd_eval(engine: Engine, out: TextIO, questions_file: str | None = None, per_fact: int | None = None) -> int:
    questions = None
    if per_fact:
        snapshot = Snapshot.build(cut_questions(engine.snapshot.kb, per_fact))
        engine = Engine(snapshot, answer_threshold=engine.answer_threshold, suggest_threshold=engine.suggest_threshold)
    if questions_file:
        kb = engine.snapshot.kb
        path = Path(questions_file).resolve()
        if not path.is_file():
            print(f"error: file not found: {questions_file}", file=sys.stderr)
            return 2
        problems: list[Problem] = []
        questions = load_eval(path.parent, problems, set(kb.facts_by_id), path.name)
        if problems or not questions:
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            print(f"error: no evaluation questions read from {questions_file}", file=sys.stderr)
            return 2
    report = evaluate(engine, questions)
    if not report.outcomes:
        print("error: there are no evaluation questions to measure", file=sys.stderr)
        return 2
    out.write(report.format() + "\n")
    accuracy, abstention, language = EVAL_FLOORS
    ok = report.accuracy >= accuracy and report.abstention >= abstention and report.language >= language
    out.write(
        f"targets: accuracy >= {accuracy:.0%}, abstention >= {abstention:.0%}, language >= {language:.0%}: "
        f"{'met' if ok else 'NOT met'}\n"
    )
    return 0 if ok else 1


def cmd_draft(snapshot: Snapshot, questions: list[str], out: TextIO) -> int:
    """Print the passages that best match the questions and a fact drafted from the best; 1 when none matches."""
    from engine.knowledge.drafting import draft  # the drafting commands' imports stay with them

    found = draft(snapshot, list(_questions(questions, sys.stdin, keep_blank=False)))
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


def add_drafting_commands(sub) -> None:
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bot.py",
        description="Alliance Renault-Nissan-Mitsubishi Q&A bot. With no command: `run`.",
    )
    p.add_argument("--version", action="version", version=version())
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


def main(argv: list[str] | None = None, **kwargs) -> int:
    """Run one command; a closed stdout (`| head`) or a Ctrl+C ends quietly instead of with a traceback."""
    try:
        return _main(argv, **kwargs)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        # Leaving the chat (even while it loads) is a normal end; any other command was cut short.
        args = parser().parse_args(argv)
        return 0 if (args.command or "run") in INTERACTIVE else 130


def _main(
    argv: list[str] | None = None,
    *,
    run_discord: Callable[[Settings], int] | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    args = parser().parse_args(argv)
    # Whatever bytes arrive, read them as UTF-8 (invalid ones replaced) and write UTF-8:
    # one bad line must not end the run nor put non-UTF-8 bytes in the JSON.
    for stream, options in ((stdin, {"encoding": "utf-8", "errors": "replace"}), (stdout, {"encoding": "utf-8"})):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(**options)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = args.command or "run"
    if command == "run" and settings.token and run_discord is not None:
        return run_discord(settings)  # the Discord front end sets up its own logging, once (discord.py's format)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if command == "journal-backup":
        return cmd_journal_backup(settings, args.dest, stdout)
    if command == "check":
        return cmd_check(settings, stdout, force=args.force)
    if command == "calibrate" or (command == "eval" and not args.questions):
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
        return cmd_draft(engine.snapshot, args.questions, stdout)
    if command == "add-source":
        return cmd_add_source(engine.snapshot, settings, args, stdout)
    if command == "ask":
        return cmd_ask(engine, args.questions, args.json, stdin, stdout, args.session)
    if command == "eval":
        return cmd_eval(engine, stdout, args.questions, args.questions_per_fact)
    banner = ""
    if command == "run":
        banner = (
            "No DISCORD_TOKEN configured: starting the console chat. To connect to Discord, "
            "copy .env.example to .env and set DISCORD_TOKEN (see README.md)."
        )
    return run_console(engine, settings.knowledge_dir, stdin, stdout, banner)
