"""Knowledge files read with bounded work (issue 14, issue 10 §3) and explained in words a moderator can act on
(issue 9 §2), on temporary copies of the real knowledge/."""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from engine import cli
from engine.knowledge import yamlfile
from engine.knowledge.loader import KnowledgeError, Loader, LoadTimeout, load_knowledge
from engine.knowledge.schema import MAX_PASSAGES, MAX_PROBLEMS_KEPT
from engine.settings import Settings
from tests.sheets import edit_fact

#: Every kind of file knowledge/ holds, each read through the same checks.
EVERY_KIND = [
    "lexicon.yaml",
    "words/en.tsv",
    "sources.yaml",
    "sources/alliance-2019-12.fr.txt",
    "topics.yaml",
    "facts/sales.yaml",
    "eval/questions.yaml",
    "out_of_scope.yaml",
    "decision.yaml",
]


def refused(root: Path) -> KnowledgeError:
    """The KnowledgeError of a load of `root`, which must end (in a thread, so a hang fails instead of blocking)."""
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            Loader(root).load()
        except BaseException as exc:  # handed to the test
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(120)  # generous: "does not hang", not a speed test
    assert not worker.is_alive(), "the load hangs"
    (error,) = outcome
    assert isinstance(error, KnowledgeError), error
    return error


def messages(error: KnowledgeError) -> list[str]:
    return [str(p) for p in error.problems]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def number_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


# --- every file checked before it is opened, read with a bounded read -----------------------------------------------


@pytest.mark.parametrize("relative", EVERY_KIND)
def test_a_fifo_in_place_of_any_file_is_refused_without_hanging(knowledge_copy, relative):
    path = knowledge_copy / relative
    path.unlink()
    os.mkfifo(path)
    found = messages(refused(knowledge_copy))
    assert any(relative in p and "not a regular file" in p for p in found), found


@pytest.mark.parametrize("relative", EVERY_KIND)
def test_a_link_to_dev_zero_in_place_of_any_file_is_refused(knowledge_copy, relative):
    path = knowledge_copy / relative
    path.unlink()
    path.symlink_to("/dev/zero")
    found = messages(refused(knowledge_copy))
    assert any(relative in p and ("links outside knowledge/" in p or "outside knowledge/" in p) for p in found), found


def test_a_device_inside_the_folder_is_refused_before_it_is_opened(knowledge_copy, tmp_path):
    """A link that stays inside knowledge/ but ends on a device: the type check, not the folder check, refuses it."""
    (knowledge_copy / "words" / "en.tsv").unlink()
    (knowledge_copy / "dev").symlink_to("/dev")  # inside, by its path; resolved, it leaves: refused as outside
    (knowledge_copy / "words" / "en.tsv").symlink_to(knowledge_copy / "dev" / "zero")
    with pytest.raises(yamlfile.YamlError, match="not a regular file"):
        yamlfile.read_limited(Path("/dev/zero"))
    assert any("words/en.tsv: links outside knowledge/" in p for p in messages(refused(knowledge_copy)))


def test_a_file_is_read_at_most_its_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 2001)
    with pytest.raises(yamlfile.YamlError, match="2,001 bytes, more than the 2,000 allowed"):
        yamlfile.read_limited(path, 2000)
    assert yamlfile.read_limited(path, 2001) == b"x" * 2001


# --- YAML: no anchors or aliases, bounded nodes, clipped echoes -----------------------------------------------------


