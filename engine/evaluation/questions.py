"""Measuring answer quality on the evaluation questions kept beside the fact sheets."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from engine.answering import Engine, Reply, Snapshot
from engine.knowledge.model import EvalQuestion, KnowledgeBase
from engine.matching.calibrate import THIN_QUESTIONS, cut_questions, reliability


@dataclass(frozen=True, slots=True)
class Outcome:
    case: EvalQuestion
    reply: Reply

    @property
    def got(self) -> str | None:
        return self.reply.fact.id if self.reply.answered and self.reply.fact else None

    @property
    def correct(self) -> bool:
        return self.got == self.case.expect

    @property
    def language_ok(self) -> bool:
        return self.reply.lang == self.case.lang


@dataclass(frozen=True, slots=True)
class EvalReport:
    outcomes: tuple[Outcome, ...]

    @property
    def in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.expect is not None]

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.expect is None]

    @property
    def accuracy(self) -> float:
        return _share(self.in_scope, lambda o: o.correct)

    @property
    def abstention(self) -> float:
        return _share(self.out_of_scope, lambda o: o.correct)

    @property
    def language(self) -> float:
        return _share(list(self.outcomes), lambda o: o.language_ok)

    @property
    def suggested(self) -> float:
        """Share of in-scope misses whose right fact is among the suggestions offered."""
        missed = [o for o in self.in_scope if not o.correct]
        return _share(missed, lambda o: o.case.expect in {s.fact_id for s in o.reply.suggestions})

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct or not o.language_ok]

    def format(self) -> str:
        lines = [
            f"questions: {len(self.outcomes)} ({len(self.in_scope)} in scope, {len(self.out_of_scope)} out of scope)",
            f"in-scope top-1 accuracy: {self.accuracy:.1%}",
            f"out-of-scope abstention: {self.abstention:.1%}",
            f"reply-language accuracy: {self.language:.1%}",
        ]
        if self.misses:
            lines.append(f"misses ({len(self.misses)}):")
            for o in self.misses:
                lang = "" if o.language_ok else f" lang={o.reply.lang} (expected {o.case.lang})"
                got = f"{o.got or o.reply.kind} ({o.reply.score})"
                lines.append(f"  {o.case.q!r}: expected {o.case.expect or 'none'}, got {got}{lang}")
        return "\n".join(lines)


def _share(outcomes: list[Outcome], test: Callable[[Outcome], bool]) -> float:
    return sum(1 for o in outcomes if test(o)) / len(outcomes) if outcomes else 1.0


def evaluate(
    engine: Engine, questions: Sequence[EvalQuestion] | None = None, snapshot: Snapshot | None = None
) -> EvalReport:
    """Ask every evaluation question (the snapshot's own by default) and compare."""
    snap = snapshot or engine.snapshot
    cases = snap.kb.eval_questions if questions is None else questions
    return EvalReport(tuple(Outcome(case, engine.ask(case.q, snap)) for case in cases))


#: The engines `compare` sets side by side: the lexical signal alone (the engine before the
#: semantic signal and the learned decision), and the full one.
ENGINES = ("lexical", "learned")


@dataclass(frozen=True, slots=True)
class Row:
    questions: str
    knowledge: str
    engine: str
    report: EvalReport


def snapshots(kb: KnowledgeBase, per_fact: int | None = None) -> dict[str, Snapshot]:
    """The lexical and the learned snapshot of `kb` (cut to `per_fact` questions a language when given)."""
    if per_fact:
        kb = cut_questions(kb, per_fact)
    return {"lexical": Snapshot.build(kb, embedder=None), "learned": Snapshot.build(kb)}


def compare(
    kb: KnowledgeBase,
    sets: Mapping[str, Sequence[EvalQuestion]],
    per_fact: Sequence[int | None] = (None, THIN_QUESTIONS),
) -> list[Row]:
    """Every question set, under the whole knowledge and thin facts, by both engines."""
    rows = []
    for cut in per_fact:
        built = snapshots(kb, cut)
        label = "full" if cut is None else f"{cut} q/fact"
        for name, questions in sets.items():
            for engine_name in ENGINES:
                snap = built[engine_name]
                rows.append(Row(name, label, engine_name, evaluate(Engine(snap), questions, snap)))
    return rows


def format_table(rows: Sequence[Row], held_out: Iterable[str] = ()) -> str:
    """The rows as a markdown table; sets not named in `held_out` are marked as fitted on."""
    held = set(held_out)
    lines = [
        "| questions | knowledge | engine | in-scope | abstention | reply language | misses suggested |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        n = len(r.report.in_scope), len(r.report.out_of_scope)
        # A share of no question is no figure: a set of only out-of-scope questions has no in-scope accuracy.
        accuracy = f"{r.report.accuracy:.1%}" if n[0] else "n/a"
        abstention = f"{r.report.abstention:.1%}" if n[1] else "n/a"
        suggested = f"{r.report.suggested:.0%}" if any(not o.correct for o in r.report.in_scope) else "n/a"
        lines.append(
            f"| {r.questions} ({n[0]}/{n[1]}, {'held out' if r.questions in held else 'fit'}) | {r.knowledge} | "
            f"{r.engine} | {accuracy} | {abstention} | {r.report.language:.1%} | {suggested} |"
        )
    return "\n".join(lines)


def format_reliability(report: EvalReport) -> str:
    """How often answers are right at each level of the confidence shown (answered questions only)."""
    answered = [o for o in report.outcomes if o.reply.answered]
    bins = reliability([o.reply.score / 100 for o in answered], [o.correct for o in answered])
    return "; ".join(f"shown {p:.0%}: right {r:.0%} of {n}" for p, r, n in bins)
