"""Moderator reports as lines of Markdown: reload previews, validation problems, lists, journal figures.

The facts cog cuts these lines into messages that fit Discord (`limits.chunks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from cogs import drafts
from cogs.embeds import escape
from cogs.strings import text
from engine import KINDS, ChangeReport, Draft, JournalStats, KnowledgeBase, Problem, UnansweredGroup

#: Width of one line of ids, so a long list still splits between messages.
LINE = 1500
#: Groups `/facts unanswered` shows at most.
UNANSWERED_SHOWN = 15
ICONS = {"lost": "🔴", "moved": "🟠", "edited": "🔵", "gained": "🟢"}


def wrapped(label: str, items: Iterable[str], width: int = LINE) -> list[str]:
    """`**label**: a, b, c` over as many lines as needed to keep each under `width`."""
    lines, current = [], f"**{label}**:"
    for item in items:
        piece = f" `{item}`"
        if len(current) + len(piece) > width:
            lines.append(current)
            current = "  "
        current += piece
    lines.append(current)
    return lines


def _percent(value: float) -> str:
    return f"{value:.0%}"


def reload_lines(lang: str, report: ChangeReport, *, applied: bool) -> list[str]:
    """The summary of a reload (`applied`) or of a check: fact diff, evaluation, answers that change."""
    diff = report.diff
    counts = {"facts": report.facts, "added": len(diff.added), "changed": len(diff.changed)}
    lines = [text(lang, "reloaded" if applied else "checked", removed=len(diff.removed), **counts)]
    for key, ids in (("added", diff.added), ("changed", diff.changed), ("removed", diff.removed)):
        if ids:
            lines += wrapped(text(lang, key), ids)
    lines.append(
        text(
            lang,
            "eval",
            acc_before=_percent(report.before.accuracy),
            acc_after=_percent(report.after.accuracy),
            abs_before=_percent(report.before.abstention),
            abs_after=_percent(report.after.abstention),
        )
    )
    if not report.changes:
        lines.append(text(lang, "no_answer_change"))
        return lines
    lines.append(text(lang, "answer_changes", count=len(report.changes)))
    for kind in KINDS:
        for change in report.of_kind(kind):
            mark = "✓" if change.now_correct else "✗"
            lines.append(
                f"{ICONS[kind]} {text(lang, kind)}: « {escape(change.question)} » "
                f"`{change.before or '—'}` → `{change.after or '—'}` {mark}"
            )
    return lines


def problem_lines(lang: str, problems: Sequence[Problem], *, applied: bool) -> list[str]:
    """Each validation problem with its file and line; nothing was (or would be) swapped."""
    lines = [text(lang, "reload_refused" if applied else "check_failed", count=len(problems))]
    for problem in problems:
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        fact = f" [{problem.fact_id}]" if problem.fact_id else ""
        lines.append(f"• `knowledge/{where}`{escape(fact)}: {escape(problem.message)}")
    return lines


def list_lines(lang: str, kb: KnowledgeBase, topic: str | None) -> list[str]:
    """Facts by topic: id and first question."""
    topics = [t for t in kb.topics if topic is None or t.id == topic]
    if topic is not None and not topics:
        return [text(lang, "unknown_topic", topic=escape(topic), topics=", ".join(f"`{t.id}`" for t in kb.topics))]
    facts = [f for f in kb.facts if topic is None or f.topic == topic]
    label = f" ({kb.topic_label(topic, lang)})" if topic else ""
    lines = [text(lang, "list_header", count=len(facts), topic=escape(label))]
    for t in topics:
        inside = [f for f in facts if f.topic == t.id]
        if inside:
            lines.append(f"__{escape(t.labels.get(lang, t.id))}__ (`{t.id}`)")
            lines += [f"• `{f.id}` — {escape(f.questions[lang][0])}" for f in inside]
    return lines


def scope_lines(lang: str, guild_id: int | None) -> list[str]:
    """Nothing for a server's report (it is of the server it is read in); a heading for the direct messages'."""
    return [] if guild_id is not None else [text(lang, "scope_dms")]


def stats_lines(lang: str, stats: JournalStats) -> list[str]:
    lines = [
        text(
            lang,
            "stats",
            questions=stats.questions,
            askers=stats.askers,
            answered=stats.answered,
            rate=_percent(stats.answered_rate),
            unsure=stats.unsure,
            unknown=stats.unknown,
            smalltalk=stats.smalltalk,
            helpful=stats.helpful,
            wrong=stats.wrong,
        )
    ]
    if stats.top_facts:
        lines.append(text(lang, "top_facts"))
        lines += [f"• `{f.fact_id}`: {f.asked} (👍 {f.helpful} · 👎 {f.wrong})" for f in stats.top_facts]
    if stats.disputed:
        lines.append(text(lang, "disputed"))
        lines += [f"• `{f.fact_id}`: 👎 {f.wrong} · 👍 {f.helpful}" for f in stats.disputed]
    if stats.unwritten:
        lines.append(text(lang, "unwritten", count=stats.unwritten))
    return lines


def unanswered_lines(
    lang: str,
    groups: Sequence[UnansweredGroup],
    days: int,
    shown: int = UNANSWERED_SHOWN,
    offers: Mapping[str, Draft] | None = None,
) -> list[str]:
    """Unanswered questions, alike ones grouped, biggest groups first, each with a few wordings
    (and, given `offers`, the article's best passage and the command that drafts the fact)."""
    if not groups:
        return [text(lang, "unanswered_none", days=days)]
    lines = [text(lang, "unanswered_header", days=days, groups=len(groups))]
    for group in groups[:shown]:
        others = [e for e in group.examples if e != group.text]
        also = f" — {' / '.join(f'« {escape(e)} »' for e in others)}" if others else ""
        lines.append(f"• **×{group.count}** « {escape(group.text)} »{also}")
        offer = drafts.offer_line(lang, group.text, offers.get(group.text)) if offers is not None else None
        if offer:
            lines.append(offer)
    return lines
