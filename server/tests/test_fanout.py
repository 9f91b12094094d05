"""Sockets and fan-out, tokens and origins, settings: the pieces behind the endpoints (no network)."""

from __future__ import annotations

import asyncio

from ws_bridge_server import Settings, StoredEvent, make_token, origin_allowed, verify_token
from ws_bridge_server.live.connection import Connection
from ws_bridge_server.live.hub import Hub
from ws_bridge_server.live.socket import TokenBucket
from ws_bridge_server.live.stats import Stats


def event(text: str, seq: int) -> StoredEvent:
    return StoredEvent("r", "e", seq, {}, text, len(text))


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
    conn = Connection(ws, "r", player, stats, queue_size=queue_size, send_timeout=0.05)
    conn.position = ("e", 0)
    return conn


def live_in(hub: Hub, c: Connection, position: tuple[str, int] = ("e", 0)) -> None:
    """Joins `c` to the hub and makes it live at `position`, as a finished replay does."""
    hub.join(c, c.outbox.maxsize)
    hub.go_live(c, position)


def queued(c: Connection) -> list[str | int]:
    """The outbox's texts, and a close frame's code."""
    out: list[str | int] = []
    while not c.outbox.empty():
        item = c.outbox.get_nowait()
        out.append(item[0] if isinstance(item, tuple) else item.code)
    return out


# --- non-blocking fan-out -----------------------------------------------------

def test_hung_socket_does_not_block_the_others() -> None:
    async def scenario() -> None:
        stats, hub = Stats(), Hub()
        fast, slow = conn(FakeSocket(), stats, "a"), conn(FakeSocket("hang"), stats, "b")
        live_in(hub, fast)
        live_in(hub, slow)
        writers = [asyncio.create_task(c.run_writer()) for c in (fast, slow)]
        for i in range(3):
            hub.deliver(event(f"m{i}", i + 1))  # synchronous: only enqueues
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
            live_in(hub, c)
        assert hub.clients("r") == ["ann", "bob"]  # join order, one entry per player (two tabs)
        assert hub.snapshot(stats)["ws_open_by_room"] == {"r": 3} and hub.watching("r")
        for c in (a1, a2, b):
            hub.leave(c)
        assert hub.snapshot(stats)["ws_open_by_room"] == {} and not hub.watching("r")

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
    # With no settings: clients without an Origin (not browsers) and pages of the server's own origin.
    assert origin_allowed(None, []) and not origin_allowed("http://x", [])
    assert origin_allowed("http://host:8000", [], host="host:8000")
    assert not origin_allowed("http://evil.example", [], host="host:8000")
    assert origin_allowed("http://own:1", ["http://other"], host="own:1")
    allowed = ["http://Good.example/", "http://localhost:8501"]
    assert origin_allowed("http://good.example", allowed)
    assert origin_allowed("http://localhost:8501", allowed)
    assert not origin_allowed("http://localhost:8502", allowed)
    assert not origin_allowed(None, allowed)
    assert origin_allowed("http://any", ["*"])


def test_a_socket_that_is_not_live_yet_holds_events_and_a_flood_closes_it_1013() -> None:
    async def scenario() -> None:
        stats, hub = Stats(), Hub()
        waiting = Connection(FakeSocket(), "r", "p", stats, queue_size=3, send_timeout=0.05)
        joining = hub.join(waiting, waiting.outbox.maxsize)
        for i in range(3):
            hub.deliver(event(f"m{i}", i + 1))
        assert [e.seq for e in joining.held] == [1, 2, 3] and waiting.outbox.empty()
        hub.deliver(event("m3", 4))  # more than its outbox could take once live
        assert waiting.closing
        await asyncio.wait_for(waiting.run_writer(), 10)
        assert waiting.ws.closed == (1013, "client too slow")  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_a_live_socket_is_not_given_again_what_its_replay_already_covered() -> None:
    async def scenario() -> None:
        hub, c = Hub(), Connection(FakeSocket(), "r", "p", Stats(), queue_size=10, send_timeout=0.05)
        live_in(hub, c, ("e", 5))  # its replay ended at e-5; the store's reader is still at e-2
        for seq in range(3, 9):
            hub.deliver(event(f"m{seq}", seq))
        assert queued(c) == ["m6", "m7", "m8"] and not c.closing

    asyncio.run(scenario())


def test_a_client_reset_to_a_new_epoch_never_gets_an_event_of_the_old_one() -> None:
    async def scenario() -> None:
        hub, c = Hub(), Connection(FakeSocket(), "r", "p", Stats(), queue_size=10, send_timeout=0.05)
        live_in(hub, c, ("new", 3))  # reset to new-3; a reader behind the lost history still sends old-9
        hub.deliver(StoredEvent("r", "old", 9, {}, "old9", 4))
        hub.deliver(StoredEvent("r", "new", 4, {}, "new4", 4))
        assert queued(c) == [1012] and c.closing  # it resumes with since=new-3: nothing silent

    asyncio.run(scenario())


def test_a_gap_in_what_a_live_socket_is_offered_closes_it_instead_of_skipping() -> None:
    async def scenario() -> None:
        hub, c = Hub(), Connection(FakeSocket(), "r", "p", Stats(), queue_size=10, send_timeout=0.05)
        live_in(hub, c, ("e", 1))
        hub.deliver(event("m2", 2))
        hub.deliver(event("m4", 4))
        assert queued(c) == [1012]  # m2 was discarded with the close: the client resumes from e-1

    asyncio.run(scenario())


def test_settings_from_env() -> None:
    assert Settings.from_env({}) == Settings()
    s = Settings.from_env({
        "REPLAY_LOG_SIZE": "7", "MAX_FRAME_BYTES": "100", "MAX_MSGS_PER_SEC": "2.5",
        "ALLOWED_ORIGINS": " http://a , http://b,", "ROOM_TOKEN_SECRET": "k", "EVENT_LOG_PATH": "/tmp/x.jsonl",
    })
    assert (s.replay_log_size, s.max_frame_bytes, s.max_msgs_per_sec) == (7, 100, 2.5)
    assert s.allowed_origins == ("http://a", "http://b") and s.room_token_secret == "k"
    assert s.event_log_path == "/tmp/x.jsonl" and Settings.from_env({}).event_log_path is None
    try:  # an empty secret is a mistake, never "no tokens"
        Settings.from_env({"ROOM_TOKEN_SECRET": " "})
        raise AssertionError("an empty secret was accepted")
    except ValueError as exc:
        assert "room_token_secret is empty" in str(exc)
