"""Where a run's results go: bench/results.md, the plot (and its copy in docs/), the raw figures, the README section."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from bench.plot import plot

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PLOT = OUT / "latency.png"
DOCS_PLOT = ROOT / "docs" / "bench-latency.png"
RESULTS = HERE / "results.md"
README = ROOT / "README.md"
README_BEGIN, README_END = "<!-- bench:results -->", "<!-- /bench:results -->"


def publish(section: str, rows: list[dict], raw: dict) -> list[Path]:
    """Write every output of a run; returns the files meant to be read (the raw figures aside)."""
    plot(rows, PLOT)
    DOCS_PLOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PLOT, DOCS_PLOT)
    RESULTS.write_text(f"# Benchmark results\n\n{section}\n", encoding="utf-8")
    (OUT / "last-run.json").write_text(json.dumps(raw), encoding="utf-8")
    update_readme(section)
    return [RESULTS, PLOT, DOCS_PLOT]


def update_readme(section: str) -> None:
    """Replace what stands between the README's bench markers (left alone when it has none)."""
    if not README.exists():
        return
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if pattern.search(text):
        section = section.replace("](../docs/", "](docs/")  # the root README links from the top folder
        README.write_text(pattern.sub(lambda _: f"{README_BEGIN}\n{section}\n{README_END}", text), encoding="utf-8")
