"""Unit tests for the pieces behind the endpoints (no network)."""

from __future__ import annotations

import asyncio
import math

import pytest

from app import Settings
from event_store import MESSAGES_IN_STATE, EventStore
from room_auth import make_token, origin_allowed, verify_token
from room_hub import Connection, Hub, Stats, TokenBucket


class FakeSocket:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode  # "ok" | "hang" (never completes a send) | "fail" (peer gone)
        self.sent: list[str] = []
        self.closed: tuple[int, str | None] | None = None

    async def send_text(self, data: str) -> None:
        if self.mode == "hang":
            await asyncio.Event().wait()
        if self.mode == "fail":
            raise ConnectionResetError("peer gone")
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)


def conn(ws: FakeSocket, stats: Stats, player: str = "p", queue_size: int = 100) -> Connection:
    return Connection(ws, "r", player, stats, queue_size=queue_size, send_timeout=0.05)


# --- non-blocking fan-out -----------------------------------------------------

def test_hung_socket_does_not_block_the_others() -> None:
    async def scenario() -> None:
        stats, hub = Stats(), Hub()
        fast, slow = conn(FakeSocket(), stats, "a"), conn(FakeSocket("hang"), stats, "b")
        hub.join(fast)
        hub.join(slow)
        writers = [asyncio.create_task(c.run_writer()) for c in (fast, slow)]
        for i in range(3):
            hub.broadcast("r", f"m{i}", 2)  # synchronous: only enqueues
        await asyncio.wait_for(writers[1], 10)  # the hung send hits send_timeout...
        assert slow.closing and slow.ws.sent == []  # type: ignore[attr-defined]
        fast.close(1000, "bye")  # ...while the healthy socket got everything, in order
        await asyncio.wait_for(writers[0], 10)
        assert fast.ws.sent == ["m0", "m1", "m2"]  # type: ignore[attr-defined]
        assert fast.ws.closed == (1000, "bye")  # type: ignore[attr-defined]
        assert (stats.ws_frames_sent, stats.ws_bytes_sent) == (3, 6)

    asyncio.run(scenario())


