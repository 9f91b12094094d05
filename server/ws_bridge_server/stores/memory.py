"""The in-memory store (the default): each room's bounded history in this process.

Its epoch is new at every start, so after a restart every client that resumes
with an id of the previous life gets exactly one reset ("epoch") instead of a
replay that looks complete and is not.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from itertools import islice
from typing import Any

from ..events import StoredEvent, new_body, with_id
from ..protocol import Window, decide, new_epoch
from ..store import EventStore, Limits, NoSubscriber, Replay, Subscriber


class RoomLog:
    """One room: seqs first..last of one epoch, the newest of them kept within the retention."""

    def __init__(self, epoch: str, limits: Limits, last: int = 0) -> None:
        self.epoch = epoch
        self.limits = limits
        self.last = last
        self.events: deque[StoredEvent] = deque()
        self.nbytes = 0  # of the kept events' texts

    def window(self) -> Window:
        first = self.events[0].seq if self.events else self.last + 1
        return Window(self.epoch, first, self.last)

    def append(self, event: StoredEvent) -> None:
        limits = self.limits
        while self.events and (len(self.events) >= limits.retention
                               or self.nbytes + event.nbytes > limits.retention_bytes):
            self.nbytes -= self.events.popleft().nbytes
        self.events.append(event)
        self.nbytes += event.nbytes
        self.last = event.seq

    def after(self, seq: int | None, limit: int | None) -> list[StoredEvent]:
        if seq is None or not self.events:
            return []
        start = max(0, seq - self.events[0].seq + 1)
        return list(islice(self.events, start, None if limit is None else start + limit))


class MemoryStore(EventStore):
    """Rooms are capped at `max_rooms`: the least recently written room without live sockets goes.
    Reading a room never creates it (protocol.Window.before_room answers for it)."""

    def __init__(self, retention: int = 1000, max_rooms: int = 10_000, epoch: str | None = None, *,
                 retention_bytes: int = Limits.retention_bytes, max_event_bytes: int = Limits.max_event_bytes) -> None:
        if max_rooms < 1:
            raise ValueError("max_rooms must be >= 1")
        self.retention = retention
        self.limits = Limits(retention, retention_bytes, max_event_bytes)
        self.max_rooms = max_rooms
        self.epoch = epoch or new_epoch()
        self.rooms: OrderedDict[str, RoomLog] = OrderedDict()
        self.evictions = 0
        self.subscriber: Subscriber = NoSubscriber()

    def attach(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    def room(self, name: str) -> RoomLog:
        """The room, created if needed (only a publish does)."""
        log = self.rooms.get(name)
        if log is None:
            if len(self.rooms) >= self.max_rooms:
                self._evict_one()
            # Before any eviction, no room can have had an earlier life in this store, so the
            # store's epoch is safe. After one, a room may be coming back: its old ids must not
            # be taken for new ones, so it gets an epoch of its own.
            log = self.rooms[name] = RoomLog(self.epoch if not self.evictions else new_epoch(), self.limits)
        return log

    def _evict_one(self) -> None:
        victim = next((r for r in self.rooms if not self.subscriber.watching(r)), None)
        if victim is not None:
            del self.rooms[victim]
            self.evictions += 1

    async def publish(self, room: str, kind: str, payload: Mapping[str, Any]) -> StoredEvent:
        """No suspension point: id, append, trim and notify happen at once."""
        body = new_body(room, kind, payload, self.limits.max_event_bytes)  # raises before any change
        log = self.room(room)
        event = with_id(log.epoch, log.last + 1, body)
        self._persist(event)
        log.append(event)
        self.rooms.move_to_end(room)
        self.subscriber.deliver(event)
        return event

    def _persist(self, event: StoredEvent) -> None:
        """Hook for a durable copy, written before anyone can see the event."""

    async def presence(self, room: str) -> list[str]:
        """One process holds every socket, so presence is this replica's own (the hub's, join order)."""
        return self.subscriber.clients(room)

    async def read(self, room: str, since: str | None, *, socket: bool, limit: int | None = None) -> Replay:
        log = self.rooms.get(room)
        window = log.window() if log is not None else Window.before_room()
        decision = decide(since, window, socket=socket)
        events = log.after(decision.after, limit) if log is not None else []
        return Replay(window, decision.reset, events)
