"""The Loader's and Matcher's reuse across reloads: only what changed is read again."""

from __future__ import annotations

import numpy as np
import pytest

from engine.answering import Engine, Snapshot
from engine.knowledge.loader import KnowledgeError, Loader
from engine.matching import factvectors


def test_unchanged_reload_reuses_facts_and_index(knowledge_copy):
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    assert second.kb is not first.kb
    assert all(a is b for a, b in zip(first.kb.facts, second.kb.facts, strict=True))
    assert second.kb.lexicon is first.kb.lexicon
    assert Engine(second).ask("qui dirige nissan").fact.id == "leader-uchida"


def test_edited_sheet_is_read_again_and_others_are_reused(knowledge_copy):
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    edited = text.replace("a vendu 10,76 millions de véhicules,", "a vendu 10,76 millions de véhicules (record),", 1)
    assert edited != text
    sheet.write_text(edited, encoding="utf-8")
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    changed = [f.id for f in second.kb.facts if f is not first.kb.fact(f.id)]
    assert changed and all(second.kb.fact(i).file == "facts/sales.yaml" for i in changed)
    assert "(record)" in Engine(second).ask("combien de voitures vendues en 2018").text


@pytest.mark.parametrize("large", [False, True])
def test_a_reload_copies_kept_rows_and_centroids_as_a_fresh_build_computes_them(knowledge_copy, monkeypatch, large):
    if large:  # searched through centroids, rows kept in half precision
        monkeypatch.setattr(factvectors, "EXACT_ROWS", 0)
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    served = [p.positions.tolist() for p in first.matcher.lexical.postings_arrays]
    sheet = knowledge_copy / "facts" / "board.yaml"  # a sheet in the middle: kept facts on both sides
    text = sheet.read_text(encoding="utf-8")
    edited = text.replace("keywords: [cree,", "keywords: [fondation, cree,", 1)
    assert edited != text
    sheet.write_text(edited, encoding="utf-8")
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    changed = {f.file for f in second.kb.facts if f is not first.kb.fact(f.id)}
    assert changed == {"facts/board.yaml"} and second.kb.facts[0] is first.kb.facts[0]
    fresh = Snapshot.load(knowledge_copy)
    assert second.matcher.vectors is not None and fresh.matcher.vectors is not None
    for got, want in zip(second.matcher.vectors, fresh.matcher.vectors, strict=True):
        for name, array in want.arrays().items():
            assert array.dtype == got.arrays()[name].dtype and np.array_equal(got.arrays()[name], array), name
    # The postings' position arrays: moved and changed ones as a fresh build holds them, the served ones untouched.
    for got, want in zip(second.matcher.lexical.postings_arrays, fresh.matcher.lexical.postings_arrays, strict=True):
        assert got == want
    assert [p.positions.tolist() for p in first.matcher.lexical.postings_arrays] == served  # the served untouched


def test_a_reload_past_exact_rows_holds_the_rows_a_fresh_build_holds(knowledge_copy, monkeypatch):
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)  # small: searched whole, rows in single precision
    assert first.matcher.vectors is not None and first.matcher.vectors[0].exact
    monkeypatch.setattr(factvectors, "EXACT_ROWS", 0)  # the edit makes it a large base
    sheet = knowledge_copy / "facts" / "board.yaml"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("keywords: [cree,", "keywords: [fondation, cree,", 1), encoding="utf-8")
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    fresh = Snapshot.load(knowledge_copy)
    assert second.matcher.vectors is not None and fresh.matcher.vectors is not None
    for got, want in zip(second.matcher.vectors, fresh.matcher.vectors, strict=True):
        assert not got.exact
        for name, array in want.arrays().items():
            mine = np.asarray(got.arrays()[name])
            assert mine.dtype == array.dtype and np.array_equal(mine, array), name
    engine, again = Engine(second), Engine(fresh)
    for case in second.kb.eval_questions[:60]:
        assert engine.ask(case.q).text == again.ask(case.q).text, case.q


def test_broken_sheet_after_a_good_load_is_reported_again(knowledge_copy):
    loader = Loader(knowledge_copy)
    Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "ghosn.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("topic: ghosn", "topic: nope", 1), encoding="utf-8")
    for _ in range(2):  # the cached result of the broken sheet still fails the load
        with pytest.raises(KnowledgeError) as info:
            loader.load()
        assert any("unknown topic 'nope'" in str(p) for p in info.value.problems)


