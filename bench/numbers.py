"""Figures derived from the measured rows (engine/naive ratio, growth slope), and how the report writes numbers."""

from __future__ import annotations

import math
import statistics


def _pooled(passes: list[list[int]], indices: list[int] | None = None) -> list[int]:
    return [p[i] for p in passes for i in (indices if indices is not None else range(len(p)))]


def same_as_naive(row: dict) -> list[int]:
    """The engine's times on the naive baseline's questions (its sample, if any) and in as many passes."""
    naive = row["naive"]
    return _pooled(row["engine"]["passes_ns"][: naive["passes"]], naive["questions"])


def ratio(row: dict) -> float:
    """Engine median / naive median, over the same questions and the same number of passes."""
    return statistics.median(same_as_naive(row)) / statistics.median(_pooled(row["naive"]["passes_ns"]))


def p99_same_as_naive_ms(row: dict) -> float:
    """The engine's p99 over the naive baseline's questions and passes (nearest rank), in ms."""
    ordered = sorted(same_as_naive(row))
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] / 1e6


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x): 1 is linear growth, below 1 slower."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def fmt_ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_qps(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def fmt_s(value: float, estimated: bool) -> str:
    """Seconds, marked ~ when extrapolated rather than timed."""
    text = f"{value:.2f}" if value < 10 else f"{value:.0f}"
    return f"~{text}" if estimated else text
