"""Live sockets per room and the non-blocking fan-out: the store's one subscriber."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Protocol

from .direct import DirectWriter, text_frame
from .protocol import encode
from .store import StoredEvent


class SocketLike(Protocol):
    """The two calls the writer needs (starlette's WebSocket satisfies it)."""

    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass
class Stats:
    """Counters since start (or the last reset)."""

    ws_connections_total: int = 0
    ws_frames_sent: int = 0
    ws_frames_received: int = 0
    ws_bytes_sent: int = 0  # UTF-8 payload bytes of data frames
    ws_frames_direct: int = 0  # of ws_frames_sent, those written straight to the transport (direct.py)
    http_requests: int = 0
    http_bytes_sent: int = 0  # response body bytes
    events_created: int = 0

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, 0)


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


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Connection:
    """One socket with its own bounded outbox drained by a single writer task.

    Fan-out only does `put_nowait`, so a slow or dead peer can never stall the
    publisher or the other sockets: a full outbox or a send that exceeds
    `send_timeout` gets the connection dropped (the client catches up with since).
    Until it is `live`, events for it are held in `pending` while its replay is read.
    Once live, `sent` is the last event it was given, so `offer` passes on only what follows it,
    straight to the transport when `direct` allows and nothing is queued ahead (direct.py).
    """

    def __init__(
        self, ws: SocketLike, room: str, client: str, stats: Stats, queue_size: int, send_timeout: float
    ) -> None:
        self.ws = ws
        self.room = room
        self.client = client
        self.stats = stats
        self.send_timeout = send_timeout
        self.outbox: asyncio.Queue[tuple[str, int] | _Close] = asyncio.Queue(maxsize=queue_size)
        self.closing = False
        self.live = False
        self.pending: list[StoredEvent] = []
        self.sent: tuple[str, int] = ("", 0)  # (epoch, seq) of the last event given, once live
        self.direct: DirectWriter | None = None
        self.busy = False  # the writer holds a frame it has not handed to the socket yet

    def go_live(self, epoch: str, last: int) -> None:
        """From now on events reach the outbox directly; the client has everything up to `epoch`-`last`."""
        self.sent = (epoch, last)
        self.live = True

    def offer(self, event: StoredEvent, frame: _FrameOnce) -> None:
        """Passes a live event on if it follows what this socket was given.

        A networked store's reader runs behind the read that joined this socket, so it can
        still bring events the replay covered (dropped here), or, after the store lost its
        history, events of the epoch this client was reset away from. Anything else that does
        not follow closes the socket, and the client resumes with since: never a silent gap."""
        epoch, seq = self.sent
        if event.epoch == epoch and event.seq <= seq:
            return
        if not event.follows(epoch, seq):
            self.close(1012, "out of step, resume with since")
            return
        self.sent = (epoch, event.seq)
        direct = self.direct
        if direct is not None and not self.busy and not self.closing and self.outbox.empty() and direct.writable():
            direct.write(frame.of(event))
            self.stats.ws_frames_sent += 1
            self.stats.ws_frames_direct += 1
            self.stats.ws_bytes_sent += event.nbytes
        else:
            self.push(event.text, event.nbytes)

    def push(self, text: str, nbytes: int) -> None:
        if self.closing:
            return
        try:
            self.outbox.put_nowait((text, nbytes))
        except asyncio.QueueFull:
            self.close(1013, "client too slow")  # 1013 = try again later

    def hold(self, event: StoredEvent) -> None:
        """Keeps an event published while this socket's replay is being read."""
        if len(self.pending) >= self.outbox.maxsize:
            self.close(1013, "client too slow")
        elif not self.closing:
            self.pending.append(event)

    def reply(self, frame: dict[str, Any]) -> None:
        """Sends a frame to this socket only (pong, error): no id, not an event."""
        text = encode(frame)
        self.push(text, len(text.encode()))

    def close(self, code: int, reason: str) -> None:
        """Queue a close frame, discarding anything not yet sent (the client re-syncs)."""
        if self.closing:
            return
        self.closing = True
        while not self.outbox.empty():
            self.outbox.get_nowait()
        self.outbox.put_nowait(_Close(code, reason))

    async def run_writer(self) -> None:
        """Send queued frames in order; returns after a close or the first failure."""
        loop = asyncio.get_running_loop()
        limit = self.send_timeout
        while True:
            item = await self.outbox.get()
            self.busy = True
            try:
                # One timer per backlog instead of one per frame (wait_for even costs a
                # Task per frame on 3.11): it is re-armed only once half of it has
                # elapsed, so a send that stalls for between limit/2 and limit drops us.
                async with asyncio.timeout_at(loop.time() + limit) as deadline:
                    armed = loop.time()
                    while True:
                        if (now := loop.time()) - armed > limit / 2:
                            deadline.reschedule(now + limit)
                            armed = now
                        if isinstance(item, _Close):
                            await self.ws.close(item.code, item.reason)
                            return
                        await self.ws.send_text(item[0])
                        self.stats.ws_frames_sent += 1
                        self.stats.ws_bytes_sent += item[1]
                        if self.outbox.empty():
                            self.busy = False
                            break
                        item = self.outbox.get_nowait()
            except Exception:  # timeout, peer gone, socket already closed: drop it
                self.closing = True
                return


