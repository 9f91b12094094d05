"""Writing an event's frame straight to a socket's transport: one frame for every socket.

Through ASGI, each frame to each socket costs a task wake-up, several coroutine layers
(Starlette, the ASGI server), a UTF-8 encode and a frame build: that was most of the
server's CPU per delivered frame. A server frame is never masked, so with no extension
(no permessage-deflate) its bytes are the same for every socket: the hub builds them once
per event (`text_frame`) and hands them to each socket's transport, synchronously.

Only under uvicorn's websockets-sansio protocol (uvicorn's default since 0.35) is the
transport reachable: `find` looks for it behind the ASGI `send` a socket was given, and
returns None for anything else (another server, deflate on, a test double), so that
socket keeps the ASGI path. `writable()` is asked before every write: once uvicorn's
buffer is past its high-water mark, or the socket is closing, frames go the ASGI way
(the writer task), which waits for the peer and drops it if it stalls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from websockets.frames import Frame, Opcode
from websockets.protocol import State

_MAX_HOPS = 12  # wrappers between a socket's `send` and the server's (Starlette adds 1 or 2)


def text_frame(data: bytes) -> bytes:
    """An unmasked text frame carrying `data`, built by websockets as its own send would build it."""
    return Frame(Opcode.TEXT, data).serialize(mask=False, extensions=[])


class _Sansio(Protocol):
    """The parts of uvicorn's WebSocketsSansIOProtocol this module reads."""

    transport: asyncio.Transport
    writable: asyncio.Event
    handshake_complete: bool
    close_sent: bool
    disconnected: bool
    initial_response: object
    conn: Any  # websockets.server.ServerProtocol


class DirectWriter:
    def __init__(self, protocol: _Sansio) -> None:
        self._protocol = protocol

    def writable(self) -> bool:
        """True when a frame may go to the transport now, ahead of nothing."""
        p = self._protocol
        return (
            p.handshake_complete and not p.close_sent and not p.disconnected and p.initial_response is None
            and p.writable.is_set() and p.conn.state is State.OPEN and not p.transport.is_closing()
        )

    def write(self, frame: bytes) -> None:
        self._protocol.transport.write(frame)


def _is_sansio(obj: object) -> bool:
    if type(obj).__name__ != "WebSocketsSansIOProtocol":
        return False
    conn = getattr(obj, "conn", None)
    needed = ("transport", "writable", "handshake_complete", "close_sent", "disconnected", "initial_response")
    # Extensions (permessage-deflate) transform each frame per connection: no shared bytes then.
    return all(hasattr(obj, name) for name in needed) and conn is not None and not getattr(conn, "extensions", True)


def find(send: Callable[..., Any] | None) -> DirectWriter | None:
    """The direct writer behind an ASGI `send` (following bound methods and closures), or None."""
    seen: set[int] = set()
    todo: list[object] = [send]
    for _ in range(_MAX_HOPS):
        if not todo:
            return None
        nxt: list[object] = []
        for fn in todo:
            if fn is None or id(fn) in seen:
                continue
            seen.add(id(fn))
            owner = getattr(fn, "__self__", None)
            if owner is not None and _is_sansio(owner):
                return DirectWriter(owner)
            nxt.extend(c for c in map(_contents, getattr(fn, "__closure__", None) or ()) if callable(c))
            nxt.append(getattr(fn, "__wrapped__", None))
        todo = nxt
    return None


def _contents(cell: Any) -> object:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None
