""".env.example documents every setting, with its default."""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from engine.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    read = set(Settings.variables().values())
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert read and read == documented


def test_the_example_gives_the_defaults():
    values = {k: v for k, v in dotenv_values(ROOT / ".env.example").items() if v is not None}
    assert Settings.from_env(values) == Settings()