def test_slow_but_steady_socket_survives_a_long_backlog() -> None:
    """The send timeout is per frame, not per backlog (deterministic: the loop clock is faked)."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        fake_now = [loop.time()]
        loop.time = lambda: fake_now[0]  # type: ignore[method-assign]

        class Steady(FakeSocket):
            async def send_text(self, data: str) -> None:
                fake_now[0] += 0.03  # each frame takes 60% of the 0.05 s send_timeout...
                await asyncio.sleep(0)  # (lets the loop fire any due timer)
                self.sent.append(data)

        ws = Steady()
        c = conn(ws, Stats())
        writer = asyncio.create_task(c.run_writer())
        for i in range(20):  # ...so the whole backlog takes 12x the timeout
            c.push(f"m{i}", 2)
        for _ in range(1000):
            await asyncio.sleep(0)
            if len(ws.sent) == 20 or writer.done():
                break
        assert not c.closing and ws.sent == [f"m{i}" for i in range(20)]
        writer.cancel()

    asyncio.run(scenario())


def test_dead_socket_is_dropped() -> None:
    async def scenario() -> None:
        stats = Stats()
        c = conn(FakeSocket("fail"), stats)
        c.push("x", 1)
        await asyncio.wait_for(c.run_writer(), 10)  # returns instead of raising
        assert c.closing and stats.ws_frames_sent == 0
        c.push("y", 1)  # ignored once closing
        assert c.outbox.empty()

    asyncio.run(scenario())


def test_full_outbox_closes_1013_instead_of_growing() -> None:
    async def scenario() -> None:
        stats = Stats()
        ws = FakeSocket()
        c = conn(ws, stats, queue_size=2)
        for i in range(5):
            c.push(f"m{i}", 2)
        assert c.closing and c.outbox.qsize() == 1  # backlog discarded, only the close is left
        await asyncio.wait_for(c.run_writer(), 10)
        assert ws.sent == [] and ws.closed == (1013, "client too slow")

    asyncio.run(scenario())


def test_hub_rooms_and_players() -> None:
    async def scenario() -> None:
        stats, hub = Stats(), Hub()
        a1, a2, b = conn(FakeSocket(), stats, "ann"), conn(FakeSocket(), stats, "ann"), conn(FakeSocket(), stats, "bob")
        for c in (a1, b, a2):
            hub.join(c)
        assert hub.players("r") == ["ann", "bob"]  # join order, one entry per player (two tabs)
        assert hub.open_by_room() == {"r": 3} and hub.has_connections("r")
        for c in (a1, a2, b):
            hub.leave(c)
        assert hub.open_by_room() == {} and not hub.has_connections("r")

    asyncio.run(scenario())


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(2, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] += 0.5  # refills 1 token
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] += 100  # refill is capped at one second's worth
    assert [bucket.take() for _ in range(3)] == [True, True, False]


# --- tokens and origins -------------------------------------------------------

def test_room_tokens() -> None:
    tok, exp = make_token("k", "r1", "ann", ttl_s=300, now=1000)
    assert exp == 1300 and tok.startswith("1300.")
    assert verify_token("k", "r1", "ann", tok, now=1200)
    assert not verify_token("k", "r1", "ann", tok, now=1301)  # expired
    assert not verify_token("k", "r1", "bob", tok, now=1200)
    assert not verify_token("k", "r2", "ann", tok, now=1200)
    assert not verify_token("other", "r1", "ann", tok, now=1200)
    for bad in (None, "", "x", "1300", "1300.", "abc.def", "²³.ff", tok.replace("1300", "9999", 1)):
        assert not verify_token("k", "r1", "ann", bad, now=1200), bad
    # a "|" in a name cannot shift the room/player boundary
    pipe, _ = make_token("k", "a|b", "c", now=1000)
    assert not verify_token("k", "a", "b|c", pipe, now=1000)


def test_origin_allowed() -> None:
    assert origin_allowed(None, []) and origin_allowed("http://x", [])
    allowed = ["http://Good.example/", "http://localhost:8501"]
    assert origin_allowed("http://good.example", allowed)
    assert origin_allowed("http://localhost:8501", allowed)
    assert not origin_allowed("http://localhost:8502", allowed)
    assert not origin_allowed(None, allowed)
    assert origin_allowed("http://any", ["*"])


# --- store --------------------------------------------------------------------

def test_store_log_ids_and_replay() -> None:
    store = EventStore(log_size=3, seq_base=0, clock=lambda: 1.5)
    ids = [store.append("r", "message", {"player": "a", "text": str(i), "id": "x"}).id for i in range(5)]
    assert ids == ["r-1", "r-2", "r-3", "r-4", "r-5"]
    ev = store.after("r", None)[0].event
    assert ev == {"id": "r-3", "type": "message", "room": "r", "ts": 1500.0, "player": "a", "text": "2"}
    assert [e.id for e in store.after("r", "r-3")] == ["r-4", "r-5"]
    assert [e.id for e in store.after("r", "r-5")] == []
    assert [e.id for e in store.after("r", "r-1")] == ["r-3", "r-4", "r-5"]  # evicted -> all
    assert store.after("nope", None) == [] and store.get("nope") is None  # reads create nothing
    assert len(store.get("r").index) == 3  # type: ignore[union-attr]


def test_store_ids_do_not_repeat_across_restarts() -> None:
    first = EventStore(clock=lambda: 1_700_000_000.0)
    second = EventStore(clock=lambda: 1_700_000_060.0)  # "restarted" a minute later
    old = [first.append("r", "t", {}).id for _ in range(1000)]
    new = second.append("r", "t", {}).id
    assert new not in old and second.after("r", old[-1])[0].id == new  # old id unknown -> full log
    assert int(new.rsplit("-", 1)[1]) < 2**53  # safe as a JavaScript number


def test_store_state_folding() -> None:
    store = EventStore(seq_base=0)
    store.append("r", "phase", {"phase": "voting"})
    store.append("r", "topic", {"topic": "cats"})
    store.append("r", "voted", {"player": "a", "target": "b"})
    store.append("r", "voted", {"player": "a", "target": "c"})
    for i in range(MESSAGES_IN_STATE + 5):
        store.append("r", "message", {"player": "a", "text": str(i)})
    room = store.get("r")
    assert room is not None
    assert (room.phase, room.topic, room.votes) == ("voting", "cats", {"a": "c"})
    assert [m["text"] for m in room.messages] == [str(i) for i in range(5, MESSAGES_IN_STATE + 5)]
    store.append("r", "phase", {"phase": "results"})
    assert room.votes == {}


def test_store_rejects_non_json_payload_without_side_effects() -> None:
    store = EventStore(seq_base=0)
    with pytest.raises(ValueError):
        store.append("r", "t", {"v": math.nan})
    assert store.append("r", "t", {}).id == "r-1"


def test_store_room_cap_evicts_idle_rooms_only() -> None:
    live = {"a"}
    store = EventStore(max_rooms=2, seq_base=0, is_pinned=lambda room: room in live)
    for room in ("a", "b", "c"):
        store.append(room, "t", {})
    assert list(store.rooms) == ["a", "c"]  # "b" was the oldest idle room


def test_settings_from_env() -> None:
    assert Settings.from_env({}) == Settings()
    s = Settings.from_env({
        "REPLAY_LOG_SIZE": "7", "MAX_FRAME_BYTES": "100", "MAX_MSGS_PER_SEC": "2.5",
        "ALLOWED_ORIGINS": " http://a , http://b,", "ROOM_TOKEN_SECRET": "k",
    })
    assert (s.replay_log_size, s.max_frame_bytes, s.max_msgs_per_sec) == (7, 100, 2.5)
    assert s.allowed_origins == ("http://a", "http://b") and s.room_token_secret == "k"
    assert Settings.from_env({"ROOM_TOKEN_SECRET": ""}).room_token_secret is None
