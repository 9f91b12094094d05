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
from fastapi.responses import JSONResponse, Response

from ..bridge import Bridge
from ..settings import ANY_ORIGIN
from . import redact
from .guard import Refusal, check_names, check_origin, check_token, client_address

Name = Annotated[str, Path(min_length=1, max_length=128)]
MORE = "X-WS-Bridge-More"  # on a poll answer cut at Settings.poll_page_events: ask again at once


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

    redact.install()
    router = APIRouter(lifespan=lifespan)
    settings = bridge.settings

    @router.websocket(socket_path)
    async def socket(ws: WebSocket, room: Name, client: Name) -> None:
        if check_origin(settings, ws.headers) is not None:
            await ws.close(1008, "origin not allowed")  # before accept: the handshake fails with 403
            return
        await ws.accept()
        # After accept, so a browser client sees 1008 and its reason (and can fetch a new token).
        query = ws.query_params
        refusal = check_names(room, client) or check_token(settings, room, client, query.get("token"))
        if refusal is not None:
            await ws.close(1008, refusal.reason)
            return
        address = client_address(ws.client.host if ws.client else None, ws.headers, settings)
        await bridge.serve(ws, room, client, query.get("since"), address=address)

    @router.get(poll_path)
    async def poll(room: Name, request: Request) -> Response:
        query = request.query_params
        refusal = (check_origin(settings, request.headers) or check_names(room, query.get("client"))
                   or check_token(settings, room, query.get("client"), query.get("token")))
        if refusal is not None:
            return _refused(refusal)
        page = await bridge.poll(room, query.get("since"), limit=settings.poll_page_events)
        headers = _cors(settings.allowed_origins, request.headers.get("origin"))
        if page.more:
            headers[MORE] = "1"
        return Response(page.body, media_type="application/json", headers=headers)

    return router


def _refused(refusal: Refusal) -> Response:
    # No CORS header: a page of a refused origin cannot read the answer either.
    return JSONResponse({"error": refusal.reason}, status_code=refusal.status)


def _cors(allowed: tuple[str, ...], origin: str | None) -> dict[str, str]:
    """The CORS answer for an Origin the guard let through: that origin, never "*" while a list is set."""
    if origin is None:
        return {}
    value = "*" if ANY_ORIGIN in allowed else origin
    return {"Access-Control-Allow-Origin": value, "Access-Control-Expose-Headers": MORE, "Vary": "Origin"}
