"""The matcher end to end: candidates from both signals, each weighed by the decision."""

from __future__ import annotations

from engine.answering import Engine, Snapshot
from engine.matching.decision import FEATURES


def top(snapshot, question):
    m = snapshot.matcher
    ranked = m.rank(m.analyse(question), 3)
    return ranked[0] if ranked else None


def test_every_candidate_has_a_full_feature_vector(snapshot):
    m = snapshot.matcher
    candidates = m.candidates(m.analyse("who is the boss at nissan"))
    assert candidates and all(len(f) == len(FEATURES) for _, f in candidates)
    assert len({fact.id for fact, _ in candidates}) == len(candidates)


def test_meaning_finds_a_fact_its_words_do_not(snapshot):
    """No fact holds the word "fraudster": the lexical signal has nothing, the semantic one finds the charges."""
    m = snapshot.matcher
    analysis = m.analyse("fraudster")
    assert m.lexical.rank(m.lexical.weigh(analysis), 8) == []
    ranked = m.rank(analysis, 2)
    assert ranked and ranked[0].fact.id == "ghosn-charges" and ranked[0].score > ranked[1].score


def test_a_stale_fact_loses_to_the_latest_one_for_now_questions(snapshot):
    best = top(snapshot, "L'alliance est toujours numéro un mondial ?")
    assert best is not None and best.fact.id != "rank-2018"
    features = dict(zip(FEATURES, best.features, strict=True))
    assert features["stale"] == 0.0


def test_a_when_question_never_gets_a_yes(engine):
    reply = engine.ask("Quand le secrétaire général sera-t-il nommé ?")
    assert not (reply.answered and reply.text.startswith("Oui"))


def test_another_companys_figures_are_not_answered_with_the_alliances(engine):
    for question in ("How many cars did Toyota sell in 2018?", "Who is the CEO of Volkswagen?"):
        reply = engine.ask(question)
        assert not reply.answered, question


def test_addressing_the_bot_costs_nothing(engine):
    plain, addressed = engine.ask("who runs nissan?"), engine.ask("hey bot, who runs nissan?")
    assert plain.answered and addressed.answered and addressed.fact.id == plain.fact.id == "leader-uchida"


def test_the_lexical_baseline_is_the_engine_without_a_model(snapshot):
    lexical = Snapshot.build(snapshot.kb, embedder=None)
    assert not lexical.matcher.learned and lexical.thresholds == (50, 30)
    reply = Engine(lexical).ask("qui dirige nissan")
    assert reply.answered and reply.fact.id == "leader-uchida"


def test_one_word_greetings_are_answered_in_their_language(engine):
    assert engine.ask("hello").lang == "en"
    assert engine.ask("salut").lang == "fr"


def features_of(snapshot, question, fact_id):
    m = snapshot.matcher
    rows = {fact.id: dict(zip(FEATURES, f, strict=True)) for fact, f in m.candidates(m.analyse(question))}
    return rows[fact_id]


def test_a_wrong_company_in_a_yes_no_question_is_a_belief_to_correct(snapshot):
    """ "Uchida works for Renault?" names Renault where Nissan's CEO fact names Nissan: a contrast, not a miss."""
    wrong = features_of(snapshot, "Uchida works for Renault right?", "leader-uchida")
    assert wrong["contrast"] == wrong["yes_no_contrast"] == 1.0
    asked = features_of(snapshot, "Who is Makoto Uchida?", "leader-uchida")
    assert asked["contrast"] == asked["yes_no_contrast"] == 0.0
    open_question = features_of(snapshot, "Which company does Uchida work for, Renault?", "leader-uchida")
    assert open_question["contrast"] == 1.0 and open_question["yes_no_contrast"] == 0.0


def test_naming_the_alliance_beside_a_rival_keeps_the_question_about_the_alliance(snapshot):
    """ "Did the Alliance outsell Toyota?" is about the Alliance; "Toyota's sales" are not."""
    beside = features_of(snapshot, "Did the Alliance outsell Toyota in 2018?", "sales-2018")
    assert beside["foreign_entity"] == 0.0
    alone = features_of(snapshot, "How many cars did Toyota sell in 2018?", "sales-2018")
    assert alone["foreign_entity"] == 1.0
    # Mitsubishi is only named in passing (in "the Renault-Nissan-Mitsubishi Alliance"): its sales are not these.
    member = features_of(snapshot, "did mitsubishi sell more than toyota", "sales-2018")
    assert member["foreign_entity"] == 1.0
    # The three together are the Alliance.
    for question in (
        "Renault, Nissan et Mitsubishi ont vendu plus que Toyota en 2018 ?",
        "Did Renault-Nissan-Mitsubishi outsell Toyota?",
    ):
        assert features_of(snapshot, question, "sales-2018")["foreign_entity"] == 0.0, question
