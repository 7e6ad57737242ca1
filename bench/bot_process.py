"""The bot as a member's server runs it: its memory at article size, and how soon the console answers.

Both are measured in fresh processes started from the project's folder: one that imports
discord.py, `bot.py` and its cogs, loads the knowledge and answers once (peak RSS), and
`python bot.py console` timed from its start to its first answer line.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import ROOT, run_json

_BOT_MEMORY = """
import importlib, json, pkgutil, resource, sys
import discord  # the bot holds discord.py whether or not a token is set
import bot
from engine.answering import Engine, Snapshot
cogs = []
try:
    import cogs as package
    for info in pkgutil.iter_modules(package.__path__):
        try:
            importlib.import_module(f"cogs.{info.name}")
            cogs.append(info.name)
        except Exception as exc:  # another engineer's cog in progress must not stop the measurement
            print(f"cog {info.name} not imported: {exc!r}", file=sys.stderr)
except ImportError:
    pass
import time
from engine.matching.semantic import default_embedder
started = time.perf_counter()
model = default_embedder()  # the embedding model, read from its wheel
model_s = time.perf_counter() - started
engine = Engine(Snapshot.load(sys.argv[1]))
engine.ask("Où s'est tenue la réunion de l'Alliance ?")
print(json.dumps({
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cogs": cogs,
    "model": model.identity if model else None,
    "model_load_s": model_s,
}))
"""


def bot_memory(knowledge: Path, timeout: float = 120) -> dict:
    """Peak RSS of a process holding discord.py, the bot module and its cogs, with the article's knowledge loaded."""
    return run_json(["-c", _BOT_MEMORY, str(knowledge)], timeout)


def console_first_answer(knowledge: Path, runs: int = 3, timeout: float = 60) -> dict:
    """Seconds from starting `python bot.py console` to the first answer line on its stdout (median of runs)."""
    question = "Où s'est tenue la réunion de l'Alliance ?\n"
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(KNOWLEDGE_DIR=str(knowledge), PYTHONUNBUFFERED="1", DISCORD_TOKEN="")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "bot.py", "console"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(question.encode())
        proc.stdin.close()
        seen = b""
        answered = None
        while time.perf_counter() - start < timeout:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
            prompt = seen.find(b"> ")
            if prompt >= 0 and b"\n" in seen[prompt + 2 :]:
                answered = time.perf_counter() - start
                break
        proc.kill()
        proc.wait()
        if answered is None:
            raise RuntimeError(f"bot.py console gave no answer; it printed: {seen[-500:]!r}")
        times.append(answered)
    return {"median_s": statistics.median(times), "runs": times}


def ask_first_answer(knowledge: Path, runs: int = 5, timeout: float = 60) -> dict:
    """Wall seconds of `python bot.py ask "qui dirige nissan"`, start to exit (its answer printed), median of runs.

    The process uses a private CACHE_DIR: the first run fills it (its time is reported apart, as
    the cache miss), the timed runs start from it, as every start after the first does.
    """
    cache = Path(tempfile.mkdtemp(prefix="bench-ask-cache-"))
    # The project's bytecode, as any installed package and any second start have it (PYTHONDONTWRITEBYTECODE,
    # set on some machines, would otherwise have every start compile the engine again); a start without
    # it, every module compiled, is reported apart.
    compileall.compile_dir(ROOT / "engine", quiet=1)
    compileall.compile_file(ROOT / "bot.py", quiet=1)
    empty = Path(tempfile.mkdtemp(prefix="bench-ask-nopyc-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "PYTHONPYCACHEPREFIX")}
    env.update(KNOWLEDGE_DIR=str(knowledge), CACHE_DIR=str(cache), JOURNAL_ENABLED="false", DISCORD_TOKEN="")
    cold = env | {"PYTHONPYCACHEPREFIX": str(empty), "PYTHONDONTWRITEBYTECODE": "1"}

    def once(environment: dict[str, str]) -> float:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "bot.py", "ask", "qui dirige nissan"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"bot.py ask failed ({done.returncode}): {done.stderr[-500:]!r}")
        return elapsed

    try:
        times = [once(env) for _ in range(runs + 1)]
        uncompiled = [once(cold) for _ in range(3)]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(empty, ignore_errors=True)
    return {
        "median_s": statistics.median(times[1:]),
        "runs": times[1:],
        "cache_miss_s": times[0],
        "no_bytecode_median_s": statistics.median(uncompiled),
    }
