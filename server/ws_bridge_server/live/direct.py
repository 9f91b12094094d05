"""Writing an event's frame straight to a socket's transport: one frame for every socket.

Through ASGI, each frame to each socket costs a task wake-up, several coroutine layers
(Starlette, the ASGI server), a UTF-8 encode and a frame build: that was most of the
server's CPU per delivered frame. A server frame is never masked, so with no extension
(no permessage-deflate) its bytes are the same for every socket: the hub builds them once
per event (`text_frame`) and hands them to each socket's transport, synchronously.

This file is the only one that touches private parts of uvicorn, Starlette and
websockets, and imports them only when first asked. Only under uvicorn's
websockets-sansio protocol (its default since 0.35) is the transport reachable: `find`
looks for an instance of that class behind the ASGI `send` a socket was given. Anything
else (another server, another version whose internals moved, deflate on, a test double)
gets None, so that socket keeps the ASGI path, and the first such socket logs why once.
`writable()` is asked before every write: once uvicorn's buffer is past its high-water
mark, or the socket is closing, frames go the ASGI way (the writer task), which waits for
the peer and drops it if it stalls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("ws_bridge_server")

_MAX_HOPS = 12  # wrappers between a socket's `send` and the server's (Starlette adds 1 or 2)
_NEEDED = ("transport", "writable", "handshake_complete", "close_sent", "disconnected", "initial_response", "conn")
_logged: set[str] = set()


def text_frame(data: bytes) -> bytes:
    """An unmasked text frame carrying `data`, built by websockets as its own send would build it."""
    from websockets.frames import Frame, Opcode

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
    def __init__(self, protocol: _Sansio, open_state: object) -> None:
        self._protocol = protocol
        self._open = open_state

    def writable(self) -> bool:
        """True when a frame may go to the transport now, ahead of nothing."""
        p = self._protocol
        return (
            p.handshake_complete and not p.close_sent and not p.disconnected and p.initial_response is None
            and p.writable.is_set() and p.conn.state is self._open and not p.transport.is_closing()
        )

    def write(self, frame: bytes) -> None:
        self._protocol.transport.write(frame)


def find_for(socket: object) -> DirectWriter | None:
    """The direct writer of a Starlette WebSocket under uvicorn's sansio protocol, or None."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
        from websockets.protocol import State
    except ImportError as exc:  # not uvicorn, or a version without the sansio protocol
        _fallback(f"uvicorn's websockets-sansio protocol is not importable ({exc})")
        return None
    send = getattr(socket, "_send", None)  # Starlette keeps the ASGI send it was given there
    protocol = find(send, WebSocketsSansIOProtocol)
    if protocol is None:
        _fallback("the socket's ASGI send does not lead to uvicorn's websockets-sansio protocol")
        return None
    missing = [name for name in _NEEDED if not hasattr(protocol, name)]
    if missing:
        _fallback(f"uvicorn's protocol lacks {', '.join(missing)} (another uvicorn version)")
        return None
    if getattr(protocol.conn, "extensions", True):  # deflate: the bytes differ per connection
        return None
    return DirectWriter(protocol, State.OPEN)


def find(send: Callable[..., Any] | None, cls: type) -> Any:
    """The instance of `cls` whose method `send` is, behind bound methods and closures, or None."""
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
            if isinstance(owner, cls):
                return owner
            nxt.extend(c for c in map(_contents, getattr(fn, "__closure__", None) or ()) if callable(c))
            nxt.append(getattr(fn, "__wrapped__", None))
        todo = nxt
    return None


def _fallback(reason: str) -> None:
    if reason not in _logged:
        _logged.add(reason)
        log.warning("frames go through ASGI sends, not straight to the transport: %s", reason)


def _contents(cell: Any) -> object:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None
