"""Per-room sharded subscriptions against a real redis-server: a replica subscribes to a room with
its first socket and leaves it with its last, receives nothing of rooms it holds no socket for,
loses and repeats nothing published while a room's subscription is being made, and catches each
room up by itself after its reader reconnects. Each case prints its figure."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest
from test_redis_store import (TIMEOUT, Recorder, redis_server, replica_and_publisher,  # noqa: F401 (redis_server: the fixture)
                              show, until)

from bridgekit import RunningServer, recv
from redis_process import RedisProcess
from ws_bridge_server import Bridge, Settings, StoredEvent
from ws_bridge_server.stores.redis import RedisStore


class Rooms(Recorder):
    """A replica's subscriber that holds sockets in `here` only (the hub's `watching`)."""

    def __init__(self, *here: str) -> None:
        super().__init__()
        self.here = set(here)

    def watching(self, room: str) -> bool:
        return room in self.here


def subscribers(server: RedisProcess, room: str) -> int:
    """PUBSUB SHARDNUMSUB of the room's channel: how many connections Redis sends its events to."""
    reply = server.command("PUBSUB", "SHARDNUMSUB", f"wsb:{{{room}}}:live").split(b"\r\n")
    return int(reply[3].lstrip(b":"))  # *2, $len, the channel, :count


