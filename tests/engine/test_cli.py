"""The terminal front ends, run as a member or a script would run them."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from engine import cli

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"question", "kind", "understood", "answered", "lang", "fact_id", "score", "answer", "source", "suggestions"}


def run_bot(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | (env or {})
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def test_ask_json_reads_stdin_one_object_a_line_in_order():
    questions = ["qui dirige nissan", "", "Who is the CEO of Volkswagen?", "merci !", "quelle est la capitale du Pérou"]
    result = run_bot("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)  # a blank line gets its (unanswered) object too: lines pair up
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions
    for o in objects:
        assert set(o) == KEYS
        assert o["lang"] in ("fr", "en") and 0 <= o["score"] <= 100
        assert isinstance(o["suggestions"], list)
    first = objects[0]
    assert first["answered"] is True and first["fact_id"] == "leader-uchida"
    assert first["source"]["date"] == "2019-12" and "Makoto Uchida" in first["source"]["quote"]
    assert {"title", "date", "quote"} <= set(first["source"])
    for o in objects[1:]:
        assert o["answered"] is False and o["fact_id"] is None and o["answer"] is None and o["source"] is None


def test_ask_json_survives_bytes_that_are_not_utf8():
    result = subprocess.run(
        [sys.executable, "bot.py", "ask", "--json"],
        cwd=ROOT,
        input=b"qui dirige nissan\n\xff\xfe\nwho runs nissan\r\n",
        capture_output=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | {"PYTHONIOENCODING": "utf-8:strict"},
    )
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [o["fact_id"] for o in objects] == ["leader-uchida", None, "leader-uchida"]
    assert objects[1]["question"] == "\ufffd\ufffd"


def test_ask_json_with_arguments_and_unicode():
    result = run_bot("ask", "--json", "Où s’est tenue la réunion ?", "ghosn trial")
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["fact_id"] for o in objects] == ["meeting-place", "ghosn-trial"]
    assert [o["lang"] for o in objects] == ["fr", "en"]
    assert all(s.keys() == {"fact_id", "question", "score"} for o in objects for s in o["suggestions"])


def test_ask_prints_answer_with_its_source():
    result = run_bot("ask", "How many vehicles did the Alliance sell in 2018?")
    assert result.returncode == 0
    assert "10.76 million" in result.stdout
    assert "Source:" in result.stdout and "(2019-12)" in result.stdout
    assert "10,76 millions de véhicules" in result.stdout


def test_check_is_clean_and_fails_on_a_broken_sheet(tmp_path):
    assert run_bot("check").returncode == 0
    import shutil

    broken = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", broken)
    sheet = broken / "facts" / "sales.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("10,76 millions", "12 millions", 1), encoding="utf-8")
    result = run_bot("check", env={"KNOWLEDGE_DIR": str(broken)})
    assert result.returncode == 1
    assert "facts/sales.yaml:" in result.stdout and "quote not found verbatim" in result.stdout
    assert "nothing was loaded" in result.stdout


def test_bad_setting_is_one_clear_line():
    result = run_bot("ask", "x", env={"ANSWER_THRESHOLD": "lots"})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: ANSWER_THRESHOLD must be a whole number, got 'lots'"


def test_console_offers_numbered_suggestions(monkeypatch, engine):
    monkeypatch.setattr(cli, "build_engine", lambda settings: engine)
    engine.answer_threshold = 99  # every reply becomes a "did you mean"
    out = io.StringIO()
    code = cli.main(["console"], stdin=io.StringIO("secretaire general\n1\nquit\n"), stdout=out)
    assert code == 0
    text = out.getvalue()
    assert "  1. " in text
    assert "Source:" in text  # picking suggestion 1 shows that fact's answer with its source


def test_run_without_token_starts_the_console_and_says_how_to_connect():
    result = run_bot("run", stdin="qui dirige nissan\n")
    assert result.returncode == 0
    assert "No DISCORD_TOKEN configured" in result.stdout
    assert "Makoto Uchida" in result.stdout


def test_calibrate_refits_the_decision_and_eval_compares_both_engines(knowledge_copy):
    """On a copy with one small fit set and a held-out set: the model written loads, and eval prints both engines."""
    from engine.knowledge.loader import Loader

    eval_dir = knowledge_copy / "eval"
    for path in eval_dir.glob("*.yaml"):
        if path.name not in ("questions.yaml", "holdout.yaml"):
            path.unlink()
    before = (knowledge_copy / "decision.yaml").read_text(encoding="utf-8")
    result = run_bot("calibrate", env={"KNOWLEDGE_DIR": str(knowledge_copy)})
    assert result.returncode == 0, result.stderr
    assert "fitted on 223 questions" in result.stdout and "cross-validated" in result.stdout
    after = (knowledge_copy / "decision.yaml").read_text(encoding="utf-8")
    assert after != before and "python bot.py calibrate" in after
    assert Loader(knowledge_copy).load().decision is not None

    result = run_bot("eval", "--questions-per-fact", "3", env={"KNOWLEDGE_DIR": str(knowledge_copy)})
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")][1:]
    assert {r.split(" | ")[2] for r in rows[1:]} == {"lexical", "learned"}
    assert any("questions (152/71, fit) | 3 q/fact" in r for r in rows)
    assert any("holdout (143/57, held out) | 3 q/fact" in r for r in rows)
    assert "calibration on holdout" in result.stdout


def test_a_broken_decision_file_stops_eval_with_its_reason(knowledge_copy):
    (knowledge_copy / "decision.yaml").write_text("bias: 1\n", encoding="utf-8")
    result = run_bot("eval", env={"KNOWLEDGE_DIR": str(knowledge_copy)})
    assert result.returncode == 1 and "decision.yaml" in result.stderr and "missing 'weights'" in result.stderr


def test_version_is_the_one_in_pyproject():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    result = run_bot("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{project['name']} {project['version']}"


def test_ask_help_describes_question_and_stdin():
    result = run_bot("ask", "--help")
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    assert "QUESTION a question, in French or English" in help_text
    assert "read the questions from stdin, one a line" in help_text
    assert "Ctrl+D" in help_text


def test_ask_on_a_terminal_says_it_reads_stdin_and_answers_each_line():
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "bot.py", "ask"],
            cwd=ROOT,
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"},
        )
        os.write(master, b"qui dirige nissan\n\x04")  # a line, then Ctrl+D
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 0, err
    assert "reading questions from stdin, one a line; Ctrl+D to end" in err
    assert "python bot.py console" in err
    assert "Makoto Uchida" in out and "reading" not in out  # stdout holds the answers only


def test_eval_with_a_missing_questions_file_says_file_not_found(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = run_bot("eval", "--questions", str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: file not found: {missing}"


def test_readme_command_table_lists_every_command():
    import re

    usage = run_bot("--help").stdout
    commands = re.search(r"\{([a-z,-]+)\}", usage)
    assert commands is not None, usage
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands in the terminal", 1)[1].split("\n\n", 2)[1]
    assert table.startswith("| Command |")
    for name in [*commands.group(1).split(","), "--version"]:
        assert f"`python bot.py {name}" in table, f"README's command table lacks {name}"


def test_ask_json_sessions_read_a_follow_up_with_the_previous_question_of_the_same_session():
    lines = [
        json.dumps({"session": "a", "question": "qui preside mitsubishi"}),
        json.dumps({"session": "b", "question": "who runs nissan"}),
        json.dumps({"session": "a", "question": "et renault alors ?"}),
        json.dumps({"session": "b", "question": "and mitsubishi?"}),
        "et renault alors ?",  # no session: read alone
    ]
    result = run_bot("ask", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["question"] for o in objects][2:] == ["et renault alors ?", "and mitsubishi?", "et renault alors ?"]
    assert (objects[2]["understood"], objects[2]["fact_id"]) == ("qui preside renault", "leader-senard")
    assert (objects[3]["understood"], objects[3]["fact_id"]) == ("who runs mitsubishi", "leader-kato")
    assert objects[4]["understood"] is None and objects[4]["fact_id"] != "leader-senard"


def test_ask_session_flag_makes_the_arguments_one_conversation():
    result = run_bot("ask", "--json", "--session", "s1", "toyota sales", "et nissan ?")
    assert result.returncode == 0, result.stderr
    first, then = (json.loads(line) for line in result.stdout.splitlines())
    assert first["understood"] is None and then["understood"] == "nissan sales"
    assert then["fact_id"] != "leader-uchida"


def test_every_json_object_says_its_kind():
    questions = ["qui dirige nissan", "", "merci !", "quelle est la capitale du Pérou", "ventes"]
    result = run_bot("ask", "--json", stdin="\n".join(questions) + "\n")
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    assert kinds[:4] == ["answer", "empty", "smalltalk", "unknown"]
    assert kinds[4] in ("unsure", "answer", "unknown")
    assert all(k in {"answer", "unsure", "unknown", "smalltalk", "empty"} for k in kinds)


def test_ask_json_a_deeply_nested_line_is_a_question_like_any_other():
    lines = ["qui dirige nissan", '{"question": ' + "[" * 100_000, json.dumps({"session": 1.5, "question": "merci"})]
    result = run_bot("ask", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 3 and objects[2]["kind"] == "smalltalk"


def test_logging_is_configured_once_by_the_front_end_that_runs(monkeypatch):
    """bot.py sets up logging once: discord.py's own set-up for the bot, a terse stderr one for a terminal command."""
    import bot
    from cogs import bot as discord_bot

    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.root, "level", logging.root.level)
    monkeypatch.setenv("DISCORD_TOKEN", "a.b.c")
    seen: list[list[logging.Handler]] = []

    def run_discord(settings) -> int:
        seen.append(list(logging.root.handlers))
        return 0

    monkeypatch.setattr(discord_bot, "run_discord", run_discord)
    assert bot.main(["run"]) == 0
    assert len(seen) == 1 and len(seen[0]) == 1  # discord.py's one handler, set up before connecting
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.delenv("DISCORD_TOKEN")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert bot.main(["ask", "merci"]) == 0
    assert [type(h) for h in logging.root.handlers] == [logging.StreamHandler]
