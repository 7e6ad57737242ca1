"""The words of a drafted fact in each language: keyword queries, question words, names.

A draft proposes questions in both languages from the concepts of the members' questions
and of the passage; each concept is written as a word of the language asked for, chosen
from the lexicon's synonym groups by how common each form is in that language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from engine.knowledge.model import LANGS
from engine.language import FREQUENCY_LEAD
from engine.lexicon import Lexicon
from engine.textnorm import fold, tokenize

#: Keywords of a proposed question at most, and names listed as missing from the lexicon.
MAX_KEYWORDS = 6
#: How each language asks for each kind of answer (the lexicon's question_words), in the order of LANGS.
QUESTION_WORDS = {
    "who": ("qui", "who"),
    "when": ("quand", "when"),
    "where": ("où", "where"),
    "how_many": ("combien", "how many"),
    "how_old": ("quel âge", "how old"),
    "why": ("pourquoi", "why"),
}
#: A word this common (Zipf) in both languages is proposed in both ("alliance", "date").
SHARED_ZIPF = 3.0
#: A name: capitalised words in a row ("Jean-Dominique Senard", "Luca de Meo").
_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’-]+(?:\s+(?:de\s+|du\s+|von\s+)?[A-ZÀ-ÖØ-Þ][\w'’-]+)*")


class Wording:
    """Writes a lexicon's concepts as words of each language."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._forms: dict[str, tuple[str, ...]] | None = None

    def keywords_in(self, lang: str, tokens: Iterable[str]) -> str:
        """A keyword query of the concepts in `lang`: each concept written as a word of that language."""
        words = []
        for token in tokens:
            word = self._word_in(lang, token)
            if word and word not in words:
                words.append(word)
        return " ".join(words[:MAX_KEYWORDS])

    def _word_in(self, lang: str, token: str) -> str | None:
        """A concept as a word of `lang`: names and numbers as they are, a synonym group by its commonest
        form of that language, a plain word when it is commoner in `lang` than in the other language."""
        if token in self.lexicon.entities or token[:1].isdigit():
            return token.replace("_", " ")
        if self._forms is None:
            self._forms = _forms(self.lexicon)
        forms = self._forms.get(token)
        if not forms:
            return self._commonest(lang, [(token,)])
        # A group is named after its English word (ceo, chairman, vehicle): that name, when it is one.
        named = (token,) in [(f,) for f in forms] and " " not in token and "_" not in token
        if lang == "en" and named and self._lead(lang, (token,)) >= 0:
            return token
        return self._commonest(lang, [(f,) for f in forms])

    def question_word(self, lang: str, kind: str) -> str | None:
        """How `lang` asks `kind` (who, when...): "qui", "how many"; a kind added to the lexicon, its commonest form."""
        if kind in QUESTION_WORDS:
            return QUESTION_WORDS[kind][LANGS.index(lang)]
        return self._commonest(lang, [form for form, k in self.lexicon.kinds.items() if k == kind and form])

    def _lead(self, lang: str, form: tuple[str, ...]) -> float:
        """How much commoner (Zipf) the form's words are in `lang` than in the other language, on average."""
        here, there = (self.lexicon.frequencies.get(x, {}) for x in (lang, "en" if lang == "fr" else "fr"))
        return sum(here.get(w, 0.0) - there.get(w, 0.0) for w in form) / len(form)

    def _commonest(self, lang: str, forms: Sequence[tuple[str, ...]]) -> str | None:
        """The form most of `lang` and common there among those clearly of it (FREQUENCY_LEAD ahead), else among
        words common to both ("alliance"), else the one most of `lang`; None when all are of the other language."""
        here = self.lexicon.frequencies.get(lang, {})

        def common(form: tuple[str, ...]) -> float:
            return min(here.get(w, 0.0) for w in form)

        def rank(form: tuple[str, ...]) -> tuple[bool, float]:  # one word before a phrase, then the commonest
            return len(form) == 1, common(form)

        clear = [f for f in forms if self._lead(lang, f) >= FREQUENCY_LEAD]
        shared = [f for f in forms if self._lead(lang, f) > -FREQUENCY_LEAD and common(f) >= SHARED_ZIPF]
        if clear or shared:
            chosen: tuple[str, ...] = max(clear or shared, key=rank)
            return " ".join(chosen)
        best = max(forms, key=lambda f: self._lead(lang, f), default=None)
        return " ".join(best) if best is not None and self._lead(lang, best) > 0 else None

    def entities(self, text: str, vocabulary: set[str]) -> tuple[list[str], list[str]]:
        """The names in the text the lexicon knows, and capitalised words neither it nor `vocabulary` holds
        (candidates to add)."""
        analysis = self.lexicon.analyse(text)
        known = [t.replace("_", " ") for t in analysis.tokens if t in self.lexicon.entities]
        folded_known = {fold(k) for k in known} | {w for k in known for w in k.split()} | vocabulary
        unknown = []
        for match in _NAME.finditer(text):
            word = match.group()
            if " " not in word and text[: match.start()].rstrip()[-1:] in ("", ".", "!", "?", '"', "«"):
                continue  # a sentence's first word is capitalised anyway
            folded = " ".join(tokenize(word))
            new = folded and all(w not in folded_known for w in folded.split())
            if new and word not in unknown:
                unknown.append(word)
        return known, unknown[:MAX_KEYWORDS]


def _forms(lexicon: Lexicon) -> dict[str, tuple[str, ...]]:
    """Each synonym group's one-word forms, from the lexicon's form -> group map."""
    groups: dict[str, list[str]] = {}
    for form, group in lexicon.words.items():
        groups.setdefault(group, []).append(form)
    return {group: tuple(forms) for group, forms in groups.items()}
