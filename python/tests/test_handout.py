"""Unit tests of the exactly-once hand-out to Python (streamlit_ws_bridge._handout)."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator

import pytest

from streamlit_ws_bridge._handout import HandOutRegistry, ComponentValue, parse_value


def frame(tab: str, seqs: range | list[int], base: int = 0) -> ComponentValue:
    """The value a frame sends: every event after its acknowledgement `base`."""
    raw = {
        "v": 1,
        "tab": tab,
        "baseSeq": base,
        "lastSeq": max(seqs, default=base),
        "events": [{"seq": s, "event": {"id": f"e{s}"}} for s in seqs],
        "messages": [],
        "status": {"state": "connected"},
    }
    value = parse_value(raw)
    assert value is not None
    return value


def ids(events: list[dict]) -> list[str]:
    return [e["id"] for e in events]


def test_parse_value_rejects_anything_else_and_orders_events():
    assert parse_value(None) is None
    assert parse_value({"v": 2, "tab": "t", "baseSeq": 0, "lastSeq": 0}) is None
    assert parse_value({"v": 1, "tab": "", "baseSeq": 0, "lastSeq": 0}) is None
    assert parse_value({"v": 1, "tab": "t", "baseSeq": True, "lastSeq": 0}) is None
    value = parse_value({
        "v": 1, "tab": "t", "baseSeq": 0, "lastSeq": 3,
        "events": [{"seq": 3, "event": {"id": "c"}}, "junk", {"seq": "2", "event": {}}, {"seq": 1, "event": {"id": "a"}}],
        "messages": [{"id": "a"}, 5], "status": "nope",
    })
    assert value is not None
    assert [s for s, _ in value.events] == [1, 3]
    assert value.messages == [{"id": "a"}]
    assert value.status is None


def test_the_same_value_on_every_rerun_delivers_once():
    registry = HandOutRegistry()
    value = frame("tab1", range(1, 4))
    assert ids(registry.take("s1", "k", "r", value)) == ["e1", "e2", "e3"]
    for _ in range(5):  # reruns caused by other widgets: the component value persists
        assert registry.take("s1", "k", "r", value) == []
    assert ids(registry.take("s1", "k", "r", frame("tab1", range(1, 6)))) == ["e4", "e5"]
    assert registry.ack_for("s1", "k") == ("tab1", 5)


def test_a_stale_value_after_a_newer_one_delivers_nothing():
    registry = HandOutRegistry()
    assert ids(registry.take("s1", "k", "r", frame("t", range(1, 11)))) == [f"e{i}" for i in range(1, 11)]
    assert registry.take("s1", "k", "r", frame("t", range(1, 6))) == []


def test_a_new_session_of_the_same_tab_resumes_from_the_handout():
    """A page reload: new session id, empty session_state, the frame still holds unacknowledged events."""
    registry = HandOutRegistry()
    registry.take("old-session", "k", "r", frame("tab1", range(1, 8), base=0))
    # The reload came before the ack (7) reached the frame: it resends 4..9 with base 3.
    assert ids(registry.take("new-session", "k", "r", frame("tab1", range(4, 10), base=3))) == ["e8", "e9"]
    assert registry.ack_for("new-session", "k") == ("tab1", 9)
    assert registry.ack_for("unknown-session", "k") == (None, None)


def test_tabs_and_rooms_are_independent():
    registry = HandOutRegistry()
    assert ids(registry.take("s1", "k", "r1", frame("tabA", [1, 2]))) == ["e1", "e2"]
    assert ids(registry.take("s2", "k", "r1", frame("tabB", [1, 2]))) == ["e1", "e2"]
    assert ids(registry.take("s1", "k2", "r2", frame("tabA", [1]))) == ["e1"]


def test_a_lost_hand_out_entry_restarts_from_the_components_acknowledgement():
    """Server restart (or eviction): nothing at or before the frame's ack comes again."""
    registry = HandOutRegistry()
    assert ids(registry.take("s", "k", "r", frame("t", range(6, 9), base=5))) == ["e6", "e7", "e8"]


def test_both_maps_are_bounded():
    registry = HandOutRegistry(max_entries=3)
    for i in range(10):
        registry.take(f"s{i}", "k", "r", frame(f"t{i}", [1]))
    assert registry.handed_out("t0", "r") is None
    assert registry.handed_out("t9", "r") == 1
    assert registry.ack_for("s0", "k") == (None, None)
    assert registry.ack_for("s9", "k") == ("t9", 1)


