"""The clause a long question asks in: its last one, when it has several.

"bonsoir, dans l'article ils parlent d'un nouveau poste pour coordonner les grands projets,
la personne sera rattachée à qui ?" describes the secretary general by their role, then asks
to whom they report. A fact explaining the whole question's words (the role) is not
necessarily the one explaining what is asked: the share of the final clause a fact explains
is a feature of its own (decision.FEATURES "focus"), beside the whole question's coverage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.lexicon import Lexicon
from engine.textnorm import MAX_CHARS

#: Where a clause ends: punctuation followed by a space or the end (not the comma of "10,76").
_CLAUSE_END = re.compile(r"[,;:.!?…]+(?=\s|$)")
#: A final clause shorter than this ("..., non ?", "..., right?") asks nothing of its own: the one before it is taken.
MIN_WORDS = 3


def final_clause(lexicon: Lexicon, text: str, words: Sequence[str], tokens: Sequence[str]) -> tuple[str, ...]:
    """The tokens of the question's last clause of at least MIN_WORDS words; () when that is the whole question.

    `words` and `tokens` are the question's (corrected) words and tokens, as the analysis has them: the
    clause's words are the last ones of `words`, as many as the text after the clause's start holds.
    """
    text = text[:MAX_CHARS]
    stripped = text.rstrip()
    starts = [m.end() for m in _CLAUSE_END.finditer(stripped) if m.end() < len(stripped)]
    for start in reversed(starts):  # the shortest final clause first
        clause = words[len(lexicon.split(text[:start])) :]
        if len(clause) < MIN_WORDS:
            continue
        found = tuple(dict.fromkeys(lexicon.tokens(list(clause))))
        if not found:
            continue
        return () if set(found) == set(tokens) else found
    return ()
