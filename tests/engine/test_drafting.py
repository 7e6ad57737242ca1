"""Drafting facts from members' questions, on the real article and real copies of knowledge/.

The loop of issue 9 section 3: a question nobody answered, its draft, pasted unchanged
into a sheet (check reports only the answers marked for review), the answers written,
check passing, the knowledge reloaded, and the engine answering the question and
paraphrases that nobody wrote into the draft.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.answering import Engine, Snapshot
from engine.knowledge import drafting
from engine.knowledge.drafting import COVERED, MAX_PASSAGES, MAX_QUESTIONS, Drafter, draft, passages, yaml_text
from engine.knowledge.loader import KnowledgeError
from engine.knowledge.model import Source
from engine.knowledge.review import REVIEW_MARK
from engine.textnorm import quote_form, tokenize

#: The fact removed from the copy, so that the article holds a passage no fact covers.
REMOVED = "board-frequency"
#: The meeting's own fact says it is "the monthly meeting": it answers QUESTION too, so it goes as well.
ALSO_ANSWERING = "meeting-kind"
QUESTION = "À quelle fréquence se réunit le conseil opérationnel ?"
#: Paraphrases nobody wrote into the draft.
PARAPHRASES = ("le conseil se réunit tous les combien ?", "the board meets how often")


def remove_fact(root: Path, fact_id: str) -> None:
    """Take a fact out of a copy of knowledge/, with the evaluation questions that expect it."""
    for path in sorted((root / "facts").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        kept = [f for f in data["facts"] if f["id"] != fact_id]
        if len(kept) < len(data["facts"]):
            data["facts"] = kept
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    questions = root / "eval" / "questions.yaml"
    data = yaml.safe_load(questions.read_text(encoding="utf-8"))
    data["questions"] = [q for q in data["questions"] if q["expect"] != fact_id]
    questions.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(root: Path) -> list[str]:
    try:
        Snapshot.load(root)
    except KnowledgeError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_passages_are_the_sources_sentences_where_they_stand(snapshot):
    source = snapshot.kb.sources["alliance-2019-12"]
    found = passages(source)
    lines = source.text.split("\n")
    assert len(found) >= 12
    for p in found:
        assert source.text[p.start : p.end] == p.text  # verbatim, at its character offsets
        assert p.text in lines[p.line - 1]  # on its line
    texts = [p.text for p in found]
    assert "Mais, aussi vers la nomination d’un secrétaire général." in texts  # a sentence of its own


def test_a_question_finds_the_sentence_that_answers_it(snapshot):
    drafter = Drafter(snapshot)
    best = drafter.search(["combien de voitures l'alliance a vendu en 2018"])[0]
    assert "10,76 millions de véhicules" in best.passage.text
    assert best.score >= COVERED
    assert set(best.quoted_by) >= {"sales-2018"}  # the facts already quoting it are named
    # The sentence naming the secretary general comes just before: it counts as context.
    best = drafter.search(["à qui le secrétaire général rendra-t-il compte ?"])[0]
    assert best.passage.text.startswith("Ce représentant coordonnera")


def test_a_draft_pasted_unchanged_fails_check_only_on_the_answers_marked_for_review(knowledge_copy):
    snapshot = Snapshot.load(knowledge_copy)
    drafted = draft(snapshot, ["qui a quitté Renault et Nissan ?"])
    assert drafted.covered
    assert drafted.fact_id not in snapshot.kb.facts_by_id
    assert {t.id for t in snapshot.kb.topics} >= {drafted.topic}
    (knowledge_copy / "facts" / "drafted.yaml").write_text("facts:\n" + drafted.yaml, encoding="utf-8")
    found = problems(knowledge_copy)
    assert all(f"[{drafted.fact_id}]" in p and "marked for review" in p for p in found), found
    assert any("answer.fr is marked" in p for p in found) and any("answer.en is marked" in p for p in found)
    (fact,) = yaml.safe_load("facts:\n" + drafted.yaml)["facts"]
    placeholders = [lang for lang, qs in fact["questions"].items() if any(REVIEW_MARK in q for q in qs)]
    assert len(found) == 2 + len(placeholders)  # questions it could not propose are marked too


def test_a_draft_proposes_as_many_questions_as_check_asks(monkeypatch, snapshot):
    monkeypatch.setattr(drafting, "MIN_QUESTIONS", 3)
    for question in ("qui a remplacé Thierry Bolloré ?", "Quel âge a Makoto Uchida ?"):
        (fact,) = yaml.safe_load("facts:\n" + draft(snapshot, [question]).yaml)["facts"]
        for lang in ("fr", "en"):
            listed = fact["questions"][lang]
            assert len(listed) >= 3, (question, lang, listed)
            assert len({" ".join(tokenize(q)) for q in listed}) == len(listed)  # no two alike
    # Proposed from the passage when the question's own words run out; placeholders, marked, only then.
    (fact,) = yaml.safe_load("facts:\n" + draft(snapshot, ["qui a remplacé Thierry Bolloré ?"]).yaml)["facts"]
    assert not any(REVIEW_MARK in q for qs in fact["questions"].values() for q in qs)


def test_the_loop_from_a_question_to_an_answer(knowledge_copy):
    remove_fact(knowledge_copy, REMOVED)
    remove_fact(knowledge_copy, ALSO_ANSWERING)
    engine = Engine(Snapshot.load(knowledge_copy))
    assert not engine.ask(QUESTION).answered  # what members asked in vain

    drafted = draft(engine.snapshot, [QUESTION])
    assert drafted.covered
    sheet = knowledge_copy / "facts" / "drafted.yaml"
    sheet.write_text("facts:\n" + drafted.yaml, encoding="utf-8")
    assert all("marked for review" in p for p in problems(knowledge_copy))  # only what is left to write

    # The moderator writes the answers (the quote and the proposed questions stay as drafted), and a
    # question of their own where the draft left a placeholder.
    data = yaml.safe_load(sheet.read_text(encoding="utf-8"))
    (fact,) = data["facts"]
    own = {
        "fr": iter(["le conseil se voit à quel rythme", "réunions du conseil : fréquence"]),
        "en": iter(["operating board meeting rhythm", "how regularly is the board convened"]),
    }
    for lang, listed in fact["questions"].items():
        listed[:] = [next(own[lang]) if REVIEW_MARK in q else q for q in listed]
    assert "mensuelle" in fact["quote"]  # the passage that answers: "leur réunion mensuelle du conseil"
    assert QUESTION in fact["questions"]["fr"] and fact["questions"]["en"]
    assert REVIEW_MARK in fact["answer"]["fr"]
    fact["answer"] = {
        "fr": "Le conseil opérationnel de l'Alliance se réunit une fois par mois.",
        "en": "The Alliance's operating board meets once a month.",
    }
    sheet.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert problems(knowledge_copy) == []

    engine.swap(engine.load_next(knowledge_copy))
    written = {q for qs in fact["questions"].values() for q in qs}
    for question in (QUESTION, *PARAPHRASES):
        assert question == QUESTION or question not in written
        reply = engine.ask(question)
        assert reply.answered and reply.fact.id == drafted.fact_id, (question, reply.kind, reply.suggestions)
        assert reply.source.id == "alliance-2019-12"
        assert quote_form(reply.fact.quote) in quote_form(reply.source.text)


def test_a_question_the_article_does_not_cover_gets_no_draft(snapshot):
    drafted = draft(snapshot, ["Quel est le prix d'une Clio neuve ?"])
    assert not drafted.covered and drafted.fact_id == ""
    assert "add-source" in drafted.yaml and "  - id:" not in drafted.yaml


def test_variants_never_claim_another_facts_question(snapshot):
    taken = snapshot.kb.fact("leader-uchida").questions["fr"][0]
    drafted = draft(snapshot, [taken, "quel âge a le patron de nissan"])
    data = yaml.safe_load("facts:\n" + drafted.yaml)
    (fact,) = data["facts"]
    assert taken not in fact["questions"]["fr"]  # check would refuse a question two facts claim
    assert f"« {taken} » is already a question of fact leader-uchida" in drafted.yaml  # and the moderator is told
    assert "quel âge a le patron de nissan" in fact["questions"]["fr"]


def test_work_is_bounded_by_the_number_of_questions(snapshot):
    many = [f"question {n} sur les ventes de 2018" for n in range(MAX_QUESTIONS * 5)]
    drafted = draft(snapshot, many)
    assert len(drafted.questions) == MAX_QUESTIONS


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_empty_questions_give_no_draft(snapshot, text):
    assert not draft(snapshot, [text]).covered


def test_an_edited_source_is_searched_as_it_now_reads(knowledge_copy, snapshot):
    Drafter(snapshot).search([QUESTION])  # the served article's passages, analysed and kept
    article = knowledge_copy / "sources" / "alliance-2019-12.fr.txt"
    added = "Le conseil opérationnel se réunira de nouveau à Yokohama en janvier 2020."
    article.write_text(article.read_text(encoding="utf-8") + "\n" + added + "\n", encoding="utf-8")
    best = Drafter(Snapshot.load(knowledge_copy)).search(["où se réunira le conseil en janvier 2020 à Yokohama"])[0]
    assert best.passage.text == added
    assert article.read_text(encoding="utf-8").split("\n")[best.passage.line - 1] == added


def test_a_huge_source_is_read_up_to_a_bound():
    text = "Une phrase de plus sur l'Alliance. " * (MAX_PASSAGES * 3)
    source = Source("huge", "t", "2019-12", "fr", None, "sources/huge.txt", text)
    assert len(passages(source)) == MAX_PASSAGES


def test_variants_are_proposed_in_both_languages(snapshot):
    drafted = draft(snapshot, ["combien de voitures l'alliance a vendu en 2018"])
    (fact,) = yaml.safe_load("facts:\n" + drafted.yaml)["facts"]
    assert fact["questions"]["fr"][0] == "combien de voitures l'alliance a vendu en 2018"  # as asked, first
    assert "how many vehicle alliance sell 2018" in fact["questions"]["en"]  # its kind and concepts, in English
    assert "voiture alliance vente 2018" in fact["questions"]["fr"]  # and as keywords


@pytest.mark.parametrize(
    "text", ["\"l'état d'esprit plus ouvert, plus transparent \"", "a\u2028b\x85c", "tab\tnul\x00 \ufffe", "🚗 « » \\"]
)
def test_drafted_text_reads_back_exactly(text):
    assert yaml.safe_load(f"quote: {yaml_text(text)}")["quote"] == text


def test_a_question_for_a_date_or_a_number_is_not_covered_by_a_sentence_without_one(snapshot):
    drafter = Drafter(snapshot)
    plain = drafter.search(["nomination du secrétaire général"])[0]
    when = drafter.search(["quand sera nommé le secrétaire général"])[0]
    assert plain.passage == when.passage and "nomination" in plain.passage.text  # it names no date
    assert plain.score >= COVERED > drafter.search(["quel âge a le secrétaire général"])[0].score
    assert when.score == pytest.approx(plain.score * 0.5, abs=0.05)


def test_an_edited_lexicon_drops_the_passages_analysed_with_the_old_one(knowledge_copy, snapshot):
    Drafter(snapshot).search([QUESTION])
    lexicon = knowledge_copy / "lexicon.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = Snapshot.load(knowledge_copy)
    assert edited.kb.lexicon is not snapshot.kb.lexicon
    Drafter(edited).search([QUESTION])
    assert all(kept[1] is edited.kb.lexicon for kept in drafting._INDEXES.values())  # the old one is not held
