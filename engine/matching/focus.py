"""The clause a long question asks in: its last one, when it has several.

"bonsoir, dans l'article ils parlent d'un nouveau poste pour coordonner les grands projets,
la personne sera rattachée à qui ?" describes the secretary general by their role, then asks
to whom they report. The fact explaining the whole question's words best (the role) is not
necessarily the one explaining what is asked: the share of the final clause a fact explains
is a feature of its own (decision.FEATURES "focus"), beside the whole question's coverage.
The decision weighs it with the other signals; it helps, it does not decide alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice

from engine.lexicon import Lexicon
from engine.textnorm import MAX_CHARS

#: Where a clause ends: one mark followed by a space or the end (not the comma of "10,76"). One mark, not a
#: run of them: a run would make the pattern backtrack over a long string of "?".
_CLAUSE_END = re.compile(r"[,;:.!?…](?=\s|$)")
#: A final clause shorter than this ("..., non ?", "..., right?") asks nothing of its own: the one before it is taken.
MIN_WORDS = 3
#: Nor does one of fewer content tokens ("..., d'après l'article ?" is one: "after").
MIN_TOKENS = 2
#: A text with more clause ends than this is no question with a focus (a list, a rant, a hostile message):
#: the work stays bounded by it, whatever the text.
MAX_CLAUSES = 16


def final_clause(lexicon: Lexicon, text: str, words: Sequence[str], tokens: Sequence[str]) -> tuple[str, ...]:
    """The tokens of the question's last clause of MIN_WORDS words and MIN_TOKENS tokens at least; () when
    that clause is the whole question, or the question has no such clause or more than MAX_CLAUSES.

    `words` and `tokens` are the question's (corrected) words and tokens, as its analysis has them (one
    corrected word per word of the text). Each piece of the text between two clause ends is split once,
    going forward, to know which word each clause starts at; a question whose words the analysis cut
    (past MAX_WORDS) has no focus, since its last clause was not read.
    """
    text = text[:MAX_CHARS]
    end = len(text.rstrip())
    found_marks = (m.end() for m in _CLAUSE_END.finditer(text, 0, end) if m.end() < end)
    marks = list(islice(found_marks, MAX_CLAUSES + 1))  # the search stops there, whatever the text's length
    if not marks or len(marks) > MAX_CLAUSES:
        return ()
    starts: list[int] = []  # the word each clause after the first starts at
    count = previous = 0
    for mark in marks:
        count += len(lexicon.split(text[previous:mark]))
        previous = mark
        starts.append(count)
    if count + len(lexicon.split(text[previous:])) != len(words):  # cut by the analysis: the end is not read
        return ()
    for start in reversed(starts):  # the shortest final clause first
        clause = list(words[start:])
        found = tuple(dict.fromkeys(lexicon.tokens(clause)))
        if len(clause) >= MIN_WORDS and len(found) >= MIN_TOKENS:
            return () if set(found) == set(tokens) else found
    return ()
