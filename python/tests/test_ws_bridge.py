"""ws_bridge() in a real Streamlit script run (streamlit.testing AppTest), the frame faked.

AppTest does not run component frames, so the component function is swapped
for a fake frame that returns the value a real frame would have sent. Each
AppTest is a new Streamlit session with an empty session_state, like a page
reload.
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import streamlit_ws_bridge
from streamlit_ws_bridge._handout import HandOutRegistry


class FakeFrame:
    """What one browser tab's frame would send: all events after its ack."""

    def __init__(self, tab: str = "tab-1") -> None:
        self.tab = tab
        self.events: list[dict[str, Any]] = []
        self.ack = 0
        self.sending = True
        self.calls: list[dict[str, Any]] = []

    def receive(self, *ids: str) -> None:
        for event_id in ids:
            self.events.append({"seq": len(self.events) + 1, "event": {"id": event_id, "type": "message"}})

    def reset(self, resume: str) -> None:
        """The server could not replay: the frame numbers the reset in line with the events."""
        reset = {"since": "x", "resume": resume, "reason": "epoch", "at": 1, "dropped": 2}
        self.events.append({"seq": len(self.events) + 1, "reset": reset})

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        # The frame stores the ack it was given; it only resends what comes after.
        if kwargs.get("ack_tab") == self.tab and kwargs.get("ack") is not None:
            self.ack = max(self.ack, kwargs["ack"])
        if not self.sending:
            return kwargs.get("default")
        return {
            "v": 1,
            "tab": self.tab,
            "baseSeq": self.ack,
            "lastSeq": len(self.events),
            "events": [e for e in self.events if e["seq"] > self.ack],
            "messages": [e["event"] for e in self.events if "event" in e][-3:],
            "status": {"state": "connected", "room": "r1"},
        }


@pytest.fixture
def frame(monkeypatch: pytest.MonkeyPatch) -> FakeFrame:
    fake = FakeFrame()
    # Both components take the same arguments and return the same value: the default ("auto") may pick either.
    monkeypatch.setattr(streamlit_ws_bridge, "_component_func", fake)
    monkeypatch.setattr(streamlit_ws_bridge, "_v2_func", fake)
    monkeypatch.setattr(streamlit_ws_bridge, "_registry", HandOutRegistry())
    return fake


def app() -> None:
    import streamlit as st

    from streamlit_ws_bridge import ws_bridge

    seen = st.session_state.setdefault("seen", [])
    calls = st.session_state.setdefault("on_event", [])
    result = ws_bridge("ws://127.0.0.1:9/ws/{room}/{player}", "r1", player="ann b", on_event=lambda e: calls.append(e["id"]))
    seen.append([e["id"] for e in result.events])
    st.session_state["result"] = result
    if result.reset is not None:
        st.session_state.setdefault("resets", []).append(result.reset["resume"])


def run(at: AppTest) -> list[str]:
    at.run()
    assert not at.exception, at.exception
    return at.session_state["seen"][-1]


def test_reruns_deliver_each_event_once(frame: FakeFrame):
    at = AppTest.from_function(app)
    frame.receive("a", "b")
    assert run(at) == ["a", "b"]
    assert run(at) == []  # a rerun by another widget: the same component value
    assert run(at) == []
    frame.receive("c")
    assert run(at) == ["c"]
    assert at.session_state["on_event"] == ["a", "b", "c"]
    result = at.session_state["result"]
    assert result.connected and result.state == "connected"
    assert [m["id"] for m in result.messages] == ["a", "b", "c"]
    # The ack rides in the next call's args, for this tab.
    assert frame.calls[-1]["ack_tab"] == "tab-1"
    assert frame.calls[-1]["ack"] == 2
    assert run(at) == []
    assert frame.calls[-1]["ack"] == 3


def test_a_reload_new_session_empty_session_state_repeats_nothing(frame: FakeFrame):
    first = AppTest.from_function(app)
    frame.receive("a", "b", "c")
    assert run(first) == ["a", "b", "c"]
    # The page reloads before any later run carried the ack: the frame resends a, b, c.
    assert frame.ack == 0
    second = AppTest.from_function(app)
    frame.receive("d")
    assert run(second) == ["d"]
    assert second.session_state["seen"] == [["d"]]


def test_before_the_frame_reports(frame: FakeFrame):
    frame.sending = False
    at = AppTest.from_function(app)
    assert run(at) == []
    result = at.session_state["result"]
    assert result.status == {"state": "connecting", "room": "r1"}
    assert result.messages == []


