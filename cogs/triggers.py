"""Does a message in an answer channel look like a question? (Chit-chat there gets no reply.)"""

from __future__ import annotations

from engine import Reply, tokenize

#: Words a question starts with, folded (no accents), French then English.
QUESTION_STARTS = frozenset(
    {
        *("qui", "que", "quoi", "qu", "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "quand"),
        *("ou", "comment", "combien", "pourquoi", "est", "kesako", "dis", "dites", "sais", "savez", "peux"),
        *("pouvez", "explique", "expliquez"),
        *("who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are", "was", "were"),
        *("do", "does", "did", "can", "could", "will", "would", "should", "has", "have", "had", "tell"),
        *("explain",),
    }
)
#: Question words French allows at the end ("la réunion c'était où").
QUESTION_ENDS = frozenset({"qui", "quoi", "ou", "quand", "combien", "comment", "pourquoi"})


def looks_like_question(text: str) -> bool:
    """A question mark at the end, or a question word first (or last, as French allows)."""
    stripped = text.strip()
    if stripped.endswith(("?", "？", "¿")):
        return True
    words = tokenize(stripped)
    if not words:
        return False
    return words[0] in QUESTION_STARTS or words[-1] in QUESTION_ENDS


def worth_answering_unasked(text: str, reply: Reply) -> bool:
    """In an answer channel (a message not addressed to the bot): only what looks like a question.

    The engine's score alone is not enough: chit-chat such as "salut tout le monde" can
    score like an answer ("monde" -> the world ranking). Smalltalk and the help text are
    never sent there.
    """
    return reply.kind not in ("smalltalk", "empty") and looks_like_question(text)
