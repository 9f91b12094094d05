"""The stores: `MemoryStore` (default), `FileStore` (EVENT_LOG_PATH), `RedisStore` (REDIS_URL, in `redis/`)."""

from __future__ import annotations

from ..settings import Settings
from ..store import EventStore
from .file import FileStore
from .memory import MemoryStore, RoomLog


def store_for(settings: Settings) -> EventStore:
    """The Redis store if `redis_url` is set, the file store if `event_log_path` is, else the memory store."""
    limits = {"retention_bytes": settings.retention_bytes, "max_event_bytes": settings.max_event_bytes}
    if settings.redis_url:
        from .redis import RedisStore  # optional dependency: imported only when asked for

        return RedisStore(settings.redis_url, settings.replay_log_size, room_ttl_s=settings.room_ttl_s,
                          cluster=settings.redis_cluster, **limits)
    if settings.event_log_path:
        return FileStore(settings.event_log_path, settings.replay_log_size, settings.max_rooms, **limits)
    return MemoryStore(settings.replay_log_size, settings.max_rooms, **limits)


__all__ = ["FileStore", "MemoryStore", "RoomLog", "store_for"]
