"""Test helpers: the game app under uvicorn on a background thread (scripts/harness/in_thread.py), WS client helpers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from access import Access
from app import Settings, create_app
from harness.in_thread import TIMEOUT, InThreadServer


class RunningServer(InThreadServer):
    def __init__(self, settings: Settings, access: Access) -> None:
        super().__init__(create_app(settings, access))
        self.access = access

    @property
    def admin(self) -> dict[str, str]:
        """The headers the operator routes (/stats, /stats/reset, /admin/*) need."""
        if self.access.admin_token is None:
            raise AssertionError("this server's operator routes are off (no admin_token)")
        return {"Authorization": f"Bearer {self.access.admin_token}"}

    def stats(self, until: Callable[[dict[str, Any]], bool] = lambda s: True) -> dict[str, Any]:
        """GET /stats, polling until `until` holds (the server updates counters asynchronously).
        Fails the test if it never does."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            snap: dict[str, Any] = self.http.get("/stats", headers=self.admin).json()
            if until(snap):
                return snap
            if time.monotonic() > deadline:
                raise AssertionError(f"/stats never reached the expected state within {TIMEOUT} s: {snap}")
            time.sleep(0.01)


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
