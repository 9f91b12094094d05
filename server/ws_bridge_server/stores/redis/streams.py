"""A room's keys in Redis, its scripts, and reading its stream back: shared by the store and the follower.

Also which Redis process answers and whether it is durable (the epoch rules in
scripts.py depend on it), and the retry that rides out a Redis restart. The pub/sub
message and the stream entry carry the body exactly as events.py built it; the
id is put in front of it by events.with_id, as for every store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import BusyLoadingError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ...events import Body, StoredEvent, read_body, with_id
from ...protocol import Window, new_epoch, parse_id
from ...store import Limits
from . import scripts

log = logging.getLogger("ws_bridge_server")

PAGE = 256  # events per XRANGE: a replay of the whole retention is a few bounded reads
MAX_CONNECTIONS = 32  # per replica, for publishes and reads (the follower has its own)
POOL_WAIT_S = 20.0
CONNECT_ATTEMPTS = 5  # a Redis that restarts under a script call: fresh connections, a few times
RETRY_S = 0.1


class Streams:
    def __init__(self, url: str, prefix: str = "wsb", *, cluster: bool = False) -> None:
        self.prefix = prefix
        self.cluster = cluster
        # The run_id of the Redis process we talk to, and that run_id again if that process
        # persists every write before answering (AOF, appendfsync always); else "".
        self.run_id = ""
        self.durable_run = ""
        # RESP2: on the follower's connection, pub/sub messages are plain replies read in order
        # (RESP3 would hand them to a push callback instead).
        self._pool: aioredis.BlockingConnectionPool | None = None
        self.redis: aioredis.Redis | aioredis.RedisCluster
        if cluster:  # each call goes to the master of its key's slot, and follows the slots when they move
            self.redis = aioredis.RedisCluster.from_url(url, decode_responses=True, protocol=2)
        else:  # blocking: a burst of publishes waits for one of MAX_CONNECTIONS instead of failing
            self._pool = aioredis.BlockingConnectionPool.from_url(
                url, decode_responses=True, protocol=2, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_S)
            self.redis = aioredis.Redis(connection_pool=self._pool)
        self._publish = self.redis.register_script(scripts.PUBLISH)
        self._window = self.redis.register_script(scripts.WINDOW)

    def keys(self, room: str) -> list[str]:
        tag = f"{self.prefix}:{{{room}}}"
        return [f"{tag}:meta", f"{tag}:stream"]

    def presence_key(self, room: str) -> str:
        return f"{self.prefix}:{{{room}}}:presence"

    def channel(self, room: str) -> str:
        """The room's sharded pub/sub channel: under its hash tag, so a cluster keeps it on the room's shard."""
        return f"{self.prefix}:{{{room}}}:live"

    def room_of(self, channel: str) -> str:
        """The room of one of our channels (room names hold no braces, PROTOCOL.md's charset)."""
        return channel[len(self.prefix) + 2:-len("}:live")]

    def node_of(self, room: str) -> str:
        """The Redis node that serves the room's channel ("" on a single Redis): the follower reads it there."""
        if isinstance(self.redis, aioredis.RedisCluster):
            node = self.redis.get_node_from_key(self.channel(room))
            return node.name if node is not None else ""
        return ""

    async def find_nodes(self) -> None:
        """Asks a cluster again which node serves which slot (after a failover); nothing on a single Redis."""
        if isinstance(self.redis, aioredis.RedisCluster):
            await self.redis.nodes_manager.initialize()

    def reader_connection(self, node: str) -> AbstractConnection:
        """A connection of its own to `node` (node_of) for the follower, never taken from a pool."""
        if isinstance(self.redis, aioredis.RedisCluster):
            found = self.redis.get_node(node_name=node)
            if found is None:
                raise RedisConnectionError(f"no node {node} in the cluster")
            kwargs: dict[str, Any] = dict(found.connection_kwargs)
            connection_class: type[AbstractConnection] = found.connection_class
        else:
            assert self._pool is not None
            kwargs, connection_class = dict(self._pool.connection_kwargs), self._pool.connection_class
        kwargs["client_name"] = "ws-bridge-reader"
        if connection_class is aioredis.Connection:  # TCP (not a unix socket): notice a dead peer
            kwargs["socket_keepalive"] = True
        return connection_class(**kwargs)

    async def close(self) -> None:
        await self.redis.aclose()
        if self._pool is not None:
            await self._pool.disconnect()

    # --- durability and retries -------------------------------------------------------

    async def check_durability(self) -> None:
        """Asks Redis who it is and whether it fsyncs every write (on start and every reconnect).
        A cluster counts as never durable: a room last written by another node (its replica promoted
        by a failover may lack the tail the old master acknowledged) then starts a new epoch."""
        if isinstance(self.redis, aioredis.RedisCluster):
            await self.redis.initialize()
            return
        info = await self.redis.info("server")
        run = str(info["run_id"])
        try:
            config = await self.redis.config_get("appendonly", "appendfsync")
            durable = config.get("appendonly") == "yes" and config.get("appendfsync") == "always"
        except ResponseError:  # CONFIG disabled (a managed Redis): assume the worst
            log.warning("CONFIG GET is refused: the Redis store treats this Redis as not durable")
            durable = False
        self.run_id, self.durable_run = run, run if durable else ""

    async def retrying(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Runs a call, again on fresh connections if the pooled ones died with a Redis restart.
        Every call is safe to repeat: reads only read (the window script at most marks the room),
        and a publish carries a token, so a retry whose first try did run (its reply lost with the
        connection) gets that event back instead of a second copy, unless another publish to the
        room came in between."""
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                return await call()
            except (RedisConnectionError, RedisTimeoutError, BusyLoadingError):
                if attempt == CONNECT_ATTEMPTS - 1:
                    raise
                if self._pool is not None:  # a cluster client reconnects, and finds moved slots, itself
                    await self._pool.disconnect(inuse_connections=False)  # the idle ones are as dead
                await asyncio.sleep(RETRY_S * (attempt + 1))
        raise AssertionError("unreachable")

    async def _seen_run(self, room: str, run: str, durable_run: str) -> None:
        """A script ran on Redis process `run` while we passed `durable_run` as the durable one: if
        they differ, it marked the room as written by a Redis that may lose writes. Check that Redis
        (unless the follower already did) and, if it is durable after all, mark the room again (the
        window script does), so a second restart keeps its epoch."""
        if run == durable_run or self.cluster:  # a cluster is never durable (check_durability)
            return
        if run != self.run_id:
            await self.check_durability()
        if self.durable_run == run:
            await self._window(keys=self.keys(room), args=[self.durable_run])

    # --- a room's stream ----------------------------------------------------------------

    async def append(self, room: str, body: Body, limits: Limits, ttl_s: float, token: str) -> StoredEvent:
        """The publish script: next id, XADD, trim, expiry, SPUBLISH to the room's channel, in one step."""
        durable = self.durable_run
        args = [new_epoch(), durable, limits.retention, body.text, self.channel(room), token,
                limits.retention_bytes, int(ttl_s * 1000)]
        reply = await self.retrying(lambda: self._publish(keys=self.keys(room), args=args))
        epoch, seq, run = reply
        await self._seen_run(room, str(run), durable)
        return with_id(str(epoch), int(seq), body)

    async def window(self, room: str) -> Window:
        durable = self.durable_run
        epoch, first, last, run = await self.retrying(lambda: self._window(keys=self.keys(room), args=[durable]))
        await self._seen_run(room, str(run), durable)
        return Window(str(epoch), int(first), int(last))

    async def range(self, room: str, epoch: str, after: int, last: int) -> list[StoredEvent] | None:
        """Events after+1 .. last of `epoch`, in pages; None if the stream no longer holds them all."""
        stream = self.keys(room)[1]
        out: list[StoredEvent] = []
        wanted = after + 1
        while wanted <= last:
            lo = wanted
            page = await self.retrying(lambda: self.redis.xrange(stream, min=f"{lo}-0", max=f"{last}-0", count=PAGE))
            if not page:
                return None
            for entry_id, fields in page:
                if not fields or fields.get("ep") != epoch or entry_id != f"{wanted}-0":
                    return None  # trimmed or rolled meanwhile
                out.append(with_id(epoch, wanted, read_body(str(fields["e"]))))
                wanted += 1
        return out


def read_notice(message: str) -> StoredEvent:
    """An event from a room channel's message `<epoch>-<seq> <body>` (scripts.PUBLISH)."""
    head, _, body = message.partition(" ")
    parsed = parse_id(head)
    if parsed is None:
        raise ValueError(f"not a message of this store: {message[:80]}")
    return with_id(parsed[0], parsed[1], read_body(body))
