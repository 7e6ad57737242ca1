"""`bot.py add-source` and `bot.py draft`, on real copies of knowledge/: a second article, answered with its source."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from engine import cli
from engine.answering import Engine, Snapshot
from engine.knowledge.review import REVIEW_MARK
from engine.knowledge.sources_admin import SourceError, add_source
from engine.textnorm import quote_form
from tests.engine.test_drafting import problems

#: A short article written for this test (what Renault announced on 28 January 2020).
ARTICLE = (
    "Renault a annoncé le 28 janvier 2020 la nomination de Luca de Meo au poste de directeur général du groupe.\n"
    "\n"
    "L'Italien, qui dirigeait jusqu'ici la marque Seat au sein du groupe Volkswagen, prendra ses fonctions "
    "le 1er juillet 2020. D'ici là, Clotilde Delbos continuera d'assurer l'intérim à la direction générale.\n"
)
SOURCE = "renault-2020-01"
QUESTION = "Quand Luca de Meo prendra-t-il ses fonctions chez Renault ?"


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "de-meo.txt"
    path.write_bytes(ARTICLE.encode("utf-8"))
    return path


def add(root: Path, article: Path, **changes):
    options = {"source_id": SOURCE, "title": "Luca de Meo nommé à la tête de Renault", "date": "2020-01", "lang": "fr"}
    return add_source(Snapshot.load(root), root, article, **(options | changes))


def test_add_source_registers_copies_and_drafts_without_breaking_check(knowledge_copy, article):
    listing = knowledge_copy / "sources.yaml"
    before = listing.read_bytes()
    added = add(knowledge_copy, article)
    assert listing.read_bytes().startswith(before)  # appended: the moderators' file and comments stay
    assert added.text_file.read_bytes() == article.read_bytes()  # verbatim, byte for byte
    assert added.draft_sheet == knowledge_copy / "drafts" / f"{SOURCE}.yaml"
    assert problems(knowledge_copy) == []  # the new source is valid, and drafts/ is never loaded
    kb = Snapshot.load(knowledge_copy).kb
    assert kb.sources[SOURCE].title == "Luca de Meo nommé à la tête de Renault"

    skeletons = yaml.safe_load(added.draft_sheet.read_text(encoding="utf-8"))["facts"]
    assert len(skeletons) == added.skeletons == 3  # one per informative sentence
    for fact in skeletons:
        assert fact["source"] == SOURCE and fact["topic"] in {t.id for t in kb.topics}
        assert quote_form(fact["quote"]) in quote_form(ARTICLE)
        assert fact["id"] not in kb.facts_by_id
    assert "Luca de Meo" in added.draft_sheet.read_text(encoding="utf-8")  # the new name, to add to the lexicon


def test_a_skeleton_moved_unchanged_is_refused_for_its_marked_questions_and_answers(knowledge_copy, article):
    added = add(knowledge_copy, article)
    (knowledge_copy / "facts" / "new.yaml").write_text(added.draft_sheet.read_text(encoding="utf-8"), "utf-8")
    found = problems(knowledge_copy)
    assert len(found) == 4 * added.skeletons, found
    for field in ("questions.fr", "questions.en", "answer.fr", "answer.en"):
        assert sum(f"{field} is marked for review" in p for p in found) == added.skeletons


def test_knowledge_from_two_articles_answers_with_the_right_source(knowledge_copy, article):
    added = add(knowledge_copy, article)
    skeletons = yaml.safe_load(added.draft_sheet.read_text(encoding="utf-8"))["facts"]
    (fact,) = [f for f in skeletons if "1er juillet" in f["quote"]]
    assert REVIEW_MARK in fact["answer"]["fr"]
    fact["questions"] = {
        "fr": [
            "Quand Luca de Meo prend-il la direction de Renault ?",
            "date d'arrivée de Luca de Meo",
            "Luca de Meo commence quand ?",
        ],
        "en": ["When does Luca de Meo take over at Renault?", "Luca de Meo start date", "when does de Meo start"],
    }
    fact["answer"] = {
        "fr": "Luca de Meo, qui dirigeait Seat, devient directeur général de Renault le 1er juillet 2020.",
        "en": "Luca de Meo, who ran Seat, takes over as Renault's CEO on 1 July 2020.",
    }
    sheet = knowledge_copy / "facts" / "renault-2020.yaml"
    sheet.write_text(yaml.safe_dump({"facts": [fact]}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert problems(knowledge_copy) == []

    engine = Engine(Snapshot.load(knowledge_copy))
    reply = engine.ask(QUESTION)
    assert reply.answered and reply.fact.id == fact["id"], (reply.kind, reply.suggestions)
    assert reply.source.id == SOURCE and reply.source.date == "2020-01"
    original = engine.ask("qui dirige nissan")
    assert original.fact.id == "leader-uchida" and original.source.id == "alliance-2019-12"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"source_id": "alliance-2019-12"}, "already in sources.yaml"),
        ({"source_id": "Bad Id"}, "lowercase"),
        ({"date": "janvier 2020"}, "YYYY-MM"),
        ({"lang": "de"}, "--lang"),
        ({"title": "  "}, "--title"),
    ],
)
def test_a_bad_request_writes_nothing(knowledge_copy, article, changes, says):
    before = {p: p.read_bytes() for p in knowledge_copy.rglob("*") if p.is_file()}
    with pytest.raises(SourceError, match=says):
        add(knowledge_copy, article, **changes)
    after = {p: p.read_bytes() for p in knowledge_copy.rglob("*") if p.is_file()}
    assert after == before


def test_an_article_that_is_not_text_is_refused(knowledge_copy, tmp_path):
    binary = tmp_path / "article.txt"
    binary.write_bytes(b"\xff\xfe\x00 not utf-8 \x81")
    with pytest.raises(SourceError):
        add(knowledge_copy, binary)
    assert not (knowledge_copy / "sources" / f"{SOURCE}.fr.txt").exists()


def test_cli_add_source_then_draft_finds_the_new_article(monkeypatch, knowledge_copy, article):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    out = io.StringIO()
    code = cli.main(
        ["add-source", str(article), "--id", SOURCE, "--title", "Luca de Meo chez Renault", "--date", "2020-01"],
        stdout=out,
    )
    assert code == 0, out.getvalue()
    assert "3 fact skeleton(s)" in out.getvalue()
    out = io.StringIO()
    assert cli.main(["draft", "Luca de Meo dirigeait quelle marque avant Renault ?"], stdout=out) == 0
    drafted = out.getvalue()
    assert f"source: {SOURCE}" in drafted and "Seat" in drafted
    out = io.StringIO()
    assert cli.main(["draft", "Quel est le prix d'une Clio neuve ?"], stdout=out) == 1
    assert "add-source" in out.getvalue()


def test_a_listing_that_cannot_take_the_entry_is_restored(knowledge_copy, article):
    listing = knowledge_copy / "sources.yaml"
    listing.write_bytes(listing.read_bytes() + b"notes: the list above is the sources\n")  # not the last key
    before = {p: p.read_bytes() for p in knowledge_copy.rglob("*") if p.is_file()}
    with pytest.raises(SourceError, match="did not take the new entry"):
        add(knowledge_copy, article)
    assert {p: p.read_bytes() for p in knowledge_copy.rglob("*") if p.is_file()} == before
