"""An ASGI app under uvicorn on a background thread of the test process, on a free loopback port.

For tests that reach into the app while it serves (its state, its event loop); a test of a
server's command line starts it as a real process instead (servers.py).

    server = InThreadServer(app)
    server.http.get("/health"); server.ws("/ws/room/ann")
    server.stop()
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import uvicorn
from websockets.sync.client import ClientConnection, connect

HOST = "127.0.0.1"
TIMEOUT = 10.0  # only bounds a failing test; nothing asserts on speed


class InThreadServer:
    def __init__(self, app: Any, **config_overrides: Any) -> None:
        """`config_overrides`: uvicorn.Config options (ws=..., ws_per_message_deflate=...)."""
        self.app = app
        options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "on",
                                   "timeout_graceful_shutdown": 5, **config_overrides}
        config = uvicorn.Config(app, host=HOST, port=0, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.server.should_exit = True  # a slow start must not begin serving after the test gave up
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"{HOST}:{port}"
        # trust_env=False / proxy=None: never route loopback traffic through a proxy.
        self.http = httpx.Client(base_url=f"http://{self.base}", timeout=TIMEOUT, trust_env=False)

    def ws(self, path: str, origin: str | None = None) -> ClientConnection:
        return connect(
            f"ws://{self.base}{path}", origin=origin, proxy=None,  # type: ignore[arg-type]
            open_timeout=TIMEOUT, close_timeout=2,
        )

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(15)