def test_the_alias_bomb_of_issue_10_is_refused_in_one_short_message(knowledge_copy):
    bomb = ["lol0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    bomb += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 6)]
    lexicon = knowledge_copy / "lexicon.yaml"
    lexicon.write_text("\n".join(bomb) + "\nentities: [*a5]\n" + lexicon.read_text(encoding="utf-8"), "utf-8")
    error = refused(knowledge_copy)
    assert messages(error) == [
        "lexicon.yaml:1: anchors and aliases (&name, *name) are not allowed in knowledge files: write the value out"
    ]
    assert len(str(error)) < 300


def test_an_anchor_alone_is_refused_too(knowledge_copy):
    replace(knowledge_copy / "facts" / "sales.yaml", "    topic: sales\n", "    topic: &t sales\n")
    line = number_of(knowledge_copy / "facts" / "sales.yaml", "topic: &t")
    assert f"facts/sales.yaml:{line}: anchors and aliases" in "\n".join(messages(refused(knowledge_copy)))


def test_a_file_of_too_many_nodes_is_refused_before_it_is_built(knowledge_copy):
    sheet = knowledge_copy / "facts" / "zz_many.yaml"
    sheet.write_text("facts:\n" + "".join(f"  - {{id: n{i}}}\n" for i in range(yamlfile.MAX_NODES // 3 + 1)))
    found = messages(refused(knowledge_copy))
    assert any(p.startswith("facts/zz_many.yaml:") and "more than 100,000 values" in p for p in found), found[:3]


def test_every_value_echoed_in_a_message_is_clipped(knowledge_copy):
    replace(knowledge_copy / "lexicon.yaml", "entities:\n", "entities:\n  - [" + ", ".join(["1"] * 5000) + "]\n")
    edit_fact(knowledge_copy, "sales-2018", topic="t" * 5000)
    found = messages(refused(knowledge_copy))
    assert found and all(len(p) < 300 for p in found), [p[:120] for p in found]
    assert any("entities.entities: [1, 1, 1" in p and "…" in p for p in found), found


# --- problems: bounded, counted -------------------------------------------------------------------------------------


def test_problems_are_kept_up_to_a_bound_and_all_counted(knowledge_copy):
    sheet = knowledge_copy / "facts" / "zz_broken.yaml"
    sheet.write_text("facts:\n" + "".join(f"  - {{id: b{i}}}\n" for i in range(2000)))
    error = refused(knowledge_copy)
    assert len(error.problems) == MAX_PROBLEMS_KEPT
    assert error.total == 2000 * 7  # topic, source, quote, questions fr/en, answer fr/en
    assert str(error).endswith(f"... and {2000 * 7 - 50} more")
    assert len(str(error).splitlines()) == 52
    # The cached sheet counts its unkept problems again at the next load.
    loader = Loader(knowledge_copy)
    for _ in range(2):
        with pytest.raises(KnowledgeError) as info:
            loader.load()
        assert info.value.total == 2000 * 7


def test_check_prints_a_bounded_report(knowledge_copy):
    (knowledge_copy / "facts" / "zz_broken.yaml").write_text(
        "facts:\n" + "".join(f"  - {{id: b{i}}}\n" for i in range(300)), "utf-8"
    )
    out = io.StringIO()
    assert cli.cmd_check(Settings(knowledge_dir=knowledge_copy, journal_enabled=False), out) == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 52
    assert lines[-2] == f"... and {300 * 7 - 50} more problem(s): fix these first, then check again."
    assert lines[-1] == f"{300 * 7} problem(s) found; nothing was loaded."


def test_a_load_past_its_time_budget_stops_and_says_so(knowledge_copy):
    with pytest.raises(LoadTimeout) as info:
        Loader(knowledge_copy).load(timeout=0)
    assert str(info.value.problems[0]) == "knowledge/: the load took longer than 0 s and was abandoned"


# --- an empty knowledge base ----------------------------------------------------------------------------------------


def test_check_refuses_a_knowledge_base_without_facts_unless_forced(knowledge_copy):
    for sheet in (knowledge_copy / "facts").glob("*.yaml"):
        sheet.write_text("facts: []\n", encoding="utf-8")
    shutil.rmtree(knowledge_copy / "eval")
    settings = Settings(knowledge_dir=knowledge_copy, journal_enabled=False)
    out = io.StringIO()
    assert cli.cmd_check(settings, out) == 1
    assert out.getvalue().startswith("refused: knowledge/ holds no facts, so members would get no answer at all")
    forced = io.StringIO()
    assert cli.cmd_check(settings, forced, force=True) == 0
    assert forced.getvalue().startswith("OK: 0 facts")


# --- YAML errors in plain words, at the line of the mistake ---------------------------------------------------------


def yaml_problem(root: Path, sheet: str = "facts/sales.yaml"):
    (problem,) = refused(root).problems
    assert problem.file == sheet
    return problem


def test_bad_indentation_names_the_line_of_the_mistake_with_a_caret(knowledge_copy):
    """The issue's case: PyYAML says "mapping values are not allowed" a line late."""
    sheet = knowledge_copy / "facts" / "sales.yaml"
    line = number_of(sheet, "  - id: rank-2019")
    replace(sheet, "  - id: rank-2019", " - id: rank-2019")
    problem = yaml_problem(knowledge_copy)
    assert problem.line == line
    assert problem.message == (
        "YAML error: indentation: this line starts after 1 space(s), lines like it after 2: "
        "indent it like its neighbours"
    )
    assert problem.excerpt == " - id: rank-2019\n ^"
    assert problem.full().endswith("\n     - id: rank-2019\n     ^")


def test_a_key_indented_one_space_too_far_is_named(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    line = number_of(sheet, "    source: alliance-2019-12")
    replace(sheet, "    source: alliance-2019-12", "     source: alliance-2019-12")
    problem = yaml_problem(knowledge_copy)
    assert (problem.line, problem.excerpt) == (line, "     source: alliance-2019-12\n     ^")
    assert "lines like it after 4" in problem.message


def test_a_tab_is_named_as_a_tab(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    line = number_of(sheet, "    source: alliance-2019-12")
    replace(sheet, "    source: alliance-2019-12", "\tsource: alliance-2019-12")
    problem = yaml_problem(knowledge_copy)
    assert problem.line == line
    assert problem.message == "YAML error: a tab character: YAML indents with spaces only"
    assert problem.excerpt == "→source: alliance-2019-12\n^"


def test_a_tab_under_a_nested_key_is_named_as_a_tab(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    line = number_of(sheet, "    source: alliance-2019-12")
    replace(sheet, "    source: alliance-2019-12", "    answer:\n\teng: x")
    problem = yaml_problem(knowledge_copy)
    assert problem.line == line + 1
    assert problem.message == "YAML error: a tab character: YAML indents with spaces only"


def test_text_with_a_colon_gets_told_to_quote_it(knowledge_copy):
    sheet = knowledge_copy / "facts" / "leaders.yaml"
    text = sheet.read_text(encoding="utf-8")
    answer = re.search(r"\n      en: (.*)\n", text[text.index("- id: leader-uchida") :]).group(1)  # type: ignore[union-attr]
    replace(sheet, f"      en: {answer}", "      en: Makoto Uchida: CEO of Nissan")
    problem = yaml_problem(knowledge_copy, "facts/leaders.yaml")
    assert problem.line == number_of(sheet, "en: Makoto Uchida: CEO")
    assert problem.message.startswith("YAML error: a second ': ' on this line: text holding a colon must be in quotes")
    assert problem.excerpt == "      en: Makoto Uchida: CEO of Nissan\n                       ^"


def test_an_unclosed_quote_points_at_where_it_opens(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    replace(sheet, '- "ventes 2018"', '- "ventes 2018')
    problem = yaml_problem(knowledge_copy)
    assert problem.line == number_of(sheet, '- "ventes 2018')
    assert problem.message == "YAML error: this quote is never closed: end the text with the same quote mark"
    assert problem.excerpt == '        - "ventes 2018\n          ^'


def test_an_unclosed_bracket_points_at_where_it_opens(knowledge_copy):
    sheet = knowledge_copy / "facts" / "sales.yaml"
    replace(sheet, "    topic: sales\n", "    topic: [sales\n")
    problem = yaml_problem(knowledge_copy)
    assert problem.line == number_of(sheet, "topic: [sales")
    assert problem.message.startswith("YAML error: this [ is never closed by ], or a ',' is missing")


# --- unknown keys, quotes, duplicates -------------------------------------------------------------------------------


def test_an_unknown_key_under_answer_is_named_with_the_closest_key(knowledge_copy):
    sheet = knowledge_copy / "facts" / "meeting.yaml"
    replace(sheet, '      en: "Renault, Nissan and Mitsubishi held', '      eng: "Renault, Nissan and Mitsubishi held')
    found = messages(refused(knowledge_copy))
    line = number_of(sheet, "eng: ")
    assert f"facts/meeting.yaml:{line} [meeting-place]: unknown field 'answer.eng': did you mean 'en'?" in found


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        (
            "facts/sales.yaml",
            "    topic: sales\n",
            "    topik: sales\n",
            "unknown field 'topik': did you mean 'topic'?",
        ),
        ("sources.yaml", "    title:", "    titel:", "unknown field 'titel': did you mean 'title'?"),
        ("topics.yaml", "    en:", "    eng:", "unknown field 'eng': did you mean 'en'?"),
        ("eval/questions.yaml", "    expect:", "    expected:", "unknown field 'expected': did you mean 'expect'?"),
        ("lexicon.yaml", "synonyms:", "synonym:", "unknown field 'synonym': did you mean 'synonyms'?"),
        (
            "lexicon.yaml",
            "  greeting:",
            "  greetings:",
            "unknown field 'smalltalk.greetings': did you mean 'greeting'?",
        ),
    ],
)
def test_unknown_keys_anywhere_are_named(knowledge_copy, relative, old, new, expected):
    replace(knowledge_copy / relative, old, new)
    found = messages(refused(knowledge_copy))
    assert any(p.startswith(relative) and expected in p for p in found), found


def test_a_quote_off_by_one_word_shows_the_closest_passage_and_the_difference(knowledge_copy):
    replace(knowledge_copy / "facts" / "sales.yaml", "10,76 millions de véhicules", "10,76 millions de voitures")
    found = [p for p in messages(refused(knowledge_copy)) if "quote not found" in p]
    assert found == [
        "facts/sales.yaml:6 [sales-2018]: quote not found verbatim in source 'alliance-2019-12'; closest passage: "
        "'en vendant 10,76 millions de véhicules, plus que Toyota ou Volkswagen.'; they first differ at character "
        "31: the quote has 'voitures, plus que T', the source 'véhicules, plus que '"
    ]


def test_a_quote_from_elsewhere_says_so(knowledge_copy):
    edit_fact(knowledge_copy, "sales-2018", quote="The quick brown fox jumps over the lazy dog")
    found = [p for p in messages(refused(knowledge_copy)) if "quote not found" in p]
    assert len(found) == 1 and found[0].endswith(
        "no passage of the source is close to it; copy the quote from the article"
    )


def test_a_fact_copied_into_an_earlier_sheet_names_both_places(knowledge_copy):
    """Sheets load in name order: the copy in `aaa.yaml` loads first, so it is the original the message names."""
    meeting = knowledge_copy / "facts" / "meeting.yaml"
    text = meeting.read_text(encoding="utf-8")
    start = text.index("  - id: meeting-place")
    end = text.index("\n  - id:", start + 1)
    (knowledge_copy / "facts" / "aaa.yaml").write_text("facts:\n" + text[start:end] + "\n", encoding="utf-8")
    found = [p for p in messages(refused(knowledge_copy)) if "duplicate id" in p]
    assert found == [
        f"facts/meeting.yaml:{number_of(meeting, '- id: meeting-place')} [meeting-place]: duplicate id: the original "
        "is at facts/aaa.yaml:2 (sheets load in name order, the first one kept); "
        "rename this copy or remove one of the two"
    ]


# --- the rules of a fact --------------------------------------------------------------------------------------------


def test_three_questions_a_language_are_enough_and_two_are_not(knowledge_copy):
    three = {"fr": ["a zorglub", "b zorglub", "c zorglub"], "en": ["zorglub a", "zorglub b", "zorglub c"]}
    edit_fact(knowledge_copy, "sales-2018", questions=three)
    load_knowledge(knowledge_copy)
    edit_fact(knowledge_copy, "sales-2018", questions={"fr": three["fr"][:2], "en": three["en"]})
    (problem,) = messages(refused(knowledge_copy))
    assert problem.endswith("[sales-2018]: questions.fr lists 2 question(s): write at least 3, worded differently")


def test_a_question_listed_twice_in_one_language_is_a_problem(knowledge_copy):
    twice = {"fr": ["a zorglub", "b zorglub", "A Zorglub"], "en": ["zorglub a", "zorglub b", "a zorglub"]}
    edit_fact(knowledge_copy, "sales-2018", questions=twice)
    (problem,) = messages(refused(knowledge_copy))
    assert "[sales-2018]: question 'A Zorglub' (fr) is listed twice in this fact (first at line " in problem
    assert problem.endswith("): remove one")
    # The same words in both languages are two questions, not a repeat.
    edit_fact(knowledge_copy, "sales-2018", questions={"fr": [*twice["fr"][:2], "c zorglub"], "en": twice["en"]})
    load_knowledge(knowledge_copy)


def test_an_answer_left_untranslated_is_a_problem(knowledge_copy):
    edit_fact(knowledge_copy, "sales-2018", answer={"fr": "10,76 millions.", "en": "10,76 millions."})
    (problem,) = messages(refused(knowledge_copy))
    assert problem.endswith("[sales-2018]: answer.fr and answer.en are the same text: translate one")


def test_the_readme_example_fact_passes_check(knowledge_copy):
    """knowledge/README.md's example, pasted into a new sheet (its id and questions made unique), is accepted."""
    readme = (knowledge_copy / "README.md").read_text(encoding="utf-8")
    example = readme.split("## A fact", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    example = example.replace("id: meeting-place ", "id: meeting-example ")
    example = re.sub(r"(\n        - [^\n#]*)", r"\1 exemple", example)
    (knowledge_copy / "facts" / "zz_example.yaml").write_text(example, encoding="utf-8")
    out = io.StringIO()
    assert cli.cmd_check(Settings(knowledge_dir=knowledge_copy, journal_enabled=False), out) == 0, out.getvalue()
    assert "meeting-example" in out.getvalue()  # the note: no evaluation question yet (advice, not a rule)


def test_closest_passages_are_looked_for_a_bounded_number_of_times_a_file(knowledge_copy):
    model = load_knowledge(knowledge_copy).fact("sales-2018")
    facts = [
        {
            "id": f"wrong-quote-{i}",
            "topic": model.topic,
            "source": model.source,
            "quote": model.quote.replace("véhicules", "voitures"),
            "questions": {
                "fr": [f"zorglub {i} a", f"zorglub {i} b", f"zorglub {i} c"],
                "en": [f"x {i}", f"y {i}", "z"],
            },
            "answer": {"fr": "Réponse.", "en": "Answer."},
        }
        for i in range(MAX_PASSAGES + 10)
    ]
    (knowledge_copy / "facts" / "zz_quotes.yaml").write_text(yaml.safe_dump({"facts": facts}), encoding="utf-8")
    found = [p for p in messages(refused(knowledge_copy)) if "quote not found" in p]
    assert len(found) == MAX_PASSAGES + 10
    assert sum("closest passage" in p for p in found) == MAX_PASSAGES


def test_a_stray_key_in_a_source_or_a_topic_is_one_problem_not_one_per_fact(knowledge_copy):
    """The record is reported and still loaded: dropping it gave every fact citing it a false
    "unknown source" (35 problems for one typo, the real ones pushed past the report's bound)."""
    sources = knowledge_copy / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("    outlet: null", "    outlett: Le Monde"))
    topics = knowledge_copy / "topics.yaml"
    text = topics.read_text(encoding="utf-8")
    meeting = "    en: The Boulogne-Billancourt meeting"
    topics.write_text(text.replace(meeting, meeting + "\n    es: x"))
    with pytest.raises(KnowledgeError) as caught:
        Loader(knowledge_copy).load()
    problems = caught.value.problems
    assert [(p.file, p.fact_id) for p in problems] == [("sources.yaml", "alliance-2019-12"), ("topics.yaml", "meeting")]
    assert "outlett" in problems[0].message and "'es'" in problems[1].message
