"""Known out-of-scope questions: loaded from knowledge/, and a sign for the decision."""

from __future__ import annotations

import pytest

from engine.answering import Engine, Snapshot
from engine.knowledge.loader import KnowledgeError, Loader
from engine.matching.decision import FEATURES
from engine.matching.negatives import Negatives


def negative_of(snapshot, question, *, fitting=False):
    m = snapshot.matcher
    analysis = m.analyse(question)
    vectors = m.embedder.encode_bags((analysis.words, analysis.tokens), m.bag_weight)
    return m.nearest_negative(vectors, analysis, fitting=fitting)


def test_the_shipped_list_is_loaded(snapshot):
    assert len(snapshot.kb.out_of_scope) > 100
    assert "Who is the CEO of Volkswagen?" in snapshot.kb.out_of_scope


def test_a_known_question_is_its_own_neighbour_in_service_but_not_while_fitting(snapshot, engine):
    known = "Who is the CEO of Volkswagen?"
    served, _ = negative_of(snapshot, known)
    near, _ = negative_of(snapshot, "who is the ceo of volkswagen group")
    far, _ = negative_of(snapshot, "qui dirige nissan")
    assert served > 0.999 and near > far
    fitting, _ = negative_of(snapshot, known, fitting=True)
    assert fitting < 0.999
    assert not engine.ask(known).answered


def test_while_fitting_the_unseen_listed_questions_are_no_neighbours(snapshot):
    m = snapshot.matcher
    question = m.analyse("who is the ceo of volkswagen group")
    vectors = m.embedder.encode_bags((question.words, question.tokens), m.bag_weight)
    text, kinds = " ".join(question.words), question.kinds
    near = m.negatives.nearest(vectors, text, kinds, fitting=True)
    # Every listed question about Volkswagen's head left unseen: the nearest one is further away.
    unseen = frozenset(t for t in m.negatives.texts if "volkswagen" in t)
    assert len(unseen) >= 2
    farther = m.negatives.nearest(vectors, text, kinds, fitting=True, unseen=unseen)
    assert farther[0] < near[0] and farther[1] < near[1]
    # In service nothing is unseen: the argument only counts while fitting.
    assert m.negatives.nearest(vectors, text, kinds, unseen=unseen) == m.negatives.nearest(vectors, text, kinds)


def test_a_listed_question_asking_what_the_question_does_not_is_no_neighbour(snapshot):
    """Question words are stop words: "why did sales fall" and "did sales fall" share every other word,
    yet the article says sales fell and not why. Only the listed questions asking nothing more count."""
    m = snapshot.matcher
    listed = next(t for t in m.negatives.texts if m.lexicon.question_kinds(t.split()) == {"why"})
    why = m.analyse(listed)
    vectors = m.embedder.encode_bags((why.words, why.tokens), m.bag_weight)
    assert m.negatives.nearest(vectors, listed, why.kinds)[0] > 0.999  # a "why" question meets it
    # The same vectors asking nothing (a yes/no question), or asking something else: it is not counted.
    assert m.negatives.nearest(vectors, listed, frozenset())[0] < 0.999
    assert m.negatives.nearest(vectors, listed, frozenset({"when"}))[0] < 0.999
    assert m.negatives.nearest(vectors, listed, frozenset({"why", "when"}))[0] > 0.999
    # A listed question that asks nothing is a neighbour of every question, whatever it asks.
    plain = next(t for t in m.negatives.texts if not m.lexicon.question_kinds(t.split()))
    asked = m.analyse(plain)
    bare = m.embedder.encode_bags((asked.words, asked.tokens), m.bag_weight)
    assert m.negatives.nearest(bare, plain, frozenset({"who"}))[0] > 0.999


def test_the_feature_is_the_nearest_negative(snapshot):
    m = snapshot.matcher
    candidates = m.candidates(m.analyse("who is the ceo of volkswagen group"))
    index = FEATURES.index("negative")
    assert candidates and all(f[index] > 0.5 for _, f in candidates)


def test_a_decision_fitted_with_the_list_refuses_to_load_without_it(knowledge_copy):
    """Without its nearest-negative signal the fitted model would answer nearly everything."""
    (knowledge_copy / "out_of_scope.yaml").unlink()
    with pytest.raises(KnowledgeError) as caught:
        Loader(knowledge_copy).load()
    (problem,) = caught.value.problems
    assert problem.file == "decision.yaml" and "out_of_scope.yaml" in problem.message and "calibrate" in problem.message


