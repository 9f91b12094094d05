"""`GET /health` for a load balancer: 200 while serving, 503 once the replica drains.

    app.include_router(health_router(bridge))

HAProxy's `option httpchk` reads it (deploy/haproxy.cfg). After SIGTERM,
`run.run` sets `bridge.draining` first and keeps answering for a grace period
(DRAIN_GRACE_S): the checks see 503, the balancer marks the replica down and
sends new sockets elsewhere, and only then are the last sockets closed with 1012.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..bridge import Bridge


def health_router(bridge: Bridge, *, path: str = "/health") -> APIRouter:
    router = APIRouter()

    @router.get(path)
    async def health() -> JSONResponse:
        if bridge.draining:
            return JSONResponse({"ok": False, "draining": True}, status_code=503)
        return JSONResponse({"ok": True})

    return router
