"""What the matcher knows of the facts: each fact analysed once, and the postings and counts over all of them.

Hand-made facts show what each part of an entry holds; the real knowledge shows that evolving an index
(a reload) gives the index a build from scratch gives, and never touches the one being served.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from engine.knowledge.loader import load_knowledge
from engine.knowledge.model import Fact, KnowledgeBase
from engine.lexicon import Lexicon
from engine.matching.index import FactEntry, Index, analyse_fact, answers_yes_no
from engine.textnorm import tokenize

LEXICON = Lexicon.build(
    stopwords=["qui", "est", "le", "de", "la", "a", "who", "is", "the", "of", "en", "in", "did"],
    synonyms={"ceo": ["pdg", "patron"], "sell": ["vendu", "sold", "sell"]},
    question_words={"who": ["qui", "who"], "how_many": ["combien", "how many"]},
    entities=["Nissan", "Renault", "Toyota", "Uchida"],
    smalltalk={},
    markers={},
)


def fact(fact_id: str = "f", *, fr: tuple[str, ...] = (), en: tuple[str, ...] = (), **fields: Any) -> Fact:
    """A fact of the given questions, with answers and the rest defaulted (overridden by `fields`)."""
    base = {
        "id": fact_id,
        "topic": "t",
        "source": "s",
        "quote": "q",
        "questions": MappingProxyType({"fr": fr, "en": en}),
        "answer": MappingProxyType({"fr": "Makoto Uchida dirige Nissan.", "en": "Makoto Uchida runs Nissan."}),
    }
    base.update(fields)
    return Fact(**base)


def entry(**kwargs: Any) -> FactEntry:
    return analyse_fact(fact(**kwargs), LEXICON)


# -- yes/no facts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "yes_no"),
    [
        ({"fr": "Oui, il était là.", "en": "Yes, he was there."}, True),
        ({"fr": "Non : il n'y était pas.", "en": "No, he was not."}, True),
        ({"fr": "Pas encore : elle est prévue.", "en": "Not yet: it is planned."}, True),
        ({"fr": "Oui.", "en": "He was there."}, False),  # every answer must open so
        ({"fr": "Nonobstant la date, oui.", "en": "Nothing was said."}, False),  # a word, not a prefix
        ({}, False),
    ],
)
def test_a_fact_answers_yes_or_no_when_every_answer_opens_with_it(answers, yes_no):
    assert answers_yes_no(fact(answer=MappingProxyType(answers))) is yes_no


# -- one fact -------------------------------------------------------------------------------


def test_each_question_is_a_variant_of_its_tokens_once_in_order_and_its_folded_words():
    analysed = entry(fr=("Qui est le PDG de Nissan ?", "Nissan, patron ?"), en=("Who is the CEO of Nissan?",))
    assert analysed.variants == (
        (("ceo", "nissan"), "qui est le pdg de nissan"),
        (("nissan", "ceo"), "nissan patron"),
        (("ceo", "nissan"), "who is the ceo of nissan"),
    )
    assert set(analysed.question_bag) == {"ceo", "nissan"}
    assert analysed.kinds == {"who"}
    assert analysed.entities == {"nissan"}


def test_keywords_add_tokens_and_entities_but_no_variant():
    analysed = entry(fr=("patron ?",), keywords=("Renault", "alliance"))
    assert len(analysed.variants) == 1
    assert set(analysed.question_bag) == {"ceo", "renault", "alliance"}
    assert analysed.entities == {"renault"}
    assert {"renault", "alliance"} <= set(analysed.words)


def test_what_only_the_answers_hold_is_kept_apart():
    analysed = entry(fr=("Qui dirige Nissan ?",))
    # "nissan" is in the questions: the answer bag holds only what the questions lack.
    assert "nissan" in analysed.question_bag and "nissan" not in analysed.answer_bag
    assert {"makoto", "uchida", "run"} <= set(analysed.answer_bag)
    assert analysed.answer_entities == {"uchida"}  # Nissan is named by the questions already


def test_own_words_are_each_language_s_folded_words_questions_and_answer():
    analysed = entry(fr=("Qui dirige Nissan ?",), en=("Who runs Nissan?",))
    own = {lang: set(words) for lang, words in analysed.own_words}
    assert own["fr"] == {"qui", "dirige", "nissan", "makoto", "uchida"}
    assert own["en"] == {"who", "runs", "nissan", "makoto", "uchida"}
    assert set(analysed.words) == own["fr"] | own["en"]
    # Kept as tuples (only iterated, when the index is built), each word once.
    assert all(len(set(ws)) == len(ws) for ws in (analysed.words, analysed.question_bag, analysed.answer_bag))


def test_mentions_are_analysed_into_entities():
    analysed = entry(fr=("Combien a vendu Renault ?",), mentions=("Toyota", "Toyotas"))
    assert analysed.mentions == {"toyota"}
    assert analysed.kinds == {"how_many"}


def test_words_are_interned_so_facts_share_them():
    first, second = entry(fr=("patron de Nissan",)), entry(fr=("Nissan patron",))
    assert next(w for w in first.words if w == "nissan") is next(w for w in second.words if w == "nissan")


# -- the index ------------------------------------------------------------------------------


def test_build_posts_each_token_to_the_facts_that_hold_it():
    a = entry(fact_id="a", fr=("patron de Nissan",))
    b = entry(fact_id="b", fr=("patron de Renault",), answer=MappingProxyType({"fr": "Nissan aussi."}))
    index = Index.build([("a", a), ("b", b)])
    assert index.size == 2
    assert index.question_postings["ceo"] == {"a", "b"}
    assert index.question_postings["nissan"] == {"a"}
    assert index.answer_postings["nissan"] == {"b"}  # b's answer names it, its questions do not
    assert "nissan" not in index.answer_postings.get("aussi", frozenset())
    assert index.entity_counts == Counter({"nissan": 2, "renault": 1, "uchida": 1})
    assert index.word_counts["patron"] == 2 and index.word_counts["renault"] == 1
    assert index.own_counts["fr"]["patron"] == 2 and "en" in index.own_counts


def test_an_empty_index():
    index = Index.build([])
    assert index.size == 0 and not index.question_postings and not index.entity_counts


def test_evolving_takes_out_and_puts_in_without_leaving_empty_postings_or_zero_counts():
    a = entry(fact_id="a", fr=("patron de Nissan",))
    b = entry(fact_id="b", fr=("patron de Renault",))
    index = Index.build([("a", a), ("b", b)])
    evolved = index.evolve([("b", b)], [])
    assert evolved == Index.build([("a", a)])
    assert "renault" not in evolved.question_postings
    assert "renault" not in evolved.entity_counts and 0 not in evolved.word_counts.values()
    assert evolved.size == 1


def test_evolving_leaves_the_index_it_came_from_untouched():
    a = entry(fact_id="a", fr=("patron de Nissan",))
    b = entry(fact_id="b", fr=("patron de Renault",))
    index = Index.build([("a", a)])
    before = (dict(index.question_postings), index.entity_counts.copy(), index.word_counts.copy())
    index.evolve([("a", a)], [("b", b)])
    assert (dict(index.question_postings), index.entity_counts, index.word_counts) == before


# -- on the real knowledge ------------------------------------------------------------------


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge("knowledge")


@pytest.fixture(scope="module")
def entries(kb: KnowledgeBase) -> list[tuple[str, FactEntry]]:
    return [(f.id, analyse_fact(f, kb.lexicon)) for f in kb.facts]


def test_the_real_facts_are_each_posted_under_their_question_tokens(kb, entries):
    index = Index.build(entries)
    assert index.size == len(kb.facts)
    for fact_id, analysed in entries:
        assert analysed.variants, fact_id
        for token in analysed.question_bag:
            assert fact_id in index.question_postings[token]
    assert "leader-uchida" in index.question_postings["ceo"]
    assert "leader-uchida" in index.question_postings["uchida"]


def test_the_real_yes_no_facts_and_mentions(kb, entries):
    by_id = dict(entries)
    assert by_id["secretary-general-appointment"].yes_no
    assert not by_id["leader-uchida"].yes_no
    assert by_id["sales-2018"].mentions == {"toyota", "volkswagen"}


def test_a_reload_that_changes_one_fact_evolves_to_what_a_full_build_gives(kb, entries):
    """What a one-sheet reload does: the changed and removed facts out, the new and changed ones in."""
    index = Index.build(entries)
    lexicon = kb.lexicon
    (changed_id, changed), (gone_id, gone) = entries[0], entries[1]
    old_fact = kb.fact(changed_id)
    assert old_fact is not None
    edited = analyse_fact(replace(old_fact, keywords=(*old_fact.keywords, "Volkswagen")), lexicon)
    added = analyse_fact(replace(old_fact, id="brand-new"), lexicon)
    kept = [(i, e) for i, e in entries if i not in (changed_id, gone_id)]

    evolved = index.evolve([(changed_id, changed), (gone_id, gone)], [(changed_id, edited), ("brand-new", added)])

    assert evolved == Index.build([*kept, (changed_id, edited), ("brand-new", added)])
    assert changed_id in evolved.question_postings["volkswagen"]
    assert all(gone_id not in ids for ids in evolved.question_postings.values())
    assert evolved.size == len(kb.facts)
    assert index == Index.build(entries)  # the index served meanwhile is the same as before


def test_the_loaders_question_keys_give_the_very_analysis(kb, entries):
    """A load hands each question's folded key (`tokenize` joined) to spare tokenising it again: the analysis
    is the same, words in the same order, an accented word the lexicon replaces ("né": born) included."""
    for (_, expected), f in zip(entries, kb.facts, strict=True):
        keys = [" ".join(tokenize(q)) for qs in f.questions.values() for q in qs]
        got = analyse_fact(f, kb.lexicon, keys)
        assert got == expected and [list(v) for v, _ in got.variants] == [list(v) for v, _ in expected.variants]
    born = fact(fr=("Où est né Makoto Uchida ?",), en=("Where was Uchida born?",))
    lexicon = replace(LEXICON, accented=MappingProxyType({"né": "born"}))
    keys = [" ".join(tokenize(q)) for q in ("Où est né Makoto Uchida ?", "Where was Uchida born?")]
    assert analyse_fact(born, lexicon, keys) == analyse_fact(born, lexicon)
    assert analyse_fact(born, lexicon, keys).variants[0][1] == "ou est born makoto uchida"
