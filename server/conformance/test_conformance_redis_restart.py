"""Redis itself restarts (SIGKILL, then a start on the same port and directory) under a running
server on the Redis store, with clients on their sockets.

With AOF and appendfsync always (deploy/redis.conf): nothing is lost, nobody gets a reset, the
feed goes on. Without persistence: the rooms come back empty with a new epoch; the server
closes the sockets (1012), and every client gets exactly one reset on its reconnect and misses
nothing published after it. What each client got is checked against the server's own log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from conformance_client import Target, figure, lost_and_repeated, recv
from conformance_stores import MAX_FRAME_BYTES, MAX_MSGS_PER_SEC, RETENTION, own_server
from redis_process import RedisProcess
from test_conformance_restart import Client

# It restarts Redis under a server it starts itself: nothing it could do to a server given by URL.
pytestmark = pytest.mark.own_servers

ROOMS = 4
PER_ROOM = 3


def read_until_closed(c: Client) -> tuple[int, str]:
    """Frames until the server closes the socket (kept: nothing may arrive that is not in the log)."""
    assert c.ws is not None
    try:
        while True:
            c.frames.append(recv(c.ws))
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"the server dropped the connection without a close frame: {exc}"
        return exc.rcvd.code, exc.rcvd.reason


@pytest.mark.parametrize("aof", [True, False], ids=["aof-always", "no-persistence"])
def test_a_redis_restart_loses_nothing_with_aof_and_resets_each_client_once_without_persistence(
    aof: bool, tmp_path: Path
) -> None:
    (tmp_path / "redis").mkdir()
    redis = RedisProcess(tmp_path / "redis", aof=aof)
    server = own_server("redis", tmp_path, redis.start())
    try:
        target = Target("redis store", server.start(), RETENTION, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC)
        rooms = [target.room("redis-restart") for _ in range(ROOMS)]
        for room in rooms:
            target.publish(room, 10)
        clients = [Client(room, f"p{k}") for room in rooms for k in range(PER_ROOM)]
        for c in clients:
            c.ws = target.socket(c.room, c.name, since="")
            c.take(10)

        redis.restart()  # SIGKILL: Redis writes nothing on the way out
        closes: list[tuple[int, str]] = []
        if not aof:  # the server notices the lost history and closes every socket of those rooms
            closes = [read_until_closed(c) for c in clients]
            assert {code for code, _ in closes} == {1012}, closes
            for c in clients:
                c.ws = target.socket(c.room, c.name, since=c.cursor)
                c.take(1)  # the reset, first
        for room in rooms:  # the feed goes on
            target.publish(room, 5)
        for c in clients:
            c.take(5)
            assert c.ws is not None
            c.ws.close()

        lost = repeated = 0
        for c in clients:
            log = target.log_ids(c.room)
            resets: list[dict[str, Any]] = c.resets
            if aof:
                assert resets == []
                expected = log  # the whole history, across the restart
            else:
                assert len(resets) == 1 and resets[0]["reason"] == "epoch", resets
                resume = resets[0]["resume"]
                expected = log[log.index(resume) + 1:] if resume in log else log
            got = c.ids_after_last_reset()
            miss, dup = lost_and_repeated(got, expected)
            lost, repeated = lost + miss, repeated + dup
            assert got == expected
        resets_total = sum(len(c.resets) for c in clients)
        mode = "AOF appendfsync always" if aof else "no persistence"
        figure(f"redis store, Redis SIGKILLed and restarted ({mode}): {len(clients)} clients in {ROOMS} rooms, "
               f"{len(closes)} closed 1012, {resets_total} resets ({resets_total // len(clients)} each), "
               f"{lost} lost, {repeated} duplicated")
        target.http.close()
    finally:
        server.stop()
        redis.stop()


def test_a_killed_reader_connection_is_healed_for_clients_on_their_sockets(tmp_path: Path) -> None:
    """CLIENT KILL on the server's one reader connection while events are published: the clients
    on their sockets still get every event once, in order, with no reset and no close."""
    (tmp_path / "redis").mkdir()
    redis = RedisProcess(tmp_path / "redis", aof=True)
    server = own_server("redis", tmp_path, redis.start())
    try:
        target = Target("redis store", server.start(), RETENTION, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC)
        rooms = [target.room("reader-kill") for _ in range(ROOMS)]
        clients = [Client(room, f"p{k}") for room in rooms for k in range(PER_ROOM)]
        for room in rooms:
            target.publish(room, 1)
        for c in clients:
            c.ws = target.socket(c.room, c.name, since="")
            c.take(1)
        killed = published = 0
        for _ in range(5):
            redis.wait_for_readers(1)  # reconnected since the last kill
            reply = redis.command("CLIENT", "KILL", "TYPE", "pubsub")  # the server's reader: a real kill
            killed += int(reply.strip().lstrip(b":") or 0)
            for room in rooms:  # the server publishes these while its reader is down or reconnecting
                target.publish(room, 20)
                published += 20
        last = {room: target.publish(room, 1)[-1] for room in rooms}
        lost = repeated = 0
        for c in clients:
            assert c.ws is not None
            while c.frames[-1].get("id") != last[c.room]:
                c.frames.append(recv(c.ws))
            c.ws.close()
            got, expected = c.ids_after_last_reset(), target.log_ids(c.room)
            miss, dup = lost_and_repeated(got, expected)
            lost, repeated = lost + miss, repeated + dup
            assert c.resets == [] and got == expected
        assert killed == 5
        figure(f"redis store, the server's reader connection killed {killed}x (CLIENT KILL TYPE pubsub) while "
               f"{published} events were published: {len(clients)} clients on their sockets, 0 closed, 0 resets, "
               f"{lost} lost, {repeated} duplicated")
        target.http.close()
    finally:
        server.stop()
        redis.stop()
