"""Discord's rules as the fake enforces them, checked on plain JSON bodies (no server, no client)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .fakediscord import limits
from .fakediscord.limits import DiscordHTTPError, pings
from .fakediscord.records import path_matches


def error_of(body: dict[str, Any], **kwargs: Any) -> DiscordHTTPError:
    with pytest.raises(DiscordHTTPError) as caught:
        limits.check_message(body, **kwargs)
    return caught.value


def first_error(errors: dict[str, Any], *path: str | int) -> dict[str, str]:
    node = errors
    for part in path:
        node = node[str(part)]
    return node["_errors"][0]


def button(custom_id: str, label: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id, **extra}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


@given(st.integers(min_value=1, max_value=2100))
def test_content_length_limit_is_2000(length: int) -> None:
    body = {"content": "a" * length}
    if length <= 2000:
        limits.check_message(body)
    else:
        err = error_of(body)
        assert (err.status, err.code) == (400, 50035)
        assert first_error(err.errors or {}, "content") == {
            "code": "BASE_TYPE_MAX_LENGTH",
            "message": "Must be 2000 or fewer in length.",
        }


def test_empty_message_is_refused_but_an_empty_edit_is_not() -> None:
    assert error_of({"content": ""}).code == 50006
    limits.check_message({"content": ""}, partial=True)
    limits.check_message({}, files=1)


@pytest.mark.parametrize(
    ("embed", "path", "limit"),
    [
        ({"title": "t" * 257}, ("embeds", 0, "title"), "Must be 256 or fewer in length."),
        ({"description": "d" * 4097}, ("embeds", 0, "description"), "Must be 4096 or fewer in length."),
        ({"fields": [{"name": "n", "value": "v"}] * 26}, ("embeds", 0, "fields"), "Must be 25 or fewer in length."),
        (
            {"fields": [{"name": "n" * 257, "value": "v"}]},
            ("embeds", 0, "fields", 0, "name"),
            "Must be between 1 and 256 in length.",
        ),
        (
            {"fields": [{"name": "n", "value": "v" * 1025}]},
            ("embeds", 0, "fields", 0, "value"),
            "Must be between 1 and 1024 in length.",
        ),
        (
            {"fields": [{"name": "n", "value": ""}]},
            ("embeds", 0, "fields", 0, "value"),
            "Must be between 1 and 1024 in length.",
        ),
        ({"footer": {"text": "f" * 2049}}, ("embeds", 0, "footer", "text"), "Must be 2048 or fewer in length."),
        ({"author": {"name": "a" * 257}}, ("embeds", 0, "author", "name"), "Must be 256 or fewer in length."),
    ],
)
def test_embed_field_limits(embed: dict[str, Any], path: tuple[str | int, ...], limit: str) -> None:
    err = error_of({"embeds": [embed]})
    assert first_error(err.errors or {}, *path)["message"] == limit


def test_embed_limits_at_the_boundary_pass() -> None:
    fields = [{"name": "n" * 256, "value": "v"} for _ in range(5)] + [{"name": "n", "value": "v" * 1024}] * 20
    limits.check_message({"embeds": [{"title": "t" * 256, "fields": fields[:3]}, {"description": "d" * 4096}]})
    limits.check_message({"embeds": [{"title": "x"}] * 10})
    assert error_of({"embeds": [{"title": "x"}] * 11}).errors == {
        "embeds": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer in length."}]}
    }


@given(st.lists(st.integers(min_value=0, max_value=4096), min_size=1, max_size=4))
def test_embed_total_counts_across_embeds(descriptions: list[int]) -> None:
    body = {"embeds": [{"description": "d" * n, "footer": {"text": "f"}} for n in descriptions]}
    total = sum(descriptions) + len(descriptions)
    assert sum(limits.embed_size(e) for e in body["embeds"]) == total
    if total <= 6000:
        limits.check_message(body)
    else:
        err = error_of(body)
        assert first_error(err.errors or {}, "embeds")["code"] == "MAX_EMBED_SIZE_EXCEEDED"


@pytest.mark.parametrize(
    ("components", "path", "message"),
    [
        ([row(button(f"b{i}")) for i in range(6)], ("components",), "Must be 5 or fewer in length."),
        (
            [row(*(button(f"b{i}") for i in range(6)))],
            ("components", 0, "components"),
            "Must be between 1 and 5 in length.",
        ),
        ([row()], ("components", 0, "components"), "Must be between 1 and 5 in length."),
        (
            [row(button("b", label="l" * 81))],
            ("components", 0, "components", 0, "label"),
            "Must be 80 or fewer in length.",
        ),
        (
            [row(button("c" * 101))],
            ("components", 0, "components", 0, "custom_id"),
            "Must be between 1 and 100 in length.",
        ),
        (
            [row(button("same"), button("same"))],
            ("components", 0, "components", 1, "custom_id"),
            "Component custom id cannot be duplicated",
        ),
        ([button("loose")], ("components", 0, "type"), 'Value of field "type" must be one of (1,).'),
        (
            [row({"type": 2, "style": 1, "label": "no id"})],
            ("components", 0, "components", 0, "custom_id"),
            "This field is required",
        ),
        (
            [row({"type": 2, "style": 1, "custom_id": "bare"})],
            ("components", 0, "components", 0),
            "A label or emoji is required",
        ),
        (  # link buttons are not modelled: the bot sends none
            [row({"type": 2, "style": 5, "label": "link", "url": "https://example.org"})],
            ("components", 0, "components", 0, "style"),
            "Value must be one of {1, 2, 3, 4}.",
        ),
        (  # nor select menus
            [row({"type": 3, "custom_id": "pick", "options": [{"label": "a", "value": "a"}]})],
            ("components", 0, "components", 0, "type"),
            'Value of field "type" must be one of (2,).',
        ),
    ],
)
def test_component_limits(components: list[dict[str, Any]], path: tuple[str | int, ...], message: str) -> None:
    err = error_of({"content": "c", "components": components})
    assert first_error(err.errors or {}, *path)["message"] == message


def test_valid_components_pass() -> None:
    emoji_only = {"type": 2, "style": 2, "emoji": {"name": "\N{THUMBS UP SIGN}"}, "custom_id": "up"}
    rows = [row(*(button(f"b{i}", "l" * 80) for i in range(5))), row(emoji_only)]
    limits.check_message({"content": "c", "components": rows})
    limits.check_message({"content": "c", "components": [row(button(f"r{i}")) for i in range(5)]})


def test_allowed_mentions_parse_and_list_are_exclusive() -> None:
    err = error_of({"content": "c", "allowed_mentions": {"parse": ["users"], "users": ["1"]}})
    assert first_error(err.errors or {}, "allowed_mentions")["code"] == "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"


def test_autocomplete_choices() -> None:
    limits.check_autocomplete({"choices": [{"name": "n" * 100, "value": "v" * 100}] * 25})
    with pytest.raises(DiscordHTTPError) as too_many:
        limits.check_autocomplete({"choices": [{"name": "n", "value": "v"}] * 26})
    assert first_error(too_many.value.errors or {}, "data", "choices")["message"] == "Must be 25 or fewer in length."
    with pytest.raises(DiscordHTTPError) as long_name:
        limits.check_autocomplete({"choices": [{"name": "n" * 101, "value": 1}]})
    assert "name" in (long_name.value.errors or {})["data"]["choices"]["0"]


def test_command_definitions() -> None:
    ok = {
        "name": "ask",
        "description": "Ask",
        "options": [{"type": 3, "name": "question", "description": "q", "required": True}],
    }
    limits.check_commands([ok])
    for bad in (
        {**ok, "name": "Ask"},
        {**ok, "description": ""},
        {
            **ok,
            "options": [
                {"type": 3, "name": "a", "description": "a"},
                {"type": 3, "name": "b", "description": "b", "required": True},
            ],
        },
    ):
        with pytest.raises(DiscordHTTPError):
            limits.check_commands([bad])
    with pytest.raises(DiscordHTTPError) as duplicate:
        limits.check_commands([ok, ok])
    assert first_error(duplicate.value.errors or {}, 1, "name")["code"] == "APPLICATION_COMMANDS_DUPLICATE_NAME"


def test_pings_follow_allowed_mentions() -> None:
    content = "hi <@1> <@!2> <@&3> @everyone"
    assert pings(content, None, is_reply=True) == limits.Pings(frozenset({1, 2}), frozenset({3}), True, True)
    assert not pings(content, {"parse": []}, is_reply=True)
    assert pings(content, {"parse": ["users"]}).users == {1, 2}
    assert pings(content, {"parse": [], "users": ["2"], "replied_user": True}, is_reply=True) == limits.Pings(
        frozenset({2}), frozenset(), False, True
    )


def test_path_patterns() -> None:
    assert path_matches("/channels/{id}/messages", "/channels/123/messages")
    assert path_matches("/webhooks/{app}/{token}/messages/@original", "/webhooks/1/abc/messages/@original")
    assert not path_matches("/channels/{id}/messages", "/channels/123/messages/456")
    assert not path_matches("/channels/{id}/messages", "/channels/123/typing")
