"""Discord's rules on what a bot may send, enforced the way the API does: a 400 with code 50035 and nested errors.

Plain functions over JSON bodies, usable without a server. The numbers are Discord's documented limits; the error
codes and messages are modelled on what the API returns, e.g. ``{"code": 50035, "message": "Invalid Form Body",
"errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
"message": "Must be 2000 or fewer in length."}]}}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER_TEXT = 2048
MAX_AUTHOR_NAME = 256
MAX_ACTION_ROWS = 5
MAX_ROW_WIDTH = 5
MAX_BUTTON_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_CHOICE_VALUE = 100
MAX_COMMANDS = 100
MAX_OPTIONS = 25
MAX_COMMAND_DESCRIPTION = 100

# Codes of the JSON error body (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
EMPTY_MESSAGE = 50006
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035


class DiscordHTTPError(Exception):
    """An API error: HTTP status plus Discord's JSON body (``code``, ``message``, optional nested ``errors``)."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def not_found(code: int, message: str) -> DiscordHTTPError:
    return DiscordHTTPError(404, code, message)


@dataclass
class FormErrors:
    """Collects field errors under their JSON path and raises them as one 50035 Invalid Form Body."""

    errors: dict[str, Any] = field(default_factory=dict)

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Sequence[str | int], value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: Sequence[str | int], value: Any, low: int, high: int) -> None:
        if value is None or not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: Sequence[str | int], value: Any) -> bool:
        if value is None:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def raise_if_any(self) -> None:
        if self.errors:
            raise DiscordHTTPError(400, INVALID_FORM_BODY, "Invalid Form Body", self.errors)


# --- messages -------------------------------------------------------------------------------------------------


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters that count toward the 6000 total: title, description, field names and values, footer, author."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def check_embeds(errors: FormErrors, embeds: Sequence[Mapping[str, Any]]) -> None:
    if len(embeds) > MAX_EMBEDS:
        errors.max_length(["embeds"], embeds, MAX_EMBEDS)
    for i, embed in enumerate(embeds):
        path: list[str | int] = ["embeds", i]
        errors.max_length([*path, "title"], embed.get("title"), MAX_EMBED_TITLE)
        errors.max_length([*path, "description"], embed.get("description"), MAX_EMBED_DESCRIPTION)
        fields = embed.get("fields") or []
        errors.max_length([*path, "fields"], fields, MAX_EMBED_FIELDS)
        for j, fld in enumerate(fields):
            errors.length_between([*path, "fields", j, "name"], fld.get("name"), 1, MAX_FIELD_NAME)
            errors.length_between([*path, "fields", j, "value"], fld.get("value"), 1, MAX_FIELD_VALUE)
        footer = embed.get("footer")
        if footer is not None:
            errors.max_length([*path, "footer", "text"], footer.get("text"), MAX_FOOTER_TEXT)
        author = embed.get("author")
        if author is not None:
            errors.max_length([*path, "author", "name"], author.get("name"), MAX_AUTHOR_NAME)
        colour = embed.get("color")
        if colour is not None and not 0 <= colour <= 0xFFFFFF:
            errors.add([*path, "color"], "NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215.")
    if sum(embed_size(e) for e in embeds) > MAX_EMBED_TOTAL:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")


_BUTTON_STYLES = {1, 2, 3, 4}  # primary, secondary, success, danger: link (5) and premium (6) are not modelled


