"""What a reload would change: facts added, changed and removed, and the answers that move.

Before a new knowledge set replaces the one serving, its evaluation questions are asked
of both snapshots; every question whose answer is lost, moves to another fact, is
reworded or is newly answered is listed, so moderators see the effect before members do.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.answering import Engine, Snapshot
from engine.evaluation.questions import EvalReport, Outcome, evaluate
from engine.knowledge.model import KnowledgeBase

#: Kinds of answer change, in the order a report lists them (most worrying first).
KINDS = ("lost", "moved", "edited", "gained")
#: A reload that would remove more than this share of the facts serving needs a moderator's confirmation.
REMOVAL_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class FactDiff:
    """Fact ids added, changed (any field but where it is written) and removed."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """One evaluation question whose reply differs between the old and the new set."""

    question: str
    lang: str
    expect: str | None
    before: str | None  # fact id answered with, None when not answered
    after: str | None
    kind: str  # one of KINDS

    @property
    def now_correct(self) -> bool:
        return self.after == self.expect


@dataclass(frozen=True, slots=True)
class ChangeReport:
    facts: int
    diff: FactDiff
    changes: tuple[AnswerChange, ...]
    before: EvalReport
    after: EvalReport

    @property
    def facts_before(self) -> int:
        """How many facts the set serving now holds."""
        return self.facts - len(self.diff.added) + len(self.diff.removed)

    @property
    def removes_most(self) -> bool:
        """Whether the new set would drop most of the facts serving (an emptied sheet, a lost folder)."""
        before = self.facts_before
        return before > 0 and (self.facts == 0 or len(self.diff.removed) > REMOVAL_SHARE * before)

    def of_kind(self, kind: str) -> list[AnswerChange]:
        return [c for c in self.changes if c.kind == kind]

    def format(self) -> str:
        """A plain-text summary, for logs and terminals."""
        lines = [
            f"{self.facts} facts: {len(self.diff.added)} added, {len(self.diff.changed)} changed, "
            f"{len(self.diff.removed)} removed",
        ]
        for label, ids in (("added", self.diff.added), ("changed", self.diff.changed), ("removed", self.diff.removed)):
            if ids:
                lines.append(f"  {label}: {', '.join(ids)}")
        lines.append(
            f"evaluation: accuracy {self.before.accuracy:.1%} -> {self.after.accuracy:.1%}, "
            f"abstention {self.before.abstention:.1%} -> {self.after.abstention:.1%}"
        )
        for kind in KINDS:
            for change in self.of_kind(kind):
                lines.append(f"  {kind}: {change.question!r}: {change.before or '-'} -> {change.after or '-'}")
        return "\n".join(lines)


def diff_facts(old: KnowledgeBase, new: KnowledgeBase) -> FactDiff:
    """Compare two knowledge bases fact by fact, by id (a fact moved to another file is unchanged)."""
    old_ids, new_ids = set(old.facts_by_id), set(new.facts_by_id)
    return FactDiff(
        added=tuple(sorted(new_ids - old_ids)),
        changed=tuple(sorted(i for i in old_ids & new_ids if old.facts_by_id[i] != new.facts_by_id[i])),
        removed=tuple(sorted(old_ids - new_ids)),
    )


def _kind(before: Outcome, after: Outcome, changed: set[str]) -> str | None:
    if before.got and not after.got:
        return "lost"
    if not before.got and after.got:
        return "gained"
    if before.got != after.got:
        return "moved"
    if after.got in changed:
        return "edited"
    return None


def compare(engine: Engine, old: Snapshot, new: Snapshot) -> ChangeReport:
    """Replay the new set's evaluation questions against both snapshots and list what differs."""
    diff = diff_facts(old.kb, new.kb)
    cases = new.kb.eval_questions
    before = evaluate(engine, cases, snapshot=old)
    after = evaluate(engine, cases, snapshot=new)
    changed = set(diff.changed)
    changes = []
    for b, a in zip(before.outcomes, after.outcomes, strict=True):
        kind = _kind(b, a, changed)
        if kind is not None:
            changes.append(AnswerChange(a.case.q, a.case.lang, a.case.expect, b.got, a.got, kind))
    changes.sort(key=lambda c: KINDS.index(c.kind))
    return ChangeReport(len(new.kb.facts), diff, tuple(changes), before, after)
