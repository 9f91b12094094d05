"""PROTOCOL.md "Resume": a client that resumes with `since` gets what it missed, on the socket and the poll alike."""

from __future__ import annotations

from conformance_client import Target, figure, lost_and_repeated, parse, recv


def test_a_socket_resuming_from_the_beginning_gets_the_whole_history_once_in_order(target: Target) -> None:
    room = target.room("replay")
    ids = target.publish(room, target.retention)  # exactly what the server keeps: nothing evicted yet
    with target.socket(room, since="") as ws:
        got = [recv(ws)["id"] for _ in ids]
    log = target.log_ids(room)
    lost, repeated = lost_and_repeated(got, log)
    figure(f"{target.name}: {len(got)} events replayed from since=\"\", {lost} lost, {repeated} duplicated")
    assert got == log == ids


def test_a_socket_resuming_after_an_id_gets_exactly_the_events_after_it_then_live_ones(target: Target) -> None:
    room = target.room("after")
    ids = target.publish(room, 50)
    for k in (0, 24, 48, 49):  # the first, the middle, the one before last, the last
        with target.socket(room, since=ids[k]) as ws:
            replayed = [recv(ws)["id"] for _ in ids[k + 1:]]
            live = target.publish(room, 1)
            assert replayed == ids[k + 1:]
            assert recv(ws)["id"] == live[0]  # no gap, no repeat between replay and live
        ids += live
    figure(f"{target.name}: since=<id> at 4 positions replayed exactly the events after it, then live")


def test_a_socket_without_since_gets_no_replay_only_live_events(target: Target) -> None:
    room = target.room("live")
    target.publish(room, 5)
    with target.socket(room) as ws:
        ws.send('{"type":"ping"}')
        assert recv(ws) == {"type": "pong"}  # the socket is in the room before we publish
        live = target.publish(room, 2)
        assert [recv(ws)["id"] for _ in live] == live


def test_the_poll_gives_the_same_events_as_the_socket_and_the_whole_log_without_since(target: Target) -> None:
    room = target.room("poll")
    ids = target.publish(room, 30)
    assert target.log_ids(room) == ids  # no since: the whole retained log
    assert [e["id"] for e in target.poll(room, "")] == ids
    for k in (0, 10, 29):
        polled = target.poll(room, ids[k])
        with target.socket(room, since=ids[k]) as ws:
            socketed = [recv(ws) for _ in ids[k + 1:]]
        assert polled == socketed and [e["id"] for e in polled] == ids[k + 1:]


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
