"""Store implementations: `MemoryStore` (default) and `FileStore` (EVENT_LOG_PATH)."""

from .file import FileStore
from .memory import MemoryStore, RoomLog

__all__ = ["FileStore", "MemoryStore", "RoomLog"]
