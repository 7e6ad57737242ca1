"""Latency, throughput, load and reload time, memory and start-up, measured the way members feel them.

Each knowledge size is measured in a fresh process pinned to one core (`python -m
bench.measure size ...`, which prints one JSON object), so sizes do not pollute each
other's memory or caches. In that process: load (parse and validate, then index), time
every evaluation question through `Engine.ask` over several passes (at 1x, also the worst
4,000-character questions, see long_questions.py), read the peak RSS,
reload (a second `Snapshot.load` swapped in, as `/facts reload` does) and read the peak
again, then time the naive baseline on the same questions (a fixed sample when the
whole set would not fit the time budget).

The engine keeps a cache of corrected words; it is emptied before every pass, so each
pass sees the questions as new ones (the honest case for a member's new question).
When loading a size for real would not fit the time budget, its facts are built in
process from the generator (the same facts the folder holds), the index is built and
timed for real, and the load and reload times are extrapolated from the largest size
loaded for real; the report marks such figures as estimates.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
MAX_PASSES = 30


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of unsorted values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def stats_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(samples_ns) / 1e6,
        "p99_ms": percentile(samples_ns, 0.99) / 1e6,
        "n": len(samples_ns),
    }


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_parts() -> dict[str, float]:
    """This process's resident memory now, in MB, by kind (Linux): anonymous (its own heap) and file-backed
    (pages of mapped files, such as the load cache's snapshot entry: page cache, shared and reclaimable)."""
    found: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("RssAnon", "RssFile"):
                    found[name[3:].lower()] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return found


def pin_one_core() -> int | None:
    """Run on one core only, the last one this process may use; returns it (None where unsupported)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def time_passes(
    ask: Callable[[str], object],
    questions: Sequence[str],
    *,
    budget_s: float,
    max_passes: int = MAX_PASSES,
    before_pass: Callable[[], None] | None = None,
) -> tuple[list[list[int]], float, list[object]]:
    """Per-question times (ns) of whole passes over `questions`, as many as fit `budget_s` (one at least).

    Returns the passes, the wall time they took (for the throughput) and the first pass's replies.
    """
    passes: list[list[int]] = []
    replies: list[object] = []
    wall = 0.0
    clock = time.perf_counter_ns
    while len(passes) < max_passes and (not passes or wall + wall / len(passes) <= budget_s):
        if before_pass:
            before_pass()
        times = []
        start = clock()
        for question in questions:
            t0 = clock()
            reply = ask(question)
            times.append(clock() - t0)
            if not passes:
                replies.append(reply)
        wall += (clock() - start) / 1e9
        passes.append(times)
    return passes, wall, replies


def timings(passes: list[list[int]], wall: float, questions: int) -> dict:
    """Median and p99 over all passes, the first pass alone (the questions met for the first time, every
    memo cold) and the later ones (warm), the passes themselves, and the throughput over `wall` seconds."""
    return {
        **stats_ms([t for p in passes for t in p]),
        "first_pass": stats_ms(passes[0]),
        "warm": stats_ms([t for p in passes[1:] for t in p]) if len(passes) > 1 else None,
        "passes": len(passes),
        "qps": len(passes) * questions / wall,
        "passes_ns": passes,
    }


def _clear_cache(snapshot) -> None:
    """Empty the engine's memos of one question's work: its corrected words (an lru_cache on its Speller)
    and its words' vectors (the embedder's question memo), so that a pass meets the questions as new."""
    speller = getattr(snapshot.matcher, "speller", None)
    clear = getattr(getattr(speller, "correct", None), "cache_clear", None)
    if clear:
        clear()
    embedder = getattr(snapshot.matcher, "embedder", None)
    if isinstance(getattr(embedder, "_asked", None), dict):
        embedder._asked = {}


def _in_process_kb(scale: int, knowledge: Path):
    """The knowledge base of a generated folder, built without parsing YAML: the real base plus generated facts."""
    from bench.generate import synthetic_for_scale
    from engine.knowledge.loader import load_knowledge
    from engine.knowledge.model import Fact

    kb = load_knowledge(knowledge)
    _, generated = synthetic_for_scale(scale, knowledge)
    extra = tuple(
        Fact(
            id=f["id"],
            topic=f["topic"],
            source=f["source"],
            quote=f["quote"],
            questions=MappingProxyType({lang: tuple(qs) for lang, qs in f["questions"].items()}),
            answer=MappingProxyType(dict(f["answer"])),
            keywords=tuple(f["keywords"]),
            file="(generated in process)",
        )
        for f in generated
    )
    facts = kb.facts + extra
    return dataclasses.replace(kb, facts=facts)


def _loader_api():
    """The engine's incremental reload, when it has one: (Loader class, Snapshot.load takes loader/previous)."""
    import inspect

    from engine.answering import Snapshot
    from engine.knowledge import loader as loader_module

    params = inspect.signature(Snapshot.load).parameters
    loader_class = getattr(loader_module, "Loader", None)
    return loader_class if loader_class is not None and {"loader", "previous"} <= set(params) else None


