"""The report's text: the quality and size tables, the notes, and the markdown section they make up.

The same section is printed, written to bench/results.md and put in the project's README.md.
"""

from __future__ import annotations

import datetime as dt

from bench.numbers import fmt_ms, fmt_qps, fmt_ratio, fmt_s, p99_same_as_naive_ms, ratio
from bench.quality import Quality
from bench.targets import Target


def _load(row: dict) -> str:
    """Cold start: cache miss (`†` when timed by the run that filled the cache) / cache hit (this run)."""
    miss = row.get("load_miss_s")
    miss_text = "n/a" if miss is None else fmt_s(miss, False) + ("†" if row.get("miss_when") else "")
    hit = "n/a" if row.get("cache_stats") is None else fmt_s(row["load_s"], "load" in row["estimated"])
    return f"{miss_text} / {hit}"


def size_table(rows: list[dict]) -> str:
    head = (
        "| size | facts | variants | engine p50 ms | engine p99 ms | first pass p50 / p99 ms "
        "| engine p99 ms, naive's questions and passes | naive p50 ms | naive p99 ms | engine/naive "
        "| q/s engine / naive | engine acc / abst | cold load s (cache miss / hit) "
        "| reload s (full, cache hit / 1 sheet edited) | RSS MB (served / reloading) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        engine, naive = row["engine"], row["naive"]
        first = engine.get("first_pass") or engine
        sampled = f" ({len(naive['questions'])} q, {_passes(naive['passes'])})" if naive["sampled"] else ""
        q = row["quality"]
        edited = "n/a" if row["reload_edit_s"] is None else fmt_s(row["reload_edit_s"], False)
        lines.append(
            f"| {row['scale']}x | {row['facts']:,} | {row['variants']:,} | {fmt_ms(engine['median_ms'])} "
            f"| {fmt_ms(engine['p99_ms'])} | {fmt_ms(first['median_ms'])} / {fmt_ms(first['p99_ms'])} "
            f"| {fmt_ms(p99_same_as_naive_ms(row))} "
            f"| {fmt_ms(naive['median_ms'])}{sampled} | {fmt_ms(naive['p99_ms'])} "
            f"| {fmt_ratio(ratio(row))} | {fmt_qps(engine['qps'])} / {fmt_qps(naive['qps'])} "
            f"| {q['accuracy']:.1%} / {q['abstention']:.1%} "
            f"| {_load(row)} "
            f"| {fmt_s(row['reload_s'], 'reload' in row['estimated'])} / {edited} "
            f"| {row['rss_mb']:.0f} / {row['rss_reload_mb']:.0f} |"
        )
    return "\n".join(lines)


def quality_table(rows: list[Quality]) -> str:
    lines = [
        "| questions | matcher | answers when | in-scope accuracy | out-of-scope abstention | reply language |",
        "|---|---|---|---|---|---|",
    ]
    names = {"holdout": "holdout (held out)", "questions": "questions (tuning set)"}
    lines += [
        f"| {names.get(r.questions, r.questions)} | {r.name} | {r.cutoff} | {r.accuracy:.1%} | {r.abstention:.1%} "
        f"| {r.language:.1%} |"
        for r in rows
    ]
    return "\n".join(lines)


def _ask_line(console: dict) -> str:
    ask = console.get("ask")
    if not ask:
        return ""
    return (
        f' `python bot.py ask "qui dirige nissan"`, start to exit: {ask["median_s"]:.2f} s (median of '
        f"{len(ask['runs'])}, load cache filled and the project's bytecode compiled; the first run, filling the cache: "
        f"{ask['cache_miss_s']:.2f} s; without bytecode, every module compiled at start: "
        f"{ask.get('no_bytecode_median_s', float('nan')):.2f} s, median of 3)."
    )


def _passes(count: int) -> str:
    return "one pass" if count == 1 else f"{count} passes"


def notes(rows: list[dict], budget_s: float, failed: list[str], prepared_s: float = 0.0) -> list[str]:
    lines = [
        "Latency is per question through `Engine.ask` (the naive baseline: its `extractOne` call), "
        "in a fresh process per size pinned to one core; the engine's cache of corrected words is emptied "
        "before each pass, so every pass meets the questions as new. Throughput is on that one core.",
        "engine/naive is the ratio of medians over the same questions; engine acc / abst is the engine's "
        "accuracy and abstention on the evaluation questions at that size (the synthetic facts are distractors).",
        "First pass: the engine's times on the first pass alone (each question met for the first time, every "
        "memo cold); the p50 / p99 columns pool every pass. The engine's p99 over the naive baseline's questions "
        "and number of passes is the figure to compare with the naive p99.",
        "Cold load, cache miss: a fresh process, empty load cache (CACHE_DIR): every sheet parsed, validated, "
        "analysed, written to the cache, then indexed; † = timed by the earlier run that filled the cache (date "
        "below). Cache hit: this run's measuring process, a fresh one, loading from that filled cache. Both exclude "
        "the embedding model's load (reported apart) and the interpreter's imports.",
        "Reload, full: a new Loader in the warm process (every sheet looked up again, from the load cache). "
        "Reload, 1 sheet edited: the engine's incremental path, `Snapshot.load(dir, loader=..., previous=...)` "
        "with the Loader and snapshot being served, after one fact's answer was edited: the first reload of a "
        "process started from the cache (the reload serves the new snapshot at once; its snapshot entry and the "
        "new words' token ids are then written to the cache by threads of their own, which the full reload, "
        "measured next, waits for first).",
        "RSS is the process's peak: after loading and answering, then after the reloads, each built beside the "
        "served snapshot (both alive at once, as during `/facts reload`).",
    ]
    parts = [
        f"{row['scale']}x {row['rss_now']['anon']:.0f} / {row['rss_now']['file']:.0f}"
        for row in rows
        if {"anon", "file"} <= set(row.get("rss_now") or {})
    ]
    if parts:
        lines.append(
            "Resident memory after answering, by kind, MB anonymous (the process's own) / file-backed (pages of "
            "mapped files: the snapshot entry's centroids and postings, the embedding table, shared libraries; page "
            "cache, shared and reclaimable, yet counted in RSS; the entry's fact rows are read with preadv, not "
            "through the map, see filerows.py): " + ", ".join(parts) + "."
        )
    waits = [f"{row['scale']}x {row['edit_entry_write_s']:.1f} s" for row in rows if row.get("edit_entry_write_s")]
    if waits:
        lines.append(
            "The edit's snapshot entry and token ids, still being written when the incremental reload returned: "
            + ", ".join(waits)
            + "."
        )
    for row in rows:
        if "long" in row:
            kinds = ", ".join(f"{kind} {ms:.1f}" for kind, ms in row["long"]["by_kind_ms"].items())
            lines.append(
                f"{row['scale']}x, questions of 4,000 characters (bench/long_questions.py; the slowest of "
                f"{row['long']['repeats']} asks, the memo of corrections emptied each time), in ms: {kinds}."
            )
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
        if row.get("miss_when"):
            lines.append(f"{row['scale']}x: cache-miss load timed when its cache was filled, {row['miss_when']}.")
        stats = row.get("cache_stats")
        if stats and stats.get("misses"):
            lines.append(f"{row['scale']}x: the cache-hit load missed {stats['misses']} file(s): not a pure hit.")
    lines += failed
    prepared = f", plus {prepared_s:.0f} s filling load caches once (not charged)" if prepared_s >= 1 else ""
    lines.append(f"Time budget of the whole run: {budget_s:.0f} s{prepared}.")
    return lines


def section(
    *,
    when: dt.datetime,
    runtime: float,
    questions: int,
    qual: list[Quality],
    rows: list[dict],
    bot: dict,
    console: dict,
    met: list[Target],
    budget_s: float,
    failed: list[str],
    machine: dict[str, str],
    prepared_s: float = 0.0,
) -> str:
    """The markdown section of a run: quality, speed and memory, targets, notes, machine and the plot."""
    date = when.strftime("%Y-%m-%d %H:%M UTC")
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in machine.items())
    target_lines = "\n".join(
        f"- {'' if t.met is None else '[x] ' if t.met else '[ ] '}{t.name}: {t.value}" for t in met
    )
    note_lines = "\n".join(f"- {n}" for n in notes(rows, budget_s, failed, prepared_s))
    return f"""Last run: {date}, `make bench`, {runtime:.0f} s.

**Answer quality** at article size, on the {questions} held-out questions (knowledge/eval/holdout.yaml: the \
engine's decision was never fitted on them, the baselines' cutoffs never tuned on them) and on the tuning set \
(knowledge/eval/questions.yaml: the baselines' cutoffs were tuned there, best accuracy + abstention, and the \
engine's decision fitted on it among others: in-sample for all). A baseline replies in its matched variant's \
language, in French when it abstains.

{quality_table(qual)}

**Speed and memory** against knowledge size (1x = the article's {rows[0]["facts"] if rows else "?"} facts; \
larger sizes add synthetic facts from bench/generate.py).

{size_table(rows)}

Bot process at 1x (discord.py, bot.py and its cogs imported, knowledge loaded, one answer): \
{bot["rss_mb"]:.0f} MB peak RSS. Start of `python bot.py console` to its first answer: \
{console["median_s"]:.2f} s (median of {len(console["runs"])}).{_ask_line(console)}

**Targets**

{target_lines}

**Notes**

{note_lines}

**Machine**

{machine_lines}

![Latency against knowledge size](../docs/bench-latency.png)"""
