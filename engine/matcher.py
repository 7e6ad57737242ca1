"""Ranking facts for a question: an index built once per knowledge base, cheap per question.

Every fact's questions, keywords and answers are analysed once (normalised, synonyms
folded, stop words dropped). A question is analysed the same way, its misspelt words
corrected against the knowledge base's own vocabulary with rapidfuzz, and candidate facts
come from an inverted index, so the cost follows the question's words, not the size of
the base. Each candidate is scored on how much of the question (weighted by rarity) its
closest question variant and its whole vocabulary explain, then penalised when the
question names an entity or year the fact never mentions, or asks a kind of thing
(who, when, where, how many) the fact never answers.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from engine.index import FactEntry, Index, analyse_fact
from engine.language import LanguageGuesser
from engine.lexicon import Analysis
from engine.model import Fact, KnowledgeBase
from engine.textnorm import MAX_CHARS, tokenize

#: At most this many facts get a full score for one question (the best by their upper bound).
MAX_SCORED = 40
#: Weight of a variant's score against the fact's whole vocabulary.
VARIANT_WEIGHT = 0.7
#: How hard unexplained words of the question pull the score down, on top of the blend.
COVERAGE_POWER = 1.0
#: Recall matters more than precision: members ask short questions.
BETA2 = 2.0
#: Multipliers for a question naming an entity the fact never mentions, or asking another kind.
ENTITY_PENALTY = 0.45
KIND_PENALTY = 0.7
#: An entity named by at least this share of facts is context: naming it is no sign of another subject.
CONTEXT_ENTITY_SHARE = 0.15
#: Multiplier for a named entity that only the fact's answer mentions, not its questions.
ANSWER_ENTITY_PENALTY = 0.85
#: Share of a variant's score given to its plain similarity with the question, stop words included:
#: it breaks ties between variants that hold the same content words ("what will X do" vs "will there be X").
SURFACE_WEIGHT = 0.2
#: Share of weight a word found only in a fact's answer (not its questions) counts for.
ANSWER_WORD_SHARE = 0.5
#: Words at least this common (Zipf) in French or English are real words, never corrected.
REAL_WORD_ZIPF = 3.0
#: An unknown real word weighs this many times the base's rarest word.
UNKNOWN_BOOST = 1.0
#: Weight share of a word that is neither in the base nor a real word (a typo or slang).
NON_WORD_SHARE = 0.6
#: The least an unknown word weighs, as a share of the rarest word's weight.
UNKNOWN_FLOOR = 0.25
#: Zipf frequencies at which an unknown real word starts to weigh less, and over what span.
UNKNOWN_COMMON = 7.0
UNKNOWN_SPAN = 2.0
#: A capitalised word that does not start a sentence: a name, when the base does not know it.
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w-]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fact with its score (0-1) for one question."""

    fact: Fact
    score: float


def _max_distance(word: str) -> int:
    return 1 if len(word) <= 6 else 2


