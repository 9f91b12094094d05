"""The Redis store on a real Redis Cluster (3 masters with a replica each, Debian's redis-server 7):
sharded fan-out across the shards, and the failover promise, tested with a master SIGKILLed
and its replica promoted. Each case prints its figure.

The promise: a cluster counts as never durable (streams.check_durability), so every room last
written by a master that is gone starts a new epoch on the node that now serves it. Its live
sockets are closed with 1012 (`lost`), each client gets exactly one reset, and no id is ever
handed out twice, whether or not the promoted replica had the old master's last writes
(asynchronous replication may lose writes Redis acknowledged). Rooms on the other shards go on
untouched."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis.exceptions import RedisError
from test_redis_presence import Hub
from test_redis_store import replica_and_publisher, show, until
from test_redis_subscriptions import Rooms, live, wait_for

from bridgekit import RunningServer, close_code, recv
from redis_cluster import RedisCluster
from ws_bridge_server import Bridge, Settings, StoredEvent
from ws_bridge_server.stores.redis import RedisStore

ROOMS = [f"room-{k}" for k in range(6)]
BIG_EVENTS = 600  # of PAD each: 36 MB, more than a loopback link's socket buffers (a few MB each way)
PAD = "x" * 60_000


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    redis_cluster = RedisCluster(tmp_path)
    redis_cluster.start()
    yield redis_cluster
    redis_cluster.stop()


def shards(cluster: RedisCluster) -> dict[str, int]:
    """Each room's master (its port), from the cluster itself."""
    return {room: cluster.master_of(f"wsb:{{{room}}}:meta").port for room in ROOMS}


async def publish_until_acknowledged(store: RedisStore, room: str, failures: list[str]) -> StoredEvent:
    """One publish, tried again while the room's shard has no master (a failover under way)."""
    while True:
        try:
            return await store.publish(room, "tick", {})
        except RedisError as exc:
            failures.append(type(exc).__name__)
            await asyncio.sleep(0.1)  # a retry's pace, not an ordering: the result is checked against the log


