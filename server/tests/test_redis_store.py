"""The Redis store against a real redis-server (Debian's): ids, replay pages, the reader's heal,
and a Redis that comes back from an older snapshot. Each case prints its figure."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
from redis_process import RedisProcess  # noqa: E402
from ws_bridge_server import StoredEvent  # noqa: E402
from ws_bridge_server.events import new_body  # noqa: E402
from ws_bridge_server.stores.redis import RedisStore  # noqa: E402
from ws_bridge_server.stores.redis.streams import PAGE  # noqa: E402

TIMEOUT = 15.0  # bounds a failing wait only


class Recorder:
    """The replica's subscriber: what the store passed on, and which rooms it declared lost."""

    def __init__(self) -> None:
        self.seen: list[StoredEvent] = []
        self.lost_rooms: list[str] = []

    def deliver(self, event: StoredEvent) -> None:
        self.seen.append(event)

    def watching(self, room: str) -> bool:
        return True

    def lost(self, room: str) -> None:
        self.lost_rooms.append(room)


def show(capsys: pytest.CaptureFixture[str], figure: str) -> None:
    with capsys.disabled():  # the figure shows in a plain run, like the conformance suite's
        print(f"\n[redis] {figure}")


async def until(condition: object, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def replica_and_publisher(url: str, subscriber: Recorder, retention: int = 1000, *,
                                cluster: bool = False) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    """Two started stores on one Redis: a replica passing events on to `subscriber`, and one that only publishes."""
    replica, publisher = RedisStore(url, retention, cluster=cluster), RedisStore(url, retention, cluster=cluster)
    replica.attach(subscriber)
    await replica.start()
    await publisher.start()
    try:
        yield replica, publisher
    finally:
        await replica.close()
        await publisher.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path, aof=True)
    server.start()
    yield server
    server.stop()


