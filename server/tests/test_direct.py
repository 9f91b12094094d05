"""Frames written straight to uvicorn's transport (direct.py): found, in order, and refused where unsafe."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from ws_bridge_server import Bridge, Settings
from ws_bridge_server.live import direct
from ws_bridge_server.live.direct import find_for
from ws_bridge_server.run import bare_app

from bridgekit import RunningServer, recv

Factory = Callable[..., RunningServer]


def _sansio(extensions: list[object]) -> WebSocketsSansIOProtocol:
    """uvicorn's real protocol class, with only the state the writer reads."""
    protocol = object.__new__(WebSocketsSansIOProtocol)
    protocol.__dict__.update(transport=None, writable=None, handshake_complete=True, close_sent=False,
                             disconnected=False, initial_response=None, conn=SimpleNamespace(extensions=extensions))
    return protocol


def _socket(send: object) -> object:
    return SimpleNamespace(_send=send)  # where Starlette's WebSocket keeps the ASGI send


def test_it_is_found_behind_wrapping_closures_and_not_with_an_extension_on() -> None:
    def wrap(send: Callable[[object], object]) -> Callable[[object], object]:
        def sender(message: object) -> object:
            return send(message)
        return sender

    assert find_for(_socket(wrap(wrap(_sansio([]).send)))) is not None
    assert find_for(_socket(wrap(_sansio(["permessage-deflate"]).send))) is None
    assert find_for(_socket(wrap(lambda message: None))) is None
    assert find_for(SimpleNamespace()) is None


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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # uvicorn deprecates that protocol: that is the point
def test_under_another_websocket_implementation_it_falls_back_to_asgi_and_says_so_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn's legacy websockets protocol has no transport we may write to: the ASGI way, every frame."""
    monkeypatch.setattr(direct, "_logged", set())  # "once" is per process: start this process's count here
    bridge = Bridge(settings=Settings())
    server = RunningServer(bare_app(bridge, publish_endpoint=True), ws="websockets")
    try:
        with caplog.at_level(logging.WARNING, logger="ws_bridge_server"):
            first = _deliver_through(server, bridge, "d3", 100)
            second = _deliver_through(server, bridge, "d4", 100)
        for ids, got, went_direct in (first, second):
            assert not went_direct and got == ids
        assert server.stats()["ws_frames_direct"] == 0
        said = [r.getMessage() for r in caplog.records if "through ASGI sends" in r.getMessage()]
        assert len(said) == 1, said
        print(f"\nlegacy websockets protocol: 200 events in order, 0 direct, fallback logged once: {said[0]}")
    finally:
        server.stop()
