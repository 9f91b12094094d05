"""What every request from a client passes before it reaches a room: its Origin, its names, its token.

The socket and the fallback poll ask the same questions in the same order, so a
room closed to strangers is closed on both ways in. Every refusal says why; an
Origin refusal also logs one line naming the Origin and the setting that would
allow it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from typing import NamedTuple

from ..auth import origin_allowed, verify_token, well_formed_token
from ..protocol import NAME_RULE, valid_name
from ..settings import Settings

log = logging.getLogger("ws_bridge_server")


class Refusal(NamedTuple):
    status: int  # the HTTP status (the poll, or the socket before it is accepted)
    reason: str  # also the WebSocket close reason (with code 1008)


def check_origin(settings: Settings, headers: Mapping[str, str]) -> Refusal | None:
    origin = headers.get("origin")
    if origin_allowed(origin, settings.allowed_origins, headers.get("host")):
        return None
    log.warning("refused a browser request from Origin %r: add it to ALLOWED_ORIGINS (Settings.allowed_origins), "
                "or set ALLOWED_ORIGINS=* to allow any", origin[:200] if origin else origin)
    return Refusal(403, "origin not allowed")


def check_names(room: str, client: str | None) -> Refusal | None:
    for what, name in (("room", room), ("client", client)):
        if name is not None and not valid_name(name):
            return Refusal(400, f"invalid {what} name: {NAME_RULE}")
    return None


def check_token(settings: Settings, room: str, client: str | None, token: str | None) -> Refusal | None:
    secret = settings.room_token_secret
    if secret is None:
        return None
    if client is None:
        return Refusal(401, "a token needs its client name (client=)")
    if not well_formed_token(token):
        return Refusal(401, "missing or malformed token")
    if not verify_token(secret, room, client, token):
        return Refusal(401, "invalid or expired token")
    return None


def client_address(peer: str | None, headers: Mapping[str, str], settings: Settings) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the last address
    in X-Forwarded-For that is not one of the trusted proxies (what the nearest proxy saw)."""
    address = peer or ""
    if address not in settings.trusted_proxies:
        return address
    hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in settings.trusted_proxies:
            return hop if _is_ip(hop) else address
    return address


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
