"""The gateway side of the fake: websocket connections, sessions with sequence numbers, RESUME and its faults.

A *connection* is one websocket; a *session* is what IDENTIFY creates and RESUME picks up again: it keeps its
sequence number and a log of every dispatch, so events sent while the client was away are replayed on RESUME.
The client may send heartbeats, IDENTIFY and RESUME, all the bot sends; any other opcode closes with 4001, so a
new need shows up at once. The faults a test injects are op 7 RECONNECT, op 9 INVALID_SESSION, a dropped TCP
connection and a held-up HELLO.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads as p

if TYPE_CHECKING:
    from .server import FakeDiscord

# Opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-opcodes).
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
RESUME = 6
RECONNECT = 7
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Close codes.
UNKNOWN_OPCODE = 4001
DECODE_ERROR = 4002
NOT_AUTHENTICATED = 4003
AUTHENTICATION_FAILED = 4004
ALREADY_AUTHENTICATED = 4005
INVALID_SEQ = 4007
INVALID_SHARD = 4010
INVALID_INTENTS = 4013
DISALLOWED_INTENTS = 4014

HEARTBEAT_INTERVAL_MS = 41_250  # Discord's; discord.py heartbeats on its own clock, so tests never wait for it
_MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE")  # need GUILD_ or DIRECT_MESSAGES
_CONTENT_KEYS = ("content", "embeds", "attachments", "components")


@dataclass
class GatewayFrame:
    """A payload the client sent over the gateway."""

    index: int
    connection: int
    session_id: str | None
    shard_id: int | None
    op: int | None
    d: Any


@dataclass
class DispatchedEvent:
    """A dispatch the fake sent (or queued for replay) to a session."""

    session_id: str
    shard_id: int
    seq: int
    event: str
    data: Any


class Connection:
    """One websocket from the client, with its zlib-stream context when the client asked for compression."""

    def __init__(self, number: int, ws: web.WebSocketResponse, request: web.Request, *, compress: bool) -> None:
        self.number = number
        self.ws = ws
        self.request = request
        self.path = request.path
        self.query = dict(request.query)
        self.compressed = compress
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()
        self.session: Session | None = None
        self.closed = False
        self.aborted = False

    async def send(self, payload: dict[str, Any]) -> bool:
        """Send one gateway payload; False if the socket is gone (the caller's log keeps dispatches for RESUME)."""
        text = json.dumps(payload, separators=(",", ":"))
        async with self._lock:
            if self.closed or self.ws.closed:
                return False
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return False
        return True

    async def close(self, code: int, message: str = "") -> None:
        self.closed = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code, message=message.encode())

    def abort(self) -> None:
        """Drop the TCP connection: no close frame, as when a network path dies."""
        self.closed = True
        self.aborted = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class Session:
    """A gateway session: sequence numbers, the dispatch log, and the connection currently attached."""

    def __init__(self, session_id: str, shard_id: int, shard_count: int, intents: int) -> None:
        self.session_id = session_id
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.intents = intents
        self.seq = 0
        self.log: list[tuple[int, dict[str, Any]]] = []
        self.connection: Connection | None = None
        self.resumable = True
        self.lock = asyncio.Lock()

    async def dispatch(self, event: str, data: Any) -> int:
        async with self.lock:
            return await self.dispatch_locked(event, data)

    async def dispatch_locked(self, event: str, data: Any) -> int:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.log.append((self.seq, frame))
        if self.connection is not None:
            await self.connection.send(frame)
        return self.seq


