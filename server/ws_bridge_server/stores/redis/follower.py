"""The Redis store's follower: every event of the rooms this replica holds sockets for, in id
order, to the subscriber, through sharded pub/sub.

A room's first socket here SSUBSCRIBEs its channel (`watch`), its last one leaving SUNSUBSCRIBEs
it (`unwatch`), so Redis sends each event only to the replicas holding its room. The
subscriptions go through one connection per Redis node (reader.py: one on a single Redis, one
per node serving such rooms on a cluster), never one per client, and every reply of every
reader comes through one queue to the one loop here. What a room needs to be followed without
a gap (the catch-up after each confirmation, the positions, reading gaps back, `lost(room)`) is
subscriptions.py.

After a dropped connection (Redis restarted, CLIENT KILL, a network cut) the reader reconnects
and subscribes its rooms again; each confirmation then reads that room from its position to the
stream's end before any newer message of it. On a cluster, a drop also asks the cluster which
node now serves each of the reader's rooms (a replica promoted by a failover, a slot migrated)
and subscribes the moved rooms there: their catch-up finds a new epoch (scripts.py: a cluster is
never durable), so their sockets get 1012 and their clients one reset.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisClusterException, RedisError

from ...store import Subscriber
from .reader import Item, Link, Reader
from .streams import Streams, read_notice
from .subscriptions import Subscriptions

log = logging.getLogger("ws_bridge_server")

WATCH_TIMEOUT_S = 20.0  # a socket waits this long for its room's subscription (Redis down): then it fails
QUEUE_SIZE = 10_000  # replies read and not yet handled, over all readers


class Follower:
    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.rooms = Subscriptions(streams)
        self.readers: dict[str, Reader] = {}  # node -> its reader
        self.placed: dict[str, Reader] = {}  # room -> the reader it is subscribed on
        self.reconnects = 0  # reader connections after each reader's first
        self.unsubscribes = 0  # SUNSUBSCRIBEs sent (a room's last socket left)
        self.received = 0  # room messages Redis sent this replica: its share of Redis's egress
        self._queue: asyncio.Queue[Item] = asyncio.Queue(QUEUE_SIZE)
        self._task: asyncio.Task[None] | None = None

    @property
    def subscribes(self) -> int:
        """SSUBSCRIBEs sent (a room's first socket, or a reconnect)."""
        return sum(r.subscribes for r in self.readers.values())

    def attach(self, subscriber: Subscriber) -> None:
        self.rooms.subscriber = subscriber

    async def start(self) -> None:
        """Returns once a single Redis's reader is connected (a cluster's readers start with their rooms)."""
        self._task = asyncio.create_task(self._loop())
        if not self.streams.cluster:
            reader = self._reader("")
            up = asyncio.create_task(reader.up.wait())
            assert reader.task is not None
            await asyncio.wait((up, reader.task), return_when=asyncio.FIRST_COMPLETED)
            up.cancel()
            if reader.task.done():
                reader.task.result()  # raises why it could not connect

    async def stop(self) -> None:
        for reader in list(self.readers.values()):
            await reader.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def watch(self, room: str) -> None:
        """Returns once every event of the room published from now on will be passed on (the
        subscription is confirmed and the room caught up); the caller's socket is in the hub already."""
        future, new = self.rooms.want(room)
        if new:
            await self._place(room)
        # Shielded: one socket giving up must not cancel the wait of the others in the room.
        await asyncio.wait_for(asyncio.shield(future), WATCH_TIMEOUT_S)

    async def unwatch(self, room: str) -> None:
        """A socket of the room left the hub: unsubscribe if it was the room's last one here."""
        if self.rooms.drop(room):
            reader = self.placed.pop(room, None)
            if reader is not None:
                reader.rooms.discard(room)
                self.unsubscribes += 1
                await reader.send("SUNSUBSCRIBE", room)

    async def _place(self, room: str) -> None:
        reader = self._reader(self.streams.node_of(room))
        reader.rooms.add(room)
        self.placed[room] = reader
        await reader.send("SSUBSCRIBE", room)

    def _reader(self, node: str) -> Reader:
        reader = self.readers.get(node)
        if reader is None:
            reader = self.readers[node] = Reader(self.streams, node, self._queue, must_connect=not self.streams.cluster)
            reader.start()
        return reader

    # --- the one loop -----------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            reader, item = await self._queue.get()
            try:
                await self._handle(reader, item)
            # A catch-up's read failed, a reply was garbled, or a cluster had a slot without a master.
            except (RedisError, RedisClusterException, OSError, ValueError) as exc:
                log.warning("Redis follower could not act on a reply (%s); reconnecting to catch up", exc)
                await reader.reconnect()

    async def _handle(self, reader: Reader, item: object) -> None:
        """One item, in the order its node sent it: a link change, a room's event, or a confirmation."""
        if item is Link.UP:
            if reader.connects > 1:
                self.reconnects += 1
                await self.streams.check_durability()
        elif item is Link.DOWN:
            if self.streams.cluster:
                await self._move_rooms(reader)
        elif isinstance(item, list) and len(item) == 3:
            kind, channel, data = item
            if kind == "smessage":
                self.received += 1
                await self.rooms.on_event(read_notice(str(data)))
            elif kind == "ssubscribe":
                await self.rooms.confirmed(self.streams.room_of(str(channel)))
            elif kind == "sunsubscribe":
                await self._unsubscribed(reader, self.streams.room_of(str(channel)))

    async def _unsubscribed(self, reader: Reader, room: str) -> None:
        """A room's subscription ended. Unless we asked (its last socket left), Redis ended it
        because the room's slot moved to another node (Redis 7 sends SUNSUBSCRIBE then, on the
        same connection): subscribe it where it is now; that confirmation catches it up."""
        if reader.leaving.get(room, 0) > 0:
            reader.leaving[room] -= 1
            return
        if room not in reader.rooms:
            return
        await self.streams.find_nodes()
        reader.rooms.discard(room)
        await self._place(room)

    async def _move_rooms(self, reader: Reader) -> None:
        """A cluster node's connection dropped: subscribe the rooms another node now serves there."""
        await self.streams.find_nodes()
        for room in list(reader.rooms):
            if self.streams.node_of(room) != reader.node:
                reader.rooms.discard(room)
                await self._place(room)
        if not reader.rooms:  # nothing left to read on that node (it may be dead)
            del self.readers[reader.node]
            await reader.stop()
