"""Scoring follow-up questions: each exchange's second turn, with its first as context and without."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.answering import Engine, Reply, Snapshot
from engine.knowledge.model import Exchange
from engine.knowledge.schema import KnowledgeError, Problem, load_exchanges


def _got(reply: Reply) -> str | None:
    return reply.fact.id if reply.answered and reply.fact else None


@dataclass(frozen=True, slots=True)
class ExchangeOutcome:
    case: Exchange
    first: Reply
    then: Reply
    alone: Reply

    @property
    def correct(self) -> bool:
        return _got(self.then) in self.case.expect

    @property
    def correct_alone(self) -> bool:
        return _got(self.alone) in self.case.expect

    @property
    def language_ok(self) -> bool:
        return self.then.lang == self.case.lang


@dataclass(frozen=True, slots=True)
class FollowUpReport:
    outcomes: tuple[ExchangeOutcome, ...]

    def _share(self, outcomes: Sequence[ExchangeOutcome], alone: bool = False) -> float:
        if not outcomes:
            return 1.0
        return sum(o.correct_alone if alone else o.correct for o in outcomes) / len(outcomes)

    @property
    def in_scope(self) -> list[ExchangeOutcome]:
        return [o for o in self.outcomes if self._answerable(o)]

    @property
    def out_of_scope(self) -> list[ExchangeOutcome]:
        return [o for o in self.outcomes if not self._answerable(o)]

    @staticmethod
    def _answerable(outcome: ExchangeOutcome) -> bool:
        return outcome.case.expect != frozenset({None})

    def format(self, *, misses: bool = True) -> str:
        """Accuracy of the second turns in context beside the same questions asked alone."""
        n = len(self.outcomes)
        lines = [
            f"follow-ups: {n} exchanges ({len(self.in_scope)} answerable, {len(self.out_of_scope)} not covered)",
            f"  in context: right {self._share(self.outcomes):.1%} (answerable {self._share(self.in_scope):.1%}, "
            f"abstention {self._share(self.out_of_scope):.1%}); reply language "
            f"{sum(o.language_ok for o in self.outcomes) / n if n else 1:.1%}",
            f"  asked alone: right {self._share(self.outcomes, True):.1%} "
            f"(answerable {self._share(self.in_scope, True):.1%}, "
            f"abstention {self._share(self.out_of_scope, True):.1%})",
        ]
        wrong = [o for o in self.outcomes if not o.correct]
        if misses and wrong:
            lines.append(f"  misses in context ({len(wrong)}):")
            for o in wrong:
                expected = "/".join(sorted(e or "none" for e in o.case.expect))
                read = f" read as {o.then.understood!r}" if o.then.understood else ""
                lines.append(
                    f"    {o.case.first!r} -> {o.case.then!r}{read}: expected {expected}, "
                    f"got {_got(o.then) or o.then.kind} ({o.then.score})"
                )
        return "\n".join(lines)


def evaluate_exchanges(engine: Engine, exchanges: Sequence[Exchange]) -> FollowUpReport:
    """Ask each first question, then its follow-up in that context, and the follow-up alone."""
    outcomes = []
    for case in exchanges:
        first = engine.ask(case.first)
        then = engine.ask(case.then, previous=first.turn)
        outcomes.append(ExchangeOutcome(case, first, then, engine.ask(case.then)))
    return FollowUpReport(tuple(outcomes))


def followup_section(root: Path, snapshot: Snapshot) -> str:
    """The follow-up set's scores for `eval` (empty when the set is absent); raises KnowledgeError on a bad file."""
    problems: list[Problem] = []
    exchanges = load_exchanges(root, problems, set(snapshot.kb.facts_by_id))
    if problems:
        raise KnowledgeError(problems)
    if not exchanges:
        return ""
    return evaluate_exchanges(Engine(snapshot), exchanges).format(misses=False)
