"""`make bench`: the engine beside a naive fuzzy matcher and BM25, for quality, speed, memory and start-up.

Prints the tables and the targets met or missed, writes bench/results.md, the plot
bench/out/latency.png (copied to docs/bench-latency.png) and the last run's section of
the project's README.md. The machine is shared and noisy: figures are medians and ratios over
many questions, and the whole run keeps to a time budget (under five minutes on two
cores), measuring less (and saying so) where measuring more would not fit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import generate, measure
from bench.baselines import Bm25Matcher, NaiveMatcher, evaluate_baseline

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PLOT = OUT / "latency.png"
DOCS_PLOT = ROOT / "docs" / "bench-latency.png"
RESULTS = HERE / "results.md"
README = ROOT / "README.md"
README_BEGIN, README_END = "<!-- bench:results -->", "<!-- /bench:results -->"

SCALES = (1, 10, 100, 1000)
#: The whole run's budget in seconds (the spec's five minutes, with room for a slow moment).
BUDGET_S = 270.0
#: Time given to the engine's passes and to the naive baseline's at each size.
ENGINE_BUDGET_S = 4.0
NAIVE_BUDGET_S = 6.0
#: The fixed sample the naive baseline is timed on when all questions would not fit its budget.
NAIVE_SAMPLE = 50
NAIVE_MIN = 20

#: The targets of issue 5.
WELL_AHEAD = 0.05  # "well ahead": at least 5 points over each baseline, on accuracy and on abstention
P50_AT_1X_MS = 1.0
P99_AT_1000X_MS = 50.0
MAX_SLOPE = 1.0
MAX_RATIO = 3.0
RELOAD_AT_1000X_S = 2.0
BOT_RSS_MB = 120.0
RUN_S = 300.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total_kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "code": _commit(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu": cpu,
        "cores": f"{usable} usable of {os.cpu_count()}",
        "memory": memory,
        "load average at start": load,
    }


def _commit() -> str:
    """The commit measured, and whether the engine or the knowledge had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, no shell
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "engine", "knowledge", "bot.py", "cogs"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" with uncommitted changes to the engine, cogs or knowledge" if dirty else "")


@dataclass
class Quality:
    name: str
    cutoff: str
    accuracy: float
    abstention: float
    language: float


def quality(knowledge: Path) -> tuple[list[Quality], dict[str, float], int]:
    """The engine and both baselines (cutoffs tuned on the same questions) on the evaluation questions."""
    from engine.answering import Engine, Snapshot
    from engine.evaluation import evaluate

    snapshot = Snapshot.load(knowledge)
    engine = Engine(snapshot)
    cases = snapshot.kb.eval_questions
    report = evaluate(engine)
    rows = [
        Quality(
            "engine",
            f"answer >= {engine.answer_threshold}",
            report.accuracy,
            report.abstention,
            report.language,
        )
    ]
    cutoffs = {}
    for baseline in (NaiveMatcher(snapshot.kb), Bm25Matcher(snapshot.kb)):
        cutoff = baseline.tune(cases)
        cutoffs[baseline.name] = cutoff
        r = evaluate_baseline(baseline.ask, cases)
        label = "WRatio" if baseline.name == "naive" else "BM25 score"
        rows.append(Quality(baseline.name, f"{label} >= {cutoff:.4g}", r.accuracy, r.abstention, r.language))
    return rows, cutoffs, len(cases)


@dataclass
class Plan:
    mode: str
    naive_questions: int
    reindex: bool
    note: str = ""


