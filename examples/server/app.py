"""Example backend for streamlit-ws-bridge: a game-room server (FastAPI).

Every room has a bounded, replayable event log. Clients hold one WebSocket per
room (`/ws/{room}/{player}?since=<last id>`) instead of polling the state every
0.4 s; `GET /rooms/{room}/events?since=` is the polling fallback.

Run:   python examples/server/app.py --host 127.0.0.1 --port 8000   (0 = any free port)
  or:  uvicorn app:app --app-dir examples/server
Config (env): REPLAY_LOG_SIZE, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC, ALLOWED_ORIGINS,
ROOM_TOKEN_SECRET, SEND_QUEUE_SIZE, SEND_TIMEOUT_S, MAX_ROOMS, EVENT_LOG_PATH (see README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path as FsPath
from typing import Annotated, Any

# The sibling modules are plain files, not a package: make them importable however
# this file is loaded (script, `uvicorn app:app --app-dir ...`, pytest).
_HERE = str(FsPath(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import uvicorn  # noqa: E402
from fastapi import FastAPI, HTTPException, Path, Query, Request, WebSocket  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402
from fastapi.responses import Response  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

from event_log import EventLog  # noqa: E402
from event_store import EventStore, LoggedEvent, encode  # noqa: E402
from room_auth import make_token, origin_allowed, verify_token  # noqa: E402
from room_hub import Connection, Hub, Stats, TokenBucket  # noqa: E402

log = logging.getLogger("ws_bridge_server")

MAX_BURST = 10_000  # events per POST /rooms/{room}/events
PONG = encode({"type": "pong"})

Name = Annotated[str, Path(min_length=1, max_length=128)]


@dataclass(frozen=True)
class Settings:
    replay_log_size: int = 1000
    max_frame_bytes: int = 65536
    max_msgs_per_sec: float = 50.0
    allowed_origins: tuple[str, ...] = ()  # empty = any origin
    room_token_secret: str | None = None  # None = no token needed
    token_ttl_s: int = 300
    send_queue_size: int = 10_000  # frames buffered per socket before it is dropped as too slow
    send_timeout_s: float = 5.0  # a single send slower than this drops the socket
    max_rooms: int = 10_000
    event_log_path: str | None = None  # None = in memory only; else events persist across restarts

    def __post_init__(self) -> None:
        # Zero would silently mean "unbounded" for asyncio.Queue / deque sizes.
        for name in ("replay_log_size", "max_frame_bytes", "max_msgs_per_sec", "send_queue_size",
                     "send_timeout_s", "max_rooms", "token_ttl_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"setting {name} must be > 0, got {getattr(self, name)!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        d = cls()
        return cls(
            replay_log_size=int(env.get("REPLAY_LOG_SIZE", d.replay_log_size)),
            max_frame_bytes=int(env.get("MAX_FRAME_BYTES", d.max_frame_bytes)),
            max_msgs_per_sec=float(env.get("MAX_MSGS_PER_SEC", d.max_msgs_per_sec)),
            allowed_origins=tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()),
            room_token_secret=env.get("ROOM_TOKEN_SECRET") or None,
            send_queue_size=int(env.get("SEND_QUEUE_SIZE", d.send_queue_size)),
            send_timeout_s=float(env.get("SEND_TIMEOUT_S", d.send_timeout_s)),
            max_rooms=int(env.get("MAX_ROOMS", d.max_rooms)),
            event_log_path=env.get("EVENT_LOG_PATH") or None,
        )


class MessageIn(BaseModel):
    player: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=65536)


class VoteIn(BaseModel):
    player: str = Field(min_length=1, max_length=128)
    target: str = Field(min_length=1, max_length=128)


class PhaseIn(BaseModel):
    phase: str = Field(min_length=1, max_length=64)
    topic: str | None = Field(default=None, max_length=4096)


class Bridge:
    """Store + live connections: everything that creates or delivers events."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = Stats()
        self.hub = Hub()
        self.store = EventStore(settings.replay_log_size, settings.max_rooms, is_pinned=self.hub.has_connections)
        self.event_log = EventLog(settings.event_log_path) if settings.event_log_path else None
        if self.event_log:
            self.event_log.load(self.store)

    def emit(self, room: str, kind: str, payload: Mapping[str, Any]) -> LoggedEvent:
        logged = self.store.append(room, kind, payload)
        if self.event_log:  # written before anyone can see it
            self.event_log.append(logged)
        self.stats.events_created += 1
        self.hub.broadcast(room, logged.text, logged.nbytes)
        return logged

    def state(self, room: str) -> dict[str, Any]:
        r = self.store.get(room)
        return {
            "room": room,
            "phase": r.phase if r else "lobby",
            "topic": r.topic if r else None,
            "players": self.hub.players(room),
            "messages": list(r.messages) if r else [],
            "votes": dict(r.votes) if r else {},
            "last_event_id": r.log[-1].id if r and r.log else None,
        }

    async def serve_socket(self, ws: WebSocket, room: str, player: str, since: str | None) -> None:
        """Replay, join, then pump frames both ways until either side stops."""
        s = self.settings
        # The outbox must hold a full replay plus the live backlog.
        conn = Connection(ws, room, player, self.stats, s.send_queue_size + s.replay_log_size, s.send_timeout_s)
        self.stats.ws_connections_total += 1
        if since is not None:
            for logged in self.store.after(room, since):
                conn.push(logged.text, logged.nbytes)
        # No await between replay and join, so no event can fall in between or be sent twice.
        self.hub.join(conn)
        self.emit(room, "player_list", {"players": self.hub.players(room)})

        writer = asyncio.create_task(conn.run_writer())
        reader = asyncio.create_task(self._read_frames(conn, ws))
        try:
            await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
            close = reader.result() if reader.done() and reader.exception() is None else None
            if close is not None:  # protocol violation: let the writer deliver the close frame
                conn.close(*close)
                await asyncio.wait((writer,), timeout=s.send_timeout_s + 1)
        finally:
            self.hub.leave(conn)
            self.emit(room, "player_list", {"players": self.hub.players(room)})
            for task in (reader, writer):
                task.cancel()
            for result in await asyncio.gather(reader, writer, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("websocket task failed", exc_info=result)

    async def _read_frames(self, conn: Connection, ws: WebSocket) -> tuple[int, str] | None:
        """Returns a (code, reason) to close with, or None when the client went away."""
        bucket = TokenBucket(self.settings.max_msgs_per_sec)
        while True:
            msg: Message = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return None
            self.stats.ws_frames_received += 1
            text = msg.get("text")
            data: bytes = text.encode() if text is not None else (msg.get("bytes") or b"")
            if len(data) > self.settings.max_frame_bytes:
                return (1009, "frame too large")
            if not bucket.take():
                return (1008, "rate limit exceeded")
            self._handle_frame(conn, data)

    def _handle_frame(self, conn: Connection, data: bytes) -> None:
        try:
            frame = json.loads(data)
        except (ValueError, RecursionError):
            return self._reply_error(conn, "invalid JSON")
        if not isinstance(frame, dict):
            return self._reply_error(conn, "frame must be a JSON object")
        kind = frame.get("type")
        if kind == "ping":
            conn.push(PONG, len(PONG))
        elif kind == "message":
            text = frame.get("text")
            if not isinstance(text, str) or not text:
                return self._reply_error(conn, "message needs a non-empty string 'text'")
            self.emit(conn.room, "message", {"player": conn.player, "text": text})
        elif kind == "typing":
            self.emit(conn.room, "typing", {"player": conn.player})
        elif kind == "vote":
            target = frame.get("target")
            if not isinstance(target, str) or not 0 < len(target) <= 128:
                return self._reply_error(conn, "vote needs a string 'target' (1-128 chars)")
            self.emit(conn.room, "voted", {"player": conn.player, "target": target})
        else:
            self._reply_error(conn, f"unknown frame type: {repr(kind)[:64]}")

    @staticmethod
    def _reply_error(conn: Connection, error: str) -> None:
        text = encode({"type": "error", "error": error})
        conn.push(text, len(text.encode()))


class HttpStatsMiddleware:
    """Counts HTTP requests and response body bytes (not /stats itself)."""

    def __init__(self, app: ASGIApp, stats: Stats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/stats", "/stats/reset"):
            return await self.app(scope, receive, send)
        self.stats.http_requests += 1

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.stats.http_bytes_sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


def _json(text: str) -> Response:
    return Response(text, media_type="application/json")


def _event_type(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise HTTPException(422, "'type' must be a string of 1-64 chars")
    return value


def _burst(body: Any) -> list[tuple[str, dict[str, Any]]]:
    """Parse a POST /rooms/{room}/events body into (type, payload) pairs."""
    if not isinstance(body, dict):
        raise HTTPException(422, "body must be a JSON object")
    if "events" in body:
        events = body["events"]
        if not isinstance(events, list) or len(events) > MAX_BURST or not all(isinstance(e, dict) for e in events):
            raise HTTPException(422, f"'events' must be a list of at most {MAX_BURST} objects")
        return [(_event_type(e.get("type")), {k: v for k, v in e.items() if k != "type"}) for e in events]
    kind = _event_type(body.get("type"))
    payload = {k: v for k, v in body.items() if k not in ("type", "count")}
    if "count" not in body:
        return [(kind, payload)]
    count = body["count"]
    if type(count) is not int or not 1 <= count <= MAX_BURST:
        raise HTTPException(422, f"'count' must be an integer in 1..{MAX_BURST}")
    return [(kind, {**payload, "seq_in_burst": i}) for i in range(count)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    bridge = Bridge(settings)
    app = FastAPI(title="streamlit-ws-bridge example server")
    app.state.bridge = bridge
    # The browser fallback poller calls us from the Streamlit page's origin.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"])
    app.add_middleware(HttpStatsMiddleware, stats=bridge.stats)  # outermost: sees every request

    @app.websocket("/ws/{room_code}/{player_id}")
    async def ws_room(ws: WebSocket, room_code: Name, player_id: Name) -> None:
        if not origin_allowed(ws.headers.get("origin"), settings.allowed_origins):
            await ws.close(1008, "origin not allowed")  # before accept: the handshake fails with 403
            return
        await ws.accept()
        secret = settings.room_token_secret
        if secret and not verify_token(secret, room_code, player_id, ws.query_params.get("token")):
            # After accept, so a browser client sees 1008 (and can fetch a new token).
            await ws.close(1008, "invalid or expired token")
            return
        await bridge.serve_socket(ws, room_code, player_id, ws.query_params.get("since"))

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/rooms/{room}/events")
    async def events(room: Name, since: str | None = None) -> Response:
        return _json("[" + ",".join(e.text for e in bridge.store.after(room, since)) + "]")

    @app.get("/rooms/{room}/state")
    async def state(room: Name) -> dict[str, Any]:
        return bridge.state(room)

    @app.post("/rooms/{room}/messages")
    async def post_message(room: Name, body: MessageIn) -> Response:
        return _json(bridge.emit(room, "message", {"player": body.player, "text": body.text}).text)

    @app.post("/rooms/{room}/votes")
    async def post_vote(room: Name, body: VoteIn) -> Response:
        return _json(bridge.emit(room, "voted", {"player": body.player, "target": body.target}).text)

    @app.post("/rooms/{room}/phase")
    async def post_phase(room: Name, body: PhaseIn) -> Response:
        logged = bridge.emit(room, "phase", {"phase": body.phase})
        if body.topic is not None:
            bridge.emit(room, "topic", {"topic": body.topic})
        return _json(logged.text)

    @app.post("/rooms/{room}/events")
    async def inject(room: Name, request: Request) -> dict[str, list[str]]:
        try:
            body = await request.json()
            encode(body)  # reject NaN/Infinity up front rather than halfway through a burst
        except (ValueError, RecursionError):
            raise HTTPException(422, "body must be valid JSON") from None
        ids: list[str] = []
        for i, (kind, payload) in enumerate(_burst(body)):
            ids.append(bridge.emit(room, kind, payload).id)
            if i % 256 == 255:
                await asyncio.sleep(0)  # let socket writers drain during big bursts
        return {"ids": ids}

    @app.get("/rooms/{room}/token")
    async def token(room: Name, player: Annotated[str, Query(min_length=1, max_length=128)]) -> dict[str, Any]:
        if not settings.room_token_secret:
            raise HTTPException(404, "room tokens are disabled (ROOM_TOKEN_SECRET is not set)")
        tok, expiry = make_token(settings.room_token_secret, room, player, settings.token_ttl_s)
        return {"token": tok, "expires_at": expiry}

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return bridge.hub.snapshot(bridge.stats)

    @app.post("/stats/reset")
    async def stats_reset() -> dict[str, Any]:
        bridge.stats.reset()
        return bridge.hub.snapshot(bridge.stats)

    @app.post("/admin/drop-connections")
    async def drop_connections() -> dict[str, int]:
        # 1012 = service restart: clients reconnect with ?since= and lose nothing.
        return {"dropped": bridge.hub.close_all(1012, "server restart")}

    return app


app = create_app()


class ReadyServer(uvicorn.Server):
    """Prints `READY http://host:port` once the socket is listening (port 0 -> real port)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        print(f"READY http://{f'[{host}]' if ':' in host else host}:{port}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="streamlit-ws-bridge example game-room server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 = pick a free port")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--event-log", default=None, metavar="PATH",
                        help="persist events to this file (JSON lines) and reload them on start; same as EVENT_LOG_PATH")
    args = parser.parse_args(argv)
    served = app
    if args.event_log:
        served = create_app(replace(Settings.from_env(), event_log_path=args.event_log))
    # access_log off: stdout carries only the READY line (uvicorn logs access to stdout).
    # permessage-deflate off: game events are ~200-byte JSON frames, which it barely
    # shrinks, and it was 19 % of the server's CPU under fan-out (py-spy, bench row 5).
    config = uvicorn.Config(
        served, host=args.host, port=args.port, log_level=args.log_level, access_log=False, ws_per_message_deflate=False
    )
    ReadyServer(config).run()


if __name__ == "__main__":
    main()
