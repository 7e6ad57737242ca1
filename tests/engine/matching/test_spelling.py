"""Spelling: typos meet the knowledge base's words; real words are never 'corrected'."""

from __future__ import annotations

import random

from engine.matching.matcher import MAX_NAMES
from engine.matching.spelling import MAX_CORRECTIONS, Speller
from engine.textnorm import MAX_CHARS, MAX_WORDS


def speller(snapshot, words):
    return Speller(words, snapshot.kb.lexicon)


def test_a_typo_is_corrected_to_the_closest_known_word(snapshot):
    s = speller(snapshot, ["mitsubishi", "secretaire", "where", "when"])
    assert s.correct("mitsubichi") == "mitsubishi"
    assert s.correct("secretiare") == "secretaire"
    assert s.correct("wher") == "where"  # a left-out letter, and the word that starts alike


def test_real_words_short_words_and_numbers_stay(snapshot):
    s = speller(snapshot, ["prise", "2018"])
    assert s.correct("price") == "price"
    assert s.correct("pri") == "pri"
    assert s.correct("2019") == "2019"


def test_the_memo_is_bounded(snapshot):
    s = speller(snapshot, ["nissan"])
    for n in range(5000):
        s.correct(f"zzq{n}")
    assert s.correct.cache_info().currsize <= 4096


# -- bounded work for long questions ----------------------------------------------------------


def junk_words(count: int, seed: int) -> list[str]:
    """Distinct made-up words of 5-9 letters, none a real or known word: each one would need a search."""
    rng = random.Random(seed)
    words = dict.fromkeys(
        "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(5, 9))) for _ in range(count)
    )
    return list(words)


def test_one_question_searches_at_most_its_budget_of_words(snapshot):
    s = speller(snapshot, ["mitsubishi", "nissan"])
    words = ["mitsubichi", *junk_words(50, seed=1), "nisan"]
    corrected = s.correct_words(words, budget=MAX_CORRECTIONS)
    assert s.searches == MAX_CORRECTIONS
    assert corrected[0] == "mitsubishi"  # the first words met are corrected
    assert corrected[-1] == "nisan"  # past the budget, a word stays as written
    assert corrected[1:-1] == words[1:-1]


def test_the_budget_counts_distinct_words_and_ignores_what_needs_no_search(snapshot):
    s = speller(snapshot, ["mitsubishi", "nissan"])
    words = ["mitsubichi"] * 30 + ["price", "the", "2019", "nissan"] * 10 + ["nisan"]
    assert s.correct_words(words, budget=2)[-1] == "nissan"
    assert s.searches == 2


def test_the_budget_does_not_depend_on_the_memo(snapshot):
    """Words corrected earlier (memoised) still count: a question's answer never depends on the questions before."""
    fresh, warm = speller(snapshot, ["nissan"]), speller(snapshot, ["nissan"])
    words = [*junk_words(5, seed=2), "nisan"]
    warm.correct_words(words[:5], budget=5)
    assert fresh.correct_words(words, budget=5) == warm.correct_words(words, budget=5) == words


def test_a_4000_character_question_of_junk_costs_a_bounded_number_of_searches(engine):
    """Discord's longest DM, made of distinct misspelt-looking words (lower case, then capitalised like names)."""
    speller_ = engine.snapshot.matcher.speller
    for seed, shape in ((3, str.lower), (4, str.capitalize)):
        question = " ".join(shape(w) for w in junk_words(900, seed=seed))[:MAX_CHARS]
        assert len(question.split()) > 500
        before = speller_.searches
        engine.ask(question)
        assert speller_.searches - before <= MAX_CORRECTIONS + MAX_NAMES
        assert len(engine.snapshot.matcher.words(question)) == MAX_WORDS
