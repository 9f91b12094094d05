"""Example backend for streamlit-ws-bridge: a game-room server on the ws_bridge_server module.

The bridge (server/ws_bridge_server) gives every room a bounded, replayable event
log, the WebSocket `/ws/{room}/{player}?since=<id>` and the polling fallback
`GET /rooms/{room}/events?since=`. This file adds the game: its routes, what
players' frames mean (game.py), and counters for the benchmarks.

Run:   python examples/server/app.py --host 127.0.0.1 --port 8000   (0 = any free port)
  or:  uvicorn app:app --app-dir examples/server
  on Redis (any number of replicas): add --redis redis://127.0.0.1:6379/0 (or REDIS_URL)
Config (env): REPLAY_LOG_SIZE, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC, ALLOWED_ORIGINS,
ROOM_TOKEN_SECRET, SEND_QUEUE_SIZE, SEND_TIMEOUT_S, MAX_ROOMS, EVENT_LOG_PATH, REDIS_URL,
MAX_SOCKETS_PER_ADDRESS, TRUSTED_PROXIES; this app's own: ADMIN_TOKEN, PUBLISH_ENDPOINT
(see README.md). The operator routes and the test publish endpoint are off unless turned on (access.py).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path as FsPath
from typing import Annotated, Any

# game.py is a plain sibling file, not a package: make it importable however this
# file is loaded (script, `uvicorn app:app --app-dir ...`, pytest). The bridge module
# is installed by `npm run setup:python` (pip install -e server); a bare checkout
# finds it in the repository.
_HERE = FsPath(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))
_REPO_SERVER = str(_HERE.parent.parent / "server")
if _REPO_SERVER not in sys.path:
    sys.path.append(_REPO_SERVER)  # last: an installed ws_bridge_server wins

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request  # noqa: E402
from fastapi.responses import Response  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402
from ws_bridge_server import Bridge, Settings, Stats, bridge_router, health_router, make_token, publish_router  # noqa: E402
from ws_bridge_server.http.publish import MAX_BURST  # noqa: E402,F401  (re-exported for the tests)
from ws_bridge_server.run import cli_parser, run, settings_from  # noqa: E402

from access import MAX_NAME, Access, Players, RoutesCors, admin_guard  # noqa: E402
from game import Game  # noqa: E402

Name = Annotated[str, Path(min_length=1, max_length=MAX_NAME)]
# `player` in a body: who acts without room tokens; with them, only checked against the token (access.py).
ClaimedPlayer = Annotated[str | None, Field(min_length=1, max_length=MAX_NAME)]


class MessageIn(BaseModel):
    player: ClaimedPlayer = None
    text: str = Field(min_length=1, max_length=65536)


class VoteIn(BaseModel):
    player: ClaimedPlayer = None
    target: str = Field(min_length=1, max_length=MAX_NAME)


class PhaseIn(BaseModel):
    player: ClaimedPlayer = None
    phase: str = Field(min_length=1, max_length=64)
    topic: str | None = Field(default=None, max_length=4096)


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


def create_app(settings: Settings | None = None, access: Access | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    access = access or Access.from_env()
    bridge = Bridge(settings=settings)  # the memory store, the file store (EVENT_LOG_PATH) or Redis (REDIS_URL)
    app = FastAPI(title="streamlit-ws-bridge example server")
    app.state.bridge = bridge
    # The Streamlit page calls the game's routes from its own origin: answered for ALLOWED_ORIGINS only.
    app.add_middleware(RoutesCors, allowed_origins=settings.allowed_origins)
    app.add_middleware(HttpStatsMiddleware, stats=bridge.stats)  # outermost: sees every request

    # The bridge: WS /ws/{room}/{player}, GET /rooms/{room}/events (the polling fallback) ...
    app.include_router(bridge_router(bridge, socket_path="/ws/{room}/{client}"))
    if access.publish_endpoint:
        # ... and POST /rooms/{room}/events, the test publish endpoint: whoever reaches it writes
        # any event into any room, so it exists only when asked for.
        app.include_router(publish_router(bridge))

    # GET /health: 200, or 503 while a SIGTERM drains this replica (the balancer's check).
    app.include_router(health_router(bridge))
    app.include_router(game_router(bridge, Game(bridge, settings.max_rooms), settings))
    if access.admin_token:
        app.include_router(admin_router(bridge, access.admin_token))
    return app


def game_router(bridge: Bridge, game: Game, settings: Settings) -> APIRouter:
    """The game's routes: the room state, the players' POSTs and the token demonstration."""
    router = APIRouter()
    players = Players(settings.room_token_secret)

    @router.get("/rooms/{room}/state")
    async def state(room: Name) -> dict[str, Any]:
        return await game.state(room)

    @router.post("/rooms/{room}/messages")
    async def post_message(room: Name, body: MessageIn, request: Request) -> Response:
        player = players.acting(request, room, body.player)
        return _json((await bridge.publish(room, "message", {"player": player, "text": body.text})).text)

    @router.post("/rooms/{room}/votes")
    async def post_vote(room: Name, body: VoteIn, request: Request) -> Response:
        player = players.acting(request, room, body.player)
        return _json((await bridge.publish(room, "voted", {"player": player, "target": body.target})).text)

    @router.post("/rooms/{room}/phase")
    async def post_phase(room: Name, body: PhaseIn, request: Request) -> Response:
        players.check(request, room, body.player)
        stored = await bridge.publish(room, "phase", {"phase": body.phase})
        if body.topic is not None:
            await bridge.publish(room, "topic", {"topic": body.topic})
        return _json(stored.text)

    @router.get("/rooms/{room}/token")
    async def token(room: Name, player: Annotated[str, Query(min_length=1, max_length=MAX_NAME)]) -> dict[str, Any]:
        # A demonstration: it signs a token for whoever asks, for any room and any player. A real
        # app must first find out who is asking (its own login: a session cookie, say), check that
        # this user is `player` and may be in `room`, and only then sign.
        if not settings.room_token_secret:
            raise HTTPException(404, "room tokens are disabled (ROOM_TOKEN_SECRET is not set)")
        tok, expiry = make_token(settings.room_token_secret, room, player, settings.token_ttl_s)
        return {"token": tok, "expires_at": expiry}

    return router


def admin_router(bridge: Bridge, admin_token: str) -> APIRouter:
    """The operator routes (counters, dropping every socket), behind `Authorization: Bearer <admin_token>`."""
    router = APIRouter(dependencies=[Depends(admin_guard(admin_token))])

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return bridge.stats_snapshot()

    @router.post("/stats/reset")
    async def stats_reset() -> dict[str, Any]:
        bridge.stats.reset()
        return bridge.stats_snapshot()

    @router.post("/admin/drop-connections")
    async def drop_connections() -> dict[str, int]:
        # 1012 = service restart: clients reconnect with ?since= and lose nothing.
        return {"dropped": bridge.close_all(1012, "service restart")}

    return router


def __getattr__(name: str) -> Any:
    # `uvicorn app:app` reads this; built on first access, so importing the module does no work.
    if name == "app":
        globals()["app"] = built = create_app()
        return built
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    parser = cli_parser("streamlit-ws-bridge example game-room server")
    parser.add_argument("--publish-endpoint", action="store_true",
                        help="add POST /rooms/{room}/events (a test publish endpoint: never expose it); "
                             "same as PUBLISH_ENDPOINT=1")
    args = parser.parse_args(argv)
    try:
        access = Access.from_env()
        if args.publish_endpoint:
            access = replace(access, publish_endpoint=True)
        app = create_app(settings_from(args), access)
    except ValueError as exc:  # a bad setting: say which, without a traceback
        parser.exit(2, f"{parser.prog}: {exc}\n")
    run(app, [app.state.bridge], args.host, args.port, args.log_level)


if __name__ == "__main__":
    main()
