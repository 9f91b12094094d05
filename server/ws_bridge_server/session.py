"""One socket's life: replay, join live with no gap and no duplicate, then pump frames.

The join works with any store (PROTOCOL.md, "Joining"): the socket is in the
room before its replay is read, so whatever is published meanwhile is held in
`Connection.pending`; held events the replay already covered are dropped, the
rest must follow on without a gap, or the missing range is read again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Protocol

from starlette.types import Message

from . import direct
from .hub import Connection, SocketLike, TokenBucket
from .protocol import encode, make_id
from .store import Replay, StoredEvent

if TYPE_CHECKING:
    from .bridge import Bridge

log = logging.getLogger("ws_bridge_server")

MAX_CATCH_UP_READS = 10  # a room that outruns this many re-reads is left with a 1013
PONG = encode({"type": "pong"})


class ReceivingSocket(SocketLike, Protocol):
    """What a session needs of a socket (starlette's WebSocket satisfies it)."""

    async def receive(self) -> Message: ...


async def serve_socket(bridge: Bridge, ws: ReceivingSocket, room: str, client: str, since: str | None) -> None:
    s = bridge.settings
    # The outbox must hold a full replay plus the live backlog.
    conn = Connection(ws, room, client, bridge.stats, s.send_queue_size + s.replay_log_size, s.send_timeout_s)
    if bridge.draining:
        conn.close(1012, "service restart")
        await conn.run_writer()
        return
    bridge.stats.ws_connections_total += 1
    if s.direct_writes:  # Starlette keeps the ASGI send it was given as `_send`
        conn.direct = direct.find(getattr(ws, "_send", None))
    bridge.hub.join(conn)
    writer = asyncio.create_task(conn.run_writer())
    reader: asyncio.Task[tuple[int, str] | None] | None = None
    try:
        await join(bridge, conn, since)
        if bridge.hooks.on_join:
            await bridge.hooks.on_join(conn)
        reader = asyncio.create_task(read_frames(bridge, conn, ws))
        await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
        close = reader.result() if reader.done() and reader.exception() is None else None
        if close is not None:  # protocol violation: let the writer deliver the close frame
            conn.close(*close)
            await asyncio.wait((writer,), timeout=s.send_timeout_s + 1)
    finally:
        bridge.hub.leave(conn)
        try:
            if bridge.hooks.on_leave:  # first, so the room hears of it as soon as the counters do
                await bridge.hooks.on_leave(conn)
        finally:
            tasks = [t for t in (reader, writer) if t is not None]
            for task in tasks:
                task.cancel()
            for result in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("websocket task failed", exc_info=result)


async def join(bridge: Bridge, conn: Connection, since: str | None) -> None:
    """Sends the replay (or reset), then the events held meanwhile, then goes live."""
    replay = await bridge.read(conn.room, since, socket=True)
    epoch, last = _send(conn, replay)
    for _ in range(MAX_CATCH_UP_READS):
        held, conn.pending = conn.pending, []
        fresh = [e for e in held if not (e.epoch == epoch and e.seq <= last)]
        if not fresh:
            conn.go_live(epoch, last)  # no await since `held` was taken: nothing can slip in between
            return
        if _contiguous(fresh, epoch, last):
            for e in fresh:
                conn.push(e.text, e.nbytes)
            epoch, last = fresh[-1].epoch, fresh[-1].seq
        else:  # a gap between the replay and the held events: read what is missing
            epoch, last = _send(conn, await bridge.read(conn.room, make_id(epoch, last), socket=True))
    conn.close(1013, "room too busy to join")


def _contiguous(events: list[StoredEvent], epoch: str, last: int) -> bool:
    for event in events:
        if not event.follows(epoch, last):
            return False
        epoch, last = event.epoch, event.seq
    return True


def _send(conn: Connection, replay: Replay) -> tuple[str, int]:
    if replay.reset is not None:
        conn.reply(replay.reset.frame())
    for event in replay.events:
        conn.push(event.text, event.nbytes)
    return replay.window.epoch, replay.window.last


async def read_frames(bridge: Bridge, conn: Connection, ws: ReceivingSocket) -> tuple[int, str] | None:
    """Returns a (code, reason) to close with, or None when the client went away."""
    settings = bridge.settings
    bucket = TokenBucket(settings.max_msgs_per_sec)
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return None
        bridge.stats.ws_frames_received += 1
        text = msg.get("text")
        data: bytes = text.encode() if text is not None else (msg.get("bytes") or b"")
        if len(data) > settings.max_frame_bytes:
            return (1009, "frame too large")
        if not bucket.take():
            return (1008, "rate limit exceeded")
        await handle_frame(bridge, conn, data)


async def handle_frame(bridge: Bridge, conn: Connection, data: bytes) -> None:
    try:
        frame = json.loads(data)
    except (ValueError, RecursionError):
        return conn.reply({"type": "error", "error": "invalid JSON"})
    if not isinstance(frame, dict):
        return conn.reply({"type": "error", "error": "frame must be a JSON object"})
    if frame.get("type") == "ping":
        return conn.push(PONG, len(PONG))
    if bridge.hooks.on_frame is None:
        return conn.reply({"type": "error", "error": f"unknown frame type: {repr(frame.get('type'))[:64]}"})
    await bridge.hooks.on_frame(conn, frame)
