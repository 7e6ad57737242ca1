"""The mark a draft leaves on text a moderator must still write or check (`bot.py draft`, `add-source`).

`check` reports every question or answer that still holds it, so a drafted fact cannot
go live before someone has read it.
"""

from __future__ import annotations

from collections.abc import Mapping

REVIEW_MARK = "TODO-REVIEW"


def marked(questions: Mapping[str, tuple[str, ...]], answers: Mapping[str, str]) -> list[str]:
    """The fields ("questions.en", "answer.fr") whose text still holds REVIEW_MARK, in order."""
    mark = REVIEW_MARK.casefold()  # the mark holds no line break, so it is in the joined lines when in one of them
    fields = [f"questions.{lang}" for lang, listed in questions.items() if mark in "\n".join(listed).casefold()]
    return fields + [f"answer.{lang}" for lang, text in answers.items() if mark in text.casefold()]


def message(field: str) -> str:
    """What `check` says about a field still marked for review."""
    what = "write or check its text" if field.startswith("questions") else "check it against the quote, complete it"
    return f"{field} is marked for review ({REVIEW_MARK}): {what}, then remove '{REVIEW_MARK}'"
