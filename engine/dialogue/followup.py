"""Follow-up questions: a fragment read in the light of the asker's previous question.

Members talk in threads of thought: "et renault alors ?" after "qui préside mitsubishi"
asks who chairs Renault; "and his role?" after "who is uchida" asks about Uchida;
"pourquoi ?" asks why of whatever came before. `resolve` rewrites such a fragment into the
whole question it stands for, from the previous turn's words. A question that stands on
its own (it has content words of its own and no pronoun to fill) is never rewritten: the
context only fills what is missing, so a wrong guess stays rare and visible (front ends
show the question understood).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.lexicon import Analysis, Lexicon

_YEAR = re.compile(r"(?:19|20)\d\d")
#: "il y a", "il faut": impersonal "il", which stands for nobody.
_IMPERSONAL_NEXT = frozenset({"y", "faut", "s", "semble", "parait"})
#: A follow-up is short: a longer message is a question of its own.
MAX_FOLLOW_UP_WORDS = 12
#: Content words a fragment opened by "et"/"and" may bring and still continue the previous question.
MAX_FRAGMENT_CONTENT = 3


@dataclass(frozen=True, slots=True)
class Reading:
    """A fragment's whole question; `sure` when the fragment had nothing of its own to answer alone."""

    words: tuple[str, ...]
    sure: bool


@dataclass(frozen=True, slots=True)
class Turn:
    """What the next question may lean on: the question understood, and the answer given ("" when none).

    Who "he" stands for is worked out from them only when a pronoun asks (`referent_of`), not for every answer.
    """

    words: tuple[str, ...]
    answer: str
    lang: str


def _class(token: str, lexicon: Lexicon) -> str:
    if _YEAR.fullmatch(token):
        return "year"
    return "person" if token in lexicon.people else "other"


def _entity_spans(
    words: tuple[str, ...] | list[str], lexicon: Lexicon, entities: frozenset[str] | set[str]
) -> list[tuple[int, int, str]]:
    """(start, end, entity) for each entity (or year) the words name, in order."""
    return [
        (start, end, token)
        for start, end, token in lexicon.spans(words)
        if token and (token in entities or _YEAR.fullmatch(token))
    ]


def _is_entity(token: str, lexicon: Lexicon) -> bool:
    return token in lexicon.entities or bool(_YEAR.fullmatch(token))


def _pronoun_spans(words: list[str], lexicon: Lexicon) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for i in range(len(words)):
        for size in (3, 2, 1):
            if tuple(words[i : i + size]) in lexicon.pronouns:
                impersonal = words[i] == "il" and size == 1 and i + 1 < len(words) and words[i + 1] in _IMPERSONAL_NEXT
                if not impersonal and not any(s <= i < e for s, e in found):
                    found.append((i, i + size))
                break
    return found


def _strip_start(words: list[str], lexicon: Lexicon) -> tuple[list[str], bool]:
    """The words without the phrase that opens a follow-up ("et", "what about"), and whether there was one."""
    for size in (5, 4, 3, 2, 1):
        if len(words) > size and tuple(words[:size]) in lexicon.follow_up_starts:
            return words[size:], True
    return words, False


def referent_of(turn: Turn, lexicon: Lexicon) -> tuple[str, ...]:
    """Who a pronoun in the next question stands for: the question's person, else the answer's, else its entity."""
    words = turn.words
    answer_words = tuple(lexicon.split(turn.answer)) if turn.answer else ()
    question = _entity_spans(words, lexicon, lexicon.entities)
    for start, end, token in question:
        if token in lexicon.people:
            return tuple(words[start:end])
    for start, end, token in _entity_spans(answer_words, lexicon, lexicon.entities):
        if token in lexicon.people:
            return tuple(answer_words[start:end])
    for start, end, token in question:
        if not _YEAR.fullmatch(token):
            return tuple(words[start:end])
    return ()


