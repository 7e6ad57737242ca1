"""The lexicon: how words become the canonical tokens, kinds and entities the matcher compares.

A small lexicon written for each case shows one rule at a time; the real one (knowledge/lexicon.yaml)
shows the rules hold on the data the bot serves.
"""

from __future__ import annotations

from typing import Any

import pytest

import engine.lexicon
from engine.knowledge.model import KnowledgeBase
from engine.lexicon import ASKS_NOTHING, Lexicon
from engine.textnorm import MAX_CHARS


def small(**overrides: Any) -> Lexicon:
    """A lexicon of a few words in each list; `overrides` replace one list."""
    lists: dict[str, Any] = {
        "stopwords": ["le", "la", "de", "est", "the", "is", "of", "a", "ne"],
        "synonyms": {"ceo": ["pdg", "patron", "directeur general", "chief executive"], "sell": ["vend", "sold"]},
        "question_words": {"who": ["qui", "who"], "when": ["quand", "en quelle annee"], "how_many": ["combien"]},
        "entities": ["Nissan", "Renault", "De Meo", "Mercedes"],
        "smalltalk": {"greeting": ["salut", "good morning"], "thanks": ["merci"], "help": ["aide"]},
        "markers": {"fr": ["le", "qui"], "en": ["the", "who"]},
        "accented": {"Né": "born"},
        "open_words": ["quoi", "what"],
        "now": ["toujours", "cette annee", "a ce jour"],
        "people": ["De Meo"],
        "follow_up_starts": ["et", "what about"],
        "pronouns": ["il", "ce dernier"],
        "frequencies": {"fr": {"voiture": 5.0, "car": 2.0}, "en": {"car": 5.5}},
    }
    lists.update(overrides)
    return Lexicon.build(**lists)


@pytest.fixture(scope="module")
def real(kb: KnowledgeBase) -> Lexicon:
    return kb.lexicon


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    from engine.knowledge.loader import load_knowledge

    return load_knowledge("knowledge")


# -- building -----------------------------------------------------------------------------


def test_synonyms_map_single_words_and_phrases_to_their_canonical_form():
    lexicon = small()
    assert lexicon.words["pdg"] == lexicon.words["patron"] == lexicon.words["ceo"] == "ceo"
    assert lexicon.phrases[("directeur", "general")] == lexicon.phrases[("chief", "executive")] == "ceo"
    assert ("directeur", "general") not in lexicon.words
    # A phrase is only looked for from its first word, as far as its longest phrase goes.
    assert lexicon.phrase_starts["directeur"] == 2 and "pdg" not in lexicon.phrase_starts


def test_entities_are_stemmed_like_words_and_names_of_two_words_joined():
    lexicon = small()
    assert {"nissan", "renault", "de_meo", "mercede"} == lexicon.entities  # "Mercedes" stems as any plural
    assert lexicon.phrases[("de", "meo")] == "de_meo"
    assert lexicon.people == frozenset({"de_meo"})


def test_the_lists_are_read_only_after_building():
    lexicon = small()
    with pytest.raises(TypeError):
        lexicon.words["pdg"] = "other"
    with pytest.raises(AttributeError):
        lexicon.entities.add("toyota")


def test_greetings_are_stop_words_inside_a_question_unless_a_synonym_claims_them():
    lexicon = small(synonyms={"salut": ["hello"]}, smalltalk={"greeting": ["salut", "coucou"], "thanks": ["merci"]})
    assert "coucou" in lexicon.stopwords and "merci" in lexicon.stopwords
    assert "salut" not in lexicon.stopwords


# -- words ----------------------------------------------------------------------------------


def test_canonical_maps_synonyms_stems_the_rest_and_drops_stop_words():
    lexicon = small()
    assert lexicon.canonical("patron") == "ceo"
    assert lexicon.canonical("ventes") == "vente"  # an unknown word, stemmed
    assert lexicon.canonical("le") is None
    assert lexicon.canonical("voitures") == "voiture"


def test_canonical_drops_a_word_whose_stem_is_a_stop_word():
    assert small(stopwords=["vente"]).canonical("ventes") is None


def test_the_canonical_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(engine.lexicon, "CANONICAL_MEMO", 3)
    lexicon = small()
    for n in range(10):
        assert lexicon.canonical(f"mot{n}") == f"mot{n}"
    assert len(lexicon._canonical) == 3
    assert lexicon.canonical("mot9") == "mot9"  # past the bound it is still right, only not remembered


