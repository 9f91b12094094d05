"""Who may come in: the Origin policy and short-lived HMAC room tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

# "<expiry, epoch seconds>.<hex HMAC-SHA256>": anything else is refused before it is parsed.
_TOKEN = re.compile(r"[0-9]{1,12}\.[0-9a-f]{64}")


def _norm_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(origin: str | None, allowed: Iterable[str], host: str | None = None) -> bool:
    """A browser request's Origin against the policy. A page of the server's own origin (its
    Origin names `host`, the request's Host header) is always allowed; another origin only if
    `allowed` names it, or holds "*". Without an Origin (not a browser) a request is allowed
    unless `allowed` lists origins: then only those."""
    allowed_set = {_norm_origin(o) for o in allowed}
    if "*" in allowed_set:
        return True
    if origin is None:
        return not allowed_set
    if host is not None and urlsplit(_norm_origin(origin)).netloc == host.strip().lower():
        return True
    return _norm_origin(origin) in allowed_set


def _signature(secret: str, room: str, player: str, expiry: int) -> str:
    # "room|player|expiry"; room and player are percent-encoded so a "|" inside a
    # name can't move the field boundary (plain ids like "r1" are unchanged).
    msg = f"{quote(room, safe='')}|{quote(player, safe='')}|{expiry}"
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


def make_token(secret: str, room: str, player: str, ttl_s: int = 300, now: float | None = None) -> tuple[str, int]:
    """Returns (token, expiry in epoch seconds). Token format: "<expiry>.<hex hmac-sha256>"."""
    expiry = int(time.time() if now is None else now) + ttl_s
    return f"{expiry}.{_signature(secret, room, player, expiry)}", expiry


def well_formed_token(token: str | None) -> bool:
    return token is not None and _TOKEN.fullmatch(token) is not None


def verify_token(secret: str, room: str, player: str, token: str | None, now: float | None = None) -> bool:
    """True for an unexpired token of `make_token(secret, room, player)`; False for anything else,
    malformed input included (never an exception)."""
    if token is None or not well_formed_token(token):
        return False
    expiry_s, _, sig = token.partition(".")
    if int(expiry_s) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sig, _signature(secret, room, player, int(expiry_s)))
