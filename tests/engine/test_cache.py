"""The on-disk cache of parsed and analysed sheets: hits, misses, edits, and files it must not trust."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine.knowledge.loader
import engine.matching.matcher
from engine.answering import Engine, Reply, Snapshot
from engine.cli import EVAL_SETS, build_engine
from engine.knowledge import cache as cache_module
from engine.knowledge import shared
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.cachekeys import CODE
from engine.knowledge.loader import Loader
from engine.knowledge.schema import load_eval
from engine.matching.modelfiles import DIMS, TOKENIZER, WEIGHTS, mapped_table, package_folder, read_tokenizer
from engine.matching.semantic import Embedder
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture
def counted(monkeypatch) -> dict[str, list[str]]:
    """The sheets parsed and the facts analysed, by name, from now on."""
    seen: dict[str, list[str]] = {"parsed": [], "analysed": []}
    parse, analyse = engine.knowledge.loader.parse_yaml, engine.matching.matcher.analyse_fact

    def parse_yaml(text):
        seen["parsed"].append(text[:40])
        return parse(text)

    def analyse_fact(fact, lexicon, *keys):
        seen["analysed"].append(fact.id)
        return analyse(fact, lexicon, *keys)

    monkeypatch.setattr(engine.knowledge.loader, "parse_yaml", parse_yaml)
    monkeypatch.setattr(engine.matching.matcher, "analyse_fact", analyse_fact)
    return seen


def load(root: Path, folder: Path) -> tuple[Snapshot, KnowledgeCache]:
    """A cold start: a new process's Loader and cache over the same folders (holding nothing yet: shared.py)."""
    shared.forget()
    cache = KnowledgeCache(folder)
    return Snapshot.load(root, loader=Loader(root, cache=cache)), cache


def stored(folder: Path) -> list[Path]:
    """The sheets' files in the cache folder (the compiled lexicon's is tested in test_lexiconcache.py)."""
    return sorted(p for p in folder.iterdir() if p.name.startswith(("sheet-", "analysis-", "snapshot-")))


def sheets(root: Path) -> list[Path]:
    return sorted((root / "facts").glob("*.yaml"))


def drop_snapshots(folder: Path) -> None:
    """Remove the snapshot entry, so the next start reads the sheets' files (as after an edit)."""
    for entry in folder.glob("snapshot-*"):
        shutil.rmtree(entry)


def test_a_cold_start_with_the_cache_parses_and_analyses_nothing(knowledge_copy, tmp_path, counted):
    folder = tmp_path / "cache"
    first, cache = load(knowledge_copy, folder)
    assert len(counted["parsed"]) == len(sheets(knowledge_copy)) and len(counted["analysed"]) == len(first.kb.facts)
    assert cache.stats["written"] == 2 * len(sheets(knowledge_copy))
    counted["parsed"].clear()
    counted["analysed"].clear()
    second, cache = load(knowledge_copy, folder)
    assert counted == {"parsed": [], "analysed": []}
    # The sheets' facts from their files, their analyses from the snapshot entry: no analysis file read.
    assert cache.stats == {"hits": len(sheets(knowledge_copy)), "misses": 0, "written": 0, "ignored": 0}
    assert cache.snapshot_stats == {"hits": 1, "misses": 0, "written": 0, "ignored": 0}
    assert second.kb.facts == first.kb.facts
    assert [f.file for f in second.kb.facts] == [f.file for f in first.kb.facts]
    assert second.matcher._by_fact.keys() == first.matcher._by_fact.keys()
    for fact_id, (_, entry, texts) in second.matcher._by_fact.items():
        _, expected, expected_texts = first.matcher._by_fact[fact_id]
        assert entry == expected
        for got, want in zip(texts, expected_texts, strict=True):
            assert np.array_equal(got.questions, want.questions) and np.array_equal(got.context, want.context)
    assert Engine(second).ask("qui dirige nissan").fact.id == "leader-uchida"


def test_an_empty_folder_is_a_miss_and_is_filled(knowledge_copy, tmp_path):
    folder = tmp_path / "deep" / "cache"
    snapshot, cache = load(knowledge_copy, folder)
    assert cache.stats["hits"] == 0 and cache.stats["misses"] == 2 * len(sheets(knowledge_copy))
    names = [p.name for p in stored(folder)]
    assert len(names) == 2 * len(sheets(knowledge_copy)) + 1 and not any(n.startswith(".tmp") for n in names)
    assert cache.snapshot_stats == {"hits": 0, "misses": 1, "written": 1, "ignored": 0}
    assert Engine(snapshot).ask("qui dirige nissan").fact.id == "leader-uchida"


