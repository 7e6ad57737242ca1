"""The bench's worst-case questions: each at Discord's limit, deterministic, and each as costly as its kind says.

Nothing here is a timing: the figure is measured by `make bench` (or `python -m bench.long_questions`).
"""

from __future__ import annotations

from bench.long_questions import KINDS, LONGEST, measure, questions
from engine.matching.matcher import MAX_NAMES
from engine.matching.spelling import MAX_CORRECTIONS


def test_one_question_of_each_kind_at_the_limit_and_the_same_each_time(snapshot):
    known = snapshot.matcher.speller.known
    made = questions(known)
    assert tuple(made) == KINDS and made == questions(known)
    assert all(len(q) == LONGEST for q in made.values())


def test_measured_kinds_do_bounded_work(engine):
    result = measure(engine, repeats=1)
    assert set(result["by_kind_ms"]) == set(KINDS) and result["worst_ms"] == max(result["by_kind_ms"].values())
    assert result["searches"]["junk"] == MAX_CORRECTIONS  # a search per word, up to the bound
    assert all(n <= MAX_CORRECTIONS + MAX_NAMES for n in result["searches"].values())
    assert result["searches"]["known words"] == 0
