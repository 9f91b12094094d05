"""The Redis store (REDIS_URL / --redis): rooms shared by every replica that talks to one Redis.

Each room is a bounded Redis stream plus a small hash (`redis_scripts.py` says which keys and
why). Publishing is one Lua script: the epoch (made if missing), the next seq, XADD with the
event's JSON, the trim to `retention` and the PUBLISH that tells every replica, so publish
order is id order everywhere. Reads take the window in a script, decide with
`protocol.decide` like every store, and read the replay back in pages of XRANGE ... COUNT.

Each replica holds one reader connection (`redis_fanout.py`), never one per client: it passes
every event on to the replica's subscriber in id order, and after a dropped connection it
reads back what it missed before anything newer.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import BusyLoadingError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..protocol import Window, decide, encode, make_id, new_epoch, parse_id
from ..store import RESERVED_FIELDS, EventStore, NoSubscriber, Replay, StoredEvent, Subscriber
from . import redis_scripts
from .redis_fanout import Fanout

log = logging.getLogger("ws_bridge_server")

PAGE = 256  # events per XRANGE: a replay of the whole retention is a few bounded reads
MAX_CONNECTIONS = 32  # per replica, for publishes and reads (the reader has its own)
POOL_WAIT_S = 20.0
READ_ATTEMPTS = 5
CONNECT_ATTEMPTS = 5  # a Redis that restarts under a script call: fresh connections, a few times
RETRY_S = 0.1  # a room trimmed under a read is read again (and then answers "evicted")


class RedisStore(EventStore):
    def __init__(self, url: str, retention: int = 1000, *, prefix: str = "wsb", max_rooms: int = 10_000) -> None:
        if retention < 1:
            raise ValueError("retention must be >= 1")
        self.url = url
        self.retention = retention
        self.prefix = prefix
        self.channel = f"{prefix}:events"
        self.subscriber: Subscriber = NoSubscriber()
        # The run_id of the Redis process we talk to, and that run_id again if that process
        # persists every write before answering (AOF, appendfsync always); else "".
        self.run_id = ""
        self.durable_run = ""
        # RESP2: on the reader's connection, pub/sub messages are plain replies read in order
        # (RESP3 would hand them to a push callback instead).
        # Blocking: a burst of publishes waits for one of MAX_CONNECTIONS instead of failing.
        self._pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, protocol=2, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_S)
        self.redis = aioredis.Redis(connection_pool=self._pool)
        self._publish = self.redis.register_script(redis_scripts.PUBLISH)
        self._window = self.redis.register_script(redis_scripts.WINDOW)
        self.fanout = Fanout(self, max_rooms)

    def attach(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    def keys(self, room: str) -> list[str]:
        tag = f"{self.prefix}:{{{room}}}"
        return [f"{tag}:meta", f"{tag}:stream"]

    def reader_connection(self) -> AbstractConnection:
        """A connection of its own for the fan-out reader (never taken from the pool)."""
        kwargs: dict[str, Any] = {**self._pool.connection_kwargs, "client_name": "ws-bridge-reader"}
        if self._pool.connection_class is aioredis.Connection:  # TCP (not a unix socket): notice a dead peer
            kwargs["socket_keepalive"] = True
        conn: AbstractConnection = self._pool.connection_class(**kwargs)
        return conn

    async def start(self) -> None:
        await self.check_durability()
        await self.fanout.start()

    async def close(self) -> None:
        await self.fanout.stop()
        await self.redis.aclose()
        await self._pool.disconnect()

    # --- durability ---------------------------------------------------------------

    async def check_durability(self) -> None:
        """Asks Redis who it is and whether it fsyncs every write (on start and every reconnect)."""
        info = await self.redis.info("server")
        run = str(info["run_id"])
        try:
            config = await self.redis.config_get("appendonly", "appendfsync")
            durable = config.get("appendonly") == "yes" and config.get("appendfsync") == "always"
        except ResponseError:  # CONFIG disabled (a managed Redis): assume the worst
            log.warning("CONFIG GET is refused: the Redis store treats this Redis as not durable")
            durable = False
        self.run_id, self.durable_run = run, run if durable else ""

    async def _retrying(self, call: Callable[[], Awaitable[Any]]) -> Any:
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
                await self._pool.disconnect(inuse_connections=False)  # the idle ones are as dead
                await asyncio.sleep(RETRY_S * (attempt + 1))
        raise AssertionError("unreachable")

    async def _seen_run(self, room: str, run: str) -> None:
        """A script ran on a Redis process we had not checked (Redis restarted): it marked the room
        as written by a Redis that may lose writes. Check that Redis now and, if it is durable after
        all, mark the room again (the window script does), so a second restart keeps its epoch."""
        if run == self.run_id:
            return
        await self.check_durability()
        if self.durable_run == run:
            await self._window(keys=self.keys(room), args=[new_epoch(), self.durable_run])

    # --- events ---------------------------------------------------------------------

    async def publish(self, room: str, kind: str, payload: Mapping[str, Any]) -> StoredEvent:
        body: dict[str, Any] = {"type": kind, "room": room, "ts": time.time() * 1000}
        body.update((k, v) for k, v in payload.items() if k not in RESERVED_FIELDS)
        rest = encode(body)[1:]  # raises ValueError before anything is written
        token = secrets.token_hex(8)
        reply = await self._retrying(lambda: self._publish(
            keys=self.keys(room), args=[new_epoch(), self.durable_run, self.retention, rest, self.channel, token]))
        epoch, seq, run = reply
        await self._seen_run(room, str(run))
        event_id = make_id(str(epoch), int(seq))
        text = '{"id":"%s",%s' % (event_id, rest)
        return StoredEvent(room, str(epoch), int(seq), {"id": event_id, **body}, text, len(text.encode()))

    async def window(self, room: str) -> Window:
        epoch, first, last, run = await self._retrying(
            lambda: self._window(keys=self.keys(room), args=[new_epoch(), self.durable_run]))
        await self._seen_run(room, str(run))
        return Window(str(epoch), int(first), int(last))

    async def read(self, room: str, since: str | None, *, socket: bool) -> Replay:
        for _ in range(READ_ATTEMPTS):
            window = await self.window(room)
            decision = decide(since, window, socket=socket)
            events: list[StoredEvent] | None = []
            if decision.after is not None and decision.after < window.last:
                events = await self.range(room, window.epoch, decision.after, window.last)
            if events is not None:
                if socket:
                    self.fanout.joined(room, window)
                return Replay(window, decision.reset, events)
        raise RuntimeError(f"room {room!r} changed under {READ_ATTEMPTS} reads in a row")

    async def range(self, room: str, epoch: str, after: int, last: int) -> list[StoredEvent] | None:
        """Events after+1 .. last of `epoch`, in pages; None if the stream no longer holds them all."""
        stream = self.keys(room)[1]
        out: list[StoredEvent] = []
        wanted = after + 1
        while wanted <= last:
            lo = wanted
            page = await self._retrying(lambda: self.redis.xrange(stream, min=f"{lo}-0", max=f"{last}-0", count=PAGE))
            if not page:
                return None
            for _, fields in page:
                if not fields:
                    return None
                event = self.event_from_text(str(fields["e"]))
                if event.epoch != epoch or event.seq != wanted:  # trimmed or rolled meanwhile
                    return None
                out.append(event)
                wanted += 1
        return out

    @staticmethod
    def event_from_text(text: str) -> StoredEvent:
        event = json.loads(text)
        parsed = parse_id(str(event["id"]))
        if parsed is None:
            raise ValueError(f"not an event of this store: {text[:80]}")
        return StoredEvent(str(event["room"]), parsed[0], parsed[1], event, text, len(text.encode()))
