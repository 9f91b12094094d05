"""The kernel's side of exactly-once: batches sent again, two tabs, a new kernel, resets."""

from __future__ import annotations

from ws_bridge_widget._handout import Reset, RoomHandout, parse_batch


def batch(tab: str, base: int, *items: tuple[int, dict], messages: list | None = None) -> dict:
    events = [{"seq": s, "reset": e["reset"]} if "reset" in e else {"seq": s, "event": e} for s, e in items]
    return {"type": "batch", "batch": {"v": 1, "tab": tab, "baseSeq": base, "lastSeq": base + len(items), "events": events, "messages": messages or []}}


def ev(n: int) -> dict:
    return {"id": f"1-{n}", "type": "message", "text": f"t{n}"}


def take(handout: RoomHandout, content: dict) -> tuple[list, int]:
    parsed = parse_batch(content)
    assert parsed is not None
    return handout.take(parsed)


def test_a_batch_sent_again_hands_nothing_out_twice() -> None:
    h = RoomHandout()
    assert take(h, batch("A", 0, (1, ev(1)), (2, ev(2)))) == ([ev(1), ev(2)], 2)
    # The page reloaded before the acknowledgement arrived: the same numbers come again, with one more.
    fresh, ack = take(h, batch("A", 0, (1, ev(1)), (2, ev(2)), (3, ev(3))))
    assert (fresh, ack) == ([ev(3)], 3)


def test_two_tabs_on_one_kernel_hand_each_event_out_once() -> None:
    h = RoomHandout()
    take(h, batch("A", 0, (1, ev(1)), (2, ev(2))))
    fresh, ack = take(h, batch("B", 0, (1, ev(1)), (2, ev(2)), (3, ev(3))))
    assert fresh == [ev(3)] and ack == 3
    assert take(h, batch("A", 2, (3, ev(3))))[0] == []


def test_a_new_kernel_starts_after_what_the_tab_says_an_earlier_one_acknowledged() -> None:
    h = RoomHandout()
    # The page still holds seq 4 (unacknowledged) and says 1..3 went to an earlier kernel.
    fresh, ack = take(h, batch("A", 3, (4, ev(4))))
    assert (fresh, ack) == ([ev(4)], 4)
    # A stale batch below the base hands out nothing.
    assert take(h, batch("A", 0, (1, ev(1))))[0] == []


def test_a_reset_is_handed_out_once_even_from_two_tabs() -> None:
    h = RoomHandout()
    reset = {"reset": {"since": "1-9", "resume": "2-0", "reason": "epoch", "at": 1, "dropped": 0}}
    fresh, _ = take(h, batch("A", 0, (1, reset), (2, {"id": "2-1"})))
    assert isinstance(fresh[0], Reset) and fresh[1] == {"id": "2-1"}
    assert take(h, batch("B", 0, (1, reset), (2, {"id": "2-1"})))[0] == []


def test_hostile_or_foreign_messages_are_ignored() -> None:
    assert parse_batch({"type": "other"}) is None
    assert parse_batch({"type": "batch", "batch": {"v": 2}}) is None
    assert parse_batch({"type": "batch", "batch": {"v": 1, "tab": "x" * 101, "baseSeq": 0}}) is None
    assert parse_batch({"type": "batch", "batch": {"v": 1, "tab": "A", "baseSeq": True}}) is None
    parsed = parse_batch({"type": "batch", "batch": {"v": 1, "tab": "A", "baseSeq": 0, "events": [1, {"seq": "2"}, {"seq": 3, "event": "x"}, {"seq": 4, "event": {"id": "e"}}], "messages": [1, {"id": "m"}]}})
    assert parsed is not None
    assert parsed.events == ((4, {"id": "e"}),) and parsed.messages == [{"id": "m"}]


def test_events_without_an_id_still_arrive_once_per_tab() -> None:
    h = RoomHandout()
    assert take(h, batch("A", 0, (1, {"text": "a"}), (2, {"text": "a"})))[0] == [{"text": "a"}, {"text": "a"}]
    assert take(h, batch("A", 0, (1, {"text": "a"}), (2, {"text": "a"})))[0] == []
