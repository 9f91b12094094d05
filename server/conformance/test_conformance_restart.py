"""A restart of the repository's own stores (the suite starts and stops them; a --bridge-url is skipped).

Memory store: the history is gone, so every resuming client gets exactly one
reset and then misses nothing. File store: the history and the epoch survive,
so nobody gets a reset and nothing is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from conformance_client import Target, close_of, figure, lost_and_repeated, recv, recv_until
from conformance_stores import MAX_FRAME_BYTES, MAX_MSGS_PER_SEC, RETENTION, own_server

ROOMS = 5
PER_ROOM = 2  # clients per room


class Client:
    def __init__(self, room: str, name: str) -> None:
        self.room, self.name = room, name
        self.frames: list[dict[str, Any]] = []
        self.ws: ClientConnection | None = None

    @property
    def cursor(self) -> str:
        """What a client resumes from: its last event id, or the resume of its last reset."""
        last = self.frames[-1]
        return str(last["resume"] if last.get("type") == "reset" else last["id"])

    def take(self, n: int) -> None:
        assert self.ws is not None
        self.frames += [recv(self.ws) for _ in range(n)]

    @property
    def resets(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == "reset"]

    def ids_after_last_reset(self) -> list[str]:
        k = max((i for i, f in enumerate(self.frames) if f.get("type") == "reset"), default=-1)
        return [str(f["id"]) for f in self.frames[k + 1:]]


def test_a_restart_resets_every_resuming_client_once_on_memory_and_never_on_file(
    own_store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """On redis, the server process restarts while Redis keeps the rooms: like the file store."""
    redis_url = request.getfixturevalue("redis_url") if own_store == "redis" else None
    server = own_server(own_store, tmp_path, redis_url)
    try:
        target = Target(f"{own_store} store", server.start(), RETENTION, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC)
        rooms = [target.room("restart") for _ in range(ROOMS)]
        for room in rooms:
            target.publish(room, 20)
        clients = [Client(room, f"p{k}") for room in rooms for k in range(PER_ROOM)]
        for c in clients:  # everyone holds the room's history, then lives on the socket
            c.ws = target.socket(c.room, c.name, since="")
            c.take(20)
        for room in rooms:
            target.publish(room, 5)
        for c in clients:
            c.take(5)

        server.stop()  # SIGTERM: every socket hears "service restart"
        closes = [close_of(c.ws) for c in clients if c.ws]
        assert set(closes) == {(1012, "service restart")}, closes
        target.http.close()
        target = Target(target.name, server.start(), RETENTION, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC)  # same port

        for room in rooms:  # published while the clients are still away
            target.publish(room, 3)
        for c in clients:
            c.ws = target.socket(c.room, c.name, since=c.cursor)
            c.take(1 if own_store == "memory" else 3)  # the reset, or the 3 missed events
        for room in rooms:
            target.publish(room, 2)
        for c in clients:
            c.take(2)
            assert c.ws is not None
            c.ws.close()
        for c in clients:  # a later reconnect: no second reset, and what the other clients published meanwhile
            with target.socket(c.room, c.name, since=c.cursor) as ws:
                live = target.publish(c.room, 1)
                c.frames += recv_until(ws, live[0])

        lost = repeated = 0
        for c in clients:
            log = target.log_ids(c.room)
            if own_store == "memory":
                reset = c.resets
                assert len(reset) == 1 and reset[0]["reason"] == "epoch", reset
                expected = log[log.index(reset[0]["resume"]) + 1:] if reset[0]["resume"] in log else log
            else:
                assert c.resets == []
                expected = log  # the whole history, across the restart
            got = c.ids_after_last_reset()
            expected = expected[: expected.index(got[-1]) + 1]  # up to the last event it stayed for
            miss, dup = lost_and_repeated(got, expected)
            lost, repeated = lost + miss, repeated + dup
            assert got == expected
        resets = sum(len(c.resets) for c in clients)
        delivered = sum(len(c.ids_after_last_reset()) for c in clients)
        figure(f"{own_store} store restart (SIGTERM): {len(clients)} clients, {len(closes)} closed 1012, "
               f"{resets} resets ({resets // len(clients)} each), {delivered} events after them, "
               f"{lost} lost, {repeated} duplicated")
        target.http.close()
    finally:
        server.stop()
