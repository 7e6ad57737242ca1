"""The letters' bound on the edit distance (engine/matching/letterbags.py): it never rules out a word within it."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest
from rapidfuzz.distance import OSA

from engine.answering import Snapshot
from engine.matching.letterbags import FILTER_FROM, Letters
from engine.matching.spelling import Speller


def typos(rng: random.Random, word: str, edits: int) -> str:
    """`word` with `edits` random insertions, deletions, substitutions or swaps."""
    for _ in range(edits):
        at = rng.randrange(len(word))
        kind = rng.randrange(4)
        letter = rng.choice(string.ascii_lowercase + "é")
        if kind == 0:
            word = word[:at] + letter + word[at:]
        elif kind == 1 and len(word) > 1:
            word = word[:at] + word[at + 1 :]
        elif kind == 2:
            word = word[:at] + letter + word[at + 1 :]
        elif at + 1 < len(word):
            word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word


def test_no_word_within_the_distance_is_ruled_out():
    rng = random.Random(7)
    words = sorted({"".join(rng.choices("abcdefghijklmnopqrstuvwxyzé1", k=8)) for _ in range(3000)})
    letters = Letters.of(words, 8)
    for _ in range(300):
        word = typos(rng, rng.choice(words), rng.randint(0, 3))
        for distance in (1, 2):
            kept = set(letters.possible(word, distance).tolist())
            within = {n for n, known in enumerate(words) if OSA.distance(word, known) <= distance}
            assert within <= kept, (word, distance)
    # And it does rule words out: that is its use.
    assert len(letters.possible("abcdefgh", 2)) < len(words) / 10


def test_a_large_vocabulary_is_corrected_as_by_comparing_every_word(snapshot: Snapshot):
    rng = random.Random(3)
    vocabulary = {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10))) for _ in range(40_000)}
    filtered = Speller(vocabulary, snapshot.kb.lexicon)
    assert filtered._letters and all(len(filtered._by_length[n]) >= FILTER_FROM for n in filtered._letters)
    whole = Speller(vocabulary, snapshot.kb.lexicon)
    whole._letters = {}  # every list compared whole, as before the bound
    words = sorted(vocabulary)
    for _ in range(400):
        word = typos(rng, rng.choice(words), rng.randint(1, 2))
        assert filtered.correct(word) == whole.correct(word), word


def test_an_evolved_speller_keeps_the_letters_of_its_lists(snapshot: Snapshot):
    rng = random.Random(5)
    vocabulary = {"".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(5_000)}
    speller = Speller(vocabulary, snapshot.kb.lexicon)
    evolved = speller.evolved((vocabulary - {min(vocabulary)}) | {"zzzzzzz"})
    fresh = Speller((vocabulary - {min(vocabulary)}) | {"zzzzzzz"}, snapshot.kb.lexicon)
    for n, letters in fresh._letters.items():
        assert np.array_equal(evolved._letters[n].masks, letters.masks)
        assert np.array_equal(evolved._letters[n].counts, letters.counts)


def test_a_word_longer_than_the_counts_hold_is_still_bounded_right():
    words = ["a" * 126 + "b", "b" * 127, *("".join(random.Random(n).choices("ab", k=127)) for n in range(10))]
    letters = Letters.of(words, 127)
    assert not letters.counts.flags.writeable and not letters.masks.flags.writeable
    assert 0 in letters.possible("a" * 128, 2).tolist()  # one substitution and one insertion away
    assert 1 not in letters.possible("a" * 128, 2).tolist()
    with pytest.raises(ValueError, match="at most"):
        Letters.of(["a" * 128], 128)