def test_changed_source_revalidates_every_quote(knowledge_copy):
    loader = Loader(knowledge_copy)
    loader.load()
    article = knowledge_copy / "sources" / "alliance-2019-12.fr.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("10,76 millions", "dix millions"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        loader.load()
    assert any("quote not found verbatim" in str(p) and "facts/sales.yaml" in str(p) for p in info.value.problems)


def test_removed_sheet_is_forgotten(knowledge_copy):
    loader = Loader(knowledge_copy)
    loader.load()
    (knowledge_copy / "facts" / "ghosn.yaml").unlink()
    eval_file = knowledge_copy / "eval" / "questions.yaml"
    lines = [line for line in eval_file.read_text(encoding="utf-8").splitlines()]
    kept, skip = [], False
    for line in lines:  # drop the evaluation questions that expect a Ghosn fact
        if line.lstrip().startswith("- q:"):
            skip = False
        if "expect: ghosn-" in line:
            skip = True
            while kept and not kept[-1].lstrip().startswith("- q:"):
                kept.pop()
            kept.pop()
            continue
        if not skip:
            kept.append(line)
    eval_file.write_text("\n".join(kept) + "\n", encoding="utf-8")
    kb = loader.load()
    assert not any(f.id.startswith("ghosn-") for f in kb.facts)


def test_the_engine_reloads_from_the_loader_that_built_it(knowledge_copy):
    from engine.cli import build_engine
    from engine.settings import Settings

    engine = build_engine(Settings(knowledge_dir=knowledge_copy))
    serving = engine.snapshot
    candidate = engine.load_next(knowledge_copy)
    assert engine.snapshot is serving  # building a candidate serves nothing new
    assert candidate.matcher is not serving.matcher
    assert all(a is b for a, b in zip(serving.kb.facts, candidate.kb.facts, strict=True))


def test_an_evolved_index_equals_one_built_from_scratch(knowledge_copy):
    """Edit one fact, remove one and add one: the reused index must match a fresh build exactly."""
    from engine.matching.matcher import Matcher

    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    text = text.replace("a vendu 10,76 millions de véhicules,", "a écoulé 10,76 millions de véhicules,", 1)
    text = text.replace("- id: rank-2019", "- id: rank-2019-renamed", 1)
    sheet.write_text(text, encoding="utf-8")
    eval_file = knowledge_copy / "eval" / "questions.yaml"
    eval_file.write_text(
        eval_file.read_text(encoding="utf-8").replace("expect: rank-2019", "expect: none"), encoding="utf-8"
    )
    kb = loader.load()
    assert kb.lexicon is first.kb.lexicon  # so the evolving path is the one taken
    evolved, fresh = Matcher(kb, previous=first.matcher), Matcher(kb)
    assert evolved._index == fresh._index
    assert evolved.lexical.idf == fresh.lexical.idf and evolved._known_words == fresh._known_words
    assert "rank-2019" not in evolved._by_fact and "rank-2019-renamed" in evolved._by_fact
    for case in kb.eval_questions:
        a, b = evolved.rank(evolved.analyse(case.q)), fresh.rank(fresh.analyse(case.q))
        assert [(c.fact.id, c.score) for c in a] == [(c.fact.id, c.score) for c in b], case.q


def test_an_untouched_reload_shares_the_matcher_whole(knowledge_copy):
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    assert second.matcher is not first.matcher
    assert second.matcher.vectors is first.matcher.vectors and second.matcher.lexical is first.matcher.lexical
    assert second.matcher.kb is second.kb


def test_a_reload_of_one_edited_sheet_keeps_the_other_facts_vectors(knowledge_copy):
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("ventes 2018", "ventes en 2018", 1), encoding="utf-8")
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    kept = first.matcher._by_fact["leader-uchida"][2][0].questions
    again = second.matcher._by_fact["leader-uchida"][2][0].questions
    assert np.array_equal(kept, again)
    assert second.kb.fact("sales-2018").questions["fr"][1] == "ventes en 2018"
    reply = Engine(second).ask("ventes en 2018")
    assert reply.answered and reply.fact.id == "sales-2018"


def test_a_new_source_date_reaches_the_matcher_on_reload(knowledge_copy):
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    sources = knowledge_copy / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8").replace('date: "2019-12"', 'date: "2021-12"'), encoding="utf-8"
    )
    second = Snapshot.load(knowledge_copy, loader=loader, previous=first)
    assert first.matcher.latest_year == "2019" and second.matcher.latest_year == "2021"
