"""Turning a Reply into text for a terminal and into the `ask --json` contract."""

from __future__ import annotations

from typing import Any

from engine.answering import Reply
from engine.messages import message


def source_line(reply: Reply) -> str:
    """ "Title (2019-12, Outlet)" for the reply's source."""
    source = reply.source
    if source is None:
        return ""
    details = ", ".join(part for part in (source.date, source.outlet) if part)
    return f"{source.title} ({details})"


def render_text(reply: Reply, *, confidence: bool = True) -> str:
    """The reply as a person reads it in a terminal; `confidence=False` for an answer the person picked."""
    lines = [reply.text]
    if reply.understood:
        # A follow-up read with the previous question: say how, so a wrong guess is visible.
        lines.insert(0, f"({message(reply.lang, 'understood')} « {reply.understood} »)")
    if reply.answered and reply.fact is not None:
        lines += [
            "",
            f"{message(reply.lang, 'source')}: {source_line(reply)}",
            f"{message(reply.lang, 'quote')}: « {reply.fact.quote} »",
        ]
        if confidence:
            lines.append(f"{message(reply.lang, 'confidence')}: {reply.score}%")
    elif reply.suggestions:
        lines += [f"  {i}. {s.question}" for i, s in enumerate(reply.suggestions, 1)]
    return "\n".join(lines)


def reply_json(reply: Reply) -> dict[str, Any]:
    """The stable JSON contract of `bot.py ask --json` (one object per question).

    `kind` and `understood` were added after the first consumers: readers that ignore them see
    the same objects as before.
    """
    source = None
    if reply.answered and reply.source is not None and reply.fact is not None:
        source = {
            "id": reply.source.id,
            "title": reply.source.title,
            "date": reply.source.date,
            "outlet": reply.source.outlet,
            "quote": reply.fact.quote,
        }
    return {
        "question": reply.question,
        "kind": reply.kind,
        "understood": reply.understood,
        "answered": reply.answered,
        "lang": reply.lang,
        "fact_id": reply.fact.id if reply.answered and reply.fact else None,
        "score": reply.score,
        "answer": reply.text if reply.answered else None,
        "source": source,
        "suggestions": [{"fact_id": s.fact_id, "question": s.question, "score": s.score} for s in reply.suggestions],
    }
