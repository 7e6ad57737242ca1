"""Discord's message and embed limits, and cutting text cleanly to fit them (no Discord objects here)."""

from __future__ import annotations

from collections.abc import Iterable

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
    """Join lines into as few messages as fit in `limit` each; a line too long alone is clipped.

    Blank messages are dropped (Discord refuses them).
    """
    messages: list[str] = []
    current: str | None = None
    for line in lines:
        line = clip(line, limit) if len(line) > limit else line
        candidate = line if current is None else f"{current}\n{line}"
        if len(candidate) <= limit:
            current = candidate
            continue
        messages.append(current or "")
        current = line
    if current is not None:
        messages.append(current)
    return [m for m in messages if m.strip()]


def quote_block(text: str, limit: int = FIELD_VALUE) -> str:
    """`text` as a Markdown quote block ("> " on each line) within `limit`."""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())
    if len(quoted) <= limit:
        return quoted
    return quote_block(clip(text, max(limit - 2 * (text.count("\n") + 1) - 2, 1)), limit)
