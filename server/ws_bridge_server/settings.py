"""The server's knobs, from code or from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    replay_log_size: int = 1000  # events kept per room (the retention)
    max_frame_bytes: int = 65536  # a bigger client frame closes the socket with 1009
    max_msgs_per_sec: float = 50.0  # client frames per socket (token bucket); more closes with 1008
    allowed_origins: tuple[str, ...] = ()  # empty = any origin
    room_token_secret: str | None = None  # None = no token needed
    token_ttl_s: int = 300
    send_queue_size: int = 10_000  # frames buffered per socket before it is dropped as too slow (1013)
    send_timeout_s: float = 5.0  # a single send slower than this drops the socket
    max_rooms: int = 10_000
    event_log_path: str | None = None  # None = memory store; else the file store at this path
    redis_url: str | None = None  # the Redis store (redis://host:port/db); wins over event_log_path
    direct_writes: bool = True  # frames straight to uvicorn's transport where it allows (direct.py)

    def __post_init__(self) -> None:
        # Zero would silently mean "unbounded" for asyncio.Queue / deque sizes.
        for name in ("replay_log_size", "max_frame_bytes", "max_msgs_per_sec", "send_queue_size",
                     "send_timeout_s", "max_rooms", "token_ttl_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"setting {name} must be > 0, got {getattr(self, name)!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        d = cls()
        return cls(
            replay_log_size=int(env.get("REPLAY_LOG_SIZE", d.replay_log_size)),
            max_frame_bytes=int(env.get("MAX_FRAME_BYTES", d.max_frame_bytes)),
            max_msgs_per_sec=float(env.get("MAX_MSGS_PER_SEC", d.max_msgs_per_sec)),
            allowed_origins=tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()),
            room_token_secret=env.get("ROOM_TOKEN_SECRET") or None,
            send_queue_size=int(env.get("SEND_QUEUE_SIZE", d.send_queue_size)),
            send_timeout_s=float(env.get("SEND_TIMEOUT_S", d.send_timeout_s)),
            max_rooms=int(env.get("MAX_ROOMS", d.max_rooms)),
            event_log_path=env.get("EVENT_LOG_PATH") or None,
            redis_url=env.get("REDIS_URL") or None,
            direct_writes=env.get("DIRECT_WRITES", "1") != "0",
        )