def test_two_stores_on_one_redis_count_one_sequence_and_replay_it_in_pages(redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        a, b = RedisStore(redis_server.url, retention=PAGE * 3), RedisStore(redis_server.url, retention=PAGE * 3)
        seen_a, seen_b = Recorder(), Recorder()
        a.attach(seen_a)
        b.attach(seen_b)
        await a.start()
        await b.start()
        await a.watch("r")  # a socket of the room on each replica
        await b.watch("r")
        total = PAGE * 3 + 10  # more than the retention, over several pages
        published = await asyncio.gather(*(  # two replicas publishing at once
            (a if i % 2 else b).publish("r", "tick", {"i": i}) for i in range(total)))
        seqs = sorted(e.seq for e in published)
        assert seqs == list(range(1, total + 1)) and len({e.epoch for e in published}) == 1
        await until(lambda: len(seen_a.seen) == total == len(seen_b.seen), "both replicas saw every event")
        assert [e.seq for e in seen_a.seen] == seqs == [e.seq for e in seen_b.seen]  # publish order = id order
        by_id = {e.id: e.text for e in published}
        assert all(by_id[e.id] == e.text for e in seen_b.seen)  # the very bytes the publisher made
        replay = await b.read("r", None, socket=False)
        assert [e.seq for e in replay.events] == list(range(11, total + 1))  # trimmed to the retention
        assert replay.window.first == 11 and replay.reset is None
        # The oldest by seq: published is in call order, and concurrent publishes take seqs in any order.
        oldest = min(published, key=lambda e: e.seq)
        evicted = await a.read("r", oldest.id, socket=True)
        assert evicted.reset is not None and evicted.reset.reason == "evicted"
        figure = (f"2 stores on one Redis: {total} events published at once, seqs 1..{total} without a "
                  f"gap, both replicas got all {total} in id order, replay of {len(replay.events)} in pages of {PAGE}")
        await a.close()
        await b.close()
        return figure

    show(capsys, asyncio.run(scenario()))


def test_a_killed_reader_connection_reads_the_missed_range_back_before_anything_newer(
    redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario() -> str:
        seen = Recorder()
        async with replica_and_publisher(redis_server.url, seen) as (replica, publisher):
            rooms = [f"room-{k}" for k in range(5)]
            for room in rooms:
                await replica.watch(room)  # a socket joined each room here
                await publisher.publish(room, "tick", {})
            await until(lambda: len(seen.seen) == len(rooms), "the first events arrived")
            killed = 0
            missed = 0
            for _ in range(3):
                # The publisher holds no socket, so it subscribes to nothing: only the replica's reader is pub/sub.
                await until(lambda: redis_server.readers() == 1, "the replica's reader is back from the last kill")
                reply = redis_server.command("CLIENT", "KILL", "TYPE", "pubsub")  # every reader, a real kill
                killed += int(reply.strip().lstrip(b":") or 0)
                for room in rooms:  # published while the reader is down or reconnecting
                    for _ in range(20):
                        await publisher.publish(room, "tick", {})
                        missed += 1
            for room in rooms:  # and after
                await publisher.publish(room, "tick", {})
            expected = {room: [e.id for e in (await publisher.read(room, None, socket=False)).events] for room in rooms}
            total = sum(len(v) for v in expected.values())
            await until(lambda: len(seen.seen) >= total, "the replica caught up")
            await asyncio.sleep(0.2)  # nothing more may come (a duplicate would show here)
            got = {room: [e.id for e in seen.seen if e.room == room] for room in rooms}
            assert got == expected  # every event once, in order, per room
            assert seen.lost_rooms == []
            assert killed == 3 and replica.follower.reconnects >= 3
            return (f"{killed} reader connections killed in 3 rounds (CLIENT KILL TYPE pubsub) while "
                    f"{missed} events were published: "
                    f"{replica.follower.reconnects} reconnects, {replica.follower.rooms.healed} read back from the streams, "
                    f"{sum(map(len, got.values()))}/{total} delivered, 0 lost, 0 duplicated")

    show(capsys, asyncio.run(scenario()))


def test_a_redis_back_from_an_older_snapshot_starts_a_new_epoch_instead_of_reusing_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """RDB only (no AOF): a snapshot, more events, a crash. The counter comes back behind what clients saw."""
    server = RedisProcess(tmp_path, aof=False)
    server.start()

    async def scenario() -> str:
        store = RedisStore(server.url)
        await store.start()
        before = [await store.publish("r", "tick", {}) for _ in range(5)]
        assert server.command("SAVE").startswith(b"+OK")  # what a `save 3600 1` rule would do
        after = [await store.publish("r", "tick", {}) for _ in range(5)]  # seen by clients, not in the snapshot
        await store.close()
        server.stop(kill=True)
        server.start()  # loads dump.rdb: the room's counter is back at 5
        store = RedisStore(server.url)
        await store.start()
        again = await store.publish("r", "tick", {})
        assert again.epoch != before[0].epoch and again.seq == 1  # never the id of an event a client holds
        ahead = await store.read("r", after[-1].id, socket=True)
        inside = await store.read("r", before[-1].id, socket=False)
        assert ahead.reset is not None and ahead.reset.reason == "epoch"
        assert inside.reset is not None and inside.reset.reason == "epoch" and inside.reset.resume == again.id
        figure = (f"RDB snapshot at {before[-1].id}, crash after {after[-1].id}: the restored room starts "
                  f"epoch {again.epoch}; clients at {before[-1].id} and {after[-1].id} each get 1 reset (epoch), "
                  f"0 ids reused")
        await store.close()
        return figure

    try:
        show(capsys, asyncio.run(scenario()))
    finally:
        server.stop()


def test_a_durable_redis_keeps_the_epoch_across_crashes_under_a_running_store(
    redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario() -> str:
        store = RedisStore(redis_server.url)
        await store.start()
        assert store.streams.durable_run == store.streams.run_id != ""
        written = [await store.publish("r", "tick", {}) for _ in range(5)]
        for _ in range(2):  # the second crash comes right after a publish on the restarted Redis
            redis_server.restart()  # SIGKILL and start: AOF with appendfsync always lost nothing
            written.append(await store.publish("r", "tick", {}))  # before the reader noticed the restart
        replay = await store.read("r", written[1].id, socket=True)
        assert replay.reset is None and [e.id for e in replay.events] == [e.id for e in written[2:]]
        assert {e.epoch for e in written} == {written[0].epoch} and [e.seq for e in written] == list(range(1, 8))
        figure = (f"AOF (appendfsync always), Redis SIGKILLed twice under a running store: epoch kept, "
                  f"ids {written[0].id}..{written[-1].id} without a gap, replay of {len(replay.events)} "
                  f"after {written[1].id}, 0 resets")
        await store.close()
        return figure

    show(capsys, asyncio.run(scenario()))


def test_a_publish_repeated_with_its_token_is_stored_once(
    redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a retry after a lost reply sends: the same script call, same token."""

    async def scenario() -> str:
        store = RedisStore(redis_server.url)
        seen = Recorder()
        store.attach(seen)
        await store.start()
        await store.watch("r")
        body = new_body("r", "t", {})
        first = await store.streams.append("r", body, store.limits, store.room_ttl_s, "tok-1")
        again = await store.streams.append("r", body, store.limits, store.room_ttl_s, "tok-1")
        other = await store.publish("r", "t", {})
        assert again == first and other.seq == first.seq + 1
        replay = await store.read("r", None, socket=False)
        assert [e.seq for e in replay.events] == [1, 2]
        await until(lambda: len(seen.seen) == 2, "both events passed on")
        await asyncio.sleep(0.1)
        assert [e.seq for e in seen.seen] == [1, 2]  # the repeat was not published again
        await store.close()
        return "a publish sent twice with one token: stored once, passed on once, the next publish is seq 2"

    show(capsys, asyncio.run(scenario()))