@pytest.fixture
def eager_thread_switching() -> Iterator[None]:
    """Switch threads far more often than the default 5 ms, so unsynchronised code would interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("seed", range(5))
def test_overlapping_takers_hand_out_each_event_exactly_once_in_order(seed: int, eager_thread_switching: None):
    """Overlapping runs (and parallel fragments) read component values of different ages at once."""
    rng = random.Random(seed)
    registry = HandOutRegistry()
    total = 400
    # Every batch each worker took, in the order it took them; checked here in the main thread,
    # where a failed assert fails the test (in a worker thread it would only be a warning).
    batches: list[list[list[int]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        mine: list[list[int]] = []
        try:
            start.wait()
            for _ in range(200):
                # A value of some age, holding everything up to `last` after its ack `base`; an ack
                # only ever comes from the hand-out registry, so it is at most what it handed out.
                last = rng.randint(0, total)
                base = rng.randint(0, min(registry.handed_out("t", "r") or 0, last))
                batch = registry.take("s", "k", "r", frame("t", range(base + 1, last + 1), base=base))
                mine.append([int(e["id"][1:]) for e in batch])
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            errors.append(err)
        finally:
            with lock:
                batches.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(batches) == 8
    check_batches(batches)
    # One final, complete value: whatever was not taken yet comes now.
    final = registry.take("s", "k", "r", frame("t", range(1, total + 1)))
    every = [seq for mine in batches for batch in mine for seq in batch] + [int(e["id"][1:]) for e in final]
    assert sorted(every) == list(range(1, total + 1))


def check_batches(batches: list[list[list[int]]]) -> None:
    """Each batch is in order, and so is each worker's sequence of batches (what was handed out only moves on)."""
    for mine in batches:
        for batch in mine:
            assert batch == sorted(batch), f"a batch out of order: {batch}"
        taken = [seq for batch in mine for seq in batch]
        assert taken == sorted(taken), "one worker's batches went backwards"


def test_the_order_check_fails_on_a_batch_out_of_order():
    """The check above runs in the main thread, so an out-of-order batch fails the test."""
    with pytest.raises(AssertionError, match="out of order"):
        check_batches([[[1, 2]], [[4, 3]]])
    with pytest.raises(AssertionError, match="went backwards"):
        check_batches([[[3, 4], [1, 2]]])


def test_overlapping_runs_call_on_event_in_the_events_order():
    """A run that took events 1-2 and is still in on_event holds back a later run's 3-4."""
    registry = HandOutRegistry()
    calls: list[str] = []
    first_called = threading.Event()
    gate = threading.Event()

    def on_event(event: dict[str, object]) -> None:
        calls.append(str(event["id"]))
        if event["id"] == "e1":
            first_called.set()
            assert gate.wait(10), "the gate was never opened"

    earlier = threading.Thread(target=registry.hand_out, args=("s", "k", "r", frame("t", [1, 2]), on_event))
    later = threading.Thread(target=registry.hand_out, args=("s", "k", "r", frame("t", [1, 2, 3, 4]), on_event))
    earlier.start()
    try:
        assert first_called.wait(10)
        later.start()
        # Time for the later run to take and call on_event if nothing held it back; it must be waiting.
        later.join(0.3)
        assert later.is_alive()
        assert calls == ["e1"]
    finally:
        gate.set()
        earlier.join(10)
        if later.ident is not None:
            later.join(10)
    assert calls == ["e1", "e2", "e3", "e4"]


def test_hand_out_returns_the_events_after_the_last_reset_and_that_reset():
    registry = HandOutRegistry()
    raw = {
        "v": 1,
        "tab": "t",
        "baseSeq": 0,
        "lastSeq": 3,
        "events": [
            {"seq": 1, "event": {"id": "e1"}},
            {"seq": 2, "reset": {"reason": "epoch", "resume": "e9"}},
            {"seq": 3, "event": {"id": "e10"}},
        ],
        "messages": [],
        "status": None,
    }
    value = parse_value(raw)
    assert value is not None
    seen: list[object] = []
    events, reset = registry.hand_out("s", "k", "r", value, lambda e: seen.append(e["id"]))
    assert events == [{"id": "e10"}]
    assert reset == {"reason": "epoch", "resume": "e9"}
    assert seen == ["e10"]