def _settle(folder: Path) -> None:
    """Wait until every file under `folder` is old enough for its signature to stand (a copy is new)."""
    from engine.knowledge.fingerprints import SETTLED_S

    newest = max((p.stat().st_ctime for p in folder.rglob("*") if p.is_file()), default=0.0)
    time.sleep(max(0.0, newest + SETTLED_S + 0.1 - time.time()))


def _edit_one_sheet(folder: Path) -> str:
    """What a moderator does before `/facts reload`: change one fact of one sheet (its English answer).

    A real edit: the fact is analysed again and the snapshot rebuilt around it. (A comment alone
    would cost nothing: a sheet whose facts say the same is not analysed again.)
    """
    sheet = sorted((folder / "facts").glob("*.yaml"))[-1]
    text = sheet.read_text(encoding="utf-8")
    marker = '\n      en: "'
    at = text.find(marker, text.find("\n    answer:"))
    if at < 0:
        raise ValueError(f"{sheet}: no English answer to edit")
    at += len(marker)
    sheet.write_text(text[:at] + "Edited by the benchmark: " + text[at:], encoding="utf-8")
    return sheet.name


@dataclasses.dataclass(frozen=True)
class SizeRun:
    """One size to measure, and how: the same whether measured in this process or handed to a fresh one."""

    folder: Path
    scale: int
    #: full, load-only or in-process (see the module's docstring).
    mode: str
    naive_cutoff: float
    engine_budget: float
    naive_budget: float
    #: A fixed sample of this many questions for the naive baseline (0: all of them).
    naive_questions: int
    #: In-process mode: rebuild the index beside the served one (the memory of a reload).
    reindex: bool
    knowledge: Path
    #: The size's filled load cache (see `ensure_cache`); None: measured without one.
    cache: Path | None = None

    def argv(self) -> list[str]:
        """The arguments of `python -m bench.measure size` that measure this size."""
        options = {
            "--dir": self.folder,
            "--scale": self.scale,
            "--mode": self.mode,
            "--naive-cutoff": self.naive_cutoff,
            "--engine-budget": self.engine_budget,
            "--naive-budget": self.naive_budget,
            "--naive-questions": self.naive_questions,
        }
        flags = [part for option, value in options.items() for part in (option, str(value))]
        reindex = "--reindex" if self.reindex else "--no-reindex"
        cache = ["--cache", str(self.cache)] if self.cache is not None else []
        return ["-m", "bench.measure", "size", *flags, reindex, "--knowledge", str(self.knowledge), *cache]


