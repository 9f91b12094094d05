"""PROTOCOL.md "When the server cannot replay": exactly one reset, first, then only events after `resume`;
the poll answers identically, and resuming from `resume` needs no second reset."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance_client import Target, figure, ids_of, log_range, parse, recv, recv_until


def check_reset(target: Target, room: str, since: str, reason: str) -> None:
    before = target.log_ids(room)
    polled = target.poll(room, since)
    after = target.log_ids(room)
    reset = polled[0]
    # The poll: the reset, with the newest id at the time of the poll as `resume`.
    assert {k: v for k, v in reset.items() if k != "resume"} == {"type": "reset", "since": since, "reason": reason}
    assert reset["resume"] in after[after.index(before[-1]):], reset
    assert ids_of(polled[1:]) == after[after.index(reset["resume"]) + 1:][: len(polled) - 1]
    with target.socket(room, since=since) as ws:
        first = recv(ws)  # first, before anything else: the same decision
        assert {k: v for k, v in first.items() if k != "resume"} == {"type": "reset", "since": since, "reason": reason}
        live = target.publish(room, 2)
        got = ids_of(recv_until(ws, live[-1]))
    log = target.log_ids(room)
    assert first["resume"] in log and log.index(first["resume"]) >= log.index(reset["resume"])
    assert got == log_range(log, first["resume"], live[-1])  # then only events after resume, none lost
    assert ids_of(target.poll(room, first["resume"]))[: len(got)] == got  # resume is a valid since
    with target.socket(room, since=first["resume"]) as ws:
        again = recv_until(ws, live[-1])
    assert all(f.get("type") != "reset" for f in again) and ids_of(again) == got  # no second reset
    if before == after:  # a quiet room: the poll and the socket answered with the very same frame
        assert first == reset == {"type": "reset", "since": since, "resume": before[-1], "reason": reason}
    figure(f"{target.name}: since={since[:24]!r} -> 1 reset ({reason}) on socket and poll, resume {first['resume']}")


def forged(target: Target, room: str, make: Callable[[str, int], str]) -> str:
    last = parse(target.log_ids(room)[-1])
    if last is None:
        pytest.skip("the server's ids are not <epoch>-<seq>: this cursor cannot be forged")
    return make(*last)


def test_an_unknown_since_gets_a_reset(target: Target) -> None:
    room = target.room("unknown")
    target.publish(room, 5)
    check_reset(target, room, "not-an-id-of-this-server!", "unknown")


def test_a_since_whose_history_was_evicted_gets_a_reset_and_the_one_just_before_it_does_not(target: Target) -> None:
    room = target.room("evicted")
    ids = target.publish(room, target.retention + 5)
    kept = target.log_ids(room)
    assert kept == ids[5:], "the server keeps `retention` events per room (pass --retention)"
    with target.socket(room, since=ids[4]) as ws:  # the event right before the oldest kept: nothing missing
        assert [recv(ws).get("id") for _ in kept] == kept
    check_reset(target, room, ids[3], "evicted")
    check_reset(target, room, "", "evicted")  # "from the beginning" is gone too


def test_a_since_from_another_epoch_gets_a_reset(target: Target) -> None:
    room = target.room("epoch")
    target.publish(room, 5)
    since = forged(target, room, lambda epoch, seq: ("x" if epoch[0] != "x" else "y") + epoch[1:] + f"-{seq}")
    check_reset(target, room, since, "epoch")


def test_a_since_ahead_of_the_room_gets_a_reset(target: Target) -> None:
    room = target.room("ahead")
    target.publish(room, 5)
    since = forged(target, room, lambda epoch, seq: f"{epoch}-{seq + 1000}")
    check_reset(target, room, since, "ahead")
