"""Joining a room without a gap: hold what is published meanwhile, replay, then go live.

Works with any store (PROTOCOL.md, "Joining"): the socket is in the room before
its replay is read, and the store confirmed it follows the room (`watch`: a store that
subscribes per room, Redis, does it on the room's first socket), so whatever is published
during the read is held here.
Held events the replay already covered are dropped; the rest must follow on
without a gap, or the missing range is read again. Only then does the socket
go live, with no suspension point between taking the last held events and
going live, so nothing can slip in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..events import StoredEvent
from ..protocol import Position, Step, make_id, step
from ..store import Replay
from .connection import Connection

MAX_CATCH_UP_READS = 10  # a room that outruns this many re-reads is left with a 1013

Read = Callable[[str, str | None], Awaitable[Replay]]  # (room, since) -> the socket's replay
Watch = Callable[[str], Awaitable[None]]  # room -> returns once the store passes on its events from now on


class Joining:
    """The events published to a room while one of its sockets reads its replay."""

    __slots__ = ("conn", "held", "limit")

    def __init__(self, conn: Connection, limit: int) -> None:
        self.conn = conn
        self.held: list[StoredEvent] = []
        self.limit = limit

    def hold(self, event: StoredEvent) -> None:
        if len(self.held) >= self.limit:
            self.conn.close(1013, "client too slow")
        elif not self.conn.closing:
            self.held.append(event)


async def join(joining: Joining, watch: Watch, read: Read, since: str | None,
               go_live: Callable[[Position], None]) -> None:
    """Waits for the store to follow the room, sends the replay (or reset), then the events held
    meanwhile, then calls `go_live`."""
    conn = joining.conn
    await watch(conn.room)  # before the read: what the replay does not have, the store then delivers
    position = _send(conn, await read(conn.room, since))
    for _ in range(MAX_CATCH_UP_READS):
        held, joining.held = joining.held, []
        fresh = [e for e in held if step(position, e.epoch, e.seq) is not Step.SEEN]
        if not fresh:
            go_live(position)  # no await since `held` was taken: nothing can slip in between
            return
        if _follow_on(fresh, position):
            for e in fresh:
                conn.push(e.text, e.nbytes)
            position = (fresh[-1].epoch, fresh[-1].seq)
        else:  # a gap between the replay and the held events: read what is missing
            position = _send(conn, await read(conn.room, make_id(*position)))
    conn.close(1013, "room too busy to join")


def _follow_on(events: list[StoredEvent], position: Position) -> bool:
    for event in events:
        if step(position, event.epoch, event.seq) is not Step.NEXT:
            return False
        position = (event.epoch, event.seq)
    return True


def _send(conn: Connection, replay: Replay) -> Position:
    if replay.reset is not None:
        conn.reply(replay.reset.frame())
    for event in replay.events:
        conn.push(event.text, event.nbytes)
    return (replay.window.epoch, replay.window.last)
