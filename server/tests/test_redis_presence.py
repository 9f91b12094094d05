"""Presence on the Redis store against a real redis-server: replicas see each other's clients, a leave
is seen at once, and a replica that dies without leaving has its clients vanish after the expiry."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest
from test_redis_store import TIMEOUT, Recorder, redis_server, show  # noqa: F401 (redis_server: the fixture)

from bridgekit import RunningServer
from redis_process import RedisProcess
from ws_bridge_server import Bridge, Settings
from ws_bridge_server.stores.redis import RedisStore
from ws_bridge_server.stores.redis.presence import EXPIRY_S, REFRESH_S

SHORT_EXPIRY_S = 0.6  # a dead replica's members must go within this in the kill case
SHORT_REFRESH_S = 0.2


class Hub(Recorder):
    """A replica's subscriber with sockets: `here[room]` are the clients it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.here: dict[str, list[str]] = {}

    def clients(self, room: str) -> list[str]:
        return list(self.here.get(room, []))

    async def join(self, store: RedisStore, room: str, client: str) -> None:
        self.here.setdefault(room, []).append(client)
        await store.entered(room, client)

    async def leave(self, store: RedisStore, room: str, client: str) -> None:
        self.here[room].remove(client)
        await store.left(room, client)


def number(server: RedisProcess, *command: str) -> int:
    """An integer reply (":<n>\r\n") of one command."""
    return int(server.command(*command).strip().lstrip(b":"))


async def until(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Waits for `check` (plain or async) to hold; the limit only turns a hang into a failure."""
    deadline = time.monotonic() + TIMEOUT
    while not await _value(check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def replica(url: str, expiry_s: float = EXPIRY_S, refresh_s: float = REFRESH_S) -> tuple[RedisStore, Hub]:
    store, hub = RedisStore(url, presence_expiry_s=expiry_s, presence_refresh_s=refresh_s), Hub()
    store.attach(hub)
    await store.start()
    return store, hub


def test_two_replicas_see_each_others_clients_and_a_leave_at_once(redis_server: RedisProcess,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        (a, hub_a), (b, hub_b) = await replica(redis_server.url), await replica(redis_server.url)
        await hub_a.join(a, "r", "bob")
        await hub_a.join(a, "r", "ann")
        await hub_b.join(b, "r", "ann")  # ann in two tabs, one on each replica
        await hub_b.join(b, "r", "cat")
        assert await a.presence("r") == ["ann", "bob", "cat"] == await b.presence("r")  # once each, by name
        await hub_a.join(a, "r", "bob")  # bob's second tab here: his first leaving keeps him
        await hub_a.leave(a, "r", "bob")
        assert await b.presence("r") == ["ann", "bob", "cat"]
        await hub_a.leave(a, "r", "bob")
        await hub_b.leave(b, "r", "ann")  # still there on replica a
        assert await b.presence("r") == ["ann", "cat"]
        ttl_ms = number(redis_server, "PTTL", "wsb:{r}:presence")
        assert 0 < ttl_ms <= EXPIRY_S * 1000  # the key itself expires
        assert await b.presence("nobody") == []
        assert number(redis_server, "EXISTS", "wsb:{nobody}:presence", "wsb:{nobody}:meta") == 0
        assert number(redis_server, "EXISTS", "wsb:{r}:meta") == 0  # presence made no room
        await a.close()  # a clean close withdraws at once what the replica still held
        assert await b.presence("r") == ["cat"]
        await b.close()
        assert number(redis_server, "EXISTS", "wsb:{r}:presence") == 0
        return ("presence on 2 replicas: 4 sockets of 3 clients seen by both as 3 names, "
                "a leave and a clean close seen by the next read, no room keys made")

    show(capsys, asyncio.run(scenario()))


def test_a_killed_replicas_clients_vanish_after_the_expiry_while_a_live_ones_stay(
        redis_server: RedisProcess, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> str:
        short = (SHORT_EXPIRY_S, SHORT_REFRESH_S)
        (doomed, hub_d), (live, hub_l) = await replica(redis_server.url, *short), await replica(redis_server.url, *short)
        await hub_d.join(doomed, "r", "ann")
        await hub_l.join(live, "r", "bob")
        rounds = int(SHORT_EXPIRY_S / SHORT_REFRESH_S) + 2  # together longer than the expiry
        await until(lambda: (doomed.presence_tracker.refreshes >= rounds), "refreshes past the expiry")
        assert await live.presence("r") == ["ann", "bob"]  # kept alive by the refresh, not by the first write
        # The kill: the refresh stops and nothing is removed, as when the process dies.
        await doomed.presence_tracker.stop()
        await doomed.follower.stop()
        await doomed.streams.close()
        killed = time.monotonic()
        await until(lambda: _equals(live.presence("r"), ["bob"]), "the killed replica's client gone")
        gone_s = time.monotonic() - killed
        await until(lambda: (live.presence_tracker.refreshes >= 2 * rounds), "the live replica refreshing on")
        assert await live.presence("r") == ["bob"]
        await live.close()
        await until(lambda: (number(redis_server, "EXISTS", "wsb:{r}:presence") == 0),
                    "the presence key gone")
        return (f"a replica stopped without leaving (refresh {SHORT_REFRESH_S} s, expiry {SHORT_EXPIRY_S} s): its client "
                f"left every read {gone_s:.2f} s later, the live replica's stayed through {2 * rounds} refreshes")

    show(capsys, asyncio.run(scenario()))


async def _value(result: bool | Awaitable[bool]) -> bool:
    return await result if inspect.isawaitable(result) else result


async def _equals(names: Awaitable[list[str]], want: list[str]) -> bool:
    return await names == want


def test_sockets_on_two_bridges_of_one_redis_are_in_each_others_presence(
        redis_server: RedisProcess, make_bridge_server: Callable[..., RunningServer]) -> None:
    one, two = (make_bridge_server(Bridge(settings=Settings(redis_url=redis_server.url))) for _ in range(2))
    with one.ws("/ws/r/ann"), two.ws("/ws/r/bob"):
        deadline = time.monotonic() + TIMEOUT
        while one.run(one.app.state.bridge.presence("r")) != ["ann", "bob"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert one.run(one.app.state.bridge.presence("r")) == ["ann", "bob"] == two.run(two.app.state.bridge.presence("r"))
        assert one.app.state.bridge.clients("r") == ["ann"]  # clients(): this replica's sockets only
    deadline = time.monotonic() + TIMEOUT
    while one.run(one.app.state.bridge.presence("r")) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert one.run(one.app.state.bridge.presence("r")) == []  # both left


def test_a_close_while_redis_is_down_leaves_the_members_to_expire_instead_of_waiting(redis_server: RedisProcess) -> None:
    async def scenario() -> None:
        store, hub = await replica(redis_server.url)
        await hub.join(store, "r", "ann")
        redis_server.stop(kill=True)
        await hub.join(store, "r", "bob")  # a join while Redis is down: logged, not raised
        await asyncio.wait_for(store.close(), TIMEOUT)  # one try to withdraw, no retries
        assert store.presence_tracker.rooms == set()

    asyncio.run(scenario())
