"""The Dash side's exactly-once hand-out, its checks of what the browser sends, and the callbacks it registers."""

from __future__ import annotations

from typing import Any

import pytest

from ws_bridge_dash._handout import MAX_EVENTS, Reset, TabHandout, parse_sent

OPTIONS = {"room": "lobby"}


def sent(tab: str = "t1", base: int = 0, events: list[Any] | None = None, n: int = 1, **batch: Any) -> dict[str, Any]:
    return {"n": n, "batch": {"v": 1, "tab": tab, "baseSeq": base, "lastSeq": 0, "events": events or [], "messages": [], "status": {}, **batch}}


def numbered(*ids: str, start: int = 1) -> list[dict[str, Any]]:
    return [{"seq": start + i, "event": {"id": ident}} for i, ident in enumerate(ids)]


def test_each_event_once_per_tab_across_writes_again() -> None:
    handout = TabHandout()
    first = parse_sent(sent(events=numbered("a", "b")), OPTIONS)
    again = parse_sent(sent(events=numbered("a", "b", "c"), n=2), OPTIONS)
    assert first and again
    assert handout.take(first) == ([{"id": "a"}, {"id": "b"}], None, 2)
    assert handout.take(again) == ([{"id": "c"}], None, 3)
    other_tab = parse_sent(sent(tab="t2", events=numbered("a")), OPTIONS)
    assert other_tab and handout.take(other_tab)[0] == [{"id": "a"}]


def test_starts_after_what_the_tab_says_was_acknowledged() -> None:
    reloaded = parse_sent(sent(base=2, events=numbered("c", start=3)), OPTIONS)
    assert reloaded and TabHandout().take(reloaded) == ([{"id": "c"}], None, 3)


def test_a_reset_drops_the_events_before_it() -> None:
    events = [*numbered("a"), {"seq": 2, "reset": {"resume": "x"}}, *numbered("b", start=3)]
    value = parse_sent(sent(events=events), OPTIONS)
    assert value
    fresh, reset, last = TabHandout().take(value)
    assert (fresh, reset, last) == ([{"id": "b"}], {"resume": "x"}, 3)
    assert isinstance(reset, Reset)


def test_hostile_input_is_ignored_or_bounded() -> None:
    for bad in [None, [], {"n": 1}, {"n": True, "batch": {}}, sent(tab=""), sent(tab="x" * 201), sent(base=-1), sent(v=2), sent(n=2**60)]:
        assert parse_sent(bad, OPTIONS) is None
    assert parse_sent(sent(), {"room": ""}) is None
    assert parse_sent(sent(), "lobby") is None
    junk = parse_sent(sent(events=[1, {"seq": "2", "event": {}}, {"seq": 3, "event": "x"}, *numbered("a", start=4)]), OPTIONS)
    assert junk and [seq for seq, _ in junk.events] == [4]
    flood = parse_sent(sent(events=numbered(*[str(i) for i in range(MAX_EVENTS + 10)])), OPTIONS)
    assert flood and len(flood.events) == MAX_EVENTS
    # The acknowledgement stops at the last event taken: the rest come with the next batch.
    assert TabHandout().take(flood)[2] == MAX_EVENTS


def test_the_callback_acknowledges_even_when_the_app_function_raises() -> None:
    from dash import Dash, Output, no_update

    from ws_bridge_dash import DashBridge

    bridge = DashBridge(Dash(__name__), "ws://127.0.0.1:8000/ws/{room}")
    got: list[Any] = []

    def broken(update: Any) -> str:
        got.extend(update.events)
        raise RuntimeError("the app's bug")

    bridge.callback(Output("shown", "children"))(broken)
    data = sent(events=numbered("a"), n=7)
    assert bridge._run(broken, 1, data, OPTIONS, ()) == [{"n": 7, "tab": "t1", "seq": 1}, no_update]
    # Written again (the response was lost): acknowledged, nothing handed out twice.
    assert bridge._run(broken, 1, {**data, "n": 8}, OPTIONS, ()) == [{"n": 8, "tab": "t1", "seq": 1}, no_update]
    assert got == [{"id": "a"}]


def test_the_start_callback_runs_on_page_load() -> None:
    """Dash runs a callback on page load only if an output of it is in the layout: one without outputs never starts."""
    from dash import Dash

    from ws_bridge_dash import DashBridge

    app = Dash(__name__)
    bridge = DashBridge(app, "ws://127.0.0.1:8000/ws/{room}")
    ids: set[str] = set()

    def crawl(node: Any) -> None:
        if isinstance(node, (list, tuple)):
            for child in node:
                crawl(child)
        elif hasattr(node, "to_plotly_json"):
            if isinstance(getattr(node, "id", None), str):
                ids.add(node.id)
            crawl(getattr(node, "children", None))

    crawl(bridge.layout("lobby"))
    on_load = [cb for cb in app._callback_list if not cb.get("prevent_initial_call")]
    assert [cb["clientside_function"]["function_name"] for cb in on_load] == ["start"]
    assert not on_load[0].get("no_output")
    assert on_load[0]["output"].rsplit(".", 1)[0] in ids


def test_a_url_the_page_could_never_dial_is_refused_where_it_is_written() -> None:
    from dash import Dash

    from ws_bridge_dash import DashBridge

    for url in ("ftp://h/ws", "file:///etc/passwd", "javascript:alert(1)", "localhost:8000/ws", "ws://[::1/ws"):
        with pytest.raises(ValueError, match="url") as refused:
            DashBridge(Dash(__name__), url + "?token=secret")
        assert "secret" not in str(refused.value)
    bridge = DashBridge(Dash(__name__), "/ws/{room}")
    with pytest.raises(ValueError, match="url"):
        bridge.layout("lobby", url="ftp://h/ws/{room}")
    assert bridge.layout("lobby", url="wss://h/ws/{room}")
