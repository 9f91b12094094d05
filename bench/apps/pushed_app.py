"""Bench app, pushed: the room's events arrive through ws_bridge (one WebSocket
in the browser); the script reruns only when the component pushes something.

Run by bench/streamlit.mjs with WSB_SERVER, WSB_LEDGER, WSB_ROOM and
WSB_FRAME (ws_bridge's frame: "v2" or "iframe"; unset, its default) set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import streamlit as st  # noqa: E402

from bench_ledger import ROOM, SERVER, log, now_ms  # noqa: E402
from streamlit_ws_bridge import ws_bridge  # noqa: E402

log(kind="run", t=now_ms())
chat = st.session_state.setdefault("chat", [])
result = ws_bridge(
    SERVER.replace("http://", "ws://", 1) + "/ws/{room}/{player}",
    ROOM,
    player="viewer",
    fallback_url=SERVER + "/rooms/{room}/events",
    frame=os.environ.get("WSB_FRAME", "auto"),  # type: ignore[arg-type]
)
# Straight after the call, before any other Streamlit call.
log(kind="events", t=now_ms(), state=result.state, events=[[e.get("id"), e.get("ts")] for e in result.events])
chat.extend(e for e in result.events if e.get("type") == "message")
del chat[:-50]

st.caption(f"{result.state} · {len(chat)} messages")
for message in chat[-10:]:
    st.text(f"{message.get('player')}: {message.get('text')}")
