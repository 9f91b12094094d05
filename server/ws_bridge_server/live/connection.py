"""One live socket: its bounded outbox, its single writer task, and what it was last given.

Fan-out only does `put_nowait` (or a direct transport write), so a slow or dead
peer can never stall the publisher or the other sockets: a full outbox, or a
send that exceeds `send_timeout`, drops the connection, and the client catches
up with `since`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from ..events import StoredEvent
from ..protocol import NEXT, SEEN, Position, encode, step
from .direct import DirectWriter, text_frame
from .stats import Stats


class SocketLike(Protocol):
    """The two calls the writer needs (starlette's WebSocket satisfies it)."""

    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class SharedFrame:
    """One event's WebSocket frame bytes, built for the first socket that takes them directly."""

    __slots__ = ("_bytes",)

    def __init__(self) -> None:
        self._bytes: bytes | None = None

    def of(self, event: StoredEvent) -> bytes:
        if self._bytes is None:
            self._bytes = text_frame(event.text.encode())
        return self._bytes


class Connection:
    """A socket in a room. Once live, `position` is the last event it was given, so `offer`
    passes on only what follows it, straight to the transport when `direct` allows and
    nothing is queued ahead (direct.py)."""

    def __init__(
        self, ws: SocketLike, room: str, client: str, stats: Stats, queue_size: int, send_timeout: float,
        queue_bytes: int = 8 << 20, address: str = "",
    ) -> None:
        self.ws = ws
        self.room = room
        self.client = client
        self.address = address
        self.stats = stats
        self.send_timeout = send_timeout
        self.outbox: asyncio.Queue[tuple[str, int] | _Close] = asyncio.Queue(maxsize=queue_size)
        self.queue_bytes = queue_bytes
        self.queued_bytes = 0  # of the texts in the outbox
        self.closing = False
        self.position: Position = ("", 0)  # set when it goes live (join.py)
        self.direct: DirectWriter | None = None
        self.busy = False  # the writer holds a frame it has not handed to the socket yet

    def offer(self, event: StoredEvent, frame: SharedFrame) -> None:
        """Passes a live event on if it follows what this socket was given.

        A networked store's reader runs behind the read that joined this socket, so it can
        still bring events the replay covered: those are dropped. Anything else that does not
        follow on closes the socket, and the client resumes with since: never a silent gap."""
        where = step(self.position, event.epoch, event.seq)
        if where is SEEN:
            return
        if where is not NEXT:
            self.close(1012, "out of step, resume with since")
            return
        self.position = (event.epoch, event.seq)
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
        if self.queued_bytes + nbytes > self.queue_bytes:
            self.close(1013, "client too slow")  # 1013 = try again later
            return
        try:
            self.outbox.put_nowait((text, nbytes))
        except asyncio.QueueFull:
            self.close(1013, "client too slow")
            return
        self.queued_bytes += nbytes

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
        self.queued_bytes = 0
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
                        self.queued_bytes -= item[1]
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
