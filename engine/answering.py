"""From a member's question to a Reply: smalltalk, an answer, best guesses, or "not covered".

The Engine holds one immutable Snapshot (a knowledge base and its index). Reloading
builds a new Snapshot beside it and swaps the reference in one assignment, so each
question is answered from one whole set, old or new, and a failed load changes nothing.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from engine.dialogue.conversation import Conversations
from engine.dialogue.followup import Turn, resolve
from engine.knowledge.gcpause import paused as paused_gc
from engine.knowledge.loader import Loader
from engine.knowledge.model import Fact, KnowledgeBase, Source
from engine.knowledge.writers import held as held_writes
from engine.lexicon import Analysis
from engine.matching.matcher import Candidate, Matcher
from engine.matching.semantic import default_embedder
from engine.messages import message
from engine.textnorm import MAX_WORDS, clean

#: Thresholds on the 0-100 lexical score, used when no fitted decision is loaded (and by the baseline).
LEXICAL_ANSWER_THRESHOLD = 50
LEXICAL_SUGGEST_THRESHOLD = 30
MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    fact_id: str
    question: str
    score: int


ReplyKind = Literal["answer", "unsure", "unknown", "smalltalk", "empty"]


@dataclass(frozen=True, slots=True)
class Reply:
    """What the engine says to one question; front ends only render it.

    `question` is what the member typed; `understood` is the whole question a follow-up
    was read as ("qui preside renault" for "et renault ?"), None when read alone. `turn`
    is what the next question of the same conversation may lean on.
    """

    question: str
    kind: ReplyKind
    lang: str
    text: str
    score: int = 0
    fact: Fact | None = None
    source: Source | None = None
    suggestions: tuple[Suggestion, ...] = ()
    smalltalk: str | None = None
    understood: str | None = None
    turn: Turn | None = field(default=None, repr=False, compare=False)

    @property
    def answered(self) -> bool:
        return self.kind == "answer"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A knowledge base with its index: what one question is answered from."""

    kb: KnowledgeBase
    matcher: Matcher = field(repr=False)

    @classmethod
    def build(cls, kb: KnowledgeBase, previous: Snapshot | None = None, **matcher_options: Any) -> Snapshot:
        """Index `kb`, reusing what `previous` already analysed of unchanged facts.

        With a load `cache`, the default embedder takes its words' token ids from it (and keeps new
        ones there), as `load` does: a build from the cache then needs no tokenizer, at its start
        nor for the knowledge's words a question uses (the bench builds this way).
        """
        cache = matcher_options.get("cache")
        if cache is not None and "embedder" not in matcher_options:
            embedder = default_embedder()
            if embedder is not None:
                embedder.keep_ids_in(cache.folder)
        with paused_gc():  # a bulk build: see engine/knowledge/gcpause.py
            return cls(kb, Matcher(kb, previous.matcher if previous is not None else None, **matcher_options))

    @property
    def thresholds(self) -> tuple[int, int]:
        """The (answer, suggest) thresholds, 0-100, that suit this snapshot's scores."""
        decision = self.matcher.decision
        if decision is None:
            return LEXICAL_ANSWER_THRESHOLD, LEXICAL_SUGGEST_THRESHOLD
        return round(decision.answer_threshold * 100), round(decision.suggest_threshold * 100)

    @classmethod
    def load(
        cls,
        root: Path | str,
        *,
        loader: Loader | None = None,
        previous: Snapshot | None = None,
        timeout: float | None = None,
    ) -> Snapshot:
        """Load, validate and index knowledge/; raises KnowledgeError (LoadTimeout past `timeout` seconds).

        Pass the Loader of the previous load and the snapshot being served, and only the
        sheets and facts that changed are read and analysed again (a reload's fast path).
        """
        if loader is None:
            loader = Loader(root)
        elif loader.root != Path(root):
            raise ValueError(f"this Loader reads {loader.root}, not {root}")
        # What a reload writes to the load cache (the snapshot entry, the token ids: megabytes at a thousand
        # articles) is written in the background, begun once the snapshot is built (engine/knowledge/writers.py).
        with held_writes():
            with paused_gc():  # the load and the build as one bulk step (engine/knowledge/gcpause.py)
                snapshot = cls.build(loader.load(timeout), previous, cache=loader.cache)
            if loader.cache is not None:
                save_token_ids(background=previous is not None)
        return snapshot


