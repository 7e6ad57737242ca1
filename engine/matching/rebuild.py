"""What a new matcher takes over from the one it replaces (a reload), part by part.

A reload under the same lexicon and model keeps every fact that is unchanged (the very same
object, as the Loader hands back unchanged facts, or one equal to it): their analyses, the
rows of their vectors and their year states. Only the facts put in or taken out are worked
out again. matcher.py assembles the parts; this module says, for each, what carries over.
Nothing here mutates the previous matcher: it is still being served while its successor is
built.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from engine.knowledge.model import Fact, KnowledgeBase
from engine.matching.decision import DecisionModel
from engine.matching.facttexts import VIEWS
from engine.matching.factvectors import FactRows
from engine.matching.features import latest_year
from engine.matching.index import FactEntry
from engine.matching.semantic import Embedder, FactTexts, FactVectors

if TYPE_CHECKING:
    from engine.knowledge.snapshotcache import StoredSnapshot
    from engine.matching.matcher import Matcher

log = logging.getLogger("alliance.matcher")

#: Per fact id: the fact, its analysis, and its vectors in each view (None without the semantic signal).
ByFact = dict[str, tuple[Fact, FactEntry, Sequence[FactTexts] | None]]


def same_fact(old: Fact, new: Fact) -> bool:
    """Whether `new` is analysed as `old` was: the very object, or one equal but for its file and line."""
    return old is new or old == new


def decision_for(kb: KnowledgeBase, embedder: Embedder | None) -> DecisionModel | None:
    """The base's fitted decision, unless there is no model or it was fitted with another one."""
    decision = kb.decision if embedder is not None else None
    fitted = decision.fitted_with.get("model") if decision is not None else None
    if fitted and embedder is not None and fitted != embedder.identity:
        # Weights fitted on another model's similarities mean nothing here: answer lexically, loudly.
        log.error(
            "decision.yaml was fitted with %s, not %s: refit it (python bot.py calibrate)", fitted, embedder.identity
        )
        return None
    return decision


def unchanged(previous: Matcher, kb: KnowledgeBase, decision: DecisionModel | None) -> bool:
    """Whether nothing the matcher depends on changed (a reload of an untouched folder, or of a sheet
    whose facts read the same: a comment, a layout), so the previous matcher can be shared whole."""
    return (
        previous.decision == decision
        and previous.kb.out_of_scope == kb.out_of_scope
        and previous.latest_year == latest_year(kb)
        and len(previous.kb.facts) == len(kb.facts)
        and all(same_fact(a, b) for a, b in zip(previous.kb.facts, kb.facts, strict=True))
    )


@dataclass(frozen=True, slots=True)
class Reuse:
    """How the facts of a new base stand to the previous matcher's (all of them fresh on a first build)."""

    #: The previous matcher's facts, when its analyses hold here (same lexicon and model), else empty.
    reusable: ByFact
    #: The facts to analyse: new, or changed since the previous matcher.
    fresh: list[Fact]
    #: Their ids.
    fresh_ids: frozenset[str]

    @classmethod
    def of(cls, kb: KnowledgeBase, previous: Matcher | None, same: bool) -> Reuse:
        """What `kb`'s facts take from `previous` (nothing unless `same`: the same lexicon and model)."""
        reusable = previous.facts if same and previous is not None else {}
        fresh = [f for f in kb.facts if (c := reusable.get(f.id)) is None or not same_fact(c[0], f)]
        return cls(reusable, fresh, frozenset(f.id for f in fresh))

    def kept(self, fact: Fact) -> tuple[FactEntry, Sequence[FactTexts] | None] | None:
        """The previous analysis and vectors of `fact`, when it is unchanged (one of `kb`'s facts not fresh)."""
        if fact.id in self.fresh_ids:
            return None
        _, entry, texts = self.reusable[fact.id]
        return entry, texts


def moved_entries(
    reusable: ByFact, entries: dict[str, FactEntry], taken_out: Iterable[str], put_in: Iterable[str]
) -> Iterator[FactEntry]:
    """The analyses of the facts a reload took out (as they were) and put in (as they are)."""
    return chain((reusable[i][1] for i in taken_out), (entries[i] for i in put_in))


def year_state(entry: FactEntry, latest: str | None) -> tuple[bool, bool]:
    """(the fact names only years before the article's latest, it names the latest year)."""
    years = {e for e in entry.entities if e.isdigit()}
    is_latest = latest is not None and latest in years
    return bool(years) and latest is not None and not is_latest, is_latest


def year_states(
    by_fact: ByFact,
    entries: dict[str, FactEntry],
    latest: str | None,
    earlier: dict[str, tuple[bool, bool]],
    reloading: bool,
    kept: set[str],
    taken_out: Sequence[str],
    put_in: Sequence[str],
) -> dict[str, tuple[bool, bool]]:
    """Each fact's year state; `earlier`, the previous matcher's when its latest year is the same, and
    `reloading` when its facts' analyses are reused (a reload under the same lexicon and model)."""
    if earlier and reloading:  # a reload: the previous states, the facts taken out dropped, those put in added
        years = dict(earlier)
        for fact_id in taken_out:
            years.pop(fact_id, None)
        years.update((i, year_state(entries[i], latest)) for i in put_in)
        return years
    return {i: earlier[i] if i in kept and i in earlier else year_state(e, latest) for i, (_, e, _) in by_fact.items()}


def stacked_vectors(
    by_fact: ByFact,
    position: dict[str, int],
    kept: set[str],
    embedder: Embedder | None,
    stored: StoredSnapshot | None,
    previous: Matcher | None,
) -> tuple[tuple[FactVectors, ...] | None, ByFact]:
    """Every fact's vectors stacked, one FactVectors per view, and `by_fact` with its rows as FactRows of them.

    `previous` (a reload under the same lexicon and model): the rows (and centroids) of the facts
    kept are copied from its matrices, or its very matrices shared when every fact stays in place.
    """
    old = previous.vectors if previous is not None and kept else None
    reused = [previous.position[i] if i in kept else None for i in by_fact] if old and previous else None
    vectors: tuple[FactVectors, ...] | None
    if stored is not None or embedder is None:
        vectors = stored.vectors if stored is not None and embedder is not None else None
    elif old is not None and previous is not None and reused == list(range(len(previous.order))):
        vectors = old  # every fact's rows where they were: the very matrices, shared
    else:
        blocks = [t for _, _, t in by_fact.values() if t is not None]
        vectors = tuple(
            FactVectors([b[view] for b in blocks], embedder.dim, old[view] if old else None, reused)
            for view in range(len(VIEWS))
        )
    if vectors is None:
        return None, by_fact
    # Each fact's blocks become views of the stacked matrices, made when a reload asks for them (FactRows): one
    # copy in memory, not two, and no view held meanwhile. A large base's reload keeps the served rows
    # (rowparts.py): its matrices' kept parts are views of them, and so are the kept facts' rows.
    return vectors, {i: (fact, entry, FactRows(vectors, position[i])) for i, (fact, entry, _) in by_fact.items()}
