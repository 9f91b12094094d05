"""PROTOCOL.md "Resume": a client that resumes with `since` gets what it missed, on the socket and the poll alike.

What a client got is compared with the server's own log (the poll without
`since`), so a server that publishes events of its own (a player list on join)
passes as long as every client gets each event once, in order.
"""

from __future__ import annotations

from conformance_client import Target, figure, ids_of, log_range, lost_and_repeated, parse, recv, recv_until


def test_a_socket_resuming_from_the_beginning_gets_the_whole_history_once_in_order(target: Target) -> None:
    room = target.room("replay")
    ids = target.publish(room, target.retention)  # exactly what the server keeps: nothing evicted yet
    log = target.log_ids(room)
    with target.socket(room, since="") as ws:
        got = [recv(ws)["id"] for _ in log]
    lost, repeated = lost_and_repeated(got, log)
    figure(f"{target.name}: {len(got)} events replayed from since=\"\", {lost} lost, {repeated} duplicated")
    assert got == log == ids


def test_a_socket_resuming_after_an_id_gets_exactly_the_events_after_it_then_live_ones(target: Target) -> None:
    room = target.room("after")
    target.publish(room, 50)
    for position in (0, 24, -2, -1):  # the first, the middle, the one before last, the last
        since = target.log_ids(room)[position]
        with target.socket(room, since=since) as ws:
            live = target.publish(room, 1)
            got = ids_of(recv_until(ws, live[0]))
        assert got == log_range(target.log_ids(room), since, live[0])  # no gap, no repeat, replay then live
    figure(f"{target.name}: since=<id> at 4 positions replayed exactly the events after it, then live")


def test_a_socket_without_since_gets_no_replay_only_live_events(target: Target) -> None:
    room = target.room("live")
    target.publish(room, 5)
    before = target.log_ids(room)
    with target.socket(room) as ws:
        ws.send('{"type":"ping"}')
        while recv(ws) != {"type": "pong"}:  # the socket is in the room before we publish
            pass
        live = target.publish(room, 2)
        got = ids_of(recv_until(ws, live[-1]))
    assert not set(got) & set(before) and got[-2:] == live
    assert got == log_range(target.log_ids(room), before[-1], live[-1])[-len(got):]


def test_the_poll_gives_the_same_events_as_the_socket_and_the_whole_log_without_since(target: Target) -> None:
    room = target.room("poll")
    ids = target.publish(room, 30)
    assert target.log_ids(room) == ids  # no since: the whole retained log
    assert [e["id"] for e in target.poll(room, "")] == ids
    for since in (ids[0], ids[10], ids[29]):
        polled = target.poll(room, since)
        with target.socket(room, since=since) as ws:
            socketed = [recv(ws) for _ in polled]
        assert polled == socketed  # the same decision, the same frames
        assert ids_of(polled)[: 29 - ids.index(since)] == ids[ids.index(since) + 1:]


def test_every_event_has_a_string_id_and_a_type_and_ids_count_up_without_gaps(target: Target) -> None:
    room = target.room("ids")
    ids = target.publish(room, 20)
    events = target.poll(room)
    assert all(isinstance(e["id"], str) and isinstance(e["type"], str) for e in events)
    assert len(set(ids)) == len(ids)
    parsed = [parse(i) for i in ids]
    if all(parsed):  # PROTOCOL.md's recommended "<epoch>-<seq>"
        assert len({p[0] for p in parsed if p}) == 1
        seqs = [p[1] for p in parsed if p]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        figure(f"{target.name}: ids <epoch>-<seq>, seqs {seqs[0]}..{seqs[-1]} without a gap")
    else:
        figure(f"{target.name}: ids are not <epoch>-<seq>; the checks that forge ids are skipped")