class Budget:
    """The run's clock, and what the sizes measured so far predict of the next one."""

    def __init__(self, total_s: float) -> None:
        self.start = time.perf_counter()
        self.total_s = total_s
        self.parse_s_per_fact: float | None = None
        self.index_s_per_fact: float | None = None
        self.naive_ns_per_variant: float | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float:
        return self.total_s - self.elapsed()

    def learn(self, row: dict) -> None:
        facts, variants = row["facts"], row["variants"]
        if row["parse_s"] is not None:
            self.parse_s_per_fact = row["parse_s"] / facts
        self.index_s_per_fact = row["index_s"] / facts
        self.naive_ns_per_variant = row["naive"]["median_ms"] * 1e6 / variants

    def plan(self, facts: int, variants: int, questions: int, later: int) -> Plan:
        """How to measure a size within what is left, keeping ~25 s for each later size."""
        naive, naive_s = 0, 0.0  # 0: all the questions
        if self.naive_ns_per_variant is not None:
            per_question = self.naive_ns_per_variant * variants / 1e9
            naive_s = per_question * questions
            if naive_s > NAIVE_BUDGET_S:
                naive = NAIVE_SAMPLE if per_question * NAIVE_SAMPLE <= 2 * NAIVE_BUDGET_S else NAIVE_MIN
                naive_s = per_question * naive
        if self.parse_s_per_fact is None or self.index_s_per_fact is None:
            return Plan("full", naive, True)
        load = (self.parse_s_per_fact + self.index_s_per_fact) * facts
        index = self.index_s_per_fact * facts
        spare = self.left() - 25 * later - ENGINE_BUDGET_S - naive_s - 5
        # A reload beside a served snapshot runs slower than the first load (more memory to walk): ~1.3x.
        if 2.6 * load <= spare:
            return Plan("full", naive, True)
        if load <= spare:
            return Plan("load-only", naive, False, f"reload not timed (one load ~{load:.0f} s)")
        return Plan(
            "in-process",
            naive,
            3 * index <= spare,
            f"not parsed from YAML (a load would take ~{load:.0f} s of the {max(spare, 0):.0f} s left): "
            "facts built in process, index built and timed for real",
        )


def run_sizes(
    budget: Budget, cutoff: float, knowledge: Path, scales: tuple[int, ...], questions: int
) -> tuple[list[dict], list[str]]:
    """Each size measured in its own process; returns the rows, and what could not be measured."""
    rows: list[dict] = []
    failed: list[str] = []
    real_facts, _ = generate.real_facts_and_questions(knowledge)
    for position, scale in enumerate(scales):
        started = time.perf_counter()
        folder = generate.cached(scale, knowledge)
        generated_s = time.perf_counter() - started
        facts = real_facts * scale
        per_fact = rows[0]["variants"] / rows[0]["facts"] if rows else 2 * generate.VARIANTS_PER_LANG
        plan = budget.plan(facts, int(facts * per_fact), questions, len(scales) - position - 1)
        log(f"[{budget.elapsed():5.0f} s] {scale}x ({facts:,} facts): {plan.mode}; {plan.note or 'everything timed'}")
        try:
            row = measure.measure_size_in_subprocess(
                folder,
                scale,
                mode=plan.mode,
                naive_cutoff=cutoff,
                engine_budget=ENGINE_BUDGET_S,
                naive_budget=NAIVE_BUDGET_S,
                naive_questions=plan.naive_questions,
                reindex=plan.reindex,
                knowledge=knowledge,
                timeout=max(600.0, budget.left() + 300),
            )
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            log(f"{scale}x could not be measured: {exc}")
            failed.append(f"{scale}x could not be measured: {str(exc).splitlines()[0]}")
            continue
        row["generated_s"] = generated_s
        row["plan_note"] = plan.note
        _estimate(row, budget)
        budget.learn(row)
        rows.append(row)
    return rows, failed


def _estimate(row: dict, budget: Budget) -> None:
    """Fill in load and reload times not measured at this size, from the largest size that was; mark them."""
    row["estimated"] = []
    if row["load_s"] is None:
        parse = (budget.parse_s_per_fact or 0.0) * row["facts"]
        row["load_s"] = parse + row["index_s"]
        row["estimated"].append("load")
    if row["reload_s"] is None:
        parse = (budget.parse_s_per_fact or 0.0) * row["facts"] if row["parse_s"] is None else row["parse_s"]
        row["reload_s"] = parse + row.get("reindex_s", row["index_s"])
        row["estimated"].append("reload")


def _pooled(passes: list[list[int]], indices: list[int] | None = None) -> list[int]:
    return [p[i] for p in passes for i in (indices if indices is not None else range(len(p)))]


