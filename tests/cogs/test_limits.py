"""Cutting text to Discord's limits: clean cuts, nothing over the limit, nothing lost when it fits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cogs.limits import chunks, clip, quote_block


def test_clip_keeps_short_text_and_cuts_long_text_at_a_word():
    assert clip("  court  ", 10) == "court"
    cut = clip("un deux trois quatre cinq six sept", 20)
    assert len(cut) <= 20 and cut.endswith("…") and cut == "un deux trois…"


@given(st.text(min_size=0, max_size=3000), st.integers(min_value=2, max_value=2000))
def test_clip_never_exceeds(text, limit):
    assert len(clip(text, limit)) <= limit


@given(st.lists(st.text(min_size=1, max_size=300).filter(lambda s: "\n" not in s and s.strip()), max_size=60))
def test_chunks_fit_and_keep_every_line(lines):
    messages = chunks(lines, 500)
    assert all(0 < len(m) <= 500 for m in messages)
    assert [line for message in messages for line in message.split("\n")] == lines


def test_blank_lines_never_make_a_message_alone():
    assert chunks([]) == [] and chunks(["", " "]) == []
    assert chunks(["a", "", "b"]) == ["a\n\nb"]


def test_a_line_too_long_alone_is_clipped():
    [message] = chunks(["x " * 2000])
    assert len(message) <= 2000


@given(st.text(max_size=2000))
def test_quote_block_fits_and_quotes_each_line(text):
    block = quote_block(text)
    assert len(block) <= 1024
    if text.strip():
        assert all(line.startswith(">") for line in block.splitlines())
