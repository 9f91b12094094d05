"""/health for a load balancer: 200 while serving; after SIGTERM, 503 while the open
sockets are still served (the drain grace), and only then 1012 to each of them."""

from __future__ import annotations

import signal
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from harness.servers import ServerProcess, bare_module

TIMEOUT = 30.0  # bounds a failing test only


def test_health_answers_503_during_the_drain_grace_while_open_sockets_are_still_served() -> None:
    # A grace long enough for the three checks below to happen inside it on a busy machine.
    with ServerProcess(bare_module(publish_endpoint=True), env={"DRAIN_GRACE_S": "6"}) as server:
        proc = server.proc
        base = f"127.0.0.1:{server.port}"
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
