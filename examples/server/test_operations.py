"""The game server's operations side: counters for the benchmarks, dropping connections, the CLI."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from harness.servers import ServerProcess, example_app
from testkit import TIMEOUT, RunningServer, close_code, recv, recv_type


# --- stats and admin ----------------------------------------------------------

def test_stats_counters(server: RunningServer) -> None:
    server.http.post("/stats/reset", headers=server.admin)
    r1, r2 = server.http.get("/health"), server.http.get("/rooms/st/events")
    snap = server.stats()
    assert snap == server.stats()  # reading /stats is not counted
    assert snap["http_requests"] == 2
    assert snap["http_bytes_sent"] == len(r1.content) + len(r2.content)
    assert (snap["ws_connections_total"], snap["events_created"], snap["ws_frames_sent"]) == (0, 0, 0)

    with server.ws("/ws/st/ann") as ws:
        joined = ws.recv(timeout=TIMEOUT, decode=True)
        ws.send('{"type":"ping"}')
        pong = ws.recv(timeout=TIMEOUT, decode=True)
        snap = server.stats(lambda s: s["ws_frames_sent"] >= 2)
        assert snap["ws_connections_total"] == 1 and snap["ws_connections_open"] == 1
        assert snap["ws_open_by_room"] == {"st": 1}
        assert snap["ws_frames_received"] == 1 and snap["ws_frames_sent"] == 2
        assert snap["ws_bytes_sent"] == len(joined.encode()) + len(pong.encode())
        assert snap["events_created"] == 1
    snap = server.stats(lambda s: s["ws_connections_open"] == 0)
    assert snap["ws_connections_open"] == 0 and snap["ws_open_by_room"] == {}
    assert snap["events_created"] == 2  # join + leave player_list

    zero = server.http.post("/stats/reset", headers=server.admin).json()
    assert all(v == 0 for k, v in zero.items() if k != "ws_open_by_room") and zero["ws_open_by_room"] == {}


def test_drop_connections_keeps_log(server: RunningServer) -> None:
    with server.ws("/ws/d1/ann") as a, server.ws("/ws/d2/bob") as b:
        recv_type(a, "player_list")
        recv_type(b, "player_list")
        m1 = server.http.post("/rooms/d1/messages", json={"player": "x", "text": "one"}).json()
        assert recv(a) == m1
        assert server.http.post("/admin/drop-connections", headers=server.admin).json() == {"dropped": 2}
        assert close_code(a) == 1012 and close_code(b) == 1012
    server.stats(lambda s: s["ws_connections_open"] == 0)
    m2 = server.http.post("/rooms/d1/messages", json={"player": "x", "text": "two"}).json()
    with server.ws(f"/ws/d1/ann?since={m1['id']}") as a:  # catch up exactly where we left off
        replay = recv(a)
        assert replay["type"] == "player_list" and replay["players"] == []  # ann's leave, after m1
        assert recv(a) == m2
        assert recv(a)["players"] == ["ann"]
    assert m1 in server.http.get("/rooms/d1/events").json()


# --- the CLI ------------------------------------------------------------------

def test_cli_prints_ready_serves_and_closes_sockets_1012_on_sigterm(tmp_path: Path) -> None:
    # The harness fails the start unless the first line is exactly `READY http://127.0.0.1:<port>`.
    with ServerProcess(example_app(), env={"REPLAY_LOG_SIZE": "3"}, cwd=tmp_path) as server:
        with httpx.Client(base_url=server.url, trust_env=False, timeout=TIMEOUT) as http:
            assert http.get("/health").json() == {"ok": True}
            for i in range(5):  # REPLAY_LOG_SIZE from the environment is honoured
                http.post("/rooms/cli/messages", json={"player": "ann", "text": str(i)})
            assert [e["text"] for e in http.get("/rooms/cli/events").json()] == ["2", "3", "4"]
        with connect(f"ws://127.0.0.1:{server.port}/ws/cli/ann", proxy=None, open_timeout=TIMEOUT) as ws:
            assert recv(ws)["type"] == "player_list"
            server.proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(100):
                    ws.recv(timeout=TIMEOUT)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "service restart")
    out, err = server.stdout_after_ready(), server.stderr()
    assert out == "", f"stdout must hold only the READY line, got {out!r} (stderr: {err!r})"