def test_split_keeps_apart_the_accented_words_folding_would_merge():
    lexicon = small()
    assert lexicon.split("Où est NÉ De Meo ?") == ["ou", "est", "born", "de", "meo"]
    assert lexicon.split("il ne sait pas") == ["il", "ne", "sait", "pas"]
    assert lexicon.canonical("born") == "born" and lexicon.canonical("ne") is None


def test_split_reads_at_most_max_chars():
    assert len(small().split("nissan " * MAX_CHARS)) == MAX_CHARS // len("nissan ") + 1


def test_zipf_is_the_higher_of_the_two_languages_and_zero_when_unknown():
    lexicon = small()
    assert lexicon.zipf("car") == 5.5
    assert lexicon.zipf("voiture") == 5.0
    assert lexicon.zipf("xqzw") == 0.0
    assert small(frequencies=None).zipf("car") == 0.0


# -- spans and analysis ---------------------------------------------------------------------


def test_spans_take_the_longest_phrase_and_cover_every_word_once():
    lexicon = small(synonyms={"ceo": ["directeur", "directeur general"]})
    words = lexicon.split("le directeur general de Nissan")
    spans = lexicon.spans(words)
    assert spans == [(0, 1, None), (1, 3, "ceo"), (3, 4, None), (4, 5, "nissan")]
    assert [i for start, end, _ in spans for i in range(start, end)] == list(range(len(words)))


def test_a_phrase_of_filler_counts_for_nothing():
    lexicon = small(synonyms={"everyone": ["tout le monde"]}, stopwords=["everyone"])
    assert lexicon.spans(lexicon.split("tout le monde")) == [(0, 3, None)]


def test_question_kinds_find_phrases_of_question_words():
    lexicon = small()
    assert lexicon.question_kinds(lexicon.split("En quelle année ?")) == {"when"}
    assert lexicon.question_kinds(lexicon.split("qui et combien")) == {"who", "how_many"}
    assert lexicon.question_kinds(lexicon.split("le patron de Nissan")) == frozenset()


def test_the_longest_question_phrase_holds_its_words():
    """ "selon qui" asks for a source, not for a person: its "qui" is not a second, "who", kind."""
    lexicon = small(question_words={"who": ["qui", "who"], "source": ["selon qui", "who says"]})
    assert lexicon.question_kinds(lexicon.split("Selon qui l'ambiance est meilleure ?")) == {"source"}
    assert lexicon.question_kinds(lexicon.split("who says so, and who is he")) == {"source", "who"}
    assert lexicon.question_kinds(lexicon.split("qui selon")) == {"who"}


def test_a_phrase_that_asks_nothing_holds_its_question_word():
    """ "ou pas ?" is "or not": its "ou" (folded "où") is no "where", and the question stays a yes/no one."""
    lexicon = small(question_words={"where": ["ou", "where"], ASKS_NOTHING: ["ou pas", "ou quoi"]})
    assert lexicon.question_kinds(lexicon.split("Bolloré est parti ou pas ?")) == frozenset()
    assert lexicon.asks_yes_no(lexicon.split("Bolloré est parti ou pas ?"))
    assert lexicon.question_kinds(lexicon.split("ou est la reunion, ou quoi")) == {"where"}
    assert lexicon.question_kinds(lexicon.split("c'était ou ?")) == {"where"}


def test_the_shipped_phrases_that_ask_nothing_leave_where_questions_alone(real: Lexicon):
    """ "où plus précisément ?" asks where: only phrases that end a question ("ou pas") ask nothing."""
    lexicon = real
    for question in ("la réunion c'était où plus précisément ?", "où même ?", "ou alors à Paris ?"):
        assert "where" in lexicon.question_kinds(lexicon.split(question)), question
    for question in ("Bolloré est parti ou pas ?", "c'est vrai ou non ?", "il a été viré ou quoi"):
        assert "where" not in lexicon.question_kinds(lexicon.split(question)), question


def test_analyse_gives_each_token_once_in_order_with_kinds_entities_and_years():
    lexicon = small()
    analysis = lexicon.analyse("Qui est le PDG de Nissan, le patron de Nissan en 2019 ?")
    assert analysis.tokens == ("qui", "ceo", "nissan", "en", "2019")
    assert analysis.kinds == {"who"}
    assert analysis.entities == {"nissan", "2019"}
    assert analysis.words[:4] == ("qui", "est", "le", "pdg")


def test_analyse_uses_the_words_given_instead_of_splitting_again():
    lexicon = small()
    assert lexicon.analyse("ignored", ["renault", "vend"]).tokens == ("renault", "sell")


