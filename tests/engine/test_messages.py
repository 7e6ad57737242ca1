"""The engine's own sentences: one table per reply language, the same keys and placeholders in each."""

from __future__ import annotations

import string

import pytest

from engine.messages import FALLBACK_LANG, MESSAGES, message


def placeholders(sentence: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name}


def test_every_language_has_every_sentence_with_the_same_placeholders():
    french = MESSAGES[FALLBACK_LANG]
    for lang, table in MESSAGES.items():
        assert table.keys() == french.keys(), lang
        for key, sentence in table.items():
            assert sentence.strip(), (lang, key)
            assert placeholders(sentence) == placeholders(french[key]), (lang, key)


def test_the_topics_are_put_into_the_sentences_that_list_them():
    assert message("en", "unknown", topics="Sales, Leaders") == (
        "The article does not cover that question. I can tell you about: Sales, Leaders."
    )
    assert "Sujets : Ventes." in message("fr", "help", topics="Ventes")


def test_a_language_without_a_table_gets_french():
    assert FALLBACK_LANG == "fr"
    assert message("de", "thanks") == message("fr", "thanks") != message("en", "thanks")


def test_a_sentence_missing_its_value_or_unknown_is_an_error_not_a_silent_blank():
    with pytest.raises(KeyError):
        message("fr", "unknown")  # {topics} not given
    with pytest.raises(KeyError):
        message("fr", "no such sentence")
