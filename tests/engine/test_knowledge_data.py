"""The data itself: the real knowledge/ passes `python bot.py check`, the one set of rules (knowledge/README.md).

No rule of its own here: what a fact must satisfy is checked by the loader, so a moderator who
follows the README and gets "OK" from `check` gets a green `make test` too.
"""

from __future__ import annotations

import io

from engine import cli
from engine.knowledge.loader import load_knowledge
from engine.settings import Settings
from tests.conftest import KNOWLEDGE


def test_the_real_knowledge_passes_check():
    out = io.StringIO()
    assert cli.cmd_check(Settings(knowledge_dir=KNOWLEDGE, journal_enabled=False), out) == 0, out.getvalue()
    assert out.getvalue().startswith("OK: ")


def test_source_is_the_article_verbatim():
    article = (KNOWLEDGE / "sources" / "alliance-2019-12.fr.txt").read_text(encoding="utf-8")
    assert "10,76 millions de véhicules" in article
    assert article.startswith(" date 2019-12 Renault, Nissan et Mitsubishi")


def test_evaluation_set_is_large_and_mixed():
    """The project's own evaluation set stays big enough for reload previews to mean something."""
    cases = load_knowledge(KNOWLEDGE).eval_questions
    assert len(cases) >= 150
    assert sum(c.expect is None for c in cases) >= 50
    assert {c.lang for c in cases} == {"fr", "en"}
