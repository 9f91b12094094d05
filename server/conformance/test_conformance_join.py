"""PROTOCOL.md "Joining": an event published while a client's replay is read reaches it exactly once.

Clients join a room while a publisher keeps posting to it, each the way an app
does it: read the log, then open the socket with since=<the last id it saw>.
What each got is compared with the server's own log.
"""

from __future__ import annotations

import threading

from conformance_client import Target, figure, ids_of, log_range, lost_and_repeated, recv_until

CLIENTS = 30


def test_events_published_between_replay_and_join_are_neither_lost_nor_repeated(target: Target) -> None:
    room = target.room("join")
    total = min(600, target.retention // 2)  # everything stays in the log, so the log is the whole truth
    batches = total // 10
    done = threading.Event()
    published: list[str] = target.publish(room, 1)  # the room has a history before anyone joins
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            for _ in range(batches - 1):
                published.extend(target.publish(room, 10))
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)
        finally:
            done.set()

    results: list[tuple[str, list[str]]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        try:
            since = target.log_ids(room)[-1]
            with target.socket(room, f"c{k}", since=since) as ws:
                done.wait(60)
                last = published[-1] if not errors else since
                got = ids_of(recv_until(ws, last)) if last != since else []
            with lock:
                results.append((since, got))
        except BaseException as exc:
            errors.append(exc)

    pub = threading.Thread(target=publisher)
    pub.start()
    joiners = []
    for k in range(CLIENTS):  # joins spread over the publishing
        t = threading.Thread(target=client, args=(k,))
        t.start()
        joiners.append(t)
    pub.join(120)
    for t in joiners:
        t.join(120)
    assert not errors, errors[0]
    log = target.log_ids(room)
    assert [i for i in log if i in set(published)] == published  # the server kept every one, in order
    lost = repeated = delivered = 0
    for since, got in results:
        expected = log_range(log, since, published[-1])
        miss, dup = lost_and_repeated(got, expected)
        lost, repeated, delivered = lost + miss, repeated + dup, delivered + len(got)
        assert got == expected, f"a client joining after {since} got {len(got)} events, expected {len(expected)}"
    figure(f"{target.name}: {CLIENTS} clients joined during {len(log)} events published: "
           f"{delivered} delivered, {lost} lost, {repeated} duplicated")
    assert len(results) == CLIENTS