def resolve(previous: Turn, words: list[str], analysis: Analysis, lexicon: Lexicon) -> Reading | None:
    """The whole question a fragment stands for; None when the question stands alone.

    A fragment naming entities only ("et renault ?") or asking only a question word
    ("pourquoi ?") is sure to lean on the previous turn; a question with words of its own
    and a pronoun ("il était à la réunion ?") may not, and the engine weighs both readings.
    """
    if not previous.words or len(words) > MAX_FOLLOW_UP_WORDS:
        return None
    rest, opened = _strip_start(words, lexicon)
    spans = lexicon.spans(rest)
    named = [(s, e, t) for s, e, t in spans if t and (t in analysis.entities or _is_entity(t, lexicon))]
    content = [t for _, _, t in spans if t and not (t in analysis.entities or _is_entity(t, lexicon))]
    # A question word or an open one ("quoi", "what") of its own: "masuko il fait quoi ?" is a whole question.
    kinds = lexicon.question_kinds(rest) or any(w in lexicon.open_words for w in rest)
    pronouns = _pronoun_spans(rest, lexicon)
    if named and not content and opened:
        return Reading(tuple(_substitute(previous, rest, named, lexicon)), sure=True)
    if named and not content and not kinds and not pronouns and _bare(rest, named):
        # "renault ?" alone may continue the question before, or ask about Renault: both readings weighed.
        return Reading(tuple(_substitute(previous, rest, named, lexicon)), sure=False)
    if opened and not kinds and not pronouns and len(content) <= MAX_FRAGMENT_CONTENT:
        # "et les véhicules ?", "and to the CEOs?", "et côté nissan ?": the previous question, about this.
        return Reading(tuple(_extend(previous, rest, named, lexicon)), sure=True)
    if not named and pronouns and not _said_before(rest, pronouns[0][0], lexicon):
        referent = referent_of(previous, lexicon)
        if referent:
            return Reading(tuple(_fill_pronouns(rest, pronouns, referent)), sure=True)
    if not named and not content and kinds and (opened or len(rest) <= 3):
        return Reading(tuple(_ask_again(previous, rest, lexicon)), sure=True)
    return None


def _bare(rest: list[str], named: list[tuple[int, int, str]]) -> bool:
    """Nothing but the entity, give or take one word ("renault ?", "kato alors ?")."""
    return len(rest) - sum(e - s for s, e, _ in named) <= 1


def _said_before(rest: list[str], at: int, lexicon: Lexicon) -> bool:
    """Whether a word of meaning comes before the pronoun: "le SG il reporte à qui" names whom "il" is."""
    return any(token for start, _, token in lexicon.spans(rest[:at]) if token)


def _substitute(previous: Turn, rest: list[str], named: list[tuple[int, int, str]], lexicon: Lexicon) -> list[str]:
    """The previous question with its entities swapped for the ones named now ("et renault ?")."""
    words = list(previous.words)
    old = _entity_spans(words, lexicon, lexicon.entities | {t for _, _, t in named})
    replaced: set[int] = set()
    additions: list[str] = []
    # Right to left, so that earlier spans keep their positions as words are replaced.
    plan = []
    for start, end, token in named:
        new_words = rest[start:end]
        same = [
            (s, e)
            for s, e, t in old
            if _class(t, lexicon) == _class(token, lexicon) and s not in replaced and t != token
        ]
        if same:
            s, e = same[0]
            replaced.add(s)
            plan.append((s, e, new_words))
        elif not any(t == token for _, _, t in old):
            additions.extend(new_words)
    for s, e, new_words in sorted(plan, reverse=True):
        words[s:e] = new_words
    return words + additions


def _extend(previous: Turn, rest: list[str], named: list[tuple[int, int, str]], lexicon: Lexicon) -> list[str]:
    """The previous question, its entities swapped for the ones named now, and the fragment's words added."""
    entity_words = {i for s, e, _ in named for i in range(s, e)}
    added = [w for i, w in enumerate(rest) if i not in entity_words]
    if named:
        words = _substitute(previous, rest, named, lexicon)
        return words + [w for w in added if w not in words]
    words = list(previous.words)
    # "et celui de l'alliance ?" after "qui préside mitsubishi": the fragment takes the entity's place.
    spans = [(s, e) for s, e, t in _entity_spans(words, lexicon, lexicon.entities) if not _YEAR.fullmatch(t)]
    if spans:
        start, end = spans[0]
        return words[:start] + added + words[end:]
    return words + [w for w in added if w not in words]


def _fill_pronouns(rest: list[str], pronouns: list[tuple[int, int]], referent: tuple[str, ...]) -> list[str]:
    """The question with its first pronoun replaced by the person meant, and the others dropped."""
    words: list[str] = []
    i = 0
    for n, (start, end) in enumerate(pronouns):
        words.extend(rest[i:start])
        if n == 0:
            words.extend(referent)
        i = end
    words.extend(rest[i:])
    return words


def _ask_again(previous: Turn, rest: list[str], lexicon: Lexicon) -> list[str]:
    """The previous question asked with the new question word ("pourquoi ?", "and when?")."""
    asked = set(lexicon.question_kinds(previous.words))
    starts = lexicon.kind_starts
    kept: list[str] = []
    i, words = 0, previous.words
    while i < len(words):
        for size in range(min(starts.get(words[i], 0), len(words) - i), 0, -1):
            if lexicon.kinds.get(tuple(words[i : i + size])) in asked:
                i += size
                break
        else:
            if words[i] not in lexicon.open_words:
                kept.append(words[i])
            i += 1
    return [w for w in rest if w not in ("?", "!")] + kept
