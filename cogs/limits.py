"""Discord's message and embed limits, and cutting text cleanly to fit them (plain text in and out)."""

from __future__ import annotations

from collections.abc import Iterable

from discord.ext.commands import Paginator

CONTENT = 2000
EMBED_TITLE = 256
EMBED_AUTHOR = 256
EMBED_DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
BUTTON_LABEL = 80
CHOICE = 100
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with an ellipsis when too long."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def chunks(lines: Iterable[str], limit: int = CONTENT) -> list[str]:
    """Join lines into as few messages as fit in `limit` each (discord.py's `Paginator`); a line too long alone is
    clipped. Blank messages are dropped (Discord refuses them).

    The paginator counts a separator after every line, the page's last included, and keeps a line two separators
    short of `max_size`: `limit + 1` gives pages of at most `limit` characters, of lines of at most `limit - 1`
    (a line of exactly `limit` is clipped by one word more).
    """
    pages = Paginator(prefix=None, suffix=None, max_size=limit + 1)
    for line in lines:
        line = clip(line, limit) if len(line) > limit else line
        pages.add_line(clip(line, limit - 1) if len(line) == limit else line)
    return [page for page in pages.pages if page.strip()]


def quote_block(text: str, limit: int = FIELD_VALUE) -> str:
    """`text` as a Markdown quote block ("> " on each line) within `limit`."""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())
    if len(quoted) <= limit:
        return quoted
    return quote_block(clip(text, max(limit - 2 * (text.count("\n") + 1) - 2, 1)), limit)
