"""Hostile input that costs memory or history: fresh room names, big frames and events, text
that once broke the file store, and answers that ask for everything at once.

Each case asserts what happens and prints its figure; what clients hold is checked against the
store's own history (nothing lost, or an explicit reset).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from ws_bridge_server import EventTooLarge, FileStore, MemoryStore, Settings
from ws_bridge_server.http.router import MORE

from bridgekit import TIMEOUT, RunningServer, show
from harness.servers import ServerProcess, bare_module

Factory = Callable[..., RunningServer]
LINE_BREAKERS = "a\u2028b\u2029c\u0085d\r\ne\x1cf"  # every separator str.splitlines() knows


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_a_flood_of_fresh_room_names_creates_nothing_and_evicts_no_real_room(
    kind: str, make_bridge_server: Factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_file = {"event_log_path": str(tmp_path / "events.jsonl")} if kind == "file" else {}
    srv = make_bridge_server(max_rooms=10, **on_file)
    store = srv.app.state.bridge.store
    assert type(store).__name__ == {"memory": "MemoryStore", "file": "FileStore"}[kind]
    real = {f"real{i}": srv.publish(f"real{i}", 3) for i in range(10)}
    for i in range(1000):
        answer = srv.http.get(f"/rooms/fresh{i}/events", params={"since": "0-0"})
        assert answer.status_code == 200 and answer.json() == []
    assert sorted(store.rooms) == sorted(real) and store.evictions == 0
    for room, ids in real.items():  # their clients resume without a reset
        assert [e["id"] for e in srv.poll(room, since=ids[0])] == ids[1:]
    show(capsys, "hostile", f"{kind} store: 1,000 polls of fresh room names with MAX_ROOMS=10 full: rooms created 0, "
                            f"real rooms evicted {store.evictions}, resets for their clients 0")


def test_the_file_store_round_trips_every_line_breaker_and_starts_past_a_damaged_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "events.jsonl")

    async def scenario() -> str:
        first = FileStore(path)
        await first.start()
        written = [await first.publish("chat", "message", {"text": LINE_BREAKERS + str(i)}) for i in range(3)]
        await first.close()
        with open(path, "ab") as f:  # a line no writer of ours makes: half a record, then garbage
            f.write(b'{"epoch":"x","seq":\n\xff\xfe not json\n')
        second = FileStore(path)
        await second.start()
        after = await second.publish("chat", "message", {"text": "after"})
        replay = await second.read("chat", "", socket=False)
        await second.close()
        assert [e.text for e in replay.events] == [e.text for e in written] + [after.text]
        assert second.skipped == 2 and second.loaded == 3
        return (f"chat text holding U+2028, U+2029, U+0085, CR LF, U+001C, then 2 damaged lines: the restarted "
                f"file store served {second.loaded} of 3 events byte for byte, skipped {second.skipped} lines, "
                f"and went on at seq {after.seq}")

    show(capsys, "hostile", asyncio.run(scenario()))


def _redis_url(tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """A real redis-server on a free port (skips without one, fails in CI), and how to stop it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
    from redis_process import RedisProcess

    redis = RedisProcess(tmp_path, aof=True)
    return redis.start(), redis.stop


