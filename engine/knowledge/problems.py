"""What is wrong in knowledge/, where a moderator can find it: problems, their bounded list, the load's error.

Every check reports into a list of Problems (file, line, fact id, reason) and goes on, so
one run lists everything wrong; loader.py decides what to do with the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: A load keeps this many problems in full (the list a moderator is sent); the rest are only counted.
MAX_PROBLEMS_KEPT = 1000
#: Quotes of one file for which the closest passage of the source is looked for (a few ms each).
MAX_PASSAGES = 50


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in knowledge/, where a moderator can find it; `excerpt` shows the line with a caret."""

    file: str
    line: int | None
    fact_id: str | None
    message: str
    excerpt: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fact = f" [{self.fact_id}]" if self.fact_id else ""
        return f"{where}{fact}: {self.message}"

    def full(self) -> str:
        """The problem and, indented under it, the excerpt of the line at fault."""
        if not self.excerpt:
            return str(self)
        return str(self) + "".join(f"\n    {line}" for line in self.excerpt.splitlines())


class Problems(list[Problem]):
    """The problems of one load: the first MAX_PROBLEMS_KEPT kept, every one counted (`total`).

    A sheet of a hundred thousand broken facts then costs a count, not a list in memory.
    """

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = MAX_PROBLEMS_KEPT if limit is None else limit
        self.total = 0

    # A list whose append may drop the item: the signature is list's, the behaviour bounded on purpose.
    def append(self, problem: Problem) -> None:
        self.total += 1
        if len(self) < self.limit:
            super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def count_more(self, more: int) -> None:
        """Count problems found elsewhere but not kept (a cached sheet's uncounted rest)."""
        self.total += more


class KnowledgeError(Exception):
    """The knowledge folder did not validate; `problems` lists what was kept, `total` counts everything wrong."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = tuple(problems)
        self.total = max(len(self.problems), getattr(problems, "total", 0), total or 0)
        shown_lines = "\n".join(map(str, self.problems[:50]))
        more = f"\n... and {self.total - min(50, len(self.problems))} more" if self.total > 50 else ""
        super().__init__(f"{self.total} problem(s) in knowledge/:\n{shown_lines}{more}")


class Report:
    """Collects problems for one file, with the fact currently being checked."""

    def __init__(self, problems: list[Problem], file: str) -> None:
        self.problems, self.file = problems, file
        self.passages = MAX_PASSAGES  # closest passages still to look for in this file

    def add(self, line: int | None, message: str, fact_id: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, fact_id, message))

    def total(self) -> int:
        """How many problems were found so far, kept or only counted."""
        total: int = getattr(self.problems, "total", len(self.problems))
        return total
