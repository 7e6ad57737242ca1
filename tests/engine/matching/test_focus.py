"""A long question's last clause (engine/matching/focus.py), and the features the decision weighs of it."""

from __future__ import annotations

from engine.answering import Snapshot
from engine.matching.decision import FEATURES
from engine.matching.focus import MAX_CLAUSES, final_clause
from engine.textnorm import MAX_WORDS

SG_REPORTING = (
    "bonsoir, dans l'article ils parlent d'un nouveau poste pour coordonner les grands projets, "
    "la personne sera rattachée à qui ?"
)


def focus_of(snapshot: Snapshot, question: str) -> tuple[str, ...]:
    return snapshot.matcher.analyse(question).focus


def test_the_last_clause_of_a_long_question_is_its_focus(snapshot: Snapshot):
    analysis = snapshot.matcher.analyse(SG_REPORTING)
    assert analysis.focus == ("personne", "report")
    assert set(analysis.focus) < set(analysis.tokens)  # the role's words are the question's, not its focus


def test_a_question_of_one_clause_has_no_focus(snapshot: Snapshot):
    for question in ("qui dirige nissan ?", "Who runs Nissan?", "ventes 2018", "", "?!", "10,76 millions ?"):
        assert focus_of(snapshot, question) == (), question


def test_a_short_last_clause_leaves_the_focus_to_the_one_before(snapshot: Snapshot):
    # "non ?" asks nothing of its own; the clause before it is the whole question's words.
    assert focus_of(snapshot, "la réunion c'était à Paris, non ?") == ()
    assert focus_of(snapshot, "I read about the new role, who would that person answer to, right?") == (
        "person",
        "report",
    )
    # Greetings and "right?" around one clause leave it the whole question: no focus of its own.
    assert focus_of(snapshot, "hey, who would that person answer to, right?") == ()


def test_a_decimal_comma_is_no_clause_end(snapshot: Snapshot):
    lexicon = snapshot.matcher.lexicon
    words = lexicon.split("l'alliance a vendu 10,76 millions de vehicules en 2018")
    assert (
        final_clause(lexicon, "l'alliance a vendu 10,76 millions de vehicules en 2018", words, lexicon.tokens(words))
        == ()
    )


def test_the_focus_feature_is_the_share_of_the_last_clause_a_fact_explains(snapshot: Snapshot):
    m = snapshot.matcher
    focus, clauses = FEATURES.index("focus"), FEATURES.index("clauses")
    by_id = {fact.id: features for fact, features in m.candidates(m.analyse(SG_REPORTING))}
    reporting, role = by_id["secretary-general-reporting"], by_id["secretary-general-role"]
    assert reporting[clauses] == role[clauses] == 1.0
    # Reporting explains "rattachée à qui" (report) where the role does not.
    assert reporting[focus] > role[focus]


def test_for_one_clause_the_focus_is_the_coverage(snapshot: Snapshot):
    m = snapshot.matcher
    focus, clauses, coverage = FEATURES.index("focus"), FEATURES.index("clauses"), FEATURES.index("coverage")
    for _, features in m.candidates(m.analyse("qui dirige nissan ?")):
        assert features[clauses] == 0.0 and features[focus] == features[coverage]


class CountingLexicon:
    """The real lexicon, counting the splits and token look-ups final_clause asks of it."""

    def __init__(self, lexicon) -> None:
        self.lexicon, self.calls = lexicon, 0

    def split(self, text: str) -> list[str]:
        self.calls += 1
        return self.lexicon.split(text)

    def tokens(self, words):
        self.calls += 1
        return self.lexicon.tokens(words)


def test_the_work_on_a_hostile_message_is_bounded_by_the_clause_limit(snapshot: Snapshot):
    m = snapshot.matcher
    for text in ("😀, " * 1333, "a. " * 1333, "?" * 3999 + "x", "mot, " * (MAX_CLAUSES + 1) + "qui dirige nissan ?"):
        analysis = m.analyse(text)
        counting = CountingLexicon(m.lexicon)
        assert final_clause(counting, text, analysis.words, analysis.tokens) == ()
        assert counting.calls <= 2 * MAX_CLAUSES + 2, (text[:20], counting.calls)


def test_a_question_cut_by_the_analysis_has_no_focus(snapshot: Snapshot):
    m = snapshot.matcher
    long = "les ventes de " * 40 + ", qui dirige nissan ?"  # past MAX_WORDS: its last clause is never read
    assert len(m.analyse(long).words) == MAX_WORDS
    assert focus_of(snapshot, long) == ()