class Gateway:
    """Serves the websocket endpoint and keeps sessions, one current session per shard."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.connections: list[Connection] = []
        self.sessions: dict[str, Session] = {}
        self.current: dict[int, Session] = {}
        self.received: list[GatewayFrame] = []
        self.dispatched: list[DispatchedEvent] = []
        self._open = asyncio.Event()
        self._open.set()

    # --- what tests use ---------------------------------------------------------------------------------------

    def session(self, shard_id: int = 0) -> Session | None:
        return self.current.get(shard_id)

    def frames(self, op: int | None = None) -> list[GatewayFrame]:
        return [f for f in self.received if op is None or f.op == op]

    async def dispatch(self, event: str, data: Any, *, shard_id: int | None = None) -> list[int]:
        """Send a dispatch event to the current session of the shard that owns it (by ``guild_id``, else shard 0).

        Returns the sequence numbers used. Message events are filtered by intents, and their content blanked for a
        session without the MESSAGE_CONTENT intent unless the bot is mentioned, it is a DM, or the bot wrote it.
        """
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        sessions = self._targets(shard_id, int(guild_id) if guild_id else None)
        if not sessions:
            raise RuntimeError(
                f"no gateway session for {event} (shard {shard_id}); is the client connected? "
                "After INVALID_SESSION, wait for the new IDENTIFY before sending events."
            )
        seqs = []
        for session in sessions:
            shaped = self._shape_for(session, event, data)
            if shaped is None:
                continue
            seq = await session.dispatch(event, shaped)
            self.dispatched.append(DispatchedEvent(session.session_id, session.shard_id, seq, event, shaped))
            seqs.append(seq)
        self.fake.notify()
        return seqs

    async def reconnect(self, shard_id: int = 0) -> None:
        """Send op 7 RECONNECT: the client should close and RESUME."""
        session = self._require(shard_id)
        if session.connection is not None:
            await session.connection.send({"op": RECONNECT, "d": None})

    async def invalidate_session(self, shard_id: int = 0, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless ``resumable``, the session is forgotten and the client must IDENTIFY."""
        session = self._require(shard_id)
        if not resumable:
            self._forget(session)
        if session.connection is not None:
            await session.connection.send({"op": INVALID_SESSION, "d": resumable})

    def drop(self, shard_id: int = 0) -> None:
        """Close the TCP connection under the shard's session without a close frame; the session stays resumable."""
        session = self._require(shard_id)
        conn = session.connection
        session.connection = None
        if conn is not None:
            conn.abort()
        self.fake.notify()

    @contextlib.asynccontextmanager
    async def hold_connections(self) -> AsyncIterator[None]:
        """New websockets are accepted but get no HELLO until the block ends (to queue events during an outage)."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    # --- websocket handler ------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        if not ws.can_prepare(request).ok:
            raise web.HTTPBadRequest(text="websocket upgrade expected")
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        conn = Connection(len(self.connections), ws, request, compress=compress)
        self.connections.append(conn)
        self.fake.notify()
        try:
            await self._open.wait()
            hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ['["fake-gateway",{}]']}
            await conn.send({"op": HELLO, "d": hello})
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_message(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            conn.closed = True
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001) and not conn.aborted:
                    self._forget(session)  # a clean close ends the session, as on Discord
            self.fake.notify()
        return ws

    async def _on_message(self, conn: Connection, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
            op, d = frame.get("op"), frame.get("d")
        except (ValueError, AttributeError):
            await conn.close(DECODE_ERROR, "Error while decoding payload.")
            return
        session = conn.session
        self.received.append(
            GatewayFrame(
                len(self.received),
                conn.number,
                session.session_id if session else None,
                session.shard_id if session else None,
                op,
                d,
            )
        )
        try:
            if op == HEARTBEAT:
                await conn.send({"op": HEARTBEAT_ACK, "d": None})
            elif op == IDENTIFY:
                await self._identify(conn, d or {})
            elif op == RESUME:
                await self._resume(conn, d or {})
            elif session is None:
                await conn.close(NOT_AUTHENTICATED, "Not authenticated.")
            else:
                await conn.close(UNKNOWN_OPCODE, "Unknown opcode.")
        finally:
            self.fake.notify()

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.close(ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if d.get("token") != self.fake.token:
            await conn.close(AUTHENTICATION_FAILED, "Authentication failed.")
            return
        shard_id, shard_count = d.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await conn.close(INVALID_SHARD, "Invalid shard.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await conn.close(INVALID_INTENTS, "Invalid intent(s).")
            return
        if intents & p.PRIVILEGED_INTENTS & ~self.fake.allowed_intents:
            await conn.close(DISALLOWED_INTENTS, "Disallowed intent(s).")
            return
        session = Session(p.new_token(), shard_id, shard_count, intents)
        self.sessions[session.session_id] = session
        old = self.current.get(shard_id)
        if old is not None and old.connection is not None and old.connection is not conn:
            old.resumable = False
        self.current[shard_id] = session
        async with session.lock:
            session.connection = conn
            conn.session = session
            guilds = [g for g in self.fake.guilds.values() if p.shard_for(g.id, shard_count) == shard_id]
            ready = p.ready(
                self.fake.bot_user,
                [g.id for g in guilds],
                session_id=session.session_id,
                resume_gateway_url=self.fake.resume_gateway_url,
                shard=(shard_id, shard_count),
                application_id=self.fake.application_id,
            )
            await self._record_dispatch(session, "READY", ready)
            for guild in guilds:
                data = guild.payload(self.fake.application_id)
                if not intents & p.INTENT_GUILD_MEMBERS:
                    # Without the members intent Discord sends only the bot's own member (and those in voice).
                    data["members"] = [m for m in data["members"] if m["user"]["id"] == self.fake.bot_user["id"]]
                await self._record_dispatch(session, "GUILD_CREATE", data)

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        if d.get("token") != self.fake.token:
            await conn.close(AUTHENTICATION_FAILED, "Authentication failed.")
            return
        session = self.sessions.get(d.get("session_id") or "")
        if session is None or not session.resumable:
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        seq = d.get("seq") or 0
        if seq > session.seq:
            await conn.close(INVALID_SEQ, "Invalid seq.")
            return
        async with session.lock:
            old = session.connection
            if old is not None and old is not conn:
                old.abort()
            session.connection = conn
            conn.session = session
            self.current[session.shard_id] = session
            for s, frame in session.log:
                if s > seq:
                    await conn.send(frame)
            await self._record_dispatch(session, "RESUMED", {"_trace": ['["fake-gateway",{}]']})

    async def _record_dispatch(self, session: Session, event: str, data: Any) -> None:
        seq = await session.dispatch_locked(event, data)
        self.dispatched.append(DispatchedEvent(session.session_id, session.shard_id, seq, event, data))

    # --- helpers ----------------------------------------------------------------------------------------------

    def _targets(self, shard_id: int | None, guild_id: int | None) -> list[Session]:
        if shard_id is not None:
            session = self.current.get(shard_id)
            return [session] if session else []
        if guild_id is None:
            session = self.current.get(0)
            return [session] if session else []
        return [s for s in self.current.values() if p.shard_for(guild_id, s.shard_count) == s.shard_id]

    def _require(self, shard_id: int) -> Session:
        session = self.current.get(shard_id)
        if session is None:
            raise RuntimeError(f"no gateway session for shard {shard_id}")
        return session

    def _forget(self, session: Session) -> None:
        session.resumable = False
        if self.current.get(session.shard_id) is session:
            del self.current[session.shard_id]

    def _shape_for(self, session: Session, event: str, data: Any) -> Any:
        """Apply intents to message events: drop what the session did not ask for, blank unprivileged content."""
        if event not in _MESSAGE_EVENTS or not isinstance(data, dict):
            return data
        in_guild = bool(data.get("guild_id"))
        if not session.intents & (p.INTENT_GUILD_MESSAGES if in_guild else p.INTENT_DIRECT_MESSAGES):
            return None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.intents & p.INTENT_MESSAGE_CONTENT:
            bot_id = str(self.fake.bot_user["id"])
            by_bot = (data.get("author") or {}).get("id") == bot_id
            mentioned = any(m.get("id") == bot_id for m in data.get("mentions") or [])
            if in_guild and not by_bot and not mentioned:
                data = {**data, **{k: ("" if k == "content" else []) for k in _CONTENT_KEYS if k in data}}
        return data
