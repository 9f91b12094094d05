"""The test publish endpoint: publish events over HTTP, for tests and benchmarks. Never expose it.

    app.include_router(publish_router(bridge))

adds `POST /rooms/{room}/events`, which takes one of three bodies (up to
MAX_BURST events per request) and answers `{"ids": [...]}` in publish order:

* `{"type": T, ...payload}`: one event;
* `{"type": T, "count": N, ...payload}`: N events with `seq_in_burst` 0..N-1;
* `{"events": [{"type": T, ...payload}, ...]}`: one event per entry.

The conformance suite publishes through it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request

from ..bridge import Bridge
from ..events import EventTooLarge
from ..protocol import encode
from .guard import check_names

MAX_BURST = 10_000

Name = Annotated[str, Path(min_length=1, max_length=128)]


def publish_router(bridge: Bridge, *, path: str = "/rooms/{room}/events") -> APIRouter:
    router = APIRouter()

    @router.post(path)
    async def inject(room: Name, request: Request) -> dict[str, list[str]]:
        refusal = check_names(room, None)
        if refusal is not None:
            raise HTTPException(refusal.status, refusal.reason)
        try:
            body = await request.json()
            encode(body)  # reject NaN/Infinity up front rather than halfway through a burst
        except (ValueError, RecursionError):
            raise HTTPException(422, "body must be valid JSON") from None
        ids: list[str] = []
        for i, (kind, payload) in enumerate(parse_burst(body)):
            try:
                ids.append((await bridge.publish(room, kind, payload)).id)
            except EventTooLarge as exc:
                raise HTTPException(413, f"{exc}; published before it: {len(ids)}") from None
            if i % 256 == 255:
                await asyncio.sleep(0)  # let socket writers drain during big bursts
        return {"ids": ids}

    return router


def _event_type(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise HTTPException(422, "'type' must be a string of 1-64 chars")
    return value


def parse_burst(body: Any) -> list[tuple[str, dict[str, Any]]]:
    """Parses a POST body into (type, payload) pairs; HTTP 422 for anything else."""
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
