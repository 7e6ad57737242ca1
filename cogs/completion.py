"""Autocomplete: the known questions and fact ids nearest to what a member has typed so far."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from engine import Snapshot, tokenize

#: Discord shows at most 25 autocomplete choices.
MAX_CHOICES = 25


class _Index:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.questions: list[tuple[str, str]] = []  # (question, lang)
        for fact in snapshot.kb.facts:
            for lang, listed in fact.questions.items():
                self.questions.extend((q, lang) for q in listed)
        self.keys = [" ".join(tokenize(q)) for q, _ in self.questions]
        self.firsts = {lang: [fact.questions[lang][0] for fact in snapshot.kb.facts] for lang in ("fr", "en")}


_cache: list[_Index] = []


def _index(snapshot: Snapshot) -> _Index:
    """The index of the snapshot serving now; rebuilt once after each reload."""
    if not _cache or _cache[0].snapshot is not snapshot:
        _cache[:] = [_Index(snapshot)]
    return _cache[0]


def complete_question(snapshot: Snapshot, typed: str, lang: str = "fr", limit: int = MAX_CHOICES) -> list[str]:
    """Known questions like `typed`; with nothing typed, one question per fact in `lang`."""
    index = _index(snapshot)
    key = " ".join(tokenize(typed))
    if not key:
        return index.firsts.get(lang, index.firsts["fr"])[:limit]
    found = process.extract(key, index.keys, scorer=fuzz.WRatio, limit=limit * 2, score_cutoff=50)
    # Same score: the asker's language first.
    found.sort(key=lambda hit: (-hit[1], index.questions[hit[2]][1] != lang))
    return list(dict.fromkeys(index.questions[i][0] for _, _, i in found))[:limit]


def complete_fact_id(snapshot: Snapshot, typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """Fact ids containing or resembling `typed` (all of them, in order, when nothing is typed)."""
    ids = [fact.id for fact in snapshot.kb.facts]
    typed = typed.strip().lower()
    if not typed:
        return ids[:limit]
    containing = [i for i in ids if typed in i]
    alike = [i for i, _, _ in process.extract(typed, ids, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)]
    return list(dict.fromkeys(containing + alike))[:limit]
