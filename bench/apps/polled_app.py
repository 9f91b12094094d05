"""Bench app, polled: the usual polling design. Every run fetches
GET /rooms/{room}/state, shows what is new, sleeps 0.4 s and calls st.rerun().

Run by bench/streamlit.mjs with WSB_SERVER, WSB_LEDGER and WSB_ROOM set.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import streamlit as st  # noqa: E402

from bench_ledger import ROOM, SERVER, log, now_ms  # noqa: E402

log(kind="run", t=now_ms())
seen = st.session_state.setdefault("seen", set())
chat = st.session_state.setdefault("chat", [])
try:
    with urllib.request.urlopen(f"{SERVER}/rooms/{ROOM}/state", timeout=3) as response:
        state = json.loads(response.read())
except OSError:
    state = {"messages": []}
new = [m for m in state.get("messages", []) if m.get("id") not in seen]
log(kind="events", t=now_ms(), state="polling", events=[[m.get("id"), m.get("ts")] for m in new])
seen.update(m.get("id") for m in new)
chat.extend(new)
del chat[:-50]

st.caption(f"polling · {len(chat)} messages")
for message in chat[-10:]:
    st.text(f"{message.get('player')}: {message.get('text')}")

time.sleep(0.4)
st.rerun()
