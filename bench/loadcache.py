"""Each size's load cache (engine/knowledge/cache.py), filled once and reused, like the generated folders.

Filling it is a cold start with an empty cache: every sheet parsed and analysed, then
written. That is the "cache miss" load; it is timed in a fresh process pinned to one core
when the cache is filled, and recorded beside the files (`filled.json`), so a run that
finds the cache filled reports the miss figure of the run that filled it (and says so).
A cache written by other code (the engine's cache digest changed) is filled again.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from bench.generate import OUT, fingerprint
from bench.measure import cache_code, run_json

RECORD = "filled.json"


def ensure(folder: Path, scale: int, knowledge: Path, timeout: float = 1800) -> tuple[Path, dict]:
    """The filled cache of `folder`, and the record of its filling (`load_s`, `when`, `now`: filled by this run)."""
    code = cache_code()
    cache = OUT / f"cache-x{scale}-{fingerprint(knowledge)}"
    record = cache / RECORD
    if record.exists():
        try:
            found = json.loads(record.read_text(encoding="utf-8"))
        except ValueError:
            found = {}
        if found.get("code") == code and found.get("folder") == str(folder):
            return cache, {**found, "now": False}
    for stale in OUT.glob(f"cache-x{scale}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    partial = OUT / f".partial-cache-x{scale}"
    shutil.rmtree(partial, ignore_errors=True)
    filled = run_json(["-m", "bench.measure", "fill", "--dir", str(folder), "--cache", str(partial)], timeout)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    filled.update(code=code, folder=str(folder), when=when)
    (partial / RECORD).write_text(json.dumps(filled), encoding="utf-8")
    partial.rename(cache)
    return cache, {**filled, "now": True}
