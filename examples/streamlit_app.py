"""Game-room chat on streamlit-ws-bridge: a game room that would poll its server, pushed instead.

Run it with ``npm run demo`` (starts the example server too), or by hand:

    .venv/bin/python examples/server/app.py --port 8000 &
    WS_BRIDGE_SERVER=http://127.0.0.1:8000 .venv/bin/streamlit run examples/streamlit_app.py

Open ``http://localhost:8501/?room=lobby&player=ann`` (or join from the sidebar,
which puts room and player in the URL, so a reload stays in the room).
Chat, votes and phase changes reach every player at once: the live panel is an
``st.fragment``, so an event (or a chat line you send) reruns that panel
only, and nothing reruns while the room is quiet. The panel's "Live figures"
show it: script runs, live-panel runs, events received and the last event's
delay from the server to this app.

The bridge takes ``ws_bridge``'s default, ``frame="auto"``: on Streamlit 1.51+
it runs in this page (Components v2, no iframe), on older Streamlit in an
iframe. ``WS_BRIDGE_FRAME=iframe`` (or ``v2``) forces one, to compare the two.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from streamlit_ws_bridge import BridgeResult, ws_bridge

SERVER = os.environ.get("WS_BRIDGE_SERVER", "http://127.0.0.1:8000").rstrip("/")
WS_URL = SERVER.replace("https://", "wss://").replace("http://", "ws://") + "/ws/{room}/{player}"
FALLBACK_URL = SERVER + "/rooms/{room}/events"
FRAME = os.environ.get("WS_BRIDGE_FRAME", "auto")
SHOWN_MESSAGES = 30


def api(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request to the game server; None when it is unreachable."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(SERVER + path, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def room_path(room: str, tail: str) -> str:
    return "/rooms/" + urllib.parse.quote(room, safe="") + tail


@dataclass
class Room:
    """What this player sees: a snapshot from GET /state, then every event applied once."""

    phase: str = "lobby"
    topic: str | None = None
    players: list[str] = field(default_factory=list)
    votes: dict[str, str] = field(default_factory=dict)
    chat: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    events_applied: int = 0
    # Server timestamp (ms) to this app, for the newest event received; None before the first.
    last_delay_ms: float | None = None
    # The newest event the snapshot includes: the bridge's first connection resumes after it.
    last_event_id: str | None = None
    # Times the server could not replay what this tab missed, so the room was loaded again.
    resets: int = 0

    @classmethod
    def load(cls, room: str) -> Room:
        state = api("GET", room_path(room, "/state")) or {}
        model = cls(
            phase=state.get("phase", "lobby"),
            topic=state.get("topic"),
            players=list(state.get("players", [])),
            votes=dict(state.get("votes", {})),
            last_event_id=state.get("last_event_id"),
        )
        for message in state.get("messages", []):
            model.add_chat(message)
        return model

    def add_chat(self, event: dict[str, Any]) -> None:
        if event.get("id") in self.seen:  # the snapshot may already hold it
            return
        self.seen.add(str(event.get("id")))
        self.chat.append(event)
        del self.chat[:-200]

    def apply(self, event: dict[str, Any]) -> None:
        """Pure Python, no Streamlit call: safe as ws_bridge's on_event."""
        self.events_applied += 1
        sent = event.get("ts")
        if isinstance(sent, (int, float)) and not isinstance(sent, bool):
            self.last_delay_ms = max(0.0, time.time() * 1000 - sent)
        kind = event.get("type")
        if kind == "message":
            self.add_chat(event)
        elif kind == "phase":
            self.phase = str(event.get("phase"))
            self.votes = {}
        elif kind == "topic":
            self.topic = event.get("topic")
        elif kind == "voted":
            self.votes[str(event.get("player"))] = str(event.get("target"))
        elif kind == "player_list":
            self.players = [str(p) for p in event.get("players", [])]


st.set_page_config(page_title="Game room · streamlit-ws-bridge", page_icon="🎲")
state = st.session_state
state.runs = state.get("runs", 0) + 1

params = st.query_params
if "player" not in state and params.get("room") and params.get("player"):
    state.room, state.player = params["room"], params["player"]


def join() -> None:
    """The Join button's callback: it runs before the script, so this run already shows the room."""
    room_name, player_name = state.join_room.strip(), state.join_player.strip()
    if room_name and player_name:
        state.room, state.player = room_name, player_name
        # In the URL too: a reload (a new session) joins the same room as the same player.
        st.query_params.from_dict({"room": room_name, "player": player_name})


with st.sidebar:
    st.header("🎲 Game room")
    if "player" not in state:
        with st.form("join"):
            st.text_input("Room", value=params.get("room", "lobby"), key="join_room")
            st.text_input("Your name", value=params.get("player", ""), key="join_player")
            st.form_submit_button("Join", type="primary", on_click=join)
if "player" not in state:
    st.title("🎲 Game room chat")
    st.markdown(
        "A chat and voting room for a party game, live in Streamlit. Each browser tab keeps one "
        "WebSocket to the game server (streamlit-ws-bridge), and every chat line, "
        "vote and phase change is pushed into the page the moment it happens. Nothing polls, and the "
        "script does not rerun while the room is quiet."
    )
    st.info("**To join,** enter a room and your name in the sidebar and press **Join**.", icon="👈")
    st.markdown(
        "- Open the same room in a second tab under another name, and chat between the two.\n"
        "- The **Game** buttons start the discussion or the vote, for every player at once.\n"
        "- **Live figures**, above the chat, count what runs: an event or a chat line reruns only the "
        "live panel, never the whole script."
    )
    st.stop()

