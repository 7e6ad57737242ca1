"""The checks that span fact sheets: each id defined once, each question claimed by one fact.

Run at every load over every sheet (cached or not): at a thousand articles that is 31,000
ids and 620,000 questions, a Python loop of more than a second. Nearly every load is
clean, so the ids are gathered by a dict constructor in C and the questions' keys (their
folded words) compared as 64-bit hashes in one numpy sort; only when these show a
duplicate (an id, or two equal hashes) is the exact loop run, which reports each problem
where and in the order it always did, comparing the keys themselves. The result is the
same either way. Between loads a sheet keeps only its keys' hashes (5 MB at a thousand
articles, where the keys took 60), and a key is checked against its fact's questions
whenever a hash is what matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from engine.knowledge.model import Fact
from engine.knowledge.problems import Problem, Problems
from engine.knowledge.yamlfile import shown
from engine.textnorm import tokenize


@dataclass(frozen=True, slots=True)
class SheetFacts:
    """What a sheet brings to the cross-sheet checks (the Loader's cached sheet, in these terms)."""

    relative: str
    facts: tuple[Fact, ...]
    #: (id, line, questions line) of every fact node with a text id, valid or not, in order.
    declared: tuple[tuple[str, int, int | None], ...]
    #: The hash of each of its facts' questions' folded key, fact after fact in the order of `questions`.
    keys: np.ndarray
    #: The sheet's own problems, and how many more it found beyond them (counted only).
    problems: tuple[Problem, ...] = ()
    more: int = 0


#: A sheet read, or the problem of a file that was not (reported in its place among the sheets').
Item = SheetFacts | Problem


def questions(fact: Fact) -> list[tuple[str, str]]:
    """The fact's questions as (lang, text), in the order their keys are kept."""
    return [(lang, q) for lang, listed in fact.questions.items() for q in listed]


def key_of(question: str) -> str:
    """How questions are compared: their folded words (two facts asking "Qui dirige Nissan ?" collide)."""
    return " ".join(tokenize(question))


def hashed(keys: Iterable[Iterable[str]]) -> np.ndarray:
    """The hashes of the facts' keys (each fact's, in order), flat, as `SheetFacts.keys` holds them."""
    return np.fromiter(map(hash, chain.from_iterable(keys)), dtype=np.int64)


class Claims:
    """Which fact claims each question key, the first in load order; looked up by hash, confirmed by the key."""

    def __init__(self, facts: Sequence[Fact], hashes: np.ndarray, ordered: np.ndarray | None = None) -> None:
        """`hashes`: each fact's keys' hashes, fact after fact (`ordered`: the same, sorted, when at hand)."""
        self._facts: Sequence[Fact] = facts
        self._hashes = hashes
        self._sorted = np.sort(hashes) if ordered is None else ordered
        self._owners: np.ndarray | None = None

    def owners(self, keys: Sequence[str]) -> list[str | None]:
        """`get` of each key, the hashes searched at once (a start checks a thousand out-of-scope questions)."""
        found = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        ordered = self._sorted
        at = np.minimum(np.searchsorted(ordered, found), max(len(ordered) - 1, 0))
        hit = (ordered[at] == found).tolist() if len(ordered) else [False] * len(keys)
        return [self.get(key) if claimed else None for key, claimed in zip(keys, hit, strict=True)]

    def get(self, key: str) -> str | None:
        """The id of the fact that claims `key`, or None (most keys asked are claimed by none: one search)."""
        found = hash(key)
        at = int(np.searchsorted(self._sorted, found))
        if at == len(self._sorted) or self._sorted[at] != found:
            return None
        if self._owners is None:
            self._owners = _owners(self._facts)
        owners: list[int] = self._owners[np.flatnonzero(self._hashes == found)].tolist()
        for owner in owners:
            fact = self._facts[owner]
            if any(key_of(q) == key for _, q in questions(fact)):
                return fact.id
        return None


def _sorted(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hashes sorted, and those found more than once (a sort, not numpy's hashing `unique`: 20 times faster)."""
    ordered = np.sort(hashes)
    return ordered, ordered[1:][ordered[1:] == ordered[:-1]]


def check_claims(items: Sequence[Item], problems: Problems) -> tuple[list[Fact], set[str], Claims]:
    """The facts kept (a duplicate id's first definition), every id declared, and the fact that claims each
    question key; every item's problems, then the duplicates, reported into `problems` in sheet order."""
    sheets = [item for item in items if isinstance(item, SheetFacts)]
    declared = [(fact_id, (sheet.relative, line)) for sheet in sheets for fact_id, line, _ in sheet.declared]
    first_seen = dict(declared)
    if len(first_seen) == len(declared):
        # No id defined twice: every fact is kept. Its keys are claimed once each unless two hashes agree.
        facts = [fact for sheet in sheets for fact in sheet.facts]
        hashes = np.concatenate([sheet.keys for sheet in sheets]) if sheets else np.zeros(0, np.int64)
        ordered, twice = _sorted(hashes)
        if not len(twice) or _within_facts(facts, hashes, twice):
            for item in items:
                _report(item, problems)
            return facts, set(first_seen), Claims(facts, hashes, ordered)
    return _exact(items, problems)


def _within_facts(facts: Sequence[Fact], hashes: np.ndarray, twice: np.ndarray) -> bool:
    """Whether every hash found more than once is found within one fact only (its two languages asking the
    same words: "Makoto Uchida ?"): no question is then claimed by two facts, and the exact loop, which
    would compare their keys one by one (0.15 s at a thousand articles, at every reload), finds nothing."""
    shared = np.flatnonzero(np.isin(hashes, twice))
    owners = _owners(facts)[shared]
    found = hashes[shared]
    order = np.lexsort((owners, found))
    found, owners = found[order], owners[order]
    same = found[1:] == found[:-1]
    return bool((owners[1:][same] == owners[:-1][same]).all())


def _owners(facts: Sequence[Fact]) -> np.ndarray:
    """Each key's fact, as its position in `facts` (keys in the order `hashed` gives them)."""
    sizes = np.fromiter((sum(map(len, f.questions.values())) for f in facts), dtype=np.int64, count=len(facts))
    return np.repeat(np.arange(len(facts), dtype=np.int64), sizes)


def _report(item: Item, problems: Problems) -> None:
    if isinstance(item, Problem):
        problems.append(item)
    else:
        problems.extend(item.problems)
        problems.count_more(item.more)


def _exact(items: Sequence[Item], problems: Problems) -> tuple[list[Fact], set[str], Claims]:
    """Every duplicate reported, sheet by sheet in name order, the first definition kept (only keys whose
    hash is shared can be claimed twice: only theirs are compared)."""
    sheets = [item for item in items if isinstance(item, SheetFacts)]
    every = np.concatenate([sheet.keys for sheet in sheets]) if sheets else np.zeros(0, np.int64)
    twice = _sorted(every)[1]
    shared = set(twice.tolist())
    facts: list[Fact] = []
    kept_hashes: list[np.ndarray] = []
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
        # Which keys' hashes another key shares, found for the whole sheet at once: most facts have none, and
        # their questions need not be listed and looked up one by one (a large base reloads in 0.3 s less).
        sizes = np.fromiter((sum(map(len, f.questions.values())) for f in sheet.facts), np.int64, len(sheet.facts))
        ends = np.cumsum(sizes)
        flagged = np.concatenate(([0], np.cumsum(np.isin(sheet.keys, twice))))
        suspects = (flagged[ends] > flagged[ends - sizes]).tolist()
        kept_here = [first_seen[fact.id] == (relative, fact.line) for fact in sheet.facts]  # else a duplicate
        facts += [fact for fact, wins in zip(sheet.facts, kept_here, strict=True) if wins]
        kept_hashes.append(sheet.keys[np.repeat(np.array(kept_here, dtype=bool), sizes)])
        for fact, wins, suspect, end, size in zip(
            sheet.facts, kept_here, suspects, ends.tolist(), sizes.tolist(), strict=True
        ):
            if not (wins and suspect):
                continue  # a duplicate (the first definition wins), or no key whose hash another key has
            hashes = sheet.keys[end - size : end]
            for (lang, question), found in zip(questions(fact), hashes.tolist(), strict=True):
                if found not in shared:
                    continue  # a hash no other key has: claimed by this fact alone
                key = key_of(question)
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
    kept = np.concatenate(kept_hashes) if kept_hashes else np.zeros(0, np.int64)
    return facts, set(first_seen), Claims(facts, kept)
