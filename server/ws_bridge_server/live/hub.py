"""Which sockets are in which room, and the broadcast of each event to them: nothing else.

A socket is in its room from before its replay is read (so nothing published
meanwhile can miss it); until it goes live its events are held by its
`Joining` (join.py), afterwards each is offered to it (connection.py).
"""

from __future__ import annotations

from typing import Any

from ..events import StoredEvent
from ..protocol import Position
from .connection import Connection, SharedFrame
from .join import Joining
from .stats import Stats


class Hub:
    def __init__(self) -> None:
        # room -> {connection: its Joining while it joins, None once live}; dicts keep join order
        self.rooms: dict[str, dict[Connection, Joining | None]] = {}
        self.by_address: dict[str, int] = {}  # open connections per client address

    def join(self, conn: Connection, hold_limit: int) -> Joining:
        """Adds a connection that is not live yet: its events are held until `go_live`."""
        joining = Joining(conn, hold_limit)
        self.rooms.setdefault(conn.room, {})[conn] = joining
        self.by_address[conn.address] = self.by_address.get(conn.address, 0) + 1
        return joining

    def go_live(self, conn: Connection, position: Position) -> None:
        """From now on `conn` is offered each event; it has everything up to `position`."""
        conns = self.rooms.get(conn.room)
        if conns is not None and conn in conns:
            conn.position = position
            conns[conn] = None

    def leave(self, conn: Connection) -> None:
        conns = self.rooms.get(conn.room)
        if conns is None or conns.pop(conn, False) is False:
            return
        if not conns:
            del self.rooms[conn.room]
        left = self.by_address[conn.address] - 1
        if left:
            self.by_address[conn.address] = left
        else:
            del self.by_address[conn.address]

    def from_address(self, address: str) -> int:
        return self.by_address.get(address, 0)

    def watching(self, room: str) -> bool:
        return room in self.rooms

    def clients(self, room: str) -> list[str]:
        return list(dict.fromkeys(c.client for c in self.rooms.get(room, {})))

    def deliver(self, event: StoredEvent) -> None:
        frame = SharedFrame()
        for conn, joining in self.rooms.get(event.room, {}).items():
            if joining is None:
                conn.offer(event, frame)
            else:
                joining.hold(event)

    def connections(self) -> list[Connection]:
        return [c for conns in self.rooms.values() for c in conns]

    def close_room(self, room: str, code: int, reason: str) -> int:
        conns = list(self.rooms.get(room, ()))
        for conn in conns:
            conn.close(code, reason)
        return len(conns)

    def close_all(self, code: int, reason: str) -> int:
        conns = self.connections()
        for conn in conns:
            conn.close(code, reason)
        return len(conns)

    def snapshot(self, stats: Stats) -> dict[str, Any]:
        by_room = {room: len(conns) for room, conns in self.rooms.items()}
        return {
            "ws_connections_total": stats.ws_connections_total,
            "ws_connections_open": sum(by_room.values()),
            "ws_open_by_room": by_room,
            "ws_frames_sent": stats.ws_frames_sent,
            "ws_frames_received": stats.ws_frames_received,
            "ws_bytes_sent": stats.ws_bytes_sent,
            "ws_frames_direct": stats.ws_frames_direct,
            "http_requests": stats.http_requests,
            "http_bytes_sent": stats.http_bytes_sent,
            "events_created": stats.events_created,
        }