class Matcher:
    """The search index over one KnowledgeBase; immutable once built.

    Built with the index of the previous snapshot, it reuses the analysis of every fact
    that is the very same object under the very same lexicon (the Loader hands back
    unchanged facts as they were), so a reload only analyses what changed.
    """

    def __init__(self, kb: KnowledgeBase, previous: Matcher | None = None) -> None:
        lexicon = kb.lexicon
        self.kb = kb
        self.lexicon = lexicon
        facts = kb.facts
        same_lexicon = previous is not None and previous.lexicon is lexicon
        if (
            same_lexicon
            and len(previous.kb.facts) == len(facts)
            and all(a is b for a, b in zip(previous.kb.facts, facts, strict=True))
        ):
            # Nothing changed (a reload of an untouched folder): share the previous index whole.
            self.__dict__.update(previous.__dict__)
            self.kb = kb
            self.correct = lru_cache(maxsize=4096)(self._correct)
            return
        reusable = previous._by_fact if same_lexicon else {}
        by_fact: dict[str, tuple[Fact, FactEntry]] = {}
        kept: set[str] = set()
        for fact in facts:
            cached = reusable.get(fact.id)
            if cached is not None and cached[0] is fact:
                by_fact[fact.id] = cached
                kept.add(fact.id)
            else:
                by_fact[fact.id] = (fact, analyse_fact(fact, lexicon))
        self._by_fact = by_fact
        if same_lexicon:
            index = previous._index.evolve(
                ((i, e) for i, (_, e) in reusable.items() if i not in kept),
                ((i, e) for i, (_, e) in by_fact.items() if i not in kept),
            )
        else:
            index = Index.build((i, e) for i, (_, e) in by_fact.items())
        self._index = index

        count = max(index.size, 1)
        #: Entities most facts mention (the Alliance's own members) are context, not what is asked about.
        self._context_entities = frozenset(
            e for e, n in index.entity_counts.items() if n >= CONTEXT_ENTITY_SHARE * count
        )
        # A fact's question and answer bags are disjoint: its word counts once in one postings list.
        df = Counter({t: len(ids) for t, ids in index.question_postings.items()})
        df.update({t: len(ids) for t, ids in index.answer_postings.items()})
        self._idf = {t: math.log(1 + count / n) for t, n in df.items()}
        #: A word the base has never seen weighs like its rarest word (it may be what the question
        #: is about), less when it is a very common word of French or English.
        self._unknown_weight = UNKNOWN_BOOST * math.log(1 + count)
        #: Each variant's total weight, computed the first time its fact is scored.
        self._variant_weights: dict[str, tuple[float, ...]] = {}
        known_words = set(lexicon.stopwords) | set(lexicon.words) | index.word_counts.keys()
        for phrase in (*lexicon.phrases, *lexicon.smalltalk, *lexicon.kinds):
            known_words.update(phrase)
        for entity in lexicon.entities:
            known_words.update(entity.split("_"))
        self._known_words = frozenset(known_words)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(known_words):
            if not word.isdigit():
                by_length[len(word)].append(word)
        self._by_length = dict(by_length)
        own_words = {lang: index.own_counts.get(lang, Counter()).keys() for lang in ("fr", "en")}
        shared = own_words["fr"] & own_words["en"]
        self.language = LanguageGuesser(
            lexicon.markers,
            {
                lang: frozenset(w for w in words - shared if len(w) > 2 and w not in lexicon.entities)
                for lang, words in own_words.items()
            },
            lexicon.frequencies,
            frozenset(w for entity in lexicon.entities for w in entity.split("_")),
        )
        self.correct = lru_cache(maxsize=4096)(self._correct)

    def _unknown(self, token: str) -> float:
        zipf = self.lexicon.zipf(token)
        if zipf < REAL_WORD_ZIPF:
            # Not a real word either: most likely a typo or slang the lexicon does not know yet.
            return self._unknown_weight * NON_WORD_SHARE
        return self._unknown_weight * min(1.0, max(UNKNOWN_FLOOR, (UNKNOWN_COMMON - zipf) / UNKNOWN_SPAN))

    def _correct(self, word: str) -> str:
        """The known word closest to a misspelt one (OSA distance 1, or 2 for long words).

        Real French or English words are left alone: "price" is not a typo of "prise".
        """
        if word in self._known_words or len(word) < 4 or word.isdigit() or self.lexicon.zipf(word) >= REAL_WORD_ZIPF:
            return word
        limit = _max_distance(word)
        found: list[tuple[str, float, int]] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            choices = self._by_length.get(length)
            if choices:
                found += process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return word
        # The closest word; among equals, one that starts alike ("wher" is "where", not "her"),
        # then a content word over a stop word, then a longer word (a letter left out is the
        # commonest typo: "wher" is "where" rather than "when"), then the nearest length.
        stopwords = self.lexicon.stopwords
        best = min(
            found,
            key=lambda f: (
                f[1],
                f[0][0] != word[0],
                f[0] in stopwords,
                len(f[0]) <= len(word),
                abs(len(f[0]) - len(word)),
                f[0],
            ),
        )
        return best[0]

    def words(self, text: str) -> list[str]:
        """The question's words, folded and with misspellings corrected."""
        return [self.correct(w) for w in self.lexicon.split(text)]

    def analyse(self, text: str, words: list[str] | None = None) -> Analysis:
        """The question's analysis: corrected words, plus capitalised names the base does not know.

        "Who is the CEO of Ferrari?" names an entity no fact mentions; treating such a name
        like a known entity keeps it from being answered with a fact about another company.
        """
        if words is None:
            words = self.words(text)
        analysis = self.lexicon.analyse(text, words)
        names = {
            token
            for word in _NAME.findall(text[:MAX_CHARS])
            for token in tokenize(word)
            if token not in self._known_words and self.correct(token) not in self._known_words
        }
        if names:
            analysis = replace(analysis, entities=analysis.entities | names)
        return analysis

    def rank(self, analysis: Analysis, limit: int = 4) -> list[Candidate]:
        """The best facts for an analysed question, best first, at most `limit`."""
        tokens = analysis.tokens
        if not tokens:
            return []
        weights = {t: self._idf.get(t) or self._unknown(t) for t in tokens}
        total = sum(weights.values())
        # Coverage (the share of the question's weight a fact's words explain) is exact from the
        # postings, and with the fact's penalties it bounds its score from above: score facts in
        # that order, stop once none left can enter the top `limit`, and never score more than
        # MAX_SCORED (a question made only of very common words could otherwise touch them all).
        explained: dict[str, float] = defaultdict(float)
        for token in tokens:
            weight = weights[token]
            for fact_id in self._index.question_postings.get(token, ()):
                explained[fact_id] += weight
            for fact_id in self._index.answer_postings.get(token, ()):
                explained[fact_id] += weight * ANSWER_WORD_SHARE
        heap = []
        for fact_id, value in explained.items():
            coverage = value / total
            heap.append((-(VARIANT_WEIGHT + (1 - VARIANT_WEIGHT) * coverage) * coverage**COVERAGE_POWER, fact_id))
        heapq.heapify(heap)
        spoken = " ".join(analysis.words)
        best: list[Candidate] = []
        scored = 0
        while heap and scored < MAX_SCORED:
            negative, fact_id = heapq.heappop(heap)
            floor = best[-1].score if len(best) >= limit else 0.0
            if -negative <= floor:
                break
            penalty = self._penalty(fact_id, analysis)
            if -negative * penalty <= floor:
                continue
            scored += 1
            best.append(self._score(fact_id, weights, total, spoken, explained[fact_id] / total, penalty))
            best.sort(key=lambda c: c.score, reverse=True)
            del best[limit:]
        return best

    def _penalty(self, fact_id: str, analysis: Analysis) -> float:
        """The multiplier for named entities the fact never mentions and kinds it never answers."""
        entry = self._by_fact[fact_id][1]
        factor = 1.0
        missing = analysis.entities - entry.entities
        if missing - entry.answer_entities - self._context_entities:
            factor *= ENTITY_PENALTY
        elif missing:
            factor *= ANSWER_ENTITY_PENALTY
        if analysis.kinds and not analysis.kinds & entry.kinds:
            factor *= KIND_PENALTY
        return factor

    def _weights_of(self, fact_id: str) -> tuple[float, ...]:
        found = self._variant_weights.get(fact_id)
        if found is None:
            idf = self._idf
            entry = self._by_fact[fact_id][1]
            found = tuple(sum(idf.get(t, 0.0) for t in tokens) or 1.0 for tokens, _ in entry.variants)
            self._variant_weights[fact_id] = found
        return found

    def _score(
        self, fact_id: str, weights: dict[str, float], total: float, spoken: str, coverage: float, penalty: float
    ) -> Candidate:
        fact, entry = self._by_fact[fact_id]
        best = 0.0
        for (tokens, words), weight in zip(entry.variants, self._weights_of(fact_id), strict=True):
            matched = sum(w for t, w in weights.items() if t in tokens)
            if not matched:
                continue
            recall, precision = matched / total, matched / weight
            f = (1 + BETA2) * precision * recall / (BETA2 * precision + recall)
            best = max(best, (1 - SURFACE_WEIGHT) * f + SURFACE_WEIGHT * fuzz.ratio(spoken, words) / 100)
        # What the fact leaves unexplained counts twice: once in the blend, once as a factor.
        score = (VARIANT_WEIGHT * best + (1 - VARIANT_WEIGHT) * coverage) * coverage**COVERAGE_POWER
        return Candidate(fact, min(score * penalty, 1.0))
