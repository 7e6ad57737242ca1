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

import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from engine.language import LanguageGuesser
from engine.lexicon import Analysis
from engine.model import Fact, KnowledgeBase
from engine.textnorm import MAX_CHARS, tokenize

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
#: An unknown real word weighs this much more than the base's rarest word.
UNKNOWN_BOOST = 1.0
#: Weight share of a word that is neither in the base nor a real word (a typo or slang).
NON_WORD_SHARE = 0.6
#: The least an unknown word weighs, as a share of the rarest word's weight.
UNKNOWN_FLOOR = 0.25
#: A capitalised word that does not start a sentence: a name, when the base does not know it.
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w-]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fact with its score (0-1) for one question and the variant that matched best."""

    fact: Fact
    score: float
    variant: str


def _max_distance(word: str) -> int:
    return 1 if len(word) <= 6 else 2


class Matcher:
    """The search index over one KnowledgeBase; immutable once built."""

    def __init__(self, kb: KnowledgeBase) -> None:
        lexicon = kb.lexicon
        self.kb = kb
        self.lexicon = lexicon
        facts = kb.facts
        variant_tokens: list[frozenset[str]] = []
        variant_text: list[str] = []
        variant_words: list[str] = []
        variants_of: list[list[int]] = []
        self._question_bag: list[frozenset[str]] = []
        self._answer_bag: list[frozenset[str]] = []
        self._entities: list[frozenset[str]] = []
        self._answer_entities: list[frozenset[str]] = []
        self._kinds: list[frozenset[str]] = []
        own_words: dict[str, set[str]] = {"fr": set(), "en": set()}
        known_words: set[str] = set(lexicon.stopwords) | set(lexicon.words)
        for phrase in (*lexicon.phrases, *lexicon.smalltalk, *lexicon.kinds):
            known_words.update(phrase)
        for entity in lexicon.entities:
            known_words.update(entity.split("_"))
        df: dict[str, int] = defaultdict(int)
        for fact in facts:
            indices, bag, entities, kinds = [], set(), set(), set()
            for lang, questions in fact.questions.items():
                for question in questions:
                    words = lexicon.split(question)
                    known_words.update(words)
                    own_words[lang].update(words)
                    analysis = lexicon.analyse(question, words)
                    indices.append(len(variant_tokens))
                    variant_tokens.append(frozenset(analysis.tokens))
                    variant_text.append(question)
                    variant_words.append(" ".join(words))
                    bag.update(analysis.tokens)
                    entities |= analysis.entities
                    kinds |= analysis.kinds
            for keyword in fact.keywords:
                analysis = lexicon.analyse(keyword)
                known_words.update(analysis.words)
                bag.update(analysis.tokens)
                entities |= analysis.entities
            answer_bag, answer_entities = set(), set()
            for lang, answer in fact.answer.items():
                words = lexicon.split(answer)
                known_words.update(words)
                own_words[lang].update(words)
                analysis = lexicon.analyse(answer, words)
                answer_bag.update(analysis.tokens)
                answer_entities |= analysis.entities
            for token in bag | answer_bag:
                df[token] += 1
            variants_of.append(indices)
            self._question_bag.append(frozenset(bag))
            self._answer_bag.append(frozenset(answer_bag - bag))
            self._entities.append(frozenset(entities))
            self._answer_entities.append(frozenset(answer_entities - entities))
            self._kinds.append(frozenset(kinds))
        count = max(len(facts), 1)
        entity_df: dict[str, int] = defaultdict(int)
        for index in range(len(facts)):
            for entity in self._entities[index] | self._answer_entities[index]:
                entity_df[entity] += 1
        #: Entities most facts mention (the Alliance's own members) are context, not what is asked about.
        self._context_entities = frozenset(e for e, n in entity_df.items() if n >= CONTEXT_ENTITY_SHARE * count)
        self._idf = {t: math.log(1 + count / n) for t, n in df.items()}
        #: A word the base has never seen weighs like its rarest word (it may be what the question
        #: is about), less when it is a very common word of French or English.
        self._unknown_weight = UNKNOWN_BOOST * math.log(1 + count)
        postings: dict[str, list[int]] = defaultdict(list)
        for index in range(len(facts)):
            for token in self._question_bag[index] | self._answer_bag[index]:
                postings[token].append(index)
        self._postings = {t: tuple(ix) for t, ix in postings.items()}
        self._variant_tokens = variant_tokens
        self._variant_text = variant_text
        self._variant_words = variant_words
        self._variant_weight = [sum(self._idf.get(t, 0.0) for t in v) or 1.0 for v in variant_tokens]
        self._variants_of = variants_of
        self._known_words = frozenset(known_words)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(known_words):
            if not word.isdigit():
                by_length[len(word)].append(word)
        self._by_length = dict(by_length)
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

    @property
    def vocabulary_size(self) -> int:
        return len(self._known_words)

    def _unknown(self, token: str) -> float:
        zipf = self.lexicon.zipf(token)
        if zipf < REAL_WORD_ZIPF:
            # Not a real word either: most likely a typo or slang the lexicon does not know yet.
            return self._unknown_weight * NON_WORD_SHARE
        return self._unknown_weight * min(1.0, max(UNKNOWN_FLOOR, (7.0 - zipf) / 2.0))

    def _correct(self, word: str) -> str:
        """The known word closest to a misspelt one (OSA distance 1, or 2 for long words).

        Real French or English words are left alone: "price" is not a typo of "prise".
        """
        if word in self._known_words or len(word) < 4 or word.isdigit() or self.lexicon.zipf(word) >= REAL_WORD_ZIPF:
            return word
        limit = _max_distance(word)
        best, best_distance = word, limit + 1
        for length in range(len(word) - limit, len(word) + limit + 1):
            choices = self._by_length.get(length)
            if not choices:
                continue
            found = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=min(limit, best_distance - 1))
            if found is not None and found[1] < best_distance:
                best, best_distance = found[0], found[1]
        return best

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
        overlap: dict[int, float] = defaultdict(float)
        for token in tokens:
            for index in self._postings.get(token, ()):
                overlap[index] += weights[token]
        # The share of the question a fact's words cover bounds its score from above: score the
        # facts in that order and stop once no remaining fact can enter the top `limit`.
        best: list[Candidate] = []
        for index in sorted(overlap, key=overlap.__getitem__, reverse=True):
            coverage = overlap[index] / total
            bound = (VARIANT_WEIGHT + (1 - VARIANT_WEIGHT) * coverage) * coverage**COVERAGE_POWER
            if len(best) >= limit and bound <= best[-1].score:
                break
            best.append(self._score(index, weights, total, analysis))
            best.sort(key=lambda c: c.score, reverse=True)
            del best[limit:]
        return best

    def _score(self, index: int, weights: dict[str, float], total: float, analysis: Analysis) -> Candidate:
        variants = self._variants_of[index]
        surface = process.cdist(
            [" ".join(analysis.words)], [self._variant_words[v] for v in variants], scorer=fuzz.ratio
        )[0]
        best, best_variant = 0.0, -1
        for v, form in zip(variants, surface, strict=True):
            tokens = self._variant_tokens[v]
            matched = sum(w for t, w in weights.items() if t in tokens)
            if not matched:
                continue
            recall, precision = matched / total, matched / self._variant_weight[v]
            f = (1 + BETA2) * precision * recall / (BETA2 * precision + recall)
            f = (1 - SURFACE_WEIGHT) * f + SURFACE_WEIGHT * form / 100
            if f > best:
                best, best_variant = f, v
        question_bag, answer_bag = self._question_bag[index], self._answer_bag[index]
        coverage = (
            sum(
                w if t in question_bag else w * ANSWER_WORD_SHARE if t in answer_bag else 0.0
                for t, w in weights.items()
            )
            / total
        )
        # What the fact leaves unexplained counts twice: once in the blend, once as a factor.
        score = (VARIANT_WEIGHT * best + (1 - VARIANT_WEIGHT) * coverage) * coverage**COVERAGE_POWER
        missing = analysis.entities - self._entities[index]
        if missing - self._answer_entities[index] - self._context_entities:
            score *= ENTITY_PENALTY
        elif missing:
            score *= ANSWER_ENTITY_PENALTY
        if analysis.kinds and not analysis.kinds & self._kinds[index]:
            score *= KIND_PENALTY
        fact = self.kb.facts[index]
        variant = self._variant_text[best_variant] if best_variant >= 0 else fact.questions["fr"][0]
        return Candidate(fact, min(score, 1.0), variant)
