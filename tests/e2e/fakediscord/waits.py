"""Waiting on the fake instead of sleeping: each wait re-checks its condition whenever the fake's state changes
(a request answered, a frame received, an event dispatched) and times out with what it was waiting for."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .records import Changes, InteractionRecord, Mark, RecordedRequest, SentMessage

if TYPE_CHECKING:
    from .gateway import Gateway

T = TypeVar("T")


class Waits:
    """The logs of the fake and the waits on them (a base of ``FakeDiscord``, which fills the logs)."""

    requests: list[RecordedRequest]
    sent_messages: list[SentMessage]
    gateway: Gateway

    def __init__(self) -> None:
        self._changes = Changes()

    def notify(self) -> None:
        """Wake the waiters (the fake calls it at each change; a test may call it after a change of its own)."""
        self._changes.notify()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        what: str = "condition",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked at every change of the fake's state); return its value."""
        return await self._changes.wait(predicate, timeout, what)

    def mark(self) -> Mark:
        return Mark(
            len(self.requests),
            len(self.sent_messages),
            len(self.gateway.received),
            len(self.gateway.dispatched),
            len(self.gateway.connections),
        )

    def requests_to(
        self, method: str | None, path: str | None = None, *, since: Mark | None = None
    ) -> list[RecordedRequest]:
        """Requests matching ``method`` and a path pattern such as ``/channels/{id}/messages`` (None: any)."""
        start = since.requests if since else 0
        return [r for r in self.requests[start:] if r.matches(method, path)]

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        *,
        method: str | None = None,
        path: str | None = None,
        since: Mark | None = None,
    ) -> RecordedRequest:
        """The first answered request (after ``since``) matching method, path pattern and predicate."""

        def find() -> RecordedRequest | None:
            for req in self.requests_to(method, path, since=since):
                if predicate is None or predicate(req):
                    return req
            return None

        return await self.wait_until(find, timeout=timeout, what=f"request {method or '*'} {path or '*'}")

    async def wait_for_message(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
        *,
        channel_id: int | None = None,
        since: Mark | None = None,
    ) -> SentMessage:
        """The first message the bot created (after ``since``) in the channel, matching the predicate."""
        start = since.messages if since else 0

        def find() -> SentMessage | None:
            for msg in self.sent_messages[start:]:
                if (channel_id is None or msg.channel_id == channel_id) and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.wait_until(
            find, timeout=timeout, what=f"a message from the bot in {channel_id or 'any channel'}"
        )

    async def wait_for_response(self, interaction: InteractionRecord, *, timeout: float = 5.0) -> InteractionRecord:  # noqa: ASYNC109 - every wait has a default bound
        """Wait until the bot acknowledged the interaction (any callback type)."""
        return await self.wait_until(
            lambda: interaction if interaction.acknowledged else None,
            timeout=timeout,
            what=f"a response to interaction {interaction.id}",
        )

    async def wait_for_frame(
        self,
        op: int,
        *,
        shard_id: int | None = None,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
    ) -> Any:
        """The first gateway payload with opcode ``op`` the client sent (after ``since``)."""
        start = since.frames if since else 0

        def find() -> Any:
            for frame in self.gateway.received[start:]:
                if frame.op == op and (shard_id is None or frame.shard_id in (None, shard_id)):
                    return frame
            return None

        return await self.wait_until(find, timeout=timeout, what=f"gateway op {op}")

    async def wait_connected(
        self,
        shard_id: int = 0,
        *,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - every wait has a default bound
    ) -> None:
        """Wait until the shard's session has a live websocket (after IDENTIFY or RESUME); with ``since``, one
        opened after the mark, so a connection about to close does not count."""
        first = since.connections if since else 0

        def connected() -> bool:
            session = self.gateway.current.get(shard_id)
            conn = session.connection if session is not None else None
            return conn is not None and not conn.closed and conn.number >= first

        await self.wait_until(connected, timeout=timeout, what=f"shard {shard_id} connected")
