"""Joining a room: replay, then live, with no gap and no duplicate, whatever the store's timing.

A networked store answers a read only after a suspension point, so events get
published while a socket's replay is being read. These stores imitate that.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from ws_bridge_server import Bridge, MemoryStore, Replay, StoredEvent
from ws_bridge_server.live.connection import Connection
from ws_bridge_server.live.join import join


class SlowStore(MemoryStore):
    """`read` yields to the loop `before` and `after` taking its snapshot; `drop` loses notifications."""

    def __init__(self, before: int = 0, after: int = 0, drop: frozenset[int] = frozenset()) -> None:
        super().__init__(retention=1000)
        self.before, self.after, self.drop = before, after, drop

    async def read(self, room: str, since: str | None, *, socket: bool, limit: int | None = None) -> Replay:
        for _ in range(self.before):
            await asyncio.sleep(0)
        replay = await super().read(room, since, socket=socket, limit=limit)  # answers at once: no suspension point
        for _ in range(self.after):
            await asyncio.sleep(0)
        return replay

    async def publish(self, room: str, kind: str, payload: Mapping[str, Any]) -> StoredEvent:
        real = self.subscriber
        if self.room(room).last + 1 in self.drop:  # a notification lost on the way (a dropped link)
            self.subscriber = type("Deaf", (), {"deliver": lambda s, e: None, "watching": lambda s, r: True})()
        try:
            return await super().publish(room, kind, payload)  # no suspension point either
        finally:
            self.subscriber = real


class Sink:
    async def send_text(self, data: str) -> None:
        pass

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


def joined_seqs(store: SlowStore, since_seq: int, publish_during: int) -> tuple[list[int], int]:
    """Publishes 10 events, joins with since=<10th... since_seq>, publishing `publish_during` more meanwhile;
    returns the seqs the socket got (replay + held) and the room's last seq."""

    async def scenario() -> tuple[list[int], int]:
        bridge = Bridge(store)
        published = [await bridge.publish("r", "t", {}) for _ in range(10)]
        conn = Connection(Sink(), "r", "c", bridge.stats, queue_size=10_000, send_timeout=5)
        joining = bridge.hub.join(conn, conn.outbox.maxsize)

        async def meanwhile() -> None:
            for _ in range(publish_during):
                await bridge.publish("r", "t", {})
                await asyncio.sleep(0)

        since = published[since_seq - 1].id if since_seq else None
        went_live: list[tuple[str, int]] = []

        def go_live(position: tuple[str, int]) -> None:
            went_live.append(position)
            bridge.hub.go_live(conn, position)

        async def read(room: str, since: str | None) -> Replay:
            return await bridge.read(room, since, socket=True)

        await asyncio.gather(join(joining, store.watch, read, since, go_live), meanwhile())
        assert len(went_live) == 1 and not conn.closing
        for _ in range(publish_during):  # live now: these go straight to the outbox
            await bridge.publish("r", "t", {})
        got: list[int] = []
        while not conn.outbox.empty():
            item = conn.outbox.get_nowait()
            assert isinstance(item, tuple)
            got.append(int(json.loads(item[0])["id"].rsplit("-", 1)[1]))
        return got, store.room("r").last

    return asyncio.run(scenario())


def test_events_published_while_the_replay_is_read_are_sent_once() -> None:
    got, last = joined_seqs(SlowStore(before=5), since_seq=4, publish_during=5)
    assert got == list(range(5, last + 1))  # in the replay and held both: sent once


def test_events_published_after_the_replay_snapshot_are_not_lost() -> None:
    got, last = joined_seqs(SlowStore(after=5), since_seq=4, publish_during=5)
    assert got == list(range(5, last + 1))


def test_a_notification_lost_while_joining_is_read_back_from_the_store() -> None:
    got, last = joined_seqs(SlowStore(after=6, drop=frozenset({12})), since_seq=4, publish_during=5)
    assert got == list(range(5, last + 1))  # 12 never reached the hub: the gap was read again


def test_without_since_the_socket_gets_only_what_is_published_after_it_joined() -> None:
    got, last = joined_seqs(SlowStore(before=3, after=3), since_seq=0, publish_during=6)
    assert got == list(range(got[0], last + 1)) and got[0] >= 11  # nothing old, nothing twice, no gap
