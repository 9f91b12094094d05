"""The store interface: where a room's history lives, and the replica's one subscription to it.

A store assigns ids, keeps each room's bounded history and tells the replica's
single subscriber about every event it publishes, in publish order (= id
order), and says who is in a room (`presence`). The memory and file stores are
in `stores/`; a networked store (Redis) implements the same methods. What the
server does with a socket (replay, then live, with no gap and no duplicate) is
in `live/join.py` and works with any store that keeps these promises.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .events import StoredEvent
from .protocol import Reset, Window


@dataclass(frozen=True)
class Limits:
    """What a store keeps per room and accepts per event; both counts bound its memory."""

    retention: int = 1000  # events kept per room
    retention_bytes: int = 1 << 20  # bytes of event text kept per room: the oldest go first
    max_event_bytes: int = 65536  # a bigger event is refused at publish (EventTooLarge)

    def __post_init__(self) -> None:
        if not 1 <= self.max_event_bytes <= self.retention_bytes or self.retention < 1:
            raise ValueError("store limits need retention >= 1 and 1 <= max_event_bytes <= retention_bytes, "
                             f"got {self}")


@dataclass(frozen=True, slots=True)
class Replay:
    """A store's answer to `since`: the room's window at the time of the read, the
    reset if the history after `since` is gone, and the events to send (in order)."""

    window: Window
    reset: Reset | None
    events: list[StoredEvent]


class Subscriber(Protocol):
    """The replica's one subscription (the Bridge), never one per client."""

    def deliver(self, event: StoredEvent) -> None:
        """Every published event once, in publish order per room; must not block. A store
        whose notifications can be lost (a dropped connection) reads the missed range back
        and delivers it before anything newer: sockets that are live pass events on as given."""

    def watching(self, room: str) -> bool:
        """True while the room has sockets here (joining or live): a store must not drop such a
        room, and a store that follows rooms one by one stops following it only once this is False."""

    def lost(self, room: str) -> None:
        """The room's history under this replica's sockets is gone (a networked store lost it, or
        could not read the missed range back): close them, so each resumes with `since` and gets
        its reset from `read` instead of a silent gap. The memory and file stores never call it."""

    def clients(self, room: str) -> list[str]:
        """The client names with a socket in the room on this replica (the hub's), in join order."""


class NoSubscriber:
    """A store's subscriber until `attach`: nothing is delivered, no room is watched."""

    def deliver(self, event: StoredEvent) -> None:
        pass

    def watching(self, room: str) -> bool:
        return False

    def lost(self, room: str) -> None:
        pass

    def clients(self, room: str) -> list[str]:
        return []


class EventStore(ABC):
    """Async from the start, so a networked store fits behind the same calls."""

    retention: int  # events kept per room

    @abstractmethod
    def attach(self, subscriber: Subscriber) -> None:
        """Sets the subscriber that `publish` notifies."""

    @abstractmethod
    async def publish(self, room: str, kind: str, payload: Mapping[str, Any]) -> StoredEvent:
        """Assigns the next id, appends, trims to `retention` and notifies the subscriber, as one step."""

    @abstractmethod
    async def read(self, room: str, since: str | None, *, socket: bool, limit: int | None = None) -> Replay:
        """The events after `since` (at most `limit` of them), or a reset: always through `protocol.decide`.
        Reading a room nobody wrote to creates nothing: it answers `Window.before_room()`."""

    @abstractmethod
    async def presence(self, room: str) -> list[str]:
        """The client names with a socket in the room on every replica that shares this store,
        each once. A store of one process answers with its subscriber's `clients(room)`."""

    async def watch(self, room: str) -> None:
        """A socket is joining `room` on this replica (the hub has it): returns once every event of the
        room published from then on will reach the subscriber. The join reads its replay only after
        this, so nothing falls between the two. A store that tells the subscriber about every room
        (memory, file) returns at once; the Redis store subscribes to the room first."""

    async def unwatch(self, room: str) -> None:
        """A socket left `room` on this replica (the hub no longer has it); the store may stop
        following a room its subscriber no longer `watching`."""

    async def entered(self, room: str, client: str) -> None:
        """A socket of `client` is in `room` on this replica (the hub has it): a shared store records it."""

    async def left(self, room: str, client: str) -> None:
        """A socket of `client` left `room` on this replica (the hub no longer has it)."""

    async def start(self) -> None:
        """Loads or connects; called once before the first use."""

    async def close(self) -> None:
        """Flushes and releases what the store holds."""
