"""The Redis store (REDIS_URL / --redis): rooms shared by every replica that talks to one Redis.

Each room is a bounded Redis stream plus a small hash (scripts.py says which keys and why).
Publishing is one Lua script: the epoch (made if missing), the next seq, XADD with the
event's body, the trim to `retention` and the SPUBLISH to the room's channel (only the replicas
holding sockets in the room subscribe to it), so publish order is id order everywhere. Reads
take the window in a script, decide with `protocol.decide` like every store, and read the
replay back in pages (streams.py).

Each replica has one follower (follower.py), never a connection per client: it subscribes
to a room when its first socket here joins (`watch`, before the socket's replay) and leaves it
with the last (`unwatch`), passes every event of those rooms on to the replica's subscriber in
id order, and after a dropped connection reads back what it missed before anything newer.

With `cluster=True` (REDIS_CLUSTER) `url` names any node of a Redis Cluster: every call goes to the
master of its room's slot, the follower reads each node that serves its rooms, and a failover
starts a new epoch in the failed master's rooms (streams.check_durability says why).

Who is in a room on any replica is presence.py: members with an expiry, rewritten by a
refresh task that lives from `start()` to `close()`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ...events import StoredEvent, new_body
from ...protocol import decide
from ...store import EventStore, Limits, NoSubscriber, Replay, Subscriber
from .follower import Follower
from .presence import EXPIRY_S, REFRESH_S, Presence
from .streams import Streams

READ_ATTEMPTS = 5  # a room trimmed under each of this many reads in a row is an error
ROOM_TTL_S = 7 * 24 * 3600  # a room nobody publishes to for this long expires


class RedisStore(EventStore):
    def __init__(self, url: str, retention: int = 1000, *, prefix: str = "wsb",
                 retention_bytes: int = Limits.retention_bytes, max_event_bytes: int = Limits.max_event_bytes,
                 room_ttl_s: float = ROOM_TTL_S, presence_expiry_s: float = EXPIRY_S,
                 presence_refresh_s: float = REFRESH_S, cluster: bool = False) -> None:
        if room_ttl_s <= 0:
            raise ValueError("room_ttl_s must be > 0")
        self.url = url
        self.retention = retention
        self.limits = Limits(retention, retention_bytes, max_event_bytes)
        self.room_ttl_s = room_ttl_s
        self.streams = Streams(url, prefix, cluster=cluster)  # cluster: `url` names any node of a Redis Cluster
        self.follower = Follower(self.streams)
        # This replica's name in presence members: new at every start of the process, so a
        # restarted replica never renews a dead one's members.
        self.replica = secrets.token_hex(6)
        self.presence_tracker = Presence(self.streams, self.replica, presence_expiry_s, presence_refresh_s)
        self.subscriber: Subscriber = NoSubscriber()

    def attach(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber
        self.follower.attach(subscriber)
        self.presence_tracker.attach(subscriber)

    async def start(self) -> None:
        await self.streams.check_durability()
        await self.follower.start()
        await self.presence_tracker.start()

    async def close(self) -> None:
        await self.presence_tracker.stop()
        await self.presence_tracker.withdraw()
        await self.follower.stop()
        await self.streams.close()

    async def presence(self, room: str) -> list[str]:
        """Every replica's clients in the room, sorted by name; a dead replica's within `presence_expiry_s`."""
        return await self.presence_tracker.names(room)

    async def entered(self, room: str, client: str) -> None:
        await self.presence_tracker.entered(room, client)

    async def left(self, room: str, client: str) -> None:
        await self.presence_tracker.left(room, client)

    async def watch(self, room: str) -> None:
        await self.follower.watch(room)

    async def unwatch(self, room: str) -> None:
        await self.follower.unwatch(room)

    async def publish(self, room: str, kind: str, payload: Mapping[str, Any]) -> StoredEvent:
        body = new_body(room, kind, payload, self.limits.max_event_bytes)  # raises before anything is written
        return await self.streams.append(room, body, self.limits, self.room_ttl_s, secrets.token_hex(8))

    async def read(self, room: str, since: str | None, *, socket: bool, limit: int | None = None) -> Replay:
        for _ in range(READ_ATTEMPTS):
            window = await self.streams.window(room)
            decision = decide(since, window, socket=socket)
            events: list[StoredEvent] | None = []
            if decision.after is not None and decision.after < window.last:
                upto = window.last if limit is None else min(window.last, decision.after + limit)
                events = await self.streams.range(room, window.epoch, decision.after, upto)
            if events is not None:
                return Replay(window, decision.reset, events)
        raise RuntimeError(f"room {room!r} changed under {READ_ATTEMPTS} reads in a row")
