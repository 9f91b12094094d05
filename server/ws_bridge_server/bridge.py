"""The facade: one store, the live sockets of this replica, the app's hooks and listeners.

It is the store's one subscriber (every event once, in id order) and hands each
event to the hub and the listeners. Socket code lives in `live/`; a socket's
session gets only the services it needs, never this object.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .events import StoredEvent
from .live.hub import Hub
from .live.socket import Hooks, ReceivingSocket, Services, serve
from .live.stats import Stats
from .protocol import NAME_RULE, valid_name
from .settings import Settings
from .store import EventStore, Replay
from .stores import store_for

log = logging.getLogger("ws_bridge_server")

Listener = Callable[[StoredEvent], None]


class Page(NamedTuple):
    body: str  # a JSON array
    more: bool


class Bridge:
    """Publish events, answer `since`, serve sockets. The store's one subscriber is this object."""

    def __init__(self, store: EventStore | None = None, settings: Settings | None = None,
                 hooks: Hooks | None = None) -> None:
        self.settings = settings or Settings()
        self.store = store or store_for(self.settings)
        self.hooks = hooks or Hooks()
        self.stats = Stats()
        self.hub = Hub()
        self.listeners: list[Listener] = []
        self.draining = False
        self._started = False
        self.store.attach(self)
        self._services = Services(self.hub, self._read_for_socket, self._watch, self.store.unwatch,
                                  lambda: self.hooks, self.settings, self.stats,
                                  lambda: self.draining, self._entered, self._left)

    async def start(self) -> None:
        """Starts the store; also done on first use, so mounting without a lifespan works."""
        if not self._started:
            self._started = True
            await self.store.start()

    async def close(self) -> None:
        await self.store.close()

    # --- the store's subscriber ---------------------------------------------

    def deliver(self, event: StoredEvent) -> None:
        self.stats.events_created += 1
        self.hub.deliver(event)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # one broken listener must not stop delivery
                log.exception("event listener failed")

    def watching(self, room: str) -> bool:
        return self.hub.watching(room)

    def lost(self, room: str) -> None:
        # 1012: the clients reconnect at once with since, and the store's read answers the reset.
        self.hub.close_room(room, 1012, "history lost, resume with since")

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Calls `listener` with every event, in id order; returns its remover."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    # --- events ---------------------------------------------------------------

    async def publish(self, room: str, kind: str, payload: Mapping[str, Any] | None = None) -> StoredEvent:
        """Creates an event `{"id","type","room","ts",...payload}` and sends it to the room's sockets.
        Raises ValueError for a room name outside PROTOCOL.md's charset or a payload that is not
        JSON, and EventTooLarge (a ValueError) for an event over `settings.max_event_bytes`."""
        if not valid_name(room):
            raise ValueError(f"invalid room name {room[:140]!r}: {NAME_RULE}")
        if not self._started:
            await self.start()
        return await self.store.publish(room, kind, payload or {})

    async def read(self, room: str, since: str | None, *, socket: bool = False, limit: int | None = None) -> Replay:
        if not self._started:
            await self.start()
        return await self.store.read(room, since, socket=socket, limit=limit)

    async def poll(self, room: str, since: str | None, limit: int | None = None) -> Page:
        """The fallback poll's answer: `[reset?, ...events]`, the socket's decision, at most
        `limit` events of it; `more` when events after these are already there."""
        replay = await self.read(room, since, socket=False, limit=limit)
        frames = [e.text for e in replay.events]
        if replay.reset is not None:
            frames.insert(0, replay.reset.text())
        more = bool(replay.events) and replay.events[-1].seq < replay.window.last
        return Page("[" + ",".join(frames) + "]", more)

    # --- sockets --------------------------------------------------------------

    async def serve(self, ws: ReceivingSocket, room: str, client: str, since: str | None, address: str = "") -> None:
        """Serves one accepted socket until either side stops (live/socket.py). `address` is the
        client's, for the per-address cap on sockets (Settings.max_sockets_per_address)."""
        await serve(self._services, ws, room, client, since, address)

    async def _watch(self, room: str) -> None:
        if not self._started:
            await self.start()
        await self.store.watch(room)

    async def _read_for_socket(self, room: str, since: str | None) -> Replay:
        return await self.read(room, since, socket=True)

    def clients(self, room: str) -> list[str]:
        """This replica's clients in the room, in join order: the store's subscriber answer. For
        everyone in the room on every replica, ask `presence`."""
        return self.hub.clients(room)

    async def presence(self, room: str) -> list[str]:
        """The room's client names on every replica sharing the store, each once: the hub's on the
        memory and file stores (join order), Redis's on the Redis store (sorted by name; a dead
        replica's clients within its presence expiry). A room name outside PROTOCOL.md's charset
        has nobody in it (no socket could join it)."""
        if not valid_name(room):
            return []
        if not self._started:
            await self.start()
        return await self.store.presence(room)

    # serve() is public: an app may hand it names the router never checked, which must not reach store keys.
    async def _entered(self, room: str, client: str) -> None:
        if valid_name(room) and valid_name(client):
            await self.store.entered(room, client)

    async def _left(self, room: str, client: str) -> None:
        if valid_name(room) and valid_name(client):
            await self.store.left(room, client)

    def close_all(self, code: int, reason: str) -> int:
        return self.hub.close_all(code, reason)

    async def drain(self, timeout: float = 2.0) -> int:
        """Closes every socket with 1012 "service restart" (and any new one), waiting up to
        `timeout` for the close frames to go out. Returns how many were open."""
        self.draining = True
        count = self.close_all(1012, "service restart")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.hub.rooms and loop.time() < deadline:
            await asyncio.sleep(0.01)
        return count

    def stats_snapshot(self) -> dict[str, Any]:
        return self.hub.snapshot(self.stats)
