"""What the fake records for tests to inspect: requests, messages the bot created, interactions, and how to wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .limits import Pings

T = TypeVar("T")


def path_matches(pattern: str, path: str) -> bool:
    """``/channels/{id}/messages`` matches ``/channels/123/messages``: a ``{...}`` segment matches any one segment."""
    want = pattern.split("?", 1)[0].strip("/").split("/")
    got = path.strip("/").split("/")
    return len(want) == len(got) and all(
        (w.startswith("{") and w.endswith("}")) or w == g for w, g in zip(want, got, strict=True)
    )


@dataclass
class RecordedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request and the answer it got. ``path`` has no ``/api/v10`` prefix; ``json`` is the JSON body (or
    the ``payload_json`` part of a multipart body)."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[RecordedFile]
    route: str | None = None
    status: int | None = None
    response: Any = None

    def matches(self, method: str | None, path: str | None) -> bool:
        return (method is None or method.upper() == self.method) and (path is None or path_matches(path, self.path))


@dataclass
class SentMessage:
    """A message the bot created (channel send, interaction response or follow-up), kept up to date with edits."""

    payload: dict[str, Any]
    body: dict[str, Any]
    source: str  # "channel", "interaction" or "followup"
    pings: Pings
    ephemeral: bool = False
    interaction_id: int | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.payload.get("components") or []

    @property
    def flags(self) -> int:
        return self.payload.get("flags") or 0

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        """The ``allowed_mentions`` the bot sent when creating the message (None: the field was absent)."""
        return self.body.get("allowed_mentions")

    @property
    def reply_to(self) -> int | None:
        ref = self.payload.get("message_reference")
        return int(ref["message_id"]) if ref and ref.get("message_id") else None

    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message, depth first."""
        found: list[str] = []

        def walk(components: list[dict[str, Any]]) -> None:
            for comp in components:
                if comp.get("custom_id"):
                    found.append(comp["custom_id"])
                walk(comp.get("components") or [])

        walk(self.components)
        return found


@dataclass
class InteractionRecord:
    """An interaction the fake sent, and how the bot answered it."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    channel_id: int
    guild_id: int | None
    user_id: int
    sent_at: float = 0.0
    response_type: int | None = None
    response: dict[str, Any] | None = None
    original_message_id: int | None = None
    deferred_pending: bool = False
    followup_ids: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def response_data(self) -> dict[str, Any]:
        return (self.response or {}).get("data") or {}


@dataclass(frozen=True)
class Mark:
    """Positions in the logs at one moment; pass as ``since=`` to wait only for what comes after."""

    requests: int
    messages: int
    frames: int
    dispatched: int
    connections: int


class Changes:
    """Wakes waiters whenever the fake's state changes; each waiter re-checks its own predicate."""

    def __init__(self) -> None:
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []

    def notify(self) -> None:
        for entry in list(self._waiters):
            predicate, future = entry
            if future.done():
                continue
            try:
                result = predicate()
            except Exception as exc:  # the test's predicate failed: surface it in the waiting test
                future.set_exception(exc)
            else:
                if result:
                    future.set_result(result)

    async def wait(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:  # noqa: ASYNC109 - every wait has a default bound
        result = predicate()
        if result:
            return result
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None
        finally:
            self._waiters.remove(entry)
