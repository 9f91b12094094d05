"""Test helpers: a real uvicorn server on a free loopback port (background thread), WS client helpers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

T = TypeVar("T")
TIMEOUT = 10.0  # only bounds a failing test; nothing asserts on speed


class RunningServer:
    def __init__(self, app: Any) -> None:
        self.app = app
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
            lifespan="on", timeout_graceful_shutdown=5, ws_per_message_deflate=False,
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
        # trust_env=False: never route loopback traffic through a proxy.
        self.http = httpx.Client(base_url=f"http://{self.base}", timeout=TIMEOUT, trust_env=False)

    def ws(self, path: str, origin: str | None = None) -> ClientConnection:
        return connect(
            f"ws://{self.base}{path}", origin=origin, proxy=None,  # type: ignore[arg-type]
            open_timeout=TIMEOUT, close_timeout=2,
        )

    def publish(self, room: str, n: int, kind: str = "tick") -> list[str]:
        r = self.http.post(f"/rooms/{room}/events", json={"type": kind, "count": n})
        assert r.status_code == 200, r.text
        ids: list[str] = r.json()["ids"]
        return ids

    def poll(self, room: str, **params: str) -> list[dict[str, Any]]:
        r = self.http.get(f"/rooms/{room}/events", params=params)
        assert r.status_code == 200, r.text
        frames: list[dict[str, Any]] = r.json()
        return frames

    def stats(self, until: Callable[[dict[str, Any]], bool] = lambda s: True) -> dict[str, Any]:
        """The bridge's counters, polled until `until` holds; fails if it never does."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            snap: dict[str, Any] = self.app.state.bridge.stats_snapshot()
            if until(snap):
                return snap
            if time.monotonic() > deadline:
                raise AssertionError(f"counters never reached the expected state: {snap}")
            time.sleep(0.01)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Runs a coroutine on the server's own event loop (where the bridge lives)."""
        loop = self.server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result(TIMEOUT)

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(15)


def recv(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=TIMEOUT))
    return frame


def close_code(ws: ClientConnection) -> int:
    """Drain frames until the server closes; return its close code."""
    try:
        for _ in range(100_000):
            ws.recv(timeout=TIMEOUT)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"no close frame received: {exc}"
        return exc.rcvd.code
    raise AssertionError("server never closed the connection")


def close_frame(ws: ClientConnection) -> tuple[int, str]:
    try:
        for _ in range(100_000):
            ws.recv(timeout=TIMEOUT)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"no close frame received: {exc}"
        return exc.rcvd.code, exc.rcvd.reason
    raise AssertionError("server never closed the connection")
