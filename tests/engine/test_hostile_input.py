"""Property-based: any text a member can send is answered without error, and within a bound."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.render import render_text, reply_json

NASTY = st.sampled_from(
    [
        "@everyone",
        "<@&123456789012345678>",
        "<@!1234>",
        "```py\nprint(1)\n```",
        "**bold** __u__ ||spoiler||",
        "\u200b\u200d\u2060",
        "\u202eevil\u202c",
        "e\u0301\u0301\u0301",
        "🚗🇫🇷🇯🇵",
        "\x00\x07\x1b[31m",
        "مرحبا",
        "日本の自動車",
        "l'l'l'l'",
        "10,76,,,",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=200), NASTY), max_size=12).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXT)
def test_any_text_gets_a_reply(engine, text):
    reply = engine.ask(text)
    assert reply.lang in ("fr", "en")
    assert 0 <= reply.score <= 100
    assert reply.answered == (reply.fact is not None)
    json.dumps(reply_json(reply))
    render_text(reply)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=50), st.integers(min_value=1, max_value=200))
def test_huge_messages_stay_bounded(engine, chunk, repeat):
    text = (chunk + " qui dirige nissan ") * repeat
    started = time.perf_counter()
    engine.ask(text[:20000])
    # A generous bound: this only catches runaway (quadratic or worse) behaviour, not speed.
    assert time.perf_counter() - started < 2.0


def test_long_runs_of_letters_stay_linear(engine):
    # A 20,000-letter word once took seconds in a backtracking regex: a member could freeze the bot.
    for text in ("a" * 20000, "é" * 20000, "Ab9+/" * 4000):
        started = time.perf_counter()
        engine.ask(text)
        assert time.perf_counter() - started < 2.0
