"""Handshake checks: the Origin allow-list and short-lived HMAC room tokens."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from urllib.parse import quote


def _norm_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    """Empty allow-list = allow any. A missing Origin header is not in a non-empty list."""
    allowed_set = {_norm_origin(o) for o in allowed}
    if not allowed_set or "*" in allowed_set:
        return True
    return origin is not None and _norm_origin(origin) in allowed_set


def _signature(secret: str, room: str, player: str, expiry: int) -> str:
    # "room|player|expiry"; room and player are percent-encoded so a "|" inside a
    # name can't move the field boundary (plain ids like "r1" are unchanged).
    msg = f"{quote(room, safe='')}|{quote(player, safe='')}|{expiry}"
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


def make_token(secret: str, room: str, player: str, ttl_s: int = 300, now: float | None = None) -> tuple[str, int]:
    """Returns (token, expiry in epoch seconds). Token format: "<expiry>.<hex hmac-sha256>"."""
    expiry = int(time.time() if now is None else now) + ttl_s
    return f"{expiry}.{_signature(secret, room, player, expiry)}", expiry


def verify_token(secret: str, room: str, player: str, token: str | None, now: float | None = None) -> bool:
    if not token:
        return False
    expiry_s, _, sig = token.partition(".")
    if not (expiry_s.isascii() and expiry_s.isdigit()) or int(expiry_s) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sig, _signature(secret, room, player, int(expiry_s)))
