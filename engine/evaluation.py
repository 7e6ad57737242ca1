"""Measuring answer quality on the evaluation questions kept beside the fact sheets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.answering import Engine, Reply, Snapshot
from engine.model import EvalQuestion


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


def _share(outcomes: list[Outcome], test) -> float:
    return sum(1 for o in outcomes if test(o)) / len(outcomes) if outcomes else 1.0


def evaluate(
    engine: Engine, questions: Sequence[EvalQuestion] | None = None, snapshot: Snapshot | None = None
) -> EvalReport:
    """Ask every evaluation question (the snapshot's own by default) and compare."""
    snap = snapshot or engine.snapshot
    cases = snap.kb.eval_questions if questions is None else questions
    return EvalReport(tuple(Outcome(case, engine.ask(case.q, snap)) for case in cases))
