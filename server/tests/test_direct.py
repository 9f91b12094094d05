"""Frames written straight to uvicorn's transport (direct.py): found, in order, and refused where unsafe."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from ws_bridge_server import Bridge, Settings
from ws_bridge_server.direct import find

from bridgekit import RunningServer, recv

Factory = Callable[..., RunningServer]


def _sansio(extensions: list[object]) -> object:
    cls = type("WebSocketsSansIOProtocol", (), {"send": lambda self, message: None})
    protocol = cls()
    protocol.__dict__.update(transport=None, writable=None, handshake_complete=True, close_sent=False,
                             disconnected=False, initial_response=None, conn=SimpleNamespace(extensions=extensions))
    return protocol


def test_it_is_found_behind_wrapping_closures_and_not_with_an_extension_on() -> None:
    plain = _sansio([])

    def wrap(send: Callable[[object], None]) -> Callable[[object], None]:
        def sender(message: object) -> None:
            send(message)
        return sender

    assert find(wrap(wrap(plain.send))) is not None  # type: ignore[attr-defined]
    assert find(wrap(_sansio(["permessage-deflate"]).send)) is None  # type: ignore[attr-defined]
    assert find(wrap(lambda message: None)) is None
    assert find(None) is None


def _deliver_through(server: RunningServer, bridge: Bridge, room: str, count: int) -> tuple[list[str], list[str], bool]:
    with server.ws(f"/ws/{room}/ann") as ws:
        server.stats(lambda s: s["ws_connections_open"] == 1)
        direct = bridge.hub.connections()[0].direct is not None
        ids: list[str] = []
        for _ in range(count // 50):
            ids += server.publish(room, 50)
        got = [recv(ws)["id"] for _ in ids]
    return ids, got, direct


def test_under_uvicorn_a_live_socket_gets_its_events_straight_from_the_transport_in_order(make_bridge_server: Factory) -> None:
    bridge = Bridge(settings=Settings())
    server = make_bridge_server(bridge)
    ids, got, direct = _deliver_through(server, bridge, "d1", 500)
    assert direct and got == ids
    assert server.stats()["ws_frames_direct"] == len(ids)  # a client that keeps up: every event direct


def test_with_direct_writes_off_the_same_events_go_the_asgi_way(make_bridge_server: Factory) -> None:
    bridge = Bridge(settings=Settings(direct_writes=False))
    server = make_bridge_server(bridge)
    ids, got, direct = _deliver_through(server, bridge, "d2", 500)
    assert not direct and got == ids
    assert server.stats()["ws_frames_direct"] == 0