@pytest.mark.parametrize("kind", ["memory", "file", "redis"])
def test_retention_and_events_are_bounded_in_bytes(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    limits = {"retention_bytes": 256 * 1024, "max_event_bytes": 64 * 1024}
    stop: Callable[[], None] = lambda: None  # noqa: E731
    if kind == "redis":
        from ws_bridge_server.stores.redis import RedisStore

        url, stop = _redis_url(tmp_path)
        store: MemoryStore | RedisStore = RedisStore(url, 1000, **limits)
    else:
        store = FileStore(str(tmp_path / "events.jsonl"), 1000, **limits) if kind == "file" else MemoryStore(1000, **limits)

    async def scenario() -> str:
        await store.start()
        try:
            published = [await store.publish("big", "blob", {"data": "x" * 60_000, "i": i}) for i in range(100)]
            with pytest.raises(EventTooLarge):
                await store.publish("big", "blob", {"data": "x" * 70_000})
            replay = await store.read("big", published[-5].id, socket=False)  # the 4 newest, if that is what is kept
            kept = replay.events
            assert replay.reset is None and replay.window.first == 97
            assert sum(e.nbytes for e in kept) <= 256 * 1024 and len(kept) == 4
            # What the store kept is, byte for byte, the text built when it was published.
            assert [e.text for e in kept] == [e.text for e in published[-4:]]
            behind = await store.read("big", published[89].id, socket=False)
            assert behind.reset is not None and behind.reset.reason == "evicted"  # gone, and said so
            return (f"{kind} store: 100 events of 60 kB into a room kept to 256 KiB: {len(kept)} kept "
                    f"({sum(e.nbytes for e in kept) // 1024} KiB, each byte for byte as built), a 70 kB event "
                    f"refused (EventTooLarge), a client behind them gets a reset (evicted)")
        finally:
            await store.close()

    try:
        show(capsys, "hostile", asyncio.run(scenario()))
    finally:
        stop()


def test_a_poll_answers_in_pages_and_the_pages_add_up_to_the_history_once(
    make_bridge_server: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = make_bridge_server(poll_page_events=100)
    ids = srv.publish("paged", 250)
    got: list[str] = []
    pages, since = 0, ""
    while True:
        answer = srv.http.get("/rooms/paged/events", params={"since": since})
        page = [e["id"] for e in answer.json()]
        got, pages = got + page, pages + 1
        assert len(page) <= 100
        if answer.headers.get(MORE) != "1":
            break
        since = page[-1]
    assert got == ids and pages == 3
    show(capsys, "hostile", f"a poll of 250 events with 100 a page: {pages} answers, {len(got)} events, once, in order")


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_huge_frame_is_refused_before_the_server_buffers_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ServerProcess(bare_module(), cwd=str(tmp_path), env={"MAX_FRAME_BYTES": "65536"}) as server:
        assert server.proc is not None
        pid = server.proc.pid
        url = server.url.replace("http", "ws", 1) + "/ws/r/ann"
        before = _rss_kib(pid)
        outcome = "still open"
        with connect(url, proxy=None, open_timeout=TIMEOUT, max_size=None) as ws:  # type: ignore[arg-type]
            try:
                ws.send("x" * 12_000_000)
                ws.recv(timeout=TIMEOUT)
            except ConnectionClosed as exc:
                # The server answers the frame's header: 1009, then it hangs up. When it hangs up
                # before this client has finished writing, the close frame is lost in the reset.
                outcome = f"closed {exc.rcvd.code}" if exc.rcvd is not None else "reset while still sending"
            except OSError:
                outcome = "reset while still sending"
        assert outcome in ("closed 1009", "reset while still sending"), outcome
        time.sleep(0.2)
        grew = _rss_kib(pid) - before
        assert grew < 4 * 1024, f"the server's RSS grew by {grew} KiB"
    show(capsys, "hostile", f"a 12 MB frame to a server whose limit is 64 KiB: {outcome}, server RSS +{grew} KiB")


def test_a_socket_whose_outbox_holds_too_many_bytes_is_dropped_with_1013() -> None:
    from ws_bridge_server.live.connection import Connection
    from ws_bridge_server.live.stats import Stats

    class Stalled:
        async def send_text(self, data: str) -> None: ...
        async def close(self, code: int = 1000, reason: str | None = None) -> None: ...

    conn = Connection(Stalled(), "r", "c", Stats(), queue_size=1000, send_timeout=5, queue_bytes=100_000)
    for _ in range(10):
        conn.push("x" * 9_000, 9_000)
    assert not conn.closing and conn.queued_bytes == 90_000
    conn.push("x" * 20_000, 20_000)  # past the bytes, far from the count
    assert conn.closing and conn.outbox.qsize() == 1  # only the close frame is left


def test_on_redis_reads_of_unknown_rooms_leave_no_key_and_written_rooms_expire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ws_bridge_server.stores.redis import RedisStore

    url, stop = _redis_url(tmp_path)

    async def scenario() -> str:
        store = RedisStore(url, room_ttl_s=3600)
        await store.start()
        keys_before = await store.streams.redis.dbsize()
        for i in range(50):
            replay = await store.read(f"fresh{i}", "0-0", socket=False)
            assert replay.events == [] and replay.reset is None
        keys_after = await store.streams.redis.dbsize()
        await store.publish("real", "t", {})
        ttls = [await store.streams.redis.pttl(key) for key in store.streams.keys("real")]
        await store.close()
        assert keys_after == keys_before and all(0 < t <= 3_600_000 for t in ttls)
        return (f"50 reads of fresh room names on Redis: {keys_after - keys_before} keys left; a written "
                f"room's keys expire in {min(ttls) // 1000} s unless written again")

    try:
        show(capsys, "hostile", asyncio.run(scenario()))
    finally:
        stop()


def test_settings_refuse_a_max_event_larger_than_the_retention() -> None:
    with pytest.raises(ValueError, match="max_event_bytes"):
        Settings(retention_bytes=1000, max_event_bytes=2000)
