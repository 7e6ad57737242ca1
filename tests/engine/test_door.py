"""The engine's one door: every name it exports resolves, lazily, and the front ends use nothing else."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(engine.EXPORTS))
def test_every_exported_name_is_its_module_attribute(name):
    module, attribute = engine.EXPORTS[name]
    assert getattr(engine, name) is getattr(__import__(module, fromlist=[attribute]), attribute)
    assert name in engine.__all__


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        engine.no_such_thing  # noqa: B018


def test_the_cogs_and_bot_py_import_the_door_not_its_rooms():
    """bot.py's `from engine import cli` is the terminal front end it starts, through the door too."""
    rooms = []
    for path in [ROOT / "bot.py", *sorted((ROOT / "cogs").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine."):
                rooms.append(f"{path.name}: from {node.module}")
            if isinstance(node, ast.Import):
                rooms += [f"{path.name}: import {a.name}" for a in node.names if a.name.startswith("engine.")]
    assert rooms == []


def test_the_door_loads_only_what_is_asked_for():
    """`from engine import Settings` must not load the matcher: the terminal commands' start-up depends on it."""
    script = "import sys\nfrom engine import Settings\nprint('engine.answering' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_checkers_view_of_the_door_is_the_table():
    """The TYPE_CHECKING imports (what mypy and editors see) name the same things as EXPORTS (what runs)."""
    tree = ast.parse((ROOT / "engine" / "__init__.py").read_text(encoding="utf-8"))
    guarded = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == engine.EXPORTS


def test_an_attribute_error_inside_a_room_is_not_disguised_as_a_missing_name(tmp_path, monkeypatch):
    """Python turns an AttributeError from a module `__getattr__` into "cannot import name": a room whose
    import fails that way (an alias a numpy upgrade removed) must say which module and why."""
    (tmp_path / "broken_room.py").write_text("import os\nos.no_such_function()\nThing = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(engine.EXPORTS, "Thing", ("broken_room", "Thing"))
    with pytest.raises(ImportError, match=r"broken_room.*no_such_function") as caught:
        from engine import Thing  # noqa: F401
    assert isinstance(caught.value.__cause__, AttributeError)
