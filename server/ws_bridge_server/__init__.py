"""The streamlit-ws-bridge room server, to mount on a FastAPI/Starlette app.

    from ws_bridge_server import Bridge, Settings, bridge_router

    bridge = Bridge(settings=Settings(replay_log_size=1000))   # MemoryStore; FileStore with event_log_path
    app.include_router(bridge_router(bridge))                   # WS /ws/{room}/{client}, GET /rooms/{room}/events
    await bridge.publish("room1", "score", {"points": 3})       # from your own routes

The seam: `protocol.py` (ids and the one replay/reset decision), `store.py` (the
store interface), `stores/` (memory, file), `session.py` + `hub.py` (sockets and
fan-out), `router.py` (mounting). PROTOCOL.md is the contract; server/conformance
checks a running server against it.
"""

from .auth import make_token, origin_allowed, verify_token
from .bridge import Bridge, Hooks, store_for
from .driver import driver_router
from .hub import Connection, Stats
from .protocol import Decision, Reset, Window, decide, make_id, parse_id
from .router import bridge_router
from .settings import Settings
from .store import EventStore, Replay, StoredEvent, Subscriber
from .stores import FileStore, MemoryStore

__all__ = [
    "Bridge", "Connection", "Decision", "EventStore", "FileStore", "Hooks", "MemoryStore", "Replay", "Reset",
    "Settings", "Stats", "StoredEvent", "Subscriber", "Window", "bridge_router", "decide", "driver_router",
    "make_id", "make_token", "origin_allowed", "parse_id", "store_for", "verify_token",
]
