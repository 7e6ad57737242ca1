"""A refused load's report for Discord: a few messages at most, the line at fault in a code block, the rest attached."""

from __future__ import annotations

from cogs.problem_report import MAX_MESSAGES, problem_report
from engine.knowledge.schema import KnowledgeError, Problem, Problems


def error_of(count: int, **fields) -> KnowledgeError:
    problems = Problems()
    for number in range(count):
        problems.append(Problem("facts/x.yaml", number + 1, f"fact-{number}", "missing field 'topic'", **fields))
    return KnowledgeError(problems)


def test_a_short_report_fits_one_message_and_attaches_nothing():
    report = problem_report("en", error_of(3), applied=True)
    assert report.attachment is None
    assert report.messages == [
        "❌ Reload refused: 3 problem(s). Nothing was swapped; members keep the current answers.\n"
        # "[" is escaped (a fact id never opens a masked link); Discord shows it plainly.
        "• `knowledge/facts/x.yaml:1` \\[fact-0]: missing field 'topic'\n"
        "• `knowledge/facts/x.yaml:2` \\[fact-1]: missing field 'topic'\n"
        "• `knowledge/facts/x.yaml:3` \\[fact-2]: missing field 'topic'"
    ]


def test_a_long_report_takes_at_most_three_messages_and_attaches_the_kept_list():
    error = error_of(5000)
    report = problem_report("en", error, applied=False)
    assert len(report.messages) <= MAX_MESSAGES and all(len(m) <= 2000 for m in report.messages)
    shown = sum(m.count("• `knowledge/") for m in report.messages)
    assert report.messages[-1].endswith(
        f"… and {5000 - shown} more problem(s): the full list is attached (`knowledge-problems.txt`)."
    )
    assert report.attachment is not None
    lines = report.attachment.splitlines()
    assert len(lines) == 1001 and lines[0] == "facts/x.yaml:1 [fact-0]: missing field 'topic'"
    assert lines[-1] == "… and 4000 more problem(s), not listed: fix the first 1000, then check again."


def test_the_line_at_fault_is_shown_in_a_code_block_it_cannot_break():
    error = KnowledgeError([Problem("facts/x.yaml", 4, None, "YAML error: a tab", "→x: ```y\n^")])
    (message,) = problem_report("fr", error, applied=True).messages
    assert message.endswith("• `knowledge/facts/x.yaml:4`: YAML error: a tab\n```\n→x: '''y\n^\n```")