def test_args_placeholders_and_a_stable_derived_key(frame: FakeFrame):
    at = AppTest.from_function(app)
    run(at)
    run(at)
    first, second = frame.calls[0], frame.calls[1]
    assert first["url"] == "ws://127.0.0.1:9/ws/r1/ann%20b"
    assert first["room"] == "r1"
    assert first["key"] == second["key"] and first["key"].startswith("ws_bridge_")
    assert first["throttle_ms"] == 100 and first["max_messages"] == 100 and first["show_status"] is True
    assert first["default"] is None


def token_app() -> None:
    from streamlit_ws_bridge import ws_bridge

    ws_bridge(
        "ws://127.0.0.1:9/ws/{room}/{player}",
        "r 1",
        player="ann b",
        fallback_url="http://127.0.0.1:9/rooms/{room}/events",
        token_url="http://127.0.0.1:9/rooms/{room}/token?player={player}",
    )


def test_token_url_reaches_the_frame_filled_with_the_player_the_poll_names(frame: FakeFrame):
    at = AppTest.from_function(token_app)
    at.run()
    assert not at.exception, at.exception
    call = frame.calls[-1]
    assert call["token_url"] == "http://127.0.0.1:9/rooms/r%201/token?player=ann%20b"
    assert call["player"] == "ann b"
    assert call["fallback_url"] == "http://127.0.0.1:9/rooms/r%201/events"


def test_without_token_url_the_frame_fetches_no_token(frame: FakeFrame):
    run(AppTest.from_function(app))
    assert frame.calls[-1]["token_url"] is None


def test_argument_checks(frame: FakeFrame):
    from streamlit_ws_bridge import ws_bridge

    with pytest.raises(ValueError, match="player"):
        ws_bridge("ws://h/ws/{room}/{player}", "r1")
    with pytest.raises(ValueError, match="token_url"):
        ws_bridge("ws://h/ws", "r1", token_url="")
    with pytest.raises(ValueError, match="player"):
        ws_bridge("ws://h/ws", "r1", token_url="http://h/token/{player}", player=None)
    # The poll names its client beside the token: with a fallback URL, player= is required.
    with pytest.raises(ValueError, match="player="):
        ws_bridge("ws://h/ws", "r1", fallback_url="http://h/events", token_url="http://h/token")
    with pytest.raises(ValueError, match="room"):
        ws_bridge("ws://h/ws", "")
    with pytest.raises(ValueError, match="max_messages"):
        ws_bridge("ws://h/ws", "r1", max_messages=0)
    # A URL the page could never dial is refused here, where it was written, and never echoed (it may hold a token).
    for url in ("ftp://h/ws", "file:///etc/passwd", "javascript:alert(1)", "localhost:8000/ws", "ws://[::1/ws"):
        with pytest.raises(ValueError, match="url") as refused:
            ws_bridge(url + "?token=secret", "r1")
        assert "secret" not in str(refused.value)


def test_a_missing_build_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path):
    from streamlit_ws_bridge import ws_bridge

    # The component is declared on first use, from _BUILD_DIR: point it at an empty directory.
    monkeypatch.delenv(streamlit_ws_bridge.DEV_URL_ENV, raising=False)
    monkeypatch.setattr(streamlit_ws_bridge, "_BUILD_DIR", tmp_path)
    monkeypatch.setattr(streamlit_ws_bridge, "_component_func", None)
    monkeypatch.setattr(streamlit_ws_bridge, "_v2_func", None)
    with pytest.raises(FileNotFoundError, match="npm run build"):
        ws_bridge("ws://h/ws", "r1")
    with pytest.raises(FileNotFoundError, match="npm run build"):
        ws_bridge("ws://h/ws", "r1", frame="iframe")


def test_the_build_ships_in_the_package():
    build = streamlit_ws_bridge._BUILD_DIR
    assert (build / "index.html").is_file() and (build / "component.js").is_file()


def test_a_reset_is_told_exactly_once_with_the_events_that_follow_it(frame: FakeFrame):
    at = AppTest.from_function(app)
    frame.receive("a")
    assert run(at) == ["a"]
    # An app event named "reset" is an event like any other.
    frame.events.append({"seq": len(frame.events) + 1, "event": {"id": "r", "type": "reset", "resume": "no"}})
    frame.receive("b")
    frame.reset("B-0")
    frame.receive("a", "c")
    # Events before the reset belong to the history the app reloads: only what followed it is handed over.
    assert run(at) == ["a", "c"]
    assert at.session_state["resets"] == ["B-0"]
    assert at.session_state["result"].reset["reason"] == "epoch"
    assert run(at) == []
    assert at.session_state["result"].reset is None
    assert at.session_state["resets"] == ["B-0"]
    # on_event saw the same events, each once.
    assert at.session_state["on_event"] == ["a", "a", "c"]
