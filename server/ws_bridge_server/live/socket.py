"""One socket's session: join, then pump client frames under the limits, then leave.

It gets what it needs from the Bridge as a `Services` bundle (the hub, the read, the
hooks, the limits, the counters, whether the replica drains), never the Bridge itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import Message

from ..protocol import encode
from ..settings import Settings
from . import direct
from .connection import Connection, SocketLike
from .hub import Hub
from .join import Read, Watch, join
from .stats import Stats

log = logging.getLogger("ws_bridge_server")

PONG = encode({"type": "pong"})


class ReceivingSocket(SocketLike, Protocol):
    """What a session needs of a socket (starlette's WebSocket satisfies it)."""

    async def receive(self) -> Message: ...


@dataclass
class Hooks:
    """What the app adds to a socket's life. Frames other than ping go to `on_frame`;
    without it they are answered with an error frame."""

    on_join: Callable[[Connection], Awaitable[None]] | None = None
    on_leave: Callable[[Connection], Awaitable[None]] | None = None
    on_frame: Callable[[Connection, dict[str, Any]], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Services:
    hub: Hub
    read: Read  # the store's read for a socket (no `since`: live from now)
    # The store follows the room from before a socket's replay (watch) until its last socket here left (unwatch).
    watch: Watch
    unwatch: Callable[[str], Awaitable[None]]
    hooks: Callable[[], Hooks]  # the app may set its hooks after mounting
    settings: Settings
    stats: Stats
    draining: Callable[[], bool]
    # The store's record of who is here (presence across replicas): after the hub has the socket,
    # before the app's on_join; after the hub let it go, before on_leave. Neither raises for a store outage.
    entered: Callable[[str, str], Awaitable[None]]
    left: Callable[[str, str], Awaitable[None]]


class TokenBucket:
    """Allows `rate` frames/s on average with bursts of up to `rate` frames."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self.clock = clock
        self.last = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def serve(svc: Services, ws: ReceivingSocket, room: str, client: str, since: str | None,
                address: str = "") -> None:
    """Serves one accepted socket until either side stops."""
    s = svc.settings
    # The outbox must hold a full replay plus the live backlog.
    conn = Connection(ws, room, client, svc.stats, s.send_queue_size + s.replay_log_size, s.send_timeout_s,
                      s.send_queue_bytes + s.retention_bytes, address)
    if svc.draining():
        return await _refuse(conn, 1012, "service restart")
    if svc.hub.from_address(address) >= s.max_sockets_per_address:
        return await _refuse(conn, 1013, "too many sockets from this address")
    svc.stats.ws_connections_total += 1
    if s.direct_writes:
        conn.direct = direct.find_for(ws)
    joining = svc.hub.join(conn, conn.outbox.maxsize)
    writer = asyncio.create_task(conn.run_writer())
    reader: asyncio.Task[tuple[int, str] | None] | None = None
    hooks = svc.hooks()
    present = False
    try:
        await join(joining, svc.watch, svc.read, since, lambda position: svc.hub.go_live(conn, position))
        present = True
        await svc.entered(room, client)
        if hooks.on_join:
            await hooks.on_join(conn)
        reader = asyncio.create_task(read_frames(svc, hooks, conn, ws))
        await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
        close = reader.result() if reader.done() and reader.exception() is None else None
        if close is not None:  # protocol violation: let the writer deliver the close frame
            conn.close(*close)
            await asyncio.wait((writer,), timeout=s.send_timeout_s + 1)
    finally:
        svc.hub.leave(conn)
        try:
            await svc.unwatch(room)
            if present:
                await svc.left(room, client)
            if hooks.on_leave:  # first, so the room hears of it as soon as the counters do
                await hooks.on_leave(conn)
        finally:
            tasks = [t for t in (reader, writer) if t is not None]
            for task in tasks:
                task.cancel()
            for result in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("websocket task failed", exc_info=result)


async def _refuse(conn: Connection, code: int, reason: str) -> None:
    conn.close(code, reason)
    await conn.run_writer()


async def read_frames(svc: Services, hooks: Hooks, conn: Connection, ws: ReceivingSocket) -> tuple[int, str] | None:
    """Returns a (code, reason) to close with, or None when the client went away."""
    settings = svc.settings
    bucket = TokenBucket(settings.max_msgs_per_sec)
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return None
        svc.stats.ws_frames_received += 1
        text = msg.get("text")
        data: bytes = text.encode() if text is not None else (msg.get("bytes") or b"")
        if len(data) > settings.max_frame_bytes:
            return (1009, "frame too large")
        if not bucket.take():
            return (1008, "rate limit exceeded")
        await handle_frame(hooks, conn, data)


async def handle_frame(hooks: Hooks, conn: Connection, data: bytes) -> None:
    try:
        frame = json.loads(data)
    except (ValueError, RecursionError):
        return conn.reply({"type": "error", "error": "invalid JSON"})
    if not isinstance(frame, dict):
        return conn.reply({"type": "error", "error": "frame must be a JSON object"})
    if frame.get("type") == "ping":
        return conn.push(PONG, len(PONG))
    if hooks.on_frame is None:
        return conn.reply({"type": "error", "error": f"unknown frame type: {repr(frame.get('type'))[:64]}"})
    await hooks.on_frame(conn, frame)
