"""The streamlit-ws-bridge room server, to mount on a FastAPI/Starlette app. The public API only.

    from ws_bridge_server import Bridge, Settings, bridge_router

    bridge = Bridge(settings=Settings.from_env())     # memory store; file or Redis from the settings
    app.include_router(bridge_router(bridge))         # WS /ws/{room}/{client}, GET /rooms/{room}/events
    await bridge.publish("room1", "score", {"points": 3})   # from your own routes

PROTOCOL.md is the contract; server/conformance checks a running server against it.
The Redis store is `ws_bridge_server.stores.redis.RedisStore` (the `redis` extra).
"""

from .auth import make_token, origin_allowed, verify_token
from .bridge import Bridge, Listener
from .events import RESERVED_FIELDS, EventTooLarge, StoredEvent
from .http.health import health_router
from .http.publish import publish_router
from .http.router import bridge_router
from .live.connection import Connection
from .live.socket import Hooks
from .live.stats import Stats
from .protocol import Decision, Position, Reset, Step, Window, decide, make_id, parse_id, step
from .settings import Settings
from .store import EventStore, Replay, Subscriber
from .stores import FileStore, MemoryStore, store_for

__all__ = [
    "RESERVED_FIELDS", "Bridge", "Connection", "Decision", "EventStore", "EventTooLarge", "FileStore", "Hooks", "Listener",
    "MemoryStore", "Position", "Replay", "Reset", "Settings", "Stats", "Step", "StoredEvent", "Subscriber", "Window",
    "bridge_router", "decide", "health_router", "make_id", "make_token", "origin_allowed", "parse_id",
    "publish_router", "step", "store_for", "verify_token",
]
