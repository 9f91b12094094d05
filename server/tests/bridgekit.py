"""Test helpers: the bridge app under uvicorn on a background thread (scripts/harness/in_thread.py), WS client helpers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from harness.in_thread import TIMEOUT, InThreadServer

T = TypeVar("T")


class RunningServer(InThreadServer):
    def __init__(self, app: Any, **config_overrides: Any) -> None:
        # permessage-deflate off, as the module's own run() serves: the bridge writes frames
        # straight to the sockets only without it. Proxy headers off, as run() serves: the bridge
        # alone decides whose X-Forwarded-For it believes.
        super().__init__(app, ws_per_message_deflate=False, proxy_headers=False, **config_overrides)

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


def show(capsys: Any, tag: str, figure: str) -> None:
    """Prints a case's figure in a plain run (pytest -q), like the conformance suite's."""
    with capsys.disabled():
        print(f"\n[{tag}] {figure}")
