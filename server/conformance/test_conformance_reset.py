"""PROTOCOL.md "When the server cannot replay": exactly one reset, first, then only events after `resume`;
the poll answers identically, and resuming from `resume` needs no second reset."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance_client import Target, figure, parse, recv


def check_reset(target: Target, room: str, since: str, reason: str) -> None:
    log = target.log_ids(room)
    expected = {"type": "reset", "since": since, "resume": log[-1], "reason": reason}
    assert target.poll(room, since) == [expected]  # the poll: the same decision
    with target.socket(room, since=since) as ws:
        assert recv(ws) == expected  # first, before anything else
        live = target.publish(room, 2)
        assert [recv(ws)["id"] for _ in live] == live  # then only events after resume
    assert [e["id"] for e in target.poll(room, expected["resume"])] == live  # resume is a valid since
    with target.socket(room, since=expected["resume"]) as ws:
        assert [recv(ws)["id"] for _ in live] == live  # no second reset
    figure(f"{target.name}: since={since[:24]!r} -> 1 reset ({reason}) on socket and poll, resume {expected['resume']}")


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
        first = recv(ws)
        assert first.get("id") == ids[5], first
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
