"""The opt-in persistent event log: events and ids survive a restart, even a SIGKILL."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from app import Settings
from event_log import EventLog
from event_store import EventStore
from testkit import TIMEOUT, RunningServer, recv_type

HERE = Path(__file__).resolve().parent


def seq(event_id: str) -> int:
    return int(event_id.rsplit("-", 1)[1])


def test_store_reloaded_from_the_log_has_the_same_events_and_goes_on_counting(tmp_path: Path) -> None:
    path = str(tmp_path / "events.jsonl")
    first, log = EventStore(log_size=100, seq_base=1000), EventLog(path)
    written = [first.append("r-1", "tick", {"n": i}) for i in range(5)] + [first.append("other", "tick", {})]
    for logged in written:
        log.append(logged)
    log.close()

    second = EventStore(log_size=100, seq_base=5_000_000)  # a later boot: a higher base
    assert EventLog(path).load(second) == 6
    assert [e.text for e in second.after("r-1", None)] == [e.text for e in written[:5]]
    assert [e.id for e in second.after("r-1", written[2].id)] == [written[3].id, written[4].id]
    # Ids go on from the last one of the room, so since=<an old id> stays valid and nothing repeats.
    assert seq(second.append("r-1", "tick", {}).id) == seq(written[4].id) + 1
    assert seq(second.append("other", "tick", {}).id) == seq(written[5].id) + 1


def test_reload_keeps_only_the_replay_log_size_but_ids_still_go_on(tmp_path: Path) -> None:
    path = str(tmp_path / "events.jsonl")
    first, log = EventStore(log_size=100, seq_base=0), EventLog(path)
    for i in range(10):
        log.append(first.append("r", "tick", {"n": i}))
    second = EventStore(log_size=3, seq_base=0)
    EventLog(path).load(second)
    assert [e.event["n"] for e in second.after("r", None)] == [7, 8, 9]
    assert second.append("r", "tick", {}).id == "r-11"


def test_a_torn_last_line_is_cut_off_and_appending_goes_on_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first, log = EventStore(seq_base=0), EventLog(str(path))
    log.append(first.append("r", "tick", {}))
    log.close()
    with open(path, "a") as f:
        f.write('{"seq":2,"event":{"id":"r-2","ty')  # the process died mid-write
    second, log2 = EventStore(seq_base=0), EventLog(str(path))
    assert log2.load(second) == 1
    log2.append(second.append("r", "tick", {}))
    lines = path.read_text().splitlines()
    assert [json.loads(line)["event"]["id"] for line in lines] == ["r-1", "r-2"]


def test_settings_read_event_log_path_from_the_environment() -> None:
    assert Settings.from_env({}).event_log_path is None
    assert Settings.from_env({"EVENT_LOG_PATH": "/tmp/x.jsonl"}).event_log_path == "/tmp/x.jsonl"


def test_a_restarted_server_replays_since_an_id_from_its_previous_life(
    tmp_path: Path, make_server: Callable[..., RunningServer]
) -> None:
    path = str(tmp_path / "events.jsonl")
    before = make_server(event_log_path=path)
    ids = before.http.post("/rooms/g/events", json={"type": "tick", "count": 5}).json()["ids"]
    before.stop()

    after = make_server(event_log_path=path)
    assert [e["id"] for e in after.http.get("/rooms/g/events", params={"since": ids[1]}).json()] == ids[2:]
    new = after.http.post("/rooms/g/events", json={"type": "tick"}).json()["ids"]
    assert seq(new[0]) == seq(ids[-1]) + 1
    with after.ws(f"/ws/g/ann?since={ids[3]}") as ws:
        assert recv_type(ws, "tick")["id"] == ids[4]
        assert recv_type(ws, "tick")["id"] == new[0]


def test_without_an_event_log_nothing_is_written(tmp_path: Path, make_server: Callable[..., RunningServer]) -> None:
    srv = make_server()
    srv.http.post("/rooms/g/events", json={"type": "tick"})
    assert srv.app.state.bridge.event_log is None
    assert list(tmp_path.iterdir()) == []


def start_cli(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "app.py"), "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=cwd,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline() if proc.stdout else ""), daemon=True).start()
    line = lines.get(timeout=60)  # generous: a cold import on a busy machine is slow
    m = re.fullmatch(r"READY (http://127\.0\.0\.1:\d+)\n", line)
    assert m, f"unexpected first line {line!r}"
    return proc, m.group(1)


def test_cli_event_log_keeps_every_acknowledged_event_through_a_sigkill(tmp_path: Path) -> None:
    path = str(tmp_path / "events.jsonl")
    proc, url = start_cli(["--event-log", path], tmp_path)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=TIMEOUT) as http:
            ids = http.post("/rooms/k/events", json={"type": "tick", "count": 50}).json()["ids"]
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown code runs
        proc.communicate(timeout=30)

    proc, url = start_cli(["--event-log", path], tmp_path)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=TIMEOUT) as http:
            assert [e["id"] for e in http.get("/rooms/k/events").json()] == ids
            assert seq(http.post("/rooms/k/events", json={"type": "tick"}).json()["ids"][0]) == seq(ids[-1]) + 1
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
