"""The game server end to end: real uvicorn on 127.0.0.1, httpx for REST, websockets for WS.

The bridge itself (limits, Origin, the replay/reset decision) is tested in
server/tests and server/conformance; these tests cover what the game adds on top."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ws_bridge_server import make_token, parse_id

from app import MAX_BURST
from testkit import RunningServer, close_code, recv, recv_type

HERE = Path(__file__).resolve().parent


def post_messages(srv: RunningServer, room: str, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        r = srv.http.post(f"/rooms/{room}/messages", json={"player": "ann", "text": f"m{i}"})
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


# --- events and the replay log ------------------------------------------------

def test_health(server: RunningServer) -> None:
    r = server.http.get("/health")
    assert r.status_code == 200 and r.json() == {"ok": True}


def test_event_shape_and_ids(server: RunningServer) -> None:
    ev = server.http.post("/rooms/r1/messages", json={"player": "ann", "text": "hi"}).json()
    assert set(ev) == {"id", "type", "room", "ts", "player", "text"}
    assert (ev["type"], ev["room"], ev["player"], ev["text"]) == ("message", "r1", "ann", "hi")
    assert isinstance(ev["id"], str) and isinstance(ev["ts"], float)
    assert abs(ev["ts"] - time.time() * 1000) < 3_600_000  # milliseconds since the epoch

    more = post_messages(server, "r1", 5) + post_messages(server, "r2", 2)
    ids = [ev["id"]] + [e["id"] for e in more]
    parsed = [parse_id(i) for i in ids]  # "<epoch>-<seq>"
    assert [p[1] for p in parsed if p] == [1, 2, 3, 4, 5, 6, 1, 2]  # counted per room, from 1, no gaps
    assert len({p[0] for p in parsed if p}) == 1  # one epoch: this server's lifetime


def test_fallback_get_events_since(server: RunningServer) -> None:
    evs = post_messages(server, "f1", 4)
    ids = [e["id"] for e in evs]

    def get(**params: str) -> list[str]:
        return [e["id"] for e in server.http.get("/rooms/f1/events", params=params).json()]

    assert get() == ids
    assert get(since=ids[1]) == ids[2:]
    assert get(since=ids[-1]) == []
    assert get(since="") == ids  # from the beginning: nothing was evicted
    # An id of another lifetime: the history after it is gone, and the poll says so.
    reset = server.http.get("/rooms/f1/events", params={"since": "f1-123"}).json()
    assert reset == [{"type": "reset", "since": "f1-123", "resume": ids[-1], "reason": "epoch"}]
    assert server.http.get("/rooms/nobody/events").json() == []
    assert server.http.get("/rooms/f1/events").json() == evs  # same objects as the POST returned


def test_replay_log_is_bounded(make_server: Any) -> None:
    srv = make_server(replay_log_size=3)
    ids = [e["id"] for e in post_messages(srv, "b1", 5)]
    assert [e["id"] for e in srv.http.get("/rooms/b1/events").json()] == ids[2:]
    # An evicted id: a reset on the poll and on the socket alike, never a partial replay.
    reset = {"type": "reset", "since": ids[0], "resume": ids[-1], "reason": "evicted"}
    assert srv.http.get("/rooms/b1/events", params={"since": ids[0]}).json() == [reset]
    with srv.ws(f"/ws/b1/ann?since={ids[0]}") as ws:
        assert recv(ws) == reset
        assert recv(ws)["type"] == "player_list"  # then live events only


def test_ws_replay_after_known_id(server: RunningServer) -> None:
    ids = [e["id"] for e in post_messages(server, "k1", 5)]
    with server.ws(f"/ws/k1/ann?since={ids[1]}") as ws:
        assert [recv(ws)["id"] for _ in range(3)] == ids[2:]
        pl = recv(ws)
        assert pl["type"] == "player_list" and pl["players"] == ["ann"]
    with server.ws(f"/ws/k1/ann?since={ids[-1]}") as ws:  # up to date: nothing to replay
        assert recv(ws)["type"] == "player_list"


def test_ws_empty_since_replays_the_whole_log_and_a_foreign_one_resets(server: RunningServer) -> None:
    ids = [e["id"] for e in post_messages(server, "u0", 3)]
    with server.ws("/ws/u0/ann?since=") as ws:
        assert [recv(ws)["id"] for _ in range(3)] == ids
        assert recv(ws)["players"] == ["ann"]
    ids = [e["id"] for e in post_messages(server, "u1", 3)]
    with server.ws("/ws/u1/ann?since=from-another-server-lifetime") as ws:
        assert recv(ws) == {"type": "reset", "since": "from-another-server-lifetime", "resume": ids[-1],
                            "reason": "unknown"}
        assert recv(ws)["players"] == ["ann"]


def test_ws_without_since_gets_no_replay(server: RunningServer) -> None:
    post_messages(server, "n1", 3)
    with server.ws("/ws/n1/ann") as ws:
        first = recv(ws)
        assert first["type"] == "player_list" and first["players"] == ["ann"]


# --- live WebSocket traffic ---------------------------------------------------

def test_room_isolation(server: RunningServer) -> None:
    with server.ws("/ws/i2/bob") as b, server.ws("/ws/i1/ann") as a:
        assert recv(b)["players"] == ["bob"]
        assert recv(a)["players"] == ["ann"]
        a.send(json.dumps({"type": "message", "text": "only i1"}))
        server.http.post("/rooms/i1/messages", json={"player": "x", "text": "also only i1"})
        assert recv(a)["text"] == "only i1"
        assert recv(a)["text"] == "also only i1"
        marker = server.http.post("/rooms/i2/messages", json={"player": "x", "text": "marker"}).json()
        # per-socket delivery is ordered, so had anything from i1 leaked it would come first
        assert recv(b) == marker
    assert all(e["room"] == "i2" for e in server.http.get("/rooms/i2/events").json())


def test_ping_pong(server: RunningServer) -> None:
    with server.ws("/ws/p1/ann") as ws:
        recv_type(ws, "player_list")
        ws.send('{"type":"ping"}')
        assert recv(ws) == {"type": "pong"}
    types = {e["type"] for e in server.http.get("/rooms/p1/events").json()}
    assert types == {"player_list"}  # pongs are not events


def test_chat_typing_vote_via_ws(server: RunningServer) -> None:
    with server.ws("/ws/c1/ann") as a, server.ws("/ws/c1/bob") as b:
        recv_type(a, "player_list")
        recv_type(b, "player_list")
        a.send(json.dumps({"type": "message", "text": "hello", "player": "spoofed"}))
        got_a, got_b = recv_type(a, "message"), recv_type(b, "message")
        assert got_a == got_b
        assert (got_a["player"], got_a["text"], got_a["room"]) == ("ann", "hello", "c1")
        b.send('{"type":"typing"}')
        assert recv_type(a, "typing")["player"] == "bob"
        b.send('{"type":"vote","target":"ann"}')
        voted = recv_type(a, "voted")
        assert (voted["player"], voted["target"]) == ("bob", "ann")
    log = server.http.get("/rooms/c1/events").json()
    assert got_a in log and voted in log
    state = server.http.get("/rooms/c1/state").json()
    assert state["messages"] == [got_a] and state["votes"] == {"bob": "ann"}


def test_chat_vote_phase_via_post(server: RunningServer) -> None:
    with server.ws("/ws/c2/ann") as ws:
        recv_type(ws, "player_list")
        ev = server.http.post("/rooms/c2/messages", json={"player": "zed", "text": "hey"}).json()
        assert recv(ws) == ev
        vote = server.http.post("/rooms/c2/votes", json={"player": "zed", "target": "ann"}).json()
        assert vote["type"] == "voted" and recv(ws) == vote
        phase = server.http.post("/rooms/c2/phase", json={"phase": "voting", "topic": "cats"}).json()
        assert phase["type"] == "phase" and phase["phase"] == "voting" and recv(ws) == phase
        topic = recv(ws)
        assert (topic["type"], topic["topic"]) == ("topic", "cats")
    assert server.http.post("/rooms/c2/messages", json={"player": "zed"}).status_code == 422
    assert server.http.post("/rooms/c2/votes", json={"player": "zed", "target": ""}).status_code == 422


def test_bad_frames_get_error_and_keep_connection(server: RunningServer) -> None:
    bad = ["not json", "[1,2]", '{"type":"nope"}', '{"no":"type"}', '{"type":"message"}',
           '{"type":"message","text":""}', '{"type":"vote"}', '{"type":"vote","target":5}']
    with server.ws("/ws/e1/ann") as ws:
        recv_type(ws, "player_list")
        for frame in bad:
            ws.send(frame)
            err = recv(ws)
            assert err["type"] == "error" and isinstance(err["error"], str) and "id" not in err, frame
        ws.send(b'{"type":"ping"}')  # binary frames carrying JSON are accepted too
        assert recv(ws) == {"type": "pong"}
    assert {e["type"] for e in server.http.get("/rooms/e1/events").json()} == {"player_list"}


def test_player_list_on_join_and_leave(server: RunningServer) -> None:
    with server.ws("/ws/j1/ann") as a:
        assert recv(a)["players"] == ["ann"]
        with server.ws("/ws/j1/bob") as b:
            assert recv(a)["players"] == ["ann", "bob"]
            assert recv(b)["players"] == ["ann", "bob"]
            assert server.http.get("/rooms/j1/state").json()["players"] == ["ann", "bob"]
        left = recv(a)
        assert left["type"] == "player_list" and left["players"] == ["ann"]
    assert server.stats(lambda s: s["ws_connections_open"] == 0)["ws_connections_open"] == 0
    assert server.http.get("/rooms/j1/events").json()[-1]["players"] == []


# --- REST snapshot and drivers ------------------------------------------------

def test_state_snapshot(server: RunningServer) -> None:
    empty = server.http.get("/rooms/s1/state").json()
    assert empty == {"room": "s1", "phase": "lobby", "topic": None, "players": [], "messages": [],
                     "votes": {}, "last_event_id": None}
    server.http.post("/rooms/s1/phase", json={"phase": "voting", "topic": "cats"})
    for player, target in [("ann", "bob"), ("bob", "ann"), ("ann", "cara")]:
        server.http.post("/rooms/s1/votes", json={"player": player, "target": target})
    msgs = post_messages(server, "s1", 55)
    with server.ws("/ws/s1/dan") as ws:
        recv_type(ws, "player_list")
        st = server.http.get("/rooms/s1/state").json()
        last_id = server.http.get("/rooms/s1/events").json()[-1]["id"]  # the join's player_list
    assert st["room"] == "s1" and st["phase"] == "voting" and st["topic"] == "cats"
    assert st["players"] == ["dan"]
    assert st["votes"] == {"bob": "ann", "ann": "cara"}
    assert st["messages"] == msgs[-50:]
    assert st["last_event_id"] == last_id
    server.http.post("/rooms/s1/phase", json={"phase": "discussion"})
    st = server.http.get("/rooms/s1/state").json()
    assert (st["phase"], st["topic"], st["votes"]) == ("discussion", "cats", {})  # votes reset per phase


def test_bulk_event_injection(server: RunningServer) -> None:
    with server.ws("/ws/x1/ann") as ws:
        recv_type(ws, "player_list")
        body = {"type": "elimination", "count": 5, "player": "bob", "id": "evil", "room": "evil", "ts": 1}
        ids = server.http.post("/rooms/x1/events", json=body).json()["ids"]
        assert len(ids) == 5 and len(set(ids)) == 5
        pushed = [recv(ws) for _ in range(5)]
        assert [e["id"] for e in pushed] == ids
        assert [e["seq_in_burst"] for e in pushed] == [0, 1, 2, 3, 4]
        for e in pushed:
            assert (e["type"], e["room"], e["player"]) == ("elimination", "x1", "bob")
            assert e["id"] != "evil" and e["ts"] != 1 and "count" not in e
        one = server.http.post("/rooms/x1/events", json={"type": "game_over", "winner": "ann"}).json()["ids"]
        assert recv(ws)["id"] == one[0]
        many = {"events": [{"type": "voting_result", "out": "bob"}, {"type": "topic", "topic": "dogs"}]}
        two = server.http.post("/rooms/x1/events", json=many).json()["ids"]
        got = [recv(ws) for _ in range(2)]
        assert [e["id"] for e in got] == two and got[0]["out"] == "bob" and got[1]["topic"] == "dogs"
    assert server.http.get("/rooms/x1/state").json()["topic"] == "dogs"
    for bad in ([1], {"count": 3}, {"type": "", "x": 1}, {"type": "t", "count": 0}, {"type": "t", "count": "3"},
                {"type": "t", "count": True}, {"type": "t", "count": MAX_BURST + 1}, {"events": [1]}):
        assert server.http.post("/rooms/x1/events", json=bad).status_code == 422, bad
    for raw in (b"{nope", b'{"type":"t","v":NaN}'):
        r = server.http.post("/rooms/x1/events", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, raw


# --- access control (the token route; the socket's checks: server/tests; the routes' guards: test_access.py)

def test_room_tokens(make_server: Any, server: RunningServer) -> None:
    assert server.http.get("/rooms/t1/token", params={"player": "ann"}).status_code == 404  # disabled

    srv = make_server(room_token_secret="s3cret")
    body = srv.http.get("/rooms/t1/token", params={"player": "ann"}).json()
    token = body["token"]
    assert isinstance(token, str) and body["expires_at"] > time.time()
    with srv.ws(f"/ws/t1/ann?token={token}") as ws:
        assert recv(ws)["players"] == ["ann"]
    expired, _ = make_token("s3cret", "t1", "ann", ttl_s=300, now=time.time() - 3600)
    forged, _ = make_token("other-secret", "t1", "ann")
    for path in ("/ws/t1/ann", "/ws/t1/ann?token=", f"/ws/t1/bob?token={token}", f"/ws/t2/ann?token={token}",
                 f"/ws/t1/ann?token={token}x", f"/ws/t1/ann?token={expired}", f"/ws/t1/ann?token={forged}"):
        with srv.ws(path) as ws:
            assert close_code(ws) == 1008, path
    # rejected sockets never joined the room (with tokens on, the poll shows a client's token too)
    assert srv.stats()["ws_connections_total"] == 1
    polled = srv.http.get("/rooms/t1/events", params={"client": "ann", "token": token}).json()
    assert all(set(e["players"]) <= {"ann"} for e in polled)
