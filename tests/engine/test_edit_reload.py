"""A moderator's one-fact edit, reloaded incrementally: what it evolves equals what a fresh build computes."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from engine.answering import Engine, Snapshot
from engine.knowledge import shared
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.loader import Loader
from engine.matching import factvectors
from engine.matching.matcher import Matcher
from engine.matching.postings import Postings
from engine.matching.spelling import Speller
from engine.matching.tokenmemo import TokenIds


def _edit_an_answer(root, words: str) -> None:
    """What the bench's edit does: one fact's English answer of one sheet gets new words in front."""
    sheet = root / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    marker = '\n      en: "'
    at = text.find(marker, text.find("\n    answer:")) + len(marker)
    assert at >= len(marker)
    sheet.write_text(text[:at] + words + text[at:], encoding="utf-8")


def _replies(snapshot: Snapshot) -> list[tuple[object, ...]]:
    engine = Engine(snapshot)
    replies = map(engine.ask, [case.q for case in snapshot.kb.eval_questions])
    return [(r.kind, r.text, r.score, r.fact.id if r.fact else None, r.suggestions) for r in replies]


@pytest.mark.parametrize(("large", "mapped"), [(False, False), (True, False), (True, True)])
def test_an_edit_reload_answers_exactly_as_a_fresh_load_of_the_edited_folder(
    knowledge_copy, tmp_path, monkeypatch, large, mapped
):
    if large:  # searched through centroids, kept rows as views of the served ones
        monkeypatch.setattr(factvectors, "EXACT_ROWS", 0)
    cache = KnowledgeCache(tmp_path / "cache")
    loader = Loader(knowledge_copy, cache=cache)
    served = Snapshot.load(knowledge_copy, loader=loader)
    if mapped:  # the snapshot served by a start from the filled cache: its matrices map the entry's files
        shared.forget()  # as a new process: nothing held from the write
        cache = KnowledgeCache(tmp_path / "cache")
        loader = Loader(knowledge_copy, cache=cache)
        served = Snapshot.load(knowledge_copy, loader=loader)
        assert cache.snapshot_stats["hits"] == 1
    assert served.matcher.vectors is not None
    centroids = [np.array(v._centroids) for v in served.matcher.vectors]
    # A word of each run's own: the process's embedder remembers words across tests (their ids are then not
    # looked up again, nor added to another cache folder's file).
    new = "quux" + ("large" if large else "small") + ("mapped" if mapped else "")
    _edit_an_answer(knowledge_copy, f"Edited by zorglubissime {new} moderators: ")
    reloaded = Snapshot.load(knowledge_copy, loader=loader, previous=served)
    cache.wait()
    fresh = Snapshot.load(knowledge_copy)
    assert "zorglubissime" in reloaded.matcher.speller.known
    assert reloaded.matcher.speller._by_length == fresh.matcher.speller._by_length
    assert reloaded.matcher.speller.known == fresh.matcher.speller.known
    got, want = reloaded.matcher.language, fresh.matcher.language
    assert (got._fr, got._en) == (want._fr, want._en) and got._names == want._names
    for got, want in zip(reloaded.matcher.lexical.postings_arrays, fresh.matcher.lexical.postings_arrays, strict=True):
        assert got == want  # the same pairs (a new word is appended to the table, not placed where a build meets it)
    assert reloaded.matcher.vectors is not None and fresh.matcher.vectors is not None
    for got, want in zip(reloaded.matcher.vectors, fresh.matcher.vectors, strict=True):
        for name, array in want.arrays().items():
            assert np.array_equal(np.asarray(got.arrays()[name]), array), name
    assert reloaded.matcher.lexical.idf == fresh.matcher.lexical.idf
    assert reloaded.matcher.years == fresh.matcher.years
    for fact_id, (_, _, texts) in fresh.matcher.facts.items():
        got = reloaded.matcher.facts[fact_id][2]
        assert got is not None and texts is not None
        for mine, want in zip(got, texts, strict=True):  # each fact's rows, a view of the served matrices
            assert np.array_equal(mine.questions, want.questions) and np.array_equal(mine.context, want.context)
    if large:
        kept = next(i for i in served.matcher.order if reloaded.kb.fact(i) is served.kb.fact(i))
        mine, theirs = reloaded.matcher.facts[kept][2], served.matcher.facts[kept][2]
        assert mine is not None and theirs is not None
        for got, was in zip(mine, theirs, strict=True):  # a view of the served rows, not a copy
            assert np.shares_memory(got.questions, was.questions) and np.shares_memory(got.context, was.context)
    # The served centroids are left as they were (the reload's are a copy: of the entry's file, copy-on-write).
    assert all(np.array_equal(v._centroids, c) for v, c in zip(served.matcher.vectors, centroids, strict=True))
    if mapped:
        base = reloaded.matcher.vectors[0]._centroids.base
        assert isinstance(base, np.memmap) and base.mode == "c"
    assert _replies(reloaded) == _replies(fresh)
    # The edit's new words' token ids, written in the background too, are in the file the next start reads.
    embedder = reloaded.matcher.embedder
    assert embedder is not None
    stored = TokenIds(tmp_path / "cache", embedder.identity, len(embedder._table))
    assert stored.known([new]) == {new: embedder.tokenizer().encode(new, add_special_tokens=False).ids}
    # The entry the edit wrote in the background is the one a cold start of the edited folder reads.
    cold = Snapshot.load(knowledge_copy, loader=Loader(knowledge_copy, cache=KnowledgeCache(tmp_path / "cache")))
    assert _replies(cold) == _replies(fresh)


def test_an_evolved_speller_has_the_tables_and_corrections_of_a_new_one(snapshot):
    lexicon = snapshot.kb.lexicon
    before = {"mitsubishi", "secretaire", "where", "when", "ab", "2018", "quintuple"}
    after = (before - {"when", "quintuple"}) | {"whence", "zorglub", "2019", "xy"}  # a length emptied, one new
    evolved = Speller(before, lexicon).evolved(after)
    new = Speller(after, lexicon)
    assert evolved.known == new.known and evolved._by_length == new._by_length
    for word in ("mitsubichi", "whense", "zorglu", "quintupel", "secretiare"):
        assert evolved.correct(word) == new.correct(word)


def _random_postings(seed: int) -> tuple[random.Random, list[str], list[list[str]], Postings]:
    """30 facts' bags of up to 6 of 40 words, drawn from `seed`, and their postings (and the generator, to go on)."""
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(40)]
    bags = [rng.sample(vocabulary, rng.randint(0, 6)) for _ in range(30)]
    return rng, vocabulary, bags, Postings.build(bags)