def test_a_changed_sheet_is_the_only_one_read_again(knowledge_copy, tmp_path, counted, caplog):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    edited = text.replace("a vendu 10,76 millions de véhicules,", "a vendu 10,76 millions de véhicules (record),", 1)
    assert edited != text
    sheet.write_text(edited, encoding="utf-8")
    counted["parsed"].clear()
    counted["analysed"].clear()
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        snapshot, cache = load(knowledge_copy, folder)
    assert cache.stats["ignored"] == 0 and not caplog.records  # an edit is an ordinary miss, not a bad file
    sales = [f.id for f in snapshot.kb.facts if f.file == "facts/sales.yaml"]
    assert len(counted["parsed"]) == 1 and sorted(counted["analysed"]) == sorted(sales)
    assert "(record)" in Engine(snapshot).ask("combien de voitures vendues en 2018").text
    # The sheet's old files were replaced, not kept beside the new ones (nor the old snapshot entry).
    assert len(stored(folder)) == 2 * len(sheets(knowledge_copy)) + 1
    counted["analysed"].clear()
    load(knowledge_copy, folder)
    assert counted["analysed"] == []


def test_a_changed_lexicon_analyses_every_fact_again_but_parses_no_sheet(knowledge_copy, tmp_path, counted):
    folder = tmp_path / "cache"
    first, _ = load(knowledge_copy, folder)
    lexicon = knowledge_copy / "lexicon.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    counted["parsed"].clear()
    counted["analysed"].clear()
    load(knowledge_copy, folder)
    assert counted["parsed"] == []
    assert sorted(counted["analysed"]) == sorted(f.id for f in first.kb.facts)


def test_a_changed_word_list_analyses_every_fact_again(knowledge_copy, tmp_path, counted):
    folder = tmp_path / "cache"
    first, _ = load(knowledge_copy, folder)
    words = knowledge_copy / "words" / "fr.tsv"
    words.write_bytes(words.read_bytes().rstrip(b"\n") + b"\nzzqxw\t1.5\n")
    counted["analysed"].clear()
    load(knowledge_copy, folder)
    assert len(counted["analysed"]) == len(first.kb.facts)


def test_corrupt_files_are_ignored_logged_once_and_rebuilt(knowledge_copy, tmp_path, counted, caplog):
    folder = tmp_path / "cache"
    first, _ = load(knowledge_copy, folder)
    drop_snapshots(folder)
    files = [p for p in stored(folder) if not p.name.startswith("snapshot-")]
    for path in files[:3]:
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # cut short, as by a full disk
    files[3].write_bytes(b"\x00garbage")
    counted["analysed"].clear()
    with caplog.at_level(logging.DEBUG, logger="alliance.cache"):
        second, cache = load(knowledge_copy, folder)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ignored and rebuilt" in warnings[0].getMessage()
    assert cache.stats["ignored"] == 4 and cache.stats["written"] == 4
    assert second.kb.facts == first.kb.facts
    assert Engine(second).ask("qui dirige nissan").fact.id == "leader-uchida"
    drop_snapshots(folder)
    _, cache = load(knowledge_copy, folder)  # rebuilt: every file read again
    assert cache.stats["ignored"] == 0 and cache.stats["hits"] == len(files)


def test_files_of_another_version_are_not_used(knowledge_copy, tmp_path, counted, monkeypatch):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    monkeypatch.setattr(cache_module, "CACHE_VERSION", cache_module.CACHE_VERSION + 1)
    counted["parsed"].clear()
    counted["analysed"].clear()
    snapshot, cache = load(knowledge_copy, folder)
    assert len(counted["parsed"]) == len(sheets(knowledge_copy))
    assert len(counted["analysed"]) == len(snapshot.kb.facts)
    assert cache.stats["hits"] == 0 and cache.stats["ignored"] == 2 * len(sheets(knowledge_copy))


