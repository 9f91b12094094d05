"""The game server on the file store (EVENT_LOG_PATH / --event-log): events and ids survive a restart, even a SIGKILL.

The store itself (reload, torn lines, epochs) is tested in server/tests/test_stores.py.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from ws_bridge_server import FileStore, MemoryStore, parse_id

from harness.servers import ServerProcess, example_app
from testkit import TIMEOUT, RunningServer, recv_type


def seq(event_id: str) -> int:
    parsed = parse_id(event_id)
    assert parsed is not None, event_id
    return parsed[1]


def test_a_restarted_server_replays_since_an_id_from_its_previous_life(
    tmp_path: Path, make_server: Callable[..., RunningServer]
) -> None:
    path = str(tmp_path / "events.jsonl")
    before = make_server(event_log_path=path)
    assert isinstance(before.app.state.bridge.store, FileStore)
    ids = before.http.post("/rooms/g/events", json={"type": "tick", "count": 5}).json()["ids"]
    before.stop()

    after = make_server(event_log_path=path)
    assert [e["id"] for e in after.http.get("/rooms/g/events", params={"since": ids[1]}).json()] == ids[2:]
    new = after.http.post("/rooms/g/events", json={"type": "tick"}).json()["ids"]
    assert parse_id(new[0]) == (parse_id(ids[-1])[0], seq(ids[-1]) + 1)  # type: ignore[index]  # same epoch, next seq
    with after.ws(f"/ws/g/ann?since={ids[3]}") as ws:
        assert recv_type(ws, "tick")["id"] == ids[4]  # no reset: the history is still there
        assert recv_type(ws, "tick")["id"] == new[0]


def test_the_state_snapshot_after_a_restart_is_folded_from_the_kept_history(
    tmp_path: Path, make_server: Callable[..., RunningServer]
) -> None:
    path = str(tmp_path / "events.jsonl")
    before = make_server(event_log_path=path)
    before.http.post("/rooms/s/phase", json={"phase": "voting", "topic": "cats"})
    before.http.post("/rooms/s/messages", json={"player": "ann", "text": "hi"})
    snapshot = before.http.get("/rooms/s/state").json()
    before.stop()
    after = make_server(event_log_path=path)
    assert after.http.get("/rooms/s/state").json() == snapshot


def test_without_an_event_log_nothing_is_written(tmp_path: Path, make_server: Callable[..., RunningServer]) -> None:
    srv = make_server()
    srv.http.post("/rooms/g/events", json={"type": "tick"})
    assert isinstance(srv.app.state.bridge.store, MemoryStore)
    assert not isinstance(srv.app.state.bridge.store, FileStore)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Callable[[list[str]], tuple[subprocess.Popen[str], str]]]:
    """Starts `app.py` as its own process; every process it started is ended after the test, even
    one whose start failed (no READY line) or whose test failed halfway."""
    servers: list[ServerProcess] = []

    def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
        server = ServerProcess([*example_app(publish_endpoint=True), *args], cwd=tmp_path)
        servers.append(server)
        url = server.start()  # a start that fails has stopped its process already
        return server.proc, url

    yield start
    for server in servers:
        server.stop(signal.SIGKILL)


def test_cli_event_log_keeps_every_acknowledged_event_through_a_sigkill(
    tmp_path: Path, cli: Callable[[list[str]], tuple[subprocess.Popen[str], str]]
) -> None:
    path = str(tmp_path / "events.jsonl")
    proc, url = cli(["--event-log", path])
    with httpx.Client(base_url=url, trust_env=False, timeout=TIMEOUT) as http:
        ids = http.post("/rooms/k/events", json={"type": "tick", "count": 50}).json()["ids"]
    proc.send_signal(signal.SIGKILL)  # no shutdown code runs
    proc.wait(timeout=30)

    _, url = cli(["--event-log", path])
    with httpx.Client(base_url=url, trust_env=False, timeout=TIMEOUT) as http:
        assert [e["id"] for e in http.get("/rooms/k/events").json()] == ids
        assert seq(http.post("/rooms/k/events", json={"type": "tick"}).json()["ids"][0]) == seq(ids[-1]) + 1
