"""The Gradio process's side of exactly-once: batches sent again, reloads, restarts, malformed input."""

from __future__ import annotations

from ws_bridge_gradio._handout import Reset, TabHandout, parse_batch


def batch(tab: str, base: int, *items: tuple[int, dict]) -> dict:
    events = [{"seq": s, "reset": e["reset"]} if "reset" in e else {"seq": s, "event": e} for s, e in items]
    return {"v": 1, "tab": tab, "baseSeq": base, "lastSeq": base + len(items), "events": events, "messages": [], "status": {"state": "connected"}}


def ev(n: int) -> dict:
    return {"id": f"1-{n}", "type": "message", "text": f"t{n}"}


def take(handout: TabHandout, raw: dict, room: str = "r") -> tuple[list, int]:
    parsed = parse_batch(raw)
    assert parsed is not None
    return handout.take(room, parsed)


def test_a_batch_sent_again_hands_nothing_out_twice() -> None:
    h = TabHandout()
    assert take(h, batch("A", 0, (1, ev(1)), (2, ev(2)))) == ([ev(1), ev(2)], 2)
    # A reload before the acknowledgement came back: the same numbers again, with one more.
    assert take(h, batch("A", 0, (1, ev(1)), (2, ev(2)), (3, ev(3)))) == ([ev(3)], 3)


def test_each_tab_and_room_is_handed_its_own_copy() -> None:
    h = TabHandout()
    assert take(h, batch("A", 0, (1, ev(1)))) == ([ev(1)], 1)
    assert take(h, batch("B", 0, (1, ev(1)))) == ([ev(1)], 1)
    assert take(h, batch("A", 0, (1, ev(1))), room="other") == ([ev(1)], 1)


def test_a_new_process_starts_after_the_tabs_own_acknowledgement() -> None:
    h = TabHandout()
    assert take(h, batch("A", 5, (6, ev(6)), (7, ev(7)))) == ([ev(6), ev(7)], 7)


def test_a_reset_comes_in_order_as_a_reset() -> None:
    h = TabHandout()
    fresh, ack = take(h, batch("A", 0, (1, ev(1)), (2, {"reset": {"reason": "restart"}}), (3, ev(3))))
    assert ack == 3
    assert [type(item) for item in fresh] == [dict, Reset, dict]
    assert fresh[1] == {"reason": "restart"}


def test_a_batch_with_nothing_new_acknowledges_what_was_taken() -> None:
    h = TabHandout()
    take(h, batch("A", 0, (1, ev(1))))
    assert take(h, batch("A", 1)) == ([], 1)


def test_what_is_not_a_batch_is_ignored() -> None:
    assert parse_batch(None) is None
    assert parse_batch({"v": 2, "tab": "A", "baseSeq": 0}) is None
    assert parse_batch({"v": 1, "tab": "", "baseSeq": 0}) is None
    assert parse_batch({"v": 1, "tab": "A", "baseSeq": True}) is None
    assert parse_batch({"v": 1, "tab": "A", "baseSeq": -1}) is None
    parsed = parse_batch({"v": 1, "tab": "A", "baseSeq": 0, "events": [{"seq": "x", "event": {}}, {"seq": 1}, 5], "messages": "no", "status": 3})
    assert parsed is not None and parsed.events == () and parsed.messages == [] and parsed.status == {}