def test_a_year_outside_1900_2099_is_not_an_entity():
    assert small().analyse("en 1850 et 2150").entities == frozenset()


# -- what the question asks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("salut", "greeting"),
        ("Good morning!", "greeting"),
        ("merci le bot", "thanks"),  # stop words and "bot" around smalltalk are still smalltalk
        ("salut, merci", "thanks"),
        ("merci, aide", "help"),  # help first, then thanks, then greeting
        ("salut, qui dirige Nissan ?", None),  # a real question is not smalltalk
        ("", None),
        ("le la de", None),  # stop words alone are no smalltalk
    ],
)
def test_smalltalk_kind_is_the_whole_message_only(text, kind):
    lexicon = small()
    assert lexicon.smalltalk_kind(lexicon.split(text)) == kind


def test_asks_now_finds_single_words_and_phrases():
    lexicon = small()
    assert lexicon.asks_now(lexicon.split("De Meo est toujours patron ?"))
    assert lexicon.asks_now(lexicon.split("les ventes de cette année"))
    assert lexicon.asks_now(lexicon.split("les ventes à ce jour"))
    assert not lexicon.asks_now(lexicon.split("les ventes de 2018"))
    assert not small(now=[]).asks_now(["toujours"])


def test_asks_yes_no_only_without_a_question_word_or_an_open_one():
    lexicon = small()
    assert lexicon.asks_yes_no(lexicon.split("nomination prévue ?"))
    assert not lexicon.asks_yes_no(lexicon.split("quand la nomination ?"))
    assert not lexicon.asks_yes_no(lexicon.split("the nomination, what?"))


# -- the real lexicon -----------------------------------------------------------------------


def test_the_real_lexicon_reads_french_and_english_as_one_question(real):
    french = real.analyse("Qui est le PDG de Nissan ?")
    english = real.analyse("Who is the CEO of Nissan?")
    assert set(french.tokens) == set(english.tokens) == {"ceo", "nissan"}
    assert french.kinds == english.kinds == {"who"}
    assert french.entities == english.entities == {"nissan"}


def test_the_real_lexicon_drops_courtesy_and_filler_from_a_question(real):
    assert real.analyse("salut, qui dirige Nissan ?").tokens == real.analyse("qui dirige Nissan ?").tokens
    assert real.analyse("tout le monde, qui dirige Nissan ?").tokens == ("ceo", "nissan")


def test_the_real_lexicon_joins_a_two_word_name_and_knows_its_people(real):
    assert real.analyse("Carlos Ghosn est-il né au Brésil ?").entities == {"ghosn"}
    assert "de_meo" in real.entities and "de_meo" in real.people
    assert "nissan" in real.entities and "nissan" not in real.people


def test_the_real_lexicon_tells_born_from_not(real):
    assert "born" in real.analyse("Où est né Ghosn ?").tokens
    assert "born" not in real.analyse("Ghosn ne parle pas").tokens


def test_the_real_lexicon_knows_smalltalk_and_time_words(real):
    assert real.smalltalk_kind(real.split("Bonjour !")) == "greeting"
    assert real.smalltalk_kind(real.split("merci beaucoup")) == "thanks"
    assert real.smalltalk_kind(real.split("salut qui dirige nissan")) is None
    assert real.asks_now(real.split("L'alliance est toujours numéro un mondial ?"))
    assert real.question_kinds(real.split("Combien de véhicules l'Alliance a-t-elle vendus ?")) == {"how_many"}


def test_tokens_are_the_spans_tokens_on_every_text_of_the_knowledge(real, kb):
    """`tokens` (the load's fast path: phrases looked for only where two words start one) gives
    exactly the tokens of `spans`, on every question, answer and quote the bot serves."""
    texts = [q for f in kb.facts for qs in f.questions.values() for q in qs]
    texts += [t for f in kb.facts for t in (*f.answer.values(), f.quote)]
    checked = 0
    for text in texts:
        words = real.split(text)
        assert real.tokens(words) == [t for _, _, t in real.spans(words) if t], text
        checked += 1
    assert checked > 1000


def test_tokens_take_the_longest_phrase_and_skip_words_inside_it():
    lexicon = small(synonyms={"ceo": ["directeur", "directeur general", "directeur general adjoint"]})
    for text in ("le directeur general de Nissan", "directeur general adjoint", "directeur directeur general", ""):
        words = lexicon.split(text)
        assert lexicon.tokens(words) == [t for _, _, t in lexicon.spans(words) if t], text
    assert lexicon.tokens(lexicon.split("le directeur general adjoint de Nissan")) == ["ceo", "nissan"]