@pytest.mark.parametrize("seed", range(5))
def test_postings_evolved_in_the_same_order_equal_postings_built_anew(seed):
    rng, vocabulary, bags, served = _random_postings(seed)
    # Some facts taken out, some changed in place, some added at the end, the others kept in their order.
    now = [bag for n, bag in enumerate(bags) if n % 7 != 3]
    changed = {n: rng.sample(vocabulary, rng.randint(0, 6)) for n in rng.sample(range(len(now)), 4)}
    now = [changed.get(n, bag) for n, bag in enumerate(now)] + [["w99", "w0"], []]
    moved, at = np.full(len(bags), -1, dtype=np.int64), 0
    for n in range(len(bags)):
        if n % 7 != 3:
            moved[n] = -1 if at in changed else at
            at += 1
    added = [(n, now[n]) for n in sorted({*changed, len(now) - 2, len(now) - 1})]
    evolved = served.evolve(moved, added)
    built = Postings.build(now)
    assert evolved == built and {w: evolved[w].tolist() for w in evolved} == {w: built[w].tolist() for w in built}


def _same_postings(got: Postings, want: Postings) -> bool:
    """The very words in the very order, offsets and positions (not only the same pairs)."""
    return (
        got.words == want.words
        and np.array_equal(got.offsets, want.offsets)
        and np.array_equal(got.positions, want.positions)
        and got.positions.dtype == want.positions.dtype
        and got._rows == want._rows
    )


@pytest.mark.parametrize("seed", range(8))
def test_an_edit_spliced_into_the_postings_gives_what_sorting_them_again_gives(seed):
    rng, vocabulary, bags, served = _random_postings(seed)
    # Facts edited in place (a word left, one new, a word's last fact gone), one taken out, two added at the end.
    edited = {n: rng.sample([*vocabulary, "new1", "new2"], rng.randint(0, 6)) for n in rng.sample(range(30), 3)}
    gone = rng.choice([n for n in range(29) if n not in edited])
    moved = np.array([-1 if n in edited or n == gone else n for n in range(30)], dtype=np.int64)
    added = [*sorted(edited.items()), (30, ["new3", "w1"]), (31, [])]
    removed = [(n, bags[n]) for n in sorted([*edited, gone])]
    spliced = served.evolve(moved, added, removed)
    assert _same_postings(spliced, served.evolve(moved, added))
    now = [edited.get(n, bag) for n, bag in enumerate(bags)] + [["new3", "w1"], []]
    now[gone] = []
    assert spliced == Postings.build(now)
    # What the splice cannot do, it leaves to the sort: kept facts moved, or words the postings do not hold.
    shifted = np.array([n - 1 if n else -1 for n in range(30)], dtype=np.int64)
    assert _same_postings(served.evolve(shifted, [], [(0, bags[0])]), served.evolve(shifted, []))
    wrong = [(gone, ["w0", "not-a-word"])]
    lone = np.array([-1 if n == gone else n for n in range(30)], dtype=np.int64)
    assert _same_postings(served.evolve(lone, [], wrong), served.evolve(lone, []))


def test_an_edit_that_takes_a_word_out_again_weighs_and_spells_as_a_fresh_load(knowledge_copy):
    loader = Loader(knowledge_copy)
    served = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    _edit_an_answer(knowledge_copy, "Zorglubissime: ")
    grown = Snapshot.load(knowledge_copy, loader=loader, previous=served)
    assert "zorglubissime" in grown.matcher.lexical.idf
    sheet.write_text(text, encoding="utf-8")
    back = Snapshot.load(knowledge_copy, loader=loader, previous=grown)
    fresh = Snapshot.load(knowledge_copy)
    assert "zorglubissime" not in back.matcher.lexical.idf and "zorglubissime" not in back.matcher.speller.known
    assert back.matcher.speller.known == fresh.matcher.speller.known
    assert (back.matcher.language._fr, back.matcher.language._en) == (
        fresh.matcher.language._fr,
        fresh.matcher.language._en,
    )
    assert back.matcher.lexical.idf == fresh.matcher.lexical.idf == served.matcher.lexical.idf
    assert back.matcher.speller._by_length == fresh.matcher.speller._by_length
    assert _replies(back) == _replies(fresh)


def test_a_reload_onto_a_base_that_had_no_fact_indexes_every_fact(snapshot):
    kb = snapshot.kb
    grown = Matcher(kb, Matcher(dataclasses.replace(kb, facts=())))
    fresh = Matcher(kb)
    assert grown.lexical.postings_arrays == fresh.lexical.postings_arrays
    assert grown.speller.known == fresh.speller.known and grown.years == fresh.years
    for question in ("qui dirige nissan", "who chairs renault", "ventes 2019"):
        assert [(c.fact.id, c.score) for c in grown.rank(grown.analyse(question))] == [
            (c.fact.id, c.score) for c in fresh.rank(fresh.analyse(question))
        ]
