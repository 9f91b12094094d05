"""PROTOCOL.md "Heartbeat" and "Close codes": pong, and the limits on client frames."""

from __future__ import annotations

import json

from websockets.exceptions import ConnectionClosed

from conformance_client import Target, close_of, figure, recv


def test_ping_gets_a_pong_without_id_that_is_no_event(target: Target) -> None:
    room = target.room("ping")
    with target.socket(room) as ws:
        for _ in range(3):
            ws.send('{"type":"ping"}')
            while (frame := recv(ws)).get("type") != "pong":
                assert "id" in frame, frame  # events of the server's own may come first
            assert frame == {"type": "pong"}
    assert all(e["type"] != "pong" for e in target.poll(room))
    figure(f"{target.name}: 3 pings answered with {{\"type\":\"pong\"}}, no id, none in the log")


def padded_ping(size: int) -> str:
    frame = json.dumps({"type": "ping", "pad": ""})
    return json.dumps({"type": "ping", "pad": "a" * (size - len(frame))})


def test_a_frame_over_the_size_limit_closes_1009_and_one_at_the_limit_does_not(target: Target) -> None:
    room = target.room("size")
    with target.socket(room) as ws:
        at_limit = padded_ping(target.max_frame_bytes)
        assert len(at_limit.encode()) == target.max_frame_bytes
        ws.send(at_limit)
        while (frame := recv(ws)).get("type") != "pong":
            assert "id" in frame, frame
        ws.send(padded_ping(target.max_frame_bytes + 1))
        code, reason = close_of(ws)
    assert code == 1009
    figure(f"{target.name}: a {target.max_frame_bytes + 1}-byte frame closed with {code} {reason!r}")


def test_frames_over_the_rate_limit_close_1008(target: Target) -> None:
    room = target.room("rate")
    flood = int(target.max_msgs_per_sec * 10) + 10
    with target.socket(room) as ws:
        sent = 0
        try:
            for _ in range(flood):
                ws.send('{"type":"ping"}')
                sent += 1
        except ConnectionClosed:
            pass  # the server already closed
        code, reason = close_of(ws)
    assert code == 1008
    figure(f"{target.name}: {sent} pings at once (limit {target.max_msgs_per_sec:g}/s) closed with {code} {reason!r}")
