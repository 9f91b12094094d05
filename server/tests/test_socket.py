"""The mounted bridge over real HTTP and WebSocket: replay, heartbeat, limits, Origin, tokens, drain."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from ws_bridge_server import Bridge, Settings, make_token

from bridgekit import RunningServer, close_code, close_frame, recv

Factory = Callable[..., RunningServer]


def test_a_socket_replays_after_since_then_goes_live(bridge_server: RunningServer) -> None:
    ids = bridge_server.publish("k1", 5)
    with bridge_server.ws(f"/ws/k1/ann?since={ids[1]}") as ws:
        assert [recv(ws)["id"] for _ in range(3)] == ids[2:]
        live = bridge_server.publish("k1", 1)
        assert recv(ws)["id"] == live[0]


def test_without_since_a_socket_gets_no_replay(bridge_server: RunningServer) -> None:
    bridge_server.publish("n1", 3)
    with bridge_server.ws("/ws/n1/ann") as ws:
        bridge_server.stats(lambda s: s["ws_connections_open"] == 1)
        live = bridge_server.publish("n1", 1)
        assert recv(ws)["id"] == live[0]


def test_a_socket_resuming_from_an_unknown_id_gets_one_reset_then_live_events(bridge_server: RunningServer) -> None:
    ids = bridge_server.publish("u1", 3)
    with bridge_server.ws("/ws/u1/ann?since=from-another-server") as ws:
        assert recv(ws) == {"type": "reset", "since": "from-another-server", "resume": ids[-1], "reason": "unknown"}
        live = bridge_server.publish("u1", 1)
        assert recv(ws)["id"] == live[0]  # nothing of the old log follows a reset


def test_ping_gets_pong_and_other_frames_an_error_on_an_open_socket(bridge_server: RunningServer) -> None:
    with bridge_server.ws("/ws/p1/ann") as ws:
        for frame in ("not json", "[1,2]", '{"type":"message","text":"x"}', '{"no":"type"}'):
            ws.send(frame)
            err = recv(ws)
            assert err["type"] == "error" and isinstance(err["error"], str) and "id" not in err, frame
        ws.send('{"type":"ping"}')
        assert recv(ws) == {"type": "pong"}
        ws.send(b'{"type":"ping"}')  # binary frames carrying JSON are accepted too
        assert recv(ws) == {"type": "pong"}
    assert bridge_server.poll("p1") == []  # pongs and errors are not events


def test_a_frame_over_max_frame_bytes_closes_1009(make_bridge_server: Factory) -> None:
    srv = make_bridge_server(max_frame_bytes=1024)
    with srv.ws("/ws/l1/ann") as ws:
        ws.send(json.dumps({"type": "ping", "pad": "a" * 900}))  # under the cap: fine
        assert recv(ws) == {"type": "pong"}
        ws.send(json.dumps({"type": "ping", "pad": "é" * 600}))  # 600 chars but 1200 UTF-8 bytes
        assert close_frame(ws) == (1009, "frame too large")


def test_frames_over_the_rate_limit_close_1008(make_bridge_server: Factory) -> None:
    srv = make_bridge_server(max_msgs_per_sec=3)
    with srv.ws("/ws/l2/ann") as ws:
        for _ in range(300):  # would need ~100 s to be legal at 3/s
            try:
                ws.send('{"type":"ping"}')
            except ConnectionClosed:
                break  # server already closed
        assert close_frame(ws) == (1008, "rate limit exceeded")


def test_an_origin_outside_the_allow_list_fails_the_handshake(make_bridge_server: Factory) -> None:
    srv = make_bridge_server(allowed_origins=("http://good.example",))
    with srv.ws("/ws/o1/ann", origin="http://good.example") as ws:
        ws.send('{"type":"ping"}')
        assert recv(ws) == {"type": "pong"}
    for origin in ("http://evil.example", None):
        with pytest.raises(InvalidStatus) as info:
            srv.ws("/ws/o1/eve", origin=origin)
        assert info.value.response.status_code == 403
    assert srv.stats()["ws_connections_total"] == 1


def test_room_tokens_are_checked_per_room_player_and_expiry(make_bridge_server: Factory) -> None:
    srv = make_bridge_server(room_token_secret="s3cret")
    token, _ = make_token("s3cret", "t1", "ann")
    with srv.ws(f"/ws/t1/ann?token={token}") as ws:
        ws.send('{"type":"ping"}')
        assert recv(ws) == {"type": "pong"}
    expired, _ = make_token("s3cret", "t1", "ann", ttl_s=300, now=time.time() - 3600)
    forged, _ = make_token("other-secret", "t1", "ann")
    for path in ("/ws/t1/ann", "/ws/t1/ann?token=", f"/ws/t1/bob?token={token}", f"/ws/t2/ann?token={token}",
                 f"/ws/t1/ann?token={token}x", f"/ws/t1/ann?token={expired}", f"/ws/t1/ann?token={forged}"):
        with srv.ws(path) as ws:
            expected = "missing or malformed token" if path.endswith(("ann", "=", "x")) else "invalid or expired token"
            assert close_frame(ws) == (1008, expected), path
    assert srv.stats()["ws_connections_total"] == 1  # rejected sockets never joined the room


def test_drain_closes_every_socket_1012_and_refuses_new_ones_the_same_way(make_bridge_server: Factory) -> None:
    bridge = Bridge(settings=Settings())
    srv = make_bridge_server(bridge)
    with srv.ws("/ws/d1/ann") as a, srv.ws("/ws/d2/bob") as b:
        srv.stats(lambda s: s["ws_connections_open"] == 2)
        assert srv.run(bridge.drain()) == 2
        assert close_frame(a) == (1012, "service restart") and close_frame(b) == (1012, "service restart")
    with srv.ws("/ws/d1/cat") as late:
        assert close_code(late) == 1012
    ids = srv.publish("d1", 1)
    assert srv.poll("d1") and srv.poll("d1")[-1]["id"] == ids[0]  # draining stops sockets, not the log

