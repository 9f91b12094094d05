"""In-memory, bounded, per-room event log plus the game state derived from it.

Pure synchronous code (no asyncio, no I/O) so it is trivial to test and to swap
for a persistent store later.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

Event = dict[str, Any]

# Fields the server owns; a client-supplied payload can never override them.
RESERVED_FIELDS = frozenset({"id", "type", "room", "ts"})
MESSAGES_IN_STATE = 50
MAX_VOTES_PER_ROOM = 1000


def encode(obj: Any) -> str:
    """Compact JSON; NaN/Infinity are rejected because browsers can't parse them."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    seq: int
    event: Event
    # Serialized once at creation and shared by every socket, poll and replay.
    text: str
    nbytes: int

    @property
    def id(self) -> str:
        return str(self.event["id"])


class Room:
    """One room: a bounded replay log and the game state folded from its events."""

    def __init__(self, name: str, log_size: int, seq_base: int) -> None:
        self.name = name
        self.log_size = log_size
        self.log: deque[LoggedEvent] = deque()
        self.index: dict[str, int] = {}  # id -> seq, for retained events only
        self.next_seq = seq_base + 1
        self.phase: str = "lobby"
        self.topic: Any = None
        self.messages: deque[Event] = deque(maxlen=MESSAGES_IN_STATE)
        self.votes: dict[str, str] = {}

    def append(self, logged: LoggedEvent) -> None:
        if len(self.log) >= self.log_size:
            del self.index[self.log.popleft().id]
        self.log.append(logged)
        self.index[logged.id] = logged.seq
        self._apply(logged.event)

    def _apply(self, ev: Event) -> None:
        kind = ev["type"]
        if kind == "message":
            self.messages.append(ev)
        elif kind == "phase":
            self.phase = ev.get("phase", self.phase)
            self.votes.clear()  # every phase starts a fresh round of votes
        elif kind == "topic":
            self.topic = ev.get("topic")
        elif kind == "voted":
            player, target = ev.get("player"), ev.get("target")
            if isinstance(player, str) and isinstance(target, str):
                self.votes.pop(player, None)  # re-insert so the dict stays in vote order
                self.votes[player] = target
                if len(self.votes) > MAX_VOTES_PER_ROOM:
                    del self.votes[next(iter(self.votes))]

    def after(self, since: str | None) -> list[LoggedEvent]:
        """Events strictly after `since`; the whole retained log if it is None or unknown."""
        seq = self.index.get(since) if since is not None else None
        if seq is None or not self.log:
            return list(self.log)
        return list(islice(self.log, seq - self.log[0].seq + 1, None))


class EventStore:
    """All rooms. Room count is capped: the least recently written idle room is evicted."""

    def __init__(
        self,
        log_size: int = 1000,
        max_rooms: int = 10_000,
        seq_base: int | None = None,
        clock: Callable[[], float] = time.time,
        is_pinned: Callable[[str], bool] = lambda room: False,
    ) -> None:
        self.log_size = log_size
        self.max_rooms = max_rooms
        # Sequences start at <boot time in ms> * 1000, so ids stay unique and
        # increasing across restarts of an in-memory server: an id a client kept
        # from a previous lifetime is simply unknown here (-> full replay) instead
        # of colliding with a new event that reuses the same small number.
        # Still well below 2**53, so JavaScript can parse it as a number.
        self.seq_base = int(clock() * 1000) * 1000 if seq_base is None else seq_base
        self.clock = clock
        self.is_pinned = is_pinned  # rooms with open sockets must not be evicted
        self.rooms: OrderedDict[str, Room] = OrderedDict()

    def get(self, name: str) -> Room | None:
        return self.rooms.get(name)

    def _room_for_write(self, name: str) -> Room:
        room = self.rooms.get(name)
        if room is not None:
            self.rooms.move_to_end(name)
            return room
        if len(self.rooms) >= self.max_rooms:
            victim = next((r for r in self.rooms if not self.is_pinned(r)), None)
            if victim is not None:
                del self.rooms[victim]
        room = self.rooms[name] = Room(name, self.log_size, self.seq_base)
        return room

    def append(self, room_name: str, kind: str, payload: Mapping[str, Any]) -> LoggedEvent:
        """Create, log and return an event. Raises ValueError if it isn't valid JSON."""
        room = self._room_for_write(room_name)
        seq = room.next_seq
        event: Event = {"id": f"{room_name}-{seq}", "type": kind, "room": room_name, "ts": self.clock() * 1000}
        event.update((k, v) for k, v in payload.items() if k not in RESERVED_FIELDS)
        text = encode(event)  # before mutating the room, so a bad payload leaves no trace
        logged = LoggedEvent(seq, event, text, len(text.encode()))
        room.next_seq += 1
        room.append(logged)
        return logged

    def restore(self, room_name: str, seq: int, event: Event) -> LoggedEvent:
        """Puts back an event from a persistent log; the room's ids go on from `seq`."""
        room = self.rooms.get(room_name)
        if room is None or seq != room.next_seq:
            # A new room, or one that was evicted and started over: its log must stay contiguous.
            if room is None and len(self.rooms) >= self.max_rooms:
                del self.rooms[next(iter(self.rooms))]
            room = self.rooms[room_name] = Room(room_name, self.log_size, seq - 1)
        self.rooms.move_to_end(room_name)
        text = encode(event)
        logged = LoggedEvent(seq, event, text, len(text.encode()))
        room.next_seq = seq + 1
        room.append(logged)
        return logged

    def after(self, room_name: str, since: str | None) -> list[LoggedEvent]:
        room = self.rooms.get(room_name)
        return room.after(since) if room else []