def test_rooms_on_every_shard_reach_the_replica_holding_them_once_in_order(
        cluster: RedisCluster, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        sub = Rooms(*ROOMS)
        async with replica_and_publisher(cluster.url, sub, cluster=True) as (replica, publisher):
            for room in ROOMS:
                await replica.watch(room)
            published = {room: [(await publisher.publish(room, "tick", {})).id for _ in range(50)] for room in ROOMS}
            await until(lambda: len(sub.seen) == 50 * len(ROOMS), "every event reached the replica")
            got = {room: [e.id for e in sub.seen if e.room == room] for room in ROOMS}
            logs = {room: [e.id for e in (await publisher.read(room, None, socket=False)).events] for room in ROOMS}
            assert got == published == logs and sub.lost_rooms == []
            masters = set(shards(cluster).values())
            assert len(masters) >= 2 and len(replica.follower.readers) == len(masters)
            return (f"Redis Cluster, 3 masters + 3 replicas: {len(ROOMS)} rooms on {len(masters)} shards, "
                    f"{sum(map(len, got.values()))} events, each once and in order as in XRANGE; the replica "
                    f"read them over {len(replica.follower.readers)} connections, one per shard")

    show(capsys, asyncio.run(scenario()))


def test_a_master_killed_and_its_replica_promoted_resets_its_rooms_once_and_no_other(
        cluster: RedisCluster, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        owner = shards(cluster)
        doomed = owner[ROOMS[0]]
        hit = [room for room in ROOMS if owner[room] == doomed]
        spared = [room for room in ROOMS if owner[room] != doomed]
        sub = Rooms(*ROOMS)
        failures: list[str] = []
        async with replica_and_publisher(cluster.url, sub, cluster=True) as (replica, publisher):
            for room in ROOMS:
                await replica.watch(room)
            acked: dict[str, list[StoredEvent]] = {room: [] for room in ROOMS}

            async def feed(rounds: int) -> None:
                for _ in range(rounds):
                    for room in ROOMS:
                        acked[room].append(await publish_until_acknowledged(publisher, room, failures))

            await feed(20)
            await until(lambda: len(sub.seen) == 20 * len(ROOMS), "the first events arrived")
            master = next(n for n in cluster.masters() if n.port == doomed)
            standby = cluster.replica_of(master)
            # The loss forced: its replica stops reading while the master acknowledges more than the
            # replication link's socket buffers hold; the rest dies in the master's output buffer.
            cluster.freeze(standby)
            for _ in range(BIG_EVENTS // len(hit)):
                for room in hit:
                    acked[room].append(await publisher.publish(room, "big", {"pad": PAD}))
            written = cluster.repl_offset(master)
            feeding = asyncio.create_task(feed(30))  # publishing on while the master dies
            await asyncio.sleep(0)
            promoted = await asyncio.to_thread(cluster.fail_over, master, standby)
            lost_bytes = written - cluster.repl_offset(promoted)
            assert lost_bytes > 0  # acknowledged writes really were lost
            await feeding
            await feed(10)  # and after the failover
            await until(lambda: set(sub.lost_rooms) == set(hit), "the failed shard's rooms declared lost")
            await feed(5)  # after the reset: these reach the replica live (those before, its clients' reset covers)
            last = {room: acked[room][-1].id for room in ROOMS}
            await until(lambda: all(any(e.id == last[r] for e in sub.seen) for r in ROOMS), "the last events arrived")
            figures = [await check_room(replica, sub, room, acked[room], room in hit) for room in ROOMS]
            assert sorted(sub.lost_rooms) == sorted(hit)  # once each, and none of the spared shards
        return (f"master :{doomed} SIGKILLed under publishing after it acknowledged {BIG_EVENTS} events of "
                f"{len(PAD) // 1000} kB with its replica frozen ({lost_bytes / 1e6:.1f} MB of that replication "
                f"stream never reached it), replica :{promoted.port} promoted; "
                f"{len(failures)} publishes refused meanwhile and retried; rooms on that shard ({len(hit)}): "
                f"1 lost() each, then a new epoch; the other {len(spared)}: no reset. " + "; ".join(figures))

    show(capsys, asyncio.run(scenario()))


async def check_room(store: RedisStore, sub: Rooms, room: str, acked: list[StoredEvent], hit: bool) -> str:
    """What the replica passed on against the room's own log (XRANGE) and what its publisher was acknowledged."""
    got = [e for e in sub.seen if e.room == room]
    assert len({e.id for e in got}) == len(got)  # no duplicate
    log = (await store.read(room, None, socket=False)).events
    if not hit:
        assert [e.id for e in got] == [e.id for e in acked] == [e.id for e in log]
        return f"{room}: {len(got)}/{len(acked)} once, in order"
    old_epoch, new_epoch = acked[0].epoch, log[-1].epoch
    assert new_epoch != old_epoch
    old = [e for e in got if e.epoch == old_epoch]
    new = [e for e in got if e.epoch == new_epoch]
    assert got == old + new  # the old epoch's events, then the new one's, nothing in between
    assert [e.id for e in old] == [e.id for e in acked[:len(old)]]  # a prefix of what was acknowledged, in order
    assert [e.id for e in new] == [e.id for e in log[len(log) - len(new):]]  # a suffix of the new log, in order
    acked_new = [e for e in acked if e.epoch == new_epoch]
    assert {(e.epoch, e.seq) for e in acked if e.epoch == old_epoch}.isdisjoint((e.epoch, e.seq) for e in log)
    resumed = await store.read(room, old[-1].id, socket=True)  # the client of a closed socket resumes
    assert resumed.reset is not None and resumed.reset.reason == "epoch"
    acked_old = len(acked) - len(acked_new)
    return (f"{room}: old epoch {len(old)} delivered of {acked_old} acknowledged, then 1 reset (epoch), "
            f"new epoch {len(new)} of {len(log)} after the reset's position, 0 ids reused")


def test_presence_on_the_cluster_is_written_refreshed_and_withdrawn_on_every_shard(
        cluster: RedisCluster, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        a, b = (RedisStore(cluster.url, cluster=True, presence_refresh_s=0.2) for _ in range(2))
        hub_a, hub_b = Hub(), Hub()
        a.attach(hub_a)
        b.attach(hub_b)
        await a.start()
        await b.start()
        for room in ROOMS:
            await hub_a.join(a, room, "ann")
            await hub_b.join(b, room, "bob")
        await until(lambda: a.presence_tracker.refreshes >= 2, "two refreshes (pipelined per node)")
        seen = [await b.presence(room) for room in ROOMS]
        assert seen == [["ann", "bob"]] * len(ROOMS)
        await a.close()  # withdraws ann from every room, on every shard
        after = [await b.presence(room) for room in ROOMS]
        assert after == [["bob"]] * len(ROOMS)
        await b.close()
        return (f"presence on the cluster: 2 replicas in {len(ROOMS)} rooms over {len(set(shards(cluster).values()))} "
                f"shards, both names everywhere after {a.presence_tracker.refreshes} refreshes, one clean close withdrawn")

    show(capsys, asyncio.run(scenario()))


def test_a_socket_of_a_failed_shards_room_gets_1012_then_one_reset_and_the_others_go_on(
        cluster: RedisCluster, make_bridge_server: Callable[..., RunningServer],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Real sockets on a bridge served by uvicorn: the client's side of the promise."""
    owner = shards(cluster)
    hit = ROOMS[0]
    spared = next(room for room in ROOMS if owner[room] != owner[hit])
    srv = make_bridge_server(Bridge(settings=Settings(redis_url=cluster.url, redis_cluster=True)))
    before = {room: srv.publish(room, 3) for room in (hit, spared)}
    with srv.ws(f"/ws/{hit}/ann?since={before[hit][-1]}") as ann, \
            srv.ws(f"/ws/{spared}/bob?since={before[spared][-1]}") as bob:
        wait_for(lambda: live(srv, hit) and live(srv, spared), "both sockets live")
        master = next(n for n in cluster.masters() if n.port == owner[hit])
        cluster.fail_over(master)
        code = close_code(ann)  # the follower found the room's new epoch
        after = srv.publish(spared, 3)
        assert [recv(bob)["id"] for _ in after] == after  # the other shard's room went on, nothing missed
    assert code == 1012
    fresh = srv.publish(hit, 2)
    with srv.ws(f"/ws/{hit}/ann?since={before[hit][-1]}") as ann:  # the client resumes with since
        reset = recv(ann)
        assert reset["type"] == "reset" and reset["reason"] == "epoch"
        srv.publish(hit, 1)
        assert recv(ann)["type"] == "tick"  # live again in the new epoch
    assert fresh[0].split("-")[0] != before[hit][0].split("-")[0]
    show(capsys, f"bridge on the cluster, master of room {hit} SIGKILLed: its socket closed 1012, its client "
                 f"resumed with {before[hit][-1]} and got 1 reset (epoch), resuming at {reset['resume']}; the socket "
                 f"in room {spared} on another shard stayed open and got all {len(after)} events after")



def test_a_slot_migrated_while_a_replica_reads_gives_its_room_one_reset_and_loses_nothing_before(
        cluster: RedisCluster, capsys: pytest.CaptureFixture[str]) -> None:
    """The room's keys move whole, but its meta then names another Redis process, and a cluster
    counts as never durable: by the rule a failover needs, the room starts a new epoch (one reset)."""
    async def scenario() -> str:
        room, key = ROOMS[0], f"wsb:{{{ROOMS[0]}}}:meta"
        sub = Rooms(room)
        failures: list[str] = []  # redirections the cluster client did not absorb, retried
        async with replica_and_publisher(cluster.url, sub, cluster=True) as (replica, publisher):
            await replica.watch(room)
            source = cluster.master_of(key)
            target = next(m for m in cluster.masters() if m is not source)
            acked: list[StoredEvent] = []

            async def feed(count: int) -> None:
                for _ in range(count):
                    acked.append(await publish_until_acknowledged(publisher, room, failures))

            await feed(50)
            migration = asyncio.create_task(asyncio.to_thread(cluster.migrate, key, target))
            while not migration.done():  # publishes race every step of the migration
                await feed(1)
            slot = await migration
            during = len(acked) - 50
            await feed(20)
            await until(lambda: sub.lost_rooms == [room], "the migrated room declared lost")
            await feed(5)  # after the reset: these reach the replica live
            await until(lambda: any(e.id == acked[-1].id for e in sub.seen), "the last event arrived")
            figure = await check_room(replica, sub, room, acked, hit=True)
            assert sub.lost_rooms == [room] and cluster.master_of(key) is target
        return (f"slot {slot} migrated from :{source.port} to :{target.port} (IMPORTING/MIGRATING, MIGRATE, "
                f"SETSLOT NODE) with {during} publishes during it, {len(failures)} refused and retried; {figure}")

    show(capsys, asyncio.run(scenario()))
