"""The Redis store's follower: one pub/sub reader per replica, every event in id order to the subscriber.

It SUBSCRIBEs to the store's channel on a connection of its own (one per replica, however
many sockets). Pub/sub drops whatever is published while that connection is down, so for
each room with live sockets here it remembers the last event it passed on (its position):

* an event that follows the position is passed on;
* one the position already covers (read back by a heal) is dropped;
* one that leaves a gap makes it read the gap from the stream first;
* one of another epoch means the room's history is gone (Redis lost it): the subscriber's
  `lost(room)` closes the room's sockets, each client resumes with since and gets its reset.

After a dropped connection (Redis restarted, CLIENT KILL, a network cut) it reconnects,
subscribes, then reads every watched room from its position to the stream's end and passes that
on before any message that arrived on the new connection. What the stream no longer holds
(trimmed, or another epoch) is never skipped silently: `lost(room)` again.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict

from ...events import StoredEvent
from ...protocol import NO_ROOM, Position, Step, Window, step
from ...store import NoSubscriber, Subscriber
from .streams import Streams, read_notice

log = logging.getLogger("ws_bridge_server")

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0


class Follower:
    def __init__(self, streams: Streams, max_rooms: int) -> None:
        self.streams = streams
        self.subscriber: Subscriber = NoSubscriber()
        self.max_positions = max(max_rooms, 1) * 4
        self.positions: OrderedDict[str, Position] = OrderedDict()  # room -> last event passed on
        self.reconnects = 0  # connections after the first
        self.healed = 0  # events read back from streams after a gap
        self.lost_rooms = 0  # rooms whose sockets were closed because their history was gone
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def attach(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    async def start(self) -> None:
        """Returns once subscribed, so nothing published after start() is missed."""
        self._task = asyncio.create_task(self._run())
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait((ready, self._task), return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._task.done():
            self._task.result()  # raises why it could not start

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def joined(self, room: str, window: Window) -> None:
        """A socket read the room up to `window`: a position from there if the room has none yet.

        With no position, nothing of the room was passed on since this reader started, so every
        socket in it is still joining and got (or holds) whatever precedes the window."""
        if room not in self.positions:
            self._advance(room, window.epoch, window.last)

    # --- the connection --------------------------------------------------------------

    async def _run(self) -> None:
        first, delay = True, RETRY_FIRST_S
        while True:
            conn = self.streams.reader_connection()
            try:
                await conn.connect()  # type: ignore[no-untyped-call]
                await conn.send_command("SUBSCRIBE", self.streams.channel)
                await conn.read_response(timeout=math.inf)  # ["subscribe", channel, 1]
                if not first:
                    self.reconnects += 1
                    await self.streams.check_durability()
                    await self._heal_all()
                first, delay = False, RETRY_FIRST_S
                self._ready.set()
                while True:
                    message = await conn.read_response(timeout=math.inf)
                    if isinstance(message, list) and len(message) == 3 and message[0] == "message":
                        await self._on_event(read_notice(message[2]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection dropped, or Redis is (re)starting
                if first:
                    raise
                log.warning("Redis reader connection lost (%s); reconnecting and healing the gap", exc)
            finally:
                await conn.disconnect()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    # --- ordering and healing -----------------------------------------------------------

    async def _on_event(self, event: StoredEvent) -> None:
        sub = self.subscriber
        position = self.positions.get(event.room)
        if position is not None and sub.watching(event.room):
            where = step(position, event.epoch, event.seq)
            if where is Step.SEEN:
                return  # already passed on by a heal
            if where is Step.OTHER_EPOCH:
                self._lose(event.room)
            elif where is Step.GAP:
                await self._fill(event.room, position[0], position[1], event.seq - 1)
        self._advance(event.room, event.epoch, event.seq)
        sub.deliver(event)

    async def _heal_all(self) -> None:
        """After a reconnect: every watched room, from its position to the stream's end."""
        sub = self.subscriber
        for room in list(self.positions):
            if not sub.watching(room):  # nobody here to owe anything to
                del self.positions[room]
                continue
            epoch, seq = self.positions[room]
            window = await self.streams.window(room)
            if (epoch, seq) == (NO_ROOM, 0):  # the room began meanwhile: all of it follows
                epoch = window.epoch
            if window.epoch != epoch:
                self._lose(room)
                self._advance(room, window.epoch, window.last)
            elif window.last > seq:
                await self._fill(room, epoch, seq, window.last)
                self._advance(room, epoch, max(window.last, self.positions[room][1]))

    async def _fill(self, room: str, epoch: str, after: int, upto: int) -> None:
        events = await self.streams.range(room, epoch, after, upto)
        if events is None:  # trimmed past the position, or another epoch: say so, never skip
            self._lose(room)
            return
        for event in events:
            self._advance(room, event.epoch, event.seq)
            self.subscriber.deliver(event)
        self.healed += len(events)

    def _lose(self, room: str) -> None:
        self.lost_rooms += 1
        self.subscriber.lost(room)

    def _advance(self, room: str, epoch: str, seq: int) -> None:
        self.positions[room] = (epoch, seq)
        self.positions.move_to_end(room)
        if len(self.positions) > self.max_positions:
            sub = self.subscriber
            idle = next((r for r in self.positions if not sub.watching(r)), None)
            if idle is not None:
                del self.positions[idle]
