"""The passage of a source closest to a quote that is not in it verbatim, and where the two part.

A quote that differs from the article by one word should say which word: the check shows
the closest passage and the first character where quote and passage differ.
"""

from __future__ import annotations

from rapidfuzz import fuzz

#: Passages are not looked for in sources longer than this (the search grows with quote x source).
MAX_SOURCE = 200_000
#: Below this similarity (0-100), no passage is offered: the quote is from elsewhere.
MIN_SCORE = 60


def closest_passage(quote: str, source: str) -> tuple[str, int] | None:
    """(passage, index of the first differing character) for the source's passage most like `quote`,
    both in quote form; None when the source is too long to search or nothing is close."""
    if not quote or len(source) > MAX_SOURCE:
        return None
    found = fuzz.partial_ratio_alignment(quote, source, score_cutoff=MIN_SCORE)
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    # The alignment may start a few characters off: move its start to where the quote's first word begins.
    head = quote.split(" ", 1)[0]
    near = source.find(head, max(0, start - len(head) - 10), start + len(head) + 10)
    if near != -1:
        end += near - start
        start = near
    end = max(end, start + len(quote))
    space = source.find(" ", end)
    passage = source[start : space if 0 <= space - end <= 20 else min(len(source), end)]
    offset = 0
    while offset < min(len(quote), len(passage)) and quote[offset] == passage[offset]:
        offset += 1
    return passage, offset
