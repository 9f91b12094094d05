"""Mounting: the socket and the fallback poll as a FastAPI router.

    app.include_router(bridge_router(bridge))

adds `WS /ws/{room}/{client}?since=` and `GET /rooms/{room}/events?since=`, and
starts and closes the bridge's store with the app's lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, WebSocket
from fastapi.responses import Response

from ..auth import origin_allowed, verify_token
from ..bridge import Bridge

Name = Annotated[str, Path(min_length=1, max_length=128)]


def bridge_router(
    bridge: Bridge,
    *,
    socket_path: str = "/ws/{room}/{client}",
    poll_path: str = "/rooms/{room}/events",
) -> APIRouter:
    """Both paths must name `{room}`; the socket path also `{client}` (a player, a user, a tab)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        await bridge.start()
        try:
            yield
        finally:
            await bridge.close()

    router = APIRouter(lifespan=lifespan)
    settings = bridge.settings

    @router.websocket(socket_path)
    async def socket(ws: WebSocket, room: Name, client: Name) -> None:
        if not origin_allowed(ws.headers.get("origin"), settings.allowed_origins):
            await ws.close(1008, "origin not allowed")  # before accept: the handshake fails with 403
            return
        await ws.accept()
        secret = settings.room_token_secret
        if secret and not verify_token(secret, room, client, ws.query_params.get("token")):
            # After accept, so a browser client sees 1008 (and can fetch a new token).
            await ws.close(1008, "invalid or expired token")
            return
        await bridge.serve(ws, room, client, ws.query_params.get("since"))

    @router.get(poll_path)
    async def poll(room: Name, request: Request) -> Response:
        body = await bridge.poll(room, request.query_params.get("since"))
        return Response(body, media_type="application/json")

    return router