class _FrameOnce:
    """One event's frame bytes, built for the first socket that takes them directly."""

    __slots__ = ("_frame",)

    def __init__(self) -> None:
        self._frame: bytes | None = None

    def of(self, event: StoredEvent) -> bytes:
        if self._frame is None:
            self._frame = text_frame(event.text.encode())
        return self._frame


class Hub:
    """Which connections are in which room; delivers each published event to them."""

    def __init__(self) -> None:
        # dict used as an insertion-ordered set: clients are listed in join order
        self.rooms: dict[str, dict[Connection, None]] = {}

    def join(self, conn: Connection) -> None:
        """Adds a connection that is not live yet: its events wait in `pending`."""
        self.rooms.setdefault(conn.room, {})[conn] = None

    def leave(self, conn: Connection) -> None:
        conns = self.rooms.get(conn.room)
        if conns is not None:
            conns.pop(conn, None)
            if not conns:
                del self.rooms[conn.room]

    def watching(self, room: str) -> bool:
        return room in self.rooms

    def clients(self, room: str) -> list[str]:
        return list(dict.fromkeys(c.client for c in self.rooms.get(room, {})))

    def deliver(self, event: StoredEvent) -> None:
        frame = _FrameOnce()
        for conn in self.rooms.get(event.room, ()):
            if conn.live:
                conn.offer(event, frame)
            else:
                conn.hold(event)

    def connections(self) -> list[Connection]:
        return [c for conns in self.rooms.values() for c in conns]

    def close_room(self, room: str, code: int, reason: str) -> int:
        conns = list(self.rooms.get(room, ()))
        for conn in conns:
            conn.close(code, reason)
        return len(conns)

    def close_all(self, code: int, reason: str) -> int:
        conns = self.connections()
        for conn in conns:
            conn.close(code, reason)
        return len(conns)

    def snapshot(self, stats: Stats) -> dict[str, Any]:
        by_room = {room: len(conns) for room, conns in self.rooms.items()}
        return {
            "ws_connections_total": stats.ws_connections_total,
            "ws_connections_open": sum(by_room.values()),
            "ws_open_by_room": by_room,
            "ws_frames_sent": stats.ws_frames_sent,
            "ws_frames_received": stats.ws_frames_received,
            "ws_bytes_sent": stats.ws_bytes_sent,
            "ws_frames_direct": stats.ws_frames_direct,
            "http_requests": stats.http_requests,
            "http_bytes_sent": stats.http_bytes_sent,
            "events_created": stats.events_created,
        }
