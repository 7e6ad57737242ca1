"""Choosing the reply language: the votes of each kind of evidence, and the guesser the real knowledge builds."""

from __future__ import annotations

import pytest

from engine.answering import Engine, Snapshot
from engine.language import FREQUENCY_LEAD, LanguageGuesser


def guesser(**frequencies: dict[str, float]) -> LanguageGuesser:
    return LanguageGuesser(
        markers={"fr": frozenset({"le", "qui", "l"}), "en": frozenset({"the", "who"})},
        own_words={"fr": frozenset({"vendu"}), "en": frozenset({"sold"})},
        frequencies={"fr": frequencies.get("fr", {}), "en": frequencies.get("en", {})},
        names=frozenset({"renault", "nissan"}),
    )


def test_each_marker_or_own_word_is_one_vote():
    g = guesser()
    assert g.evidence("who sold the", ["who", "sold", "the"]) == (0.0, 3.0)
    assert g.evidence("qui le vendu", ["qui", "le", "vendu"]) == (3.0, 0.0)
    assert g.guess("who sold the", ["who", "sold", "the"]) == "en"


def test_nothing_to_go_on_or_a_tie_is_french():
    g = guesser()
    assert g.evidence("renault ?", ["renault"]) == (0.0, 0.0)
    assert g.guess("renault ?", ["renault"]) == "fr"
    assert g.guess("who qui", ["who", "qui"]) == "fr"


def test_a_french_letter_weighs_one_and_a_half():
    g = guesser()
    assert g.evidence("Renault à Nissan", ["renault", "a", "nissan"]) == (1.5, 0.0)
    assert g.evidence("RENAULT À NISSAN", ["renault", "a", "nissan"]) == (1.5, 0.0)  # capitals too
    # Two English words outweigh one accent; a third word of English is not needed.
    assert g.guess("who sold à", ["who", "sold", "a"]) == "en"


def test_an_accent_inside_a_name_is_no_french_evidence():
    names = LanguageGuesser(
        markers={"en": frozenset({"who"})}, own_words={}, frequencies={}, names=frozenset({"bollore"})
    )
    assert names.evidence("who was Bolloré?", ["who", "was", "bollore"]) == (0.0, 1.0)
    assert names.guess("Bolloré ?", ["bollore"]) == "fr"  # nothing to go on: French, as always
    # Any other accented word still counts, beside the name.
    assert names.evidence("Bolloré était là", ["bollore", "etait", "la"]) == (1.5, 0.0)


def test_an_accent_adds_nothing_to_a_word_already_counted_as_french():
    g = LanguageGuesser(
        markers={"en": frozenset({"is", "in", "which"})}, own_words={"fr": frozenset({"departement"})}, frequencies={}
    )
    words = ["boulogne", "is", "in", "which", "departement"]
    assert g.evidence("Boulogne is in which département", words) == (1.0, 3.0)
    assert g.guess("Boulogne is in which département", words) == "en"
    assert g.evidence("département à", ["departement", "a"]) == (2.5, 0.0)  # "à" is an accent of its own


def test_quoted_words_are_mentioned_and_the_rest_of_the_question_decides():
    g = LanguageGuesser(
        markers={"fr": frozenset({"le", "conseil", "c", "est", "quoi"}), "en": frozenset({"what", "does", "mean"})},
        own_words={},
        frequencies={},
    )
    words = ["what", "does", "le", "conseil", "operationnel", "mean"]
    assert g._votes("what does 'le conseil opérationnel' mean", words) == (3.5, 3.0)  # every word counted
    assert g.evidence("what does 'le conseil opérationnel' mean", words) == (0.0, 3.0)  # the quote left out
    assert g.guess("what does 'le conseil opérationnel' mean", words) == "en"
    assert g.guess('what does "le conseil" mean', ["what", "does", "le", "conseil", "mean"]) == "en"
    assert g.guess("c'est quoi « what does »", ["c", "est", "quoi", "what", "does"]) == "fr"
    # A question that is all a quote is read as it is; an elision is no quote.
    assert g.guess("'le conseil'", ["le", "conseil"]) == "fr"
    assert g.guess("c'est quoi le 'board'", ["c", "est", "quoi", "le", "board"]) == "fr"


