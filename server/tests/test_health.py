"""/health for a load balancer: 200 while serving; after SIGTERM, 503 while the open
sockets are still served (the drain grace), and only then 1012 to each of them."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

TIMEOUT = 30.0  # bounds a failing test only


def _ready_port(proc: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline() if proc.stdout else ""), daemon=True).start()
    line = lines.get(timeout=60)
    m = re.fullmatch(r"READY http://127\.0\.0\.1:(\d+)\n", line)
    assert m, f"unexpected first line {line!r}"
    return m.group(1)


def test_health_answers_503_during_the_drain_grace_while_open_sockets_are_still_served() -> None:
    # A grace long enough for the three checks below to happen inside it on a busy machine.
    env = {**os.environ, "DRAIN_GRACE_S": "6", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ws_bridge_server", "--port", "0", "--publish-endpoint"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        port = _ready_port(proc)
        base = f"127.0.0.1:{port}"
        with httpx.Client(base_url=f"http://{base}", trust_env=False, timeout=TIMEOUT) as http, \
                connect(f"ws://{base}/ws/h/ann", proxy=None, open_timeout=TIMEOUT) as ws:
            assert http.get("/health").status_code == 200
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + TIMEOUT
            while (r := http.get("/health")).status_code != 503:
                assert time.monotonic() < deadline, "health never turned 503 after SIGTERM"
                time.sleep(0.05)
            assert r.json() == {"ok": False, "draining": True}
            # The open socket is still served during the grace: an event reaches it...
            sent = http.post("/rooms/h/events", json={"type": "tick"}).json()["ids"][0]
            assert '"' + sent + '"' in ws.recv(timeout=TIMEOUT)
            # ... while a new socket is turned away with 1012, to try another replica.
            with connect(f"ws://{base}/ws/h/bob", proxy=None, open_timeout=TIMEOUT) as late:
                with pytest.raises(ConnectionClosed) as refused:
                    late.recv(timeout=TIMEOUT)
                assert refused.value.rcvd is not None and refused.value.rcvd.code == 1012
            # The grace over, the open socket gets 1012 "service restart".
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=TIMEOUT)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "service restart")
        proc.wait(timeout=TIMEOUT)  # (uvicorn re-raises SIGTERM on the way out: -15)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