def save_token_ids(*, background: bool = False) -> None:
    """Write back the token ids the default embedder learned while building (into the load cache, see
    engine/matching/tokenmemo.py), so the next start reads no tokenizer; in `background`, by a thread of
    its own, which the load cache's `wait` waits for. A first start writes them itself, as `load` does."""
    embedder = default_embedder()
    if embedder is not None and embedder.token_ids is not None:
        embedder.token_ids.save(background=background)


class Engine:
    """Answers questions from the current snapshot; `swap` replaces it atomically."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        answer_threshold: int | None = None,
        suggest_threshold: int | None = None,
        loader: Loader | None = None,
    ) -> None:
        """Thresholds left to None follow the snapshot's (the fitted decision's, or the lexical defaults)."""
        self._snapshot = snapshot
        self._loader = loader
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def thresholds(self, snapshot: Snapshot | None = None) -> tuple[int, int]:
        """The (answer, suggest) thresholds in force: the settings', else the snapshot's own."""
        answer, suggest = (snapshot or self._snapshot).thresholds
        answer = answer if self.answer_threshold is None else self.answer_threshold
        suggest = suggest if self.suggest_threshold is None else self.suggest_threshold
        # One setting given, the other fitted: a suggestion never needs more confidence than an answer.
        return answer, min(suggest, answer)

    def load_next(self, root: Path | str, timeout: float | None = None) -> Snapshot:
        """Build (not serve) the snapshot a reload of `root` would swap in; raises KnowledgeError.

        The engine keeps the Loader that built what it serves, so only the sheets and facts
        changed since are read and analysed again. Call it from one thread at a time.
        """
        if self._loader is None or self._loader.root != Path(root):
            self._loader = Loader(root, cache=self._loader.cache if self._loader is not None else None)
        return Snapshot.load(root, loader=self._loader, previous=self._snapshot, timeout=timeout)

    def swap(self, snapshot: Snapshot) -> Snapshot:
        """Serve `snapshot` from now on; returns the one it replaces."""
        old, self._snapshot = self._snapshot, snapshot
        return old

    def topics_line(self, lang: str, snapshot: Snapshot | None = None) -> str:
        kb = (snapshot or self._snapshot).kb
        return ", ".join(topic.labels.get(lang, topic.id) for topic in kb.topics)

    def language_of(self, question: str) -> str:
        """The reply language from the question's words as written, without typo correction.

        Cheap enough to refuse a member over the cooldown in their language without answering them.
        """
        matcher = self._snapshot.matcher
        return matcher.language.guess(question, matcher.lexicon.split(question)[:MAX_WORDS])

    def is_chitchat(self, question: str) -> bool:
        """Smalltalk or nothing at all ("salut ?", "merci", "?"), told from the words as written, no correction.

        Cheap: an answer channel drops such messages before they count against the member's cooldown.
        """
        lexicon = self._snapshot.kb.lexicon
        words = lexicon.split(question)[:MAX_WORDS]
        return lexicon.smalltalk_kind(words) is not None or not lexicon.analyse(question, words).tokens

    def ask(self, question: str, snapshot: Snapshot | None = None, *, previous: Turn | None = None) -> Reply:
        """Answer one question, read as a follow-up of `previous` when it is a fragment; never raises."""
        question = clean(question)
        snap = snapshot or self._snapshot
        matcher = snap.matcher
        words = matcher.words(question)
        fr, en = matcher.language.evidence(question, words)
        lang = previous.lang if previous is not None and fr == en == 0 else ("en" if en > fr else "fr")
        small = snap.kb.lexicon.smalltalk_kind(words)
        if small:
            text = message(lang, small, topics=self.topics_line(lang, snap))
            return Reply(question, "smalltalk", lang, text, smalltalk=small)
        analysis = matcher.analyse(question, words)
        reading = resolve(previous, words, analysis, snap.kb.lexicon) if previous is not None else None
        if reading is None:
            if not analysis.tokens:
                return Reply(question, "empty", lang, message(lang, "empty"))
            return self._decide(snap, question, analysis, lang)
        # A chain of fragments ("et les X ?" again and again) never grows past what a question may hold.
        kept = list(reading.words[:MAX_WORDS])
        understood = " ".join(kept)
        reply = self._decide(snap, understood, matcher.analyse(understood, kept), lang)
        reply = replace(reply, question=question, understood=understood)
        if not reading.sure and analysis.tokens:
            # "renault ?" or "il a quel rôle ?" may also stand alone: the reading with the surer answer wins.
            alone = self._decide(snap, question, analysis, lang)
            if alone.answered and (not reply.answered or alone.score > reply.score):
                return alone
        return reply

    def ask_in(self, conversations: Conversations, key: Hashable, question: str) -> Reply:
        """Answer in the context of the conversation's previous question, and remember this one."""
        reply = self.ask(question, previous=conversations.get(key))
        if reply.turn is not None:
            conversations.put(key, reply.turn)
        return reply

    def _decide(self, snap: Snapshot, question: str, analysis: Analysis, lang: str) -> Reply:
        """The answer, the best guesses or "not covered" for an analysed question."""
        matcher = snap.matcher
        # A question moderators listed as outside the article (out_of_scope.yaml) gets no answer.
        listed = matcher.learned and matcher.listed_out_of_scope(question)
        candidates = [] if listed else matcher.rank(analysis, limit=MAX_SUGGESTIONS + 1)
        answer_at, suggest_at = self.thresholds(snap)
        best = candidates[0] if candidates else None
        if best is not None and _percent(best) >= answer_at:
            answer = best.fact.answer[lang]
            return Reply(
                question,
                "answer",
                lang,
                answer,
                score=_percent(best),
                fact=best.fact,
                source=snap.kb.sources[best.fact.source],
                suggestions=self._suggest(candidates[1:], lang, suggest_at),
                turn=Turn(analysis.words, answer, lang),
            )
        turn = Turn(analysis.words, "", lang)
        suggestions = self._suggest(candidates, lang, suggest_at)
        if suggestions:
            return Reply(
                question,
                "unsure",
                lang,
                message(lang, "unsure"),
                score=_percent(best),
                suggestions=suggestions,
                turn=turn,
            )
        text = message(lang, "unknown", topics=self.topics_line(lang, snap))
        return Reply(question, "unknown", lang, text, score=_percent(best), turn=turn)

    @staticmethod
    def _suggest(candidates: list[Candidate], lang: str, threshold: int) -> tuple[Suggestion, ...]:
        return tuple(
            Suggestion(c.fact.id, c.fact.questions[lang][0], _percent(c))
            for c in candidates[:MAX_SUGGESTIONS]
            if _percent(c) >= threshold
        )

    def answer_fact(self, fact_id: str, lang: str, question: str = "", score: int = 100) -> Reply | None:
        """The reply for a fact chosen by id (a picked suggestion, with its score), or None if it is gone."""
        snap = self._snapshot
        fact = snap.kb.fact(fact_id)
        if fact is None:
            return None
        return Reply(
            question or fact.questions[lang][0],
            "answer",
            lang,
            fact.answer[lang],
            score,
            fact,
            snap.kb.sources[fact.source],
        )


def _percent(candidate: Candidate | None) -> int:
    return round(candidate.score * 100) if candidate else 0