def live(srv: RunningServer, room: str) -> bool:
    """The room has sockets on this server and every one has gone live (the hub's own record)."""
    conns = srv.app.state.bridge.hub.rooms.get(room, {})
    return bool(conns) and all(joining is None for joining in conns.values())


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def test_a_room_is_subscribed_with_its_first_socket_and_unsubscribed_with_its_last(
        redis_server: RedisProcess, make_bridge_server: Callable[..., RunningServer],
        capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server(Bridge(settings=Settings(redis_url=redis_server.url)))
    follower = srv.app.state.bridge.store.follower
    counts = [subscribers(redis_server, "r")]
    with srv.ws("/ws/r/ann"):
        wait_for(lambda: subscribers(redis_server, "r") == 1, "the room subscribed with its first socket")
        counts.append(subscribers(redis_server, "r"))
        with srv.ws("/ws/r/bob"):
            srv.stats(lambda s: s["ws_connections_open"] == 2)
            counts.append(subscribers(redis_server, "r"))  # one subscription per replica, not per socket
        srv.stats(lambda s: s["ws_connections_open"] == 1)
        counts.append(subscribers(redis_server, "r"))  # ann is still here
    wait_for(lambda: subscribers(redis_server, "r") == 0, "the room unsubscribed after its last socket")
    counts.append(0)
    assert counts == [0, 1, 1, 1, 0]
    assert (follower.subscribes, follower.unsubscribes) == (1, 1)
    srv.publish("r", 3)  # nobody here: Redis sends these to no replica
    with srv.ws("/ws/r/cat") as cat:  # live from now: its join returns once subscribed again
        wait_for(lambda: live(srv, "r"), "cat's socket live")
        srv.publish("r", 1, kind="after")
        assert recv(cat)["type"] == "after"
    # Redis sends a connection's messages in order: had the 3 been sent, they would have come first.
    assert follower.received == 1
    show(capsys, f"room r's subscribers (PUBSUB SHARDNUMSUB) as 2 sockets come and go: {counts}, 1 SSUBSCRIBE "
                 f"and 1 SUNSUBSCRIBE; 3 events published with no socket here: 0 of them reached the replica")


def test_events_published_while_a_rooms_subscription_is_made_reach_its_first_socket_once(
        redis_server: RedisProcess, make_bridge_server: Callable[..., RunningServer],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Both windows, forced: one event between Redis confirming the SSUBSCRIBE and the follower's
    catch-up (it arrives on the channel and is in the catch-up's read), one between the catch-up
    and the socket's replay (the follower passes it on to the joining socket and it is in the replay)."""
    bridge = Bridge(settings=Settings(redis_url=redis_server.url))
    store: RedisStore = bridge.store  # type: ignore[assignment]
    srv = make_bridge_server(bridge)
    before = srv.publish("r", 2)  # the room exists; nobody here subscribes to it yet
    in_window: list[StoredEvent] = []

    async def confirming(room: str) -> None:  # Redis confirmed the subscription, the catch-up has not read yet
        in_window.append(await store.publish(room, "in-subscribe-window", {}))

    read = store.read

    async def read_after_a_publish(room: str, since: str | None, *, socket: bool, limit: int | None = None):  # type: ignore[no-untyped-def]
        if socket and len(in_window) == 1:  # the follower caught up, the replay is not read yet
            in_window.append(await store.publish(room, "in-replay-window", {}))
        return await read(room, since, socket=socket, limit=limit)

    store.follower.rooms.confirming = confirming
    store.read = read_after_a_publish  # type: ignore[method-assign]
    with srv.ws(f"/ws/r/ann?since={before[0]}") as ann:
        got = [recv(ann)["id"] for _ in range(3)]  # its replay: read after both windows
        after = srv.publish("r", 3)
        got += [recv(ann)["id"] for _ in after]
        assert got == [before[1], *(e.id for e in in_window), *after]
        srv.publish("r", 1, kind="last")
        assert recv(ann)["type"] == "last"  # nothing between: no second copy of the windows' events
    assert [json.loads(e.text)["type"] for e in in_window] == ["in-subscribe-window", "in-replay-window"]
    follower = store.follower
    # The first arrived on the channel after the catch-up had covered it: dropped there. The second
    # was passed on to the joining socket, which had it in its replay: dropped by the join.
    assert follower.received == 2 + 3 + 1
    assert bridge.stats.events_created == 1 + 3 + 1
    show(capsys,
         f"1 event published between SSUBSCRIBE's confirmation and the catch-up, 1 between the catch-up and "
         f"the replay: the first socket got {len(got)} events once each, in order ({got[0]} .. {got[-1]}), 0 lost, "
         f"0 duplicated; the reader received {follower.received} messages and passed on {bridge.stats.events_created}")


def test_a_replica_receives_nothing_of_the_rooms_it_holds_no_socket_for(
        redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        rooms = ["a", "b", "c"]
        replicas = [RedisStore(redis_server.url) for _ in rooms]
        subs = [Rooms(room) for room in rooms]
        for store, sub, room in zip(replicas, subs, rooms):
            store.attach(sub)
            await store.start()
            await store.watch(room)  # replica k holds a socket in room k only
        per_room = 20
        for room in rooms:
            for _ in range(per_room):
                await replicas[0].publish(room, "tick", {})
        await until(lambda: all(len(s.seen) == per_room for s in subs), "each replica got its room's events")
        await replicas[0].publish("a", "marker", {})  # after everything else, on the same connection order
        await until(lambda: len(subs[0].seen) == per_room + 1, "the marker arrived")
        received = [store.follower.received for store in replicas]
        shard = [subscribers(redis_server, room) for room in rooms]
        assert [{e.room for e in s.seen} for s in subs] == [{"a"}, {"b"}, {"c"}]
        assert received == [per_room + 1, per_room, per_room] and shard == [1, 1, 1]
        for store in replicas:
            await store.close()
        total = len(rooms) * per_room + 1
        return (f"3 replicas, one room each: {total} events published, Redis sent {sum(received)} messages "
                f"to the replicas ({received}), 1 per event; one global channel would have sent {total * 3}")

    show(capsys, asyncio.run(scenario()))


def test_after_a_reconnect_each_room_is_caught_up_from_its_own_position_and_a_trimmed_one_is_lost_alone(
        redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]) -> None:
    """The events are published after the kill, before each room's catch-up (the follower's hook,
    no sleep): "ok" can be read back, "trimmed" has lost more than its retention meanwhile."""

    async def scenario() -> str:
        retention = 5
        sub = Rooms("ok", "trimmed")
        async with replica_and_publisher(redis_server.url, sub, retention) as (replica, publisher):
            for room in ("ok", "trimmed"):
                await replica.watch(room)
                await publisher.publish(room, "tick", {})
            await until(lambda: len(sub.seen) == 2, "the first events arrived")
            burst = {"ok": 3, "trimmed": retention + 3}
            published: dict[str, int] = {}

            async def confirming(room: str) -> None:
                if replica.follower.reconnects and room not in published:
                    published[room] = burst[room]
                    for _ in range(burst[room]):
                        await publisher.publish(room, "tick", {})

            replica.follower.rooms.confirming = confirming
            redis_server.command("CLIENT", "KILL", "TYPE", "pubsub")
            await until(lambda: len(published) == 2, "both rooms resubscribed")
            await publisher.publish("ok", "tick", {})  # and one after
            await until(lambda: len([e for e in sub.seen if e.room == "ok"]) == 1 + 3 + 1, "room ok caught up")
            expected = [e.id for e in (await publisher.read("ok", None, socket=False)).events]
            got_ok = [e.id for e in sub.seen if e.room == "ok"]
            got_trimmed = [e.id for e in sub.seen if e.room == "trimmed"]
            assert got_ok == expected  # once each, in order
            assert sub.lost_rooms == ["trimmed"] and len(got_trimmed) == 1  # never a silent gap
            assert subscribers(redis_server, "ok") == 1 == subscribers(redis_server, "trimmed")
            return (f"reader killed; before each room's catch-up {burst['ok']} events to room ok and {burst['trimmed']} to "
                    f"room trimmed (retention {retention}): ok read back {replica.follower.rooms.healed} and got "
                    f"{len(got_ok)}/{len(expected)} once each in order; trimmed declared lost (its sockets get 1012, "
                    f"then their reset), 0 of its events skipped silently")

    show(capsys, asyncio.run(scenario()))