def test_a_listed_question_that_a_fact_answers_is_reported(knowledge_copy):
    path = knowledge_copy / "out_of_scope.yaml"
    path.write_text(path.read_text(encoding="utf-8") + '  - q: "Qui dirige Nissan ?"\n    lang: fr\n', encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        Loader(knowledge_copy).load()
    (problem,) = caught.value.problems
    assert problem.file == "out_of_scope.yaml" and problem.line and "leader-uchida" in problem.message


def test_without_the_file_the_signal_is_silent(knowledge_copy):
    (knowledge_copy / "out_of_scope.yaml").unlink()
    (knowledge_copy / "decision.yaml").unlink()  # a decision fitted without the list
    snapshot = Snapshot.load(knowledge_copy)
    assert snapshot.kb.out_of_scope == ()
    m = snapshot.matcher
    (_, features), *_ = m.candidates(m.analyse("who is the ceo of volkswagen"))
    assert features[FEATURES.index("negative")] == 0.0


def test_a_bad_entry_is_reported_with_its_file_and_line(knowledge_copy):
    path = knowledge_copy / "out_of_scope.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    lang: en", "    lang: de", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        Loader(knowledge_copy).load()
    (problem,) = caught.value.problems
    assert problem.file == "out_of_scope.yaml" and problem.line and "lang must be one of" in problem.message


def test_a_misspelt_copy_of_a_facts_question_does_not_block_the_question(knowledge_copy):
    path = knowledge_copy / "out_of_scope.yaml"
    listed = '  - q: "Combien de vehicuels l\'Alliance a-t-elle vendus en 2018 ?"\n    lang: fr\n'
    path.write_text(path.read_text(encoding="utf-8") + listed, encoding="utf-8")
    engine = Engine(Snapshot.load(knowledge_copy))
    reply = engine.ask("Combien de véhicules l'Alliance a-t-elle vendus en 2018 ?")
    assert reply.answered and reply.fact.id == "sales-2018"
    assert not engine.ask("Combien de vehicuels l'Alliance a-t-elle vendus en 2018 ?").answered  # the listed one


def test_a_broken_list_is_reported_once_as_broken(knowledge_copy):
    (knowledge_copy / "out_of_scope.yaml").write_text(
        "questions:\n  - q: [not, text]\n    lang: fr\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeError) as caught:
        Loader(knowledge_copy).load()
    assert [p.file for p in caught.value.problems] == ["out_of_scope.yaml"]


def test_listed_questions_that_read_the_same_are_one_row(snapshot):
    """The list holds some questions twice (in two cases, with and without "?"): one row each is enough."""
    m = snapshot.matcher
    read = [" ".join(m.analyse(q).words) for q in snapshot.kb.out_of_scope]
    assert len(set(read)) < len(read)  # the shipped list has such repeats
    assert sorted(m.negatives.texts) == sorted(set(read))
    assert all(len(v) == len(m.negatives.texts) for v in m.negatives.vectors)


def test_a_list_whose_every_question_asks_more_gives_no_neighbour(snapshot):
    """A moderator's list of only "who" questions, met by a yes/no question: 0, as with no list, not -1."""
    m = snapshot.matcher
    rows = [n for n, k in enumerate(m.negatives.kinds) if k == {"who"}]
    only = Negatives(
        frozenset(),
        tuple(v[rows] for v in m.negatives.vectors),
        tuple(m.negatives.texts[n] for n in rows),
        [m.negatives.kinds[n] for n in rows],
    )
    asked = m.analyse(only.texts[0])
    vectors = m.embedder.encode_bags((asked.words, asked.tokens), m.bag_weight)
    assert only.nearest(vectors, only.texts[0], asked.kinds)[0] > 0.999
    assert only.nearest(vectors, only.texts[0], frozenset()) == (0.0, 0.0)


def test_the_nearest_listed_question_is_the_best_cosine_among_the_rows_its_kinds_allow(snapshot):
    """Checked against computing it row by row, for questions asking a why, a who, or nothing."""
    m = snapshot.matcher
    neg = m.negatives
    for question in ("why did sales fall in 2019", "qui dirige nissan", "Bolloré est toujours chez Renault ?"):
        asked = m.analyse(question)
        vectors = m.embedder.encode_bags((asked.words, asked.tokens), m.bag_weight)
        allowed = [n for n, k in enumerate(neg.kinds) if k <= asked.kinds]
        want = [max(float(v @ rows[n]) for n in allowed) for v, rows in zip(vectors, neg.vectors, strict=True)]
        got = neg.nearest(vectors, " ".join(asked.words), asked.kinds)
        assert got == pytest.approx(want, abs=1e-5), question