def measure_size(run: SizeRun) -> dict:
    """Everything measured at one size, in this process."""
    from engine.answering import Engine, Snapshot
    from engine.evaluation.questions import EvalReport, Outcome
    from engine.knowledge.loader import load_knowledge

    core = pin_one_core()
    result: dict = {"scale": run.scale, "mode": run.mode, "core": core, "folder": str(run.folder)}
    loader_class = _loader_api()
    result["incremental_api"] = loader_class is not None
    loader = None
    clone = cache_copy = None
    cache = None
    gc.collect()
    from engine.matching.semantic import default_embedder

    default_embedder()  # the model's load is reported apart (bot_process), not as the knowledge's
    # Load and build as `Snapshot.load` does: one bulk step with the collector paused, the first one frozen.
    with _bulk():
        if run.mode == "in-process":
            kb = _in_process_kb(run.scale, run.knowledge)
            result["parse_s"] = None
        else:
            # A private copy, so a sheet can be edited for the incremental reload without touching the original;
            # the filled cache linked into a private folder (a rewritten file replaces its link, not the original).
            clone = Path(tempfile.mkdtemp(prefix=f"bench-x{run.scale}-"))
            shutil.copytree(run.folder, clone, dirs_exist_ok=True)
            if run.cache is not None:
                cache_copy = Path(tempfile.mkdtemp(prefix=f"bench-cache-x{run.scale}-"))
                shutil.copytree(run.cache, cache_copy, dirs_exist_ok=True, copy_function=os.link)
                cache = _cache(cache_copy)
            # The copy's files as a deployed bot's are: older than a signature needs (fingerprints.SETTLED_S, by
            # their change time, which a copy makes new), so the edit reload below reads only the edited sheet.
            _settle(clone)
            # This fresh process's first load, from the filled cache: the cold start with the cache (a hit).
            t0 = time.perf_counter()
            if loader_class is not None:
                loader = loader_class(clone, **({"cache": cache} if cache is not None else {}))
                kb = loader.load()
            else:
                kb = load_knowledge(clone)
            result["parse_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        snapshot = Snapshot.build(kb, **({"cache": cache} if cache is not None else {}))
        result["index_s"] = time.perf_counter() - t1
    result["cache_stats"] = dict(cache.stats) if cache is not None else None
    result["load_s"] = result["parse_s"] + result["index_s"] if result["parse_s"] is not None else None
    result["facts"] = len(kb.facts)
    result["variants"] = sum(len(q) for f in kb.facts for q in f.questions.values())
    engine = Engine(snapshot)
    cases = kb.eval_questions
    questions = [c.q for c in cases]

    # Warm the code paths with the facts' own questions, not the ones timed.
    for fact in kb.facts[:20]:
        engine.ask(fact.questions["fr"][0])
    passes, wall, replies = time_passes(
        engine.ask, questions, budget_s=run.engine_budget, before_pass=lambda: _clear_cache(engine.snapshot)
    )
    result["engine"] = timings(passes, wall, len(questions))
    report = EvalReport(tuple(Outcome(case, reply) for case, reply in zip(cases, replies, strict=True)))
    result["quality"] = {"accuracy": report.accuracy, "abstention": report.abstention, "language": report.language}
    if run.scale == 1:
        from bench import long_questions

        result["long"] = long_questions.measure(engine)
    result["rss_mb"] = rss_mb()
    result["rss_now"] = rss_parts()

    gc.collect()
    result["reload_s"] = result["reload_edit_s"] = None
    if loader is not None and clone is not None:
        # The incremental path: the Loader that loaded the served snapshot, and that snapshot, after one sheet
        # was edited (facts and analyses of the other sheets are reused).
        result["edited_sheet"] = _edit_one_sheet(clone)
        gc.collect()
        t0 = time.perf_counter()
        engine.swap(Snapshot.load(clone, loader=loader, previous=engine.snapshot))
        result["reload_edit_s"] = time.perf_counter() - t0
    if run.mode == "full":
        # A reload without the incremental path: a new Loader, so every sheet is looked up again (in the
        # cache, when there is one: the full reload with the cache; without it, every sheet parsed again).
        # The edit's snapshot entry, written by a thread of its own while the bot serves, is finished first:
        # a full reload then finds the cache as it stands between two edits, not half written.
        if cache is not None:
            t0 = time.perf_counter()
            cache.wait()
            result["edit_entry_write_s"] = time.perf_counter() - t0
        gc.collect()
        t0 = time.perf_counter()
        if cache_copy is not None:
            fresh = _cache(cache_copy)
            engine.swap(Snapshot.load(clone, loader=loader_class(clone, cache=fresh)))
            result["reload_cache_stats"] = dict(fresh.stats)
        else:
            engine.swap(Snapshot.load(clone))
        result["reload_s"] = time.perf_counter() - t0
    elif run.mode == "in-process" and run.reindex:
        # Rebuild the index beside the old one: the memory of a reload, and its indexing share of the time.
        t0 = time.perf_counter()
        engine.swap(Snapshot.build(kb))
        result["reindex_s"] = time.perf_counter() - t0
    gc.collect()
    result["rss_reload_mb"] = rss_mb()
    for folder in (clone, cache_copy):
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    result["naive"] = _measure_naive(engine.snapshot.kb, questions, run)
    return result


def _bulk():
    """The engine's bulk-load guard for the garbage collector, when it has one."""
    try:
        from engine.knowledge.gcpause import paused
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return paused()


def _cache(folder: Path):
    from engine.knowledge.cache import KnowledgeCache

    return KnowledgeCache(folder)


def cache_code() -> str:
    """The digest of the code the cache files depend on: a filled cache of other code is stale."""
    return _cache(Path(tempfile.gettempdir()))._code


def fill(folder: Path, cache: Path) -> dict:
    """A cold start with an empty cache (a miss: every sheet parsed and analysed, then written), in this process."""
    from engine.answering import Snapshot, save_token_ids
    from engine.knowledge.loader import Loader
    from engine.matching.semantic import default_embedder

    pin_one_core()
    default_embedder()  # the model's load is not the knowledge's
    gc.collect()
    store = _cache(cache)
    t0 = time.perf_counter()
    # Load and build as `Snapshot.load` does: one bulk step with the collector paused, the first one frozen
    # (two pauses would end the build with a collection walking everything it made, which no start does).
    with _bulk():
        loader = Loader(folder, cache=store)
        kb = loader.load()
        parse = time.perf_counter() - t0
        Snapshot.build(kb, cache=store)
    # And write what it leaves in the cache, as a first start does: the words' token ids (which the measured
    # process then reads, at its first question, as a start from the cache does).
    save_token_ids()
    total = time.perf_counter() - t0
    return {"load_s": total, "parse_s": parse, "index_s": total - parse, "stats": store.stats, "rss_mb": rss_mb()}


def naive_sample(count: int, size: int) -> list[int]:
    """A fixed, evenly spread sample of `size` of `count` evaluation questions (all of them when size >= count)."""
    if size <= 0 or size >= count:
        return list(range(count))
    return sorted({round(i * count / size) for i in range(size)})


def _measure_naive(kb, questions: list[str], run: SizeRun) -> dict:
    from bench.baselines import NaiveMatcher

    naive = NaiveMatcher(kb, run.naive_cutoff)
    chosen = naive_sample(len(questions), run.naive_questions)
    passes, wall, _ = time_passes(naive.ask, [questions[i] for i in chosen], budget_s=run.naive_budget)
    return {
        **timings(passes, wall, len(chosen)),
        "questions": chosen,
        "sampled": len(chosen) < len(questions),
    }


def run_json(args: list[str], timeout: float) -> dict:
    """Run this interpreter with `args` from the project's folder; the last line it prints, as JSON."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_size_in_subprocess(run: SizeRun, timeout: float) -> dict:
    """`measure_size` in a fresh interpreter, so each size starts from the same empty process."""
    return run_json(run.argv(), timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    sub = parser.add_subparsers(dest="command", required=True)
    size = sub.add_parser("size", help="measure one knowledge size in this process and print JSON")
    size.add_argument("--dir", type=Path, required=True)
    size.add_argument("--scale", type=int, required=True)
    size.add_argument("--mode", choices=("full", "load-only", "in-process"), default="full")
    size.add_argument("--naive-cutoff", type=float, required=True)
    size.add_argument("--engine-budget", type=float, default=4.0)
    size.add_argument("--naive-budget", type=float, default=5.0)
    size.add_argument("--naive-questions", type=int, default=0, help="a fixed sample of this many (0: all)")
    size.add_argument("--reindex", action=argparse.BooleanOptionalAction, default=True)
    size.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    size.add_argument("--cache", type=Path, default=None, help="a filled load cache (copied, never written)")
    filling = sub.add_parser("fill", help="a cold start into an empty load cache; prints its times as JSON")
    filling.add_argument("--dir", type=Path, required=True)
    filling.add_argument("--cache", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "fill":
        print(json.dumps(fill(args.dir, args.cache)))
        return 0
    run = SizeRun(
        folder=args.dir,
        scale=args.scale,
        mode=args.mode,
        naive_cutoff=args.naive_cutoff,
        engine_budget=args.engine_budget,
        naive_budget=args.naive_budget,
        naive_questions=args.naive_questions,
        reindex=args.reindex,
        knowledge=args.knowledge,
        cache=args.cache,
    )
    result = measure_size(run)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
