"""A refused load's problems for Discord: a few messages at most, the full list as an attached file.

A sheet can hold a hundred thousand mistakes; one reload must not post thousands of
messages. The first problems are shown (with the line at fault under each YAML error) in
at most MAX_MESSAGES messages, the rest counted, and the whole kept list is attached.
"""

from __future__ import annotations

from dataclasses import dataclass

from cogs import limits, reports
from cogs.strings import text
from engine import KnowledgeError, Problem

#: Problems shown in the messages, and the messages they may take.
MAX_SHOWN = 50
MAX_MESSAGES = 3
FILENAME = "knowledge-problems.txt"


@dataclass(frozen=True, slots=True)
class ProblemReport:
    """The messages to send, and the attachment's text when some problems are not in them."""

    messages: list[str]
    attachment: str | None


def _excerpt_block(problem: Problem) -> str | None:
    if not problem.excerpt:
        return None
    return "```\n" + problem.excerpt.replace("```", "'''") + "\n```"


def problem_report(lang: str, error: KnowledgeError, *, applied: bool) -> ProblemReport:
    """The messages for a refused reload (`applied`) or a failed check."""
    problems = error.problems
    total = error.total
    lines = reports.problem_lines(lang, problems[:MAX_SHOWN], applied=applied)
    lines[0] = text(lang, "reload_refused" if applied else "check_failed", count=total)
    body: list[str] = []
    for line, problem in zip(lines[1:], problems, strict=False):
        block = _excerpt_block(problem)
        body.append(line if block is None else f"{line}\n{block}")
    shown: list[str] = [lines[0]]
    for entry in body:
        # Room kept for the closing line, so the report never takes more than MAX_MESSAGES.
        if len(limits.chunks([*shown, entry, "x" * 200])) > MAX_MESSAGES:
            break
        shown.append(entry)
    left = total - (len(shown) - 1)
    if left <= 0:
        return ProblemReport(limits.chunks(shown), None)
    shown.append(text(lang, "problems_more", more=left, file=FILENAME))
    listing = [problem.full() for problem in problems]
    if total > len(problems):
        listing.append(text(lang, "problems_unlisted", kept=len(problems), more=total - len(problems)))
    return ProblemReport(limits.chunks(shown), "\n".join(listing) + "\n")
