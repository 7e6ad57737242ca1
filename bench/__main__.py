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
import subprocess
import sys
import time
from pathlib import Path

from bench import bot_process, generate, loadcache, measure, publish, report
from bench.budget import BUDGET_S, ENGINE_BUDGET_S, NAIVE_BUDGET_S, Budget
from bench.machine import machine
from bench.quality import quality
from bench.targets import summary, targets

SCALES = (1, 10, 100, 1000)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
        started = time.perf_counter()
        cache, filled = loadcache.ensure(folder, scale, knowledge)
        if filled["now"]:
            # Filling a size's cache happens once, like generating its folder: not charged to the run's budget.
            budget.exclude(time.perf_counter() - started)
            log(f"[{budget.elapsed():5.0f} s] {scale}x: load cache filled (cache-miss load {filled['load_s']:.1f} s)")
        facts = real_facts * scale
        per_fact = rows[0]["variants"] / rows[0]["facts"] if rows else 2 * generate.VARIANTS_PER_LANG
        plan = budget.plan(facts, int(facts * per_fact), questions, len(scales) - position - 1)
        log(f"[{budget.elapsed():5.0f} s] {scale}x ({facts:,} facts): {plan.mode}; {plan.note or 'everything timed'}")
        run = measure.SizeRun(
            folder=folder,
            scale=scale,
            mode=plan.mode,
            naive_cutoff=cutoff,
            engine_budget=ENGINE_BUDGET_S,
            naive_budget=NAIVE_BUDGET_S,
            naive_questions=plan.naive_questions,
            reindex=plan.reindex,
            knowledge=knowledge,
            cache=cache,
        )
        try:
            row = measure.measure_size_in_subprocess(run, timeout=max(600.0, budget.left() + 300))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            log(f"{scale}x could not be measured: {exc}")
            failed.append(f"{scale}x could not be measured: {str(exc).splitlines()[0]}")
            continue
        row["generated_s"] = generated_s
        row["load_miss_s"] = filled["load_s"]
        row["miss_when"] = None if filled["now"] else filled["when"]
        row["plan_note"] = plan.note
        budget.estimate(row)
        budget.learn(row)
        rows.append(row)
    return rows, failed


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
    console = bot_process.console_first_answer(knowledge)
    console["ask"] = bot_process.ask_first_answer(knowledge)
    bot = bot_process.bot_memory(knowledge)
    rows, failed = run_sizes(budget, cutoffs["naive"], knowledge, scales, questions)
    runtime = budget.elapsed()
    met = targets(qual, rows, bot, console, runtime)

    section = report.section(
        when=dt.datetime.now(dt.UTC),
        runtime=runtime,
        questions=questions,
        qual=qual,
        rows=rows,
        bot=bot,
        console=console,
        met=met,
        budget_s=args.budget,
        prepared_s=budget.excluded,
        failed=failed,
        machine=info,
    )
    print(section)
    print(f"\n{summary(met)}")
    if not args.no_write:
        raw = {"machine": info, "quality": [q.__dict__ for q in qual], "bot": bot, "console": console, "sizes": rows}
        written = publish.publish(section, rows, raw)
        log(f"wrote {', '.join(str(path.relative_to(publish.ROOT)) for path in written)}")
    log(f"total {budget.elapsed():.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
