"""WsBridge as a Gradio app makes it: its options reach the page as props, its server function acknowledges."""

from __future__ import annotations

import gradio as gr
import pytest

from ws_bridge_gradio import WsBridge


def make(**options: object) -> WsBridge:
    with gr.Blocks():
        return WsBridge("ws://h/ws/{room}/{player}", "lobby", player="p 1", **options)  # type: ignore[arg-type]


def test_the_page_gets_the_options_and_the_server_function() -> None:
    config = make(max_messages=5).get_config()
    assert config["props"]["url"] == "ws://h/ws/lobby/p%201"
    assert config["props"]["room"] == "lobby" and config["props"]["max_messages"] == 5
    assert config["server_fns"] == ["wsb_batch"]
    assert config["js_on_load"].endswith("window.__wsBridgeGradio(element, props, server, trigger)")


def test_the_server_function_hands_each_event_out_once_and_acknowledges() -> None:
    bridge = make()
    got: list[dict] = []
    bridge.on_event(got.append)
    bridge.on_event(lambda _event: 1 / 0)  # a callback's bug costs nothing after it
    raw = {"v": 1, "tab": "T", "baseSeq": 0, "lastSeq": 2, "messages": [], "status": {"state": "connected"},
           "events": [{"seq": 1, "event": {"id": "a"}}, {"seq": 2, "event": {"id": "b"}}]}
    assert bridge.wsb_batch(raw) == {"tab": "T", "seq": 2}
    assert bridge.wsb_batch(raw) == {"tab": "T", "seq": 2}
    assert got == [{"id": "a"}, {"id": "b"}] and bridge.status == {"state": "connected"} and bridge.batches == 2
    assert bridge.wsb_batch("not a batch") is None


@pytest.mark.parametrize("bad", [{"room": ""}, {"url": ""}, {"max_messages": 0}, {"throttle_ms": -1}, {"url": "ftp://h/ws"},
                                 {"url": "javascript:alert(1)"}, {"url": "localhost:8000/ws"}, {"url": "ws://[::1/ws"}])
def test_bad_options_are_refused(bad: dict) -> None:
    options: dict = {"url": "ws://h/ws/{room}", "room": "r", **bad}
    with pytest.raises(ValueError):
        WsBridge(options.pop("url"), options.pop("room"), **options)
