"""Test helpers: a real uvicorn server on a free loopback port (background thread), WS client helpers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app import Settings, create_app

TIMEOUT = 10.0  # only bounds a failing test; nothing asserts on speed


class RunningServer:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
            lifespan="on", timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"127.0.0.1:{port}"
        # trust_env=False / proxy=None: never route loopback traffic through a proxy.
        self.http = httpx.Client(base_url=f"http://{self.base}", timeout=TIMEOUT, trust_env=False)

    def ws(self, path: str, origin: str | None = None) -> ClientConnection:
        return connect(
            f"ws://{self.base}{path}", origin=origin, proxy=None,  # type: ignore[arg-type]
            open_timeout=TIMEOUT, close_timeout=2,
        )

    def stats(self, until: Callable[[dict[str, Any]], bool] = lambda s: True) -> dict[str, Any]:
        """GET /stats, polling until `until` holds (the server updates counters asynchronously).
        Fails the test if it never does."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            snap: dict[str, Any] = self.http.get("/stats").json()
            if until(snap):
                return snap
            if time.monotonic() > deadline:
                raise AssertionError(f"/stats never reached the expected state within {TIMEOUT} s: {snap}")
            time.sleep(0.01)

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(15)


# --- WebSocket client helpers -------------------------------------------------

def recv(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=TIMEOUT))
    return frame


def recv_type(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """Next frame of the given type, skipping others (e.g. player_list, typing)."""
    for _ in range(10_000):
        frame = recv(ws)
        if frame.get("type") == kind:
            return frame
    raise AssertionError(f"no {kind!r} frame")


def close_code(ws: ClientConnection) -> int:
    """Drain frames until the server closes; return its close code."""
    try:
        for _ in range(100_000):
            ws.recv(timeout=TIMEOUT)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"no close frame received: {exc}"
        return exc.rcvd.code
    raise AssertionError("server never closed the connection")
