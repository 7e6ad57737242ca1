"""Validation: every problem reported at once, with file, line and fact id; nothing half-loaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.knowledge import claims, fingerprints
from engine.knowledge import loader as loader_module
from engine.knowledge.loader import KnowledgeError, Loader, load_knowledge
from engine.knowledge.problems import Problems


def problems_of(root: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(root)
    return [str(p) for p in info.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_real_knowledge_loads(snapshot):
    kb = snapshot.kb
    assert len(kb.facts) >= 30
    assert set(kb.sources) == {"alliance-2019-12"}
    assert kb.fact("leader-uchida").topic == "leaders"


def test_knowledge_is_immutable(snapshot):
    kb = snapshot.kb
    with pytest.raises(AttributeError):
        kb.facts = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        kb.facts_by_id["x"] = kb.facts[0]  # type: ignore[index]
    with pytest.raises(TypeError):
        kb.fact("leader-uchida").answer["en"] = "changed"  # type: ignore[index]


def test_yaml_syntax_error_names_file_and_line(knowledge_copy):
    sheet = knowledge_copy / "facts" / "leaders.yaml"
    line = line_of(sheet, "- id: leader-uchida")
    edit(sheet, "- id: leader-uchida", "- id: [leader-uchida")
    found = problems_of(knowledge_copy)
    assert len(found) == 1
    assert found[0].startswith("facts/leaders.yaml:")
    assert "YAML error" in found[0]
    assert int(found[0].split(":")[1]) >= line


def test_missing_and_mistyped_fields(knowledge_copy):
    sheet = knowledge_copy / "facts" / "leaders.yaml"
    edit(
        sheet,
        "    topic: leaders\n",
        "",
    )
    edit(sheet, "    keywords: [", "    keywords: 3\n    unused: [")
    found = "\n".join(problems_of(knowledge_copy))
    assert "missing field 'topic'" in found
    assert "keywords must be a list of words" in found
    assert "unknown field 'unused'" in found
    assert "facts/leaders.yaml:" in found


def test_answer_in_one_language_missing(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    start = text.index("      en:", text.index("answer:"))
    end = text.index("\n", start)
    sheet.write_text(text[:start] + "      en: ''" + text[end:], encoding="utf-8")
    (problem,) = problems_of(knowledge_copy)
    assert "[sales-2018]" in problem and "answer.en must be non-empty text" in problem


def test_duplicate_id_points_to_the_first(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    edit(sheet, "- id: rank-2019", "- id: rank-2018")
    found = problems_of(knowledge_copy)
    assert any("[rank-2018]: duplicate id: the original is at facts/sales.yaml:" in p for p in found)


def test_question_claimed_by_two_facts(knowledge_copy):
    leaders = knowledge_copy / "facts" / "leaders.yaml"
    with leaders.open("a", encoding="utf-8") as out:
        out.write(
            "  - id: leader-copy\n    topic: leaders\n    source: alliance-2019-12\n"
            "    quote: Makoto Uchida, directeur général de Nissan Motor Co\n"
            "    questions:\n      fr: ['QUI est le directeur général de Nissan ?', y, z]\n      en: [x, y, z]\n"
            "    answer: {fr: a, en: b}\n"
        )
    found = "\n".join(problems_of(knowledge_copy))
    assert (
        "[leader-copy]: question 'QUI est le directeur général de Nissan ?' (fr) "
        "is also claimed by fact 'leader-uchida'" in found
    )


def test_unknown_source_and_topic(knowledge_copy):
    sheet = knowledge_copy / "facts" / "ghosn.yaml"
    edit(sheet, "source: alliance-2019-12", "source: le-monde-2020")
    edit(sheet, "topic: ghosn", "topic: gossip")
    found = "\n".join(problems_of(knowledge_copy))
    assert "unknown source 'le-monde-2020' (see sources.yaml)" in found
    assert "unknown topic 'gossip' (see topics.yaml)" in found


def test_quote_not_in_source(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("10,76 millions", "11 millions", 1), encoding="utf-8")
    found = problems_of(knowledge_copy)
    assert any("quote not found verbatim in source 'alliance-2019-12'" in p for p in found)


def test_quote_forgives_only_whitespace_and_quote_marks(knowledge_copy):
    from engine.textnorm import quote_form

    source = (knowledge_copy / "sources" / "alliance-2019-12.fr.txt").read_text(encoding="utf-8")
    assert quote_form("conseil  opérationnel\nde l'Alliance") in quote_form(source)  # ’ vs ', spaces
    assert quote_form("conseil operationnel de l'Alliance") not in quote_form(source)  # accents are not forgiven


def test_python_tag_is_refused(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    sheet.write_text("facts: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    found = "\n".join(problems_of(knowledge_copy))
    assert "facts/sales.yaml:1: YAML error" in found
    assert "python/object/apply:os.system" in found


def test_deeply_nested_and_huge_files(knowledge_copy, monkeypatch):
    from engine.knowledge import yamlfile

    (knowledge_copy / "facts" / "deep.yaml").write_text("facts: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8")
    found = "\n".join(problems_of(knowledge_copy))
    assert "facts/deep.yaml:1: nested more than 20 levels deep" in found
    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 1000)
    found = "\n".join(problems_of(knowledge_copy))
    assert "facts/leaders.yaml: file is" in found and "more than the 1,000 allowed" in found


def test_alias_bomb_is_refused(knowledge_copy):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"b{i}: &b{i} [*a, *a, *a, *a, *a, *a, *a, *a, *a]" for i in range(30)
    ]
    (knowledge_copy / "facts" / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = "\n".join(problems_of(knowledge_copy))
    assert "facts/bomb.yaml:" in found and "aliases" in found


def test_source_file_outside_knowledge_is_never_read(knowledge_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Renault, Nissan et Mitsubishi ont tenu", encoding="utf-8")
    edit(knowledge_copy / "sources.yaml", "file: sources/alliance-2019-12.fr.txt", "file: ../secret.txt")
    found = "\n".join(problems_of(knowledge_copy))
    assert "sources.yaml:" in found and "file '../secret.txt' is outside knowledge/" in found


def test_fact_sheet_symlinked_outside_is_not_read(knowledge_copy, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("facts: []\n", encoding="utf-8")
    (knowledge_copy / "facts" / "link.yaml").symlink_to(outside)
    found = "\n".join(problems_of(knowledge_copy))
    assert "facts/link.yaml: links outside knowledge/; not read" in found


def test_yaml_booleans_in_lexicon_get_a_hint(knowledge_copy):
    edit(knowledge_copy / "lexicon.yaml", '"on"', "on")
    found = "\n".join(problems_of(knowledge_copy))
    assert (
        "lexicon.yaml:" in found and "True is not a word (quote it: YAML reads on, off, yes, no as true/false)" in found
    )


def test_every_problem_is_reported_at_once(knowledge_copy):
    edit(knowledge_copy / "facts" / "sales.yaml", "source: alliance-2019-12", "source: nowhere")
    edit(knowledge_copy / "facts" / "ghosn.yaml", "topic: ghosn", "topic: nowhere")
    edit(knowledge_copy / "eval" / "questions.yaml", "expect: meeting-place", "expect: no-such-fact")
    found = problems_of(knowledge_copy)
    files = {p.split(":")[0] for p in found}
    assert {"facts/sales.yaml", "facts/ghosn.yaml", "eval/questions.yaml"} <= files


def test_not_utf8_and_not_a_list(knowledge_copy):
    (knowledge_copy / "facts" / "latin1.yaml").write_bytes("facts: [caf\xe9]".encode("latin-1"))
    (knowledge_copy / "facts" / "scalar.yaml").write_text("just text\n", encoding="utf-8")
    found = "\n".join(problems_of(knowledge_copy))
    assert "facts/latin1.yaml: not UTF-8 text" in found
    assert "facts/scalar.yaml:" in found and "expected a top-level 'facts:' list" in found


def test_duplicate_key_in_a_fact(knowledge_copy):
    edit(knowledge_copy / "facts" / "sales.yaml", "    topic: sales\n", "    topic: sales\n    topic: sales\n")
    found = "\n".join(problems_of(knowledge_copy))
    assert "duplicate key 'topic'" in found


def test_lexicon_group_name_that_is_not_text(knowledge_copy):
    edit(knowledge_copy / "lexicon.yaml", "synonyms:\n", "synonyms:\n  2018: [deux mille dix-huit]\n")
    found = "\n".join(problems_of(knowledge_copy))
    assert "lexicon.yaml:" in found and "synonyms: the name 2018 must be text (quote it)" in found


def test_unreadable_files_are_problems_not_crashes(knowledge_copy):
    words = knowledge_copy / "words" / "en.tsv"
    words.unlink()
    words.mkdir()
    sheet = knowledge_copy / "facts" / "sales.yaml"
    sheet.unlink()
    sheet.mkdir()
    found = "\n".join(problems_of(knowledge_copy))
    assert "words/en.tsv: not a regular file" in found
    assert "facts/sales.yaml: not a regular file" in found


def test_no_knowledge_file_is_read_through_a_link_outside(knowledge_copy, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((knowledge_copy / "topics.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (knowledge_copy / "topics.yaml").unlink()
    (knowledge_copy / "topics.yaml").symlink_to(outside)
    found = "\n".join(problems_of(knowledge_copy))
    assert "topics.yaml: links outside knowledge/; not read" in found


def test_duplicates_across_sheets_are_reported_in_sheet_order_whichever_path_finds_them(knowledge_copy):
    """The cross-sheet checks gather claims in C and fall back to the exact loop on a duplicate: its report
    is the one the loop always gave (each sheet's problems, then its duplicates, sheet after sheet)."""
    facts = knowledge_copy / "facts"
    first = sorted(facts.glob("*.yaml"))[0]
    text = first.read_text(encoding="utf-8")
    (facts / "zz-copy.yaml").write_text(text.replace("topic: ", "topic: nope-", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        Loader(knowledge_copy).load()
    copy = [p for p in info.value.problems if p.file == "facts/zz-copy.yaml"]
    assert "unknown topic" in copy[0].message  # the sheet's own problem first
    assert any("duplicate id" in p.message for p in copy)
    assert all(p.file == "facts/zz-copy.yaml" for p in info.value.problems)


def test_the_fast_cross_sheet_checks_give_what_the_exact_loop_gives(knowledge_copy):
    loader = Loader(knowledge_copy)
    kb = loader.load()
    items = [claims.SheetFacts(r, s.facts, s.declared, s.keys) for r, s in sorted(loader._sheets.items())]
    fast, exact = claims.check_claims(items, Problems()), claims._exact(items, Problems())
    assert fast[:2] == exact[:2] and tuple(fast[0]) == kb.facts
    for fact in kb.facts:
        for _, question in claims.questions(fact):
            key = claims.key_of(question)
            assert fast[2].get(key) == exact[2].get(key) == fact.id
    assert fast[2].get("une question que personne ne pose") is None


def test_a_fact_asking_its_own_question_twice_claims_it_once_and_loads(knowledge_copy):
    """Two equal keys send the checks down the exact path, which compares the keys themselves."""
    sheet = knowledge_copy / "facts" / "leaders.yaml"
    text = sheet.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.strip().startswith("- ") and "?" in line)
    sheet.write_text(text.replace(first, first + "\n" + first.replace("?", " ?"), 1), encoding="utf-8")
    kb = Loader(knowledge_copy).load()
    assert len(kb.facts) == len(load_knowledge("knowledge").facts)


def test_facts_asking_their_own_question_twice_skip_the_exact_loop_but_two_facts_asking_one_do_not(
    knowledge_copy, monkeypatch
):
    """Equal keys within one fact cannot be claimed twice: the loop is skipped. Across two facts it reports them."""
    sheet = knowledge_copy / "facts" / "leaders.yaml"
    text = sheet.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.strip().startswith("- ") and "?" in line)
    sheet.write_text(text.replace(first, first + "\n" + first.replace("?", " ?"), 1), encoding="utf-8")

    def refuse(*args: object) -> object:
        raise AssertionError("the exact loop ran")

    with monkeypatch.context() as patched:
        patched.setattr(claims, "_exact", refuse)
        assert len(Loader(knowledge_copy).load().facts) == len(load_knowledge("knowledge").facts)
    other = knowledge_copy / "facts" / "sales.yaml"
    sales = other.read_text(encoding="utf-8")
    asked = next(line for line in sales.splitlines() if line.strip().startswith("- ") and "?" in line)
    indent = asked[: len(asked) - len(asked.lstrip())]
    other.write_text(sales.replace(asked, asked + "\n" + indent + first.strip(), 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        Loader(knowledge_copy).load()
    assert any("is also claimed by fact" in p.message for p in info.value.problems)


def _aged(root: Path, seconds: float = 3600) -> None:
    """The times of every file under `root` (or of that file) moved an hour back: written long before."""
    for path in [root] if root.is_file() else root.rglob("*"):
        if path.is_file():
            when = path.stat().st_mtime - seconds
            os.utime(path, (when, when))


def _clock_moved_on(monkeypatch, seconds: float = 10.0) -> None:
    """The files' clock `seconds` ahead: their change times (which nothing sets back) are settled, as after a wait."""
    real = fingerprints.now_ns
    monkeypatch.setattr(fingerprints, "now_ns", lambda: real() + int(seconds * 1e9))


def test_a_reload_reads_only_the_sheets_whose_file_changed_and_sees_a_change_that_kept_the_time(
    knowledge_copy, monkeypatch
):
    _aged(knowledge_copy)
    _clock_moved_on(monkeypatch)
    loader = Loader(knowledge_copy)
    served = loader.load()
    read: list[str] = []
    real = loader_module.read_inside

    def counted(root: Path, relative: str, limit: int | None = None) -> bytes:
        read.append(relative)
        return real(root, relative, limit)

    monkeypatch.setattr(loader_module, "read_inside", counted)
    assert loader.load().facts == served.facts and read == []  # every sheet's signature as it was
    sheet = knowledge_copy / "facts" / "sales.yaml"
    edit(sheet, "Renault", "Renauld")  # the same size, in place
    assert loader.load().facts != served.facts and read == ["facts/sales.yaml"]
    _aged(sheet)
    edited = loader.load().facts  # read once more (its content had just changed): its signature kept now
    assert loader.load().facts == edited and read == ["facts/sales.yaml"] * 2
    # Written back in place, the same size, its modification time put back: its change time still tells.
    before = sheet.stat()
    edit(sheet, "Renauld", "Renault")
    os.utime(sheet, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert sheet.stat().st_mtime_ns == before.st_mtime_ns and sheet.stat().st_size == before.st_size
    assert loader.load().facts == served.facts and read == ["facts/sales.yaml"] * 3


def test_an_out_of_scope_question_a_fact_asks_is_reported_with_its_line_and_fact(knowledge_copy):
    kb = load_knowledge(knowledge_copy)
    fact = kb.facts[3]
    asked = fact.questions["fr"][1]
    listed = knowledge_copy / "out_of_scope.yaml"
    text = listed.read_text(encoding="utf-8")
    listed.write_text(text.replace("questions:\n", f'questions:\n  - q: "{asked.upper()}"\n    lang: fr\n', 1))
    with pytest.raises(KnowledgeError) as info:
        Loader(knowledge_copy).load()
    (found,) = [p for p in info.value.problems if p.file == "out_of_scope.yaml"]
    assert found.line == line_of(listed, asked.upper()) and found.fact_id == fact.id
    assert "is a question of fact" in found.message
