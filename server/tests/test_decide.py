"""The one replay/reset decision (PROTOCOL.md's table), row by row."""

from __future__ import annotations

import pytest
from ws_bridge_server import Decision, Reset, Window, decide, make_id, parse_id

E = "e1"
FULL = Window(E, first=1, last=5)  # nothing evicted
TRIMMED = Window(E, first=4, last=8)  # seqs 1..3 evicted
EMPTY = Window(E, first=1, last=0)


def test_ids_are_epoch_dash_seq_and_anything_else_is_not_ours() -> None:
    assert make_id("ab12", 7) == "ab12-7" and parse_id("ab12-7") == ("ab12", 7)
    assert parse_id("ab12-0") == ("ab12", 0)
    for foreign in ("", "7", "ab12-", "-7", "ab12-07", "ab12--7", "a-b-7", "ab12-7x", "ab12-+7", "x" * 60 + "-1",
                    "ab12-1234567890123456789"):
        assert parse_id(foreign) is None, foreign


def test_without_since_a_socket_goes_live_and_a_poll_gets_the_whole_retained_log() -> None:
    assert decide(None, TRIMMED, socket=True) == Decision(after=None)
    assert decide(None, TRIMMED, socket=False) == Decision(after=3)


@pytest.mark.parametrize("socket", [True, False])
def test_the_socket_and_the_poll_decide_alike_once_since_is_given(socket: bool) -> None:
    assert decide("", FULL, socket=socket) == Decision(after=0)
    assert decide("", EMPTY, socket=socket) == Decision(after=0)
    assert decide("", TRIMMED, socket=socket) == Decision(8, Reset("", "e1-8", "evicted"))
    assert decide("e1-3", TRIMMED, socket=socket) == Decision(after=3)  # first - 1: nothing missing
    assert decide("e1-8", TRIMMED, socket=socket) == Decision(after=8)  # up to date
    assert decide("e1-2", TRIMMED, socket=socket) == Decision(8, Reset("e1-2", "e1-8", "evicted"))
    assert decide("e1-9", TRIMMED, socket=socket) == Decision(8, Reset("e1-9", "e1-8", "ahead"))
    assert decide("e0-5", TRIMMED, socket=socket) == Decision(8, Reset("e0-5", "e1-8", "epoch"))
    assert decide("r1-17x", TRIMMED, socket=socket) == Decision(8, Reset("r1-17x", "e1-8", "unknown"))
    assert decide("e1-1", EMPTY, socket=socket) == Decision(0, Reset("e1-1", "e1-0", "ahead"))
    assert decide("e1-0", EMPTY, socket=socket) == Decision(after=0)


def test_a_reset_frame_has_no_id_and_a_string_resume() -> None:
    frame = Reset("x", "e1-0", "unknown").frame()
    assert frame == {"type": "reset", "since": "x", "resume": "e1-0", "reason": "unknown"} and "id" not in frame
