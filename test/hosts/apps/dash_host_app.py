"""The Dash app test/hosts/dash.e2e.test.ts runs with ``PORT=N python dash_host_app.py``: one
DashBridge, recorded as wsb_host_app records its widget, so the host suite holds it to the same
contract and prints the same figures.

Environment (set by test/hosts/hosts.ts): ``WSB_HOST_CONFIG`` and ``WSB_HOST_LOG``, as in
wsb_host_app (whose ``config`` and ``log`` this uses). A page load stands for a widget session:
the layout reads the config and logs ``session``; the page's room keeps its label (a later case
rewrites the config while earlier tabs stay open). Per call of the bridge callback: ``msg`` (each
one a Python call the page caused); ``reset`` for ``update.reset``; ``batch`` when it brought
events; ``event`` per event (``id``, ``ts``); ``trait`` when the tab's ``status["state"]`` changed.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from dash import Dash, Output, html

from ws_bridge_dash import DashBridge, Update
from wsb_host_app import config, log

app = Dash(__name__)
# The example server's URL comes with each case's config: layout(url=) gives it per page.
bridge = DashBridge(app, "ws://127.0.0.1/ws/{room}/{player}")
# Per room (each case uses a fresh one, one tab each): its label, its page load's session,
# the last state logged (a page load logs its first again) and its batches.
labels: dict[str, str] = {}
sessions: dict[str, str] = {}
states: dict[str, str] = {}
batches: dict[str, int] = {}


def page() -> Any:
    """The layout of one page load: the bridge for the room the config names."""
    if not os.path.exists(os.environ["WSB_HOST_CONFIG"]):
        return html.Div("no case yet")
    cfg = config()
    label, room = cfg.get("label", ""), cfg["room"]
    labels[room], sessions[room] = label, uuid.uuid4().hex[:12]
    states.pop(room, None)
    log("session", sessions[room], label, widget="bridge", room=room)
    return html.Div([bridge.layout(room, player=cfg.get("player"), url=cfg["url"]), html.Div(id="shown")])


# A function: Dash calls it per page load, so each page reads the case's config.
app.layout = page


@bridge.callback(Output("shown", "children"))
def record(update: Update) -> str:
    label, session = labels.get(update.room, ""), sessions.get(update.room)
    log("msg", session, label)
    if update.reset is not None:
        log("reset", session, label, reset=update.reset)
    if update.events:
        batches[update.room] = batches.get(update.room, 0) + 1
        log("batch", session, label, batches=batches[update.room])
    for event in update.events:
        log("event", session, label, id=event.get("id"), ts=event.get("ts"))
    state = str(update.status.get("state"))
    if states.get(update.room) != state:
        states[update.room] = state
        log("trait", session, label, name="status", value={"state": state})
    return f"{label}: {state}, {batches.get(update.room, 0)} batches"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), debug=False)
