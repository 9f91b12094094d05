"""The widget's Python side, outside a kernel: options checked, batches taken, acknowledged, handed to callbacks."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ws_bridge_widget import WsBridge
from ws_bridge_widget import _widget


@pytest.fixture(autouse=True)
def fresh_kernel() -> None:
    # Each test is a new kernel: nothing handed out, no live widget.
    _widget._handouts.clear()
    _widget._live.clear()


def sent(widget: WsBridge, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: messages.append(content))
    return messages


def batch(tab: str, base: int, *events: dict[str, Any]) -> dict[str, Any]:
    numbered = [{"seq": base + i + 1, "event": e} for i, e in enumerate(events)]
    return {"type": "batch", "batch": {"v": 1, "tab": tab, "baseSeq": base, "lastSeq": base + len(events), "events": numbered, "messages": list(events)}}


def test_options_are_checked_and_placeholders_filled() -> None:
    with pytest.raises(ValueError, match="room"):
        WsBridge("ws://h/ws", "")
    with pytest.raises(ValueError, match="player"):
        WsBridge("ws://h/ws/{room}/{player}", "r")
    with pytest.raises(ValueError, match="max_messages"):
        WsBridge("ws://h/ws", "r", max_messages=0)
    with pytest.raises(ValueError, match="player="):
        WsBridge("ws://h/ws", "r", token_url="http://h/t", fallback_url="http://h/e")
    for url in ("ftp://h/ws", "file:///etc/passwd", "javascript:alert(1)", "localhost:8000/ws", "ws://[::1/ws"):
        with pytest.raises(ValueError, match="url") as refused:
            WsBridge(url + "?token=secret", "r")
        assert "secret" not in str(refused.value)
    for url in ("wss://h/ws", "HTTP://h/ws", "/ws/{room}", "//h/ws", "ws/{room}"):
        assert WsBridge(url, "r").url
    w = WsBridge("ws://h/ws/{room}/{player}", "a b", player="ann/x")
    assert w.url == "ws://h/ws/a%20b/ann%2Fx"
    assert w.status == {"state": "connecting", "room": "a b"}
    assert "render" in w._esm


def test_events_reach_callbacks_once_in_order_and_each_batch_is_acknowledged(monkeypatch: pytest.MonkeyPatch) -> None:
    w = WsBridge("ws://h/ws", "r")
    acks = sent(w, monkeypatch)
    got: list[dict[str, Any]] = []
    w.on_event(got.append)
    w._receive(w, batch("A", 0, {"id": "1"}, {"id": "2"}), [])
    w._receive(w, batch("A", 0, {"id": "1"}, {"id": "2"}, {"id": "3"}), [])
    assert got == [{"id": "1"}, {"id": "2"}, {"id": "3"}] == w.events
    assert acks == [{"type": "ack", "tab": "A", "seq": 2}, {"type": "ack", "tab": "A", "seq": 3}]
    assert w.batches == 2 and w.messages[-1] == {"id": "3"}


def test_a_callback_that_raises_costs_no_event(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    w = WsBridge("ws://h/ws", "r")
    sent(w, monkeypatch)
    got: list[dict[str, Any]] = []

    def boom(event: dict[str, Any]) -> None:
        if event["id"] == "1":
            raise RuntimeError("app bug")
        got.append(event)

    w.on_event(boom)
    with caplog.at_level(logging.ERROR, logger="ws_bridge_widget"):
        w._receive(w, batch("A", 0, {"id": "1"}, {"id": "2"}), [])
    assert got == [{"id": "2"}] and "app bug" in caplog.text


def test_a_new_widget_for_the_room_closes_the_old_one_and_continues_its_handout(monkeypatch: pytest.MonkeyPatch) -> None:
    old = WsBridge("ws://h/ws", "r")
    sent(old, monkeypatch)
    old._receive(old, batch("A", 0, {"id": "1"}), [])
    new = WsBridge("ws://h/ws", "r")
    sent(new, monkeypatch)
    assert old.comm is None
    new._receive(new, batch("A", 0, {"id": "1"}, {"id": "2"}), [])
    assert new.events == [{"id": "2"}]


def test_resets_are_signalled_once() -> None:
    w = WsBridge("ws://h/ws", "r")
    resets: list[dict[str, Any]] = []
    w.on_reset(resets.append)
    reset = {"since": "1-9", "resume": "2-0", "reason": "epoch", "at": 1, "dropped": 0}
    content = {"type": "batch", "batch": {"v": 1, "tab": "A", "baseSeq": 0, "lastSeq": 1, "events": [{"seq": 1, "reset": reset}], "messages": []}}
    w._receive(w, content, [])
    w._receive(w, content, [])
    assert resets == [reset] == w.resets and w.events == []
