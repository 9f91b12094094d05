"""The app that test/streamlit/component.e2e.test.ts drives in a real Streamlit.

Query parameters: ``room``, ``tab`` (a label for the ledger), ``key`` (a user
key; empty = the derived one), ``status=0`` (hide the indicator),
``fragment=1`` (the bridge inside ``st.fragment``), ``frame`` (``iframe``, the
default, ``v2`` or ``auto``: ws_bridge's ``frame``), ``twice=1`` (a second
ws_bridge call for the same room, with its own key; its deliveries are logged
under the same tab label).

Environment: ``WSB_SERVER`` (the example server, http://127.0.0.1:port) and
``WSB_LEDGER`` (a JSON-lines file). Every script run, fragment run and
delivery is appended there with no Streamlit call in between, so the test
counts runs and checks exactly-once delivery from the file, not the page.
"""

from __future__ import annotations

import json
import os
import threading

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from streamlit_ws_bridge import ws_bridge


@st.cache_resource(show_spinner=False)
def _locks() -> tuple[threading.Lock, threading.Lock]:
    """The ledger file's lock and the hand-out lock, one each for the whole process.

    Streamlit executes this script anew on every run, so a lock made at module level would
    be a new lock per run and serialize nothing: the cache keeps one across runs and sessions.
    """
    return threading.Lock(), threading.Lock()


_LOCK, _HANDOUT = _locks()
LEDGER = os.environ["WSB_LEDGER"]
SERVER = os.environ["WSB_SERVER"]


def log(**entry: object) -> None:
    line = json.dumps(entry)
    with _LOCK, open(LEDGER, "a", encoding="utf-8") as ledger:
        ledger.write(line + "\n")


ctx = get_script_run_ctx()
sid = ctx.session_id if ctx else "none"
log(sid=sid, kind="run")

params = st.query_params
room = params.get("room", "e2e")
tab = params.get("tab", "tab")
user_key = params.get("key") or None
show_status = params.get("status", "1") != "0"
in_fragment = params.get("fragment") == "1"
frame = params.get("frame", "iframe")
twice = params.get("twice") == "1"
# token=1: a fresh room token from the example server's token route before every connect and poll.
token_url = SERVER + "/rooms/{room}/token?player={player}" if params.get("token") == "1" else None
log(sid=sid, kind="tab", tab=tab, room=room)

if st.button("rerun", key="rerun"):
    log(sid=sid, kind="click")  # a run caused by the other widget
hide = st.checkbox("hide the bridge", key="hide")


def panel() -> None:
    if in_fragment:
        log(sid=sid, kind="fragment")
    totals = st.session_state.setdefault("totals", {"delivered": 0})
    if hide:
        st.text("bridge hidden")
        return
    # Taking and recording under one process-wide lock: two runs can be in flight in two threads
    # (two sessions of one tab when Streamlit's page reconnects under load, or a run still finishing
    # beside the next), and a thread paused between its take and its log line would write the
    # ledger out of hand-out order. The hand-out itself is atomic already.
    with _HANDOUT:
        result = ws_bridge(
            SERVER.replace("http://", "ws://") + "/ws/{room}/{player}",
            room,
            player="tester-" + tab,
            key=user_key,
            fallback_url=SERVER + "/rooms/{room}/events",
            show_status=show_status,
            frame=frame,  # type: ignore[arg-type]
            token_url=token_url,
        )
        # Straight after the call, with no Streamlit call in between.
        reset = result.reset["resume"] if result.reset is not None else None
        log(sid=sid, kind="events", tab=tab, room=room, ids=[e.get("id") for e in result.events], reset=reset)
    totals["delivered"] += len(result.events)
    if twice:
        with _HANDOUT:
            second = ws_bridge(
                SERVER.replace("http://", "ws://") + "/ws/{room}/{player}",
                room,
                player="tester-" + tab,
                key=(user_key or "derived") + "-second",
                fallback_url=SERVER + "/rooms/{room}/events",
                show_status=show_status,
                frame=frame,  # type: ignore[arg-type]
            )
            log(sid=sid, kind="events", tab=tab, room=room, ids=[e.get("id") for e in second.events], reset=None)
        st.text(f"second state: {second.state}")
    st.text(f"state: {result.state}")
    st.text(f"delivered: {totals['delivered']}")
    for message in result.messages[-5:]:
        if message.get("type") == "message":
            st.text(f"{message.get('player')}: {message.get('text')}")


if in_fragment:
    st.fragment(panel)()
else:
    panel()