def test_a_file_claiming_the_right_key_but_another_version_is_not_used(knowledge_copy, tmp_path, counted):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    for path in folder.glob("sheet-*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**data, "version": 999}), encoding="utf-8")
    counted["parsed"].clear()
    load(knowledge_copy, folder)
    assert len(counted["parsed"]) == len(sheets(knowledge_copy))


def test_a_file_with_wrong_types_or_pickled_objects_is_not_trusted(knowledge_copy, tmp_path, counted):
    folder = tmp_path / "cache"
    first, _ = load(knowledge_copy, folder)
    drop_snapshots(folder)
    sheet = next(folder.glob("sheet-alliance-*.json"))
    data = json.loads(sheet.read_text(encoding="utf-8"))
    data["facts"][0]["questions"] = {"fr": [1, 2]}
    sheet.write_text(json.dumps(data), encoding="utf-8")
    analysis = next(folder.glob("analysis-board-*.npz"))
    with np.load(analysis, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["q0"] = np.array([object()], dtype=object)  # only readable by unpickling
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    analysis.write_bytes(buffer.getvalue())
    counted["parsed"].clear()
    counted["analysed"].clear()
    second, cache = load(knowledge_copy, folder)
    assert cache.stats["ignored"] == 2 and len(counted["parsed"]) == 1
    assert sorted(counted["analysed"]) == sorted(f.id for f in first.kb.facts if f.file == "facts/board.yaml")
    assert second.kb.facts == first.kb.facts


def test_an_unwritable_folder_only_costs_speed(knowledge_copy, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    snapshot, cache = load(knowledge_copy, blocker / "cache")
    assert cache.stats["written"] == 0
    assert Engine(snapshot).ask("qui dirige nissan").fact.id == "leader-uchida"


def _key(reply: Reply) -> tuple:
    return (
        reply.kind,
        reply.lang,
        reply.text,
        reply.score,
        reply.fact.id if reply.fact else None,
        tuple((s.fact_id, s.question, s.score) for s in reply.suggestions),
    )


def test_answers_are_identical_with_and_without_the_cache(knowledge_copy, tmp_path):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    cached, cache = load(knowledge_copy, folder)
    assert cache.stats["misses"] == 0
    plain = Engine(Snapshot.load(KNOWLEDGE))
    served = Engine(cached)
    questions = []
    for name in EVAL_SETS:
        if (KNOWLEDGE / "eval" / name).exists():
            problems: list = []
            questions += [
                q.q for q in load_eval(KNOWLEDGE, problems, set(plain.snapshot.kb.facts_by_id), f"eval/{name}")
            ]
            assert not problems
    assert len(questions) > 1000
    for question in questions:
        assert _key(served.ask(question)) == _key(plain.ask(question)), question


def test_cache_dir_setting(tmp_path):
    assert Settings.from_env({"CACHE_DIR": "off"}).cache_dir is None
    assert Settings.from_env({"CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
    beside = Settings.from_env({"JOURNAL_PATH": str(tmp_path / "data" / "journal.sqlite3")}).cache_dir
    assert beside == tmp_path / "data" / "cache"
    assert Settings.from_env({"JOURNAL_PATH": ":memory:"}).cache_dir == Settings().cache_dir


def test_the_engine_the_front_ends_build_uses_the_cache_folder(knowledge_copy, tmp_path):
    settings = Settings(knowledge_dir=knowledge_copy, cache_dir=tmp_path / "cache", journal_enabled=False)
    assert build_engine(settings).ask("qui dirige nissan").fact.id == "leader-uchida"
    assert len(list((tmp_path / "cache").glob("analysis-*.npz"))) == len(sheets(knowledge_copy))
    engine = build_engine(settings)
    assert engine.ask("qui dirige nissan").fact.id == "leader-uchida"
    assert engine.load_next(knowledge_copy).kb.facts == engine.snapshot.kb.facts


#: Engine modules a load imports whose code never decides what the cache holds, and why.
NOT_DIGESTED = {
    "__init__.py": "the front ends' door",
    "answering.py": "answers from a snapshot, after the load",
    "language.py": "a reply's language",
    "messages.py": "the engine's sentences",
    "dialogue/__init__.py": "follow-ups, at question time",
    "dialogue/conversation.py": "follow-ups, at question time",
    "dialogue/followup.py": "follow-ups, at question time",
    "knowledge/__init__.py": "a package docstring",
    "knowledge/cachefiles.py": "how files are read and written; their format is CACHE_VERSION's",
    "knowledge/gcpause.py": "the garbage collector's pause",
    "knowledge/problems.py": "problems are reported, never cached",
    "knowledge/shared.py": "what this process holds of the files, under their keys and identity",
    "knowledge/writers.py": "when the cache's files are written in the background, not what they hold",
    "matching/__init__.py": "a package docstring",
    "matching/candidates.py": "features at question time",
    "matching/decision.py": "the decision at question time (decision.yaml is read afresh)",
    "matching/features.py": "features at question time",
    "matching/filerows.py": "how a mapped matrix's rows are read at question time, not what they hold",
    "matching/focus.py": "a question's last clause, at question time",
    "matching/letterbags.py": "the speller's search, at question time",
    "matching/variants.py": "a fact's variant scores at question time",
}


def test_every_module_a_load_runs_is_in_the_code_digest_or_said_why_not():
    """A module split out of a digested one (lexiconfile.py from schema.py) once escaped the digest:
    editing it would have kept serving what its predecessor computed."""
    script = (
        "import sys; from pathlib import Path; from engine.answering import Snapshot; "
        "Snapshot.load(Path('knowledge')); "
        "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('engine') and m.__file__))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CACHE_DIR": "off"},
    )
    assert found.returncode == 0, found.stderr
    loaded = {Path(f).resolve().relative_to(ROOT / "engine").as_posix() for f in found.stdout.split()}
    assert loaded - set(CODE) - set(NOT_DIGESTED) == set()
    assert set(CODE) <= {p.relative_to(ROOT / "engine").as_posix() for p in (ROOT / "engine").rglob("*.py")}


def test_two_writers_of_one_kind_never_run_at_once_and_wait_waits_for_both(tmp_path):
    import threading
    import time

    from engine.knowledge import writers

    running, most, done = [0], [0], []
    lock = threading.Lock()

    def work(name: str) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        done.append(name)

    starters = [threading.Thread(target=writers.start, args=("test", tmp_path, lambda n=n: work(n))) for n in "ab"]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    writers.wait(tmp_path)
    assert sorted(done) == ["a", "b"] and most[0] == 1


def test_a_failing_background_write_is_logged_not_raised(tmp_path, caplog):
    from engine.knowledge import writers

    def broken() -> None:
        raise FileNotFoundError("renamed by another process")

    with caplog.at_level("ERROR", logger="alliance.cache"):
        writers.start("test", tmp_path, broken)
        writers.wait(tmp_path)
    assert "a background write into the load cache failed" in caplog.text


def test_a_cache_filled_by_another_model_or_width_is_not_read(knowledge_copy, tmp_path):
    """The wheel's whole 256-dimension table, under an identity of its own, fills the cache: the engine's
    128-dimension model reads none of its vectors, rebuilds them, and answers as with no cache at all."""
    folder = package_folder()
    wide = Embedder(mapped_table(folder / WEIGHTS), lambda: read_tokenizer(folder / TOKENIZER), "wordllama/whole")
    assert wide.dim > DIMS
    shared.forget()
    filling = KnowledgeCache(tmp_path / "cache")
    Snapshot.build(Loader(knowledge_copy, cache=filling).load(), cache=filling, embedder=wide)
    assert filling.snapshot_stats["written"] == 1
    snapshot, cache = load(knowledge_copy, tmp_path / "cache")
    # The sheets' files hold no vectors (read); their analyses and the snapshot entry are the other model's.
    assert cache.stats["hits"] == len(sheets(knowledge_copy)) and cache.stats["misses"] == len(sheets(knowledge_copy))
    assert cache.snapshot_stats["misses"] == 1 and cache.snapshot_stats["written"] == 1
    assert snapshot.matcher.vectors is not None and snapshot.matcher.learned
    assert all(v.arrays()["q"].shape[1] == DIMS for v in snapshot.matcher.vectors)
    assert all(v.shape[1] == DIMS for v in snapshot.matcher.negatives.vectors)
    plain = Engine(Snapshot.load(KNOWLEDGE))
    for question in ("qui dirige nissan", "why did sales fall in 2019", "who is the CEO of Volkswagen?"):
        assert _key(Engine(snapshot).ask(question)) == _key(plain.ask(question)), question


def test_the_process_waits_at_exit_for_a_background_write_to_end(tmp_path):
    """A reload's snapshot entry begun just before a shutdown is written, not cut short by the exit."""
    target = tmp_path / "written"
    script = (
        "import time; from pathlib import Path; from engine.knowledge import writers; "
        f"target = Path({str(target)!r}); "
        "writers.start('test', target.parent, lambda: (time.sleep(0.5), target.write_text('done')))"
    )
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert target.read_text() == "done"


def test_waiting_at_exit_is_bounded_and_says_what_it_left(tmp_path, caplog):
    import threading

    from engine.knowledge import writers

    release = threading.Event()
    writers.start("stuck", tmp_path, release.wait)
    try:
        with caplog.at_level("WARNING", logger="alliance.cache"):
            assert writers.finish(timeout=0.05) is False
        assert "1 load-cache write(s) unfinished (cache-stuck)" in caplog.text
    finally:
        release.set()
    assert writers.finish(timeout=30) is True
    writers.wait(tmp_path)
