"""The sentence tables and the reply language of a Discord command."""

from __future__ import annotations

from types import SimpleNamespace

import discord

from cogs import drafts, shards
from cogs.strings import STRINGS, lang_for, text
from engine.messages import MESSAGES, message


def test_both_sentence_tables_fall_back_to_french_for_a_language_they_lack():
    assert text("de", "cooldown", seconds=3) == text("fr", "cooldown", seconds=3) != text("en", "cooldown", seconds=3)
    assert message("de", "unsure") == message("fr", "unsure") != message("en", "unsure")
    # The drafting and shards sentences go through the same helper, not a fallback of their own.
    assert drafts._text("de", "offer_none") == drafts._text("fr", "offer_none") != drafts._text("en", "offer_none")
    assert shards._text("de", "unavailable") == shards._text("fr", "unavailable")


def test_a_known_language_keeps_its_own_sentences():
    assert all(text(lang, key) == STRINGS[lang][key] for lang in ("fr", "en") for key in ("helpful", "wrong"))
    assert all(message(lang, "unsure") == MESSAGES[lang]["unsure"] for lang in ("fr", "en"))


def test_lang_for_reads_the_members_locale_on_a_slash_command_else_the_servers():
    english_server = SimpleNamespace(preferred_locale=discord.Locale.british_english)
    slash = SimpleNamespace(interaction=SimpleNamespace(locale=discord.Locale.french), guild=english_server)
    typed = SimpleNamespace(interaction=None, guild=english_server)
    in_dm = SimpleNamespace(interaction=None, guild=None)
    assert [lang_for(slash), lang_for(typed), lang_for(in_dm)] == ["fr", "en", "fr"]
