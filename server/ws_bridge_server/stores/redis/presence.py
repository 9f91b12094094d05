"""Presence on the Redis store: who is in a room on any replica, kept with an expiry so a dead replica's sockets vanish.

A room's presence is `wsb:{room}:presence` (scripts.py), a sorted set of `<replica id>:<client>`
whose score is when that member expires (Redis's clock). A replica writes a member when a socket
of that client joins here, removes it when the client's last socket here leaves, and rewrites all
of its members every `refresh_s`. A replica that dies without leaving (SIGKILL, a cut network)
stops rewriting, so its members are gone from every read within `expiry_s` of its death: the
bound server/README.md documents. The key expires by itself once nobody rewrites it.

Writes are best effort: a Redis that is down for a moment costs a log line, and the next refresh
writes everything this replica holds again (a leave that races a refresh may leave its member
behind, for at most `expiry_s`). Who is here comes from the subscriber (the hub),
never from a count of our own, so presence cannot drift from the sockets that are really open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from ...protocol import valid_name
from ...store import NoSubscriber, Subscriber
from . import scripts
from .streams import Streams

log = logging.getLogger("ws_bridge_server")

REFRESH_S = 2.0  # how often a replica rewrites its members
EXPIRY_S = 6.0  # a member nobody rewrote for this long is gone: the bound for a dead replica
MAX_MEMBERS = 10_000  # read per room at most: one room's answer stays bounded however many join
BATCH = 256  # rooms per pipelined refresh

Adder = Callable[[Pipeline, str, list[str]], Awaitable[None]]  # queues one room's command on a pipeline
Writer = Callable[[str, list[str]], Awaitable[None]]  # the same for one room, sent on its own


class Presence:
    def __init__(self, streams: Streams, replica: str, expiry_s: float = EXPIRY_S, refresh_s: float = REFRESH_S) -> None:
        if not 0 < refresh_s < expiry_s:
            raise ValueError(f"presence needs 0 < refresh_s < expiry_s, got {refresh_s} and {expiry_s}")
        self.streams = streams
        self.replica = replica
        self.expiry_ms = int(expiry_s * 1000)
        self.refresh_s = refresh_s
        self.subscriber: Subscriber = NoSubscriber()
        self.rooms: set[str] = set()  # rooms this replica wrote members into and may still have sockets in
        self.refreshes = 0
        self._task: asyncio.Task[None] | None = None
        self._touch = streams.redis.register_script(scripts.PRESENCE_TOUCH)
        self._read = streams.redis.register_script(scripts.PRESENCE_READ)

    def attach(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stops the refresh only: members already written live out their expiry."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    # --- a socket's join and leave ------------------------------------------------------

    async def entered(self, room: str, client: str) -> None:
        self.rooms.add(room)
        await self._best_effort("join", self._write(room, [client]))

    async def left(self, room: str, client: str) -> None:
        """After the hub let the socket go: another socket of the same client here keeps it present."""
        here = self.subscriber.clients(room)
        if not here:
            self.rooms.discard(room)
        if client not in here:
            await self._best_effort("leave", self._remove(room, [client]))

    async def withdraw(self) -> None:
        """On a clean close: removes every member this replica still has, instead of waiting for the
        expiry. One try, no retries: a close must not wait on a Redis that is down (they expire)."""
        held, self.rooms = self._held(), set()
        try:
            await self._pipelined(held, self._add_remove, self._remove)
        except (RedisError, OSError) as exc:
            log.warning("presence not withdrawn on close (%s): it expires by itself", exc)

    # --- reads --------------------------------------------------------------------------

    async def names(self, room: str) -> list[str]:
        """The clients present on any replica: de-duplicated, sorted by name."""
        key = self.streams.presence_key(room)
        members = await self.streams.retrying(lambda: self._read(keys=[key], args=[MAX_MEMBERS]))
        names = {str(m).partition(":")[2] for m in members}
        return sorted(n for n in names if valid_name(n))

    # --- writing ------------------------------------------------------------------------

    def _members(self, clients: list[str]) -> list[str]:
        return [f"{self.replica}:{c}" for c in clients]

    def _touch_args(self, clients: list[str]) -> list[str | int]:
        return [self.expiry_ms, *self._members(clients)]

    async def _write(self, room: str, clients: list[str]) -> None:
        key, args = self.streams.presence_key(room), self._touch_args(clients)
        await self.streams.retrying(lambda: self._touch(keys=[key], args=args))

    async def _remove(self, room: str, clients: list[str]) -> None:
        if clients:
            key, members = self.streams.presence_key(room), self._members(clients)
            await self.streams.retrying(lambda: self.streams.redis.zrem(key, *members))

    async def _best_effort(self, what: str, call: Awaitable[None]) -> None:
        try:
            await call
        except RedisError as exc:  # the refresh writes it again; a stale member expires
            log.warning("presence %s not written (%s): the next refresh repairs it", what, exc)

    async def refresh(self) -> None:
        """Rewrites every member this replica has, pipelined in batches of rooms."""
        await self._pipelined(self._held(), self._add_touch, self._write)
        self.refreshes += 1

    def _held(self) -> list[tuple[str, list[str]]]:
        """This replica's rooms with their clients; rooms it no longer has sockets in are forgotten."""
        held: list[tuple[str, list[str]]] = []
        for room in list(self.rooms):
            clients = self.subscriber.clients(room)
            if clients:
                held.append((room, clients))
            else:
                self.rooms.discard(room)
        return held

    async def _pipelined(self, held: list[tuple[str, list[str]]], add: Adder, one: Writer) -> None:
        for start in range(0, len(held), BATCH):
            if self.streams.cluster:  # a cluster's pipeline refuses scripts: each room on its own node, at once
                await asyncio.gather(*(one(room, clients) for room, clients in held[start:start + BATCH]))
                continue
            async with self.streams.redis.pipeline(transaction=False) as pipe:
                for room, clients in held[start:start + BATCH]:
                    await add(pipe, self.streams.presence_key(room), clients)
                await pipe.execute()

    async def _add_touch(self, pipe: Pipeline, key: str, clients: list[str]) -> None:
        await self._touch(keys=[key], args=self._touch_args(clients), client=pipe)

    async def _add_remove(self, pipe: Pipeline, key: str, clients: list[str]) -> None:
        pipe.zrem(key, *self._members(clients))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.refresh()
            except (RedisError, OSError) as exc:  # Redis restarting: try again next round
                log.warning("presence refresh failed (%s); retrying in %.1f s", exc, self.refresh_s)
