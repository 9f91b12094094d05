"""Presence on the memory and file stores: the room's clients are this process's sockets (the hub's)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from ws_bridge_server import Bridge, FileStore, MemoryStore, Settings
from ws_bridge_server.store import NoSubscriber

from bridgekit import RunningServer
from harness.in_thread import TIMEOUT

Factory = Callable[..., RunningServer]


def presence_of(srv: RunningServer, room: str, want: list[str]) -> list[str]:
    """The bridge's presence answer, polled until it is `want`; fails with the last answer if it never is."""
    bridge: Bridge = srv.app.state.bridge
    deadline = time.monotonic() + TIMEOUT
    while True:
        names = srv.run(bridge.presence(room))
        if names == want or time.monotonic() > deadline:
            return names
        time.sleep(0.01)


def test_memory_presence_is_the_rooms_sockets_once_each_in_join_order(bridge_server: RunningServer) -> None:
    with bridge_server.ws("/ws/r/bob"), bridge_server.ws("/ws/r/ann"), bridge_server.ws("/ws/r/bob"), \
            bridge_server.ws("/ws/other/cat"):
        assert presence_of(bridge_server, "r", ["bob", "ann"]) == ["bob", "ann"]  # two tabs of bob count once
        assert presence_of(bridge_server, "other", ["cat"]) == ["cat"]
    assert presence_of(bridge_server, "r", []) == []  # everyone left


def test_presence_of_a_room_nobody_joined_or_an_invalid_name_is_empty_and_creates_nothing() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        bridge = Bridge(store=store)
        assert await bridge.presence("nobody") == []
        assert await bridge.presence("bad name/{x}") == []  # hostile: answered, never an error
        assert await bridge.presence("x" * 10_000) == []
        assert store.rooms == {}  # reading presence never creates a room
        await bridge.close()

    asyncio.run(scenario())


def test_a_store_without_a_subscriber_knows_nobody(tmp_path: Path) -> None:
    async def scenario() -> None:
        memory, file = MemoryStore(), FileStore(str(tmp_path / "log.jsonl"))
        await file.start()
        assert await memory.presence("r") == [] == await file.presence("r")
        assert NoSubscriber().clients("r") == []
        await memory.entered("r", "ann")  # a one-process store records nothing of its own
        await memory.left("r", "ann")
        await file.close()

    asyncio.run(scenario())


def test_file_store_presence_is_the_hubs(make_bridge_server: Factory, tmp_path: Path) -> None:
    settings = Settings(event_log_path=str(tmp_path / "log.jsonl"))
    srv = make_bridge_server(Bridge(settings=settings))
    with srv.ws("/ws/r/ann"):
        assert presence_of(srv, "r", ["ann"]) == ["ann"]
        assert srv.app.state.bridge.clients("r") == ["ann"]  # this replica's: the same on one process
    assert presence_of(srv, "r", []) == []
