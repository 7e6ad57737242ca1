"""YAML syntax errors in plain words, at the line of the mistake, with that line and a caret.

PyYAML reports where parsing failed, which for an indentation mistake is often a line or
more after it, and in the parser's words ("mapping values are not allowed in this
context"). A moderator needs the line to fix and what to do: indent like the neighbours,
replace a tab, quote text holding ': ', close a quote or a bracket.
"""

from __future__ import annotations

import re
from collections import Counter

import yaml

#: An excerpt's line is clipped to this many characters around the caret.
EXCERPT = 100
_KEY = re.compile(r"^( *)(- +)?([^\s:#'\"\[\]{}][^:#]*?):(?:\s|$)")
_INDENT_PROBLEMS = (
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
    "could not find expected ':'",
    "mapping values are not allowed",
)


def excerpt(line_text: str, column: int) -> str:
    """The line (tabs shown as →) and a caret under `column`, clipped around it to EXCERPT characters."""
    shown = line_text.replace("\t", "→")
    start = max(0, min(column - EXCERPT // 2, len(shown) - EXCERPT))
    return f"{shown[start : start + EXCERPT]}\n{' ' * (column - start)}^"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shape(line: str) -> str | None:
    """What a line starts with, for comparing its indentation with lines of the same kind: its key
    (`topic`, `- id`) or `-` for a plain list item; None for blank lines and comments."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    found = _KEY.match(line)
    if found:
        return f"{'- ' if found.group(2) else ''}{found.group(3).strip()}"
    return "-" if stripped.startswith("- ") or stripped == "-" else None


def _misindented(lines: list[str], first: int, last: int) -> tuple[int, int] | None:
    """The first line in [first, last] (0-based) indented unlike the other lines of its kind elsewhere
    in the file, with the indentation those have."""
    usual: dict[str, Counter[int]] = {}
    for line in lines:
        shape = _shape(line)
        if shape is not None:
            usual.setdefault(shape, Counter())[_indent(line)] += 1
    for index in range(max(first, 0), min(last, len(lines) - 1) + 1):
        shape = _shape(lines[index])
        if shape is None:
            continue
        counts = usual[shape]
        indent = _indent(lines[index])
        common, seen = counts.most_common(1)[0]
        if common != indent and seen >= 2 and counts[indent] < seen:
            return index, common
    return None


_VALUE = re.compile(r"^ *(?:- +)?(?:[^\s:#'\"][^:#]*?: +)?(['\"])")


def _unclosed_quote(lines: list[str], first: int, last: int) -> tuple[int, int] | None:
    """The first line in [first, last] whose value opens a quote it does not close, with the quote's column
    (a quote left open swallows the next lines, and the parser fails further down)."""
    for index in range(max(first, 0), min(last, len(lines) - 1) + 1):
        found = _VALUE.match(lines[index])
        if found is None:
            continue
        mark = found.group(1)
        column = found.end() - 1
        rest = lines[index][column + 1 :]
        # Escaped quotes do not close: \" inside double quotes, '' inside single ones.
        rest = rest.replace("\\\\", "").replace('\\"', "") if mark == '"' else rest.replace("''", "")
        if mark not in rest:
            return index, column
    return None


def explain(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str, str | None]:
    """(1-based line, message, excerpt) for a PyYAML error in `text`."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None, " ".join(p for p in (exc.context, exc.problem) if p), None
    lines = text.splitlines() or [""]
    problem = exc.problem or ""
    context = exc.context or ""
    row = min(mark.line, len(lines) - 1)
    at = lines[row] if row >= 0 else ""
    start = exc.context_mark.line if exc.context_mark is not None else row - 1

    # PyYAML names the tab ("found character '\\t'"); libyaml's scanner only says it "cannot start any token".
    if "tab" in problem or "'\\t'" in problem or "cannot start any token" in problem:
        for index in range(min(start, row), row + 1):
            if "\t" in lines[index][: _indent(lines[index]) + 1] or (index == row and "\t" in lines[index]):
                column = lines[index].index("\t")
                return index + 1, "a tab character: YAML indents with spaces only", excerpt(lines[index], column)
    unclosed = _unclosed_quote(lines, min(start, row - 1), row)
    if unclosed is not None:
        index, column = unclosed
        return (
            index + 1,
            "this quote is never closed: end the text with the same quote mark",
            excerpt(lines[index], column),
        )
    if "quoted scalar" in context and exc.context_mark is not None:
        index, column = exc.context_mark.line, exc.context_mark.column
        return (
            index + 1,
            "this quote is never closed: end the text with the same quote mark",
            excerpt(lines[index], column),
        )
    if "flow sequence" in context or "flow mapping" in context:
        index = exc.context_mark.line if exc.context_mark is not None else row
        column = exc.context_mark.column if exc.context_mark is not None else 0
        bracket = "[ ... ]" if "sequence" in context else "{ ... }"
        return (
            index + 1,
            f"this {bracket[0]} is never closed by {bracket[-1]}, or a ',' is missing between items "
            f"(write {bracket}, or quote text that starts with {bracket[0]})",
            excerpt(lines[index], column),
        )
    if "tag" in problem and "constructor" in problem:
        tag = problem.split("tag", 1)[1].strip(" '").replace("tag:yaml.org,2002:", "!!")
        return (
            row + 1,
            f"the tag {tag[:80]!r} is not allowed: only text, numbers, lists and mappings",
            excerpt(at, mark.column),
        )
    if any(p in problem for p in _INDENT_PROBLEMS):
        found = _misindented(lines, min(start, row - 1), row)
        if found is not None:
            index, usual = found
            return (
                index + 1,
                f"indentation: this line starts after {_indent(lines[index])} space(s), lines like it after "
                f"{usual}: indent it like its neighbours",
                excerpt(lines[index], _indent(lines[index])),
            )
        if (
            "mapping values are not allowed" in problem
            and ": " in at[: mark.column]
            and at[mark.column : mark.column + 1] == ":"
        ):
            return (
                row + 1,
                "a second ': ' on this line: text holding a colon must be in quotes (key: \"text: more\"), "
                "or the line is indented deeper than the key above it",
                excerpt(at, mark.column),
            )
        deeper = "mapping values are not allowed" in problem
        what = "indented deeper than the line above it" if deeper else "not indented like the lines at its level"
        return row + 1, f"indentation: this line is {what}", excerpt(at, _indent(at))
    reason = " ".join(p for p in (context, problem) if p)
    return row + 1, reason, excerpt(at, mark.column)
