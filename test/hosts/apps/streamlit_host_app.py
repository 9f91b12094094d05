"""The Streamlit app test/hosts/streamlit.e2e.test.ts serves with ``streamlit run``: one ws_bridge,
recorded as wsb_host_app records its widget, so the host suite holds the component to the same
contract and prints the same figures.

Environment (set by test/hosts/hosts.ts): ``WSB_HOST_CONFIG`` and ``WSB_HOST_LOG``, as in
wsb_host_app (whose ``config`` and ``log`` this uses). A Streamlit session stands for a widget
session: ``session`` at its first run, which reads the config once and keeps it in
``st.session_state`` (a later case rewrites the file; a tab still open keeps its room);
``msg`` per later run, full or fragment (each one a Python call: the component's value changed);
``event`` per on_event call (``id``, ``ts``); ``reset`` when ``result.reset`` is set; ``batch``
per run that brought events; ``trait`` when ``result.status["state"]`` changed.

The bridge is in ``st.fragment``, last on the page, as python/README.md recommends: an event
reruns the fragment only.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import streamlit as st

from streamlit_ws_bridge import BridgeResult, ws_bridge
from wsb_host_app import config, log

KEY = "wsb_host"


def _first_run() -> dict[str, Any]:
    """This session's record, made (and ``session`` logged) at its first run."""
    cfg = config()
    me = {"cfg": cfg, "session": uuid.uuid4().hex[:12], "label": cfg.get("label", ""), "runs": 0,
          "in_full_run": False, "batches": 0, "state": "connecting"}
    log("session", me["session"], me["label"], widget="bridge", room=cfg.get("room"))
    return me


def _called(me: dict[str, Any], how: str) -> None:
    """Counts a run; every run after the session's first is a Python call the page caused."""
    if me["runs"]:
        log("msg", me["session"], me["label"], run=me["runs"], how=how)
    me["runs"] += 1


def _record(me: dict[str, Any], result: BridgeResult, got: list[dict[str, Any]]) -> None:
    """What this run brought, in hand-out order: the reset first, then the events after it.

    on_event runs inside ws_bridge, before the reset is visible: its events are logged here, after
    the reset line, each with the time of its call. No Streamlit call in here (see ws_bridge's Notes).
    """
    session, label = me["session"], me["label"]
    if result.reset is not None:
        log("reset", session, label, reset=result.reset)
    if got:
        me["batches"] += 1
        log("batch", session, label, batches=me["batches"])
    for event in got:
        log("event", session, label, **event)
    if result.state != me["state"]:
        me["state"] = result.state
        log("trait", session, label, name="status", value={"state": result.state})


@st.fragment
def live() -> None:
    me = st.session_state[KEY]
    if me["in_full_run"]:
        me["in_full_run"] = False  # counted by the full run around it
    else:
        _called(me, "fragment")
    cfg = me["cfg"]
    got: list[dict[str, Any]] = []
    result = ws_bridge(
        cfg["url"],
        cfg["room"],
        player=cfg.get("player"),
        max_messages=cfg.get("max_messages", 100),
        on_event=lambda event: got.append({"id": event.get("id"), "ts": event.get("ts"), "t": time.time() * 1000}),
    )
    _record(me, result, got)
    st.text(f"{me['label']}: {result.state}, {me['batches']} batches")


if KEY not in st.session_state:
    st.session_state[KEY] = _first_run()
record = st.session_state[KEY]
_called(record, "full")
record["in_full_run"] = True
live()
