"""The checks that span fact sheets: each id defined once, each question claimed by one fact.

Run at every load over every sheet (cached or not): at a thousand articles that is 31,000
ids and 620,000 questions, a Python loop of more than a second. Nearly every load is
clean, so the claims are first gathered by dict constructors in C, and only when they show
a duplicate (an id, or a question key claimed twice) is the exact loop run, which reports
each problem where and in the order it always did. The result is the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

from engine.knowledge.model import Fact
from engine.knowledge.problems import Problem, Problems
from engine.knowledge.yamlfile import shown


@dataclass(frozen=True, slots=True)
class SheetFacts:
    """What a sheet brings to the cross-sheet checks (the Loader's cached sheet, in these terms)."""

    relative: str
    facts: tuple[Fact, ...]
    #: (id, line, questions line) of every fact node with a text id, valid or not, in order.
    declared: tuple[tuple[str, int, int | None], ...]
    #: For each fact, each of its questions' folded key, in the order of `questions`.
    keys: tuple[tuple[str, ...], ...]
    #: The sheet's own problems, and how many more it found beyond them (counted only).
    problems: tuple[Problem, ...] = ()
    more: int = 0


#: A sheet read, or the problem of a file that was not (reported in its place among the sheets').
Item = SheetFacts | Problem


def questions(fact: Fact) -> list[tuple[str, str]]:
    """The fact's questions as (lang, text), in the order their keys are kept."""
    return [(lang, q) for lang, listed in fact.questions.items() for q in listed]


def check_claims(items: Sequence[Item], problems: Problems) -> tuple[list[Fact], set[str], dict[str, str]]:
    """The facts kept (a duplicate id's first definition), every id declared, and the fact that claims each
    question key; every item's problems, then the duplicates, reported into `problems` in sheet order."""
    sheets = [item for item in items if isinstance(item, SheetFacts)]
    declared = [(fact_id, (sheet.relative, line)) for sheet in sheets for fact_id, line, _ in sheet.declared]
    first_seen = dict(declared)
    if len(first_seen) == len(declared):
        # No id defined twice: every fact is kept. Its keys are claimed once each unless two agree.
        facts = [fact for sheet in sheets for fact in sheet.facts]
        keys = [key for sheet in sheets for fact_keys in sheet.keys for key in fact_keys]
        pairs = ((fact, fact_keys) for sheet in sheets for fact, fact_keys in zip(sheet.facts, sheet.keys, strict=True))
        owners = chain.from_iterable(repeat(fact.id, len(fact_keys)) for fact, fact_keys in pairs)
        claimed = dict(zip(keys, owners, strict=True))
        if len(claimed) == len(keys):
            for item in items:
                _report(item, problems)
            return facts, set(first_seen), claimed
    return _exact(items, problems)


def _report(item: Item, problems: Problems) -> None:
    if isinstance(item, Problem):
        problems.append(item)
    else:
        problems.extend(item.problems)
        problems.count_more(item.more)


def _exact(items: Sequence[Item], problems: Problems) -> tuple[list[Fact], set[str], dict[str, str]]:
    """Every duplicate reported, sheet by sheet in name order, the first definition kept."""
    facts: list[Fact] = []
    first_seen: dict[str, tuple[str, int]] = {}
    claimed: dict[str, str] = {}
    for sheet in items:
        _report(sheet, problems)
        if isinstance(sheet, Problem):
            continue
        relative = sheet.relative
        for fact_id, line, _ in sheet.declared:
            first = first_seen.setdefault(fact_id, (relative, line))
            if first != (relative, line):
                problems.append(
                    Problem(
                        relative,
                        line,
                        fact_id,
                        f"duplicate id: the original is at {first[0]}:{first[1]} (sheets load in name order, "
                        "the first one kept); rename this copy or remove one of the two",
                    )
                )
        questions_line = {fact_id: q_line for fact_id, _, q_line in sheet.declared}
        for fact, keys in zip(sheet.facts, sheet.keys, strict=True):
            if first_seen[fact.id] != (relative, fact.line):
                continue  # a duplicate: the first definition wins
            for (lang, question), key in zip(questions(fact), keys, strict=True):
                owner = claimed.setdefault(key, fact.id)
                if owner != fact.id:
                    problems.append(
                        Problem(
                            relative,
                            questions_line[fact.id],
                            fact.id,
                            f"question {shown(question)} ({lang}) is also claimed by fact '{owner}'",
                        )
                    )
            facts.append(fact)
    return facts, set(first_seen), claimed
