"""The figure: answer latency of the engine and the naive baseline against knowledge size, with the targets."""

from __future__ import annotations

from pathlib import Path

from bench.targets import P50_AT_1X_MS, P99_AT_1000X_MS


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
    _target_line(ax, facts[-1], P99_AT_1000X_MS, f"p99 target at 1000x: {P99_AT_1000X_MS:g} ms", above=True)
    _target_line(ax, facts[-1], P50_AT_1X_MS, f"median target at 1x: {P50_AT_1X_MS:g} ms", above=False)
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


def _target_line(ax, x: float, y: float, label: str, *, above: bool) -> None:
    """A dotted grey line at a target, labelled just above it or just below it, right-aligned at x."""
    ax.axhline(y, color="grey", linestyle=":", linewidth=1)
    placement = {} if above else {"va": "top"}
    ax.text(x, y * (1.1 if above else 0.9), label, color="grey", fontsize=8, ha="right", **placement)
