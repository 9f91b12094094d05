"""Who may use which of the example's routes.

People copy example servers into production, so every side door here is shut unless it is
opened on purpose: the operator routes (/stats, /admin/*) need ADMIN_TOKEN, the test publish
endpoint needs PUBLISH_ENDPOINT=1 (or --publish-endpoint), CORS follows the bridge's
ALLOWED_ORIGINS, and with room tokens on (ROOM_TOKEN_SECRET) a POST acts for the player its
token was issued to, never for a name the body claims.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from ws_bridge_server import verify_token

MAX_NAME = 128  # the longest room or player name the routes accept
# The bridge's poll route: it answers CORS itself, from the same allow-list.
POLL_PATH = re.compile(r"/rooms/[^/]+/events")


@dataclass(frozen=True)
class Access:
    """The example's own switches (the bridge's are ws_bridge_server.Settings)."""

    admin_token: str | None = None  # None: /stats, /stats/reset and /admin/* answer 404
    publish_endpoint: bool = False  # POST /rooms/{room}/events, the test publish endpoint

    def __post_init__(self) -> None:
        if self.admin_token is not None and not self.admin_token.strip():
            raise ValueError("ADMIN_TOKEN is set but empty: set a long random value, "
                             "or unset it to keep /stats and /admin/* off")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Access:
        flag = env.get("PUBLISH_ENDPOINT", "")
        if flag not in ("", "0", "1"):
            raise ValueError(f"PUBLISH_ENDPOINT must be 1 (on) or 0 (off), got {flag!r}")
        return cls(admin_token=env.get("ADMIN_TOKEN"), publish_endpoint=flag == "1")


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def admin_guard(admin_token: str) -> Callable[[Request], None]:
    """A route dependency: 401 unless the request carries `Authorization: Bearer <admin_token>`."""
    expected = admin_token.encode()

    def require_admin(request: Request) -> None:
        presented = _bearer(request)
        # compare_digest: the time taken says nothing about how much of the token was right.
        if presented is None or not hmac.compare_digest(presented.encode(), expected):
            raise _unauthorized("this route needs Authorization: Bearer <ADMIN_TOKEN>")

    return require_admin


def _one(first: str | None, second: str | None, what: str) -> str | None:
    """The value given in one place or the same one in both; two different values are refused."""
    if first is not None and second is not None and first != second:
        raise HTTPException(400, f"two different {what}s in one request")
    return first if first is not None else second


class Players:
    """Who acts on a POST route (a chat line, a vote, a phase change).

    Without room tokens (the demo) the client names the player and is believed. With them, the
    request carries the player's room token (`Authorization: Bearer <token>` or `?token=`) and the
    player's name (`"player"` in the body or `?player=`), which serves only to check the token: the
    route acts for the player the token was issued to, and refuses anything else.
    """

    def __init__(self, room_token_secret: str | None) -> None:
        self.secret = room_token_secret

    def acting(self, request: Request, room: str, claimed: str | None) -> str:
        """The player a route that names one acts for; `claimed` is the body's `player`."""
        player = self._named(request, claimed)
        if self.secret:
            return _verified(self.secret, request, room, player)
        if player is None:
            raise HTTPException(422, "player is required (in the body, or ?player=)")
        return player

    def check(self, request: Request, room: str, claimed: str | None) -> None:
        """For a route whose event names no player (a phase change): with room tokens on, only a
        player of this room may call it; without them, anyone may (the demo)."""
        player = self._named(request, claimed)
        if self.secret:
            _verified(self.secret, request, room, player)

    @staticmethod
    def _named(request: Request, claimed: str | None) -> str | None:
        player = _one(claimed, request.query_params.get("player"), "player name")
        if player is not None and not 1 <= len(player) <= MAX_NAME:
            raise HTTPException(422, f"player must be 1 to {MAX_NAME} characters")
        return player


def _verified(secret: str, request: Request, room: str, player: str | None) -> str:
    """`player`, once the request's room token is shown to be theirs, for this room and still valid."""
    token = _one(_bearer(request), request.query_params.get("token"), "room token")
    if token is None:
        raise _unauthorized("room tokens are on: send the player's token from GET /rooms/{room}/token "
                            "(Authorization: Bearer <token> or ?token=)")
    if player is None or not verify_token(secret, room, player, token):
        raise _unauthorized("invalid or expired token for this room and player")
    return player


def _origin(origin: str) -> str:
    # As the bridge compares them: a browser sends lowercase, without a trailing slash.
    return origin.strip().rstrip("/").lower()


class RoutesCors:
    """CORS for the example's own routes, from the bridge's ALLOWED_ORIGINS.

    `*` answers any page; a list answers those origins only; empty answers none, so only pages
    served from this server's own origin (and non-browser clients) can read the answers. Requests
    for the bridge's poll path pass straight through: its route answers CORS itself.
    """

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=[_origin(o) for o in allowed_origins if o.strip()],
                                   allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and POLL_PATH.fullmatch(scope["path"]) and scope["method"] in ("GET", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        await self.cors(scope, receive, send)