def check_components(errors: FormErrors, components: Sequence[Mapping[str, Any]]) -> None:
    """Action rows of buttons, the only components the bot sends (selects and components v2 are refused)."""
    custom_ids: set[str] = set()
    errors.max_length(["components"], components, MAX_ACTION_ROWS)
    for i, row in enumerate(components):
        path: list[str | int] = ["components", i]
        if row.get("type") != 1:
            errors.add([*path, "type"], "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
            continue
        buttons = row.get("components") or []
        errors.length_between([*path, "components"], buttons, 1, MAX_ROW_WIDTH)
        for j, button in enumerate(buttons):
            _check_button(errors, button, [*path, "components", j], custom_ids)


def _check_button(errors: FormErrors, comp: Mapping[str, Any], path: list[str | int], custom_ids: set[str]) -> None:
    if comp.get("type") != 2:
        errors.add([*path, "type"], "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (2,).')
        return
    if comp.get("style") not in _BUTTON_STYLES:
        errors.add([*path, "style"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
        return
    errors.max_length([*path, "label"], comp.get("label"), MAX_BUTTON_LABEL)
    if not comp.get("label") and not comp.get("emoji"):
        errors.add([*path], "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or emoji is required")
    custom_id = comp.get("custom_id")
    if custom_id is None:
        errors.required([*path, "custom_id"], None)
        return
    errors.length_between([*path, "custom_id"], custom_id, 1, MAX_CUSTOM_ID)
    if custom_id in custom_ids:
        errors.add([*path, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
    custom_ids.add(custom_id)


def check_allowed_mentions(errors: FormErrors, allowed: Mapping[str, Any] | None) -> None:
    if allowed is None:
        return
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("users", "roles", "everyone"):
            errors.add(
                ["allowed_mentions", "parse", i],
                "BASE_TYPE_CHOICES",
                "Value must be one of ('users', 'roles', 'everyone').",
            )
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        errors.max_length(["allowed_mentions", kind], ids, 100)
        if kind in parse and ids:
            errors.add(
                ["allowed_mentions"],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def check_message(body: Mapping[str, Any], *, files: int = 0, partial: bool = False) -> None:
    """Validate a create (or, with ``partial``, an edit) message body; raise DiscordHTTPError if Discord would."""
    errors = FormErrors()
    content = body.get("content")
    errors.max_length(["content"], content, MAX_CONTENT)
    embeds = body.get("embeds") or []
    check_embeds(errors, embeds)
    components = body.get("components") or []
    check_components(errors, components)
    check_allowed_mentions(errors, body.get("allowed_mentions"))
    errors.raise_if_any()
    if not partial and not (content or embeds or components or files):
        raise DiscordHTTPError(400, EMPTY_MESSAGE, "Cannot send an empty message")


# --- interaction responses ------------------------------------------------------------------------------------


def check_autocomplete(data: Mapping[str, Any]) -> None:
    errors = FormErrors()
    choices = data.get("choices")
    if choices is None:
        errors.required(["data", "choices"], None)
    else:
        errors.max_length(["data", "choices"], choices, MAX_CHOICES)
        _check_choices(errors, ["data", "choices"], choices)
    errors.raise_if_any()


def _check_choices(errors: FormErrors, path: list[str | int], choices: Sequence[Mapping[str, Any]]) -> None:
    for i, choice in enumerate(choices):
        errors.length_between([*path, i, "name"], choice.get("name"), 1, MAX_CHOICE_NAME)
        value = choice.get("value")
        if isinstance(value, str):
            errors.length_between([*path, i, "value"], value, 1, MAX_CHOICE_VALUE)
        elif not isinstance(value, int | float) or isinstance(value, bool):
            errors.required([*path, i, "value"], None)


# --- application commands -------------------------------------------------------------------------------------

_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def check_commands(commands: Sequence[Mapping[str, Any]]) -> None:
    """A bulk overwrite: each command valid, names unique per type, at most 100 slash commands."""
    errors = FormErrors()
    if sum(1 for c in commands if c.get("type", 1) == 1) > MAX_COMMANDS:
        errors.add([], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMMANDS} or fewer in length.")
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        _check_command(errors, [i], command)
        key = (command.get("type", 1), command.get("name", ""))
        if key in seen:
            errors.add(
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {key[1]}",
            )
        seen.add(key)
    errors.raise_if_any()


def _check_command(errors: FormErrors, path: list[str | int], command: Mapping[str, Any]) -> None:
    if command.get("type", 1) != 1:
        errors.add([*path, "type"], "BASE_TYPE_CHOICES", "Only slash commands (type 1) are modelled.")
        return
    name = command.get("name")
    if name is None:
        errors.required([*path, "name"], None)
        return
    if not _COMMAND_NAME.match(name) or name != name.lower():
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    errors.length_between([*path, "description"], command.get("description"), 1, MAX_COMMAND_DESCRIPTION)
    _check_options(errors, [*path, "options"], command.get("options") or [])


def _check_options(errors: FormErrors, path: list[str | int], options: Sequence[Mapping[str, Any]]) -> None:
    errors.max_length(path, options, MAX_OPTIONS)
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        opath = [*path, i]
        name = option.get("name") or ""
        if not _COMMAND_NAME.match(name) or name != name.lower():
            errors.add([*opath, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if name in names:
            errors.add(
                [*opath, "name"], "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
            )
        names.add(name)
        errors.length_between([*opath, "description"], option.get("description"), 1, MAX_COMMAND_DESCRIPTION)
        if option.get("type") in (1, 2):
            _check_options(errors, [*opath, "options"], option.get("options") or [])
            continue
        if option.get("required"):
            if seen_optional:
                errors.add(
                    [*opath, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True


# --- who gets pinged ------------------------------------------------------------------------------------------

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(frozen=True)
class Pings:
    """Who a message notifies, given its content and ``allowed_mentions`` (what Discord's client would ping)."""

    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    everyone: bool = False
    replied_user: bool = False

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone or self.replied_user)


def pings(content: str | None, allowed: Mapping[str, Any] | None, *, is_reply: bool = False) -> Pings:
    """Apply Discord's allowed_mentions rules. Without the field, everything in the content pings, reply included."""
    content = content or ""
    users = frozenset(int(u) for u in _USER_MENTION.findall(content))
    roles = frozenset(int(r) for r in _ROLE_MENTION.findall(content))
    everyone = "@everyone" in content or "@here" in content
    if allowed is None:
        return Pings(users, roles, everyone, is_reply)
    parse = set(allowed.get("parse") or [])
    allowed_users = users if "users" in parse else users & {int(u) for u in allowed.get("users") or []}
    allowed_roles = roles if "roles" in parse else roles & {int(r) for r in allowed.get("roles") or []}
    return Pings(
        frozenset(allowed_users),
        frozenset(allowed_roles),
        everyone and "everyone" in parse,
        is_reply and bool(allowed.get("replied_user", False)),
    )
