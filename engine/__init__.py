"""The answering engine: fact sheets in, sourced bilingual answers out. Knows nothing of Discord.

This package is the front ends' one door: the cogs and bot.py import what they use from `engine`
(`from engine import Engine, Reply`), never from the rooms behind it. Each name is imported on first
use (a module `__getattr__`, PEP 562), so `from engine import Settings` does not load the matcher,
and `python bot.py ask` pays only for what it answers with. Behind the door, a package per job:

- knowledge: the knowledge files, their checks, loading, the load cache, drafting;
- matching: a question to a fact (spelling, the lexical and semantic signals, the decision);
- dialogue: follow-up questions and the conversations they are read in;
- journal: what was asked and answered, on SQLite or PostgreSQL, and reloads across shards;
- evaluation: answer quality on the evaluation sets and what a reload changes;
- cli: the terminal front end (`ask`, `console`, `check`, `eval`…), which `bot.py` starts.

The modules left at this level are shared by several of those packages or by every front end,
so none of the packages owns them: answering (Engine, Snapshot, Reply), textnorm (the folding both
the facts and the questions go through), lexicon (the analysed form knowledge and matching
compare), language (the reply language, for matching and drafting), messages and render (the
engine's sentences and a Reply as text or JSON, for every front end), and settings (both front
ends' settings, one declared table).

Inside the engine, modules import each other by their own names (`engine.knowledge.loader`),
never through the door; the job packages' `__init__` files import nothing (cli's, a front end, imports
its parser and the settings), so no package pulls in another one on import and no cycle forms.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.answering import Engine, Reply, Snapshot, Suggestion
    from engine.dialogue.conversation import Conversations
    from engine.evaluation.changes import KINDS, ChangeReport
    from engine.evaluation.changes import compare as compare_reload
    from engine.journal.reload_sync import ReloadSync, ShardState, answered_all, knowledge_digest, tally
    from engine.journal.reports import JournalStats, UnansweredGroup
    from engine.journal.store import Journal, open_journal
    from engine.knowledge.drafting import Draft, Match
    from engine.knowledge.drafting import draft as draft_fact
    from engine.knowledge.drafting import offers as draft_offers
    from engine.knowledge.loader import KnowledgeError, LoadTimeout
    from engine.knowledge.model import Fact, KnowledgeBase
    from engine.knowledge.schema import Problem
    from engine.messages import FALLBACK_LANG, message
    from engine.render import source_line
    from engine.settings import Settings, SettingsError, build_engine
    from engine.textnorm import clean, tokenize

#: The door: each name the front ends use, and the (module, attribute) it is.
EXPORTS: dict[str, tuple[str, str]] = {
    "answered_all": ("engine.journal.reload_sync", "answered_all"),
    "build_engine": ("engine.settings", "build_engine"),
    "ChangeReport": ("engine.evaluation.changes", "ChangeReport"),
    "clean": ("engine.textnorm", "clean"),
    "compare_reload": ("engine.evaluation.changes", "compare"),
    "Conversations": ("engine.dialogue.conversation", "Conversations"),
    "Draft": ("engine.knowledge.drafting", "Draft"),
    "draft_fact": ("engine.knowledge.drafting", "draft"),
    "draft_offers": ("engine.knowledge.drafting", "offers"),
    "Engine": ("engine.answering", "Engine"),
    "Fact": ("engine.knowledge.model", "Fact"),
    "FALLBACK_LANG": ("engine.messages", "FALLBACK_LANG"),
    "Journal": ("engine.journal.store", "Journal"),
    "JournalStats": ("engine.journal.reports", "JournalStats"),
    "KINDS": ("engine.evaluation.changes", "KINDS"),
    "knowledge_digest": ("engine.journal.reload_sync", "knowledge_digest"),
    "KnowledgeBase": ("engine.knowledge.model", "KnowledgeBase"),
    "KnowledgeError": ("engine.knowledge.loader", "KnowledgeError"),
    "LoadTimeout": ("engine.knowledge.loader", "LoadTimeout"),
    "Match": ("engine.knowledge.drafting", "Match"),
    "message": ("engine.messages", "message"),
    "open_journal": ("engine.journal.store", "open_journal"),
    "Problem": ("engine.knowledge.schema", "Problem"),
    "ReloadSync": ("engine.journal.reload_sync", "ReloadSync"),
    "Reply": ("engine.answering", "Reply"),
    "Settings": ("engine.settings", "Settings"),
    "SettingsError": ("engine.settings", "SettingsError"),
    "ShardState": ("engine.journal.reload_sync", "ShardState"),
    "Snapshot": ("engine.answering", "Snapshot"),
    "source_line": ("engine.render", "source_line"),
    "Suggestion": ("engine.answering", "Suggestion"),
    "tally": ("engine.journal.reload_sync", "tally"),
    "tokenize": ("engine.textnorm", "tokenize"),
    "UnansweredGroup": ("engine.journal.reports", "UnansweredGroup"),
}

__all__ = [
    "FALLBACK_LANG",
    "KINDS",
    "ChangeReport",
    "Conversations",
    "Draft",
    "Engine",
    "Fact",
    "Journal",
    "JournalStats",
    "KnowledgeBase",
    "KnowledgeError",
    "LoadTimeout",
    "Match",
    "Problem",
    "ReloadSync",
    "Reply",
    "Settings",
    "SettingsError",
    "ShardState",
    "Snapshot",
    "Suggestion",
    "UnansweredGroup",
    "answered_all",
    "build_engine",
    "clean",
    "compare_reload",
    "draft_fact",
    "draft_offers",
    "knowledge_digest",
    "message",
    "open_journal",
    "source_line",
    "tally",
    "tokenize",
]


def __getattr__(name: str) -> Any:
    """`engine.NAME`: imported from its module on first use, then kept here."""
    try:
        module, attribute = EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_imported(module, name), attribute)
    globals()[name] = value
    return value


def _imported(module: str, name: str) -> ModuleType:
    """The module, or an ImportError naming the line that failed: an AttributeError raised while
    importing would otherwise reach `from engine import NAME` as a bare "cannot import name"."""
    try:
        return importlib.import_module(module)
    except AttributeError as exc:
        raise ImportError(f"importing {module} for engine.{name} failed: {exc!r}") from exc
