"""Spelling: typos meet the knowledge base's words; real words are never 'corrected'."""

from __future__ import annotations

from engine.matching.spelling import Speller


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
