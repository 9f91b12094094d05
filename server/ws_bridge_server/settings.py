"""The server's knobs, from code or from the environment. Secure unless told otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

ANY_ORIGIN = "*"


@dataclass(frozen=True)
class Settings:
    replay_log_size: int = 1000  # events kept per room (the retention)
    retention_bytes: int = 1 << 20  # bytes of event text kept per room: the oldest events go first
    max_event_bytes: int = 65536  # a published event longer than this is refused (EventTooLarge)
    max_frame_bytes: int = 65536  # a bigger client frame is refused before it is buffered (1009)
    max_msgs_per_sec: float = 50.0  # client frames per socket (token bucket); more closes with 1008
    # Browser Origins allowed besides the server's own. Empty: same-origin pages and clients that
    # send no Origin (not browsers) only. ("*",): any origin.
    allowed_origins: tuple[str, ...] = ()
    room_token_secret: str | None = None  # None = no token needed; never empty
    token_ttl_s: int = 300
    send_queue_size: int = 10_000  # frames buffered per socket before it is dropped as too slow (1013)
    send_queue_bytes: int = 8 << 20  # bytes buffered per socket before the same
    send_timeout_s: float = 5.0  # a single send slower than this drops the socket
    poll_page_events: int = 500  # events per fallback poll answer; the client asks for the next page
    max_sockets_per_address: int = 64  # open sockets per client address; more get 1013
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For names the client address
    max_rooms: int = 10_000
    room_ttl_s: float = 7 * 24 * 3600  # Redis: a room nobody publishes to for this long expires
    event_log_path: str | None = None  # None = memory store; else the file store at this path
    redis_url: str | None = None  # the Redis store (redis://host:port/db); wins over event_log_path
    redis_cluster: bool = False  # REDIS_URL names a node of a Redis Cluster
    direct_writes: bool = True  # frames straight to uvicorn's transport where it allows (direct.py)

    def __post_init__(self) -> None:
        # Zero would silently mean "unbounded" for asyncio.Queue / deque sizes.
        for name in ("replay_log_size", "retention_bytes", "max_event_bytes", "max_frame_bytes",
                     "max_msgs_per_sec", "send_queue_size", "send_queue_bytes", "send_timeout_s",
                     "poll_page_events", "max_sockets_per_address", "max_rooms", "room_ttl_s", "token_ttl_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"setting {name} must be > 0, got {getattr(self, name)!r}")
        if self.room_token_secret is not None and not self.room_token_secret.strip():
            raise ValueError("setting room_token_secret is empty: set a real secret, or leave it unset for no tokens")
        if self.max_event_bytes > self.retention_bytes:
            raise ValueError("setting max_event_bytes must not exceed retention_bytes")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Reads each setting from its upper-case variable (REPLAY_LOG_SIZE, ALLOWED_ORIGINS, ...)."""
        defaults, values = cls(), {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, raw, getattr(defaults, f.name))
        return cls(**values)  # type: ignore[arg-type]


def _parse(name: str, raw: str, default: object) -> object:
    if name == "room_token_secret":
        return raw  # an empty one is refused by __post_init__, never taken as "no tokens"
    if isinstance(default, tuple):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if isinstance(default, bool):
        return raw != "0"
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw or None
