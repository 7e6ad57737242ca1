"""Editing a copy of knowledge/ in tests, the way a moderator would change a fact sheet."""

from __future__ import annotations

from pathlib import Path

import yaml


def edit_fact(root: Path, fact_id: str, **changes) -> Path:
    """Change fields of one fact in its sheet (a YAML round trip of the copy); the sheet's path."""
    for path in sorted((root / "facts").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for fact in data["facts"]:
            if fact["id"] == fact_id:
                fact.update(changes)
                path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
                return path
    raise AssertionError(f"no fact {fact_id}")
