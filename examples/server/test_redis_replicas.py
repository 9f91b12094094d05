"""The game example on the Redis store: two replicas on one real redis-server act as one server.

A chat line posted on one replica reaches a player's socket on the other, and GET /state
answers the same on both, and on a third replica started later (folded from the history
Redis retained).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server" / "conformance"))
from redis_process import RedisProcess  # noqa: E402

from testkit import RunningServer, recv_type  # noqa: E402


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisProcess(tmp_path, aof=True)
    try:
        yield server.start()
    finally:
        server.stop()


def test_replicas_on_one_redis_share_the_feed_and_the_room_state(
    redis_url: str, make_server: Callable[..., RunningServer], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = make_server(redis_url=redis_url), make_server(redis_url=redis_url)
    with b.ws("/ws/lobby/bob") as bob:
        posted = [a.http.post("/rooms/lobby/messages", json={"player": "ann", "text": f"hi {i}"}).json()
                  for i in range(3)]
        a.http.post("/rooms/lobby/phase", json={"phase": "vote", "topic": "who?"})
        voted = a.http.post("/rooms/lobby/votes", json={"player": "ann", "target": "bob"}).json()
        got = [recv_type(bob, "message") for _ in posted]
        assert [m["id"] for m in got] == [p["id"] for p in posted]  # on b's socket, as a published them
        assert recv_type(bob, "voted")["id"] == voted["id"]  # b's listeners have seen it too by now
        states: dict[str, Any] = {"a": a.http.get("/rooms/lobby/state").json(),
                                  "b": b.http.get("/rooms/lobby/state").json()}
    c = make_server(redis_url=redis_url)  # a replica that saw none of it live
    states["c"] = c.http.get("/rooms/lobby/state").json()
    newest = {"a": voted["id"], "b": voted["id"],  # bob was still there
              "c": c.http.get("/rooms/lobby/events").json()[-1]["id"]}  # his leaving is in the history too
    for name, state in states.items():
        assert [m["text"] for m in state["messages"]] == ["hi 0", "hi 1", "hi 2"], name
        assert (state["phase"], state["topic"], state["votes"]) == ("vote", "who?", {"ann": "bob"}), name
        assert state["last_event_id"] == newest[name], name
    with capsys.disabled():
        print(f"\n[redis] game example, 3 replicas on one Redis: chat posted on a reached b's socket in order; "
              f"GET /state has the same messages, phase and votes on a, b and c (c folded them from Redis), "
              f"newest event {newest['c']}")
