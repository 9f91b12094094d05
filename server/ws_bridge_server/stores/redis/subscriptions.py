"""Following one room without a gap: its subscription, its catch-up from the stream, its order.

A replica follows only the rooms it holds sockets for (SSUBSCRIBE to the room's channel,
streams.Streams.channel). Redis sends a channel's messages only from the moment it processed
the SSUBSCRIBE, and none while the reader's connection is down. So every confirmation of a
room's subscription (its first socket arrived, or the reader reconnected) is followed, before
anything newer of that room is passed on, by a catch-up from the room's stream:

* a room followed anew takes its position from the stream's end. What came before belongs to
  its joining sockets' replays, which they read only once this is done (`watch` returns then,
  and live/join.py waits for it): an event published between the SSUBSCRIBE and a replay is
  in the replay and also arrives here, and the join drops the second copy;
* a room that has a position (the reader reconnected) is read from there to the stream's end.

A message of a room not caught up yet (from a subscription given up meanwhile) is dropped: the
catch-up, read after Redis confirmed the new subscription, covers it. After the catch-up:

* an event that follows the position is passed on;
* one the position already covers (read back by a catch-up) is dropped;
* one that leaves a gap makes it read the gap from the stream first;
* one of another epoch means the room's history is gone (Redis lost it): the subscriber's
  `lost(room)` closes the room's sockets, each client resumes with since and gets its reset.

What the stream no longer holds (trimmed, or another epoch) is never skipped silently: `lost(room)`.
The follower (follower.py) owns the connection and its one read loop, and calls in here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ...events import StoredEvent
from ...protocol import NO_ROOM, Position, Step, step
from ...store import NoSubscriber, Subscriber
from .streams import Streams


class Subscriptions:
    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.subscriber: Subscriber = NoSubscriber()
        self.wanted: dict[str, asyncio.Future[None]] = {}  # rooms to follow -> done once caught up
        self.positions: dict[str, Position] = {}  # rooms caught up -> the last event passed on
        self.healed = 0  # events read back from streams by catch-ups and gaps
        self.lost_rooms = 0  # rooms whose sockets were closed because their history was gone
        # Tests only: awaited between a confirmation and its catch-up, to publish into that window.
        self.confirming: Callable[[str], Awaitable[None]] | None = None

    def want(self, room: str) -> tuple[asyncio.Future[None], bool]:
        """The future that is done once the room is followed, and True if it must be subscribed."""
        future = self.wanted.get(room)
        if future is not None:
            return future, False
        future = self.wanted[room] = asyncio.get_running_loop().create_future()
        return future, True

    def drop(self, room: str) -> bool:
        """Stops following the room unless a socket here still watches it; True if it must be unsubscribed."""
        if room not in self.wanted or self.subscriber.watching(room):
            return False
        future = self.wanted.pop(room)
        if not future.done():
            future.cancel()
        self.positions.pop(room, None)
        return True

    async def confirmed(self, room: str) -> None:
        """Redis confirmed the room's subscription: catch up, then tell the sockets waiting to join."""
        if room not in self.wanted:
            return  # given up since: its SUNSUBSCRIBE follows on the connection
        if self.confirming is not None:
            await self.confirming(room)
        await self._catch_up(room)
        future = self.wanted.get(room)
        if future is not None and not future.done():
            future.set_result(None)

    async def on_event(self, event: StoredEvent) -> None:
        position = self.positions.get(event.room)
        if position is None:
            return  # not caught up yet: the catch-up covers it
        where = step(position, event.epoch, event.seq)
        if where is Step.SEEN:
            return  # already passed on by a catch-up
        if where is Step.OTHER_EPOCH:
            self._lose(event.room)
        elif where is Step.GAP:
            await self._fill(event.room, position[0], position[1], event.seq - 1)
        if self._advance(event.room, event.epoch, event.seq):
            self.subscriber.deliver(event)

    async def _catch_up(self, room: str) -> None:
        window = await self.streams.window(room)
        position = self.positions.get(room)
        if position is None:  # followed anew: what precedes is the joining sockets' replay
            self._advance(room, window.epoch, window.last)
            return
        epoch, seq = position
        if (epoch, seq) == (NO_ROOM, 0):  # the room began meanwhile: all of it follows
            epoch = window.epoch
        if window.epoch != epoch:
            self._lose(room)
            self._advance(room, window.epoch, window.last)
        elif window.last > seq:
            await self._fill(room, epoch, seq, window.last)

    async def _fill(self, room: str, epoch: str, after: int, upto: int) -> None:
        events = await self.streams.range(room, epoch, after, upto)
        if events is None:  # trimmed past the position, or another epoch: say so, never skip
            self._lose(room)
            self._advance(room, epoch, upto)
            return
        for event in events:
            if self._advance(room, event.epoch, event.seq):
                self.subscriber.deliver(event)
        self.healed += len(events)

    def _lose(self, room: str) -> None:
        self.lost_rooms += 1
        self.subscriber.lost(room)

    def _advance(self, room: str, epoch: str, seq: int) -> bool:
        """Moves the room's position; False if the room is no longer followed (dropped during a read)."""
        if room not in self.wanted:
            return False
        self.positions[room] = (epoch, seq)
        return True