def ratio(row: dict) -> float:
    """Engine median / naive median, over the same questions (the naive baseline's sample, if any)."""
    naive = row["naive"]
    engine = _pooled(row["engine"]["passes_ns"], naive["questions"])
    return statistics.median(engine) / statistics.median(_pooled(naive["passes_ns"]))


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x): 1 is linear growth, below 1 slower."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _qps(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def _s(value: float, estimated: bool) -> str:
    text = f"{value:.2f}" if value < 10 else f"{value:.0f}"
    return f"~{text}" if estimated else text


def size_table(rows: list[dict]) -> str:
    head = (
        "| size | facts | variants | engine p50 ms | engine p99 ms | naive p50 ms | naive p99 ms | engine/naive "
        "| q/s engine / naive | engine acc / abst | load s | reload s (full / 1 sheet edited) "
        "| RSS MB (served / reloading) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        engine, naive = row["engine"], row["naive"]
        sampled = f" ({len(naive['questions'])} q)" if naive["sampled"] else ""
        q = row["quality"]
        edited = "n/a" if row["reload_edit_s"] is None else _s(row["reload_edit_s"], False)
        lines.append(
            f"| {row['scale']}x | {row['facts']:,} | {row['variants']:,} | {_ms(engine['median_ms'])} "
            f"| {_ms(engine['p99_ms'])} | {_ms(naive['median_ms'])}{sampled} | {_ms(naive['p99_ms'])} "
            f"| {_ratio(ratio(row))} | {_qps(engine['qps'])} / {_qps(naive['qps'])} "
            f"| {q['accuracy']:.1%} / {q['abstention']:.1%} "
            f"| {_s(row['load_s'], 'load' in row['estimated'])} "
            f"| {_s(row['reload_s'], 'reload' in row['estimated'])} / {edited} "
            f"| {row['rss_mb']:.0f} / {row['rss_reload_mb']:.0f} |"
        )
    return "\n".join(lines)


def quality_table(rows: list[Quality]) -> str:
    lines = [
        "| matcher | answers when | in-scope accuracy | out-of-scope abstention | reply language |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.name} | {r.cutoff} | {r.accuracy:.1%} | {r.abstention:.1%} | {r.language:.1%} |" for r in rows]
    return "\n".join(lines)


@dataclass
class Target:
    name: str
    value: str
    #: None: reported, with no target to meet.
    met: bool | None


def targets(qual: list[Quality], rows: list[dict], bot: dict, console: dict, runtime: float) -> list[Target]:
    engine, *baselines = qual
    by_scale = {row["scale"]: row for row in rows}
    result = []
    for metric in ("accuracy", "abstention"):
        margins = {b.name: getattr(engine, metric) - getattr(b, metric) for b in baselines}
        result.append(
            Target(
                f"quality: engine {metric} at least {WELL_AHEAD * 100:.0f} points ahead of each baseline",
                ", ".join(f"+{m * 100:.1f} pts vs {name}" for name, m in margins.items()),
                all(m >= WELL_AHEAD for m in margins.values()),
            )
        )
    if 1 in by_scale:
        p50 = by_scale[1]["engine"]["median_ms"]
        result.append(Target(f"1x: engine median < {P50_AT_1X_MS:g} ms", f"{p50:.3f} ms", p50 < P50_AT_1X_MS))
    if 1000 in by_scale:
        p99 = by_scale[1000]["engine"]["p99_ms"]
        result.append(Target(f"1000x: engine p99 < {P99_AT_1000X_MS:g} ms", f"{p99:.1f} ms", p99 < P99_AT_1000X_MS))
    if len(rows) >= 2:
        facts = [r["facts"] for r in rows]
        fit = slope(facts, [r["engine"]["median_ms"] for r in rows])
        last = slope(facts[-2:], [r["engine"]["median_ms"] for r in rows[-2:]])
        result.append(
            Target(
                f"engine cost grows no faster than linearly (log-log slope of p50 <= {MAX_SLOPE:g})",
                f"slope {fit:.2f} over all sizes ({last:.2f} between the two largest)",
                fit <= MAX_SLOPE,
            )
        )
    ratios = {r["scale"]: ratio(r) for r in rows}
    result.append(
        Target(
            f"engine median within {MAX_RATIO:g}x of the naive baseline's at every size",
            ", ".join(f"{s}x: {_ratio(v)}" for s, v in ratios.items()),
            all(v <= MAX_RATIO for v in ratios.values()),
        )
    )
    if 1000 in by_scale:
        row = by_scale[1000]
        est = " (estimated: see notes)" if "reload" in row["estimated"] else ""
        result.append(
            Target(
                f"1000x: reload < {RELOAD_AT_1000X_S:g} s, whole folder re-read (`Snapshot.load(dir)`)",
                f"{row['reload_s']:.1f} s{est}",
                row["reload_s"] < RELOAD_AT_1000X_S,
            )
        )
        edit = row["reload_edit_s"]
        result.append(
            Target(
                f"1000x: reload < {RELOAD_AT_1000X_S:g} s, incremental (the served snapshot's Loader and index "
                "reused, one sheet edited)",
                "not measured (no incremental API, or not loaded from YAML)" if edit is None else f"{edit:.2f} s",
                edit is not None and edit < RELOAD_AT_1000X_S,
            )
        )
    result.append(
        Target(f"bot memory at 1x < {BOT_RSS_MB:g} MB RSS", f"{bot['rss_mb']:.0f} MB", bot["rss_mb"] < BOT_RSS_MB)
    )
    result.append(
        Target("start to first answer in the console (no target)", f"{console['median_s']:.2f} s (median of 3)", None)
    )
    result.append(Target(f"the benchmark runs in under {RUN_S / 60:g} minutes", f"{runtime:.0f} s", runtime < RUN_S))
    return result


def _passes(count: int) -> str:
    return "one pass" if count == 1 else f"{count} passes"


def notes(rows: list[dict], budget_s: float, failed: list[str]) -> list[str]:
    lines = [
        "Latency is per question through `Engine.ask` (the naive baseline: its `extractOne` call), "
        "in a fresh process per size pinned to one core; the engine's cache of corrected words is emptied "
        "before each pass, so every pass meets the questions as new. Throughput is on that one core.",
        "engine/naive is the ratio of medians over the same questions; engine acc / abst is the engine's "
        "accuracy and abstention on the evaluation questions at that size (the synthetic facts are distractors).",
        "Reload, full: a second `Snapshot.load(dir)` in the warm process (every sheet read, validated and "
        "indexed again). Reload, 1 sheet edited: the engine's incremental path, `Snapshot.load(dir, loader=..., "
        "previous=...)` with the Loader and snapshot being served, after one fact sheet was edited.",
        "RSS is the process's peak: after loading and answering, then after the reloads, each built beside the "
        "served snapshot (both alive at once, as during `/facts reload`).",
    ]
    for row in rows:
        if row["naive"]["sampled"]:
            lines.append(
                f"{row['scale']}x: the naive baseline was timed on a fixed, evenly spread sample of "
                f"{len(row['naive']['questions'])} evaluation questions ({_passes(row['naive']['passes'])}); "
                "the ratio uses the engine's times on the same questions."
            )
        if row["estimated"]:
            what = " and ".join(row["estimated"])
            lines.append(
                f"{row['scale']}x: {row['plan_note'] or 'not timed'}; {what} time marked ~ = the largest size's "
                f"YAML parse time per fact x {row['facts']:,} facts + this size's index build "
                f"({row['index_s']:.1f} s, timed)."
            )
    lines += failed
    lines.append(f"Time budget of the whole run: {budget_s:.0f} s.")
    return lines


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    facts = [r["facts"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    ax.plot(facts, [r["engine"]["median_ms"] for r in rows], "o-", color="tab:blue", label="engine, median")
    ax.plot(facts, [r["engine"]["p99_ms"] for r in rows], "o--", color="tab:blue", alpha=0.6, label="engine, p99")
    ax.plot(facts, [r["naive"]["median_ms"] for r in rows], "s-", color="tab:orange", label="naive WRatio, median")
    ax.plot(facts, [r["naive"]["p99_ms"] for r in rows], "s--", color="tab:orange", alpha=0.6, label="naive, p99")
    ax.axhline(P99_AT_1000X_MS, color="grey", linestyle=":", linewidth=1)
    ax.text(
        facts[-1],
        P99_AT_1000X_MS * 1.1,
        f"p99 target at 1000x: {P99_AT_1000X_MS:g} ms",
        color="grey",
        fontsize=8,
        ha="right",
    )
    ax.axhline(P50_AT_1X_MS, color="grey", linestyle=":", linewidth=1)
    ax.text(
        facts[-1],
        P50_AT_1X_MS * 0.9,
        f"median target at 1x: {P50_AT_1X_MS:g} ms",
        color="grey",
        fontsize=8,
        ha="right",
        va="top",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(facts, [f"{r['scale']}x\n{r['facts']:,} facts" for r in rows])
    ax.minorticks_off()
    ax.set_ylabel("ms per question (one core)")
    ax.set_title("Answer latency against knowledge size")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, 0.93))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _update_readme(section: str) -> None:
    if not README.exists():
        return
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if pattern.search(text):
        section = section.replace("](../docs/", "](docs/")  # the root README links from the top folder
        README.write_text(pattern.sub(lambda _: f"{README_BEGIN}\n{section}\n{README_END}", text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default=",".join(map(str, SCALES)), help="sizes to measure (default 1,10,100,1000)")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds the whole run aims to fit in")
    parser.add_argument("--no-write", action="store_true", help="print only; write no results, plot or README")
    args = parser.parse_args(argv)
    scales = tuple(int(s) for s in args.scales.split(","))
    knowledge = generate.KNOWLEDGE
    budget = Budget(args.budget)
    info = machine()
    log(f"machine: {info['cpu']}, {info['cores']} cores, load {info['load average at start']}")

    log(f"[{budget.elapsed():5.0f} s] quality on the evaluation questions (engine, naive, bm25)")
    qual, cutoffs, questions = quality(knowledge)
    log(f"[{budget.elapsed():5.0f} s] console start to first answer, bot memory")
    console = measure.console_first_answer(knowledge)
    bot = measure.bot_memory(knowledge)
    rows, failed = run_sizes(budget, cutoffs["naive"], knowledge, scales, questions)
    runtime = budget.elapsed()
    met = targets(qual, rows, bot, console, runtime)

    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in info.items())
    target_lines = "\n".join(
        f"- {'' if t.met is None else '[x] ' if t.met else '[ ] '}{t.name}: {t.value}" for t in met
    )
    note_lines = "\n".join(f"- {n}" for n in notes(rows, args.budget, failed))
    section = f"""Last run: {date}, `make bench`, {runtime:.0f} s.

**Answer quality** on the {questions} evaluation questions \
(knowledge/eval/questions.yaml), article size. The baselines' cutoffs were tuned on these same questions \
(best accuracy + abstention); a baseline replies in its matched variant's language, in French when it abstains.

{quality_table(qual)}

**Speed and memory** against knowledge size (1x = the article's {rows[0]["facts"] if rows else "?"} facts; \
larger sizes add synthetic facts from bench/generate.py).

{size_table(rows)}

Bot process at 1x (discord.py, bot.py and its cogs imported, knowledge loaded, one answer): \
{bot["rss_mb"]:.0f} MB peak RSS. Start of `python bot.py console` to its first answer: \
{console["median_s"]:.2f} s (median of {len(console["runs"])}).

**Targets**

{target_lines}

**Notes**

{note_lines}

**Machine**

{machine_lines}

![Latency against knowledge size](../docs/bench-latency.png)"""
    print(section)
    missed = [t.name for t in met if t.met is False]
    scored = sum(t.met is not None for t in met)
    print(f"\ntargets met: {scored - len(missed)}/{scored}" + (f"; missed: {'; '.join(missed)}" if missed else ""))
    if not args.no_write:
        plot(rows, PLOT)
        DOCS_PLOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PLOT, DOCS_PLOT)
        RESULTS.write_text(f"# Benchmark results\n\n{section}\n", encoding="utf-8")
        raw = {"machine": info, "quality": [q.__dict__ for q in qual], "bot": bot, "console": console, "sizes": rows}
        (OUT / "last-run.json").write_text(json.dumps(raw), encoding="utf-8")
        _update_readme(section)
        log(f"wrote {RESULTS.relative_to(ROOT)}, {PLOT.relative_to(ROOT)}, {DOCS_PLOT.relative_to(ROOT)}")
    log(f"total {budget.elapsed():.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
