"""The data itself: every sheet parses, every fact validates, every quote is in its source."""

from __future__ import annotations

from engine.loader import load_knowledge
from engine.textnorm import quote_form, tokenize
from tests.conftest import KNOWLEDGE


def test_every_fact_is_complete_and_quoted():
    kb = load_knowledge(KNOWLEDGE)
    article = quote_form(kb.sources["alliance-2019-12"].text)
    for fact in kb.facts:
        assert quote_form(fact.quote) in article, fact.id
        assert len(fact.questions["fr"]) >= 5 and len(fact.questions["en"]) >= 5, fact.id
        assert fact.answer["fr"] != fact.answer["en"], fact.id


def test_no_question_belongs_to_two_facts():
    kb = load_knowledge(KNOWLEDGE)
    owner: dict[str, str] = {}
    for fact in kb.facts:
        for questions in fact.questions.values():
            for q in questions:
                key = " ".join(tokenize(q))
                assert owner.setdefault(key, fact.id) == fact.id, q


def test_source_is_the_article_verbatim():
    article = (KNOWLEDGE / "sources" / "alliance-2019-12.fr.txt").read_text(encoding="utf-8")
    assert "10,76 millions de véhicules" in article
    assert article.startswith(" date 2019-12 Renault, Nissan et Mitsubishi")


def test_evaluation_set_is_large_and_mixed():
    kb = load_knowledge(KNOWLEDGE)
    cases = kb.eval_questions
    assert len(cases) >= 150
    covered = {c.expect for c in cases if c.expect}
    assert covered == {f.id for f in kb.facts}
    assert sum(c.expect is None for c in cases) >= 50
    assert {c.lang for c in cases} == {"fr", "en"}
