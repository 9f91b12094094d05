"""Running a bridge app under uvicorn, and the command line: a READY line for automation, 1012 on shutdown.

`python -m ws_bridge_server` serves the bridge alone (the socket, the poll and,
with --publish-endpoint, the test publish endpoint); the example game server
uses the same `run()`. uvicorn comes with the `serve` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .bridge import Bridge
from .settings import Settings


class MissingExtra(RuntimeError):
    """uvicorn (or websockets) is not installed: the `serve` extra is missing."""


def _uvicorn() -> Any:
    try:
        import uvicorn  # optional dependency: only this module needs it
        import websockets  # noqa: F401  (uvicorn serves WebSockets only with it)
    except ImportError as exc:
        raise MissingExtra(f"serving needs uvicorn and websockets ({exc.name} is missing): "
                           "pip install 'ws-bridge-server[serve]'") from None
    return uvicorn


def run(app: Any, bridges: Sequence[Bridge], host: str, port: int, log_level: str = "warning",
        drain_grace_s: float | None = None) -> None:
    """Serves `app`; prints `READY http://host:port` once listening (port 0 = a free one).

    `drain_grace_s` (default: env DRAIN_GRACE_S, else 0): after SIGTERM, how long the
    replica keeps listening with /health at 503 before it closes its sockets, so a
    load balancer's checks mark it down first (deploy/haproxy.cfg: fall x inter)."""
    uvicorn = _uvicorn()
    grace = float(os.environ.get("DRAIN_GRACE_S", "0")) if drain_grace_s is None else drain_grace_s

    class ReadyServer(uvicorn.Server):  # type: ignore[misc, name-defined]
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.should_exit:
                return
            bound_host, bound_port = self.servers[0].sockets[0].getsockname()[:2]
            if bound_host in ("0.0.0.0", "::"):
                bound_host = "127.0.0.1"
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            print(f"READY http://{shown}:{bound_port}", flush=True)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # SIGTERM: /health answers 503 and new sockets get 1012 from now on; behind a
            # balancer, wait until its checks have marked us down (it then stops routing
            # here), while the listener is still open to answer them.
            for bridge in bridges:
                bridge.draining = True
            if grace > 0:
                await asyncio.sleep(grace)
            # Then tell every client "service restart" (1012) with our reason before
            # uvicorn drops what is left; they reconnect, to this server or another replica.
            for bridge in bridges:
                await bridge.drain()
            await super().shutdown(sockets=sockets)

    # access_log off: stdout carries only the READY line (uvicorn logs access to stdout).
    # permessage-deflate off: events are ~200-byte JSON frames, which it barely
    # shrinks, and it was 19 % of the server's CPU under fan-out.
    # ws_max_size: uvicorn buffers a whole message before the app sees it (16 MiB by default), so a
    # bigger frame must be refused there, before it is read. The bridges' own check stays for
    # apps served some other way.
    # proxy_headers off: the bridge reads X-Forwarded-For itself, and only from TRUSTED_PROXIES
    # (http/guard.py). uvicorn's own handling believes it from 127.0.0.1 (or FORWARDED_ALLOW_IPS)
    # without being told, so any local peer could name itself another address.
    max_message = max((b.settings.max_frame_bytes for b in bridges), default=65536)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                            ws_per_message_deflate=False, ws_max_size=max_message, proxy_headers=False)
    ReadyServer(config).run()


def cli_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 = pick a free port")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--event-log", default=None, metavar="PATH",
                        help="the file store at PATH (JSON lines, reloaded on start); same as EVENT_LOG_PATH")
    parser.add_argument("--redis", default=None, metavar="URL",
                        help="the Redis store at URL (redis://127.0.0.1:6379/0), shared by every replica; "
                             "same as REDIS_URL")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.event_log:
        settings = replace(settings, event_log_path=args.event_log)
    return replace(settings, redis_url=args.redis) if args.redis else settings


def bare_app(bridge: Bridge, publish_endpoint: bool = False) -> Any:
    """The bridge alone as an app: the socket, the poll, /health and, if asked, the test publish endpoint."""
    from fastapi import FastAPI

    from .http.health import health_router
    from .http.publish import publish_router
    from .http.router import bridge_router

    app = FastAPI(title="ws-bridge room server")
    app.state.bridge = bridge
    app.include_router(bridge_router(bridge))
    if publish_endpoint:
        app.include_router(publish_router(bridge))

    app.include_router(health_router(bridge))  # 503 while draining, for the balancer
    return app


def main(argv: list[str] | None = None) -> None:
    parser = cli_parser("the streamlit-ws-bridge room server alone: socket, fallback poll, nothing else")
    parser.add_argument("--publish-endpoint", action="store_true",
                        help="add POST /rooms/{room}/events (a test publish endpoint: never expose it)")
    args = parser.parse_args(argv)
    bridge = Bridge(settings=settings_from(args))
    try:
        run(bare_app(bridge, args.publish_endpoint), [bridge], args.host, args.port, args.log_level)
    except MissingExtra as exc:
        print(f"ws_bridge_server: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
