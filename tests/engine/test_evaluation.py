"""Answer quality floors on the project's own evaluation questions (`make eval` prints the detail)."""

from engine.evaluation.questions import evaluate

# A little below the targets of `make eval` (95% / 95% / 98%) so that a moderator adding one
# hard question does not break the build; a real regression still does.
FLOORS = {"accuracy": 0.93, "abstention": 0.92, "language": 0.97}


def test_quality_floors(engine):
    report = evaluate(engine)
    assert report.accuracy >= FLOORS["accuracy"], report.format()
    assert report.abstention >= FLOORS["abstention"], report.format()
    assert report.language >= FLOORS["language"], report.format()


def test_report_counts_and_lists_misses(engine):
    report = evaluate(engine)
    assert len(report.in_scope) + len(report.out_of_scope) == len(report.outcomes)
    text = report.format()
    assert "in-scope top-1 accuracy:" in text and "out-of-scope abstention:" in text
    listed = text.split("misses (", 1)[1].splitlines()[1:] if report.misses else []
    assert len(listed) == len(report.misses)
    assert all(": expected " in line for line in listed)


def test_a_set_without_in_scope_questions_shows_no_accuracy(engine):
    """A share of no question is not 100%: the table says n/a where a set has nothing to measure."""
    from engine.evaluation.questions import Row, format_table
    from engine.knowledge.model import EvalQuestion

    only_out = evaluate(engine, [EvalQuestion("What is the price of a Clio in 2025?", None, "en")])
    line = format_table([Row("oos", "full", "learned", only_out)]).splitlines()[-1]
    assert line.startswith("| oos (0/1, fit) | full | learned | n/a | 100.0% |") and line.endswith("| n/a |")
