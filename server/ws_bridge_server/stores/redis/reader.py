"""One Redis node's pub/sub connection for the follower: it only reads, and queues what it read.

A single Redis has one reader; a cluster one per node serving rooms this replica holds sockets
for (a room's sharded channel lives on the node serving its slot). Each reader subscribes its
rooms on every (re)connect and puts every reply on the follower's one queue, in the order the
node sent them, so one loop (follower.py) handles all of them and the rooms' state has one owner.
The queue is bounded: a loop that falls behind stops the reading, and Redis's own limit on a
subscriber's output then cuts the connection, which ends in a reconnect and a catch-up.
"""

from __future__ import annotations

import asyncio
import logging
import math
from enum import Enum

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .streams import Streams

log = logging.getLogger("ws_bridge_server")

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0


class Link(Enum):
    """What a reader queues besides replies: its connection came up (rooms subscribed), or dropped."""

    UP = "up"
    DOWN = "down"


Item = tuple["Reader", object]  # (the reader, a reply or a Link)


class Reader:
    def __init__(self, streams: Streams, node: str, queue: asyncio.Queue[Item], *, must_connect: bool) -> None:
        self.streams, self.node, self.queue = streams, node, queue
        # A single Redis's reader fails its start if it cannot connect at all; a cluster node's
        # reader reports DOWN instead, so the follower asks which node serves its rooms now.
        self.must_connect = must_connect
        self.up = asyncio.Event()  # set at the first connection
        self.rooms: set[str] = set()  # rooms whose channel this node serves, subscribed on each connect
        # SUNSUBSCRIBEs sent on this connection and not confirmed yet, per room: any other
        # confirmation is Redis's own (the room's slot moved away)
        self.leaving: dict[str, int] = {}
        self.connects = 0
        self.subscribes = 0  # SSUBSCRIBEs sent
        self.conn: AbstractConnection | None = None  # while connected: commands may be sent on it
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def send(self, command: str, room: str) -> None:
        conn = self.conn
        if conn is None or not conn.is_connected:
            return  # the next connection subscribes this reader's rooms (and no other) by itself
        if command == "SSUBSCRIBE":
            self.subscribes += 1
        else:
            self.leaving[room] = self.leaving.get(room, 0) + 1
        try:
            await conn.send_command(command, self.streams.channel(room))
        except (RedisConnectionError, RedisTimeoutError, OSError):
            pass  # the read sees the same dead connection: it reconnects and subscribes again

    async def reconnect(self) -> None:
        """Drops the connection (the loop could not act on a reply): the read fails, and a new one catches up."""
        if self.conn is not None:
            await self.conn.disconnect()

    async def _run(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            conn: AbstractConnection | None = None
            try:
                conn = self.streams.reader_connection(self.node)
                await conn.connect()  # type: ignore[no-untyped-call]
                self.conn = conn
                self.connects += 1
                self.leaving.clear()  # the old connection's confirmations will never come
                self.up.set()
                await self.queue.put((self, Link.UP))  # before any reply of the new connection
                for room in list(self.rooms):  # each confirmation then catches its room up
                    await self.send("SSUBSCRIBE", room)
                delay = RETRY_FIRST_S
                while True:
                    await self.queue.put((self, await conn.read_response(timeout=math.inf)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection dropped, Redis is (re)starting, or a slot moved
                if self.connects == 0 and self.must_connect:
                    raise  # never connected: the follower's start says why
                log.warning("Redis reader connection to %s lost (%s); reconnecting and catching its rooms up",
                            self.node or "Redis", exc)
                await self.queue.put((self, Link.DOWN))
            finally:
                self.conn = None
                if conn is not None:
                    await conn.disconnect()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
