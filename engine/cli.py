"""The terminal front ends: `ask`, `ask --json`, `console`, `check` and `eval`.

Everything here drives the same Engine as the Discord cogs. Answers go to stdout, logs
and errors to stderr, so `ask --json` prints nothing but its JSON lines.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from engine.answering import Engine, Reply, Snapshot
from engine.cache import KnowledgeCache
from engine.evaluation import compare, evaluate, format_reliability, format_table
from engine.loader import KnowledgeError, Loader
from engine.matching.calibrate import THIN_QUESTIONS, cut_questions, fit, to_yaml
from engine.render import render_text, reply_json
from engine.schema import DECISION_FILE, Problem, load_eval
from engine.settings import Settings, SettingsError

log = logging.getLogger("alliance.cli")

#: Floors `eval` exits non-zero under: in-scope accuracy, abstention, reply language.
EVAL_FLOORS = (0.95, 0.95, 0.98)


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


def cmd_ask(engine: Engine, questions: list[str], as_json: bool, stdin: TextIO, out: TextIO) -> int:
    """Answer each question; with --json exactly one object per input line, blank lines included."""
    for question in _questions(questions, stdin, keep_blank=as_json):
        reply = engine.ask(question)
        if as_json:
            out.write(json.dumps(reply_json(reply), ensure_ascii=False) + "\n")
            out.flush()
        else:
            out.write(render_text(reply) + "\n\n")
    return 0


def cmd_console(engine: Engine, stdin: TextIO, out: TextIO, banner: str = "") -> int:
    """An interactive chat; a number picks one of the suggestions just offered."""
    out.write((banner + "\n" if banner else "") + "Posez votre question (ou 'quit'). Ask your question (or 'quit').\n")
    last: Reply | None = None
    while True:
        out.write("> ")
        out.flush()
        line = stdin.readline()
        if not line:
            out.write("\n")
            return 0
        text = line.strip()
        if text.lower() in ("quit", "exit", "q", ":q", "bye"):
            return 0
        if not text:
            continue
        if last is not None and text.isdecimal() and 1 <= int(text) <= len(last.suggestions):
            chosen = last.suggestions[int(text) - 1]
            reply = engine.answer_fact(chosen.fact_id, last.lang, chosen.question, score=chosen.score)
            if reply is None:
                continue
        else:
            reply = engine.ask(text)
        out.write(render_text(reply) + "\n")
        # Only the numbered guesses of an "unsure" reply are shown, so only they can be picked.
        last = reply if reply.kind == "unsure" else None


def cmd_check(settings: Settings, out: TextIO) -> int:
    try:
        snapshot = Snapshot.load(settings.knowledge_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            out.write(f"{problem}\n")
        out.write(f"{len(exc.problems)} problem(s) found; nothing was loaded.\n")
        return 1
    kb = snapshot.kb
    variants = sum(len(q) for f in kb.facts for q in f.questions.values())
    out.write(
        f"OK: {len(kb.facts)} facts, {variants} question variants, {len(kb.sources)} source(s), "
        f"{len(kb.topics)} topics, {len(kb.eval_questions)} evaluation questions.\n"
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
    return 0


def cmd_calibrate(settings: Settings, out: TextIO) -> int:
    """Refit the decision on the fit sets and write knowledge/decision.yaml."""
    root = Path(settings.knowledge_dir)
    kb = Loader(root, decision=False).load()
    questions = [q for qs in _eval_sets(root, kb, FIT_SETS).values() for q in qs]
    if not questions:
        print("error: there are no evaluation questions to fit on", file=sys.stderr)
        return 2
    matchers = [Snapshot.build(kb).matcher, Snapshot.build(cut_questions(kb, THIN_QUESTIONS)).matcher]
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bot.py", description="Alliance Renault-Nissan-Mitsubishi Q&A bot.")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord (console chat when no DISCORD_TOKEN is set)")
    ask = sub.add_parser("ask", help="answer questions given as arguments, or one a line on stdin")
    ask.add_argument("questions", nargs="*", metavar="QUESTION")
    ask.add_argument("--json", action="store_true", help="one JSON object a line (the stable contract)")
    sub.add_parser("console", help="interactive chat in the terminal")
    sub.add_parser("check", help="validate knowledge/ and list every problem")
    evaluation = sub.add_parser("eval", help="measure accuracy, abstention and reply language on evaluation questions")
    evaluation.add_argument(
        "--questions", metavar="FILE", help="one question file, with its misses (default: every set, side by side)"
    )
    evaluation.add_argument(
        "--questions-per-fact", type=int, metavar="N", help="cut every fact to its first N questions a language"
    )
    sub.add_parser("calibrate", help="refit the decision on the evaluation questions (writes knowledge/decision.yaml)")
    return p


def main(argv: list[str] | None = None, **kwargs) -> int:
    """Run one command; a closed stdout (`| head`) ends quietly instead of with a traceback."""
    try:
        return _main(argv, **kwargs)
    except BrokenPipeError:
        sys.stderr.close()
        return 0


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
    logging.basicConfig(level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    command = args.command or "run"
    if command == "check":
        return cmd_check(settings, stdout)
    if command == "calibrate" or (command == "eval" and not args.questions):
        try:
            if command == "calibrate":
                return cmd_calibrate(settings, stdout)
            return cmd_compare(settings, stdout, args.questions_per_fact)
        except KnowledgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if command == "run" and settings.token and run_discord is not None:
        return run_discord(settings)
    try:
        engine = build_engine(settings)
    except KnowledgeError as exc:
        print(f"error: {exc}\nRun `python bot.py check` for the full list.", file=sys.stderr)
        return 1
    if command == "ask":
        return cmd_ask(engine, args.questions, args.json, stdin, stdout)
    if command == "eval":
        return cmd_eval(engine, stdout, args.questions, args.questions_per_fact)
    banner = ""
    if command == "run":
        banner = (
            "No DISCORD_TOKEN configured: starting the console chat. To connect to Discord, "
            "copy .env.example to .env and set DISCORD_TOKEN (see README.md)."
        )
    return cmd_console(engine, stdin, stdout, banner)