def test_an_elision_is_french_only_with_its_elided_word():
    g = guesser()
    assert g.evidence("l'alliance", ["l", "alliance"]) == (2.0, 0.0)  # the marker "l" and the elision
    assert g.evidence("Renault's", ["renault", "s"]) == (0.0, 0.0)  # an English possessive is no elision
    assert g.evidence("l’alliance", ["l", "alliance"]) == (2.0, 0.0)  # a typographic apostrophe folds to "'"


def test_a_word_of_neither_list_is_half_a_vote_where_it_is_much_more_common():
    g = guesser(fr={"voiture": 5.0, "car": 3.0}, en={"car": 3.0 + FREQUENCY_LEAD, "voiture": 1.0})
    assert g.evidence("car", ["car"]) == (0.0, 0.5)
    assert g.evidence("voiture", ["voiture"]) == (0.5, 0.0)


def test_a_frequency_lead_below_the_threshold_and_a_name_give_nothing():
    g = guesser(fr={"taxi": 4.5, "nissan": 1.0}, en={"taxi": 4.5 + FREQUENCY_LEAD / 2, "nissan": 5.0})
    assert g.evidence("taxi", ["taxi"]) == (0.0, 0.0)
    assert g.evidence("nissan", ["nissan"]) == (0.0, 0.0)  # an entity's name is no language's word


def test_missing_lists_count_nothing():
    g = LanguageGuesser(markers={}, own_words={}, frequencies={})
    assert g.evidence("the who", ["the", "who"]) == (0.0, 0.0)
    assert g.guess("é", []) == "fr"


# -- on the real knowledge ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Who runs Nissan?", "en"),
        ("Qui dirige Nissan ?", "fr"),
        ("where was the meeting held", "en"),
        ("où s'est tenue la réunion", "fr"),
        ("l'alliance", "fr"),
        ("renault ?", "fr"),
        ("How many vehicles did the Alliance sell in 2018?", "en"),
        ("combien de vehicules vendus en 2018", "fr"),
        ("who was Thierry Bolloré?", "en"),  # the accent and the first name are the name's, not French
        ("Bolloré est parti ?", "fr"),
        ("wat does 'conseil opérationnel' mean", "en"),  # a French term asked about, in English
        ("Boulogne-Billancourt is in which département", "en"),
        ("que veut dire « operating board » ?", "fr"),
    ],
)
def test_the_real_guesser_on_plain_questions(snapshot: Snapshot, question, lang):
    matcher = snapshot.matcher
    assert matcher.language.guess(question, matcher.words(question)) == lang


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ('wat does "conseil opérationnel" mean', "en"),
        ("Boulogne-Billancourt is in which département", "en"),
        ("c'est quoi « operating board » ?", "fr"),
    ],
)
def test_a_reply_is_in_the_askers_language_whatever_they_quote(snapshot: Snapshot, question, lang):
    assert Engine(snapshot).ask(question).lang == lang


def test_the_real_guesser_gets_the_language_of_the_evaluation_questions(snapshot: Snapshot):
    matcher = snapshot.matcher
    questions = snapshot.kb.eval_questions
    wrong = [q.q for q in questions if matcher.language.guess(q.q, matcher.words(q.q)) != q.lang]
    # 2 of 223 today, both English questions of French-looking words ("Nissan profit 2019").
    assert len(questions) > 200 and len(wrong) <= len(questions) // 50, wrong


def test_the_real_guesser_leaves_entity_names_to_neither_language(snapshot: Snapshot):
    matcher = snapshot.matcher
    for name in ("renault", "nissan", "mitsubishi", "ghosn"):
        assert matcher.language.evidence(name, [name]) == (0.0, 0.0), name
