"""ws_bridge(frame=...): which component renders, and the v2 element as Streamlit really builds it.

The first test runs the real Components v2 registration in a Streamlit script
run (AppTest) and reads the element Streamlit would send to the page. AppTest
runs no JavaScript, so delivery through v2 is checked with the mount function
swapped for a fake page module that returns what the real one would store.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import streamlit_ws_bridge
from streamlit_ws_bridge._handout import HandOutRegistry


def v2_app() -> None:
    import streamlit as st

    from streamlit_ws_bridge import ws_bridge

    frame = st.session_state.get("frame", "v2")
    result = ws_bridge("ws://127.0.0.1:9/ws/{room}", "r1", key="k", frame=frame)
    st.session_state.setdefault("seen", []).append([e["id"] for e in result.events])


def test_frame_v2_renders_the_module_inline_with_the_args_and_ack_in_data():
    at = AppTest.from_function(v2_app)
    at.run()
    assert not at.exception, at.exception
    (element,) = at.get("bidi_component")
    proto = element.proto
    # Streamlit takes a one-line js= string for a file path: ours reaches the page as code.
    assert proto.js_content.startswith("// streamlit_ws_bridge (Components v2)\n")
    assert re.search(r"export\s*\{[^}]*\bas default\b[^}]*\}", proto.js_content)
    assert proto.WhichOneof("data") == "json"
    data = json.loads(proto.json)
    assert data["url"] == "ws://127.0.0.1:9/ws/r1" and data["room"] == "r1"
    assert data["ack_tab"] is None and data["ack"] is None
    # No Components v1 frame besides it.
    assert len(at.get("component_instance")) == 0


def v2_token_app() -> None:
    from streamlit_ws_bridge import ws_bridge

    ws_bridge("ws://127.0.0.1:9/ws/{room}/{player}", "r1", player="ann", key="k", frame="v2", token_url="http://127.0.0.1:9/rooms/{room}/token?player={player}")


def test_frame_v2_passes_the_token_url_and_player_in_data():
    at = AppTest.from_function(v2_token_app)
    at.run()
    assert not at.exception, at.exception
    (element,) = at.get("bidi_component")
    data = json.loads(element.proto.json)
    assert data["token_url"] == "http://127.0.0.1:9/rooms/r1/token?player=ann"
    assert data["player"] == "ann"


def default_app() -> None:
    from streamlit_ws_bridge import ws_bridge

    ws_bridge("ws://127.0.0.1:9/ws/{room}", "r1", key="k")


def test_the_default_is_v2_where_streamlit_has_it_and_the_iframe_with_a_dev_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(streamlit_ws_bridge.DEV_URL_ENV, raising=False)
    at = AppTest.from_function(default_app)
    at.run()
    assert not at.exception, at.exception
    # This Streamlit (the main .venv's) has Components v2: no frame= means no iframe.
    assert (len(at.get("bidi_component")), len(at.get("component_instance"))) == (1, 0)
    # A dev server serves the iframe's frame only: the default then takes the iframe.
    monkeypatch.setenv(streamlit_ws_bridge.DEV_URL_ENV, "http://localhost:3001")
    monkeypatch.setattr(streamlit_ws_bridge, "_component_func", None)
    at = AppTest.from_function(default_app)
    at.run()
    assert not at.exception, at.exception
    assert (len(at.get("bidi_component")), len(at.get("component_instance"))) == (0, 1)


class FakeModule:
    """What the page module stores in the element's state: everything after the ack in data."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.ack = 0
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs.get("ack_tab") == "tab-v2" and kwargs.get("ack") is not None:
            self.ack = max(self.ack, kwargs["ack"])
        pending = [e for e in self.events if e["seq"] > self.ack]
        return {"v": 1, "tab": "tab-v2", "baseSeq": self.ack, "lastSeq": len(self.events), "events": pending, "messages": [], "status": {"state": "connected"}}


def test_frame_v2_hands_each_event_over_once_and_acknowledges_through_the_next_call(monkeypatch: pytest.MonkeyPatch):
    fake = FakeModule()
    monkeypatch.setattr(streamlit_ws_bridge, "_v2_func", fake)
    monkeypatch.setattr(streamlit_ws_bridge, "_component_func", lambda **_: pytest.fail("the iframe component was used"))
    monkeypatch.setattr(streamlit_ws_bridge, "_registry", HandOutRegistry())
    at = AppTest.from_function(v2_app)
    fake.events = [{"seq": 1, "event": {"id": "a"}}, {"seq": 2, "event": {"id": "b"}}]
    at.run()
    fake.events.append({"seq": 3, "event": {"id": "c"}})
    at.run()
    at.run()
    assert at.session_state["seen"] == [["a", "b"], ["c"], []]
    assert [(c["ack_tab"], c["ack"]) for c in fake.calls] == [(None, None), ("tab-v2", 2), ("tab-v2", 3)]


def test_frame_picks_the_component(monkeypatch: pytest.MonkeyPatch):
    use_v2 = streamlit_ws_bridge._use_v2
    monkeypatch.delenv(streamlit_ws_bridge.DEV_URL_ENV, raising=False)
    assert use_v2("v2") is True and use_v2("auto") is True and use_v2("iframe") is False
    # A dev server serves the iframe's frame: "auto" then takes the iframe.
    monkeypatch.setenv(streamlit_ws_bridge.DEV_URL_ENV, "http://localhost:3001")
    assert use_v2("auto") is False
    with pytest.raises(ValueError, match="frame"):
        use_v2("frameless")
    # Without Components v2 (Streamlit before 1.51), "auto" is the iframe and "v2" says why not.
    monkeypatch.delenv(streamlit_ws_bridge.DEV_URL_ENV)
    monkeypatch.setattr(streamlit_ws_bridge, "v2_available", lambda: False)
    assert use_v2("auto") is False
    with pytest.raises(RuntimeError, match="1.51"):
        use_v2("v2")


def test_a_missing_v2_build_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path):
    from streamlit_ws_bridge import ws_bridge

    monkeypatch.setattr(streamlit_ws_bridge, "_BUILD_DIR", tmp_path)
    monkeypatch.setattr(streamlit_ws_bridge, "_v2_func", None)
    with pytest.raises(FileNotFoundError, match="v2.js"):
        ws_bridge("ws://h/ws", "r1", frame="v2")