with st.sidebar:
    st.write(f"**{state.player}** in room **{state.room}**")

def snapshot_url(model: Room) -> str:
    """The socket URL, resuming right after the snapshot's last event.

    The snapshot comes from the first run and the socket opens a moment later,
    in the browser: without ``since``, an event sent in between would be in
    neither. An empty ``since`` (a room with no events yet) replays the whole
    log. Once the bridge holds messages it sends its own ``since``.
    """
    return WS_URL + "?since=" + urllib.parse.quote(model.last_event_id or "", safe="")


room: str = state.room
player: str = state.player
if state.get("model_for") != room:
    state.model, state.model_for = Room.load(room), room
    # Fixed for the room: the URL is part of the component's key, so a reload of the model must not change it.
    state.ws_url = snapshot_url(state.model)
model: Room = state.model

with st.sidebar:
    st.subheader("Game")
    left, right = st.columns(2)
    if left.button("Discussion", width="stretch"):
        api("POST", room_path(room, "/phase"), {"phase": "discussion"})
    if right.button("Voting", width="stretch"):
        api("POST", room_path(room, "/phase"), {"phase": "voting"})
    others = [p for p in model.players if p != player]
    target = st.selectbox("Vote for", others, index=None, placeholder="a player")
    if st.button("Vote", disabled=target is None, width="stretch"):
        api("POST", room_path(room, "/votes"), {"player": player, "target": target})
    if st.button("Leave room", width="stretch"):
        for name in ("room", "player", "model", "model_for"):
            state.pop(name, None)
        st.query_params.clear()
        st.rerun()
    st.subheader("Connection")


def live_figures(model: Room) -> None:
    """What push buys, counted live: the script ran once, the panel reruns per event, no polling."""
    with st.container(border=True, key="live_figures"):
        st.caption("**Live figures** · this tab")
        runs, panel, received, delay = st.columns(4)
        runs.metric("Script runs", state.runs, help="Whole-script runs. Events and chat lines do not cause one.")
        panel.metric("Live-panel runs", state.panel_runs, help="Runs of the live panel (an st.fragment): one per batch of pushed events or chat line sent.")
        received.metric("Events received", model.events_applied, help="Events the bridge pushed into this session, each once.")
        delay.metric(
            "Last event delay",
            "—" if model.last_delay_ms is None else f"{model.last_delay_ms:,.0f} ms",
            help="From the game server's timestamp on the newest event to this app handling it.",
        )


@st.fragment
def live_panel() -> None:
    """Reruns alone whenever the bridge pushes something."""
    state.panel_runs = state.get("panel_runs", 0) + 1
    model: Room = state.model
    with st.sidebar:
        # The indicator (🟢/🟡/🔴) sits in the sidebar; events reach model.apply exactly once.
        result: BridgeResult = ws_bridge(
            state.ws_url, room, player=player, fallback_url=FALLBACK_URL, on_event=model.apply, frame=FRAME  # type: ignore[arg-type]
        )
        if result.status.get("transport") == "polling":
            st.caption("WebSocket down: polling the server every 10 s.")
    if result.reset is not None:
        # The server could not replay what this tab missed (it restarted without its events, or
        # the tab was away too long): the room is loaded again rather than shown with a hole in it.
        # The snapshot is newer than the events handed over with the reset, so it holds them too.
        reloaded = Room.load(room)
        reloaded.events_applied, reloaded.last_delay_ms, reloaded.resets = model.events_applied, model.last_delay_ms, model.resets + 1
        state.model = model = reloaded
    if model.resets:
        st.caption(f"↻ The game server could not replay what this tab missed, so the room was reloaded ({model.resets}×).")
    live_figures(model)
    st.markdown(f"**Phase:** {model.phase}" + (f" · **Topic:** {model.topic}" if model.topic else ""))
    st.caption("Players: " + (", ".join(model.players) or "nobody yet"))
    if model.votes:
        st.caption("Votes: " + ", ".join(f"{voter} → {target}" for voter, target in sorted(model.votes.items())))
    for event in model.chat[-SHOWN_MESSAGES:]:
        author = str(event.get("player"))
        with st.chat_message("user" if author == player else "assistant", avatar="🙂" if author == player else "💬"):
            st.text(f"{author}: {event.get('text')}")  # text, never markdown or HTML
    # In the fragment, a chat line reruns the panel only. Outside it, Streamlit
    # 1.64 now and then dropped a submission made while the panel was rerunning.
    text = st.chat_input("Say something to the room")
    if text:
        api("POST", room_path(room, "/messages"), {"player": player, "text": text})


st.title(f"🎲 Room {room}")
# A small panel, not a dashboard: the figures at a third of st.metric's usual size (style only, takes no space).
st.html("<style>.st-key-live_figures [data-testid='stMetricValue'] { font-size: 1.5rem; }</style>")
st.caption(f"You are **{player}**. Chat, votes and phase changes from every player arrive here as they happen.")

# The fragment comes last: with Streamlit 1.64 an element placed after a
# fragment sometimes vanished when a fragment run followed a full run.
live_panel()
