"""The lexical signal and the entity, kind, yes/no and time checks, on the real knowledge."""

from __future__ import annotations


def signals(snapshot, question):
    m = snapshot.matcher
    analysis = m.analyse(question)
    weighed = m.lexical.weigh(analysis)
    return analysis, weighed, dict(m.lexical.rank(weighed, 8))


def test_the_fact_whose_words_explain_the_question_ranks_first(snapshot):
    _, _, ranked = signals(snapshot, "qui est le directeur general de nissan")
    assert next(iter(ranked)) == "leader-uchida"


def test_naming_only_what_a_fact_compares_with_is_another_subject(snapshot):
    m = snapshot.matcher
    toyota = m.lexical.mismatch("sales-2018", m.analyse("How many cars did Toyota sell in 2018?"))
    plain = m.lexical.mismatch("sales-2018", m.analyse("How many cars did the alliance sell in 2018?"))
    assert toyota.foreign_entity and toyota.penalty < 1.0
    assert not plain.mentioned_entity and plain.penalty == 1.0


def test_an_entity_no_fact_mentions_is_foreign(snapshot):
    m = snapshot.matcher
    assert m.lexical.mismatch("leader-uchida", m.analyse("Who is the CEO of Ferrari?")).foreign_entity


def test_unknown_words_are_counted(snapshot):
    _, weighed, _ = signals(snapshot, "quel est le prix du zorglub chez nissan")
    assert 0 < weighed.unknown_share < 1


def test_yes_no_and_now_questions_are_told_apart(snapshot):
    lexicon = snapshot.kb.lexicon
    m = snapshot.matcher
    assert lexicon.asks_yes_no(m.words("y aura-t-il un secretaire general ?"))
    assert lexicon.asks_yes_no(m.words("nomination prevue ?"))
    assert not lexicon.asks_yes_no(m.words("Quand le secrétaire général sera-t-il nommé ?"))
    assert not lexicon.asks_yes_no(m.words("secretaire general choisi comment"))
    assert lexicon.asks_now(m.words("L'alliance est toujours numéro un mondial ?"))
    assert not lexicon.asks_now(m.words("L'alliance était numéro un en 2018 ?"))
